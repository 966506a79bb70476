//! # Under-declared days of a declared job (AM art. 7 scheme 3, old regime)
//!
//! SPEC §3.6 and §5 (option `undeclared_completion`, default `off`); AM 26/11/1991 art. 7
//! scheme 3; tolerance `unpaid_cap.completion_tolerance_days`. When the option is `complete`,
//! the days of the job's span in the quarter that no code declares are unpaid absence, less
//! the tolerance, counted in the job's proportion (Q/S) within the yearly cap. Full time:
//! R6 days − A × 6/R − tolerance (EX15). Part time, from the hours: (C × Q/7 − H) × 6/Q −
//! tolerance absence days, × Q/S (EX16). A part-time quarter declared without hours is not
//! completed: scheme 3 gives no formula for it. EX11 and EX13 hold only without it.

use crate::calendar::{days_between, r6_days};
use crate::input::{DeclaredLine, Quarter};
use crate::options::UndeclaredCompletion;
use crate::units::Fixed4;

use super::counting_am7::Counter;
use super::facts::Job;

impl Counter<'_, '_> {
    /// Scheme 3's tolerance, where the rules in force and option `undeclared_completion` let
    /// it complete declared quarters (`None`: it does not apply).
    pub(super) fn completion_tolerance(&self) -> Option<i64> {
        self.ctx
            .completion_tolerance
            .filter(|_| self.facts.opts.undeclared_completion == UndeclaredCompletion::Complete)
    }

    /// The unpaid absence scheme 3 adds to a declared quarter (zero when it does not apply).
    pub(super) fn undeclared_completion(
        &self,
        job: &Job,
        lines: &[DeclaredLine],
        q: Quarter,
    ) -> Fixed4 {
        let Some(tolerance) = self.completion_tolerance() else {
            return Fixed4::ZERO;
        };
        let a = job.start.max(q.start());
        let b = job.end.min(q.end());
        if b < a {
            return Fixed4::ZERO;
        }
        let r = &job.regime;
        let absence = if job.full_time() {
            let declared: i128 = lines.iter().map(|l| i128::from(l.days.raw())).sum();
            Fixed4::whole(r6_days(a, b))
                - Fixed4::ratio(declared * 6, i128::from(r.days_per_week.raw()))
        } else {
            let Some(hours) = lines
                .iter()
                .map(|l| l.hours.map(|h| i128::from(h.raw())))
                .sum::<Option<i128>>()
            else {
                return Fixed4::ZERO;
            };
            let qh = i128::from(r.weekly_hours.raw());
            let calendar = i128::from(days_between(a, b) + 1);
            // (C × Q/7 − H) × 6/Q, Q and H in hundredths of hours.
            Fixed4::ratio((calendar * qh - 7 * hours) * 6, 7 * qh)
        } - Fixed4::whole(tolerance);
        if absence <= Fixed4::ZERO {
            return Fixed4::ZERO;
        }
        Fixed4::ratio(
            i128::from(absence.0) * i128::from(r.weekly_hours.raw()),
            i128::from(r.reference_hours.raw()) * 10_000,
        )
    }
}
