#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Engine behaviour beyond the worked examples: regime and age changes during the scan,
//! absences, refusals and errors.

mod common;
use art60_rules::input::*;
use art60_rules::params::RegimeId;
use art60_rules::result::Outcome;
use art60_rules::{CalcError, Options, ParamSet, calculate};
use common::*;

#[test]
fn da_crossing_2026_03_01_switches_the_requirement() {
    // Age 36 from 2025-05-20: the old rules want 468 days in 33 months (art. 32 fails); from
    // DA 2026-03-01 the new rules want 312 days in 36 months, already reached.
    let mut req = plan("1989-05-20", "2025-01-06", regime(5.0, 38.0, 38.0));
    req.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        ..period(PeriodKind::Work, "2023-02-01", "2023-07-31")
    }];
    let r = run(&req);
    assert_eq!(end_date(&r), d("2026-02-28"));
    assert_eq!(r.regime, Some(RegimeId::New));
    assert_eq!(r.winning_option.as_ref().unwrap().required, 312);
}

#[test]
fn age_crossing_36_raises_the_old_requirement() {
    // At 35 the contract would end on 2024-12-30 (EX26); the person turns 36 on 2024-10-01,
    // so on that DA the own band is 468 days in 33 months.
    let r = run(&plan("1988-10-01", "2024-01-01", regime(5.0, 38.0, 38.0)));
    assert_eq!(end_date(&r), d("2025-06-30"));
    assert_eq!(r.winning_option.as_ref().unwrap().required, 468);
    assert_eq!(r.age, Some(36));
    let young = run(&plan("1989-10-01", "2024-01-01", regime(5.0, 38.0, 38.0)));
    assert_eq!(end_date(&young), d("2024-12-30"));
}

#[test]
fn part_time_below_art33_hours_is_unreachable_with_the_reason() {
    let r = run(&plan("1995-03-10", "2026-12-07", regime(5.0, 8.0, 38.0)));
    match &r.outcome {
        Outcome::Unreachable { reason, .. } => assert!(reason.contains("art. 33 1°"), "{reason}"),
        o => panic!("expected unreachable, got {o:?}"),
    }
    // 12 h a week meets art. 33 1°.
    assert!(
        run(&plan("1995-03-10", "2026-12-07", regime(5.0, 12.0, 38.0)))
            .end_date()
            .is_some()
    );
}

#[test]
fn no_rule_in_force_is_an_error() {
    let e = calculate(
        &assess("1980-01-01", "2012-10-31"),
        &Options::default(),
        ParamSet::embedded(),
    )
    .unwrap_err();
    assert!(
        matches!(e, CalcError::NoRuleInForce(ref n) if n.parameter == "regime"),
        "{e}"
    );
    let e = calculate(
        &plan("1980-01-01", "2011-05-02", regime(5.0, 38.0, 38.0)),
        &Options::default(),
        ParamSet::embedded(),
    )
    .unwrap_err();
    assert!(matches!(e, CalcError::NoRuleInForce(_)));
}

fn with_absence(mut req: CalcRequest, kind: AbsenceKind, start: &str, end: &str) -> CalcRequest {
    req.contract.as_mut().unwrap().absences.push(Absence {
        kind,
        start: d(start),
        end: d(end),
    });
    req
}

#[test]
fn insured_sickness_counts_in_the_old_regime_and_extends_in_the_new() {
    let old = plan("1995-03-10", "2024-07-01", regime(5.0, 38.0, 38.0));
    let old_sick = with_absence(
        old.clone(),
        AbsenceKind::InsuredSickness,
        "2024-10-07",
        "2024-10-18",
    );
    assert_eq!(end_date(&run(&old_sick)), end_date(&run(&old)));

    let new = plan("1995-03-10", "2026-07-01", regime(5.0, 38.0, 38.0));
    let base = end_date(&run(&new));
    let sick = run(&with_absence(
        new.clone(),
        AbsenceKind::InsuredSickness,
        "2026-10-05",
        "2026-10-16",
    ));
    // Base: four whole quarters, 2026-06-30. With ten weekdays not counted, Q4/2026 is no
    // longer whole: 56 x 1.2 = 67.2 instead of 78, so 10.8 days (9 weekdays) are missing:
    // 2027-07-13. The window is extended by the 12 calendar days of the absence.
    assert_eq!(base, d("2027-06-30"));
    assert_eq!(end_date(&sick), d("2027-07-13"));
    let w = sick.winning_option.as_ref().unwrap();
    assert_eq!(w.window.extensions.len(), 1);
    assert_eq!(w.window.extensions[0].length_days, 12);
    // Guaranteed pay counts in both regimes.
    let gp = run(&with_absence(
        new,
        AbsenceKind::GuaranteedPaySickness,
        "2026-10-05",
        "2026-10-16",
    ));
    assert_eq!(end_date(&gp), base);
}

#[test]
fn unpaid_leave_old_regime_within_12_days_a_year() {
    let base = plan("1995-03-10", "2024-07-01", regime(5.0, 38.0, 38.0));
    let e0 = end_date(&run(&base));
    // 10 weekdays = 12 R6 days: all within the cap.
    let ten = with_absence(
        base.clone(),
        AbsenceKind::UnpaidLeave,
        "2024-10-07",
        "2024-10-18",
    );
    assert_eq!(end_date(&run(&ten)), e0);
    // 20 weekdays = 24 R6 days in 2024: 12 are lost, about two more weeks of work.
    let twenty = with_absence(base, AbsenceKind::UnpaidLeave, "2024-10-07", "2024-11-01");
    assert!(end_date(&run(&twenty)) > e0);
}

#[test]
fn history_periods_must_end_before_the_contract() {
    let mut req = plan("1995-03-10", "2024-07-01", regime(5.0, 38.0, 38.0));
    req.history = vec![period(PeriodKind::Work, "2024-01-01", "2024-07-05")];
    let e = req.check().unwrap_err();
    assert_eq!(e.path, "history[0].end");
}

fn parse_err(json: &str) -> InputError {
    CalcRequest::parse(json).unwrap_err()
}

const BASE: &str = r#"{"mode":"plan","today":"2026-11-20","person":{"birth_date":"1990-01-25"},
 "contract":{"start":"2026-12-01","days_per_week":5,"weekly_hours":38,"reference_hours":38}"#;

#[test]
fn bad_input_names_the_field() {
    let e = parse_err(&format!(
        "{BASE}, \"history\":[{{\"kind\":\"holiday_abroad\",\"start\":\"2020-01-01\",\"end\":\"2020-02-01\"}}]}}"
    ));
    assert_eq!(e.path, "history[0].kind");
    let e = parse_err(&(BASE.replace("\"weekly_hours\":38", "\"weekly_hours\":40") + "}"));
    assert_eq!(e.path, "contract.weekly_hours");
    assert!(e.reason.contains("Q cannot exceed S"));
    let e = parse_err(&(BASE.replace("\"days_per_week\":5", "\"days_per_week\":8") + "}"));
    assert_eq!(e.path, "contract.days_per_week");
    let e = parse_err(&format!(
        "{BASE}, \"history\":[{{\"kind\":\"detention\",\"start\":\"2020-03-01\",\"end\":\"2020-02-01\"}}]}}"
    ));
    assert_eq!(e.path, "history[0].end");
    assert!(e.reason.contains("before start"));
    let e = parse_err(
        &(BASE.replace(
            "{\"birth_date\"",
            "{\"niss\":\"90012503399\",\"birth_date\"",
        ) + "}"),
    );
    assert_eq!(e.path, "person.niss");
    let e = parse_err(&(BASE.replace("2026-12-01", "2026-13-01") + "}"));
    assert_eq!(e.path, "contract.start");
    let e = parse_err(&format!(
        "{BASE}, \"history\":[{{\"kind\":\"detention\",\"start\":\"2020-01-01\",\"end\":\"2020-06-01\"}},{{\"kind\":\"detention\",\"start\":\"2020-05-01\",\"end\":\"2020-08-01\"}}]}}"
    ));
    assert_eq!(e.path, "history[1].start");
    assert!(e.reason.contains("overlaps history[0]"));
    let e = parse_err(&format!(
        "{BASE}, \"history\":[{{\"kind\":\"work\",\"start\":\"2020-01-01\",\"end\":\"2020-06-01\"}},{{\"kind\":\"detention\",\"start\":\"2020-05-01\",\"end\":\"2020-08-01\"}}]}}"
    ));
    assert_eq!(e.path, "history[1].start");
    assert!(e.reason.contains("contradicts history[0]"), "{}", e.reason);
    let e = parse_err(&(BASE.to_string() + ", \"surprise\": 1}"));
    assert_eq!(e.path, "surprise");
    assert!(e.reason.contains("unknown field"), "{}", e.reason);
}

#[test]
fn results_record_options_and_parameter_versions() {
    let r = run_with(
        &plan("1995-03-10", "2026-12-01", regime(5.0, 38.0, 38.0)),
        &opts(&["extension_unit=years_months"]),
    );
    assert_eq!(
        r.options.extension_unit,
        art60_rules::options::ExtensionUnit::YearsMonths
    );
    assert_eq!(r.parameters.version, ParamSet::embedded().version);
    let keys: Vec<_> = r.parameters.used.iter().map(|u| u.key.as_ref()).collect();
    for k in ["regime", "stage", "counting", "categories", "extensions"] {
        assert!(keys.contains(&k), "{k} not recorded: {keys:?}");
    }
    assert!(r.parameters.used.iter().all(|u| !u.reference.is_empty()));
}

#[test]
fn every_trace_key_has_a_translation() {
    let examples =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")).unwrap();
    let mut seen = 0;
    for f in examples {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        let r = run(&CalcRequest::parse(&text).unwrap());
        for s in &r.trace {
            assert!(
                art60_rules::explain::KEYS.contains(&s.key.as_ref()),
                "{}",
                s.key
            );
            seen += 1;
        }
    }
    assert!(seen > 20);
}

#[test]
fn typed_periods_in_quarters_without_dmfa_yet_are_provisional() {
    // On 2026-11-20 the DmfA of 2026Q4 cannot exist, nor 2026Q3 before the end of October.
    let mut req = plan("1995-03-10", "2026-12-01", regime(5.0, 38.0, 38.0));
    req.today = d("2026-11-20");
    req.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        ..period(PeriodKind::Work, "2026-03-02", "2026-11-27")
    }];
    let r = run(&req);
    let pending: Vec<_> = r
        .provisional
        .iter()
        .filter(|f| f.key == "provisional.dmfa_pending")
        .collect();
    assert_eq!(pending.len(), 1, "{:?}", r.provisional);
    assert!(pending[0].detail.contains("2026Q4"));
    req.today = d("2026-10-15");
    let r = run(&req);
    assert!(r.provisional.iter().any(|f| f.detail.contains("2026Q3")));
}

#[test]
fn art212_flagged_when_still_readmissible_under_the_old_art42() {
    // New regime DA; last allowance 2025-06-30 lies within the old 3-year window.
    let mut req = assess("1988-06-01", "2026-09-01");
    req.last_paid_unemployment = Some(LastPaid::Day(d("2025-06-30")));
    let r = run(&req);
    assert!(
        r.manual_review
            .iter()
            .any(|f| f.key == "manual_review.art212"),
        "{:?}",
        r.manual_review
    );
    // Paid too long ago: no flag.
    req.last_paid_unemployment = Some(LastPaid::Day(d("2022-06-30")));
    let r = run(&req);
    assert!(
        !r.manual_review
            .iter()
            .any(|f| f.key == "manual_review.art212")
    );
}

#[test]
fn a_last_paid_day_after_the_contract_start_readmits_on_that_day() {
    // Old regime, art. 42: the 3 years end on DA - 1 = E, so a last paid day after the
    // contract's start (AGR month 2025-01: Friday 2025-01-31) re-admits from E = that day.
    // The scan jumped past it by the count's bound and answered 2026-01-12 (corpus case).
    let mut req = plan("1994-04-15", "2025-01-16", regime(6.0, 38.0, 38.0));
    req.last_paid_unemployment = Some(LastPaid::AgrMonth(d("2025-01-01")));
    let r = run(&req);
    assert_eq!(r.end_date(), Some(d("2025-01-31")), "{:?}", r.outcome);
    assert_eq!(r.no_stage_required.as_deref(), Some("art42_old"));
    // The day before, the last paid day lies after DA - 1: not re-admitted yet.
    let mut a = req.clone();
    a.mode = Mode::Assess;
    a.application_date = Some(d("2025-01-31"));
    a.contract.as_mut().unwrap().end = Some(d("2025-01-30"));
    assert!(run(&a).no_stage_required.is_none());
}

#[test]
fn an_end_date_fixed_by_onem_is_evaluated_not_copied() {
    // Issue 13 §1: ONEM's own end date gives the DA, the days to work and the admissibility
    // the law gives at that end, with the explanation.
    let req = plan("1988-10-01", "2024-01-01", regime(5.0, 38.0, 38.0));
    let planned = run(&req);
    let end = end_date(&planned);
    let opts = Options::default();
    let params = ParamSet::embedded();
    let at = |e: &str| art60_rules::calculate_fixed_end(&req, d(e), &opts, params).unwrap();
    // At the planned end: the same answer.
    let same = art60_rules::calculate_fixed_end(&req, end, &opts, params).unwrap();
    assert_eq!(same.first_benefit_date(), planned.first_benefit_date());
    assert_eq!(same.days_to_work(), planned.days_to_work());
    assert!(matches!(
        same.outcome,
        Outcome::Fixed {
            admissible: true,
            ..
        }
    ));
    assert!(same.trace.iter().any(|s| s.key == "fixed.end_date"));
    // Later (Friday 2025-07-04 instead of Monday 2025-06-30): four more working days.
    let later = at("2025-07-04");
    assert_eq!(later.first_benefit_date(), Some(d("2025-07-05")));
    assert_eq!(later.days_to_work(), planned.days_to_work().map(|n| n + 4));
    assert!(matches!(
        later.outcome,
        Outcome::Fixed {
            admissible: true,
            ..
        }
    ));
    // Earlier than the law allows: not admissible on that DA, said so.
    let early = at("2025-01-31");
    assert!(matches!(
        early.outcome,
        Outcome::Fixed {
            admissible: false,
            ..
        }
    ));
    // Before the contract start: an error on the end date.
    match art60_rules::calculate_fixed_end(&req, d("2023-12-31"), &opts, params) {
        Err(CalcError::InvalidInput(e)) => assert_eq!(e.path, "end_date"),
        other => panic!("{other:?}"),
    }
}
