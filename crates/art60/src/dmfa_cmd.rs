//! `art60 dmfa`: read DmfA declarations (inspect, to-calc, import) and write synthetic ones.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use art60_dmfa::codes::ServiceCodes;
use art60_dmfa::summary::Summary;
use art60_dmfa::synth::{SynthOptions, write_synthetic};
use art60_dmfa::{DmfaReader, HistoryOptions, Item, plan_request, to_history};
use art60_rules::Niss;
use art60_rules::input::WorkRegime;
use art60_rules::units::Hundredths;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(clap::Args)]
pub struct DmfaArgs {
    #[command(subcommand)]
    pub command: DmfaCommand,
}

#[derive(clap::Subcommand)]
pub enum DmfaCommand {
    /// Summary of a declaration file: employers, persons per quarter, days per service code.
    Inspect(InspectArgs),
    /// Engine input (JSON CalcRequest, mode plan) for one person from one or more declarations.
    ToCalc(ToCalcArgs),
    /// Load declarations into the case service database.
    Import(ImportArgs),
    /// Write a large fictitious declaration, valid against the XSD, for benchmarks.
    Synth(SynthArgs),
}

#[derive(clap::Args)]
pub struct InspectArgs {
    pub file: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// How many rejected records to list (all are counted).
    #[arg(long, default_value_t = 20)]
    pub show_rejected: usize,
}

#[derive(clap::Args)]
pub struct ToCalcArgs {
    /// Declaration files, in import order (a later one replaces the same job and quarter).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The person's NISS (11 digits, separators allowed).
    #[arg(long)]
    pub niss: String,
    /// Start of the art. 60 contract (YYYY-MM-DD).
    #[arg(long)]
    pub contract_start: NaiveDate,
    /// Contract days per week R.
    #[arg(long, default_value = "5")]
    pub days_per_week: String,
    /// Contract weekly hours Q.
    #[arg(long, default_value = "38")]
    pub weekly_hours: String,
    /// Reference person's weekly hours S.
    #[arg(long, default_value = "38")]
    pub reference_hours: String,
    /// The day of the calculation (YYYY-MM-DD).
    #[arg(long)]
    pub today: NaiveDate,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Case service database URL.
    #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
    pub database_url: String,
}

#[derive(clap::Args)]
pub struct SynthArgs {
    /// Natural persons to write.
    #[arg(long)]
    pub workers: u64,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 60)]
    pub seed: u64,
    /// Natural persons per form (each form is another employer).
    #[arg(long, default_value_t = 5000)]
    pub persons_per_form: u32,
}

pub fn run(args: DmfaArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DmfaCommand::Inspect(a) => inspect(a),
        DmfaCommand::ToCalc(a) => to_calc(a),
        DmfaCommand::Import(a) => import(a),
        DmfaCommand::Synth(a) => synth(a),
    }
}

/// A progress bar over the bytes of a file; indicatif hides it when stderr is not a terminal.
fn progress_for(path: &Path) -> anyhow::Result<(ProgressBar, indicatif::ProgressBarIter<File>)> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // The reader buffers by itself (64 KiB chunks): no BufReader in between.
    Ok((pb.clone(), pb.wrap_read(f)))
}

/// Reads a file as a stream, handing each item to `on_item`.
fn stream_file(path: &Path, mut on_item: impl FnMut(Item)) -> anyhow::Result<()> {
    let (pb, r) = progress_for(path)?;
    let reader = DmfaReader::new(r)?;
    for item in reader {
        on_item(item.with_context(|| format!("{} cannot be read", path.display()))?);
    }
    pb.finish_and_clear();
    Ok(())
}

fn inspect(a: InspectArgs) -> anyhow::Result<ExitCode> {
    let mut summary = Summary::default();
    let mut shown = Vec::new();
    let mut rejected = Vec::new();
    stream_file(&a.file, |item| match item {
        Item::Person(p) => summary.add_person(&p),
        Item::Rejected(e) => {
            summary.add_rejected(&e);
            if rejected.len() < a.show_rejected {
                rejected.push(e);
            }
        }
    })?;
    shown.extend(rejected);
    let out = io::stdout();
    let mut out = out.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    if !shown.is_empty() {
        eprintln!("rejected records ({} in all):", summary.rejected);
        for e in &shown {
            eprintln!("  {e}");
        }
    }
    Ok(if summary.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_summary(out: &mut impl Write, s: &Summary) -> anyhow::Result<()> {
    let codes = ServiceCodes::embedded()?;
    writeln!(out, "employers: {}", s.employers.len())?;
    for e in s.employers.iter().take(20) {
        writeln!(out, "  {e}")?;
    }
    if s.employers.len() > 20 {
        writeln!(out, "  ... and {} more", s.employers.len() - 20)?;
    }
    writeln!(
        out,
        "workers (natural persons, once per declaration): {}",
        s.persons
    )?;
    for (q, n) in &s.persons_per_quarter {
        writeln!(out, "  {q}: {n}")?;
    }
    writeln!(
        out,
        "worker records: {}, occupations: {}, service lines: {}",
        s.worker_records, s.occupations, s.service_lines
    )?;
    writeln!(out, "days per service code (worker's own regime):")?;
    writeln!(out, "  code  lines        days        hours  category")?;
    for (code, t) in &s.days_per_code {
        let cat = codes.get(*code).map_or("not in Annex 8".to_string(), |i| {
            format!("{:?}", i.category)
        });
        writeln!(
            out,
            "  {code:>4} {:>6} {:>11} {:>12}  {cat}",
            t.lines,
            t.days.to_string(),
            t.hours.to_string()
        )?;
    }
    writeln!(out, "rejected records: {}", s.rejected)?;
    Ok(())
}

fn hundredths(name: &str, s: &str) -> anyhow::Result<Hundredths> {
    serde_json::from_str::<Hundredths>(s.trim()).map_err(|e| anyhow::anyhow!("--{name} {s:?}: {e}"))
}

fn to_calc(a: ToCalcArgs) -> anyhow::Result<ExitCode> {
    let niss = Niss::parse(&a.niss).map_err(|e| anyhow::anyhow!("--niss: {e}"))?;
    let r = hundredths("days-per-week", &a.days_per_week)?;
    let q = hundredths("weekly-hours", &a.weekly_hours)?;
    let s = hundredths("reference-hours", &a.reference_hours)?;

    // Only this person's declarations are kept in memory; the files are streamed.
    let mut mine = Vec::new();
    let mut rejected = 0usize;
    for f in &a.files {
        stream_file(f, |item| match item {
            Item::Person(p) if p.niss == niss => mine.push(p),
            Item::Person(_) => {}
            Item::Rejected(e) => {
                rejected += 1;
                eprintln!("rejected: {e}");
            }
        })?;
    }
    if mine.is_empty() {
        bail!("no declaration for this NISS in the given file(s)");
    }
    let hist = to_history(
        niss,
        &mine,
        &HistoryOptions {
            contract_start: Some(a.contract_start),
            today: Some(a.today),
        },
    )?;
    for n in &hist.notes {
        let q = n.quarter.map(|q| format!(" {q}")).unwrap_or_default();
        let e = n
            .employer
            .as_deref()
            .map(|e| format!(" [{e}]"))
            .unwrap_or_default();
        eprintln!("{:?}{q}{e}: {}", n.kind, n.message);
    }
    let regime = WorkRegime {
        days_per_week: r,
        weekly_hours: q,
        reference_hours: s,
    };
    let req = plan_request(niss, a.contract_start, regime, a.today, &hist.items)
        .map_err(|e| anyhow::anyhow!("the engine refuses the built request: {e}"))?;
    let out = io::stdout();
    let mut out = out.lock();
    serde_json::to_writer_pretty(&mut out, &req)?;
    writeln!(out)?;
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn import(a: ImportArgs) -> anyhow::Result<ExitCode> {
    // Streamed in one transaction at the end: a file that cannot be read stores nothing, and
    // only the declarations of persons in the directory are held in memory.
    let (pb, file) = progress_for(&a.file)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = rt.block_on(async {
        let db = art60_service::Db::connect(&a.database_url)
            .await
            .context("opening the database")?;
        art60_service::dmfa::import_reader(
            &db,
            chrono::Utc::now(),
            art60_service::dmfa::Importer::Operator,
            file,
            None,
        )
        .await
        .with_context(|| format!("importing {}", a.file.display()))
    })?;
    pb.finish_and_clear();
    let mut err = io::stderr().lock();
    print_import_report(&mut err, &report)?;
    let mut out = io::stdout().lock();
    print_import_summary(&mut out, &report)?;
    Ok(
        if report.rejected_total == 0 && report.not_stored.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        },
    )
}

/// The rejected records and lines (where, what, what was left out) and the declarations not
/// stored, one a line.
fn print_import_report(
    out: &mut impl Write,
    report: &art60_service::dmfa::ImportReport,
) -> io::Result<()> {
    for r in &report.rejected {
        writeln!(
            out,
            "rejected: {}: {}; {}",
            r.location, r.problem, r.left_out
        )?;
    }
    let unlisted = report.rejected_total - report.rejected.len() as u64;
    if unlisted > 0 {
        writeln!(out, "rejected: ... and {unlisted} more")?;
    }
    for n in &report.not_stored {
        writeln!(
            out,
            "not stored: form {}, {}, {}, {} ({}): {}",
            n.form, n.person, n.employer, n.quarter, n.reason, n.detail
        )?;
    }
    Ok(())
}

fn print_import_summary(
    out: &mut impl Write,
    report: &art60_service::dmfa::ImportReport,
) -> io::Result<()> {
    writeln!(
        out,
        "stored {} new and {} replaced person declaration(s) for {} person(s); skipped {} (no open request, SPEC §9); {} rejected record(s) or line(s); {} declaration(s) not stored (refused in part, or older than the stored one)",
        report.imported,
        report.replaced,
        report.persons,
        report.skipped,
        report.rejected_total,
        report.not_stored.len()
    )?;
    writeln!(
        out,
        "{} person declaration(s) not stored: their quarter is before anything the open requests can need (SPEC §9); {} sent request(s) recalculated with the new data",
        report.quarters_not_needed, report.recalculated
    )
}

fn synth(a: SynthArgs) -> anyhow::Result<ExitCode> {
    let opts = SynthOptions {
        workers: a.workers,
        seed: a.seed,
        persons_per_form: a.persons_per_form,
    };
    let stats = match &a.out {
        Some(p) => {
            let f = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
            write_synthetic(BufWriter::with_capacity(1 << 16, f), &opts)?
        }
        None => write_synthetic(BufWriter::new(io::stdout().lock()), &opts)?,
    };
    eprintln!(
        "wrote {} form(s), {} person(s), {} occupation(s), {} service line(s)",
        stats.forms, stats.persons, stats.occupations, stats.service_lines
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup
mod tests {
    use super::*;

    fn sample(f: &str) -> PathBuf {
        PathBuf::from(format!(
            "{}/../../../shared/data/dmfa/{f}",
            env!("CARGO_MANIFEST_DIR")
        ))
    }

    #[test]
    fn flags_with_bad_numbers_are_named() {
        assert_eq!(
            hundredths("weekly-hours", "19.5").unwrap(),
            Hundredths(1950)
        );
        let e = hundredths("weekly-hours", "19,5").unwrap_err().to_string();
        assert!(e.starts_with("--weekly-hours \"19,5\""), "{e}");
    }

    #[test]
    fn inspect_exit_code_tells_whether_records_were_rejected() {
        let ok = inspect(InspectArgs {
            file: sample("DmfAOriginal_20223_1_Corrected.xml"),
            json: true,
            show_rejected: 0,
        })
        .unwrap();
        assert_eq!(ok, ExitCode::SUCCESS);
        let bad = inspect(InspectArgs {
            file: sample("DmfAOriginal_20222_1.xml"),
            json: false,
            show_rejected: 1,
        })
        .unwrap();
        assert_eq!(bad, ExitCode::from(2));
    }

    #[test]
    fn synth_then_inspect_and_to_calc_errors() {
        let out = std::env::temp_dir().join(format!("art60-cli-synth-{}.xml", std::process::id()));
        synth(SynthArgs {
            workers: 50,
            out: Some(out.clone()),
            seed: 1,
            persons_per_form: 20,
        })
        .unwrap();
        let code = inspect(InspectArgs {
            file: out.clone(),
            json: true,
            show_rejected: 5,
        })
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        // A valid NISS that is not in the file.
        let e = to_calc(ToCalcArgs {
            files: vec![out.clone()],
            niss: "80010100107".into(),
            contract_start: "2026-01-05".parse().unwrap(),
            days_per_week: "5".into(),
            weekly_hours: "38".into(),
            reference_hours: "38".into(),
            today: "2026-01-01".parse().unwrap(),
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("no declaration for this NISS"), "{e}");
        // Nobody in an empty database has an open request: all skipped, nothing stored.
        let db = std::env::temp_dir().join(format!("art60-cli-dmfa-{}.db", std::process::id()));
        let code = import(ImportArgs {
            file: out.clone(),
            database_url: format!("sqlite://{}?mode=rwc", db.display()),
        })
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        std::fs::remove_file(out).unwrap();
        let e = inspect(InspectArgs {
            file: PathBuf::from("/nonexistent/x.xml"),
            json: false,
            show_rejected: 0,
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("cannot open /nonexistent/x.xml"), "{e}");
    }
}
