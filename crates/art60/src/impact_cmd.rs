//! `art60 impact`: recompute the stored requests under today's rules, a reform proposal or
//! other policy options, and report which contracts move and by how much (issue 15).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use art60_rules::params::ParamSet;
use art60_service::db::Status;
use art60_service::impact::{self, ImpactRow, Runner, Scenario, Selection, Summary, Tally};
use art60_service::{Clock, Db, SystemClock};
use chrono::NaiveDate;

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Csv,
    Json,
    Text,
}

#[derive(clap::Args)]
pub struct ImpactArgs {
    #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
    database_url: String,
    /// A reform proposal: dated entries in the shape of params/belgium.toml (see
    /// crates/art60-rules/src/proposal.rs). Without it: today's parameters.
    #[arg(long, value_name = "PROPOSAL.toml")]
    params: Option<PathBuf>,
    /// A policy option, name=value (repeatable), set on top of each request's own options.
    #[arg(long = "option", value_name = "NAME=VALUE")]
    options: Vec<String>,
    /// The calculation day of the recomputation (default: today in Brussels).
    #[arg(long, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// Statuses to include, comma-separated (draft, sent, returned, calculated).
    #[arg(long, value_delimiter = ',', default_value = "sent,calculated")]
    status: Vec<String>,
    /// Only this CPAS (id).
    #[arg(long)]
    cpas: Option<i64>,
    /// Only this ONEM office (id).
    #[arg(long)]
    office: Option<i64>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn status_of(s: &str) -> anyhow::Result<Status> {
    Ok(match s.trim() {
        "draft" => Status::Draft,
        "sent" => Status::Sent,
        "returned" => Status::Returned,
        "calculated" => Status::Calculated,
        other => {
            anyhow::bail!("--status: unknown status {other:?} (draft, sent, returned, calculated)")
        }
    })
}

fn tally_line(name: &str, t: &Tally) -> String {
    format!(
        "{name:<14} {:>8} {:>8} {:>10} {:>15} {:>13} {:>13}",
        t.earlier,
        t.later,
        t.unchanged,
        t.not_computable,
        t.working_days_saved,
        t.working_days_added
    )
}

fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    let head = format!(
        "{:<14} {:>8} {:>8} {:>10} {:>15} {:>13} {:>13}\n",
        "", "earlier", "later", "unchanged", "not computable", "days saved", "days added"
    );
    out.push_str(&format!("\n{} requests\n{head}", s.requests));
    out.push_str(&tally_line("all", &s.total));
    out.push('\n');
    for (id, t) in &s.by_cpas {
        out.push_str(&tally_line(&format!("cpas {id}"), t));
        out.push('\n');
    }
    for (id, t) in &s.by_office {
        let name = if *id == 0 {
            "no office".to_string()
        } else {
            format!("office {id}")
        };
        out.push_str(&tally_line(&name, t));
        out.push('\n');
    }
    for (reason, n) in &s.total.reasons {
        out.push_str(&format!("not computable ({n}): {reason}\n"));
    }
    out
}

/// Where the rows go, as they come.
enum Report {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Json { w: Box<dyn Write>, first: bool },
    Text(Box<dyn Write>),
}

impl Report {
    fn start(format: Format, mut w: Box<dyn Write>) -> anyhow::Result<Report> {
        Ok(match format {
            Format::Csv => {
                let mut c = csv::Writer::from_writer(w);
                c.write_record(impact::CSV_HEADER)?;
                Report::Csv(Box::new(c))
            }
            Format::Json => {
                w.write_all(b"{\"rows\":[")?;
                Report::Json { w, first: true }
            }
            Format::Text => {
                writeln!(
                    w,
                    "{:<16} {:>10} {:>10} {:>10} {:>6} {:>5}  why",
                    "reference", "end before", "end after", "change", "days", "wd"
                )?;
                Report::Text(w)
            }
        })
    }

    fn row(&mut self, r: &ImpactRow) -> anyhow::Result<()> {
        match self {
            Report::Csv(c) => c.write_record(impact::csv_record(r))?,
            Report::Json { w, first } => {
                if !*first {
                    w.write_all(b",")?;
                }
                *first = false;
                serde_json::to_writer(&mut *w, r)?;
            }
            Report::Text(w) => {
                let f = impact::csv_record(r);
                writeln!(
                    w,
                    "{:<16} {:>10} {:>10} {:>10} {:>6} {:>5}  {}",
                    f[0], f[7], f[8], f[17], f[18], f[19], f[20]
                )?;
            }
        }
        Ok(())
    }

    fn finish(self, summary: &Summary, scenario: &Scenario) -> anyhow::Result<()> {
        match self {
            Report::Csv(mut c) => c.flush()?,
            Report::Json { mut w, .. } => {
                w.write_all(b"],\"summary\":")?;
                serde_json::to_writer(&mut w, summary)?;
                w.write_all(b",\"proposal\":")?;
                serde_json::to_writer(&mut w, &scenario.proposal)?;
                w.write_all(b",\"parameters\":")?;
                serde_json::to_writer(&mut w, &scenario.params.version)?;
                w.write_all(b"}\n")?;
                w.flush()?;
            }
            Report::Text(mut w) => {
                w.write_all(summary_text(summary).as_bytes())?;
                w.flush()?;
            }
        }
        Ok(())
    }
}

pub fn run(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let statuses = args
        .status
        .iter()
        .map(|s| status_of(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (params, proposal) = match &args.params {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let applied = art60_rules::proposal::apply(ParamSet::embedded(), &text)
                .with_context(|| format!("proposal {}", p.display()))?;
            (applied.params, Some(applied.summary))
        }
        None => (ParamSet::embedded().clone(), None),
    };
    let clock = SystemClock;
    let scenario = Scenario {
        params,
        proposal,
        option_overrides: args.options.clone(),
        as_of: args.as_of.unwrap_or_else(|| clock.today_brussels()),
    };
    let selection = Selection {
        statuses,
        cpas_id: args.cpas,
        office_id: args.office,
    };
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut report = Report::start(args.format, sink).context("writing the report")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = rt.block_on(async {
        let db = Db::connect(&args.database_url)
            .await
            .context("opening the database")?;
        impact::run(
            &db,
            clock.now(),
            Runner::Operator,
            &selection,
            &scenario,
            |r| {
                report.row(r).map_err(|e| {
                    art60_service::ServiceError::Storage(format!("writing the report: {e}"))
                })
            },
        )
        .await
        .context("impact run")
    })?;
    report
        .finish(&summary, &scenario)
        .context("writing the report")?;
    Ok(ExitCode::SUCCESS)
}
