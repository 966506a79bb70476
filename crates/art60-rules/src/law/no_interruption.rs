//! # Last quarter without DmfA: the no-interruption rule
//!
//! SPEC §3.10 [P, CSC] and §7. When an earlier job's quarter has no DmfA yet and the C4 shows
//! no interruption, the quarter counts as worked: full time, the Monday–Saturday days from the
//! quarter start (or the job start) to the job end; part time, hours = calendar days × Q/7,
//! then days = hours × 6/S. The result is provisional (`provisional.no_dmfa`) and is
//! recomputed when the DmfA arrives (E6).

use chrono::NaiveDate;

use crate::calendar::r6_days;
use crate::input::Quarter;
use crate::units::Fixed4;

use super::counting_am7::{CountOut, Counter, calendar_days};
use super::facts::{Job, flag};

impl Counter<'_, '_> {
    /// The value of `[a, b]` of a declared job's quarter `q` that has no declaration.
    pub(super) fn no_interruption_value(
        &self,
        job: &Job,
        q: Quarter,
        a: NaiveDate,
        b: NaiveDate,
        out: &mut CountOut,
    ) -> (Fixed4, &'static str) {
        out.provisional(|| flag("provisional.no_dmfa", format!("{} {q}", job.label)));
        if job.full_time() {
            (Fixed4::whole(r6_days(a, b)), "R6")
        } else {
            let r = &job.regime;
            let v = Fixed4::ratio(
                i128::from(calendar_days(a, b)) * i128::from(r.weekly_hours.raw()) * 6,
                7 * i128::from(r.reference_hours.raw()),
            );
            (v, "C×Q/7×6/S")
        }
    }
}
