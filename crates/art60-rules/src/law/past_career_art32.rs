//! # Art. 32: the past career (old regime)
//!
//! SPEC §3.11; AR art. 32 (repealed 2026-03-01; parameters `stage.art32`). From age 36, on
//! the art. 30 route and in the own band only: with d the rounded days in the own extended
//! window and P10 the 10 years just before it, the option is met when d ≥ ⅔ of the
//! requirement and P10 holds 8 × (requirement − d) days, or d ≥ ½ and P10 holds 1,560 days.
//! Tested by EX33 and EX34.

use chrono::NaiveDate;

use crate::calendar::r6_days;
use crate::params::Art32;
use crate::result::{Art32Eval, OptionEval};

/// The art. 32 figures of a regime, named.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Art32Figures {
    pub half: [i64; 2],
    pub two_thirds: [i64; 2],
    /// Days of P10 needed per day missing in the window ("8 ×").
    pub per_missing_day: i64,
    /// Days of P10 needed with half the requirement (1,560).
    pub past_days_half: i64,
}

impl From<&Art32> for Art32Figures {
    fn from(a: &Art32) -> Self {
        Art32Figures {
            half: a.half,
            two_thirds: a.two_thirds,
            per_missing_day: a.missing_day_multiplier,
            past_days_half: a.past_days_half,
        }
    }
}

/// P10: the `years` before the own window's start.
pub(crate) fn past_period(
    own: &OptionEval,
    years_back: impl Fn(NaiveDate) -> NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let start = own.window.start;
    (years_back(start), start.pred_opt().unwrap_or(start))
}

/// The days P10 must hold with half the requirement: 1,560, or, [P] for a career begun
/// inside P10, half the working days from its start to the end of P10 (SPEC §3.11, "confirm
/// this wording": the caller flags it for the officer).
pub(crate) fn past_days_half(
    a32: &Art32,
    (past_start, past_end): (NaiveDate, NaiveDate),
    career_start: Option<NaiveDate>,
) -> (i64, bool) {
    match career_start {
        Some(cs) if cs > past_start && cs <= past_end => {
            (a32.past_days_half.min(r6_days(cs, past_end) / 2), true)
        }
        _ => (a32.past_days_half, false),
    }
}

/// Art. 32 from the own art. 30 option and the days counted in P10.
pub(crate) fn art32_option(
    a32: &Art32,
    own: &OptionEval,
    (past_start, past_end): (NaiveDate, NaiveDate),
    past: i64,
    past_days_half: i64,
) -> OptionEval {
    let req_days = own.required;
    let d = own.counted;
    let two_thirds = d * a32.two_thirds[1] >= req_days * a32.two_thirds[0];
    let half = d * a32.half[1] >= req_days * a32.half[0];
    let need_a = a32.missing_day_multiplier * (req_days - d).max(0);
    let (met, condition, past_required) = if two_thirds && past >= need_a {
        (true, "two_thirds", need_a)
    } else if half && past >= past_days_half {
        (true, "half", past_days_half)
    } else if two_thirds {
        (false, "two_thirds", need_a.min(past_days_half))
    } else {
        (false, "half", past_days_half)
    };
    let mut o = own.clone();
    o.met = met;
    o.art32 = Some(Art32Eval {
        past_start,
        past_end,
        past_days: past,
        past_required,
        condition: condition.into(),
    });
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamSet;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_career_begun_inside_p10_needs_half_its_working_days() {
        // §3.11 [P]: from 2019-01-07 to 2023-12-31 there are 1,548 Monday–Saturday days; half
        // is 774, below 1,560. A career begun before P10 keeps 1,560.
        let p = ParamSet::embedded();
        let a32 = p
            .stage_at(d("2024-01-01"))
            .unwrap()
            .value
            .art32
            .clone()
            .unwrap();
        let p10 = (d("2014-01-01"), d("2023-12-31"));
        let (half, variant) = past_days_half(&a32, p10, Some(d("2019-01-07")));
        assert_eq!(
            (half, variant),
            (r6_days(d("2019-01-07"), d("2023-12-31")) / 2, true)
        );
        assert!(half < 1560);
        assert_eq!(
            past_days_half(&a32, p10, Some(d("2010-01-04"))),
            (1560, false)
        );
        assert_eq!(past_days_half(&a32, p10, None), (1560, false));
    }
}
