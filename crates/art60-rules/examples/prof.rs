#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Profiling harness: runs one request 200 times, for `valgrind --tool=callgrind`
//! (instruction counts are repeatable whatever the machine's load; see BENCHMARKS.md).
//!
//! `cargo build --release -p art60-rules --example prof &&
//!  valgrind --tool=callgrind target/release/examples/prof REQUEST.json`

fn main() {
    let path = std::env::args().nth(1).expect("usage: prof REQUEST.json");
    let text = std::fs::read_to_string(path).unwrap();
    let req = art60_rules::CalcRequest::parse(&text).unwrap();
    let options = art60_rules::Options::default();
    let mut steps = 0;
    for _ in 0..200 {
        let r = art60_rules::calculate(&req, &options, art60_rules::ParamSet::embedded()).unwrap();
        steps += r.trace.len();
    }
    println!("{steps} steps");
}
