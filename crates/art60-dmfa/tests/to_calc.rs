//! The engine input built from the sample declarations, as `art60 dmfa to-calc` prints it
//! (snapshot: the shape matters to the engine and to the case service).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use art60_dmfa::{HistoryOptions, parse_file, plan_request, to_history};
use art60_rules::Niss;
use art60_rules::input::WorkRegime;

#[test]
fn plan_request_from_two_quarters() {
    let p = parse_file(format!(
        "{}/../../../shared/data/dmfa/DmfAOriginal_2Quarters.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let niss = Niss::parse("97010100173").unwrap();
    let start = "2023-02-01".parse().unwrap();
    let h = to_history(
        niss,
        &p.persons,
        &HistoryOptions {
            contract_start: Some(start),
            today: Some("2023-01-20".parse().unwrap()),
        },
    )
    .unwrap();
    let req = plan_request(
        niss,
        start,
        WorkRegime::full_time_5(),
        "2023-01-20".parse().unwrap(),
        &h.items,
    )
    .unwrap();
    insta::assert_json_snapshot!(req);
    insta::assert_json_snapshot!("notes", h.notes);
}

#[test]
fn unknown_birth_date_is_refused_with_the_field() {
    // Bis number with month 00: no birth date can be derived.
    let body = 970_000_123u64;
    let niss = Niss::parse(&format!("{body:09}{:02}", 97 - body % 97)).unwrap();
    let e = plan_request(
        niss,
        "2023-02-01".parse().unwrap(),
        WorkRegime::full_time_5(),
        "2023-01-20".parse().unwrap(),
        &[],
    )
    .unwrap_err();
    assert_eq!(e.path, "person.niss");
}
