//! Only the quarters needed (SPEC §9): of a person's DmfA, only the quarters that can reach the
//! reference window of one of their open requests are stored.
//!
//! The bound comes from the rules crate's dated parameters (no literal here): for every DA the
//! plan may try (from the contract start to `counting.max_scan_months` later), the longest
//! window in force (largest age band plus the art. 33 months, plus the art. 32 past-career
//! years that sit before it, or the old art. 42 window) plus the largest capped extension in
//! force. Extensions without a cap (detention, career break...) lengthen the window by their
//! own duration, so the typed periods of those kinds are added too.

use art60_rules::calendar::add_months;
use art60_rules::input::{HistoryItem, PeriodKind, Quarter};
use art60_rules::params::{Dated, ParamSet};
use chrono::{Months, NaiveDate};

fn in_force_between<T>(
    list: &[Dated<T>],
    from: NaiveDate,
    to: NaiveDate,
) -> impl Iterator<Item = &T> {
    list.iter()
        .filter(move |d| d.from <= to && d.to.is_none_or(|t| t >= from))
        .map(|d| &d.value)
}

/// Months before the contract start that the calculation of a contract starting on `start`
/// may look at (before any uncapped extension).
pub fn lookback_months(params: &ParamSet, start: NaiveDate) -> u32 {
    let scan = params
        .counting
        .iter()
        .map(|c| c.value.max_scan_months)
        .max()
        .unwrap_or(0);
    let last_da = add_months(start, scan);
    let capped_extension = in_force_between(&params.extensions, start, last_da)
        .flat_map(|e| e.events.iter())
        .filter_map(|r| r.max_years)
        .max()
        .unwrap_or(0)
        .saturating_mul(12);
    let stage = in_force_between(&params.stage, start, last_da)
        .map(|s| {
            let band = s.bands.iter().map(|b| b.months).max().unwrap_or(0);
            let art32 = s
                .art32
                .as_ref()
                .map_or(0, |a| a.past_years.saturating_mul(12));
            band.saturating_add(s.art33_extra_months)
                .saturating_add(art32)
        })
        .max()
        .unwrap_or(0);
    let art33 = in_force_between(&params.art33_access, start, last_da)
        .map(|a| a.lookback_months)
        .max()
        .unwrap_or(0);
    let art42 = in_force_between(&params.art42, start, last_da)
        .map(|a| {
            let cap = a
                .events
                .iter()
                .filter_map(|r| r.max_years)
                .max()
                .unwrap_or(0);
            a.window_years.saturating_add(cap).saturating_mul(12)
        })
        .max()
        .unwrap_or(0);
    stage.max(art33).saturating_add(capped_extension).max(art42)
}

/// Typed periods that lengthen the window by their own duration (no cap in the parameters).
fn uncapped_extension_days(typed: &[HistoryItem]) -> i64 {
    typed
        .iter()
        .filter(|h| {
            matches!(
                h.kind,
                PeriodKind::Detention
                    | PeriodKind::CareerBreak
                    | PeriodKind::MilitaryService
                    | PeriodKind::ForceMajeure
                    | PeriodKind::UnpaidStudy
                    | PeriodKind::ChildRaising
                    | PeriodKind::InsuredSickness
                    | PeriodKind::WorkAccident
                    | PeriodKind::OccupationalDisease
            )
        })
        .map(|h| (h.end - h.start).num_days() + 1)
        .sum()
}

/// The first quarter that can matter for a request whose contract starts on `start` and whose
/// typed history is `typed`.
pub fn first_needed_quarter(params: &ParamSet, start: NaiveDate, typed: &[HistoryItem]) -> Quarter {
    let months = lookback_months(params, start);
    let back = start
        .checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN);
    let back = back
        .checked_sub_signed(chrono::Duration::days(uncapped_extension_days(typed)))
        .unwrap_or(NaiveDate::MIN);
    Quarter::of(back)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_bound_follows_the_parameters_in_force() {
        let p = ParamSet::embedded();
        // New regime only (DA from 2026-12): the 36-month window plus the 15-year cap.
        let new = lookback_months(p, d("2026-12-01"));
        let band = p.stage.last().unwrap().value.bands[0].months;
        assert_eq!(band, 36);
        assert!(new >= band + 15 * 12, "{new}");
        // A contract whose DAs may still fall in the old regime also reaches art. 32's 10 years.
        let old = lookback_months(p, d("2024-01-01"));
        assert!(old > new, "{old} vs {new}");
        assert_eq!(
            first_needed_quarter(p, d("2026-12-01"), &[]),
            Quarter::of(
                d("2026-12-01")
                    .checked_sub_months(Months::new(new))
                    .unwrap()
            )
        );
    }

    #[test]
    fn uncapped_extensions_typed_by_the_cpas_move_the_bound_back() {
        let p = ParamSet::embedded();
        let detention = HistoryItem {
            kind: PeriodKind::Detention,
            start: d("2015-01-01"),
            end: d("2016-12-31"),
            ..HistoryItem::default()
        };
        let plain = first_needed_quarter(p, d("2026-12-01"), &[]);
        let longer = first_needed_quarter(p, d("2026-12-01"), &[detention]);
        assert!(longer.index() <= plain.index() - 8, "{longer} vs {plain}");
    }
}
