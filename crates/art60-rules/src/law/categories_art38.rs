//! # Which days count
//!
//! SPEC §3.6; AR art. 37 §1 (work days) and art. 38 (assimilated days), old and new lists;
//! AM art. 7. Each category of days has a treatment in the regime's table (`categories` in
//! the parameters): counted, counted within the yearly cap of unpaid absence, extending the
//! reference period, not counted, open (option `open_assimilations`), or for the officer.
//! Tested by EX05, EX06, EX15/EX16 (unpaid absence) and the category tests of `behaviour.rs`.

use crate::input::{AbsenceKind, DayCategory, PeriodKind};
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
