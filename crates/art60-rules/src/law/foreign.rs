//! # Foreign work
//!
//! SPEC §3.9; AR art. 37 §2 and 38 §2; the conventions (parameters `foreign`). Foreign work
//! counts only under a convention and once followed by Belgian salaried work: 3 months (78 R6
//! days), 6 months after Tunisia, Bosnia-Herzegovina, North Macedonia or Montenegro (option
//! `foreign_followup_6_months`), one day after SSOM; none for frontier and posted workers.
//! Morocco's convention is an option (`morocco_convention`). The art. 60 contract is the
//! follow-up, so a period counts from the first candidate date at which it is met.
//! Tested by EX26–EX28.

use chrono::NaiveDate;

use crate::calendar::weekdays_in;
use crate::input::ForeignDecision;
use crate::input::{AbsenceKind, DayCategory, Quarter};
use crate::options::{ForeignFollowup6Months, MoroccoConvention};
use crate::result::Flag;
use crate::units::Fixed4;

use super::facts::{Facts, ForeignInfo, Job, JobClass, flag};

/// SPEC §3.9.2: worked days, paid holidays and guaranteed pay count toward the follow-up.
fn is_followup_work(c: DayCategory) -> bool {
    matches!(
        c,
        DayCategory::EffectiveWork
            | DayCategory::HolidayPay
            | DayCategory::PaidPublicHoliday
            | DayCategory::GuaranteedPay
            | DayCategory::CompensatoryRest
            | DayCategory::OtherPaidMinimum
    )
}
use super::regime::Ctx;

impl Facts<'_> {
    /// R6 days of Belgian follow-up work after `after` up to `e` (scheduled days × 6/R,
    /// whatever Q/S; absences other than guaranteed pay removed).
    pub fn followup_r6(&self, after: NaiveDate, e: NaiveDate) -> Fixed4 {
        let mut total = Fixed4::ZERO;
        let from = after.succ_opt().unwrap_or(after);
        for j in &self.jobs {
            let belgian = match j.class {
                JobClass::Belgian => true,
                JobClass::Foreign(f) => self.foreign[f].posted,
                JobClass::Assimilated(_) => false,
            };
            if !belgian || j.end <= after {
                continue;
            }
            let a = j.start.max(from);
            let b = j.end.min(e);
            if b >= a {
                let days = self.followup_days(j, a, b);
                total += Fixed4::ratio(days * 6, i128::from(j.regime.days_per_week.raw()));
            }
        }
        if let Some(ci) = &self.contract {
            let a = ci.c.start.max(from);
            if e >= a {
                let mut days = weekdays_in(a, e, ci.mask);
                for ab in &ci.c.absences {
                    let counts = matches!(ab.kind, AbsenceKind::GuaranteedPaySickness);
                    let s = ab.start.max(a);
                    let t = ab.end.min(e);
                    if !counts && t >= s {
                        days -= weekdays_in(s, t, ci.mask);
                    }
                }
                total += Fixed4::ratio(
                    i128::from(days) * 600,
                    i128::from(ci.c.regime.days_per_week.raw()),
                );
            }
        }
        total
    }

    /// Days of follow-up work of a Belgian job in `[a, b]`, in hundredths: the scheduled days;
    /// in a declared quarter no more than its days of work, paid holidays and guaranteed pay
    /// (§3.9.2: temporary unemployment, unpaid sickness and unpaid absence are not follow-up).
    fn followup_days(&self, j: &Job, a: NaiveDate, b: NaiveDate) -> i128 {
        if j.declared.is_empty() {
            return i128::from(weekdays_in(a, b, j.mask)) * 100;
        }
        let mut days = 0;
        let mut q = Quarter::of(a);
        while q.start() <= b {
            let (qa, qb) = (a.max(q.start()), b.min(q.end()));
            let scheduled = i128::from(weekdays_in(qa, qb, j.mask)) * 100;
            days += match j.declaration(q) {
                Some(decl) => decl
                    .lines
                    .iter()
                    .filter(|l| is_followup_work(l.category))
                    .map(|l| i128::from(l.days.raw()))
                    .sum::<i128>()
                    .min(scheduled),
                None => scheduled,
            };
            q = q.next();
        }
        days
    }

    /// AR art. 43 (SPEC §3.9.6): for a foreign national only permitted work counts; work
    /// resumed more than `permit_gap_days` after a permit lapsed must meet art. 30/33 again.
    /// Both are for the officer: the flags name the permits or their absence.
    pub fn permit_flags(&self, ctx: &Ctx<'_>) -> Vec<Flag> {
        let person = &self.req.person;
        if !person.foreign_national {
            return Vec::new();
        }
        if person.work_permits.is_empty() {
            return vec![flag("manual_review.work_permit", "no permit given")];
        }
        let Ok(gap) = self.params.permit_gap_days_at(ctx.da) else {
            // No gap rule in force on this DA (old regime): the permits are checked by hand.
            return vec![flag("manual_review.work_permit", "AR art. 43")];
        };
        let mut permits = person.work_permits.clone();
        permits.sort_by_key(|p| p.start);
        permits
            .windows(2)
            .filter_map(|w| {
                let lapsed = w[0].end?;
                let days = crate::calendar::days_between(lapsed, w[1].start) - 1;
                (days > gap.value.days).then(|| {
                    flag(
                        "manual_review.work_permit_gap",
                        format!("{lapsed}..{}", w[1].start),
                    )
                })
            })
            .collect()
    }

    /// Which foreign periods count at E (one bool each), with review flags.
    pub fn foreign_status(&self, ctx: &Ctx<'_>, e: NaiveDate) -> (Vec<bool>, Vec<Flag>) {
        let mut review = Vec::new();
        let ok = self
            .foreign
            .iter()
            .map(|f| self.foreign_counts(ctx, f, e, &mut review))
            .collect();
        (ok, review)
    }

    fn foreign_counts(
        &self,
        ctx: &Ctx<'_>,
        f: &ForeignInfo,
        e: NaiveDate,
        review: &mut Vec<Flag>,
    ) -> bool {
        let fr = ctx.foreign;
        let job = &self.jobs[f.job];
        let covered = if fr.convention_countries.contains(&f.country) {
            true
        } else if fr.option_countries.contains(&f.country) {
            match self.opts.morocco_convention {
                MoroccoConvention::Convention3Months => true,
                MoroccoConvention::None => false,
                MoroccoConvention::ManualReview => {
                    review.push(flag(
                        "manual_review.foreign_convention",
                        format!("{} {}", job.label, f.country),
                    ));
                    false
                }
            }
        } else {
            false
        };
        if f.posted {
            return true;
        }
        // §3.9.1: the officer decides by nationality which periods count.
        match f.decision {
            Some(ForeignDecision::DoesNotCount) => return false,
            Some(ForeignDecision::Counts) => {}
            None if self.req.person.foreign_national => {
                review.push(flag("manual_review.foreign_nationality", job.label.clone()))
            }
            None => {}
        }
        if !covered {
            return false;
        }
        if f.frontier {
            return true;
        }
        let needed = if f.ssom {
            fr.ssom_r6_days
        } else if fr.long_followup_countries.contains(&f.country)
            && self.opts.foreign_followup_6_months == ForeignFollowup6Months::ApplyForTnBaMkMe
        {
            fr.long_followup_r6_days
        } else {
            fr.followup_r6_days
        };
        self.followup_r6(job.end, e) >= Fixed4::whole(needed)
    }
}
