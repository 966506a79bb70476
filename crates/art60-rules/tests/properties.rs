#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Invariants checked on generated requests.

mod common;
use art60_rules::calendar::{add_working_days, days_between, is_working_day, r6_days, weekdays_in};
use art60_rules::input::*;
use art60_rules::units::Hundredths;
use art60_rules::{CalcRequest, CalcResult, Detail, Options, ParamSet, calculate, calculate_with};
use chrono::{Datelike, Days, NaiveDate};
use common::*;
use proptest::prelude::*;

fn date_between(from: NaiveDate, days: u64) -> impl Strategy<Value = NaiveDate> {
    (0..days).prop_map(move |k| from + Days::new(k))
}

fn any_regime() -> impl Strategy<Value = WorkRegime> {
    (
        prop_oneof![Just(500i64), Just(400), Just(600), Just(450)],
        1200i64..=3800,
    )
        .prop_map(|(r, q)| WorkRegime {
            days_per_week: Hundredths(r),
            weekly_hours: Hundredths(q),
            reference_hours: Hundredths(3800),
        })
}

/// Declared quarters for a job, as a DmfA would give them: `fill` percent of the job's
/// scheduled days as work (hours in proportion), plus two unpaid days a quarter if asked. Less
/// than the whole schedule leaves undeclared days (completed in the old regime, AM art. 7
/// scheme 3) and unpaid days meet the yearly cap.
fn declare(h: &mut HistoryItem, fill: i64, unpaid: bool) {
    let reg = h.regime.unwrap_or_else(WorkRegime::full_time_5);
    let mut q = Quarter::of(h.start);
    while q.start() <= h.end {
        let (a, b) = (h.start.max(q.start()), h.end.min(q.end()));
        // Scheduled days: R a week over the quarter's part of the job.
        let scheduled = ((b - a).num_days() + 1) * reg.days_per_week.raw() / 700;
        let days = scheduled * fill / 100;
        let hours = |d: i64| Hundredths(d * reg.weekly_hours.raw() * 100 / reg.days_per_week.raw());
        let mut lines = vec![DeclaredLine {
            category: DayCategory::EffectiveWork,
            days: Hundredths(days * 100),
            hours: Some(hours(days)),
            service_code: None,
            paid_with_unemployment_contribution: ContributionPaid::Unknown,
        }];
        if unpaid {
            lines.push(DeclaredLine {
                category: DayCategory::UnpaidAbsence,
                days: Hundredths(200),
                hours: Some(hours(2)),
                service_code: None,
                paid_with_unemployment_contribution: ContributionPaid::Unknown,
            });
        }
        h.quarters.push(QuarterDeclaration { quarter: q, lines });
        q = q.next();
    }
    h.source = Source::Dmfa;
}

prop_compose! {
    fn work_before(contract_start: NaiveDate)(back in 30u64..2500, len in 10u64..700, reg in any_regime(),
        declared in prop::option::of((60i64..=100, any::<bool>()))) -> HistoryItem {
        let start = contract_start - Days::new(back + len);
        let end = contract_start - Days::new(back);
        let mut h = HistoryItem { regime: Some(reg), ..period(PeriodKind::Work, &start.to_string(), &end.to_string()) };
        if let Some((fill, unpaid)) = declared {
            declare(&mut h, fill, unpaid);
        }
        h
    }
}

prop_compose! {
    fn event_before(contract_start: NaiveDate)(back in 1u64..2000, len in 1u64..1500,
        kind in prop_oneof![Just(PeriodKind::Detention), Just(PeriodKind::CareerBreak), Just(PeriodKind::SelfEmployment), Just(PeriodKind::InsuredSickness)]) -> HistoryItem {
        let start = contract_start - Days::new(back + len);
        let end = contract_start - Days::new(back);
        period(kind, &start.to_string(), &end.to_string())
    }
}

fn any_absence_kind() -> impl Strategy<Value = AbsenceKind> {
    prop_oneof![
        Just(AbsenceKind::InsuredSickness),
        Just(AbsenceKind::GuaranteedPaySickness),
        Just(AbsenceKind::UnpaidLeave),
        Just(AbsenceKind::TemporaryUnemployment),
    ]
}

prop_compose! {
    fn plan_request()(start in date_between(d("2013-01-01"), 6200), age in 18i64..62, reg in any_regime())
        (jobs in prop::collection::vec(work_before(start), 0..5), events in prop::collection::vec(event_before(start), 0..2),
         absence in prop::option::of((0u64..400, 1u64..40, any_absence_kind())),
         abroad in prop::option::of((prop_oneof![Just("FR"), Just("TN"), Just("US")], 60u64..900, 1u64..500)),
         last_paid in prop::option::weighted(0.2, -1300i64..300),
         start in Just(start), age in Just(age), reg in Just(reg)) -> CalcRequest {
        let birth = NaiveDate::from_ymd_opt(start.year() - age as i32, 6, 15).unwrap();
        let mut req = plan(&birth.to_string(), &start.to_string(), reg);
        // Keep only one period of each exclusive kind so the request stays valid.
        let mut history = jobs;
        for e in events {
            let clash = |h: &HistoryItem| {
                (h.kind == e.kind || (h.kind == PeriodKind::Work && e.kind == PeriodKind::Detention))
                    && h.start <= e.end
                    && e.start <= h.end
            };
            if !history.iter().any(clash) {
                history.push(e);
            }
        }
        if let Some((country, back, len)) = abroad {
            let end = start - Days::new(back);
            let begin = end - Days::new(len);
            let free = !history.iter().any(|h| h.start <= end && begin <= h.end);
            if free {
                history.push(HistoryItem {
                    regime: Some(regime(5.0, 38.0, 38.0)),
                    abroad: Some(Abroad { country: country.into(), frontier_worker: false, posted: false, ssom: false, officer_decision: None }),
                    ..period(PeriodKind::ForeignWork, &begin.to_string(), &end.to_string())
                });
            }
        }
        if let Some((offset, len, kind)) = absence {
            let a = start + Days::new(offset);
            req.contract.as_mut().unwrap().absences.push(Absence { kind, start: a, end: a + Days::new(len) });
        }
        req.history = history;
        // Old art. 42: a last paid day near the contract, before or even after its start.
        req.last_paid_unemployment = last_paid.map(|k| {
            LastPaid::Day(if k < 0 { start - Days::new(k.unsigned_abs()) } else { start + Days::new(k as u64) })
        });
        req
    }
}

fn compute(req: &CalcRequest) -> CalcResult {
    calculate(req, &Options::default(), ParamSet::embedded()).unwrap()
}

/// The end date, counting "already admissible" as the day before the start.
fn end_of(r: &CalcResult, start: NaiveDate) -> Option<NaiveDate> {
    r.end_date().or_else(|| {
        r.no_stage_required
            .as_ref()
            .map(|_| start.pred_opt().unwrap())
    })
}

/// 96 cases a property in the test suite; `PROPTEST_CASES=5000` for a longer search.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn adding_work_never_makes_the_plan_end_later(req in plan_request(), len in 10u64..700) {
        // Assimilated periods count in the proportion of the job around them, which an extra
        // job may change; this property is about work alone.
        let mut req = req;
        req.history.retain(|h| h.kind != PeriodKind::InsuredSickness);
        let c = req.contract.as_ref().unwrap();
        let start = c.start;
        let before = compute(&req);
        // The extra job lies before every other period and over a year before the contract,
        // in the regime of the latest job: the determining job, the status and the art. 33
        // average hours cannot change, only the count can grow.
        let earliest = req.history.iter().map(|h| h.start).min().unwrap_or(start).min(start - Days::new(400));
        let end = earliest - Days::new(1);
        let latest = req.history.iter().filter(|h| h.kind == PeriodKind::Work).max_by_key(|h| h.end)
            .and_then(|h| h.regime).unwrap_or(c.regime);
        let job = HistoryItem {
            regime: Some(latest),
            ..period(PeriodKind::Work, &(end - Days::new(len)).to_string(), &end.to_string())
        };
        let mut more = req.clone();
        more.history.push(job);
        let after = compute(&more);
        match (end_of(&after, start), end_of(&before, start)) {
            (Some(a), Some(b)) => prop_assert!(a <= b, "with more work {a} > {b}"),
            (None, Some(b)) => prop_assert!(false, "unreachable with more work, was {b}"),
            _ => {}
        }
    }

    #[test]
    fn an_extending_event_never_shrinks_the_reference_period(da in date_between(d("2013-01-01"), 6000), ev in event_before(d("2040-01-01")), birth_age in 20i32..60) {
        let birth = NaiveDate::from_ymd_opt(da.year() - birth_age, 3, 3).unwrap();
        let req = assess(&birth.to_string(), &da.to_string());
        let shift = (d("2040-01-01") - da).num_days() as u64;
        let mut ev = ev;
        ev.start = ev.start - Days::new(shift);
        ev.end = ev.end - Days::new(shift);
        let mut with = req.clone();
        with.history.push(ev);
        let a = compute(&req);
        let b = compute(&with);
        for (x, y) in a.options_evaluated.iter().zip(&b.options_evaluated) {
            prop_assert_eq!(&x.id, &y.id);
            prop_assert!(y.window.start <= x.window.start);
            prop_assert_eq!(y.window.end, x.window.end);
        }
    }

    #[test]
    fn requests_and_results_round_trip_through_json(req in plan_request()) {
        let text = serde_json::to_string(&req).unwrap();
        let back = CalcRequest::parse(&text).unwrap();
        prop_assert_eq!(&back, &req);
        let r = compute(&req);
        let rt: CalcResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        prop_assert_eq!(rt, r);
    }

    #[test]
    fn the_plan_is_the_first_feasible_date(req in plan_request(), average in any::<bool>()) {
        // Whatever the jumps of the scan, the day before the answer must not be feasible,
        // under either cap method.
        let mut o = Options::default();
        if average {
            o.set("quarter_cap_method=average").unwrap();
        }
        let r = calculate(&req, &o, ParamSet::embedded()).unwrap();
        if let Some(e) = r.end_date() {
            // The answer itself is feasible, assessed without the scan's shortcuts.
            let mut on = req.clone();
            on.mode = Mode::Assess;
            on.application_date = e.succ_opt();
            on.contract.as_mut().unwrap().end = Some(e);
            let at = calculate(&on, &o, ParamSet::embedded()).unwrap();
            prop_assert!(matches!(at.outcome, art60_rules::result::Outcome::Assessed { admissible: true, .. }),
                "not feasible on the answer {e}");
            let start = req.contract.as_ref().unwrap().start;
            if e > start {
                let mut a = req.clone();
                a.mode = Mode::Assess;
                a.application_date = Some(e);
                a.contract.as_mut().unwrap().end = Some(e.pred_opt().unwrap());
                let before = calculate(&a, &o, ParamSet::embedded()).unwrap();
                prop_assert!(matches!(before.outcome, art60_rules::result::Outcome::Assessed { admissible: false, .. }),
                    "feasible already on {}: {:?}", e.pred_opt().unwrap(), before.winning_option.map(|w| (w.id, w.counted, w.required)));
            }
        }
    }

    #[test]
    fn a_summary_decides_as_the_full_calculation(req in plan_request(), average in any::<bool>()) {
        let mut o = Options::default();
        if average {
            o.set("quarter_cap_method=average").unwrap();
        }
        let full = calculate(&req, &o, ParamSet::embedded()).unwrap();
        let brief = calculate_with(&req, &o, ParamSet::embedded(), Detail::Summary).unwrap();
        prop_assert!(brief.trace.is_empty() && brief.alternative.is_none() && brief.right.is_none());
        prop_assert!(brief.winning_option.as_ref().is_none_or(|w| w.quarters.is_empty()));
        let mut expected = full.clone();
        expected.trace = Vec::new();
        expected.alternative = None;
        expected.right = None;
        if let Some(w) = expected.winning_option.as_mut() {
            w.quarters = Vec::new();
        }
        prop_assert_eq!(brief, expected);
        // The other method's date reported by the full calculation is that method's own plan.
        if let Some(alt) = &full.alternative {
            let mut other = Options::default();
            if !average {
                other.set("quarter_cap_method=average").unwrap();
            }
            let r = calculate(&req, &other, ParamSet::embedded()).unwrap();
            // (Only when that method plans a contract: a person already admissible under it
            // without the contract may still need a few days of it when the contract's first
            // days change the determining job, and the alternative scan starts with the contract.)
            if r.no_stage_required.is_none() {
                prop_assert_eq!(alt.end_date, r.end_date());
            }
        }
    }

    #[test]
    fn working_day_addition_matches_a_naive_loop(from in date_between(d("2000-01-01"), 20000), n in 0u32..60) {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().unwrap();
            if d.weekday().number_from_monday() <= 5 && !art60_rules::calendar::is_federal_holiday(d) {
                left -= 1;
            }
        }
        prop_assert_eq!(add_working_days(from, n), d);
        prop_assert!(n == 0 || is_working_day(d));
    }

    #[test]
    fn day_counts_match_naive_loops(a in date_between(d("2000-01-01"), 20000), len in 0u64..800, mask in 1u8..128) {
        let b = a + Days::new(len);
        let mut r6 = 0;
        let mut wd = 0;
        let mut x = a;
        while x <= b {
            let k = x.weekday().num_days_from_monday();
            if k < 6 { r6 += 1; }
            if mask & (1 << k) != 0 { wd += 1; }
            x = x.succ_opt().unwrap();
        }
        prop_assert_eq!(r6_days(a, b), r6);
        prop_assert_eq!(weekdays_in(a, b, mask), wd);
    }
}

/// Every day of the scan assessed on its own: the cost of one assessment a day, so fewer cases
/// (`PROPTEST_CASES` scales them too).
fn scan_cases() -> u32 {
    (cases() / 3).max(8)
}

/// The scan skips days by bounds (search/jump.rs) and starts from the day before the contract;
/// the reference is every day from the contract start to the answer, assessed by the law alone
/// under the same options: none may be feasible.
fn no_day_before_the_answer(req: &CalcRequest, o: &Options) -> Result<(), TestCaseError> {
    let r = calculate_with(req, o, ParamSet::embedded(), Detail::Summary).unwrap();
    let start = req.contract.as_ref().unwrap().start;
    let Some(e) = r.end_date() else {
        return Ok(());
    };
    prop_assume!(days_between(start, e) <= 400);
    let mut day = start;
    while day < e {
        let mut a = req.clone();
        a.mode = Mode::Assess;
        a.application_date = day.succ_opt();
        a.contract.as_mut().unwrap().end = Some(day);
        let at = calculate_with(&a, o, ParamSet::embedded(), Detail::Summary).unwrap();
        prop_assert!(
            matches!(
                at.outcome,
                art60_rules::result::Outcome::Assessed {
                    admissible: false,
                    ..
                }
            ),
            "feasible on {day}, before the answer {e} ({:?})",
            o.quarter_cap_method
        );
        day = day.succ_opt().unwrap();
    }
    Ok(())
}

prop_compose! {
    /// Two or three jobs at once before the contract: with the average method the jobs' own
    /// caps (each at most its R6 days) and the 78-a-quarter average both come into play.
    fn concurrent_jobs_request()(start in date_between(d("2013-01-01"), 6200), age in 18i64..62,
        reg in any_regime(), gap in 0u64..120, len in 30u64..400, n in 2usize..4,
        regs in prop::collection::vec(any_regime(), 3), offsets in prop::collection::vec(0u64..60, 3))
        -> CalcRequest {
        let birth = NaiveDate::from_ymd_opt(start.year() - age as i32, 6, 15).unwrap();
        let mut req = plan(&birth.to_string(), &start.to_string(), reg);
        let end = start - Days::new(gap + 1);
        req.history = (0..n)
            .map(|i| {
                let a = end - Days::new(len + offsets[i]);
                HistoryItem { regime: Some(regs[i]), ..period(PeriodKind::Work, &a.to_string(), &(end - Days::new(offsets[i] / 3)).to_string()) }
            })
            .collect();
        req
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: scan_cases(), .. ProptestConfig::default() })]

    #[test]
    fn no_day_before_the_plan_is_feasible(req in plan_request(), average in any::<bool>(),
        programme in prop::bool::weighted(0.2)) {
        let mut o = Options::default();
        if average {
            o.set("quarter_cap_method=average").unwrap();
        }
        // The contract as a re-employment programme extends the old art. 42's 3 years.
        if programme {
            o.set("art60_is_reemployment_programme=true").unwrap();
        }
        no_day_before_the_answer(&req, &o)?;
    }

    #[test]
    fn no_day_before_the_plan_is_feasible_with_concurrent_jobs(req in concurrent_jobs_request()) {
        let mut o = Options::default();
        o.set("quarter_cap_method=average").unwrap();
        no_day_before_the_answer(&req, &o)?;
    }
}
