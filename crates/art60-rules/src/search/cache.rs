//! What the scan reuses between candidate dates: the history's events under each extension
//! table, and the history's sums of whole quarters (which do not depend on E). The law's
//! count ([`Counter::count`]) is the reference; [`Cached::count`] gives the same sums.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chrono::NaiveDate;

use crate::input::Quarter;
use crate::law::Memo;
use crate::law::counting_am7::{CountOut, Counter, Keep};
use crate::law::extensions::Event;
use crate::law::facts::Facts;
use crate::law::regime::{Ctx, CtxEntries, REF_CATEGORIES, REF_COUNTING, REF_EXTENSIONS};
use crate::params::{NoRuleInForce, ParamSet};
use crate::result::Flag;
use crate::units::Fixed4;

/// Which history sums a table holds: the regime's categories and counting tables (by the
/// first day of their entries), the method, and the countable foreign periods (a bit each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlabKey {
    categories: NaiveDate,
    counting: NaiveDate,
    per_quarter: bool,
    foreign: u64,
}

/// The countable foreign periods, a bit each (the first 64).
pub(super) fn foreign_bits(ok: &[bool]) -> u64 {
    ok.iter()
        .enumerate()
        .fold(0u64, |m, (i, ok)| if *ok { m | (1u64 << i) } else { m })
}

/// Cached history sums for one [`SlabKey`], by quarter.
struct HistSlab {
    key: SlabKey,
    /// Quarter index of `rows[0]`.
    base: i32,
    /// [declared, other, unpaid] of each quarter, once computed.
    rows: Vec<Option<[Fixed4; 3]>>,
    /// Per-job values (the average method's job caps): `per_job_len` values a row, in row
    /// order. The per-quarter method keeps them too, for the average method's table.
    per_job: Vec<Fixed4>,
    per_job_len: usize,
    /// Sums of the whole quarters before the contract, back from the last of them, by (last
    /// quarter, unit factor).
    tails: Vec<Tail>,
    /// The flags a computed quarter raised (provisional, review), by quarter index: few
    /// quarters have any. A count that keeps flags takes them from here.
    flags: Vec<(i32, Vec<Flag>, Vec<Flag>)>,
    /// Where [`HistSlab::whole_quarter`] counts a quarter: it keeps flags, never rows.
    scratch: CountOut,
}

/// The whole quarters before the contract, as the law's quarters close them (no start-quarter
/// cap, no contract part, each capped at 78 with the per-quarter method), summed back from
/// the last one: a window starting on any earlier quarter boundary takes its run of quarters
/// from here in one step, each quarter computed once a calculation.
struct Tail {
    last: Quarter,
    factor: i64,
    /// The quarter `totals` reaches next: `last - totals.len()`.
    next: Quarter,
    /// `totals[k]`: the sum over quarters `last - k ..= last`; `None` from the first quarter
    /// with unpaid days on (their yearly cap ties the quarters of a year together).
    totals: Vec<Option<Fixed4>>,
    /// Average method: the per-job sums of the same quarters, `per_job_len` values each.
    per_job: Vec<Fixed4>,
}

impl HistSlab {
    /// The row of quarter `idx`, growing the table (both ways) as needed. Inlined: almost
    /// every quarter is in the table already.
    #[inline]
    fn slot(&mut self, idx: i32) -> usize {
        match usize::try_from(idx - self.base) {
            Ok(i) if i < self.rows.len() => i,
            _ => self.grow_to(idx),
        }
    }

    /// [`HistSlab::slot`] for a quarter outside the table: the table grows to it.
    #[cold]
    fn grow_to(&mut self, idx: i32) -> usize {
        if self.rows.is_empty() {
            self.base = idx;
        }
        if idx < self.base {
            let n = usize::try_from(self.base - idx).unwrap_or(0);
            self.rows.splice(0..0, std::iter::repeat_n(None, n));
            self.per_job.splice(
                0..0,
                std::iter::repeat_n(Fixed4::ZERO, n * self.per_job_len),
            );
            self.base = idx;
        }
        let i = usize::try_from(idx - self.base).unwrap_or(0);
        if i >= self.rows.len() {
            self.rows.resize(i + 1, None);
            self.per_job
                .resize((i + 1) * self.per_job_len, Fixed4::ZERO);
        }
        i
    }

    /// The history's sums of whole quarter `q` (computed the first time), its per-job values
    /// in `per_job`. The quarter's flags stay in `flags`: a count that keeps flags takes them
    /// with [`HistSlab::flags_into`]. `sibling`: the other quarter-cap method's table under
    /// the same rules, whose row is this one's when no full-time job spans the quarter.
    /// Inlined: a quarter is counted once and looked up many times.
    #[inline]
    fn whole_quarter(
        &mut self,
        c: &Counter<'_, '_>,
        q: Quarter,
        sibling: Option<&HistSlab>,
    ) -> (usize, [Fixed4; 3]) {
        let i = self.slot(q.index());
        match self.rows[i] {
            Some(sums) => (i, sums),
            None => self.count_quarter(c, q, i, sibling),
        }
    }

    /// [`HistSlab::whole_quarter`] the first time: quarter `q` counted into row `i`.
    fn count_quarter(
        &mut self,
        c: &Counter<'_, '_>,
        q: Quarter,
        i: usize,
        sibling: Option<&HistSlab>,
    ) -> (usize, [Fixed4; 3]) {
        // A quarter no job touches holds nothing (the table's callers skip it; one that asks
        // anyway gets zero sums, no per-job values, no flags, without the quarter's count).
        if !c.facts.quarter_touched(q) {
            self.rows[i] = Some([Fixed4::ZERO; 3]);
            return (i, [Fixed4::ZERO; 3]);
        }
        let (qs, qe) = (q.start(), q.end());
        let w = self.per_job_len;
        if let Some(o) = sibling
            && let Some((j, sums)) = o.row(q)
            && o.per_job_len == w
            && !c.facts.full_time_job_spans(qs, qe)
        {
            self.per_job[i * w..(i + 1) * w].copy_from_slice(&o.per_job[j * w..(j + 1) * w]);
            self.flags
                .extend(o.flags.iter().filter(|f| f.0 == q.index()).cloned());
            self.rows[i] = Some(sums);
            return (i, sums);
        }
        let per_job = &mut self.per_job[i * w..(i + 1) * w];
        // The quarter's flags are kept with its sums, whatever this count keeps; the scratch
        // count is the slab's own, emptied after every quarter (a count built and dropped a
        // quarter cost a fifth of the quarter).
        let own = &mut self.scratch;
        let sums = c.history_quarter(q, (qs, qe), qs, qe, own, per_job);
        if !own.provisional.is_empty() || !own.review.is_empty() {
            self.flags.push((
                q.index(),
                std::mem::take(&mut own.provisional),
                std::mem::take(&mut own.review),
            ));
        }
        self.rows[i] = Some(sums);
        (i, sums)
    }

    /// The computed row of quarter `q`: its index and sums.
    fn row(&self, q: Quarter) -> Option<(usize, [Fixed4; 3])> {
        let i = usize::try_from(q.index() - self.base).ok()?;
        self.rows.get(i).copied().flatten().map(|sums| (i, sums))
    }

    /// The flags of the computed quarters `from..=last`, into a count that keeps them (the
    /// count sorts and dedups its flags when it closes).
    fn flags_into(&self, from: Quarter, last: Quarter, out: &mut CountOut) {
        let (a, b) = (from.index(), last.index());
        for (qi, provisional, review) in &self.flags {
            if (a..=b).contains(qi) {
                out.provisional.extend(provisional.iter().cloned());
                out.review.extend(review.iter().cloned());
            }
        }
    }

    /// The per-job sums a run keeps for each quarter: the average method's only (its job
    /// caps), none with the per-quarter method.
    fn run_width(&self) -> usize {
        if self.key.per_quarter {
            0
        } else {
            self.per_job_len
        }
    }

    /// The sum of the whole quarters `from..=last`, none of which the contract touches, and
    /// the per-job sums (average method); `None` if one of them has unpaid days.
    fn run_sum(
        &mut self,
        c: &Counter<'_, '_>,
        from: Quarter,
        last: Quarter,
        sibling: Option<&HistSlab>,
    ) -> Option<(Fixed4, &[Fixed4])> {
        let factor = c.factor();
        let t = match self
            .tails
            .iter()
            .position(|t| t.last == last && t.factor == factor)
        {
            Some(t) => t,
            None => {
                self.tails.push(Tail {
                    last,
                    factor,
                    next: last,
                    totals: Vec::new(),
                    per_job: Vec::new(),
                });
                self.tails.len() - 1
            }
        };
        let k = usize::try_from(last.index() - from.index()).ok()?;
        let w = self.run_width();
        if self.tails[t].totals.len() <= k {
            self.grow_tail(c, t, k, sibling);
        }
        let tail = &self.tails[t];
        let total = tail.totals[k]?;
        Some((total, &tail.per_job[k * w..(k + 1) * w]))
    }

    /// [`HistSlab::run_sum`]'s tail `t` grown back to hold `totals[k]`, each quarter counted
    /// into the table.
    fn grow_tail(&mut self, c: &Counter<'_, '_>, t: usize, k: usize, sibling: Option<&HistSlab>) {
        let full = c.full_quarter();
        let per_quarter = self.key.per_quarter;
        let w = self.run_width();
        let rw = self.per_job_len;
        // The tail's sums out of the table while the run grows them (the quarters' rows are
        // counted into the table itself): no lookup of the tail a quarter.
        let tail = &mut self.tails[t];
        let factor = tail.factor;
        let mut totals = std::mem::take(&mut tail.totals);
        let mut sums_by_job = std::mem::take(&mut tail.per_job);
        let mut next = tail.next;
        // The run's quarters at once, not one growth step after another.
        totals.reserve(k + 1 - totals.len());
        sums_by_job.reserve(((k + 1) * w).saturating_sub(sums_by_job.len()));
        let mut prev = totals.last().copied().unwrap_or(Some(Fixed4::ZERO));
        while totals.len() <= k {
            // `None`: already poisoned by unpaid days in a later quarter.
            let Some(sum) = prev else {
                totals.resize(k + 1, None);
                break;
            };
            // Quarter `last - totals.len()`.
            let q = next;
            // A quarter no job touches holds nothing: zero sums, no per-job values.
            let (row, [declared, other, unpaid]) = if c.facts.quarter_touched(q) {
                // The caller takes the run's flags itself, for the quarters it uses.
                let (i, sums) = self.whole_quarter(c, q, sibling);
                (Some(i), sums)
            } else {
                (None, [Fixed4::ZERO; 3])
            };
            if unpaid > Fixed4::ZERO {
                totals.resize(k + 1, None);
                break;
            }
            next = q.prev();
            let raw = declared.times(factor) + other.times(factor);
            prev = Some(sum + if per_quarter { raw.min(full) } else { raw });
            totals.push(prev);
            if w > 0 {
                let base = sums_by_job.len();
                if base == 0 {
                    sums_by_job.resize(w, Fixed4::ZERO);
                } else {
                    sums_by_job.extend_from_within(base - w..base);
                }
                if let Some(i) = row {
                    for (s, v) in sums_by_job[base..]
                        .iter_mut()
                        .zip(&self.per_job[i * rw..(i + 1) * rw])
                    {
                        *s += *v;
                    }
                }
            }
        }
        let tail = &mut self.tails[t];
        tail.totals = totals;
        tail.per_job = sums_by_job;
        tail.next = next;
    }
}

/// The scan's memo.
#[derive(Default)]
pub(super) struct Cached {
    /// History events after each extension table's rules, by the table's first day.
    events: RefCell<Vec<(NaiveDate, Rc<Vec<Event>>)>>,
    hist: RefCell<Vec<HistSlab>>,
    /// The parameter entries of the last DA ([`Memo::ctx_at`]).
    ctx: Cell<Option<CtxEntries>>,
}

impl Memo for Cached {
    /// The entries found for the last DA serve every DA they all cover (a scan's DAs rarely
    /// cross a parameter change); the lookups are the law's. The memo belongs to one
    /// calculation, so to one parameter set.
    fn ctx_at<'p>(&self, params: &'p ParamSet, da: NaiveDate) -> Result<Ctx<'p>, NoRuleInForce> {
        if let Some(found) = self.ctx.get()
            && found.covers(da)
        {
            return Ok(Ctx::of(params, &found, da));
        }
        let found = Ctx::entries(params, da)?;
        self.ctx.set(Some(found));
        Ok(Ctx::of(params, &found, da))
    }

    fn history_events(&self, facts: &Facts<'_>, ctx: &Ctx<'_>) -> Rc<Vec<Event>> {
        let key = ctx.table_from(REF_EXTENSIONS);
        let mut cache = self.events.borrow_mut();
        if let Some((_, evs)) = cache.iter().find(|(k, _)| *k == key) {
            return Rc::clone(evs);
        }
        let evs = Rc::new(facts.history_events(ctx));
        cache.push((key, Rc::clone(&evs)));
        evs
    }

    /// The law's count, with the history's whole quarters taken from the memo. Counts that
    /// keep flags or rows (the final answer) are the law's own.
    fn count(
        &self,
        c: &Counter<'_, '_>,
        ws: NaiveDate,
        we: NaiveDate,
        ce: Option<NaiveDate>,
        keep: Keep,
    ) -> CountOut {
        // Rows are the law's own; flags come with the kept sums.
        if keep.rows || c.foreign_ok.len() > 64 {
            return c.count(ws, we, ce, keep);
        }
        let mut out = CountOut::new(keep);
        if we < ws {
            return out;
        }
        let mut cache = self.hist.borrow_mut();
        let (hs, sibling) = Self::slab(&mut cache, c);
        let mut tally = c.tally();
        // A partial quarter's per-job values (average method only), cleared before each use.
        let mut per_job = vec![Fixed4::ZERO; tally.job_sums.len().saturating_sub(1)];
        let before_contract = c.before_contract(we, ce);
        let mut q = Quarter::of(ws);
        while q.start() <= we {
            let (qs, qe) = (q.start(), q.end());
            // A run of whole quarters before the contract adds its sums, kept with the
            // history's sums.
            if qs >= ws && qe <= before_contract {
                let last = if crate::calendar::is_quarter_end(before_contract) {
                    Quarter::of(before_contract)
                } else {
                    Quarter::of(before_contract).prev()
                };
                if last > q
                    && let Some((total, per_job)) = hs.run_sum(c, q, last, sibling)
                {
                    out.total += total;
                    tally.nquarters += i64::from(last.index() - q.index() + 1);
                    for (s, v) in tally.job_sums.iter_mut().zip(per_job) {
                        *s += *v;
                    }
                    if out.keep.flags {
                        hs.flags_into(q, last, &mut out);
                    }
                    q = last.next();
                    continue;
                }
            }
            let (qa, qb) = (qs.max(ws), qe.min(we));
            let hist = if !c.facts.quarter_touched(q) {
                [Fixed4::ZERO; 3]
            } else if qa == qs && qb == qe {
                let (i, sums) = hs.whole_quarter(c, q, sibling);
                if out.keep.flags {
                    hs.flags_into(q, q, &mut out);
                }
                let w = hs.per_job_len;
                for (s, v) in tally
                    .job_sums
                    .iter_mut()
                    .zip(&hs.per_job[i * w..(i + 1) * w])
                {
                    *s += *v;
                }
                sums
            } else {
                per_job.fill(Fixed4::ZERO);
                let sums = c.history_quarter(q, (qs, qe), qa, qb, &mut out, &mut per_job);
                for (s, v) in tally.job_sums.iter_mut().zip(&per_job) {
                    *s += *v;
                }
                sums
            };
            c.close_quarter(q, (qa, qb), hist, ce, &mut tally, &mut out);
            q = q.next();
        }
        c.close_window(ws, we, ce, &tally, &mut out);
        out.close()
    }
}

impl Cached {
    /// Whether some table has counted quarter `q` of the history (tests).
    #[cfg(test)]
    pub(super) fn counted(&self, q: Quarter) -> bool {
        self.hist.borrow().iter().any(|s| s.row(q).is_some())
    }

    /// Whether `f` holds for every quarter `from..=to` (in order, stopping at the first that
    /// fails) with the history's sums of the whole quarter under the counter's rules:
    /// [declared, other, unpaid], as [`Counter::history_quarter`] gives them (the memo's rows).
    /// At most 64 foreign periods (the table's key holds a bit for each).
    pub(super) fn all_quarters(
        &self,
        c: &Counter<'_, '_>,
        (from, to): (Quarter, Quarter),
        mut f: impl FnMut(Quarter, [Fixed4; 3]) -> bool,
    ) -> bool {
        let mut cache = self.hist.borrow_mut();
        let (hs, sibling) = Self::slab(&mut cache, c);
        let mut q = from;
        while q <= to {
            let sums = if c.facts.quarter_touched(q) {
                hs.whole_quarter(c, q, sibling).1
            } else {
                [Fixed4::ZERO; 3]
            };
            if !f(q, sums) {
                return false;
            }
            q = q.next();
        }
        true
    }

    /// The table of the counter's rules (made the first time), and the other quarter-cap
    /// method's table under the same rules if there is one. Inlined: every count of the
    /// scan looks its table up.
    #[inline(always)]
    fn slab<'s>(
        cache: &'s mut Vec<HistSlab>,
        c: &Counter<'_, '_>,
    ) -> (&'s mut HistSlab, Option<&'s HistSlab>) {
        let per_quarter = c.per_quarter();
        let key = SlabKey {
            categories: c.ctx.table_from(REF_CATEGORIES),
            counting: c.ctx.table_from(REF_COUNTING),
            per_quarter,
            foreign: foreign_bits(c.foreign_ok),
        };
        let slab = match cache.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                let mut slab = HistSlab {
                    key,
                    base: 0,
                    rows: Vec::new(),
                    per_job: Vec::new(),
                    per_job_len: c.facts.jobs.len(),
                    tails: Vec::new(),
                    flags: Vec::new(),
                    scratch: CountOut::new(Keep {
                        flags: true,
                        rows: false,
                    }),
                };
                // Only quarters the history touches have rows: the table covers them from
                // the start (allocated once), so that it never moves its rows to grow.
                if let Some((hs, he)) = c.facts.hist_hull {
                    let (a, b) = (Quarter::of(hs).index(), Quarter::of(he).index());
                    let n = usize::try_from(b - a + 1).unwrap_or(0);
                    slab.base = a;
                    slab.rows = vec![None; n];
                    slab.per_job = vec![Fixed4::ZERO; n * slab.per_job_len];
                }
                cache.push(slab);
                cache.len() - 1
            }
        };
        // The other method's table under the same rules lends the rows it shares.
        let sibling_key = SlabKey {
            per_quarter: !per_quarter,
            ..key
        };
        match cache.iter().position(|s| s.key == sibling_key) {
            Some(o) if o < slab => {
                let (a, b) = cache.split_at_mut(slab);
                (&mut b[0], Some(&a[o]))
            }
            Some(o) => {
                let (a, b) = cache.split_at_mut(o);
                (&mut a[slab], Some(&b[0]))
            }
            None => (&mut cache[slab], None),
        }
    }
}
