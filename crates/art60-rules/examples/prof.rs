#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Profiling harness for `valgrind --tool=callgrind` (instruction counts are repeatable
//! whatever the machine's load; see BENCHMARKS.md). A `.json` request runs 200 times; a
//! `.jsonl` file runs each line once. `PROF_DETAIL=summary` builds the decision only.
//!
//! `cargo build --release -p art60-rules --example prof &&
//!  valgrind --tool=callgrind target/release/examples/prof REQUEST.json`

// The allocator of the `art60` binary: measure what it runs.
#[global_allocator]
static ALLOCATOR: art60_alloc::MiMalloc = art60_alloc::MiMalloc;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: prof REQUEST.json|REQUESTS.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let options = art60_rules::Options::default();
    let params = art60_rules::ParamSet::embedded();
    let requests: Vec<art60_rules::CalcRequest> = if path.ends_with(".jsonl") {
        text.lines()
            .map(|l| art60_rules::CalcRequest::parse(l).unwrap())
            .collect()
    } else {
        let one = art60_rules::CalcRequest::parse(&text).unwrap();
        vec![one; 200]
    };
    // PROF_DETAIL=summary: the decision only, as `art60 calc --batch` computes it.
    let detail = match std::env::var("PROF_DETAIL").as_deref() {
        Ok("summary") => art60_rules::Detail::Summary,
        _ => art60_rules::Detail::Full,
    };
    let mut steps = 0;
    for req in &requests {
        let r = art60_rules::calculate_with(req, &options, params, detail).unwrap();
        steps += r.trace.len();
    }
    println!("{} requests, {steps} steps", requests.len());
}
