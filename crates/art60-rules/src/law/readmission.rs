//! # Re-admission without a stage
//!
//! SPEC §3.2. Old regime, AR art. 42 (ONEM T39; CSC): the last paid full-unemployment day
//! (for AGR, the last non-Sunday of the last month paid) falls within 3 years, date to date,
//! before the DA, the 3 years extended by the events of the `art42` table (and by the art. 60
//! job as a re-employment programme shorter than 24 months, option
//! `art60_is_reemployment_programme`). New regime, art. 42 (new) with art. 114, 116: the DA
//! falls inside the current right. Loi-programme 2025-07-18 art. 212: a person still
//! re-admissible under old art. 42 after 2026-03-01 keeps a time-limited right → the officer
//! (`manual_review.art212`). Tested by EX23 and `assess-old-art42`.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::calendar::{MonthEnd, add_months, period_end, sub_months};
use crate::input::LastPaid;
use crate::params::ExtensionKind;

use super::extensions::{Event, apply_rule, extend};
use super::facts::{Facts, RawEvent};
use super::regime::Ctx;

/// Why no stage is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoStage {
    /// Old art. 42: last paid day within the (extended) 3 years.
    Art42Old,
    /// New art. 42: the DA falls inside the current right.
    Art42New,
    /// The stage is met without the contract.
    StageAlreadyMet,
}

impl NoStage {
    /// The stable name in the result (`no_stage_required`).
    pub fn as_str(self) -> &'static str {
        match self {
            NoStage::Art42Old => "art42_old",
            NoStage::Art42New => "art42_new",
            NoStage::StageAlreadyMet => "stage_already_met",
        }
    }
    /// Re-admitted: there is no reference window to explain.
    pub fn is_readmission(self) -> bool {
        matches!(self, NoStage::Art42Old | NoStage::Art42New)
    }
}

/// The old art. 42 check at one DA.
pub(crate) struct Art42Old {
    pub met: bool,
    pub last_paid_day: NaiveDate,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub extensions: usize,
}

impl Facts<'_> {
    /// The last paid full-unemployment day (AGR: the last non-Sunday of the month paid).
    pub(crate) fn last_paid_day(&self) -> Option<NaiveDate> {
        Some(match self.req.last_paid_unemployment? {
            LastPaid::Day(d) => d,
            LastPaid::AgrMonth(m) => {
                let first = NaiveDate::from_ymd_opt(m.year(), m.month(), 1)?;
                let mut d = add_months(first, 1).pred_opt()?;
                if d.weekday() == Weekday::Sun {
                    d = d.pred_opt()?;
                }
                d
            }
        })
    }

    /// Old art. 42 at candidate date `e`; `extra` holds the events that exist only at this
    /// date (foreign work not countable yet, absences). `None` without a last paid day.
    pub fn art42_old(&self, ctx: &Ctx<'_>, extra: &[RawEvent], e: NaiveDate) -> Option<Art42Old> {
        let last = self.last_paid_day()?;
        let da = ctx.da;
        let base = sub_months(da, ctx.art42.window_years * 12, MonthEnd::ClampToMonthEnd);
        let mut evs: Vec<Event> = self
            .events
            .iter()
            .chain(extra)
            .filter_map(|r| {
                let rule = ctx
                    .art42
                    .events
                    .iter()
                    .find(|x| x.kinds.contains(&r.kind))?;
                apply_rule(r, rule)
            })
            .collect();
        super::extensions::count_once(&mut evs);
        if self.opts.art60_is_reemployment_programme
            && let Some(ci) = &self.contract
            && let Some(max_months) = ctx.art42.programme_max_months
        {
            // The art. 60 job as a re-employment programme (shorter than the programme
            // limit, 24 months) extends the 3 years.
            let end = ci.c.end.unwrap_or(e).min(e);
            if end >= ci.c.start && period_end(ci.c.start, max_months) > end {
                evs.push(Event {
                    label: "contract".into(),
                    kind: ExtensionKind::CareerBreak,
                    start: ci.c.start,
                    end,
                });
            }
        }
        let end = da.pred_opt()?;
        let (start, extensions) = extend(base, end, &evs, self.opts.extension_unit, None);
        Some(Art42Old {
            met: last >= start && last <= end,
            last_paid_day: last,
            window_start: start,
            window_end: end,
            extensions,
        })
    }

    /// Loi-programme art. 212: in the new regime, still re-admissible under old art. 42?
    pub fn art212_applies(&self, ctx: &Ctx<'_>, extra: &[RawEvent], e: NaiveDate) -> bool {
        if self.req.last_paid_unemployment.is_none() {
            return false;
        }
        let before = ctx.stage.from.pred_opt().unwrap_or(ctx.stage.from);
        let Ok(old) = Ctx::at(self.params, before) else {
            return false;
        };
        let old_rules = Ctx { da: ctx.da, ..old };
        self.art42_old(&old_rules, extra, e).is_some_and(|a| a.met)
    }
}

#[cfg(test)]
mod tests {
    use super::NoStage;

    #[test]
    fn no_stage_reasons_keep_their_stable_names() {
        // The names are stored with every result and read by the service and the portal.
        assert_eq!(NoStage::Art42Old.as_str(), "art42_old");
        assert_eq!(NoStage::Art42New.as_str(), "art42_new");
        assert_eq!(NoStage::StageAlreadyMet.as_str(), "stage_already_met");
        assert!(NoStage::Art42New.is_readmission());
        assert!(!NoStage::StageAlreadyMet.is_readmission());
    }
}
