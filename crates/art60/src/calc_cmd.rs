//! `art60 calc`: run the engine on JSON requests, one file or a JSON-lines batch.
//!
//! Exit codes: 0 computed, 2 bad input (the error names the JSON path), 3 no rule in force
//! for a date, 1 anything else (unreadable file...).

use std::io::{BufRead, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use art60_rules::explain::{self, Lang};
use art60_rules::result::Outcome;
use art60_rules::{
    CalcError, CalcRequest, CalcResult, Detail, Options, ParamSet, calculate, calculate_with,
};
use rayon::prelude::*;
use serde_json::json;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(clap::Args)]
pub struct CalcArgs {
    /// Request file (JSON), or - for standard input.
    #[arg(required_unless_present = "schema")]
    pub file: Option<String>,
    /// The input is JSON lines: one request per line, one result per line; bad lines are
    /// reported and skipped.
    #[arg(long)]
    pub batch: bool,
    /// With --batch: print the whole result for each line instead of a summary.
    #[arg(long)]
    pub full: bool,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Add the explanation, step by step.
    #[arg(long)]
    pub explain: bool,
    /// Language of the explanation: en, fr, nl, de.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// A policy option, name=value (repeatable), e.g. quarter_cap_method=average.
    #[arg(long = "option", value_name = "NAME=VALUE")]
    pub options: Vec<String>,
    /// Use this parameter file instead of the embedded one.
    #[arg(long, value_name = "FILE")]
    pub params: Option<String>,
    /// ONEM's own contract end date (an override): evaluate the plan request at this end
    /// instead of searching for it; gives the DA, the days to work and whether the person is
    /// admissible then.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "batch")]
    pub end: Option<chrono::NaiveDate>,
    /// Print the JSON Schema of the request and exit.
    #[arg(long)]
    pub schema: bool,
}

const EXIT_BAD_INPUT: u8 = 2;
const EXIT_NO_RULE: u8 = 3;

pub fn run(args: CalcArgs) -> anyhow::Result<ExitCode> {
    if args.schema {
        let schema = schemars::schema_for!(CalcRequest);
        println!("{}", serde_json::to_string_pretty(&schema)?);
        return Ok(ExitCode::SUCCESS);
    }
    let lang = Lang::parse(&args.lang)
        .ok_or_else(|| anyhow::anyhow!("--lang: expected en, fr, nl or de"))?;
    let mut options = Options::default();
    for o in &args.options {
        if let Err(e) = options.set(o) {
            eprintln!("error: --option: {e}");
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    }
    let owned;
    let params: &ParamSet = match &args.params {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {p}"))?;
            owned = ParamSet::from_toml(&text).with_context(|| format!("parameter file {p}"))?;
            &owned
        }
        None => ParamSet::embedded(),
    };
    let file = args.file.clone().unwrap_or_else(|| "-".into());
    if args.batch {
        return batch(&file, &args, &options, params, lang);
    }
    let mut text = String::new();
    if file == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
    }
    let req = match CalcRequest::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: invalid input at {}: {}", e.path, e.reason);
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let computed = match args.end {
        Some(end) => art60_rules::calculate_fixed_end(&req, end, &options, params),
        None => calculate(&req, &options, params),
    };
    match computed {
        Ok(result) => {
            let out = match args.format {
                Format::Json => {
                    let mut v = serde_json::to_value(&result)?;
                    if args.explain {
                        v["explanation"] = json!(explanation_lines(&result, lang));
                        v["plain"] = json!(explain::plain(&result, lang));
                    }
                    serde_json::to_string_pretty(&v)?
                }
                Format::Text => text_report(&result, args.explain, lang),
            };
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(exit_code(&e)))
        }
    }
}

fn exit_code(e: &CalcError) -> u8 {
    match e {
        CalcError::InvalidInput(_) => EXIT_BAD_INPUT,
        CalcError::NoRuleInForce(_) => EXIT_NO_RULE,
    }
}

fn explanation_lines(r: &CalcResult, lang: Lang) -> Vec<String> {
    r.trace
        .iter()
        .map(|s| explain::render_step(s, lang))
        .collect()
}

/// The short human summary, then (with --explain) the numbered steps.
pub fn text_report(r: &CalcResult, with_explanation: bool, lang: Lang) -> String {
    let mut out = String::new();
    match &r.outcome {
        Outcome::Planned {
            end_date,
            first_benefit_date,
            days_to_work,
            contract_contribution,
        } => {
            out.push_str(&format!(
                "Contract end date:       {end_date}\nFirst benefit date (DA): {first_benefit_date}\nWorking days to work:    {days_to_work}\nContract contribution:   {contract_contribution}\n"
            ));
        }
        Outcome::Fixed {
            end_date,
            first_benefit_date,
            days_to_work,
            contract_contribution,
            admissible,
        } => {
            out.push_str(&format!(
                "Contract end date (ONEM): {end_date}\nFirst benefit date (DA):  {first_benefit_date}\nWorking days to work:     {days_to_work}\nContract contribution:    {contract_contribution}\nAdmissible on the DA:     {}\n",
                if *admissible { "yes" } else { "no" }
            ));
        }
        Outcome::NoStageRequired { first_benefit_date } => out.push_str(&format!(
            "No qualifying period required; benefits from {first_benefit_date}\n"
        )),
        Outcome::Assessed {
            application_date,
            admissible,
        } => out.push_str(&format!(
            "Application date: {application_date}\nAdmissible:       {}\n",
            if *admissible { "yes" } else { "no" }
        )),
        Outcome::Unreachable {
            best_counted,
            required,
            reason,
            scanned_until,
        } => out.push_str(&format!(
            "Unreachable until {scanned_until}: best {best_counted} of {required} ({reason})\n"
        )),
    }
    if let Some(reason) = &r.no_stage_required {
        out.push_str(&format!("No qualifying period required: {reason}\n"));
    }
    if let Some(w) = r
        .winning_option
        .as_ref()
        .filter(|_| r.no_stage_required.is_none())
    {
        out.push_str(&format!(
            "Requirement:             {} {:?} ({}, {}), counted {} ({}); window {} to {}\n",
            w.required,
            w.unit,
            w.id,
            w.article,
            w.counted,
            w.counted_exact,
            w.window.start,
            w.window.end
        ));
    }
    if let Some(reg) = r.regime {
        out.push_str(&format!("Regime:                  {reg:?}\n"));
    }
    if let Some(a) = &r.alternative
        && let Some(e) = a.end_date
    {
        out.push_str(&format!(
            "Other cap method ({:?}): {e}; safe end date {}\n",
            a.method,
            a.safe_end_date.unwrap_or(e)
        ));
    }
    if let Some(rd) = &r.right {
        out.push_str(&format!(
            "Right:                   {} months from {} ({})\n",
            rd.months,
            rd.from,
            rd.until
                .map_or("unlimited".to_string(), |u| format!("until {u}"))
        ));
    }
    for f in &r.provisional {
        out.push_str(&format!("PROVISIONAL: {}\n", f.detail));
    }
    for f in &r.manual_review {
        out.push_str(&format!("MANUAL REVIEW: {}\n", f.detail));
    }
    if with_explanation {
        // The same plain explanation as the portal and the API: the answer, why, then the
        // calculation step by step.
        let p = explain::plain(r, lang);
        out.push('\n');
        out.push_str(&p.answer);
        out.push_str("\n\n");
        for w in &p.why {
            out.push_str("- ");
            out.push_str(w);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&explain::render(r, lang));
    }
    out
}

/// One summary line of `--batch`, serialised directly (no intermediate JSON tree).
#[derive(serde::Serialize)]
struct Summary<'r> {
    line: usize,
    outcome: &'r art60_rules::result::Outcome,
    regime: &'r Option<art60_rules::params::RegimeId>,
    status: &'r Option<art60_rules::result::Status>,
    option: Option<&'r str>,
    required: Option<i64>,
    counted: Option<i64>,
    provisional: bool,
    manual_review: bool,
}

fn summary(r: &CalcResult, line: usize) -> Summary<'_> {
    let w = r.winning_option.as_ref();
    Summary {
        line,
        outcome: &r.outcome,
        regime: &r.regime,
        status: &r.status,
        option: w.map(|w| w.id.as_str()),
        required: w.map(|w| w.required),
        counted: w.map(|w| w.counted),
        provisional: r.is_provisional(),
        manual_review: r.needs_manual_review(),
    }
}

/// One output line for one input line (never fails: errors become error lines).
fn process_line(
    n: usize,
    line: &str,
    args: &CalcArgs,
    options: &Options,
    params: &ParamSet,
    lang: Lang,
) -> (String, bool) {
    let err = |kind: &str, path: Option<&str>, msg: String| {
        let v = json!({"line": n, "error": {"kind": kind, "path": path, "message": msg}});
        (v.to_string(), false)
    };
    let req = match CalcRequest::parse(line) {
        Ok(r) => r,
        Err(e) => return err("invalid_input", Some(&e.path), e.reason),
    };
    // A summary line needs neither the explanation nor the other method's date.
    let detail = if args.full || args.explain || args.format == Format::Text {
        Detail::Full
    } else {
        Detail::Summary
    };
    match calculate_with(&req, options, params, detail) {
        Ok(r) => {
            let text = match args.format {
                Format::Text => format!(
                    "line {n}: {}",
                    text_report(&r, args.explain, lang).replace('\n', "; ")
                ),
                Format::Json if !args.full && !args.explain => {
                    // Serialising plain data to a string cannot fail.
                    serde_json::to_string(&summary(&r, n)).unwrap_or_default()
                }
                Format::Json => {
                    let mut v = if args.full {
                        serde_json::to_value(&r).unwrap_or_default()
                    } else {
                        serde_json::to_value(summary(&r, n)).unwrap_or_default()
                    };
                    v["line"] = json!(n);
                    if args.explain {
                        v["explanation"] = json!(explanation_lines(&r, lang));
                    }
                    v.to_string()
                }
            };
            (text, true)
        }
        Err(CalcError::InvalidInput(e)) => err("invalid_input", Some(&e.path), e.reason),
        Err(e @ CalcError::NoRuleInForce(_)) => err("no_rule_in_force", None, e.to_string()),
    }
}

/// Lines read for one parallel step: enough to keep both cores busy, few enough to keep
/// memory flat on large inputs.
const CHUNK: usize = 8192;

/// The non-empty lines of one parallel step, in one text buffer kept from step to step rather
/// than a `String` a line allocated by the reading thread and freed by the computing ones.
#[derive(Default)]
struct Chunk {
    text: String,
    /// Line number and place in `text`, without the line end.
    lines: Vec<(usize, std::ops::Range<usize>)>,
}

impl Chunk {
    fn line(&self, at: &std::ops::Range<usize>) -> &str {
        self.text.get(at.clone()).unwrap_or_default()
    }
}

/// Reads the next non-empty lines into `chunk` (left empty at the end of the input).
fn read_chunk(reader: &mut dyn BufRead, n: &mut usize, chunk: &mut Chunk) -> anyhow::Result<()> {
    chunk.text.clear();
    chunk.lines.clear();
    while chunk.lines.len() < CHUNK {
        let start = chunk.text.len();
        let read = reader
            .read_line(&mut chunk.text)
            .with_context(|| format!("reading line {}", *n + 1))?;
        if read == 0 {
            break;
        }
        *n += 1;
        // As `BufRead::lines` ends a line: "\n" or "\r\n".
        let line = &chunk.text[start..];
        let line = line
            .strip_suffix('\n')
            .map_or(line, |l| l.strip_suffix('\r').unwrap_or(l));
        let (end, blank) = (start + line.len(), line.trim().is_empty());
        if blank {
            chunk.text.truncate(start);
            continue;
        }
        chunk.lines.push((*n, start..end));
    }
    Ok(())
}

/// Output lines in input order; counts the lines written and the refused ones.
fn write_results(
    out: &mut impl Write,
    results: &[(String, bool)],
    total: &mut usize,
    bad: &mut usize,
) -> anyhow::Result<()> {
    for (text, ok) in results {
        *total += 1;
        if !ok {
            *bad += 1;
        }
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn batch(
    file: &str,
    args: &CalcArgs,
    options: &Options,
    params: &ParamSet,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let mut reader: Box<dyn BufRead + Send> = if file == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {file}"))?,
        ))
    };
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout());
    let mut n = 0usize;
    let mut bad = 0usize;
    let mut total = 0usize;
    // While both cores compute one chunk, the previous chunk's results are written and the
    // next chunk is read into the other buffer; the output keeps the input order.
    let mut written: Vec<(String, bool)> = Vec::new();
    let mut chunk = Chunk::default();
    let mut next = Chunk::default();
    read_chunk(&mut reader, &mut n, &mut chunk)?;
    while !chunk.lines.is_empty() {
        let (results, read) = rayon::join(
            || {
                chunk
                    .lines
                    .par_iter()
                    .map(|(i, at)| process_line(*i, chunk.line(at), args, options, params, lang))
                    .collect::<Vec<_>>()
            },
            || -> anyhow::Result<()> {
                write_results(&mut out, &written, &mut total, &mut bad)?;
                read_chunk(&mut reader, &mut n, &mut next)
            },
        );
        written = results;
        if let Err(e) = read {
            // What was computed is still written before the read error is reported.
            write_results(&mut out, &written, &mut total, &mut bad)?;
            out.flush()?;
            return Err(e);
        }
        std::mem::swap(&mut chunk, &mut next);
    }
    write_results(&mut out, &written, &mut total, &mut bad)?;
    out.flush()?;
    eprintln!("{total} requests, {} computed, {bad} refused", total - bad);
    Ok(if bad > 0 {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
