//! # Reference period and its extensions
//!
//! SPEC §3.5.1–2; AR art. 30 al. 3 (old list, [P]) and art. 30 al. 3 1°–4° (new closed list,
//! Loi-programme 2025-07-18); the extension table `extensions` of the parameters. The window
//! ends the day before the DA and starts N months earlier. Events below their minimum are
//! dropped, longer ones capped from their first day; then, until stable, each unused event
//! with at least one day in the window moves the start back by its whole capped length
//! (option `extension_unit`). A child-raising period ends the day before the child's age
//! limit. Tested by EX17–EX20 and `history-with-sickness`.

use chrono::{Days, NaiveDate};

use crate::calendar::{MonthEnd, birthday, days_between, period_end, sub_months};
use crate::input::{AbsenceKind, DayCategory, PeriodKind};
use crate::options::ExtensionUnit;
use crate::params::{EventRule, ExtensionKind, Treatment};
use crate::result::AppliedExtension;

use super::facts::{Facts, RawEvent};
use super::regime::Ctx;

/// An event after its rule: dropped below its minimum, capped from its first day.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub label: std::rc::Rc<str>,
    pub kind: ExtensionKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The extension kind of a history period, when it may extend.
pub(crate) fn ext_kind_of(kind: PeriodKind) -> Option<ExtensionKind> {
    Some(match kind {
        PeriodKind::InsuredSickness => ExtensionKind::InsuredSickness,
        PeriodKind::WorkAccident => ExtensionKind::WorkAccident,
        PeriodKind::OccupationalDisease => ExtensionKind::OccupationalDisease,
        PeriodKind::SelfEmployment => ExtensionKind::SelfEmployment,
        PeriodKind::NonOnssWork => ExtensionKind::NonOnssWork,
        PeriodKind::CareerBreak => ExtensionKind::CareerBreak,
        PeriodKind::Detention => ExtensionKind::Detention,
        PeriodKind::MilitaryService => ExtensionKind::MilitaryService,
        PeriodKind::ForceMajeure => ExtensionKind::ForceMajeure,
        PeriodKind::UnpaidStudy => ExtensionKind::UnpaidStudy,
        PeriodKind::ChildRaising => ExtensionKind::ChildRaising,
        _ => return None,
    })
}

/// The extension kind of an absence during the contract, when it may extend.
pub(crate) fn absence_ext_kind(kind: AbsenceKind) -> Option<ExtensionKind> {
    match kind {
        AbsenceKind::InsuredSickness => Some(ExtensionKind::InsuredSickness),
        AbsenceKind::WorkAccident => Some(ExtensionKind::WorkAccident),
        AbsenceKind::OccupationalDisease => Some(ExtensionKind::OccupationalDisease),
        _ => None,
    }
}

/// Applies an event rule: child age limit, minimum length, cap from the first day.
pub(crate) fn apply_rule(e: &RawEvent, rule: &EventRule) -> Option<Event> {
    let mut start = e.start;
    let mut end = e.end;
    if let Some(birth) = e.child_birth {
        let limit = if e.child_disabled {
            rule.child_age_limit_disabled.or(rule.child_age_limit)
        } else {
            rule.child_age_limit
        };
        if let Some(limit) = limit {
            end = end.min(birthday(birth, limit).pred_opt()?);
            if let Some(next) = e.next_birth {
                end = end.min(next.pred_opt()?);
            }
        }
        start = start.max(birth);
    }
    if end < start {
        return None;
    }
    if rule.min_months > 0 && period_end(start, rule.min_months) > end {
        return None;
    }
    if let Some(y) = rule.max_years {
        end = end.min(period_end(start, y * 12));
    }
    Some(Event {
        label: e.label.clone(),
        kind: e.kind,
        start,
        end,
    })
}

/// Days shared by events of different kinds extend once (SPEC §3.5.2: overlapping events
/// go to the officer, who may allow more): each event loses the days an earlier-starting one
/// already covers, and is dropped when nothing is left.
pub(crate) fn count_once(events: &mut Vec<Event>) {
    let overlap = events.iter().enumerate().any(|(i, a)| {
        events[i + 1..]
            .iter()
            .any(|b| a.start <= b.end && b.start <= a.end)
    });
    if !overlap {
        // The usual case: the order, and so the explanation, stays as declared.
        return;
    }
    events.sort_by_key(|e| (e.start, e.end));
    let mut covered: Option<NaiveDate> = None;
    events.retain_mut(|e| {
        if let Some(c) = covered
            && e.start <= c
        {
            match c.succ_opt() {
                Some(next) if next <= e.end => e.start = next,
                _ => return false,
            }
        }
        covered = Some(covered.map_or(e.end, |c| c.max(e.end)));
        true
    });
}

/// Moves `start` back by the event's length in the chosen unit.
fn move_back(start: NaiveDate, ev: &Event, unit: ExtensionUnit) -> NaiveDate {
    match unit {
        ExtensionUnit::CalendarDays => {
            let len = days_between(ev.start, ev.end) + 1;
            start - Days::new(len as u64)
        }
        ExtensionUnit::YearsMonths => {
            // Whole months date to date, then the remaining days.
            let mut months = 0u32;
            while period_end(ev.start, months + 1) <= ev.end {
                months += 1;
            }
            let covered_end = if months == 0 {
                ev.start.pred_opt().unwrap_or(ev.start)
            } else {
                period_end(ev.start, months)
            };
            let rest = days_between(covered_end, ev.end);
            sub_months(start, months, MonthEnd::ClampToMonthEnd) - Days::new(rest as u64)
        }
    }
}

/// Extends a window `[start, end]`: every unused event touching it moves the start back by
/// its whole length, until no new event enters (order does not matter). Returns the start
/// and how many events applied; `applied` receives them in order, when the caller keeps them.
pub(crate) fn extend(
    mut start: NaiveDate,
    end: NaiveDate,
    events: &[Event],
    unit: ExtensionUnit,
    mut applied: Option<&mut Vec<AppliedExtension>>,
) -> (NaiveDate, usize) {
    // Which events have moved the start: a bit each (no allocation at every candidate date)
    // unless there are more than 64 of them.
    let wide = events.len() > 64;
    let mut used_wide = if wide {
        vec![false; events.len()]
    } else {
        Vec::new()
    };
    let mut used_bits = 0u64;
    let mut n = 0;
    loop {
        let mut changed = false;
        for (i, ev) in events.iter().enumerate() {
            let used = if wide {
                used_wide[i]
            } else {
                used_bits >> i & 1 == 1
            };
            if used || ev.end < start || ev.start > end {
                continue;
            }
            if wide {
                used_wide[i] = true;
            } else {
                used_bits |= 1 << i;
            }
            let before = start;
            start = move_back(start, ev, unit);
            changed = true;
            n += 1;
            if let Some(list) = applied.as_deref_mut() {
                list.push(AppliedExtension {
                    event: String::from(&*ev.label),
                    kind: ev.kind,
                    event_start: ev.start,
                    event_end: ev.end,
                    length_days: days_between(ev.start, ev.end) + 1,
                    start_before: before,
                    start_after: start,
                });
            }
        }
        if !changed {
            return (start, n);
        }
    }
}

impl Facts<'_> {
    /// The history's events under this regime's extension table (they do not depend on E).
    pub fn history_events(&self, ctx: &Ctx<'_>) -> Vec<Event> {
        let mut events = self
            .events
            .iter()
            .filter_map(|r| apply_rule(r, ctx.ext.rule(r.kind)?))
            .collect();
        count_once(&mut events);
        events
    }

    /// Events that exist only at candidate date `e`: foreign work not countable yet (treated
    /// as non-ONSS work, §3.9.4) and the contract's absences that extend (§3.12). Usually none.
    pub fn events_at(&self, ctx: &Ctx<'_>, e: NaiveDate, foreign_ok: &[bool]) -> Vec<RawEvent> {
        let mut extra = Vec::new();
        for (f, ok) in self.foreign.iter().zip(foreign_ok) {
            if !ok {
                let j = &self.jobs[f.job];
                extra.push(RawEvent {
                    label: j.label.as_ref().into(),
                    kind: ExtensionKind::UncountableForeignWork,
                    start: j.start,
                    end: j.end,
                    child_birth: None,
                    child_disabled: false,
                    next_birth: None,
                });
            }
        }
        let Some(ci) = &self.contract else {
            return extra;
        };
        if ctx.treatment(DayCategory::InsuredSickness) != Treatment::Extends {
            return extra;
        }
        for (i, ab) in ci.c.absences.iter().enumerate() {
            if let Some(kind) = absence_ext_kind(ab.kind)
                && ab.start <= e
            {
                extra.push(RawEvent {
                    label: format!("contract.absences[{i}]").into(),
                    kind,
                    start: ab.start,
                    end: ab.end.min(e),
                    child_birth: None,
                    child_disabled: false,
                    next_birth: None,
                });
            }
        }
        extra
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ev(kind: ExtensionKind, start: &str, end: &str) -> Event {
        Event {
            label: "e".into(),
            kind,
            start: d(start),
            end: d(end),
        }
    }

    #[test]
    fn the_next_birth_ends_a_child_raising_period() {
        // §3.5: the day before the 6th birthday or the next birth, whichever comes first.
        let rule = EventRule {
            kinds: vec![ExtensionKind::ChildRaising],
            min_months: 6,
            max_years: None,
            child_age_limit: Some(6),
            child_age_limit_disabled: Some(18),
        };
        let raw = RawEvent {
            label: "h".into(),
            kind: ExtensionKind::ChildRaising,
            start: d("2016-06-01"),
            end: d("2023-06-30"),
            child_birth: Some(d("2016-06-01")),
            child_disabled: false,
            next_birth: None,
        };
        assert_eq!(apply_rule(&raw, &rule).unwrap().end, d("2022-05-31"));
        let next = RawEvent {
            next_birth: Some(d("2021-03-01")),
            ..raw
        };
        assert_eq!(apply_rule(&next, &rule).unwrap().end, d("2021-02-28"));
    }

    #[test]
    fn shared_days_extend_once_and_disjoint_events_keep_their_order() {
        // §3.5.2: the later event loses the days the earlier one covers.
        let mut v = vec![
            ev(ExtensionKind::Detention, "2022-07-01", "2023-06-30"),
            ev(ExtensionKind::CareerBreak, "2022-01-01", "2022-12-31"),
        ];
        count_once(&mut v);
        let spans: Vec<_> = v.iter().map(|e| (e.start, e.end)).collect();
        assert_eq!(
            spans,
            [
                (d("2022-01-01"), d("2022-12-31")),
                (d("2023-01-01"), d("2023-06-30"))
            ]
        );
        // Wholly inside another: dropped.
        let mut v = vec![
            ev(ExtensionKind::CareerBreak, "2022-01-01", "2022-12-31"),
            ev(ExtensionKind::Detention, "2022-03-01", "2022-04-30"),
        ];
        count_once(&mut v);
        assert_eq!(v.len(), 1);
        // No overlap: untouched, in the order given (the explanation keeps it).
        let mut v = vec![
            ev(ExtensionKind::Detention, "2023-01-01", "2023-02-28"),
            ev(ExtensionKind::CareerBreak, "2022-01-01", "2022-02-28"),
        ];
        count_once(&mut v);
        assert_eq!(v[0].kind, ExtensionKind::Detention);
    }

    #[test]
    fn extend_moves_the_start_back_by_every_event_touching_the_window() {
        // §3.5.2: an event with one day in the window moves it back by its whole length.
        let events = [ev(ExtensionKind::Detention, "2021-12-01", "2022-01-31")];
        let (start, n) = extend(
            d("2022-01-31"),
            d("2024-01-30"),
            &events,
            ExtensionUnit::CalendarDays,
            None,
        );
        assert_eq!((start, n), (d("2022-01-31") - Days::new(62), 1));
        let (start, n) = extend(
            d("2022-02-01"),
            d("2024-01-30"),
            &events,
            ExtensionUnit::CalendarDays,
            None,
        );
        // Ending the day before the window, it does not touch it.
        assert_eq!((start, n), (d("2022-02-01"), 0));
    }

    #[test]
    fn each_event_moves_the_start_once_with_more_than_64_events() {
        // The used events are bits up to 64 and a list beyond: the same answer either way.
        // Ten-day events, one every ten days back from the window's end: each one reached
        // moves the start back ten days and reaches the next.
        for count in [10u64, 64, 65, 70] {
            let events: Vec<Event> = (0..count)
                .map(|k| {
                    let end = d("2024-01-30") - Days::new(10 * k);
                    Event {
                        label: "e".into(),
                        kind: ExtensionKind::Detention,
                        start: end - Days::new(9),
                        end,
                    }
                })
                .collect();
            let (start, n) = extend(
                d("2024-01-21"),
                d("2024-01-30"),
                &events,
                ExtensionUnit::CalendarDays,
                None,
            );
            assert_eq!(n, usize::try_from(count).unwrap(), "{count} events");
            assert_eq!(
                start,
                d("2024-01-21") - Days::new(10 * count),
                "{count} events"
            );
        }
    }
}
