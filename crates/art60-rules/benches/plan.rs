#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One plan calculation for a typical history: five prior jobs (one declared through the DmfA)
//! and two extending events. Target (issue 3): median under 20 µs.

use std::hint::black_box;

use art60_rules::{CalcRequest, Detail, Options, ParamSet, calculate, calculate_with};
use criterion::{Criterion, criterion_group, criterion_main};

const TYPICAL: &str = r#"{
  "mode": "plan", "today": "2026-11-20",
  "person": {"birth_date": "1988-04-02"},
  "contract": {"start": "2026-12-01", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
  "history": [
    {"kind": "work", "start": "2019-02-04", "end": "2019-11-29", "regime": {"days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}},
    {"kind": "work", "start": "2020-09-01", "end": "2021-03-31", "regime": {"days_per_week": 5, "weekly_hours": 19, "reference_hours": 38}},
    {"kind": "work", "start": "2022-05-02", "end": "2022-12-23", "regime": {"days_per_week": 4, "weekly_hours": 30.4, "reference_hours": 38}},
    {"kind": "work", "start": "2023-10-02", "end": "2023-12-22", "regime": {"days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}},
    {"kind": "work", "start": "2025-09-01", "end": "2025-12-19", "regime": {"days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
     "source": "dmfa", "quarters": [
       {"quarter": "2025Q3", "lines": [{"category": "effective_work", "days": 20}, {"category": "holiday_pay", "days": 2}]},
       {"quarter": "2025Q4", "lines": [{"category": "effective_work", "days": 51}, {"category": "paid_public_holiday", "days": 3}]}]},
    {"kind": "insured_sickness", "start": "2024-04-02", "end": "2024-08-30"},
    {"kind": "career_break", "start": "2024-09-02", "end": "2025-02-28"}
  ]
}"#;

// The allocator of the `art60` binary: measure what it runs.
#[global_allocator]
static ALLOCATOR: art60_alloc::MiMalloc = art60_alloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let req = CalcRequest::parse(TYPICAL).unwrap();
    let opts = Options::default();
    let params = ParamSet::embedded();
    let r = calculate(&req, &opts, params).unwrap();
    assert!(
        r.end_date().is_some(),
        "the benchmark request must plan an end date"
    );
    c.bench_function("plan_typical_history", |b| {
        b.iter(|| calculate(black_box(&req), &opts, params).unwrap())
    });
    // The decision only (end date, first benefit date, days to work, options, flags), as
    // `art60 calc --batch` computes it.
    c.bench_function("plan_typical_history_summary", |b| {
        b.iter(|| calculate_with(black_box(&req), &opts, params, Detail::Summary).unwrap())
    });
    c.bench_function("parse_and_plan_typical_history", |b| {
        b.iter(|| {
            let req = CalcRequest::parse(black_box(TYPICAL)).unwrap();
            calculate(&req, &opts, params).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
