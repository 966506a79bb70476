#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The engine's share of `art60 calc --batch`, without building the binary (its release build
//! takes ~20 min on the shared machine): each JSON line parsed, calculated and written out,
//! on N threads. Two uses:
//!
//! - throughput: `batch REQUESTS.jsonl --threads 2` prints the wall time and the rate of
//!   summaries (parse, `Detail::Summary`, the decision as one JSON line), like `calc --batch`;
//! - same answers: `batch REQUESTS.jsonl --full [--lang fr] [--option key=value]...` prints
//!   every result in full (JSON) with its rendered explanation, to compare two builds byte
//!   for byte (scripts/bench/same_answers.sh does the same with two `art60` binaries);
//!   `--summary-json` prints the whole result of the summary instead (`Detail::Summary`: no
//!   explanation, which changes how the engine reaches the answer, not the answer).
//!
//! `cargo build --release -p art60-rules --example batch`

use std::io::Write;
use std::time::Instant;

use art60_rules::explain::{self, Lang};
use art60_rules::{CalcRequest, Detail, Options, ParamSet, calculate_with};

// The allocator of the `art60` binary: measure what it runs.
#[global_allocator]
static ALLOCATOR: art60_alloc::MiMalloc = art60_alloc::MiMalloc;

/// What a line prints.
#[derive(Clone, Copy)]
enum Print {
    /// The decision, as `calc --batch` writes it.
    Summary,
    /// The summary's whole result.
    SummaryJson,
    /// The whole result and its explanation rendered in this language.
    Full(Lang),
}

/// One output line, as `calc --batch` writes a summary (or the whole result with `--full`).
fn line(n: usize, text: &str, options: &Options, print: Print) -> String {
    let params = ParamSet::embedded();
    let req = match CalcRequest::parse(text) {
        Ok(r) => r,
        Err(e) => return format!("{{\"line\":{n},\"error\":{:?}}}", e.to_string()),
    };
    let detail = match print {
        Print::Full(_) => Detail::Full,
        Print::Summary | Print::SummaryJson => Detail::Summary,
    };
    match calculate_with(&req, options, params, detail) {
        Ok(r) => match print {
            Print::SummaryJson => serde_json::to_string(&r).unwrap(),
            Print::Full(lang) => {
                let mut s = serde_json::to_string(&r).unwrap();
                s.push('\t');
                s.push_str(&explain::render(&r, lang).replace('\n', "\\n"));
                s
            }
            Print::Summary => {
                let w = r.winning_option.as_ref();
                serde_json::json!({
                    "line": n, "outcome": &r.outcome, "regime": &r.regime, "status": &r.status,
                    "option": w.map(|w| w.id.as_str()), "required": w.map(|w| w.required),
                    "counted": w.map(|w| w.counted), "provisional": r.is_provisional(),
                    "manual_review": r.needs_manual_review(),
                })
                .to_string()
            }
        },
        Err(e) => format!("{{\"line\":{n},\"error\":{:?}}}", e.to_string()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .expect("usage: batch REQUESTS.jsonl [--threads N] [--full|--summary-json] [--lang L] [--option k=v]...");
    let mut threads = 1usize;
    let mut full = false;
    let mut summary_json = false;
    let mut lang = Lang::Fr;
    let mut options = Options::default();
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--threads" => threads = it.next().unwrap().parse().unwrap(),
            "--full" => full = true,
            "--summary-json" => summary_json = true,
            "--lang" => lang = Lang::parse(it.next().unwrap()).unwrap(),
            "--option" => options.set(it.next().unwrap()).unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    let print = match (full, summary_json) {
        (true, _) => Print::Full(lang),
        (false, true) => Print::SummaryJson,
        (false, false) => Print::Summary,
    };
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let started = Instant::now();
    let chunk = lines.len().div_ceil(threads.max(1)).max(1);
    let outputs: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = lines
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let options = &options;
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, l)| line(c * chunk + i + 1, l, options, print))
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for l in outputs.iter().flatten() {
        writeln!(out, "{l}").unwrap();
    }
    out.flush().unwrap();
    eprintln!(
        "{} requests on {threads} threads in {elapsed:.3} s: {:.0} a second",
        lines.len(),
        lines.len() as f64 / elapsed
    );
}
