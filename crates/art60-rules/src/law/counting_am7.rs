//! # Counting: conversion into R6 days, caps, start quarter
//!
//! SPEC §3.7 and §3.8; AM 26/11/1991 art. 7 (days) and art. 8 (half-days, art. 33); AR art.
//! 37 §1 al. 2 (edge quarters). A *part* is one job in one quarter: a full-time job spanning
//! a whole quarter uninterrupted counts 78; other full-time parts A × 6/R; part-time parts
//! H × 6/S (or A × Q/R × 6/S); each part keeps 4 decimals (option `rounding_mode`).
//! Assimilated periods count R6 × Q/S in the proportion of the work before them. Unpaid
//! absence counts within a yearly cap (old regime). The start quarter's declared totals are
//! capped at its Monday–Saturday days from the window start. Then the caps of option
//! `quarter_cap_method`: 78 a quarter (`per_quarter`), or each job at most its R6 days and
//! the whole 78 a quarter on average (`average`, AM art. 7 scheme 2B, bonus table unknown).
//! Half-days (art. 33) are twice the days. The total is rounded up.
//! Tested by EX09–EX14, EX24, EX31, E10, E11 and the conversion figures of §8.1.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::{days_between, r6_days, weekdays_in};
use crate::input::{DayCategory, DeclaredLine, Quarter, WorkRegime};
use crate::options::{QuarterCapMethod, RoundingMode};
use crate::params::Treatment;
use crate::result::{Flag, PartRow, PartSource, QuarterRow, Unit};
use crate::units::Fixed4;

use super::categories_art38::{Effective, category_code, effective, effective_line};
use super::facts::{Facts, Job, JobClass, flag};
use super::regime::Ctx;

/// The contract's label in the quarter rows.
const CONTRACT: Cow<'static, str> = Cow::Borrowed("contract");

/// What a count keeps besides its total: the flags, and the quarter rows of the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keep {
    pub flags: bool,
    pub rows: bool,
}

/// A window's count.
pub(crate) struct CountOut {
    pub keep: Keep,
    pub total: Fixed4,
    pub contract_part: Fixed4,
    /// Average method: what the caps hold back at this date, in the option's unit. Later
    /// days can release at most this on top of their own value, which bounds the scan's jump.
    pub held: Held,
    pub quarters: Vec<QuarterRow>,
    pub provisional: Vec<Flag>,
    pub review: Vec<Flag>,
    /// The parts of the quarter being counted (rows only).
    parts: Vec<PartRow>,
}

impl CountOut {
    pub fn new(keep: Keep) -> Self {
        CountOut {
            keep,
            total: Fixed4::ZERO,
            contract_part: Fixed4::ZERO,
            held: Held::default(),
            quarters: Vec::new(),
            provisional: Vec::new(),
            review: Vec::new(),
            parts: Vec::new(),
        }
    }
    pub fn review(&mut self, f: impl FnOnce() -> Flag) {
        if self.keep.flags {
            self.review.push(f());
        }
    }
    pub fn provisional(&mut self, f: impl FnOnce() -> Flag) {
        if self.keep.flags {
            self.provisional.push(f());
        }
    }
    // Inlined: most counts keep no rows, and the test is all they need of it.
    #[inline]
    // The label is cloned only for a kept row: a borrowed one stays borrowed, where `&str`
    // would be copied into a new string.
    #[allow(clippy::ptr_arg)]
    fn part(
        &mut self,
        job: &Cow<'static, str>,
        source: PartSource,
        formula: &'static str,
        value: Fixed4,
    ) {
        self.part_with(|| PartRow {
            job: job.clone(),
            source,
            formula: Cow::Borrowed(formula),
            value,
        });
    }
    #[inline]
    fn part_with(&mut self, f: impl FnOnce() -> PartRow) {
        if self.keep.rows {
            self.parts.push(f());
        }
    }
    /// Sorts and dedups the flags once the count is over.
    pub fn close(mut self) -> Self {
        // Only a count that keeps flags has any.
        if !self.keep.flags {
            return self;
        }
        self.provisional.sort();
        self.provisional.dedup();
        self.review.sort();
        self.review.dedup();
        self
    }
}

/// What the average method's caps hold back at a date (SPEC §3.8.2), in the option's unit:
/// the contract's days above its own Monday–Saturday days, and the window's total above 78 a
/// quarter on average. Apart, because they are released differently (`search/bounds.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Held {
    pub contract: Fixed4,
    pub average: Fixed4,
}

impl Held {
    pub fn total(self) -> Fixed4 {
        self.contract + self.average
    }
}

/// Value of `days` scheduled days in a regime, in R6 days: A×6/R (full time) or A×Q/R×6/S.
pub(crate) fn scheduled_value(days: i64, r: &WorkRegime) -> Fixed4 {
    let (num, den) = scheduled_ratio(days, r);
    Fixed4::ratio(num, den)
}

/// Option `rounding_mode`: whether a part (of a part-time job or contract) is rounded up to a
/// whole day. The scan's bound allows for it where the count does it.
pub(crate) fn rounds_part_up(opts: &crate::options::Options, part_time: bool) -> bool {
    part_time && opts.rounding_mode == RoundingMode::PerPartCeiling
}

/// Whether the value of a scheduled day has at most four decimals: then the value of any
/// number of days is that many times the value of one, and no part of the regime is rounded
/// (a full-time week of 1 to 6 days, 19/38 h of 5 days; not 25/38 h of 5 days).
pub(crate) fn scheduled_value_is_exact(r: &WorkRegime) -> bool {
    let (num, den) = scheduled_ratio(1, r);
    den > 0 && (num * 10_000) % den == 0
}

/// [`scheduled_value`] as a fraction, before it is rounded to four decimals.
fn scheduled_ratio(days: i64, r: &WorkRegime) -> (i128, i128) {
    let rh = i128::from(r.days_per_week.raw());
    if r.is_full_time() {
        (i128::from(days) * 600, rh)
    } else {
        (
            i128::from(days) * 600 * i128::from(r.weekly_hours.raw()),
            rh * i128::from(r.reference_hours.raw()),
        )
    }
}

/// R6 days × Q/S: an assimilated period in the proportion of the work before it.
fn assimilated_value(a: NaiveDate, b: NaiveDate, r: &WorkRegime) -> Fixed4 {
    Fixed4::ratio(
        i128::from(r6_days(a, b)) * i128::from(r.weekly_hours.raw()),
        i128::from(r.reference_hours.raw()),
    )
}

/// Counts one option's window at one candidate date.
pub(crate) struct Counter<'x, 'p> {
    pub facts: &'x Facts<'x>,
    pub ctx: &'x Ctx<'p>,
    pub unit: Unit,
    pub method: QuarterCapMethod,
    pub foreign_ok: &'x [bool],
}

/// The sums of the quarters counted so far that the caps of the whole window need.
pub(crate) struct Tally {
    /// Per-job sums for the average method's job cap (index `jobs.len()` = the contract).
    pub job_sums: Vec<Fixed4>,
    pub unpaid_left: BTreeMap<i32, Fixed4>,
    pub unpaid_counted: Fixed4,
    pub nquarters: i64,
}

impl Counter<'_, '_> {
    pub fn per_quarter(&self) -> bool {
        self.method == QuarterCapMethod::PerQuarter
    }

    /// 1 for days, 2 for half-days (AM art. 8).
    pub fn factor(&self) -> i64 {
        match self.unit {
            Unit::Days => 1,
            Unit::HalfDays => self.ctx.counting.half_day_factor,
        }
    }

    pub fn full_quarter(&self) -> Fixed4 {
        Fixed4::whole(self.ctx.counting.full_quarter)
    }

    pub fn tally(&self) -> Tally {
        Tally {
            job_sums: if self.per_quarter() {
                Vec::new()
            } else {
                vec![Fixed4::ZERO; self.facts.jobs.len() + 1]
            },
            unpaid_left: BTreeMap::new(),
            unpaid_counted: Fixed4::ZERO,
            nquarters: 0,
        }
    }

    /// Option `rounding_mode`: a part-time part rounded up, or kept to 4 decimals.
    pub(super) fn round_part(&self, v: Fixed4, part_time: bool) -> Fixed4 {
        if rounds_part_up(self.facts.opts, part_time) {
            v.ceil_fixed()
        } else {
            v
        }
    }

    /// The last day before the contract: whole quarters up to it count the same at every
    /// candidate date.
    pub fn before_contract(&self, we: NaiveDate, contract_end: Option<NaiveDate>) -> NaiveDate {
        match (&self.facts.contract, contract_end) {
            (Some(ci), Some(_)) => ci.c.start.pred_opt().unwrap_or(ci.c.start).min(we),
            _ => we,
        }
    }

    /// Counts `[ws, we]`, the contract projected up to `contract_end`: every quarter's parts,
    /// its caps, then the caps of the whole window.
    pub fn count(
        &self,
        ws: NaiveDate,
        we: NaiveDate,
        contract_end: Option<NaiveDate>,
        keep: Keep,
    ) -> CountOut {
        let mut out = CountOut::new(keep);
        if we < ws {
            return out;
        }
        if keep.rows {
            #[cfg(test)]
            ROW_COUNTS.with(|n| n.set(n.get() + 1));
            // A row a quarter: sized once.
            let n = Quarter::of(we).index() - Quarter::of(ws).index() + 1;
            out.quarters.reserve(usize::try_from(n).unwrap_or(0));
        }
        let mut tally = self.tally();
        // A quarter's per-job values (average method only), cleared at each quarter.
        let mut per_job = vec![Fixed4::ZERO; tally.job_sums.len().saturating_sub(1)];
        let mut q = Quarter::of(ws);
        while q.start() <= we {
            let (qs, qe) = (q.start(), q.end());
            let (qa, qb) = (qs.max(ws), qe.min(we));
            per_job.fill(Fixed4::ZERO);
            let hist = if self.facts.history_touches(qs, qe) {
                self.history_quarter(q, (qs, qe), qa, qb, &mut out, &mut per_job)
            } else {
                [Fixed4::ZERO; 3]
            };
            for (s, v) in tally.job_sums.iter_mut().zip(&per_job) {
                *s += *v;
            }
            self.close_quarter(q, (qa, qb), hist, contract_end, &mut tally, &mut out);
            q = q.next();
        }
        self.close_window(ws, we, contract_end, &tally, &mut out);
        out.close()
    }

    /// The history's periods in one quarter: [declared, other, unpaid] in days; per-job
    /// values go to `per_job` when the average method needs them.
    pub fn history_quarter(
        &self,
        q: Quarter,
        (qs, qe): (NaiveDate, NaiveDate),
        qa: NaiveDate,
        qb: NaiveDate,
        out: &mut CountOut,
        per_job: &mut [Fixed4],
    ) -> [Fixed4; 3] {
        let factor = self.factor();
        let mut sums = [Fixed4::ZERO; 3];
        for (ji, job) in self.facts.jobs.iter().enumerate() {
            // The jobs after one that starts after the quarter start after it too: outside.
            if self.facts.jobs_by_start && job.start > qe {
                break;
            }
            // Declarations lie inside their job's period (input check): a job outside the
            // quarter has nothing in it.
            if job.outside(qs, qe) {
                continue;
            }
            if let JobClass::Foreign(f) = job.class
                && !self.foreign_ok[f]
            {
                continue;
            }
            let part_time = !job.full_time();
            let (v, slot, source, formula) = if let Some(decl) = job.declaration(q) {
                let d = self.declared_value(job, &decl.lines, q, out);
                sums[2] += d.unpaid;
                (d.counted, 0, PartSource::Declared, d.formula)
            } else {
                let (a, b) = (qa.max(job.start), qb.min(job.end));
                if b < a {
                    continue;
                }
                match self.undeclared_part(job, q, (qs, qe), (a, b), out) {
                    Part::Counts(v, source, formula) => {
                        if job.provisional {
                            out.provisional(|| flag("provisional.input", job.label.clone()));
                        }
                        (v, 1, source, formula)
                    }
                    Part::Unpaid(v) => {
                        sums[2] += v;
                        continue;
                    }
                    Part::Nothing => continue,
                }
            };
            let v = self.round_part(v, part_time);
            sums[slot] += v;
            if let Some(p) = per_job.get_mut(ji) {
                *p += v;
            }
            out.part(&job.label, source, formula, v.times(factor));
        }
        sums
    }

    /// A part of the history that no declaration covers: an assimilated period, a declared
    /// job's quarter not declared yet (§3.10), or a job's scheduled days.
    fn undeclared_part(
        &self,
        job: &Job,
        q: Quarter,
        (qs, qe): (NaiveDate, NaiveDate),
        (a, b): (NaiveDate, NaiveDate),
        out: &mut CountOut,
    ) -> Part {
        if let JobClass::Assimilated(cat) = job.class {
            return match effective(self.ctx.treatment(cat), self.facts.opts) {
                Effective::Count => Part::Counts(
                    assimilated_value(a, b, &job.regime),
                    PartSource::Assimilated,
                    "R6×Q/S",
                ),
                Effective::Unpaid => Part::Unpaid(assimilated_value(a, b, &job.regime)),
                Effective::Review => {
                    out.review(|| {
                        flag(
                            "manual_review.category",
                            format!("{} {}", job.label, category_code(cat)),
                        )
                    });
                    Part::Nothing
                }
                Effective::No => Part::Nothing,
            };
        }
        if !job.declared.is_empty() {
            // §3.10: only the quarters whose DmfA cannot exist yet; an older gap counts nothing.
            if q < self.facts.dmfa_pending_from {
                out.review(|| flag("manual_review.dmfa_missing", format!("{} {q}", job.label)));
                return Part::Nothing;
            }
            let (v, f) = self.no_interruption_value(job, q, a, b, out);
            return Part::Counts(v, PartSource::NoInterruptionRule, f);
        }
        if job.class == JobClass::Belgian && q >= self.facts.dmfa_pending_from {
            out.provisional(|| flag("provisional.dmfa_pending", format!("{} {q}", job.label)));
        }
        let source = if matches!(job.class, JobClass::Foreign(_)) {
            PartSource::Foreign
        } else {
            PartSource::Projected
        };
        if self.per_quarter() && a == qs && b == qe && job.full_time() {
            return Part::Counts(self.full_quarter(), source, "78");
        }
        let days = weekdays_in(a, b, job.mask);
        let f = if job.full_time() {
            "A×6/R"
        } else {
            "A×Q/R×6/S"
        };
        Part::Counts(scheduled_value(days, &job.regime), source, f)
    }

    /// A declared quarter of one job (AM art. 7 schemes 1–2): counted, unpaid, formula.
    fn declared_value(
        &self,
        job: &Job,
        lines: &[DeclaredLine],
        q: Quarter,
        out: &mut CountOut,
    ) -> Declared {
        let mut t = LineTotals::default();
        for l in lines {
            self.add_line(l, &mut t);
        }
        if let Some((key, cat)) = t.review {
            out.review(|| flag(key, format!("{} {q} {}", job.label, category_code(cat))));
        }
        let r = &job.regime;
        let rh = i128::from(r.days_per_week.raw());
        let sh = i128::from(r.reference_hours.raw());
        let qh = i128::from(r.weekly_hours.raw());
        let spans = job.start <= q.start() && job.end >= q.end();
        // §3.7 rule 1: 78 for a whole quarter without interruption: every code counts and the
        // days declared cover the job's schedule in the quarter.
        let scheduled = i128::from(weekdays_in(q.start(), q.end(), job.mask)) * 100;
        let uninterrupted = t.every_line_counts && t.days > 0 && t.days >= scheduled;
        if self.per_quarter() && job.full_time() && spans && uninterrupted {
            return Declared {
                counted: self.full_quarter(),
                unpaid: Fixed4::ZERO,
                formula: "78",
            };
        }
        let completed = self.undeclared_completion(job, lines, q);
        let (counted, unpaid, formula) = if job.full_time() {
            (
                Fixed4::ratio(t.days * 6, rh),
                Fixed4::ratio(t.unpaid_days * 6, rh),
                "A×6/R",
            )
        } else if t.hours_known {
            (
                Fixed4::ratio(t.hours * 6, sh),
                Fixed4::ratio(t.unpaid_hours * 6, sh),
                "H×6/S",
            )
        } else {
            (
                Fixed4::ratio(t.days * 6 * qh, rh * sh),
                Fixed4::ratio(t.unpaid_days * 6 * qh, rh * sh),
                "A×6/R×Q/S",
            )
        };
        Declared {
            counted,
            unpaid: unpaid + completed,
            formula,
        }
    }

    /// One declared line into the quarter's totals, by its category's treatment.
    fn add_line(&self, l: &DeclaredLine, t: &mut LineTotals) {
        let treatment = self.ctx.treatment(l.category);
        let d = i128::from(l.days.raw());
        let h = l.hours.map(|h| i128::from(h.raw()));
        match effective_line(
            treatment,
            self.facts.opts,
            l.paid_with_unemployment_contribution,
        ) {
            Effective::Count => {
                t.days += d;
                match h {
                    Some(h) => t.hours += h,
                    None => t.hours_known = false,
                }
            }
            Effective::Unpaid => {
                t.every_line_counts = false;
                t.unpaid_days += d;
                t.unpaid_hours += h.unwrap_or(0);
            }
            Effective::No => {
                if d > 0 || h.unwrap_or(0) > 0 {
                    t.every_line_counts = false;
                }
                if treatment == Treatment::Extends {
                    t.review = Some(("manual_review.declared_extension", l.category));
                }
            }
            Effective::Review => {
                t.every_line_counts = false;
                t.review = Some(("manual_review.category", l.category));
            }
        }
    }

    /// Closes one quarter: the contract's projection, unpaid absence within the yearly cap,
    /// the start-quarter cap of declared totals, the 78 cap (per-quarter method).
    pub fn close_quarter(
        &self,
        q: Quarter,
        (qa, qb): (NaiveDate, NaiveDate),
        [declared_sum, mut other_sum, mut unpaid_sum]: [Fixed4; 3],
        contract_end: Option<NaiveDate>,
        tally: &mut Tally,
        out: &mut CountOut,
    ) {
        let (qs, qe) = (q.start(), q.end());
        let full = self.full_quarter();
        let per_quarter = self.per_quarter();
        let factor = self.factor();
        tally.nquarters += 1;
        let mut contract_units = Fixed4::ZERO;
        if let Some(c) = self.contract_part(q, (qa, qb), contract_end) {
            other_sum += c.counted;
            unpaid_sum += c.unpaid;
            if let Some(s) = tally.job_sums.last_mut() {
                *s += c.counted;
            }
            contract_units = c.counted.times(factor);
            out.part(&CONTRACT, PartSource::Contract, c.formula, contract_units);
        }
        other_sum += self.unpaid_within_cap(q, unpaid_sum, tally, out);
        // Start quarter: declared totals cannot be placed in time, so they are capped at the
        // Monday–Saturday days from the window start (AM art. 7 last paragraph). Caps are in
        // the option's unit: 78 days or 78 half-days a quarter (AM art. 7, 8).
        let mut cap = None;
        let mut declared_units = declared_sum.times(factor);
        if qa > qs && declared_units > Fixed4::ZERO {
            let c = Fixed4::whole(r6_days(qa, qe));
            if declared_units > c {
                declared_units = c;
                cap = Some(c);
            }
        }
        let raw = declared_units + other_sum.times(factor);
        let result = if per_quarter {
            if raw > full {
                cap = Some(full);
            }
            raw.min(full)
        } else {
            raw
        };
        out.total += result;
        // The contract's share of what the quarter counts: the other periods first, the
        // contract fills the rest up to the cap.
        let others = raw - contract_units;
        out.contract_part += (result - others.min(result)).min(contract_units);
        if out.keep.rows {
            out.quarters.push(QuarterRow {
                quarter: q,
                parts: std::mem::take(&mut out.parts),
                raw,
                cap,
                result,
            });
        }
        out.parts.clear();
    }

    /// Unpaid absence within the yearly cap (old regime), all jobs together: what counts.
    fn unpaid_within_cap(
        &self,
        q: Quarter,
        unpaid_sum: Fixed4,
        tally: &mut Tally,
        out: &mut CountOut,
    ) -> Fixed4 {
        if unpaid_sum <= Fixed4::ZERO {
            return Fixed4::ZERO;
        }
        let factor = self.factor();
        let left = tally
            .unpaid_left
            .entry(q.year)
            .or_insert(Fixed4::whole(self.ctx.unpaid_cap));
        let allowed = unpaid_sum.min(*left);
        *left = *left - allowed;
        tally.unpaid_counted += allowed;
        if allowed > Fixed4::ZERO {
            let cap = self.ctx.unpaid_cap;
            out.part_with(|| PartRow {
                job: Cow::Borrowed("unpaid"),
                source: PartSource::UnpaidWithinCap,
                formula: Cow::Owned(format!("≤ {cap}")),
                value: allowed.times(factor),
            });
        }
        allowed
    }

    /// Whether any of the history can count as unpaid absence under these rules (within the
    /// yearly cap, AR art. 38 §1 10°): an assimilated period or a declared line whose
    /// category counts so, or the declared quarters scheme 3 completes (option
    /// `undeclared_completion`). Where nothing can, no quarter has unpaid days.
    pub(crate) fn history_may_count_unpaid(&self) -> bool {
        if self.ctx.unpaid_cap <= 0 {
            return false;
        }
        let completes = self.completion_tolerance().is_some();
        self.facts.jobs.iter().any(|job| {
            if let JobClass::Assimilated(cat) = job.class
                && effective(self.ctx.treatment(cat), self.facts.opts) == Effective::Unpaid
            {
                return true;
            }
            (completes && !job.declared.is_empty())
                || job.declared.iter().flat_map(|d| &d.lines).any(|l| {
                    effective_line(
                        self.ctx.treatment(l.category),
                        self.facts.opts,
                        l.paid_with_unemployment_contribution,
                    ) == Effective::Unpaid
                })
        })
    }

    /// How much more history quarter `q` can count, per-quarter method, when a window's start
    /// splits it between two counts (the window from its start, and the period that ends
    /// the day before, as art. 32's ten years do) than the two counts gave it before:
    /// `sums` are its whole-quarter sums [declared, other, unpaid] (what
    /// [`Counter::history_quarter`] gives for the whole quarter), `split_now` whether the
    /// start already splits it (else both counts held it whole, in one of them). `None`
    /// with unpaid days (each count has its own yearly cap, AR art. 38 §1 10°, parameter
    /// `unpaid_cap`: the bound does not cover them).
    ///
    /// Declared totals cannot be placed in time (AM art. 7 last paragraph): the quarter's
    /// first part counts them whole, the window's part too, capped at its Monday–Saturday
    /// days; dated parts add up by day. So split anywhere, the two parts count at most twice
    /// the declared totals and the dated days once, each part at most 78; counted whole, the
    /// quarter counted `min(78, declared + other)`, where a full-time job spanning it
    /// counted 78 (rule 1), not its days (13 weeks and a day can make 79.2 of a 5-day week).
    /// A start moving inside a quarter it already splits gives the window's part fewer days
    /// and a lower cap: the dated days moving into the other part count there what they no
    /// longer count in the window's part, unless the window's part held more than 78 (at most
    /// the quarter's declared totals and dated days less 78).
    pub(crate) fn split_excess(
        &self,
        q: Quarter,
        sums: [Fixed4; 3],
        split_now: bool,
    ) -> Option<Fixed4> {
        let [declared, other, unpaid] = sums;
        if unpaid > Fixed4::ZERO {
            return None;
        }
        let (qs, qe) = (q.start(), q.end());
        let full = self.full_quarter();
        // Each part of each job rounds on its own: two units of four decimals a job, and two
        // days where part-time parts are rounded up (option `rounding_mode`).
        let per_job = Fixed4(2)
            + if rounds_part_up(self.facts.opts, true) {
                Fixed4::whole(2)
            } else {
                Fixed4::ZERO
            };
        let mut dated = other;
        for job in self
            .facts
            .jobs
            .iter()
            .take_while(|j| !self.facts.jobs_by_start || j.start <= qe)
            .filter(|j| !j.outside(qs, qe))
        {
            dated += per_job;
            // What rule 1 left out of a full-time job spanning the quarter.
            if job.full_time() && job.start <= qs && job.end >= qe {
                let days = scheduled_value(weekdays_in(qs, qe, job.mask), &job.regime);
                if days > full {
                    dated += days - full;
                }
            }
        }
        let f = self.factor();
        let excess = if split_now {
            // Days moving out of the window's part add to the other part what they take from
            // the window's, but for what the window's part held above 78 (its cap kept it).
            (declared + dated).times(f) - full
        } else {
            let split = (declared.times(2) + dated).times(f).min(full.times(2));
            split - (declared + other).times(f).min(full)
        };
        Some(excess.max(Fixed4::ZERO))
    }

    /// Method A (`average`): each job at most its R6 days in the window, the whole at most 78
    /// a quarter on average. The ONEM conversion bonus table is unknown (bonus 0).
    pub fn close_window(
        &self,
        ws: NaiveDate,
        we: NaiveDate,
        contract_end: Option<NaiveDate>,
        tally: &Tally,
        out: &mut CountOut,
    ) {
        if self.per_quarter() {
            return;
        }
        let factor = self.factor();
        let njobs = self.facts.jobs.len();
        let mut total = Fixed4::ZERO;
        for (ji, s) in tally.job_sums.iter().enumerate() {
            // A job with nothing in the window adds nothing and holds nothing back (its cap
            // is never negative): most jobs of a history lie outside a given window.
            if *s == Fixed4::ZERO {
                continue;
            }
            let (js, je) = if ji == njobs {
                match (&self.facts.contract, contract_end) {
                    (Some(ci), Some(ce)) => (ci.c.start, ce),
                    _ => continue,
                }
            } else {
                (self.facts.jobs[ji].start, self.facts.jobs[ji].end)
            };
            let jcap = Fixed4::whole(r6_days(js.max(ws), je.min(we)));
            // SPEC §3.8.2: every job, declared or not, at most its R6 days; weekend teams
            // (Saturday and Sunday only) are not capped.
            let weekend_team = ji < njobs && is_weekend_team(self.facts.jobs[ji].mask);
            let units = s.times(factor);
            if ji == njobs && units > jcap {
                out.held.contract += units - jcap;
            }
            total += if weekend_team { units } else { units.min(jcap) };
        }
        total += tally.unpaid_counted.times(factor);
        out.total = total.min(self.full_quarter().times(tally.nquarters));
        out.held.average += total - out.total;
    }
}

#[cfg(test)]
thread_local! {
    /// The counts that kept their quarter rows, on this thread (tests run one a thread).
    pub(crate) static ROW_COUNTS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// What a part of the history without a declaration gives.
enum Part {
    Counts(Fixed4, PartSource, &'static str),
    /// Unpaid absence, counted within the yearly cap.
    Unpaid(Fixed4),
    Nothing,
}

/// A declared quarter of one job.
struct Declared {
    counted: Fixed4,
    unpaid: Fixed4,
    formula: &'static str,
}

/// The declared lines of a quarter added up, in hundredths.
struct LineTotals {
    days: i128,
    hours: i128,
    hours_known: bool,
    unpaid_days: i128,
    unpaid_hours: i128,
    every_line_counts: bool,
    /// The review flag of the quarter (the last line that raises one).
    review: Option<(&'static str, DayCategory)>,
}

impl Default for LineTotals {
    fn default() -> Self {
        LineTotals {
            days: 0,
            hours: 0,
            hours_known: true,
            unpaid_days: 0,
            unpaid_hours: 0,
            every_line_counts: true,
            review: None,
        }
    }
}

/// A weekend team works on Saturday and Sunday only (SPEC §3.8.2: no job cap).
fn is_weekend_team(mask: u8) -> bool {
    mask != 0 && mask & 0b0001_1111 == 0
}

/// Used by the no-interruption rule's part-time formula (days × Q/7 × 6/S).
pub(crate) fn calendar_days(a: NaiveDate, b: NaiveDate) -> i64 {
    days_between(a, b) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Hundredths;

    #[test]
    fn scheduled_days_convert_by_the_regime() {
        // §3.7: A × 6/R full time, A × Q/R × 6/S part time; 65 R5 days = 78.
        let full = WorkRegime::full_time_5();
        assert_eq!(scheduled_value(65, &full), Fixed4::whole(78));
        let half = WorkRegime {
            weekly_hours: Hundredths::whole(19),
            ..full
        };
        assert_eq!(scheduled_value(65, &half), Fixed4::whole(39));
    }

    /// The scan's bound counts an exact day value without a rounding allowance: then every
    /// number of days must be worth exactly that many days, and only then.
    #[test]
    fn an_exact_day_value_is_never_rounded() {
        let mut exact = 0;
        for days in [100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600] {
            for hours in [760, 1000, 1140, 1520, 1900, 2280, 2500, 3040, 3420, 3800] {
                let r = WorkRegime {
                    days_per_week: Hundredths(days),
                    weekly_hours: Hundredths(hours),
                    reference_hours: Hundredths(3800),
                };
                let one = scheduled_value(1, &r);
                let multiples = (0..=400).all(|n| scheduled_value(n, &r) == one.times(n));
                assert_eq!(scheduled_value_is_exact(&r), multiples, "{r:?}");
                exact += usize::from(multiples);
            }
        }
        // Both kinds occur: 6/5 and 19/38 × 6/5 are exact, 25/38 × 6/5 and 6/3.5 are not.
        assert!(exact > 10 && exact < 100, "{exact} exact regimes of 110");
        assert!(scheduled_value_is_exact(&WorkRegime::full_time_5()));
    }

    #[test]
    fn weekend_teams_work_saturday_and_sunday_only() {
        // §3.8.2: Saturday is bit 5, Sunday bit 6.
        assert!(is_weekend_team(0b0110_0000));
        assert!(is_weekend_team(0b0100_0000));
        assert!(!is_weekend_team(0b0110_0001));
        assert!(!is_weekend_team(0));
    }
}
