//! Dates the scan's jump never passes: where something other than the contract's progress
//! may make the count jump or the requirement drop (SPEC §3.14.2: a parameter change, an age
//! band, an absence, the contract becoming the determining job, foreign work becoming
//! countable).

use chrono::{Datelike, Days, NaiveDate};

use crate::calendar::{birthday, days_between};
use crate::law::facts::JobClass;
use crate::units::Fixed4;

use super::Search;

impl Search<'_> {
    /// Dates at which something other than the contract's progress may make the count jump
    /// or the requirement drop: the jump in the scan never passes them. The contract's first
    /// day is one when a rule changes on it: the scan may start from the day before.
    pub(super) fn barrier_dates(&self, start: NaiveDate, horizon: NaiveDate) -> Vec<NaiveDate> {
        // Sized for the usual few dozen (parameter changes, birthdays, absences).
        let mut v = Vec::with_capacity(32);
        let p = self.facts.params;
        // A parameter change takes effect for DA = from, i.e. E = from - 1, a barrier from the
        // contract's first day to the horizon: `from` after the first day and at most the day
        // after the horizon (compared before the day before is built: most entries are years
        // old).
        let last_from = horizon.succ_opt().unwrap_or(horizon);
        let mut push_from = |from: NaiveDate| {
            if from > start
                && from <= last_from
                && let Some(e) = from.pred_opt()
            {
                v.push(e);
            }
        };
        p.regime.iter().for_each(|x| push_from(x.from));
        p.stage.iter().for_each(|x| push_from(x.from));
        p.categories.iter().for_each(|x| push_from(x.from));
        p.foreign.iter().for_each(|x| push_from(x.from));
        p.reference_wage.iter().for_each(|x| push_from(x.from));
        p.extensions.iter().for_each(|x| push_from(x.from));
        p.unpaid_cap.iter().for_each(|x| push_from(x.from));
        p.art33_access.iter().for_each(|x| push_from(x.from));
        p.counting.iter().for_each(|x| push_from(x.from));
        // A birthday is in its birth year plus the age: only one in the years of the scan
        // can be a barrier (checked before the date is built).
        let birth = self.facts.req.person.birth_date;
        let years = start.year()..=last_from.year();
        let mut push_birthday = |age: i32| {
            if years.contains(&birth.year().saturating_add(age)) {
                push_from(birthday(birth, age as u32));
            }
        };
        for s in &p.stage {
            for b in &s.value.bands {
                if b.min_age > 0 {
                    push_birthday(b.min_age);
                }
            }
            if let Some(a) = &s.value.art32 {
                push_birthday(a.min_age);
            }
        }
        if let Some(ci) = &self.facts.contract {
            for ab in &ci.c.absences {
                if ab.start >= start {
                    v.push(ab.start);
                }
            }
            // The contract becomes the determining job (status, art. 33 1°). Before that, the
            // last earlier job of at least a week determines; when both are full time the
            // switch changes nothing.
            let last_job = self
                .facts
                .jobs
                .iter()
                .filter(|j| {
                    !matches!(j.class, JobClass::Assimilated(_))
                        && days_between(j.start, j.end) >= 6
                })
                .max_by_key(|j| j.end);
            let both_full_time =
                ci.c.regime.is_full_time() && last_job.is_none_or(|j| j.full_time());
            if !both_full_time {
                for d in [7, 28] {
                    v.push(ci.c.start + Days::new(d - 1));
                }
            }
            // During an absence that extends the window, the extension grows every day and
            // may bring older work back in: no jumping there.
            for ab in &ci.c.absences {
                if crate::law::extensions::absence_ext_kind(ab.kind).is_some() {
                    let mut d = ab.start;
                    while d <= ab.end && d <= horizon && days_between(ab.start, d) < 400 {
                        v.push(d);
                        d = d.succ_opt().unwrap_or(horizon);
                    }
                }
            }
        }
        // Old art. 42: the 3 years end on DA - 1 = E, so a last paid day after the
        // contract's start (data the request may hold) enters them on that day and the
        // person is re-admitted from then on, whatever the count.
        if let Some(last) = self.facts.last_paid_day() {
            v.push(last);
        }
        // Foreign work becomes countable once its Belgian follow-up is met: find, for every
        // follow-up length in force, the first date it is met (monotone in E).
        if self.facts.foreign.is_empty() {
            return Self::sorted(v, start, horizon);
        }
        let mut needs: Vec<i64> = p
            .foreign
            .iter()
            .flat_map(|f| {
                [
                    f.value.followup_r6_days,
                    f.value.long_followup_r6_days,
                    f.value.ssom_r6_days,
                ]
            })
            .collect();
        needs.sort();
        needs.dedup();
        for f in &self.facts.foreign {
            let after = self.facts.jobs[f.job].end;
            for &need in &needs {
                let need = Fixed4::whole(need);
                if self.facts.followup_r6(after, horizon) < need {
                    continue;
                }
                let (mut lo, mut hi) = (start, horizon);
                while lo < hi {
                    let mid = lo + Days::new((days_between(lo, hi) / 2) as u64);
                    if self.facts.followup_r6(after, mid) >= need {
                        hi = mid;
                    } else {
                        lo = mid.succ_opt().unwrap_or(hi);
                    }
                }
                v.push(lo);
            }
        }
        Self::sorted(v, start, horizon)
    }

    /// The dates from `start` to `horizon`, in order, each once.
    fn sorted(mut v: Vec<NaiveDate>, start: NaiveDate, horizon: NaiveDate) -> Vec<NaiveDate> {
        v.retain(|d| *d >= start && *d <= horizon);
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use crate::calendar::{add_months, birthday};
    use crate::law::facts::Facts;
    use crate::search::Search;
    use crate::{CalcRequest, Options, ParamSet};

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// For a full-time contract with nothing else to wait for, the barriers are the day
        /// before every parameter change and every age of the rules (bands, art. 32) reached
        /// from the contract's first day to the horizon: each date built and then compared,
        /// as the law reads, against the filtered construction.
        #[test]
        fn the_barriers_are_the_rules_changes_and_birthdays_in_the_scan(
            birth_days in 0u64..30_000,
            start_days in 0u64..12_000,
        ) {
            let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Days::new(birth_days);
            let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(start_days);
            proptest::prop_assume!(start > birth);
            let src = format!(
                r#"{{"mode":"plan","today":"{start}","person":{{"birth_date":"{birth}"}},
                "contract":{{"start":"{start}","days_per_week":5,"weekly_hours":38,"reference_hours":38}},
                "history":[]}}"#
            );
            let req = CalcRequest::parse(&src).unwrap();
            let opts = Options::default();
            let params = ParamSet::embedded();
            let search = Search::new(Facts::new(&req, &opts, params), false);
            let horizon = add_months(start, 60);
            let mut expected = Vec::new();
            let mut from = |d: NaiveDate| {
                if let Some(e) = d.pred_opt()
                    && e >= start
                    && e <= horizon
                {
                    expected.push(e);
                }
            };
            for d in params.regime.iter().map(|x| x.from)
                .chain(params.stage.iter().map(|x| x.from))
                .chain(params.categories.iter().map(|x| x.from))
                .chain(params.foreign.iter().map(|x| x.from))
                .chain(params.reference_wage.iter().map(|x| x.from))
                .chain(params.extensions.iter().map(|x| x.from))
                .chain(params.unpaid_cap.iter().map(|x| x.from))
                .chain(params.art33_access.iter().map(|x| x.from))
                .chain(params.counting.iter().map(|x| x.from))
            {
                from(d);
            }
            for s in &params.stage {
                for b in s.value.bands.iter().filter(|b| b.min_age > 0) {
                    from(birthday(birth, b.min_age as u32));
                }
                if let Some(a) = &s.value.art32 {
                    from(birthday(birth, a.min_age as u32));
                }
            }
            expected.sort_unstable();
            expected.dedup();
            proptest::prop_assert_eq!(search.barrier_dates(start, horizon), expected);
        }
    }
}
