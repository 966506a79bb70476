//! Periods typed by the CPAS against periods read from the DmfA. Nothing is merged: each period
//! keeps its source, and every overlap that could count the same days twice, or that contradicts
//! the declarations, is returned as a [`Conflict`] for an officer to settle.

use art60_rules::input::{HistoryItem, PeriodKind, Source};
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Same dates and regime: probably the same job typed by hand; keeping both counts it twice.
    Duplicate,
    /// A typed work period overlaps a declared one with other dates or another regime.
    OverlappingWork,
    /// A typed absence (sickness, maternity, temporary unemployment...) falls inside declared
    /// work: the DmfA already declares such days under a service code.
    AbsenceAlsoDeclared,
    /// A typed situation that excludes salaried work (full unemployment, detention...) while
    /// the DmfA declares work.
    Contradiction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// Index in the typed (manual) list.
    pub manual: usize,
    /// Index in the DmfA list.
    pub dmfa: usize,
    /// The days both periods cover.
    pub overlap_start: NaiveDate,
    pub overlap_end: NaiveDate,
    pub message: String,
}

fn kind_for(manual: &HistoryItem, dmfa: &HistoryItem) -> ConflictKind {
    match manual.kind {
        PeriodKind::Work => {
            if manual.start == dmfa.start && manual.end == dmfa.end && manual.regime == dmfa.regime
            {
                ConflictKind::Duplicate
            } else {
                ConflictKind::OverlappingWork
            }
        }
        PeriodKind::InsuredSickness
        | PeriodKind::WorkAccident
        | PeriodKind::OccupationalDisease
        | PeriodKind::Maternity
        | PeriodKind::TemporaryUnemployment
        | PeriodKind::UnpaidLeave
        | PeriodKind::CareerBreak => ConflictKind::AbsenceAlsoDeclared,
        PeriodKind::ForeignWork
        | PeriodKind::FullUnemployment
        | PeriodKind::SelfEmployment
        | PeriodKind::NonOnssWork
        | PeriodKind::Detention
        | PeriodKind::MilitaryService
        | PeriodKind::ForceMajeure
        | PeriodKind::UnpaidStudy
        | PeriodKind::ChildRaising
        | PeriodKind::Other => ConflictKind::Contradiction,
    }
}

/// Compares typed periods with DmfA periods. Items of `manual` whose source is already `Dmfa`
/// and items of `dmfa` whose source is not are ignored (they are in the wrong list).
pub fn reconcile(manual: &[HistoryItem], dmfa: &[HistoryItem]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (i, m) in manual.iter().enumerate() {
        if m.source == Source::Dmfa {
            continue;
        }
        for (j, d) in dmfa.iter().enumerate() {
            if d.source != Source::Dmfa || d.kind != PeriodKind::Work {
                continue;
            }
            let s = m.start.max(d.start);
            let e = m.end.min(d.end);
            if s > e {
                continue;
            }
            let kind = kind_for(m, d);
            let employer = d.employer.as_deref().unwrap_or("an employer");
            let message = match kind {
                ConflictKind::Duplicate => format!(
                    "the typed work period {}..{} matches the DmfA work of {employer}: keep one of them",
                    m.start, m.end
                ),
                ConflictKind::OverlappingWork => format!(
                    "the typed work period {}..{} overlaps the DmfA work of {employer} from {s} to {e}",
                    m.start, m.end
                ),
                ConflictKind::AbsenceAlsoDeclared => format!(
                    "the typed {:?} period overlaps the DmfA work of {employer} from {s} to {e}: the declaration already lists absences under service codes",
                    m.kind
                ),
                ConflictKind::Contradiction => format!(
                    "the typed {:?} period contradicts the DmfA work of {employer} from {s} to {e}",
                    m.kind
                ),
            };
            out.push(Conflict {
                kind,
                manual: i,
                dmfa: j,
                overlap_start: s,
                overlap_end: e,
                message,
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use art60_rules::input::WorkRegime;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn item(kind: PeriodKind, s: &str, e: &str, source: Source) -> HistoryItem {
        HistoryItem {
            kind,
            start: d(s),
            end: d(e),
            regime: Some(WorkRegime::full_time_5()),
            employer: Some("ONSS 123".into()),
            source,
            ..HistoryItem::default()
        }
    }

    #[test]
    fn each_kind_of_conflict_and_no_merge() {
        let dm = vec![item(
            PeriodKind::Work,
            "2024-01-01",
            "2024-06-30",
            Source::Dmfa,
        )];
        let manual = vec![
            item(PeriodKind::Work, "2024-01-01", "2024-06-30", Source::Manual),
            item(PeriodKind::Work, "2024-06-01", "2024-09-30", Source::Manual),
            item(
                PeriodKind::InsuredSickness,
                "2024-03-01",
                "2024-03-10",
                Source::Manual,
            ),
            item(
                PeriodKind::FullUnemployment,
                "2023-12-01",
                "2024-01-05",
                Source::Manual,
            ),
            item(PeriodKind::Work, "2024-07-01", "2024-12-31", Source::Manual),
        ];
        let before = (manual.clone(), dm.clone());
        let c = reconcile(&manual, &dm);
        let kinds: Vec<_> = c.iter().map(|c| (c.manual, c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (0, ConflictKind::Duplicate),
                (1, ConflictKind::OverlappingWork),
                (2, ConflictKind::AbsenceAlsoDeclared),
                (3, ConflictKind::Contradiction),
            ]
        );
        assert_eq!(
            (c[1].overlap_start, c[1].overlap_end),
            (d("2024-06-01"), d("2024-06-30"))
        );
        assert_eq!(
            (c[3].overlap_start, c[3].overlap_end),
            (d("2024-01-01"), d("2024-01-05"))
        );
        // Inputs untouched: reconcile reports, it never merges.
        assert_eq!((manual, dm), before);
    }

    #[test]
    fn regime_difference_is_not_a_duplicate() {
        let dm = vec![item(
            PeriodKind::Work,
            "2024-01-01",
            "2024-06-30",
            Source::Dmfa,
        )];
        let mut m = item(PeriodKind::Work, "2024-01-01", "2024-06-30", Source::Manual);
        m.regime = Some(WorkRegime {
            weekly_hours: art60_rules::units::Hundredths::whole(19),
            ..WorkRegime::full_time_5()
        });
        let c = reconcile(&[m], &dm);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, ConflictKind::OverlappingWork);
    }
}
