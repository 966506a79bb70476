//! What `art60 dmfa synth --workers N --out FILE` does (seed 60, 5000 persons per form, the
//! CLI's defaults), without building the whole binary: `cargo run --release -p art60-dmfa
//! --example synth -- N FILE`. Same seed and options, so the same bytes.

use std::fs::File;
use std::io::BufWriter;

use art60_dmfa::synth::{SynthOptions, write_synthetic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workers, out] = args.as_slice() else {
        return Err("usage: synth WORKERS FILE".into());
    };
    let opts = SynthOptions {
        workers: workers.parse()?,
        seed: 60,
        persons_per_form: 5000,
    };
    let stats = write_synthetic(BufWriter::with_capacity(1 << 16, File::create(out)?), &opts)?;
    eprintln!(
        "wrote {} form(s), {} person(s), {} occupation(s), {} service line(s)",
        stats.forms, stats.persons, stats.occupations, stats.service_lines
    );
    Ok(())
}
