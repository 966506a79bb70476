//! What `art60 dmfa inspect --json FILE` does, without the CLI (no progress bar): reads FILE
//! as a stream and prints the summary as JSON. Built alone in a few minutes, where the whole
//! `art60` binary takes about twenty: `cargo run --release -p art60-dmfa --example inspect -- FILE`.
//! With `--items` it only reads the items (the import path's parse: persons and rejections,
//! no summary), and prints their counts.

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;

use art60_dmfa::summary::Summary;
use art60_dmfa::{DmfaReader, Item};

fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut items_only = false;
    let mut file = None;
    for a in args.by_ref() {
        if a == "--items" {
            items_only = true;
        } else {
            file = Some(a);
        }
    }
    let Some(file) = file else {
        eprintln!("usage: inspect [--items] FILE");
        return Ok(ExitCode::from(64));
    };
    let reader = DmfaReader::new(File::open(&file)?)?;
    let out = io::stdout();
    let mut out = out.lock();
    if items_only {
        let (mut persons, mut rejected) = (0u64, 0u64);
        for item in reader {
            match item? {
                Item::Person(p) => {
                    persons += 1;
                    std::hint::black_box(p);
                }
                Item::Rejected(_) => rejected += 1,
            }
        }
        writeln!(out, "{{\"persons\": {persons}, \"rejected\": {rejected}}}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut summary = Summary::default();
    for item in reader {
        match item? {
            Item::Person(p) => summary.add_person(&p),
            Item::Rejected(e) => summary.add_rejected(&e),
        }
    }
    serde_json::to_writer_pretty(&mut out, &summary)?;
    writeln!(out)?;
    Ok(if summary.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
