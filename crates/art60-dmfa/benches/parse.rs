//! Parse throughput on an in-memory synthetic declaration (about 3.6 MB). Run with
//! `cargo bench -p art60-dmfa`; the 1 GB end-to-end comparison is scripts/dmfa/bench.sh.

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup may panic

use art60_dmfa::synth::{SynthOptions, write_synthetic};
use art60_dmfa::{DmfaReader, Item};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn parse(c: &mut Criterion) {
    let mut xml = Vec::new();
    let opts = SynthOptions {
        workers: 2000,
        seed: 1,
        persons_per_form: 500,
    };
    write_synthetic(&mut xml, &opts).unwrap();
    let mut g = c.benchmark_group("dmfa");
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("stream_parse_2000_persons", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for item in DmfaReader::new(&xml[..]).unwrap() {
                if let Item::Person(p) = item.unwrap() {
                    n += p.worker_records.len() as u64;
                }
            }
            assert_eq!(n, 2000);
        })
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
