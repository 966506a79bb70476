//! Art. 32's bound ([`bounds`](super::bounds)): what its two periods may count more later.
//!
//! The bound takes T, the days of the own window and of the ten years before it together: a
//! gain G of the contract gives at most T + G at a later date, plus what moving the line
//! between the two periods adds. The quarter where the window starts is counted in both (its
//! declared totals in each, each part capped at 78 on its own), so a later start can count
//! that quarter more than the two counts did; nothing else grows (older days leave the ten
//! years). The bound allowed a whole quarter for it. With the per-quarter method this module
//! gives the most that one of the quarters the window's start can reach adds
//! ([`Counter::split_excess`]), and the date until which the start stays among them, which
//! the scan does not jump past.

use chrono::{Datelike, Days, NaiveDate};

use crate::calendar::add_months;
use crate::input::Quarter;
use crate::law::RouteAt;
use crate::law::counting_am7::Counter;
use crate::law::regime::{REF_CATEGORIES, REF_COUNTING};
use crate::options::QuarterCapMethod;
use crate::result::{OptionEval, Unit};
use crate::units::Fixed4;

use super::Search;
use super::bounds::{Art32Bound, art32_binds};
use super::cache::foreign_bits;

/// What the slack depends on besides the date: the quarter of the window's start and whether
/// the start splits it, the year the ten years start in, the band's months, the rules (the
/// tables by their first day, the unpaid cap, the countable foreign periods).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct EdgeKey {
    start_quarter: i32,
    split_now: bool,
    past_year: i32,
    months: u32,
    stage: NaiveDate,
    categories: NaiveDate,
    counting: NaiveDate,
    unpaid: (i64, Option<i64>),
    foreign: u64,
}

/// What art. 32's slack needs of its option: the own window's start and months, and the
/// start of the ten years before it.
#[derive(Clone, Copy)]
struct Art32Window {
    start: NaiveDate,
    months: u32,
    past_start: NaiveDate,
}

impl Art32Window {
    fn of(o: &OptionEval) -> Option<Art32Window> {
        o.art32.as_ref().map(|a| Art32Window {
            start: o.window.start,
            months: o.window.months,
            past_start: a.past_start,
        })
    }
}

/// A slack, and the last date it holds for.
#[derive(Clone, Copy)]
struct Slack {
    slack: Fixed4,
    until: NaiveDate,
}

/// The slacks of one [`EdgeKey`]: while the start stays in its quarter, and while it stays
/// before the contract's first quarter.
#[derive(Clone, Copy)]
pub(super) struct Edges {
    near: Option<Slack>,
    far: Option<Slack>,
}

impl Search<'_> {
    /// Art. 32's bound at `r.e` with its slack: what the quarter where the own window starts
    /// may count more at a later date, and the last date the scan may jump to with it. `bound`
    /// (a whole quarter, without a limit) as it is where nothing tighter holds: the average
    /// method, more than 64 foreign periods, no art. 32 option among `options`, or its need
    /// not the smallest (no bound of the scan moves then).
    // Not inlined: the evaluation it is called from is the scan's hottest code, and most
    // evaluations never get past its first checks.
    #[inline(never)]
    pub(super) fn art32_slack(
        &self,
        r: &RouteAt<'_>,
        method: QuarterCapMethod,
        options: &[OptionEval],
        bound: Art32Bound,
    ) -> Art32Bound {
        if method != QuarterCapMethod::PerQuarter || r.foreign_ok.len() > 64 {
            return bound;
        }
        let (Some(ci), Some(w)) = (
            &self.facts.contract,
            options.iter().find_map(Art32Window::of),
        ) else {
            return bound;
        };
        if !art32_binds(options, bound) {
            return bound;
        }
        let first = Quarter::of(w.start);
        let key = EdgeKey {
            start_quarter: first.index(),
            split_now: w.start > first.start(),
            past_year: w.past_start.year(),
            months: w.months,
            stage: r.ctx.stage.from,
            categories: r.ctx.table_from(REF_CATEGORIES),
            counting: r.ctx.table_from(REF_COUNTING),
            unpaid: (r.ctx.unpaid_cap, r.ctx.completion_tolerance),
            foreign: foreign_bits(r.foreign_ok.as_slice()),
        };
        let found = self
            .edges
            .borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|e| e.1);
        let edges = match found {
            Some(e) => e,
            None => {
                let e = self.edges_of(r, key, first, Quarter::of(ci.c.start));
                self.edges.borrow_mut().push((key, e));
                e
            }
        };
        match [edges.near, edges.far]
            .into_iter()
            .flatten()
            .find(|h| r.e < h.until)
        {
            Some(h) => Art32Bound {
                slack: h.slack,
                until: Some(h.until),
                ..bound
            },
            None => bound,
        }
    }

    /// The slacks for a window starting in quarter `first`, the contract starting in
    /// quarter `contract`.
    fn edges_of(&self, r: &RouteAt<'_>, key: EdgeKey, first: Quarter, contract: Quarter) -> Edges {
        let none = Edges {
            near: None,
            far: None,
        };
        let Some(a32) = r.ctx.stage.value.art32.as_ref() else {
            return none;
        };
        if first >= contract {
            return none;
        }
        let c = Counter {
            facts: &self.facts,
            ctx: &r.ctx,
            unit: Unit::Days,
            method: QuarterCapMethod::PerQuarter,
            foreign_ok: &r.foreign_ok,
        };
        // No unpaid days in the years the line between the periods, or the start of the ten
        // years, may reach before the start reaches quarter `limit`: each count caps them
        // a year on its own.
        let may_be_unpaid = c.history_may_count_unpaid();
        let no_unpaid = |last: Quarter, limit: Quarter| {
            if !may_be_unpaid {
                return true;
            }
            let ten_years = self
                .facts
                .months_back(limit.start(), a32.past_years * 12)
                .year();
            [(first.year, last.year), (key.past_year, ten_years)]
                .iter()
                .all(|&(a, b)| {
                    let years = (Quarter { year: a, q: 1 }, Quarter { year: b, q: 4 });
                    self.memo
                        .all_quarters(&c, years, |_, sums| sums[2] <= Fixed4::ZERO)
                })
        };
        // The last date whose window (without extensions, which only move it back) starts
        // before quarter `limit`: four days before the months from its first day, whatever
        // month-end rule the options take.
        let until =
            |limit: Quarter| add_months(limit.start(), key.months).checked_sub_days(Days::new(4));
        // The start's own quarter (`here`), then the later ones before the contract's.
        let mut here = None;
        let mut later = Fixed4::ZERO;
        let bounded = self
            .memo
            .all_quarters(&c, (first, contract.prev()), |q, sums| {
                let own = q == first;
                let x = c.split_excess(q, sums, own && key.split_now);
                if own {
                    here = x;
                }
                x.map(|x| later = later.max(x)).is_some()
            });
        let Some(here) = here else {
            return none;
        };
        let near = no_unpaid(first, first.next())
            .then(|| until(first.next()))
            .flatten()
            .map(|until| Slack { slack: here, until });
        let far = (bounded && no_unpaid(contract.prev(), contract))
            .then(|| until(contract))
            .flatten()
            .map(|until| Slack {
                slack: later,
                until,
            });
        // The nearer limit only where the later quarters would cost more than a day.
        match (near, far) {
            (Some(n), Some(f)) if f.slack <= n.slack + Fixed4::whole(1) => Edges {
                near: None,
                far: Some(f),
            },
            _ => Edges { near, far },
        }
    }
}
