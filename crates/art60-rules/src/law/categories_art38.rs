//! # Which days count
//!
//! SPEC §3.6; AR art. 37 §1 (work days) and art. 38 (assimilated days), old and new lists;
//! AM art. 7. Each category of days has a treatment in the regime's table (`categories` in
//! the parameters): counted, counted within the yearly cap of unpaid absence, extending the
//! reference period, not counted, open (option `open_assimilations`), or for the officer.
//! Tested by EX05, EX06, EX15/EX16 (unpaid absence) and the category tests of `behaviour.rs`.

use crate::input::{AbsenceKind, ContributionPaid, DayCategory, Pay, PeriodKind, WorkRegime};
use crate::result::Flag;

use super::facts::{Facts, JobClass, flag};
use super::regime::Ctx;
use crate::options::{OpenChoice, Options};
use crate::params::Treatment;

/// How a category counts once the options are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effective {
    Count,
    /// Within the yearly cap of unpaid absence (old regime).
    Unpaid,
    No,
    Review,
}

pub(crate) fn effective(t: Treatment, o: &Options) -> Effective {
    let open = |c: OpenChoice| match c {
        OpenChoice::Count | OpenChoice::CountIfPaidWithUnemploymentContribution => Effective::Count,
        OpenChoice::Exclude => Effective::No,
        OpenChoice::ManualReview => Effective::Review,
    };
    match t {
        Treatment::Count => Effective::Count,
        Treatment::CappedUnpaid => Effective::Unpaid,
        Treatment::Extends | Treatment::NotCounted => Effective::No,
        Treatment::Open51 => open(o.open_assimilations.code_51),
        Treatment::Open5_13 => open(o.open_assimilations.codes_5_13),
        Treatment::Open23_4_73 => open(o.open_assimilations.codes_23_4_73),
        Treatment::ManualReview => Effective::Review,
    }
}

/// A declared line's treatment: codes 5 and 13 (`Open5_13`) under
/// `count_if_paid_with_unemployment_contribution` count only when the line says they were
/// paid with the contribution (SPEC §5 Q6); unknown goes to the officer, not counted.
pub(crate) fn effective_line(t: Treatment, o: &Options, paid: ContributionPaid) -> Effective {
    if t == Treatment::Open5_13
        && o.open_assimilations.codes_5_13 == OpenChoice::CountIfPaidWithUnemploymentContribution
    {
        return match paid {
            ContributionPaid::Yes => Effective::Count,
            ContributionPaid::No => Effective::No,
            ContributionPaid::Unknown => Effective::Review,
        };
    }
    effective(t, o)
}

impl Facts<'_> {
    /// SPEC §3.6: a work day is paid at least the minimum (ONEM checks the RMMMG, parameter
    /// `rmmmg`). A job whose full-time-equivalent pay is below the RMMMG in force at its end
    /// goes to the officer; where no RMMMG is in force the check cannot be made.
    pub fn minimum_pay_flags(&self, ctx: &Ctx<'_>) -> Vec<Flag> {
        let contract = self
            .contract
            .as_ref()
            .map(|ci| ("contract", ci.c.pay, ci.c.regime, ctx.da));
        let jobs = self
            .jobs
            .iter()
            .filter(|j| j.class == JobClass::Belgian)
            .map(|j| (j.label.as_ref(), j.pay, j.regime, j.end.min(ctx.da)));
        contract
            .into_iter()
            .chain(jobs)
            .filter_map(|(label, pay, regime, at)| {
                let min = self.params.rmmmg_at(at).ok()?;
                let factor = self
                    .params
                    .reference_wage_at(at)
                    .ok()?
                    .value
                    .hourly_to_monthly;
                let fte = full_time_monthly_cents(pay?, &regime, factor);
                (fte < min.value.monthly_cents())
                    .then(|| flag("manual_review.below_rmmmg", format!("{label} {at}")))
            })
            .collect()
    }
}

/// Full-time-equivalent monthly pay in cents: monthly × S/Q, or hourly × S × 13/3.
fn full_time_monthly_cents(pay: Pay, r: &WorkRegime, factor: [i64; 2]) -> i64 {
    match pay {
        Pay::Monthly(m) => {
            let q = i128::from(r.weekly_hours.raw()).max(1);
            let cents = i128::from(m.raw()) * i128::from(r.reference_hours.raw()) / q;
            i64::try_from(cents).unwrap_or(i64::MAX)
        }
        // The status's own conversion, at the full-time hours S.
        Pay::Hourly(_) => {
            let full = WorkRegime {
                weekly_hours: r.reference_hours,
                ..*r
            };
            super::status::monthly_cents(pay, &full, factor)
        }
    }
}

/// The category of days of an assimilated history period.
pub(crate) fn assimilated_category(kind: PeriodKind) -> Option<DayCategory> {
    Some(match kind {
        PeriodKind::InsuredSickness
        | PeriodKind::WorkAccident
        | PeriodKind::OccupationalDisease => DayCategory::InsuredSickness,
        PeriodKind::Maternity => DayCategory::Maternity,
        PeriodKind::TemporaryUnemployment => DayCategory::TemporaryUnemployment,
        PeriodKind::UnpaidLeave => DayCategory::UnpaidAbsence,
        PeriodKind::FullUnemployment => DayCategory::FullUnemployment,
        _ => return None,
    })
}

/// The category of days of an absence during the contract.
pub(crate) fn absence_category(kind: AbsenceKind) -> DayCategory {
    match kind {
        AbsenceKind::GuaranteedPaySickness => DayCategory::GuaranteedPay,
        AbsenceKind::InsuredSickness
        | AbsenceKind::WorkAccident
        | AbsenceKind::OccupationalDisease => DayCategory::InsuredSickness,
        AbsenceKind::Maternity => DayCategory::Maternity,
        AbsenceKind::UnpaidLeave => DayCategory::UnpaidAbsence,
        AbsenceKind::TemporaryUnemployment => DayCategory::TemporaryUnemployment,
        AbsenceKind::Strike => DayCategory::Strike,
    }
}

/// The snake_case name of a category, as in the JSON input (for flag details).
pub(crate) fn category_code(c: DayCategory) -> String {
    crate::result::variant_name(&c)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Hundredths;

    #[test]
    fn codes_5_and_13_follow_the_line_under_count_if_paid() {
        // SPEC §5 Q6 default for codes 5 and 13.
        let o = Options::default();
        let t = Treatment::Open5_13;
        assert_eq!(
            effective_line(t, &o, ContributionPaid::Yes),
            Effective::Count
        );
        assert_eq!(effective_line(t, &o, ContributionPaid::No), Effective::No);
        assert_eq!(
            effective_line(t, &o, ContributionPaid::Unknown),
            Effective::Review
        );
        // Other treatments ignore the field.
        assert_eq!(
            effective_line(Treatment::Count, &o, ContributionPaid::No),
            Effective::Count
        );
    }

    #[test]
    fn full_time_equivalent_pay() {
        // Monthly × S/Q; hourly × S × 13/3.
        let r = WorkRegime {
            weekly_hours: Hundredths::whole(19),
            ..WorkRegime::full_time_5()
        };
        assert_eq!(
            full_time_monthly_cents(Pay::Monthly(Hundredths::whole(1000)), &r, [13, 3]),
            200_000
        );
        let h = full_time_monthly_cents(Pay::Hourly(Hundredths::whole(12)), &r, [13, 3]);
        assert_eq!(h, 12 * 38 * 13 * 100 / 3);
    }
}
