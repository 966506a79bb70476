//! # The search for the first feasible end date
//!
//! SPEC §3.14: try E = start, start + 1, … up to `max_scan_months` and return the first E at
//! which the law (`crate::law`) finds an option met or no stage required; never bisect, the
//! count is not monotonic in E. The scan skips days that provably cannot close the shortfall
//! ([`bounds`]), never past a date where something other than the contract's progress may
//! change the answer ([`barriers`]), and reuses what does not depend on E ([`cache`]).
//! Then the other quarter-cap method's date (§3.14.3), and the result with its explanation.

mod art32_edge;
mod barriers;
pub(crate) mod bounds;
mod cache;
mod jump;

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::calendar::{add_months, days_between, weekdays_in};
use crate::engine::CalcError;
use crate::explain::trace::{Explained, Period, explain};
use crate::input::{InputCode, InputError, Quarter};
use crate::law::facts::Facts;
use crate::law::readmission::NoStage;
use crate::law::right_duration_art114::outcome_da;
use crate::law::{Assessment, Memo, Plain, Record};
use crate::options::QuarterCapMethod;
use crate::result::{
    Alternative, CalcResult, ENGINE_VERSION, OptionEval, Outcome, ParamVersions, Unit,
};
use crate::units::Fixed4;

use bounds::{Art32Bound, BeyondAverage, Eval};
use cache::Cached;

/// What the contract's days add in a bound of the scan's jump ([`jump::Gain`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    /// Each scheduled day its value.
    Own,
    /// Each scheduled day its value and one day the average method's job cap may release;
    /// each Monday–Saturday day off the schedule one such day.
    OwnAndRelease,
    /// Each Monday–Saturday day one unit of the option: the growth of the contract's job cap.
    R6Days,
}

/// A scheduled day of the contract's regime as the jump counts it, and whether that is its
/// exact value: a value of at most four decimals is never rounded (every part is that many
/// times it); another is counted one ten-thousandth more, since parts are rounded to four
/// decimals and a day's true share can exceed the rounded one.
fn day_value(regime: &crate::input::WorkRegime) -> (Fixed4, bool) {
    use crate::law::counting_am7::{scheduled_value, scheduled_value_is_exact};
    let v = scheduled_value(1, regime);
    if scheduled_value_is_exact(regime) {
        (v, true)
    } else {
        (v + Fixed4(1), false)
    }
}

/// The whole quarters' table of a contract whose whole quarters add nothing over their days.
const NO_BONUS: &[Fixed4] = &[Fixed4::ZERO];

/// How much of the law a candidate date is evaluated for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// Every option.
    Full,
    /// Only what decides which options are open (re-admission, status, route).
    Route,
    /// The route, the own band's option in days and art. 32.
    Art32,
}

/// What an evaluation keeps besides the decision.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// The decision only: a date of the scan.
    Decision,
    /// The answer's findings (flags, option ids; the explanation in trace mode): the date is
    /// the answer.
    Answer,
    /// The answer's findings on a date likely to be the answer, the winning option's quarter
    /// rows only if it is (`Record::tentative`): a wrong guess costs the findings and the
    /// explanation's steps, not the law's own count of the rows.
    Likely,
}

/// How the scan ended.
enum ScanEnd {
    /// The first feasible end date, and the law's answer there if evaluated with its
    /// findings.
    Found(NaiveDate, Option<Box<Eval>>),
    Unreachable {
        best: Option<(i64, i64)>,
        reason: String,
        until: NaiveDate,
        /// The law's answer at `until`, if the scan evaluated it there with its findings.
        last: Option<Box<Eval>>,
    },
}

/// What the scan keeps of the dates it evaluates, written out if it ends without an answer:
/// the best option seen (counted, required) and the last art. 33 1° shortfall seen.
#[derive(Default)]
struct Seen {
    best: Option<(i64, i64)>,
    blocked: Option<(crate::units::Hundredths, i64)>,
}

impl Seen {
    fn keep(&mut self, ev: &Eval) {
        for o in &ev.options {
            if self
                .best
                .is_none_or(|(c, r)| o.counted - o.required > c - r)
            {
                self.best = Some((o.counted, o.required));
            }
        }
        if ev.art33_blocked().is_some() {
            self.blocked = ev.art33_blocked();
        }
    }
}

/// One calculation: the request's facts, what the scan reuses, and how much to build.
pub(crate) struct Search<'a> {
    pub facts: Facts<'a>,
    memo: Cached,
    /// The scan's barrier dates ([`Search::barrier_dates`]), once for both methods.
    barriers: OnceCell<Vec<NaiveDate>>,
    /// Art. 32's slacks ([`art32_edge`]), by what they depend on.
    edges: std::cell::RefCell<Vec<(art32_edge::EdgeKey, art32_edge::Edges)>>,
    /// Build the explanation trace and the other method's date ([`crate::Detail::Full`]).
    pub trace: bool,
    /// The dates the law was evaluated at in full, for the tests of the scan's bounds.
    #[cfg(test)]
    evaluations: std::cell::Cell<u32>,
    /// Those dates, with their method.
    #[cfg(test)]
    evaluated: std::cell::RefCell<Vec<(NaiveDate, QuarterCapMethod)>>,
    /// The dates checked short of a full evaluation ([`Search::first_change`]).
    #[cfg(test)]
    probes: std::cell::Cell<u32>,
}

impl<'a> Search<'a> {
    pub fn new(facts: Facts<'a>, trace: bool) -> Self {
        Search {
            facts,
            memo: Cached::default(),
            barriers: OnceCell::new(),
            edges: Default::default(),
            trace,
            #[cfg(test)]
            evaluations: std::cell::Cell::new(0),
            #[cfg(test)]
            evaluated: std::cell::RefCell::new(Vec::new()),
            #[cfg(test)]
            probes: std::cell::Cell::new(0),
        }
    }

    /// The law at one candidate date, with what `want` keeps besides the decision.
    fn evaluate(
        &self,
        e: NaiveDate,
        da: NaiveDate,
        method: QuarterCapMethod,
        want: Want,
    ) -> Result<Eval, CalcError> {
        self.evaluate_or_probe(e, da, method, want, Depth::Full)
    }

    /// The law's answer at `e` (DA the day after) with its findings: `made`, the evaluation
    /// the scan or the plan already made with them, or a new one.
    fn answer_at(
        &self,
        e: NaiveDate,
        method: QuarterCapMethod,
        made: Option<Eval>,
    ) -> Result<Eval, CalcError> {
        match made {
            Some(ev) => Ok(ev),
            None => self.evaluate(e, e.succ_opt().unwrap_or(e), method, Want::Answer),
        }
    }

    fn evaluate_or_probe(
        &self,
        e: NaiveDate,
        da: NaiveDate,
        method: QuarterCapMethod,
        want: Want,
        depth: Depth,
    ) -> Result<Eval, CalcError> {
        #[cfg(test)]
        if depth == Depth::Full {
            self.evaluations.set(self.evaluations.get() + 1);
            self.evaluated.borrow_mut().push((e, method));
        } else {
            self.probes.set(self.probes.get() + 1);
        }
        let findings = want != Want::Decision;
        let rec = Record {
            explanation: findings && self.trace,
            findings,
            tentative: want == Want::Likely,
        };
        let memo: &dyn Memo = &self.memo;
        let route = self.facts.route_at(e, da, memo, rec)?;
        let stage = &route.ctx.stage.value;
        // Old regime, full-timer: the art. 33 route is not open today, but close. Part-time
        // days only decrease as the window moves on, yet the window's length varies with the
        // months and its extensions, so the third may be reached again; the scan must not
        // jump past such a date.
        let shadow_route = *route.units == [Unit::Days]
            && match (&route.part_time_share, stage.fulltime_art33_fraction) {
                (Some((_, pt_days)), Some(frac)) => {
                    pt_days * frac[1]
                        >= (i64::from(stage.bands[route.own].months) * 365 / 12 - 3) * frac[0]
                }
                _ => false,
            };
        let units = route.units.len();
        let mut shadow: Vec<OptionEval> = Vec::new();
        let mut shadow_held = Vec::new();
        let counted = if depth == Depth::Route {
            crate::law::Counted::default()
        } else if depth == Depth::Art32 {
            self.facts.options_of(
                &route,
                method,
                memo,
                rec,
                crate::law::OptionSet::OwnAndArt32,
            )
        } else {
            if shadow_route {
                // Bounds of the scan only: no findings, even for a date that may be the answer.
                let bound = Record::DECISION;
                for bi in route.bands.clone() {
                    let (o, c) =
                        self.facts
                            .band_option(&route, method, Unit::HalfDays, bi, memo, bound);
                    shadow.push(o);
                    shadow_held.push(c.held);
                }
            }
            self.facts.options_at(&route, method, memo, rec)
        };
        // Art. 32's slack: only a full evaluation bounds a jump.
        let art32 = stage.art32.as_ref().map(|a| {
            let whole = Art32Bound {
                figures: a.into(),
                slack: Fixed4::whole(route.ctx.counting.full_quarter),
                until: None,
            };
            if depth == Depth::Full {
                self.art32_slack(&route, method, &counted.options, whole)
            } else {
                whole
            }
        });
        Ok(Eval {
            a: self.facts.assessment(route, counted, rec),
            findings,
            shadow,
            shadow_held,
            shadow_route,
            units,
            art32,
        })
    }

    /// The days after `e` up to `until` (excluded), each evaluated at `depth` only (cheaper
    /// than in full), until one may change the answer: feasible, or another status, units or
    /// art. 33 shadow route than at `e` (`ev`). That day, or `until`, is the next the scan
    /// evaluates in full; with whether it is likely the answer (feasible at `depth`, which the
    /// full evaluation is too, or `until` reached without a change).
    fn first_change(
        &self,
        ev: &Eval,
        (e, until): (NaiveDate, NaiveDate),
        method: QuarterCapMethod,
        depth: Depth,
        seen: &mut Seen,
    ) -> Result<(NaiveDate, bool), CalcError> {
        let mut p = e.succ_opt().unwrap_or(until);
        while p < until {
            let pa = self.evaluate_or_probe(
                p,
                p.succ_opt().unwrap_or(p),
                method,
                Want::Decision,
                depth,
            )?;
            seen.keep(&pa);
            if pa.feasible() {
                return Ok((p, true));
            }
            if pa.status != ev.status || pa.units != ev.units || pa.shadow_route != ev.shadow_route
            {
                break;
            }
            p = p.succ_opt().unwrap_or(until);
        }
        Ok((p, p >= until))
    }

    /// What a whole quarter of the contract adds over its days (78 rule), grown as far as the
    /// scan's jumps reach ([`jump::Bonus`]); `None` where it adds nothing: only the
    /// per-quarter method counts a whole quarter as 78, and only for a full-time contract.
    fn bonus_table(
        &self,
        ci: &crate::law::facts::ContractInfo<'_>,
        method: QuarterCapMethod,
        per_day: Fixed4,
        (start, horizon): (NaiveDate, NaiveDate),
        counting: &crate::params::Counting,
    ) -> Option<jump::Bonus> {
        if method != QuarterCapMethod::PerQuarter || !ci.c.regime.is_full_time() {
            return None;
        }
        Some(jump::Bonus::new(
            Quarter::of(start),
            Quarter::of(horizon),
            (per_day, ci.mask, Fixed4::whole(counting.full_quarter)),
        ))
    }

    /// The scan under `method`. `day_before`: the law's answer, under the same method, on the
    /// day before the contract (the plan's own first question), from which the scan bounds its
    /// first jump instead of evaluating the contract's first day. `answer`: the scan gives
    /// the plan's answer (not the other method's date), so a date likely to be the answer is
    /// evaluated with the answer's findings, and the plan does not evaluate it again.
    fn scan(
        &self,
        method: QuarterCapMethod,
        mut day_before: Option<(NaiveDate, Eval)>,
        answer: bool,
    ) -> Result<ScanEnd, CalcError> {
        let Some(ci) = &self.facts.contract else {
            return Err(CalcError::InvalidInput(InputError::coded(
                InputCode::Required,
                "contract",
                "required in plan mode",
            )));
        };
        let start = ci.c.start;
        let counting = &self
            .facts
            .params
            .counting_at(start.succ_opt().unwrap_or(start))?
            .value;
        let horizon = add_months(start, counting.max_scan_months);
        // The barriers do not depend on the method: the scan under the other method (the
        // alternative date) reuses them.
        let barriers = self
            .barriers
            .get_or_init(|| self.barrier_dates(start, horizon))
            .as_slice();
        let (per_day, exact) = day_value(&ci.c.regime);
        let bonus = self
            .bonus_table(ci, method, per_day, (start, horizon), counting)
            .map(RefCell::new);
        // A contract's part rounded up may count one day more a quarter.
        let ceiling =
            crate::law::counting_am7::rounds_part_up(self.facts.opts, !ci.c.regime.is_full_time());
        let mut e = day_before.as_ref().map_or(start, |(d, _)| *d);
        let mut seen = Seen::default();
        // Whether `e` is likely the answer: where the days checked short of a full evaluation
        // end (nine in ten on the generated set, seven in ten on the corpus), or a date the
        // need bound itself gives (three in ten and two in ten); a barrier's date, one in ten.
        // Without the explanation the findings cost about a fifth of an evaluation (2 k
        // instructions), evaluating the answer twice a whole one. With it, a wrong guess costs
        // the findings and the steps, and a single band option's rows (counted at once, by
        // the law's own count: counting the option again for them would cost as much as the
        // guess saves): the typical plan −5.6 %, the generated and corpus sets +0.6 % and
        // +1.1 % in full (BENCHMARKS.md, session 25).
        let mut likely = false;
        loop {
            let da = e.succ_opt().unwrap_or(e);
            let ev = match day_before.take() {
                Some((_, ev)) => ev,
                // The horizon is the answer's date either way (the date unreachable until).
                None => {
                    let want = if !answer {
                        Want::Decision
                    } else if e >= horizon {
                        Want::Answer
                    } else if likely {
                        Want::Likely
                    } else {
                        Want::Decision
                    };
                    self.evaluate(e, da, method, want)?
                }
            };
            if ev.feasible() {
                return Ok(ScanEnd::Found(e, ev.findings.then(|| Box::new(ev))));
            }
            seen.keep(&ev);
            if e >= horizon {
                let reason = match seen.blocked {
                    Some((q, min_hours)) => format!(
                        "art. 33 1° not met: average {q} h a week, below {min_hours} h and S/3"
                    ),
                    None => String::from("no option met within the scan horizon"),
                };
                return Ok(ScanEnd::Unreachable {
                    best: seen.best,
                    reason,
                    until: horizon,
                    last: (e == horizon && ev.findings).then(|| Box::new(ev)),
                });
            }
            // Jump: the contract adds at most 6/R R6 days per scheduled day (plus the
            // whole-quarter rounding), so no earlier date can close the shortfall.
            let jump = |need: Fixed4, view: View| -> NaiveDate {
                // An upper bound on what the contract can add after `e`: what its days add
                // in the given view (6/R R6 days per scheduled day, or one per Monday–
                // Saturday day), plus what a whole quarter adds over its days (78 rule of
                // the per-quarter method), plus what rounding may add to a quarter's part.
                // The search runs on day offsets from the first day after `e`: no date is
                // built per probe.
                let first = e.succ_opt().unwrap_or(e);
                let qf = Quarter::of(first);
                // Monday–Saturday days are whole days: nothing of them is rounded.
                let (mask, per_day, own) = match view {
                    View::R6Days => (crate::calendar::R6_MASK, Fixed4::whole(1), false),
                    View::Own | View::OwnAndRelease => (ci.mask, per_day, true),
                };
                // The whole quarters' table, if the contract's whole quarters add anything.
                let mut table = bonus.as_ref().map(RefCell::borrow_mut);
                let terms = jump::Gain {
                    first_wd: first.weekday().num_days_from_monday(),
                    mask,
                    per_day,
                    release_per_day: view == View::OwnAndRelease,
                    rounded: own && !exact,
                    ceiling: own && ceiling,
                    qf,
                    bonus: NO_BONUS,
                    bonus_base: table.as_ref().map_or(qf.index(), |t| t.base()),
                };
                // Whole quarters first, then the day inside the quarter where the bound first
                // exceeds the shortfall.
                let horizon_t = days_between(first, horizon).max(0);
                let mut q = qf;
                let mut lo = 0;
                // The offset of quarter `q`'s last day, carried from one quarter to the next
                // by their lengths: no date is built a quarter.
                let mut q_end = days_between(first, qf.end());
                // The bound of quarter `q` reads the table's sums up to its end, entry
                // `after`: the table grows when the loop reaches its end.
                let full_len = table.as_ref().map_or(1, |t| t.full_len());
                let mut after = usize::try_from(qf.next().index() - terms.bonus_base).unwrap_or(0);
                let mut gain = jump::Gain {
                    bonus: table.as_deref().map_or(NO_BONUS, jump::Bonus::sums),
                    ..terms
                };
                loop {
                    if after >= gain.bonus.len() && gain.bonus.len() < full_len {
                        gain = jump::Gain {
                            bonus: match table.as_mut() {
                                Some(t) => t.covering(q.next()),
                                None => NO_BONUS,
                            },
                            ..terms
                        };
                    }
                    let span_end = q_end.min(horizon_t);
                    if gain.ub(span_end, q, q_end) > need {
                        let a = gain.first_above(lo, span_end, q, q_end, need);
                        return first + Days::new(u64::try_from(a).unwrap_or(0));
                    }
                    if span_end >= horizon_t {
                        return horizon;
                    }
                    lo = span_end + 1;
                    q = q.next();
                    q_end += crate::calendar::quarter_len(q.year, q.q);
                    after += 1;
                }
            };
            let average = method == QuarterCapMethod::Average;
            let bound = |need: Option<Fixed4>,
                         beyond: Option<Fixed4>,
                         beyond_average: Option<BeyondAverage>| match need {
                Some(need) => {
                    let floor = e.succ_opt().unwrap_or(e);
                    if !average {
                        return jump(need, View::Own).max(floor);
                    }
                    // Average method. Every bound below holds, so the latest of their dates
                    // is still safe; a bound another one provably reaches is not computed.
                    // What the caps hold back now is released at most once, on top of each
                    // day's own value (`beyond`: the need less all of it, so this date is
                    // never later than the same view's with `beyond_average`).
                    let mut k = beyond.map_or(floor, |n| jump(n, View::Own));
                    let tight = if ci.c.absences.is_empty() {
                        beyond_average
                    } else {
                        None
                    };
                    if let Some(n) = tight {
                        // Without absences the contract's days above its job cap only come
                        // from its own days: its capped part min(s, j) grows by at most the
                        // larger of what its days add (s) and of its Monday–Saturday days
                        // (j: one unit of the option a day, so the need in the options' own
                        // units), and the window's total by that plus what the average cap
                        // holds back. The larger of two sums first exceeds the need at the
                        // earlier of their two dates.
                        let r6 = jump(n.cap_units, View::R6Days);
                        if r6 > k {
                            k = k.max(jump(n.days, View::Own).min(r6));
                        }
                    }
                    // Each day its value and a released day: with nothing held back by the
                    // average cap, its need is the one above and its days weigh at least
                    // as much as either view's (a half-day option's units count half), so
                    // its date is never the later one.
                    if tight.is_none_or(|n| n.days < need) {
                        k = k.max(jump(need, View::OwnAndRelease));
                    }
                    k.max(floor)
                }
                None => horizon,
            };
            let need = ev.need_days();
            // What the caps hold back: only the average method's bounds use it.
            let (beyond, beyond_average) = if average {
                (ev.need_beyond_held(), ev.need_beyond_average_cap())
            } else {
                (None, None)
            };
            let next = bound(need, beyond, beyond_average);
            // Art. 32's slack holds until its date: a barrier of this jump.
            let barrier = [
                barriers.iter().find(|b| **b > e).copied(),
                ev.art32.and_then(|a| a.until),
            ]
            .into_iter()
            .flatten()
            .min();
            // No jump passes the next barrier or the horizon.
            let capped = |d: NaiveDate| barrier.map_or(d, |b| d.min(b)).min(horizon);
            let mut next = capped(next);
            // An option already counts enough but is not open (a route condition): only a
            // change of route can help, on any day, so no day is skipped.
            let close = need.is_some_and(|n| n < Fixed4::ZERO);
            let (open_need, open_beyond) = if close && ev.shadow_route {
                ev.open_needs()
            } else {
                (None, None)
            };
            if close && ev.shadow_route && open_need.is_none_or(|n| n >= Fixed4::ZERO) {
                // Only the closed art. 33 route counts enough. Until the open options' own
                // bound, nothing but a change of route, status or re-admission can make a
                // day feasible: those days are probed (no option counted) and the first day
                // where one of them changes is evaluated in full.
                let until = capped(bound(open_need, open_beyond, None));
                (e, likely) =
                    self.first_change(&ev, (e, until), method, Depth::Route, &mut seen)?;
                continue;
            }
            if close && !ev.shadow_route {
                let (own_need, own_beyond, own_average) = ev.needs_without_art32();
                if own_need.is_none_or(|n| n >= Fixed4::ZERO) {
                    // Only art. 32 counts enough (its bound allows a quarter of slack for the
                    // edge its two periods share, so it stays below zero for days on end
                    // while the ten years fall short). Until the other options' own bound,
                    // only art. 32 or a change of route, status or re-admission can make a
                    // day feasible: those days are checked for art. 32 alone (the own band's
                    // days and the ten years before), and the first day where one of them
                    // changes or art. 32 is met is evaluated in full.
                    let (own_beyond, own_average) = if average {
                        (own_beyond, own_average)
                    } else {
                        (None, None)
                    };
                    let until = capped(bound(own_need, own_beyond, own_average));
                    (e, likely) =
                        self.first_change(&ev, (e, until), method, Depth::Art32, &mut seen)?;
                    continue;
                }
            }
            // On a day the contract does not work, nothing can be gained: the window only
            // moves forward. Except at a quarter end (a whole quarter counts 78) and, with the
            // average method, on Saturdays (the job cap counts Monday–Saturday days).
            while !close && next < horizon && Some(next) != barrier {
                let scheduled = ci.mask & crate::input::Day::of(next.weekday()).bit() != 0;
                let quarter_end = crate::calendar::is_quarter_end(next);
                let r6_day = method == QuarterCapMethod::Average && next.weekday() != Weekday::Sun;
                if scheduled || quarter_end || r6_day {
                    break;
                }
                next = next.succ_opt().unwrap_or(horizon);
            }
            likely = Some(next) != barrier;
            e = next;
        }
    }

    pub fn plan(&self) -> Result<CalcResult, CalcError> {
        let Some(ci) = &self.facts.contract else {
            return Err(CalcError::InvalidInput(InputError::coded(
                InputCode::Required,
                "contract",
                "required in plan mode",
            )));
        };
        let method = self.facts.opts.quarter_cap_method;
        // Already admissible on the day the contract starts?
        let start = ci.c.start;
        let before = start.pred_opt().unwrap_or(start);
        // The day before is the answer whenever no stage is required (46 % of the generated
        // set, 17 % of the corpus): without the explanation, its findings are kept at once
        // (a fifth of an evaluation, where evaluating it again would cost a whole one); with
        // it, they cost more than the second evaluation saves on average.
        let pre_want = if self.trace {
            Want::Decision
        } else {
            Want::Answer
        };
        let pre = self.evaluate(before, start, method, pre_want)?;
        // Already admissible on the day the contract starts: by re-admission, or because the
        // stage is already met without the contract (days to work: 0).
        let already = pre
            .no_stage
            .or_else(|| pre.met.map(|_| NoStage::StageAlreadyMet));
        if let Some(reason) = already {
            let outcome = Outcome::NoStageRequired {
                first_benefit_date: start,
            };
            let detail = self.answer_at(before, method, pre.findings.then_some(pre))?;
            return Ok(self.finish(outcome, detail.a, None, Some(reason)));
        }
        // Not admissible without the contract: the scan starts from that answer (the
        // barriers include the contract's first day, where a rule may change). Only for a
        // full-time contract: a part-time one is a part-time job from its first day, which
        // may open the art. 33 route (half-days) that was closed the day before.
        let first = ci.c.regime.is_full_time().then_some((before, pre));
        let main = self.scan(method, first, true)?;
        let other_method = match method {
            QuarterCapMethod::PerQuarter => QuarterCapMethod::Average,
            QuarterCapMethod::Average => QuarterCapMethod::PerQuarter,
        };
        match main {
            ScanEnd::Found(end, found) => {
                let alt = if self.trace {
                    match self.scan(other_method, None, false)? {
                        ScanEnd::Found(g, _) => Some(g),
                        ScanEnd::Unreachable { .. } => None,
                    }
                } else {
                    None
                };
                let da = end.succ_opt().unwrap_or(end);
                let detail = self.answer_at(end, method, found.map(|f| *f))?;
                let days_to_work =
                    u32::try_from(weekdays_in(start, end, ci.mask)).unwrap_or(u32::MAX);
                let outcome = Outcome::Planned {
                    end_date: end,
                    first_benefit_date: da,
                    days_to_work,
                    contract_contribution: detail.contract_part.ceil(),
                };
                let alternative = self.trace.then_some(Alternative {
                    method: other_method,
                    end_date: alt,
                    safe_end_date: alt.map(|a| a.max(end)),
                });
                let no_stage = detail.no_stage;
                Ok(self.finish(outcome, detail.a, alternative, no_stage))
            }
            ScanEnd::Unreachable {
                best,
                reason,
                until,
                last,
            } => {
                let detail = self.answer_at(until, method, last.map(|l| *l))?;
                let (best_counted, required) = best.unwrap_or((0, 0));
                let outcome = Outcome::Unreachable {
                    best_counted,
                    required,
                    reason,
                    scanned_until: until,
                };
                Ok(self.finish(outcome, detail.a, None, None))
            }
        }
    }

    /// ONEM's own end date: no search, the law evaluated at `end` (DA = `end` + 1).
    pub fn fixed(&self, end: NaiveDate) -> Result<CalcResult, CalcError> {
        let Some(ci) = &self.facts.contract else {
            return Err(CalcError::InvalidInput(InputError::coded(
                InputCode::Required,
                "contract",
                "required for an end date fixed by ONEM",
            )));
        };
        let start = ci.c.start;
        if end < start {
            return Err(CalcError::InvalidInput(InputError::coded(
                InputCode::Invalid,
                "end_date",
                "the end date fixed by ONEM precedes the contract start",
            )));
        }
        let method = self.facts.opts.quarter_cap_method;
        let da = end.succ_opt().unwrap_or(end);
        let detail = self.evaluate(end, da, method, Want::Answer)?;
        let admissible = detail.feasible();
        let outcome = Outcome::Fixed {
            end_date: end,
            first_benefit_date: da,
            days_to_work: u32::try_from(weekdays_in(start, end, ci.mask)).unwrap_or(u32::MAX),
            contract_contribution: detail.contract_part.ceil(),
            admissible,
        };
        let no_stage = detail.no_stage;
        Ok(self.finish(outcome, detail.a, None, no_stage))
    }

    pub fn assess(&self) -> Result<CalcResult, CalcError> {
        let da = self.facts.req.application_date.ok_or_else(|| {
            InputError::coded(
                InputCode::Required,
                "application_date",
                "required in assess mode",
            )
        })?;
        let e = da.pred_opt().unwrap_or(da);
        // One date, nothing to search: the law's own assessment.
        let rec = Record::answer(self.trace);
        let method = self.facts.opts.quarter_cap_method;
        let ev = self.facts.assess_at(e, da, method, &Plain, rec)?;
        let outcome = Outcome::Assessed {
            application_date: da,
            admissible: ev.feasible(),
        };
        let no_stage = ev.no_stage;
        Ok(self.finish(outcome, ev, None, no_stage))
    }

    /// The history's periods (label, kind, first and last day), for the explanation.
    fn periods(&self) -> Vec<Period> {
        self.facts
            .req
            .history
            .iter()
            .enumerate()
            .map(|(i, h)| Period {
                label: crate::law::facts::history_label(i),
                kind: crate::result::variant_name(&h.kind).unwrap_or("other"),
                start: h.start,
                end: h.end,
            })
            .collect()
    }

    fn finish(
        &self,
        outcome: Outcome,
        mut ev: Assessment,
        alternative: Option<Alternative>,
        no_stage: Option<NoStage>,
    ) -> CalcResult {
        let winner_idx = crate::law::winner(&ev.options);
        // The quarter rows stay with the winning option only.
        let mut options = std::mem::take(&mut ev.options);
        let winning = winner_idx.map(|i| {
            let quarters = std::mem::take(&mut options[i].quarters);
            OptionEval {
                quarters,
                ..options[i].clone()
            }
        });
        for o in &mut options {
            o.quarters = Vec::new();
        }
        let readmitted = no_stage.is_some_and(NoStage::is_readmission);
        // The right's duration is information for the person, not part of the decision: a
        // summary leaves it out (its career count is a count of the whole history, a fifth
        // of a new-regime summary's work).
        let right = if self.trace {
            self.facts
                .right_duration(ev.regime, &outcome, winning.as_ref(), &self.memo)
        } else {
            None
        };
        let mut provisional = std::mem::take(&mut ev.provisional);
        provisional.sort();
        provisional.dedup();
        let mut review = std::mem::take(&mut ev.review);
        review.sort();
        review.dedup();
        let trace = if self.trace {
            explain(Explained {
                steps: std::mem::take(&mut ev.steps),
                winning: winning.as_ref().filter(|_| !readmitted),
                readmitted,
                options: &options,
                outcome: &outcome,
                no_stage: no_stage.map(NoStage::as_str),
                alternative: alternative.as_ref(),
                right: right.as_ref(),
                provisional: &provisional,
                review: &review,
                periods: &self.periods(),
            })
        } else {
            Vec::new()
        };
        let mut used = std::mem::take(&mut ev.params_used);
        if let Ok(w) = self
            .facts
            .params
            .reference_wage_at(outcome_da(&outcome).unwrap_or(self.facts.req.today))
        {
            used.push(crate::params::used("reference_wage", w));
        }
        used.sort();
        used.dedup();
        CalcResult {
            mode: self.facts.req.mode,
            outcome,
            regime: Some(ev.regime),
            status: Some(ev.status),
            age: Some(ev.age),
            winning_option: winning,
            options_evaluated: options,
            alternative,
            right,
            half_allowances: ev.half_allowances.clone(),
            no_stage_required: no_stage.map(|n| n.as_str().to_string()),
            provisional,
            manual_review: review,
            options: self.facts.opts.clone(),
            parameters: ParamVersions {
                set_id: std::sync::Arc::clone(&self.facts.params.id),
                version: std::sync::Arc::clone(&self.facts.params.version),
                used,
            },
            engine_version: Cow::Borrowed(ENGINE_VERSION),
            trace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::Plain;
    use crate::{CalcRequest, Options, ParamSet};

    /// The README's example requests and the benchmarks' typical plan.
    const EXAMPLES: [&str; 6] = [
        include_str!("../../../../examples/full-time.json"),
        include_str!("../../../../examples/part-time.json"),
        include_str!("../../../../examples/history-with-sickness.json"),
        include_str!("../../../../examples/crossing-36.json"),
        include_str!("../../../../examples/new-regime-previous-admission.json"),
        include_str!("../../../../scripts/bench/typical-plan.json"),
    ];

    /// The typical plan (scripts/bench/typical-plan.json, a full-time contract starting on a
    /// Tuesday) under each method: the day before the contract, the method's answer found by
    /// the first jump (evaluated at once with its explanation: the need bound's date is likely
    /// the answer; five dates when it was evaluated again for the explanation), and the other
    /// method's scan (its first day, then its answer). The per-quarter method's 78 for a whole
    /// quarter is no gain of the average method, and a full-time day's value (6/5) is exact,
    /// so no rounding allowance makes the average method's first jump stop a day early (it
    /// did, on the Friday before). Without the explanation (nor the other method's scan), the
    /// day before and the answer found by the jump, evaluated once with its findings: two
    /// dates.
    #[test]
    fn the_typical_plan_evaluates_four_dates() {
        let req = CalcRequest::parse(include_str!("../../../../scripts/bench/typical-plan.json"))
            .unwrap();
        let params = ParamSet::embedded();
        for method in ["per_quarter", "average"] {
            let mut opts = Options::default();
            opts.set(&format!("quarter_cap_method={method}")).unwrap();
            for (trace, dates) in [(true, 4), (false, 2)] {
                let search = Search::new(Facts::new(&req, &opts, params), trace);
                let r = search.plan().unwrap();
                assert!(r.end_date().is_some(), "{method}");
                assert_eq!(search.evaluations.get(), dates, "{method} trace {trace}");
            }
        }
    }

    /// A summary decides without the right's duration (AR art. 114, information only): its
    /// career count reads the whole history, which the decision does not (a fifth of the
    /// typical plan's summary). The typical history's jobs of 2019 are before every window
    /// the scans count; only the full answer counts them, and gives the right.
    #[test]
    fn a_summary_leaves_the_rights_career_uncounted() {
        let req = CalcRequest::parse(include_str!("../../../../scripts/bench/typical-plan.json"))
            .unwrap();
        let params = ParamSet::embedded();
        let opts = Options::default();
        let q2019 = Quarter { year: 2019, q: 2 };
        for trace in [true, false] {
            let search = Search::new(Facts::new(&req, &opts, params), trace);
            let r = search.plan().unwrap();
            assert!(r.end_date().is_some());
            assert_eq!(r.right.is_some(), trace, "trace {trace}");
            assert_eq!(search.memo.counted(q2019), trace, "trace {trace}");
        }
    }

    /// A half-day option's job cap grows by one half-day a Monday–Saturday day, not two: the
    /// cap is the job's Monday–Saturday days in the option's unit (78 half-days a quarter).
    /// A part-timer over that cap (art. 33, half-days) is bounded so by the average method's
    /// jump, which took each day for a whole R6 day (two half-days), so that its last steps
    /// only halved the shortfall (604, 614, 619, 622, 623 of 624 half-days, seen on the
    /// generated set). Request 238 of `gen_requests.py`'s set; the end date is unchanged.
    #[test]
    fn a_half_day_options_job_cap_grows_a_half_day_a_day() {
        let req = CalcRequest::parse(
            r#"{"mode":"plan","today":"2021-05-19","person":{"birth_date":"1986-10-23"},
            "contract":{"start":"2021-05-19","days_per_week":5,"weekly_hours":30.4,"reference_hours":38},
            "history":[
            {"kind":"work","start":"2020-11-18","end":"2021-01-28","regime":{"days_per_week":5,"weekly_hours":38,"reference_hours":38}},
            {"kind":"work","start":"2020-06-03","end":"2020-08-23","regime":{"days_per_week":5,"weekly_hours":19,"reference_hours":38}},
            {"kind":"work","start":"2019-11-10","end":"2020-02-03","regime":{"days_per_week":5,"weekly_hours":24,"reference_hours":38}},
            {"kind":"work","start":"2018-09-27","end":"2019-03-12","regime":{"days_per_week":5,"weekly_hours":38,"reference_hours":38}},
            {"kind":"work","start":"2018-05-13","end":"2018-06-27","regime":{"days_per_week":5,"weekly_hours":19,"reference_hours":38}},
            {"kind":"career_break","start":"2017-04-23","end":"2018-02-04"}]}"#,
        )
        .unwrap();
        let mut opts = Options::default();
        opts.set("quarter_cap_method=average").unwrap();
        let search = Search::new(Facts::new(&req, &opts, ParamSet::embedded()), false);
        let r = search.plan().unwrap();
        let w = r.winning_option.as_ref().unwrap();
        assert_eq!(w.unit, Unit::HalfDays);
        assert_eq!(r.end_date(), "2021-09-20".parse().ok());
        // Eighteen dates with a day's job cap taken for two half-days.
        assert_eq!(search.evaluations.get(), 14);
    }

    /// The answer's date is evaluated once: the scan keeps the findings (flags, ids; the
    /// explanation in full) of a date likely to be the answer, and so does the plan of the day
    /// before the contract without the explanation (with it, the day before is evaluated
    /// plain, then again if it is the answer). The answer, with or without the explanation,
    /// is still the law's own at that date.
    #[test]
    fn the_answer_is_not_evaluated_twice() {
        let sources = EXAMPLES.into_iter().chain([
            // 21 months of full-time work just before the contract: no stage required.
            r#"{"mode":"plan","today":"2024-01-08","person":{"birth_date":"1990-05-02"},
            "contract":{"start":"2024-01-08","days_per_week":5,"weekly_hours":38,"reference_hours":38},
            "history":[{"kind":"work","start":"2021-01-04","end":"2024-01-05"}]}"#,
        ]);
        let params = ParamSet::embedded();
        let mut no_stage = 0;
        for (i, src) in sources.enumerate() {
            let req = CalcRequest::parse(src).unwrap();
            for (method, trace) in ["per_quarter", "average"]
                .into_iter()
                .flat_map(|m| [(m, false), (m, true)])
            {
                let mut opts = Options::default();
                opts.set(&format!("quarter_cap_method={method}")).unwrap();
                let search = Search::new(Facts::new(&req, &opts, params), trace);
                let r = search.plan().unwrap();
                let dates = search.evaluated.borrow().clone();
                let barriers = search.barriers.get().cloned().unwrap_or_default();
                for (k, d) in dates.iter().enumerate() {
                    // A barrier's date is evaluated without the findings (one in ten is the
                    // answer): example 3's day before the reform, 2026-02-28, is both. With
                    // the explanation, so is the day before the contract (the answer of
                    // example 6 only; the explanation costs more than it would save there).
                    assert!(
                        !dates[..k].contains(d)
                            || barriers.contains(&d.0)
                            || (trace && *d == dates[0]),
                        "example {i} {method} trace {trace}: {dates:?}"
                    );
                }
                // The law alone at the answer's date: the same options, flags and steps.
                let (e, da) = match r.outcome {
                    Outcome::Planned { end_date, .. } => (end_date, end_date.succ_opt().unwrap()),
                    Outcome::NoStageRequired { first_benefit_date } => {
                        no_stage += 1;
                        (first_benefit_date.pred_opt().unwrap(), first_benefit_date)
                    }
                    ref o => panic!("example {i}: {o:?}"),
                };
                let rec = Record::answer(trace);
                let law = Facts::new(&req, &opts, params)
                    .assess_at(e, da, opts.quarter_cap_method, &Plain, rec)
                    .unwrap();
                let reason = match r.outcome {
                    Outcome::NoStageRequired { .. } => {
                        law.no_stage.or(Some(NoStage::StageAlreadyMet))
                    }
                    _ => law.no_stage,
                };
                let plain = Search::new(Facts::new(&req, &opts, params), trace).finish(
                    r.outcome.clone(),
                    law,
                    r.alternative.clone(),
                    reason,
                );
                assert_eq!(
                    serde_json::to_value(&r).unwrap(),
                    serde_json::to_value(&plain).unwrap(),
                    "example {i} {method} trace {trace}"
                );
            }
        }
        // Both ways to the answer are taken: the day before and a date of the scan.
        assert_eq!(no_stage, 4);
    }

    /// The explanation shows the winning option's quarters only: with several options (old
    /// regime, a voluntary part-timer of 40: 468 half-days in 39 months and 624 in 48), only
    /// the winner's are counted with their rows, once (the answer's evaluation). The scan
    /// evaluates a date likely to be the answer that is not: with the explanation but no rows
    /// (two counts with rows if it counted them).
    #[test]
    fn only_the_winners_quarters_are_counted_with_rows() {
        use crate::law::counting_am7::ROW_COUNTS;
        let req = CalcRequest::parse(
            r#"{"mode":"plan","today":"2024-03-04","person":{"birth_date":"1984-01-10"},
            "contract":{"start":"2024-03-04","days_per_week":5,"weekly_hours":19,"reference_hours":38},
            "history":[{"kind":"work","start":"2023-01-02","end":"2023-06-30","regime":{"days_per_week":5,"weekly_hours":19,"reference_hours":38}}]}"#,
        )
        .unwrap();
        let params = ParamSet::embedded();
        let opts = Options::default();
        let search = Search::new(Facts::new(&req, &opts, params), true);
        ROW_COUNTS.with(|n| n.set(0));
        let r = search.plan().unwrap();
        assert!(r.end_date().is_some(), "{:?}", r.outcome);
        assert_eq!(r.options_evaluated.len(), 2, "{:?}", r.options_evaluated);
        let winner = r.winning_option.as_ref().unwrap();
        assert!(!winner.quarters.is_empty());
        // Two before: each option's count kept its rows.
        assert_eq!(ROW_COUNTS.with(|n| n.get()), 1);
    }

    /// Old regime, art. 32 open (57 years old, 624 days in 42 months): in the last days before
    /// the own band is met, art. 32's bound stays below zero (it allows a quarter of slack)
    /// while the ten years before the window fall short. Those days are checked for art. 32
    /// alone, not evaluated in full; the answer is still the law's first feasible day.
    #[test]
    fn days_only_art32_may_make_feasible_are_not_evaluated_in_full() {
        let req = CalcRequest::parse(
            r#"{"mode":"plan","today":"2018-08-22","person":{"birth_date":"1960-11-27"},
            "contract":{"start":"2018-08-22","days_per_week":5,"weekly_hours":38,"reference_hours":38},
            "history":[{"kind":"work","start":"2017-09-22","end":"2018-06-08","regime":{"days_per_week":5,"weekly_hours":19,"reference_hours":38}},
            {"kind":"detention","start":"2016-10-10","end":"2017-07-17"},
            {"kind":"insured_sickness","start":"2016-08-11","end":"2016-10-05"}]}"#,
        )
        .unwrap();
        let params = ParamSet::embedded();
        for (method, most) in [("per_quarter", 7), ("average", 15)] {
            let mut opts = Options::default();
            opts.set(&format!("quarter_cap_method={method}")).unwrap();
            let search = Search::new(Facts::new(&req, &opts, params), false);
            let end = search.plan().unwrap().end_date().unwrap();
            let law = Facts::new(&req, &opts, params);
            assert_eq!(end, law_first_feasible(&law), "{method}");
            // 18 and 24 when every such day was evaluated in full.
            assert!(
                search.evaluations.get() <= most,
                "{method}: {} dates evaluated in full",
                search.evaluations.get()
            );
        }
    }

    /// The first end date the law alone finds feasible, day by day from the contract's first
    /// day (what the scan must find without evaluating every day).
    fn law_first_feasible(law: &Facts<'_>) -> NaiveDate {
        let rec = Record::DECISION;
        let mut first = law.req.contract.as_ref().unwrap().start;
        while !law
            .assess_at(
                first,
                first.succ_opt().unwrap(),
                law.opts.quarter_cap_method,
                &Plain,
                rec,
            )
            .unwrap()
            .feasible()
        {
            first = first.succ_opt().unwrap();
        }
        first
    }

    /// The dates the scan of a plan request (default options) evaluates in full and checks
    /// short of it, once its end date is checked against the law day by day.
    fn dates_of_the_scan(json: &str) -> (u32, u32) {
        let req = CalcRequest::parse(json).unwrap();
        let opts = Options::default();
        let search = Search::new(Facts::new(&req, &opts, ParamSet::embedded()), false);
        let end = search.plan().unwrap().end_date().unwrap();
        let law = Facts::new(&req, &opts, ParamSet::embedded());
        assert_eq!(end, law_first_feasible(&law));
        (search.evaluations.get(), search.probes.get())
    }

    /// Art. 32's bound allows for what the quarter its two periods share may count more at a
    /// later date. A whole quarter (78 days) where the history holds no declared totals and
    /// no full-time quarter over 78 kept the bound below zero for days on end, and the scan
    /// checked art. 32 day by day (request 834 of the generated set, aged 54, full-time
    /// dated jobs): 8 dates in full and 12 checked, where 6 in full are enough.
    #[test]
    fn art32_is_not_checked_day_by_day_for_a_quarter_its_periods_cannot_share() {
        assert_eq!(
            dates_of_the_scan(
                r#"{"mode":"plan","today":"2019-03-02","person":{"birth_date":"1964-12-02"},
            "contract":{"start":"2019-03-02","days_per_week":5,"weekly_hours":38,"reference_hours":38},
            "history":[{"kind":"work","start":"2018-04-06","end":"2018-09-18","regime":{"days_per_week":5,"weekly_hours":38,"reference_hours":38}},
            {"kind":"work","start":"2017-09-14","end":"2018-03-23","regime":{"days_per_week":5,"weekly_hours":38,"reference_hours":38}},
            {"kind":"work","start":"2017-01-25","end":"2017-05-30","regime":{"days_per_week":5,"weekly_hours":19,"reference_hours":38}},
            {"kind":"work","start":"2016-05-09","end":"2016-12-05","regime":{"days_per_week":5,"weekly_hours":24,"reference_hours":38}},
            {"kind":"work","start":"2015-09-13","end":"2015-12-31","regime":{"days_per_week":5,"weekly_hours":38,"reference_hours":38}},
            {"kind":"insured_sickness","start":"2015-04-03","end":"2015-06-13"}]}"#,
            ),
            (6, 0),
            "(dates evaluated in full, dates checked)"
        );
    }

    /// The other side: a declared quarter (DmfA) that the window's start splits counts in
    /// both periods, the ten years' last quarter whole and the window's first one capped at
    /// its Monday–Saturday days (AM art. 7). Here art. 32 is met on 2021-04-01 only because
    /// 2018Q3 counts in both: without room for it, the bound jumped to 2021-04-07 (request
    /// 13,187 of the corpus).
    #[test]
    fn a_declared_quarter_the_window_splits_is_allowed_for_in_art32s_bound() {
        let req = CalcRequest::parse(
            r#"{"mode":"plan","today":"2018-09-12","person":{"birth_date":"1978-08-09"},
            "history":[{"kind":"work","start":"2018-08-12","end":"2018-09-18",
            "quarters":[{"quarter":"2018Q3","lines":[{"category":"effective_work","days":15},{"category":"temporary_unemployment","days":65}]}],"source":"dmfa"}],
            "contract":{"start":"2018-10-15","days_per_week":5,"weekly_hours":19,"reference_hours":38,"pay":{"monthly":900},"weekdays":["tue","sat","wed","thu","fri"]},
            "career":{"days":3672,"used_days":133}}"#,
        )
        .unwrap();
        let opts = Options::default();
        // No reference wage in force for its pay: the engine keeps the safer of the two
        // statuses, here this one (AR art. 28 §2).
        let facts = || {
            let mut f = Facts::new(&req, &opts, ParamSet::embedded());
            f.wage_unknown_as = Some(crate::result::Status::AssimilatedFullTime);
            f
        };
        let search = Search::new(facts(), false);
        let r = search.plan().unwrap();
        assert_eq!(r.end_date(), "2021-04-01".parse().ok());
        assert_eq!(r.end_date(), Some(law_first_feasible(&facts())));
        let w = r.winning_option.as_ref().unwrap();
        assert_eq!(w.id, "art32_band36");
        let p = w.art32.as_ref().unwrap();
        let split = (w.window.start, p.past_end);
        assert!(
            split.1 < split.0 && Quarter::of(split.0) == Quarter::of(split.1),
            "{split:?}"
        );
    }

    /// A quarter the window's start already splits: a start moving on inside it takes from
    /// the window's part what it gives the ten years' part, so art. 32's bound allows only for
    /// what the window's part held above 78 (nothing here: part-time and short jobs). With
    /// room for all its dated days the scan checked art. 32 day by day (request 2660 of the
    /// generated set, aged 39): 30 dates in full and 55 checked, where 19 in full are enough.
    #[test]
    fn a_start_moving_inside_its_quarter_leaves_art32_little_to_gain() {
        assert_eq!(
            dates_of_the_scan(
                r#"{"mode":"plan","today":"2018-10-19","person":{"birth_date":"1979-04-02"},
            "contract":{"start":"2018-10-19","days_per_week":5,"weekly_hours":38,"reference_hours":38},
            "history":[{"kind":"work","start":"2018-01-26","end":"2018-06-29","regime":{"days_per_week":5,"weekly_hours":24,"reference_hours":38}},
            {"kind":"work","start":"2017-06-05","end":"2017-07-10","regime":{"days_per_week":5,"weekly_hours":19,"reference_hours":38}},
            {"kind":"work","start":"2016-06-08","end":"2017-02-17","regime":{"days_per_week":5,"weekly_hours":38,"reference_hours":38}},
            {"kind":"career_break","start":"2015-01-18","end":"2015-09-29"},
            {"kind":"detention","start":"2014-03-24","end":"2015-01-13"}]}"#,
            ),
            (19, 0),
            "(dates evaluated in full, dates checked)"
        );
    }

    /// What a history quarter may count more when a window's start splits it
    /// (`Counter::split_excess`, per-quarter method): a full-time job spanning 2016Q3 counts
    /// 78 whole (rule 1) but its 66 days × 6/5 = 79.2 split; a declared quarter of 60 days
    /// (72 R6 days) counts whole in the ten years' part and again in the window's. Each part
    /// rounds: two units of four decimals a job. And unpaid days can count only where a
    /// category of the history counts so.
    #[test]
    fn a_split_quarter_counts_its_declared_totals_twice_and_its_days_once() {
        let json = |extra: &str| {
            format!(
                r#"{{"mode":"plan","today":"2018-10-01","person":{{"birth_date":"1975-01-01"}},
                "contract":{{"start":"2018-10-01","days_per_week":5,"weekly_hours":38,"reference_hours":38}},
                "history":[{{"kind":"work","start":"2016-06-01","end":"2016-10-15"}},
                {{"kind":"work","start":"2017-10-02","end":"2017-12-29","source":"dmfa",
                "quarters":[{{"quarter":"2017Q4","lines":[{{"category":"effective_work","days":60}}]}}]}}{extra}]}}"#
            )
        };
        let params = ParamSet::embedded();
        let opts = Options::default();
        let rec = Record::DECISION;
        let e = "2018-10-01".parse().unwrap();
        for (extra, unpaid) in [
            ("", false),
            (
                r#",{"kind":"unpaid_leave","start":"2015-01-05","end":"2015-02-27"}"#,
                true,
            ),
        ] {
            let req = CalcRequest::parse(&json(extra)).unwrap();
            let law = Facts::new(&req, &opts, params);
            let r = law.route_at(e, e.succ_opt().unwrap(), &Plain, rec).unwrap();
            let c = crate::law::counting_am7::Counter {
                facts: &law,
                ctx: &r.ctx,
                unit: Unit::Days,
                method: QuarterCapMethod::PerQuarter,
                foreign_ok: &r.foreign_ok,
            };
            assert_eq!(c.history_may_count_unpaid(), unpaid, "{extra}");
            let excess = |q: &str, split_now: bool| {
                let q: Quarter = q.parse().unwrap();
                let mut out =
                    crate::law::counting_am7::CountOut::new(crate::law::counting_am7::Keep {
                        flags: false,
                        rows: false,
                    });
                let sums = c.history_quarter(
                    q,
                    (q.start(), q.end()),
                    q.start(),
                    q.end(),
                    &mut out,
                    &mut [],
                );
                c.split_excess(q, sums, split_now).unwrap()
            };
            assert_eq!(excess("2016Q3", false), Fixed4(12_002));
            assert_eq!(excess("2016Q3", true), Fixed4(12_002));
            assert_eq!(excess("2017Q4", false), Fixed4(720_002));
            assert_eq!(excess("2017Q4", true), Fixed4::ZERO);
            assert_eq!(excess("2017Q1", false), Fixed4::ZERO);
        }
    }

    /// The scan reuses history sums and run sums between dates (`cache.rs`); at every date
    /// and with both methods it must count exactly what the law counts without them.
    /// The table of the quarters the jobs touch answers as the jobs do, inside the history's
    /// hull and on either side of it.
    #[test]
    fn a_quarter_is_touched_where_a_job_touches_it() {
        let params = ParamSet::embedded();
        let opts = Options::default();
        for src in EXAMPLES {
            let req = CalcRequest::parse(src).unwrap();
            let facts = Facts::new(&req, &opts, params);
            let Some((hs, he)) = facts.hist_hull else {
                continue;
            };
            let (mut q, last) = (Quarter::of(hs).prev().prev(), Quarter::of(he).next().next());
            let mut empty = 0;
            while q <= last {
                let jobs = facts.jobs_touch(q.start(), q.end());
                assert_eq!(facts.quarter_touched(q), jobs, "{q}");
                empty += usize::from(!jobs);
                q = q.next();
            }
            assert!(empty >= 4, "the quarters on either side of the hull");
        }
    }

    #[test]
    fn the_memo_gives_the_laws_counts() {
        let sources = EXAMPLES;
        let params = ParamSet::embedded();
        let mut compared = 0;
        let (pq, avg) = (QuarterCapMethod::PerQuarter, QuarterCapMethod::Average);
        let opts = Options::default();
        // One memo for both methods, in either order: a method's table takes the rows it
        // shares with the other's.
        for ((i, src), order) in sources
            .iter()
            .enumerate()
            .flat_map(|s| [(s, [pq, avg]), (s, [avg, pq])])
        {
            let req = CalcRequest::parse(src).unwrap();
            let search = Search::new(Facts::new(&req, &opts, params), false);
            let law = Facts::new(&req, &opts, params);
            for method in order {
                let start = req.contract.as_ref().unwrap().start;
                let rec = Record::DECISION;
                for k in (0..700).step_by(3) {
                    let e = start + Days::new(k);
                    let da = e.succ_opt().unwrap();
                    let (Ok(scan), Ok(plain)) = (
                        search.evaluate(e, da, method, Want::Decision),
                        law.assess_at(e, da, method, &Plain, rec),
                    ) else {
                        continue;
                    };
                    let counts =
                        |o: &[OptionEval]| o.iter().map(|o| o.counted_exact).collect::<Vec<_>>();
                    assert_eq!(
                        counts(&scan.options),
                        counts(&plain.options),
                        "example {i} {method:?} E {e}"
                    );
                    assert_eq!(scan.held, plain.held, "example {i} {method:?} E {e}");
                    // The final answer's count keeps flags: the memo gives the law's flags.
                    let findings = Record::answer(false);
                    let (Ok(scan), Ok(plain)) = (
                        search.evaluate(e, da, method, Want::Answer),
                        law.assess_at(e, da, method, &Plain, findings),
                    ) else {
                        panic!("example {i} {method:?} E {e}: only one side answers");
                    };
                    assert_eq!(
                        counts(&scan.options),
                        counts(&plain.options),
                        "example {i} {method:?} E {e}"
                    );
                    let flags = |a: &Assessment| {
                        let mut p = a.provisional.clone();
                        p.sort();
                        p.dedup();
                        let mut r = a.review.clone();
                        r.sort();
                        r.dedup();
                        (p, r)
                    };
                    assert_eq!(flags(&scan), flags(&plain), "example {i} {method:?} E {e}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 4_000, "{compared} dates compared");
    }
}
