//! # The request's facts
//!
//! SPEC §3.14 (inputs). Before any article applies, the CPAS's declaration is read once into
//! what the articles speak of: jobs (Belgian, foreign, or assimilated periods counted in the
//! proportion of the work before them), events that may extend a reference period (§3.5), the
//! foreign periods (§3.9) and the art. 60 contract. Nothing here depends on the candidate end
//! date. Tested by every worked example; the assimilated proportion by EX07 and EX08.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::rc::Rc;
use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::input::{
    CalcRequest, Contract, DayCategory, HistoryItem, JobCategory, Pay, PeriodKind, Quarter,
    QuarterDeclaration, WorkRegime, weekday_mask,
};
use crate::options::{Art60ContributionCheck, Options};
use crate::params::{ExtensionKind, ParamSet};
use crate::result::Flag;

use super::categories_art38::assimilated_category;
use super::extensions::ext_kind_of;

/// What a period of the history is, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobClass {
    Belgian,
    /// Foreign work; the index into [`Facts::foreign`].
    Foreign(usize),
    /// A period counted like work in its proportion (sickness, maternity, ...): art. 38.
    Assimilated(DayCategory),
}

/// A job or an assimilated period of the history; what it declares is the request's,
/// borrowed.
#[derive(Debug, Clone)]
pub(crate) struct Job<'a> {
    pub label: Cow<'static, str>,
    pub class: JobClass,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub regime: WorkRegime,
    /// Weekdays worked, one bit a day from Monday.
    pub mask: u8,
    /// By quarter (the request's own order when it is already so).
    pub declared: Cow<'a, [QuarterDeclaration]>,
    pub provisional: bool,
    pub employer: Option<&'a str>,
    pub pay: Option<Pay>,
}

impl Job<'_> {
    pub fn declaration(&self, q: Quarter) -> Option<&QuarterDeclaration> {
        self.declared.iter().find(|d| d.quarter == q)
    }
    pub fn full_time(&self) -> bool {
        self.regime.is_full_time()
    }
    /// Whether the job lies outside `[qs, qe]`.
    pub fn outside(&self, qs: NaiveDate, qe: NaiveDate) -> bool {
        self.end < qs || self.start > qe
    }
}

/// A period that may extend a reference period, as declared (before the rules of §3.5).
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    pub label: Rc<str>,
    pub kind: ExtensionKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub child_birth: Option<NaiveDate>,
    pub child_disabled: bool,
    /// Child raising is counted per birth: the next child's birth ends this child's period.
    pub next_birth: Option<NaiveDate>,
}

/// A foreign work period and what decides whether it counts (§3.9).
#[derive(Debug, Clone)]
pub(crate) struct ForeignInfo {
    /// Index into [`Facts::jobs`].
    pub job: usize,
    pub country: String,
    pub frontier: bool,
    pub posted: bool,
    pub ssom: bool,
    /// The officer's decision on the period by nationality (§3.9.1), when taken.
    pub decision: Option<crate::input::ForeignDecision>,
}

/// The art. 60 contract and its weekday pattern.
pub(crate) struct ContractInfo<'a> {
    pub c: &'a Contract,
    pub mask: u8,
}

/// The request read into the facts the articles speak of.
pub(crate) struct Facts<'a> {
    pub req: &'a CalcRequest,
    pub opts: &'a Options,
    pub params: &'a ParamSet,
    pub jobs: Vec<Job<'a>>,
    /// The jobs are in the order of their first day (the history is read in that order): a
    /// quarter's count stops at the first job that starts after the quarter.
    pub jobs_by_start: bool,
    /// First and last day of all the history's periods: quarters outside hold nothing.
    pub hist_hull: Option<(NaiveDate, NaiveDate)>,
    /// The quarters some job touches, by quarter index from the hull's first quarter
    /// ([`Facts::quarter_touched`]), made the first time a count asks.
    touched: OnceCell<(i32, Vec<bool>)>,
    pub events: Vec<RawEvent>,
    pub foreign: Vec<ForeignInfo>,
    pub contract: Option<ContractInfo<'a>>,
    /// Review flags that do not depend on the candidate date.
    pub static_review: Vec<Flag>,
    /// First quarter whose DmfA cannot be available on `today` (SPEC §7: the current
    /// quarter, and the previous one until the end of the current quarter's first month).
    pub dmfa_pending_from: Quarter,
    /// The status taken where a part-timer with pay meets no reference wage in force (AR
    /// art. 28 §2): the engine runs once with each and keeps the longer contract.
    pub wage_unknown_as: Option<crate::result::Status>,
}

/// The label of `history[i]`. The first ones are made once a process and borrowed: labels go
/// into every quarter row and explanation step of a calculation, and copying them there cost
/// an allocation each.
pub(crate) fn history_label(i: usize) -> Cow<'static, str> {
    static LABELS: OnceLock<Box<[String]>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| (0..64).map(|i| indexed_label("history", i)).collect());
    match labels.get(i) {
        Some(l) => Cow::Borrowed(l.as_str()),
        None => Cow::Owned(indexed_label("history", i)),
    }
}

/// `prefix[i]`, without the formatting machinery (a label for every period of every request).
pub(crate) fn indexed_label(prefix: &str, i: usize) -> String {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut k = digits.len();
    loop {
        k -= 1;
        // A single decimal digit: the cast cannot truncate.
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(prefix.len() + 2 + digits.len() - k);
    s.push_str(prefix);
    s.push('[');
    // Byte by byte: ASCII digits are one character each (checking them as UTF-8 cost more).
    for &d in &digits[k..] {
        s.push(char::from(d));
    }
    s.push(']');
    s
}

pub(crate) fn flag(key: &str, detail: impl Into<String>) -> Flag {
    Flag {
        key: key.to_string(),
        detail: detail.into(),
    }
}

impl<'a> Facts<'a> {
    /// Whether a history period touches `[qs, qe]`; a declaration lies inside its job's
    /// period, so a quarter no period touches holds nothing from the history.
    pub fn history_touches(&self, qs: NaiveDate, qe: NaiveDate) -> bool {
        self.hist_hull.is_some_and(|(hs, he)| qs <= he && qe >= hs)
    }

    /// Whether a full-time job spans the whole of `[qs, qe]`: only then may a quarter's count
    /// of the history differ between the quarter-cap methods (the per-quarter method's 78 for
    /// a whole quarter of full-time work, AM art. 7 rule 1).
    pub fn full_time_job_spans(&self, qs: NaiveDate, qe: NaiveDate) -> bool {
        self.jobs
            .iter()
            .take_while(|j| !self.jobs_by_start || j.start <= qs)
            .any(|j| j.full_time() && j.start <= qs && j.end >= qe)
    }

    /// Whether a job touches quarter `q` (a quarter's count of the history looks at nothing
    /// else), from a table of the hull's quarters made once. The memo asks it of every
    /// quarter of every run of whole quarters, where checking the quarter's bounds against
    /// the hull and then walking through the jobs cost about 100 instructions for a quarter
    /// between two jobs (BENCHMARKS.md, session 27).
    pub fn quarter_touched(&self, q: Quarter) -> bool {
        let (base, touched) = self.touched.get_or_init(|| {
            let Some((hs, he)) = self.hist_hull else {
                return (0, Vec::new());
            };
            let base = Quarter::of(hs).index();
            let len = usize::try_from(Quarter::of(he).index() - base + 1).unwrap_or(0);
            let mut touched = vec![false; len];
            // Every job lies inside the hull: its quarters are entries of the table.
            for j in &self.jobs {
                let at = |d: NaiveDate| usize::try_from(Quarter::of(d).index() - base);
                if let (Ok(a), Ok(b)) = (at(j.start), at(j.end))
                    && let Some(quarters) = touched.get_mut(a..=b)
                {
                    quarters.fill(true);
                }
            }
            (base, touched)
        });
        usize::try_from(q.index() - base)
            .ok()
            .and_then(|i| touched.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Whether a job touches `[qs, qe]`: the reference of [`Facts::quarter_touched`].
    #[cfg(test)]
    pub fn jobs_touch(&self, qs: NaiveDate, qe: NaiveDate) -> bool {
        self.jobs
            .iter()
            .take_while(|j| !self.jobs_by_start || j.start <= qe)
            .any(|j| !j.outside(qs, qe))
    }

    pub fn new(req: &'a CalcRequest, opts: &'a Options, params: &'a ParamSet) -> Self {
        let mut facts = Facts {
            req,
            opts,
            params,
            hist_hull: None,
            touched: OnceCell::new(),
            // At most a job a period of the history: sized once.
            jobs: Vec::with_capacity(req.history.len()),
            jobs_by_start: false,
            events: Vec::new(),
            foreign: Vec::new(),
            contract: req.contract.as_ref().map(|c| ContractInfo {
                c,
                mask: weekday_mask(&c.weekdays, &c.regime),
            }),
            static_review: Vec::new(),
            dmfa_pending_from: Quarter::first_pending_on(req.today),
            wage_unknown_as: None,
        };
        let mut sorted: Vec<(usize, &HistoryItem)> = req.history.iter().enumerate().collect();
        sorted.sort_by_key(|(_, h)| h.start);
        // An assimilated period without a regime takes the proportion of the job before it;
        // without one, of the first job after it (the contract at the latest), never a
        // full-time guess.
        let mut last_regime = sorted
            .iter()
            .find(|(_, h)| h.kind.is_work())
            .and_then(|(_, h)| h.regime)
            .or(req.contract.as_ref().map(|c| c.regime))
            .unwrap_or_else(WorkRegime::full_time_5);
        for (i, h) in sorted {
            let label = history_label(i);
            match h.kind {
                PeriodKind::Work | PeriodKind::ForeignWork => {
                    last_regime = facts.add_work(label, h);
                }
                PeriodKind::Other => facts
                    .static_review
                    .push(flag("manual_review.other_period", label.into_owned())),
                kind => facts.add_other(label, h, kind, last_regime),
            }
        }
        if opts.art60_contribution_check == Art60ContributionCheck::RequireEvidence
            && facts.contract.is_some()
        {
            facts
                .static_review
                .push(flag("manual_review.art60_contribution", "contract"));
        }
        facts.child_births();
        facts.overlapping_events();
        facts.hist_hull = facts
            .jobs
            .iter()
            .map(|j| (j.start, j.end))
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)));
        facts.jobs_by_start = facts.jobs.is_sorted_by_key(|j| j.start);
        facts
    }

    /// SPEC §3.5 (old list): child raising "counted per birth; ends the day before the 6th
    /// birthday or the next birth". The next birth is that of any other child-raising period.
    fn child_births(&mut self) {
        let births: Vec<NaiveDate> = self
            .events
            .iter()
            .filter(|e| e.kind == ExtensionKind::ChildRaising)
            .filter_map(|e| e.child_birth)
            .collect();
        for e in &mut self.events {
            if let (ExtensionKind::ChildRaising, Some(b)) = (e.kind, e.child_birth) {
                e.next_birth = births.iter().copied().filter(|n| *n > b).min();
            }
        }
    }

    /// SPEC §3.5.2: overlapping events of different kinds are for the officer; the days they
    /// share extend once (the safer, shorter extension: see `extensions::count_once`).
    fn overlapping_events(&mut self) {
        for (i, a) in self.events.iter().enumerate() {
            for b in &self.events[i + 1..] {
                if a.kind != b.kind && a.start <= b.end && b.start <= a.end {
                    let (s, e) = (a.start.max(b.start), a.end.min(b.end));
                    self.static_review.push(flag(
                        "manual_review.overlapping_extensions",
                        format!("{} {} {s}..{e}", a.label, b.label),
                    ));
                }
            }
        }
    }

    /// A Belgian or foreign job; returns its regime (the proportion of what follows).
    fn add_work(&mut self, label: Cow<'static, str>, h: &'a HistoryItem) -> WorkRegime {
        // SPEC §3.7 defaults R and S only: a job typed without its hours is counted full
        // time, as the portal's form sends it, and the officer checks it.
        if h.regime.is_none() {
            self.static_review
                .push(flag("manual_review.hours_unknown", label.as_ref()));
        }
        // SPEC §3.8.4: teachers, piece-rate and sports workers are not supported.
        if h.job_category != JobCategory::Ordinary {
            let category = crate::result::variant_name(&h.job_category).unwrap_or_default();
            self.static_review.push(flag(
                "manual_review.job_category",
                format!("{label} {category}"),
            ));
        }
        let regime = h.regime.unwrap_or_else(WorkRegime::full_time_5);
        let class = if h.kind == PeriodKind::ForeignWork {
            let abroad = h.abroad.as_ref();
            self.foreign.push(ForeignInfo {
                job: self.jobs.len(),
                country: abroad.map(|a| a.country.clone()).unwrap_or_default(),
                frontier: abroad.is_some_and(|a| a.frontier_worker),
                posted: abroad.is_some_and(|a| a.posted),
                ssom: abroad.is_some_and(|a| a.ssom),
                decision: abroad.and_then(|a| a.officer_decision),
            });
            JobClass::Foreign(self.foreign.len() - 1)
        } else {
            JobClass::Belgian
        };
        let declared = if h.quarters.is_sorted_by_key(|d| d.quarter) {
            Cow::Borrowed(h.quarters.as_slice())
        } else {
            let mut v = h.quarters.clone();
            v.sort_by_key(|d| d.quarter);
            Cow::Owned(v)
        };
        self.jobs.push(Job {
            label,
            class,
            start: h.start,
            end: h.end,
            mask: weekday_mask(&h.weekdays, &regime),
            regime,
            declared,
            provisional: h.provisional,
            employer: h.employer.as_deref(),
            pay: h.pay,
        });
        regime
    }

    /// An assimilated period (counted like work) and/or an extending event.
    fn add_other(
        &mut self,
        label: Cow<'static, str>,
        h: &HistoryItem,
        kind: PeriodKind,
        last: WorkRegime,
    ) {
        if let Some(cat) = assimilated_category(kind) {
            self.jobs.push(Job {
                label: label.clone(),
                class: JobClass::Assimilated(cat),
                start: h.start,
                end: h.end,
                // Assimilated days are Monday–Saturday days in proportion.
                mask: 0b0011_1111,
                regime: h.regime.unwrap_or(last),
                declared: Cow::Borrowed(&[]),
                provisional: h.provisional,
                employer: None,
                pay: None,
            });
        }
        if let Some(kind) = ext_kind_of(kind) {
            self.events.push(RawEvent {
                label: label.as_ref().into(),
                kind,
                start: h.start,
                end: h.end,
                child_birth: h.child_birth_date,
                child_disabled: h.child_disabled,
                next_birth: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    /// A quarter's count stops at the first job that starts after the quarter: the jobs must
    /// come in the order of their first day even when the history does not.
    #[test]
    fn jobs_come_by_their_first_day() {
        let req =
            crate::CalcRequest::parse(include_str!("../../../../scripts/bench/typical-plan.json"))
                .unwrap();
        assert!(!req.history.is_sorted_by_key(|h| h.start));
        let opts = crate::Options::default();
        let facts = super::Facts::new(&req, &opts, crate::ParamSet::embedded());
        assert!(facts.jobs_by_start);
        assert!(facts.jobs.is_sorted_by_key(|j| j.start));
    }

    #[test]
    fn indexed_labels_read_like_format() {
        for i in [0, 1, 9, 10, 99, 100, 12_345, usize::MAX] {
            assert_eq!(super::indexed_label("history", i), format!("history[{i}]"));
            assert_eq!(super::history_label(i), format!("history[{i}]"));
        }
    }
}
