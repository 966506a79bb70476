#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]
use art60_rules::input::*;
use art60_rules::{CalcRequest, CalcResult, Options, ParamSet, calculate};
use chrono::NaiveDate;

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn regime(r: f64, q: f64, s: f64) -> WorkRegime {
    WorkRegime {
        days_per_week: art60_rules::units::Hundredths((r * 100.0).round() as i64),
        weekly_hours: art60_rules::units::Hundredths((q * 100.0).round() as i64),
        reference_hours: art60_rules::units::Hundredths((s * 100.0).round() as i64),
    }
}

pub fn plan(birth: &str, start: &str, reg: WorkRegime) -> CalcRequest {
    CalcRequest {
        mode: Mode::Plan,
        today: d(start),
        person: Person {
            niss: None,
            birth_date: d(birth),
            dock_worker_or_fisher: false,
            career_start_date: None,
            foreign_national: false,
            work_permits: vec![],
        },
        contract: Some(Contract {
            start: d(start),
            regime: reg,
            weekdays: None,
            pay: None,
            absences: vec![],
            end: None,
        }),
        application_date: None,
        history: vec![],
        previous_admissions: vec![],
        last_paid_unemployment: None,
        current_right_until: None,
        career: None,
    }
}

pub fn assess(birth: &str, da: &str) -> CalcRequest {
    CalcRequest {
        mode: Mode::Assess,
        today: d(da),
        person: Person {
            niss: None,
            birth_date: d(birth),
            dock_worker_or_fisher: false,
            career_start_date: None,
            foreign_national: false,
            work_permits: vec![],
        },
        contract: None,
        application_date: Some(d(da)),
        history: vec![],
        previous_admissions: vec![],
        last_paid_unemployment: None,
        current_right_until: None,
        career: None,
    }
}

pub fn period(kind: PeriodKind, start: &str, end: &str) -> HistoryItem {
    HistoryItem {
        kind,
        start: d(start),
        end: d(end),
        ..Default::default()
    }
}

pub fn run(req: &CalcRequest) -> CalcResult {
    run_with(req, &Options::default())
}

pub fn run_with(req: &CalcRequest, o: &Options) -> CalcResult {
    calculate(req, o, ParamSet::embedded()).unwrap()
}

pub fn opts(assignments: &[&str]) -> Options {
    let mut o = Options::default();
    for a in assignments {
        o.set(a).unwrap();
    }
    o
}

pub fn end_date(r: &CalcResult) -> NaiveDate {
    r.end_date()
        .unwrap_or_else(|| panic!("no end date: {:?}", r.outcome))
}
