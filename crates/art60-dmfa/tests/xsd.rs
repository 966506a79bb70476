//! The synthetic declaration validates against the official XSD (xmllint from libxml2-utils),
//! and reading it back gives the counts the generator reports.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use std::process::Command;

use art60_dmfa::summary::Summary;
use art60_dmfa::synth::{SynthOptions, write_synthetic};
use art60_dmfa::{DmfaReader, Item};

#[test]
fn synthetic_file_is_valid_against_the_xsd() {
    let xsd = format!(
        "{}/../../../shared/data/dmfa/DmfAOriginal_20223.xsd",
        env!("CARGO_MANIFEST_DIR")
    );
    let path = std::env::temp_dir().join(format!("art60-dmfa-synth-{}.xml", std::process::id()));
    let opts = SynthOptions {
        workers: 1500,
        seed: 7,
        persons_per_form: 200,
    };
    let stats = write_synthetic(
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
        &opts,
    )
    .unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema", &xsd])
        .arg(&path)
        .output()
        .expect("xmllint is needed for this test: apt-get install libxml2-utils");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("validates"), "{stderr}");

    let f = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let mut s = Summary::default();
    for item in DmfaReader::new(f).unwrap() {
        match item.unwrap() {
            Item::Person(p) => s.add_person(&p),
            Item::Rejected(e) => panic!("{e}"),
        }
    }
    std::fs::remove_file(&path).unwrap();
    assert_eq!(stats.forms, 8);
    assert_eq!(s.persons, stats.persons);
    assert_eq!(s.persons, 1500);
    assert_eq!(s.worker_records, stats.worker_records);
    assert_eq!(s.occupations, stats.occupations);
    assert_eq!(s.service_lines, stats.service_lines);
    assert_eq!(s.employers.len(), 8);
}
