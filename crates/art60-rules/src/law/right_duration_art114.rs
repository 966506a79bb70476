//! # Duration of the right (new regime; information only)
//!
//! SPEC §3.13; AR art. 114 and AM art. 70 (parameters `right`). The right lasts 12 months
//! from the DA, plus a month per 104 days of career beyond the first 312 (a remainder of at
//! least 52 adds one), at most 12 more. Art. 33 half-days count as days, at most 312 a year
//! (option `art33_duration_units`). The right is unlimited from 55 with enough career years
//! (years = days ÷ 312, a remainder of 156 adds one; a full transition allowance adds 2), and
//! for dock workers and sea fishermen. Tested by EX35–EX38.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::calendar::{age_on, period_end};
use crate::input::Career;
use crate::options::{Art33DurationUnits, QuarterCapMethod};
use crate::params::{RegimeId, Right};
use crate::result::{OptionEval, Outcome, RightDuration, Unit};
use crate::units::Fixed4;

use super::Memo;
use super::counting_am7::{Counter, Keep};
use super::facts::Facts;

/// The DA of an outcome.
pub(crate) fn outcome_da(o: &Outcome) -> Option<NaiveDate> {
    match o {
        Outcome::Planned {
            first_benefit_date, ..
        }
        | Outcome::Fixed {
            first_benefit_date, ..
        }
        | Outcome::NoStageRequired { first_benefit_date } => Some(*first_benefit_date),
        Outcome::Assessed {
            application_date, ..
        } => Some(*application_date),
        Outcome::Unreachable { scanned_until, .. } => scanned_until.succ_opt(),
    }
}

impl Facts<'_> {
    /// The right's duration for an admissible outcome of the new regime.
    pub fn right_duration(
        &self,
        regime: RegimeId,
        outcome: &Outcome,
        winning: Option<&OptionEval>,
        memo: &dyn Memo,
    ) -> Option<RightDuration> {
        if regime != RegimeId::New {
            return None;
        }
        let da = outcome_da(outcome)?;
        if !matches!(
            outcome,
            Outcome::Planned { .. }
                | Outcome::Assessed {
                    admissible: true,
                    ..
                }
                | Outcome::Fixed {
                    admissible: true,
                    ..
                }
        ) {
            return None;
        }
        let r = self.params.right_at(da).ok()?;
        let rv = &r.value;
        let (career, reason) = match &self.req.career {
            Some(c) => (
                i64::from(c.days) - i64::from(c.used_days),
                "career history given".to_string(),
            ),
            None => (
                self.career_from_history(rv, da, winning, memo)?,
                "counted from the history given (the real career may be longer)".to_string(),
            ),
        };
        let reason = match self.fresh_right(outcome) {
            Some(days) => format!(
                "{reason}; a fresh right: art. 30/33 met again after an interruption of at least {days} days (AR art. 116 §4)"
            ),
            None => reason,
        };
        let avail = career - rv.base_days;
        let extra = if avail <= 0 {
            0
        } else {
            (avail / rv.days_per_extra_month
                + i64::from(avail % rv.days_per_extra_month >= rv.remainder_adds_month))
            .min(rv.max_extra_months)
        };
        let unlimited = self.unlimited(rv, da, career, self.req.career);
        let months = i64::from(rv.base_months) + extra;
        let until = if unlimited {
            None
        } else {
            period_end(da, months as u32).into()
        };
        Some(RightDuration {
            career_days: career,
            available_days: avail.max(0),
            extra_months: extra,
            months,
            from: da,
            until,
            unlimited,
            reason,
        })
    }

    /// The career counted from the history given, up to the DA (art. 33: half-days as days,
    /// at most 312 a year, option `art33_duration_units`).
    fn career_from_history(
        &self,
        rv: &Right,
        da: NaiveDate,
        winning: Option<&OptionEval>,
        memo: &dyn Memo,
    ) -> Option<i64> {
        let start = self
            .jobs
            .iter()
            .map(|j| j.start)
            .chain(self.contract.as_ref().map(|c| c.c.start))
            .min()
            .unwrap_or(da);
        // The final answer's DA: its parameter entries are the memo's already.
        let ctx = memo.ctx_at(self.params, da).ok()?;
        let (foreign_ok, _) = self.foreign_status(&ctx, da.pred_opt()?);
        let half = winning.is_some_and(|w| w.unit == Unit::HalfDays);
        let counter = Counter {
            facts: self,
            ctx: &ctx,
            unit: if half { Unit::HalfDays } else { Unit::Days },
            method: QuarterCapMethod::PerQuarter,
            foreign_ok: &foreign_ok,
        };
        let end = da.pred_opt()?;
        if !half {
            // Days: the total only, which the memo may give from the sums it keeps.
            let keep = Keep {
                flags: false,
                rows: false,
            };
            return Some(
                memo.count(&counter, start, end, Some(end), keep)
                    .total
                    .ceil(),
            );
        }
        // The per-year cap needs the quarters.
        let keep = Keep {
            flags: true,
            rows: true,
        };
        let c = counter.count(start, end, Some(end), keep);
        Some(match self.opts.art33_duration_units {
            Art33DurationUnits::HalfDaysRaw => c.total.ceil(),
            Art33DurationUnits::HalfDaysAsDaysCapped312 => {
                let mut per_year: BTreeMap<i32, Fixed4> = BTreeMap::new();
                for q in &c.quarters {
                    *per_year.entry(q.quarter.year).or_default() += q.result;
                }
                per_year
                    .values()
                    .map(|v| (*v).min(Fixed4::whole(rv.half_days_cap_per_year)))
                    .sum::<Fixed4>()
                    .ceil()
            }
        })
    }

    /// §3.13.6, AR art. 116 §4: a person with a current right who meets art. 30/33 again
    /// after an interruption of at least `interruption_days` (the art. 60 contract) opens a
    /// fresh right. The days of the interruption when that is so.
    fn fresh_right(&self, outcome: &Outcome) -> Option<i64> {
        self.req.current_right_until?;
        let (Outcome::Planned { end_date, .. } | Outcome::Fixed { end_date, .. }) = outcome else {
            return None;
        };
        let ci = self.contract.as_ref()?;
        let rule = self.params.interruption_days_at(*end_date).ok()?;
        let days = crate::calendar::days_between(ci.c.start, *end_date) + 1;
        (days >= rule.value.days).then_some(rule.value.days)
    }

    /// Art. 114 §2: the unlimited right.
    fn unlimited(&self, rv: &Right, da: NaiveDate, career: i64, given: Option<Career>) -> bool {
        let age = age_on(self.req.person.birth_date, da);
        let u = &rv.unlimited;
        let mut years = career.max(0) / u.year_days
            + i64::from(career.max(0) % u.year_days >= u.remainder_adds_year);
        if given.is_some_and(|c| c.full_transition_allowance) {
            years += u.transition_allowance_years;
        }
        let needed = u
            .career_years
            .iter()
            .find(|c| c.admission_year == da.year())
            .or_else(|| u.career_years.last())
            .map_or(i64::MAX, |c| c.years);
        self.req.person.dock_worker_or_fisher || (age >= u.min_age && years >= needed)
    }
}
