#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 12 part B: points where SPEC has a rule the engine skipped or reversed, or leaves the
//! answer to the officer (then the safer answer and a `manual_review` flag). Each test cites
//! its SPEC section.

mod common;
use art60_rules::input::*;
use art60_rules::result::{CalcResult, Outcome};
use art60_rules::units::Fixed4;
use chrono::Days;
use common::*;

fn flagged(r: &CalcResult, key: &str) -> bool {
    r.manual_review.iter().any(|f| f.key == key)
}

fn own_option(r: &CalcResult) -> &art60_rules::result::OptionEval {
    r.winning_option.as_ref().expect("a winning option")
}

#[test]
fn overlapping_extending_events_of_different_kinds_extend_once_and_go_to_the_officer() {
    // SPEC §3.5.2: overlapping events → manual_review. A career break in 2022 and a detention
    // from 2022-07-01 to 2023-06-30 share six months: the window moves back by the 546 days
    // they cover together, not by 365 + 365.
    let mut req = assess("1995-03-01", "2024-01-15");
    req.history = vec![
        period(PeriodKind::CareerBreak, "2022-01-01", "2022-12-31"),
        period(PeriodKind::Detention, "2022-07-01", "2023-06-30"),
    ];
    let r = run(&req);
    let w = &own_option(&r).window;
    assert_eq!(w.base_start, d("2022-04-15"));
    assert_eq!(w.start, w.base_start - Days::new(546));
    assert!(flagged(&r, "manual_review.overlapping_extensions"));
    let detail = &r
        .manual_review
        .iter()
        .find(|f| f.key == "manual_review.overlapping_extensions")
        .unwrap()
        .detail;
    assert!(detail.contains("2022-07-01..2022-12-31"), "{detail}");
}

#[test]
fn child_raising_ends_the_day_before_the_next_birth() {
    // SPEC §3.5 (old list): child raising is "counted per birth; ends the day before the 6th
    // birthday or the next birth". The first child's period is typed up to 2021-06-30, the
    // second child was born on 2021-03-01: the first period extends 1,734 days, not 1,856.
    let mut req = assess("1970-03-01", "2022-09-01");
    req.history = vec![
        HistoryItem {
            child_birth_date: Some(d("2016-06-01")),
            ..period(PeriodKind::ChildRaising, "2016-06-01", "2021-06-30")
        },
        HistoryItem {
            child_birth_date: Some(d("2021-03-01")),
            ..period(PeriodKind::ChildRaising, "2021-07-01", "2022-06-30")
        },
    ];
    let r = run(&req);
    let first = own_option(&r)
        .window
        .extensions
        .iter()
        .find(|x| x.event == "history[0]")
        .expect("the first child's period extends");
    assert_eq!(first.event_end, d("2021-02-28"));
    assert_eq!(first.length_days, 1734);
}

#[test]
fn a_part_timer_with_pay_before_any_reference_wage_gets_the_safer_status_and_a_flag() {
    // AR art. 28 §2; SPEC §3.3.3 and §4 (reference wage from 2022-11-01): with pay and no
    // reference wage in force the status is unknown. Both are computed, the longer contract
    // kept, and the officer is told. Before: "no rule in force" stopped the calculation.
    let mut req = plan("1990-01-10", "2019-01-07", regime(5.0, 19.0, 38.0));
    req.contract.as_mut().unwrap().pay =
        Some(Pay::Monthly(art60_rules::units::Hundredths::whole(1500)));
    let r = run(&req);
    assert!(flagged(&r, "manual_review.reference_wage_unknown"));
    // The kept answer is at least as long as the voluntary part-timer's (the same contract
    // without pay), one of the two candidates.
    let mut unpaid = req.clone();
    unpaid.contract.as_mut().unwrap().pay = None;
    assert!(end_date(&r) >= end_date(&run(&unpaid)));
    // As an assimilated full-timer a 19/38 contract never reaches art. 30 (3 R6 days a week:
    // 273 in 21 months, 429 of 468, 546 of 624); so the longer answer runs to the first DA
    // with a reference wage in force, 2022-11-01, where the pay (1,500 < 1,916.70) makes a
    // voluntary part-timer who meets art. 33 at once.
    assert_eq!(end_date(&r), d("2022-10-31"));
}

#[test]
fn method_a_caps_declared_jobs_at_their_r6_days() {
    // SPEC §3.8.2 `average`: every job at most its R6 calendar days in the window. A March job
    // declared with 60 days counts 26 (the Monday–Saturday days of March 2024), not 72.
    let mut req = assess("1995-03-01", "2024-07-01");
    req.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        quarters: vec![QuarterDeclaration {
            quarter: "2024Q1".parse().unwrap(),
            lines: vec![DeclaredLine {
                category: DayCategory::EffectiveWork,
                days: art60_rules::units::Hundredths::whole(60),
                hours: None,
                service_code: Some(1),
                paid_with_unemployment_contribution: Default::default(),
            }],
        }],
        ..period(PeriodKind::Work, "2024-03-01", "2024-03-31")
    }];
    let r = run_with(
        &req,
        &opts(&["quarter_cap_method=average", "undeclared_completion=off"]),
    );
    assert_eq!(own_option(&r).counted_exact, Fixed4::whole(26));
}

#[test]
fn method_a_does_not_cap_weekend_teams() {
    // SPEC §3.8.2: the job cap does not apply to weekend teams. Saturday and Sunday at 2 days
    // a week count 6 R6 days a week (A × 6/R), more than the one Monday–Saturday day.
    let mut req = assess("1995-03-01", "2025-01-06");
    req.history = vec![HistoryItem {
        regime: Some(regime(2.0, 38.0, 38.0)),
        weekdays: Some(vec![Day::Sat, Day::Sun]),
        ..period(PeriodKind::Work, "2024-01-06", "2024-12-29")
    }];
    let a = run_with(&req, &opts(&["quarter_cap_method=average"]));
    let p = run_with(&req, &opts(&["quarter_cap_method=per_quarter"]));
    // 104 weekend days × 6/2 = 312, the same under both methods.
    assert_eq!(own_option(&a).counted, 312);
    assert_eq!(own_option(&a).counted, own_option(&p).counted);
}

#[test]
fn no_interruption_fills_only_quarters_that_cannot_be_declared_yet() {
    // SPEC §3.10 and §7: on 2024-12-15 only 2024Q4 can lack its DmfA. A job declared for
    // 2022Q3 alone and typed up to 2024-12-31 does not count its older quarters (before: nine
    // quarters filled, 779 days, "no stage required"); they go to the officer.
    let mut req = plan("1990-01-10", "2025-01-01", regime(5.0, 38.0, 38.0));
    req.today = d("2024-12-15");
    req.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        source: Source::Dmfa,
        quarters: vec![QuarterDeclaration {
            quarter: "2022Q3".parse().unwrap(),
            lines: vec![DeclaredLine {
                category: DayCategory::EffectiveWork,
                days: art60_rules::units::Hundredths::whole(66),
                hours: None,
                service_code: Some(1),
                paid_with_unemployment_contribution: Default::default(),
            }],
        }],
        ..period(PeriodKind::Work, "2022-07-01", "2024-12-31")
    }];
    let r = run(&req);
    assert!(
        matches!(r.outcome, Outcome::Planned { .. }),
        "{:?}",
        r.outcome
    );
    assert!(flagged(&r, "manual_review.dmfa_missing"));
    assert!(
        r.provisional
            .iter()
            .any(|f| f.key == "provisional.no_dmfa" && f.detail.ends_with("2024Q4"))
    );
}

#[test]
fn a_whole_quarter_counts_78_only_without_interruption() {
    // SPEC §3.7 rule 1: 78 only when the declared days show no interruption. A 7-day-regime
    // worker declared for 64 days of a 91-day quarter counts 64 × 6/7, not 78.
    let mut req = assess("1995-03-01", "2024-12-02");
    req.history = vec![HistoryItem {
        regime: Some(regime(7.0, 38.0, 38.0)),
        weekdays: Some(vec![
            Day::Mon,
            Day::Tue,
            Day::Wed,
            Day::Thu,
            Day::Fri,
            Day::Sat,
            Day::Sun,
        ]),
        quarters: vec![QuarterDeclaration {
            quarter: "2024Q1".parse().unwrap(),
            lines: vec![DeclaredLine {
                category: DayCategory::EffectiveWork,
                days: art60_rules::units::Hundredths::whole(64),
                hours: None,
                service_code: Some(1),
                paid_with_unemployment_contribution: Default::default(),
            }],
        }],
        ..period(PeriodKind::Work, "2024-01-01", "2024-03-31")
    }];
    let r = run_with(&req, &opts(&["undeclared_completion=off"]));
    let q = own_option(&r)
        .quarters
        .iter()
        .find(|q| q.quarter.to_string() == "2024Q1")
        .unwrap();
    assert_eq!(q.result, Fixed4::ratio(64 * 6, 7));
}

#[test]
fn the_foreign_follow_up_does_not_count_declared_temporary_unemployment() {
    // SPEC §3.9.2: temporary unemployment, unpaid sickness and unpaid absence are not follow-up
    // work. A Belgian job after two French years, declared in 2023Q1 with 40 days of work and
    // 25 of temporary unemployment: 40 × 6/5 = 48 R6 days, short of the 78 of the 3 months, so
    // the French years do not count yet; declared as 65 days of work they do.
    let french = HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        abroad: Some(Abroad {
            country: "FR".into(),
            frontier_worker: false,
            posted: false,
            ssom: false,
            officer_decision: None,
        }),
        ..period(PeriodKind::ForeignWork, "2021-01-04", "2022-12-30")
    };
    let belgian = |lines: Vec<DeclaredLine>| HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        source: Source::Dmfa,
        quarters: vec![QuarterDeclaration {
            quarter: "2023Q1".parse().unwrap(),
            lines,
        }],
        ..period(PeriodKind::Work, "2023-01-02", "2023-03-31")
    };
    let line = |category, days| DeclaredLine {
        category,
        days: art60_rules::units::Hundredths::whole(days),
        hours: None,
        service_code: None,
        paid_with_unemployment_contribution: Default::default(),
    };
    let mut req = assess("1995-03-01", "2023-04-03");
    req.today = d("2023-09-01");
    req.history = vec![
        french.clone(),
        belgian(vec![
            line(DayCategory::EffectiveWork, 40),
            line(DayCategory::TemporaryUnemployment, 25),
        ]),
    ];
    let o = opts(&["undeclared_completion=off"]);
    let with_tu = run_with(&req, &o);
    req.history = vec![french, belgian(vec![line(DayCategory::EffectiveWork, 65)])];
    let worked = run_with(&req, &o);
    assert!(matches!(
        worked.outcome,
        Outcome::Assessed {
            admissible: true,
            ..
        }
    ));
    assert!(matches!(
        with_tu.outcome,
        Outcome::Assessed {
            admissible: false,
            ..
        }
    ));
}

#[test]
fn a_job_shorter_than_a_week_keeps_the_days_of_a_full_week() {
    // SPEC §3.7 rule 2: R is the days of a full week, also for a job shorter than a week:
    // 3 days of a 5-day regime count 3 × 6/5 = 3.6, not 3 × 6/3 = 6.
    let mut req = assess("1995-03-01", "2024-06-03");
    req.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        ..period(PeriodKind::Work, "2024-03-04", "2024-03-06")
    }];
    let r = run(&req);
    assert_eq!(own_option(&r).counted_exact, Fixed4::ratio(36, 10));
}

#[test]
fn career_years_for_the_unlimited_right_are_days_over_312() {
    // SPEC §3.13.5: years = days ÷ 312, a remainder of at least 156 adds one; 31 years at 55
    // for a 2026 admission. 30 × 312 + 156 days make 31 years; one day less, 30.
    let req = assess("1970-01-15", "2026-06-01");
    let mut r = req.clone();
    r.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        ..period(PeriodKind::Work, "2023-06-01", "2026-05-29")
    }];
    for (days, expected) in [(30 * 312 + 156, true), (30 * 312 + 155, false)] {
        r.career = Some(Career {
            days,
            used_days: 0,
            full_transition_allowance: false,
        });
        let right = run(&r).right.expect("a right for an admissible person");
        assert_eq!(right.unlimited, expected, "{days} days");
    }
}

fn parse(v: serde_json::Value) -> CalcRequest {
    CalcRequest::parse(&v.to_string()).unwrap()
}

/// A full-time job declared in 2026Q2 with 60 days of work and 5 of educational leave
/// (DmfA code 5), whose contribution is `paid`; assessed in the new regime.
fn educational_leave(paid: &str) -> CalcRequest {
    parse(serde_json::json!({
        "mode": "assess", "today": "2026-10-15", "application_date": "2026-10-15",
        "person": {"birth_date": "1995-03-01"},
        "history": [{"kind": "work", "start": "2026-04-01", "end": "2026-06-30",
            "regime": {"days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
            "source": "dmfa",
            "quarters": [{"quarter": "2026Q2", "lines": [
                {"category": "effective_work", "days": 60},
                {"category": "educational_leave", "days": 5, "service_code": 5,
                 "paid_with_unemployment_contribution": paid}]}]}]
    }))
}

#[test]
fn codes_5_and_13_count_only_when_paid_with_the_unemployment_contribution() {
    // SPEC §5 `open_assimilations` (Q6): codes 5 and 13 count only when paid with the
    // unemployment contribution; unknown goes to the officer and does not count.
    let counted = |paid| own_option(&run(&educational_leave(paid))).counted_exact;
    assert_eq!(counted("yes"), Fixed4::whole(78));
    assert_eq!(counted("no"), Fixed4::whole(72));
    assert_eq!(counted("unknown"), Fixed4::whole(72));
    assert!(flagged(
        &run(&educational_leave("unknown")),
        "manual_review.category"
    ));
    assert!(!flagged(
        &run(&educational_leave("yes")),
        "manual_review.category"
    ));
}

#[test]
fn pay_below_the_rmmmg_goes_to_the_officer() {
    // SPEC §3.6 and §4 `rmmmg` (€2,029.88 from 2024-04-01): a work day is paid at least the
    // minimum. A 19/38 job paid €1,000 a month is €2,000 full time: below; €1,100 is not.
    let req = |monthly: f64| {
        parse(serde_json::json!({
            "mode": "assess", "today": "2025-03-03", "application_date": "2025-03-03",
            "person": {"birth_date": "1995-03-01"},
            "history": [{"kind": "work", "start": "2024-05-06", "end": "2025-02-28",
                "regime": {"days_per_week": 5, "weekly_hours": 19, "reference_hours": 38},
                "pay": {"monthly": monthly}}]
        }))
    };
    assert!(flagged(&run(&req(1000.0)), "manual_review.below_rmmmg"));
    assert!(!flagged(&run(&req(1100.0)), "manual_review.below_rmmmg"));
}

#[test]
fn teachers_piece_rate_and_sports_workers_go_to_the_officer() {
    // SPEC §3.8.4: not supported → manual_review; an ordinary job raises nothing.
    for (category, flag) in [
        ("teacher", true),
        ("piece_rate", true),
        ("sports", true),
        ("ordinary", false),
    ] {
        let r = run(&parse(serde_json::json!({
            "mode": "assess", "today": "2025-03-03", "application_date": "2025-03-03",
            "person": {"birth_date": "1995-03-01"},
            "history": [{"kind": "work", "start": "2024-05-06", "end": "2025-02-28",
                "regime": {"weekly_hours": 38}, "job_category": category}]
        })));
        assert_eq!(
            flagged(&r, "manual_review.job_category"),
            flag,
            "{category}"
        );
    }
}

#[test]
fn a_job_typed_without_its_hours_is_not_silent() {
    // SPEC §3.7: only R and S have defaults. A past job typed without a regime (the portal's
    // form cannot give one yet) is counted full time and the officer is told.
    let r = run(&parse(serde_json::json!({
        "mode": "assess", "today": "2025-03-03", "application_date": "2025-03-03",
        "person": {"birth_date": "1995-03-01"},
        "history": [{"kind": "work", "start": "2024-05-06", "end": "2025-02-28"}]
    })));
    assert!(flagged(&r, "manual_review.hours_unknown"));
    let e = CalcRequest::parse(
        &serde_json::json!({
            "mode": "assess", "today": "2025-03-03", "application_date": "2025-03-03",
            "person": {"birth_date": "1995-03-01"},
            "history": [{"kind": "work", "start": "2024-05-06", "end": "2025-02-28",
                "regime": {"days_per_week": 5, "reference_hours": 38}}]
        })
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(e.path, "history[0].regime.weekly_hours");
}

#[test]
fn a_permit_gap_and_the_officers_decision_on_foreign_periods() {
    // SPEC §3.9.6 and AR art. 43 §2 (`permit_gap_days`, 90, new regime): work resumed more
    // than 90 days after a permit lapsed must meet art. 30/33 again → the officer. §3.9.1:
    // the officer decides by nationality which foreign periods count.
    let req = |permits: serde_json::Value, decision: Option<&str>| {
        let mut abroad = serde_json::json!({"country": "FR"});
        if let Some(d) = decision {
            abroad["officer_decision"] = d.into();
        }
        parse(serde_json::json!({
            "mode": "assess", "today": "2026-09-01", "application_date": "2026-09-01",
            "person": {"birth_date": "1990-03-01", "foreign_national": true, "work_permits": permits},
            "history": [
                {"kind": "foreign_work", "start": "2023-01-02", "end": "2023-12-29",
                 "regime": {"weekly_hours": 38}, "abroad": abroad},
                {"kind": "work", "start": "2024-03-04", "end": "2026-08-28", "regime": {"weekly_hours": 38}}]
        }))
    };
    let gap =
        serde_json::json!([{"start": "2024-03-01", "end": "2024-12-31"}, {"start": "2025-04-15"}]);
    let r = run(&req(gap, Some("counts")));
    let f = r
        .manual_review
        .iter()
        .find(|f| f.key == "manual_review.work_permit_gap")
        .unwrap();
    assert_eq!(f.detail, "2024-12-31..2025-04-15");
    assert!(!flagged(&r, "manual_review.foreign_nationality"));
    let close =
        serde_json::json!([{"start": "2024-03-01", "end": "2024-12-31"}, {"start": "2025-03-01"}]);
    assert!(!flagged(
        &run(&req(close.clone(), Some("counts"))),
        "manual_review.work_permit_gap"
    ));
    // No decision yet: flagged; "does not count": the French year is out of the count.
    assert!(flagged(
        &run(&req(close.clone(), None)),
        "manual_review.foreign_nationality"
    ));
    let counts = own_option(&run(&req(close.clone(), Some("counts")))).counted_exact;
    let out = own_option(&run(&req(close, Some("does_not_count")))).counted_exact;
    assert!(out < counts, "{out} < {counts}");
}

#[test]
fn a_fresh_right_after_an_interruption_of_28_days() {
    // SPEC §3.13.6, AR art. 116 §4 (`interruption_days`, 28): a person with a current right
    // who meets art. 30/33 again after the art. 60 contract opens a fresh right.
    let mut req = plan("1990-01-10", "2026-04-01", regime(5.0, 38.0, 38.0));
    req.current_right_until = Some(d("2026-03-15"));
    let r = run(&req);
    let right = r.right.expect("a right");
    assert!(right.reason.contains("fresh right"), "{}", right.reason);
    req.current_right_until = None;
    assert!(!run(&req).right.unwrap().reason.contains("fresh right"));
}

#[test]
fn art32_for_a_career_begun_inside_the_ten_years() {
    // SPEC §3.11 [P]: a career begun inside the ten years P10 needs half its working days
    // from its start to the end of P10 instead of 1,560; the wording is to be confirmed, so
    // the officer is told.
    let mut req = plan("1980-01-10", "2024-01-08", regime(5.0, 38.0, 38.0));
    req.person.career_start_date = Some(d("2019-01-07"));
    req.history = vec![HistoryItem {
        regime: Some(regime(5.0, 38.0, 38.0)),
        ..period(PeriodKind::Work, "2019-01-07", "2020-12-31")
    }];
    let r = run(&req);
    let a32 = r
        .options_evaluated
        .iter()
        .chain(r.winning_option.iter())
        .find_map(|o| o.art32.as_ref())
        .expect("an art. 32 evaluation");
    assert!(a32.past_required < 1560, "{}", a32.past_required);
    assert!(flagged(&r, "manual_review.art32_career_start"));
}

#[test]
fn the_covid_2021_extension_is_present_disabled_and_visible() {
    // SPEC §3.4 and §4 `covid_2021_extension`: +12 months, window unknown, disabled; a 2021
    // application is left to the officer rather than silently computed without it.
    let r = run(&assess("1995-03-01", "2021-09-01"));
    assert!(flagged(&r, "manual_review.covid_2021_extension"));
    assert!(!flagged(
        &run(&assess("1995-03-01", "2022-09-01")),
        "manual_review.covid_2021_extension"
    ));
}
