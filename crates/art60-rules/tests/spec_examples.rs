//! SPEC §8 worked examples, each citing its ID.

mod common;
use art60_rules::input::*;
use art60_rules::result::{Outcome, Status, Unit};
use art60_rules::units::{Fixed4, Hundredths};
use common::*;

#[test]
fn ex24_full_time_under_36_start_2024_07_01() {
    let r = run(&plan("1995-03-10", "2024-07-01", regime(5.0, 38.0, 38.0)));
    assert_eq!(end_date(&r), d("2025-06-30"));
    let w = r.winning_option.as_ref().unwrap();
    assert_eq!(w.window.base_start, d("2023-10-01"));
    assert_eq!(w.counted, 312);
    assert_eq!(r.first_benefit_date(), Some(d("2025-07-01")));
}

#[test]
fn ex25_start_2024_07_15() {
    let r = run(&plan("1995-03-10", "2024-07-15", regime(5.0, 38.0, 38.0)));
    assert_eq!(end_date(&r), d("2025-07-11"));
}

#[test]
fn ex26_start_2024_01_01() {
    let r = run(&plan("1995-03-10", "2024-01-01", regime(5.0, 38.0, 38.0)));
    assert_eq!(end_date(&r), d("2024-12-30"));
}

#[test]
fn ex28_over_50_start_2023_06_01() {
    let r = run(&plan("1970-01-15", "2023-06-01", regime(5.0, 38.0, 38.0)));
    assert_eq!(end_date(&r), d("2025-05-29"));
    assert_eq!(r.winning_option.as_ref().unwrap().required, 624);
}
