//! # The requirement options: age bands
//!
//! SPEC §3.4; AR art. 30 al. 1 and art. 33 2° (old and new; parameters `stage`). Old regime:
//! by age in completed years on the DA, 312 days in 21 months (< 36), 468 in 33 (36–49), 624
//! in 42 (≥ 50); any older band may also be used; art. 33 uses the same figures in half-days
//! over windows 6 months longer. New regime: 312 days (or half-days) in 36 months at every
//! age. Each option's window is extended and cut off the same way (§3.5). Tested by EX01,
//! EX02, EX34 and `crossing-36`.

use chrono::NaiveDate;

use crate::params::{Band, Stage};
use crate::result::{AppliedExtension, Unit, Window};

use super::extensions::{Event, extend};
use super::facts::Facts;

/// The bands a person may use at an age: the own band and, where allowed, the older ones.
pub(crate) fn bands_for(stage: &Stage, age: i32) -> (usize, std::ops::Range<usize>) {
    let own = stage
        .bands
        .iter()
        .rposition(|b| age >= b.min_age)
        .unwrap_or(0);
    // A range: the own band and every older one, or the own band alone (no list to build
    // at every candidate date).
    let bands = if stage.older_bands_allowed {
        own..stage.bands.len()
    } else {
        own..own + 1
    };
    (own, bands)
}

/// The window length and article of a band in a unit.
pub(crate) fn band_months(stage: &Stage, b: &Band, unit: Unit) -> (u32, &'static str) {
    match unit {
        Unit::Days => (b.months, "AR art. 30"),
        Unit::HalfDays => (b.months + stage.art33_extra_months, "AR art. 33"),
    }
}

/// The stable id of a band option (`art30_band36`).
pub(crate) fn option_id(unit: Unit, b: &Band) -> String {
    let prefix = if unit == Unit::Days { "art30" } else { "art33" };
    // Pushed, not formatted: the formatting machinery cost more than the rest of the id.
    let mut id = String::with_capacity(16);
    id.push_str(prefix);
    id.push_str("_band");
    crate::units::Fixed4::whole(i64::from(b.min_age)).push_to(&mut id);
    id
}

impl Facts<'_> {
    /// An option's window: `months` back from the DA, extended by `events`, cut off.
    pub fn window(
        &self,
        da: NaiveDate,
        end: NaiveDate,
        months: u32,
        events: &[Event],
        cutoff: Option<NaiveDate>,
        keep_extensions: bool,
    ) -> Window {
        let base = self.months_back(da, months);
        let mut applied: Vec<AppliedExtension> = Vec::new();
        let list = keep_extensions.then_some(&mut applied);
        let (mut start, _) = extend(base, end, events, self.opts.extension_unit, list);
        let mut cut = None;
        if let Some(c) = cutoff
            && c > start
        {
            start = c;
            cut = Some(c);
        }
        Window {
            months,
            base_start: base,
            start,
            end,
            extensions: applied,
            cutoff: cut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamSet;

    #[test]
    fn old_bands_allow_the_older_ones_and_new_has_one() {
        // §3.4: at 40 in the old regime, 468/33 and 624/42; in the new regime 312/36 only.
        let p = ParamSet::embedded();
        let old = &p.stage_at("2025-06-01".parse().unwrap()).unwrap().value;
        let (own, bands) = bands_for(old, 40);
        assert_eq!((old.bands[own].days, old.bands[own].months), (468, 33));
        assert_eq!(bands.len(), 2);
        assert_eq!(band_months(old, &old.bands[own], Unit::HalfDays).0, 39);
        let new = &p.stage_at("2026-06-01".parse().unwrap()).unwrap().value;
        let (own, bands) = bands_for(new, 40);
        assert_eq!(
            (new.bands[own].days, new.bands[own].months, bands.len()),
            (312, 36, 1)
        );
        assert_eq!(option_id(Unit::Days, &new.bands[own]), "art30_band0");
    }

    #[test]
    fn an_option_id_writes_the_age_as_formatting_would() {
        // A whole number's text has no decimals: the age as formatting writes it.
        for n in [0i64, 7, 10, 36, 50, 99, 100, 12_345, -3] {
            let mut s = String::from("x");
            crate::units::Fixed4::whole(n).push_to(&mut s);
            assert_eq!(s, format!("x{n}"));
        }
        let p = crate::ParamSet::embedded();
        let old = &p.stage_at("2020-06-01".parse().unwrap()).unwrap().value;
        for b in &old.bands {
            assert_eq!(
                option_id(Unit::HalfDays, b),
                format!("art33_band{}", b.min_age)
            );
        }
    }
}
