//! What the scan reuses between candidate dates: the history's events under each extension
//! table, and the history's sums of whole quarters (which do not depend on E). The law's
//! count ([`Counter::count`]) is the reference; [`Cached::count`] gives the same sums.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::NaiveDate;

use crate::input::Quarter;
use crate::law::Memo;
use crate::law::counting_am7::{CountOut, Counter, Keep};
use crate::law::extensions::Event;
use crate::law::facts::Facts;
use crate::law::regime::{Ctx, REF_CATEGORIES, REF_COUNTING, REF_EXTENSIONS};
use crate::units::Fixed4;

/// Run sums kept per history table before it starts again (a scan meets a few dozen).
const RUN_MEMO: usize = 64;

/// Which history sums a table holds: the regime's categories and counting tables (by the
/// first day of their entries), the method, and the countable foreign periods (a bit each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlabKey {
    categories: NaiveDate,
    counting: NaiveDate,
    per_quarter: bool,
    foreign: u64,
}

/// Cached history sums for one [`SlabKey`], by quarter.
struct HistSlab {
    key: SlabKey,
    /// Quarter index of `rows[0]`.
    base: i32,
    /// [declared, other, unpaid] of each quarter, once computed.
    rows: Vec<Option<[Fixed4; 3]>>,
    /// Per-job values for the average method: `per_job_len` values a row, in row order.
    per_job: Vec<Fixed4>,
    per_job_len: usize,
    /// Per-quarter method: the capped sum of a run of whole quarters, by (first quarter,
    /// last quarter, unit factor); `None` when a quarter of the run has unpaid days (their
    /// yearly cap ties the quarters of a year together).
    runs: Vec<((i32, i32, i64), Option<Fixed4>)>,
}

impl HistSlab {
    /// The row of quarter `idx`, growing the table (both ways) as needed.
    fn slot(&mut self, idx: i32) -> usize {
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
    /// in `per_job` when the average method keeps them.
    fn whole_quarter(
        &mut self,
        c: &Counter<'_, '_>,
        q: Quarter,
        out: &mut CountOut,
    ) -> (usize, [Fixed4; 3]) {
        let i = self.slot(q.index());
        let w = self.per_job_len;
        let sums = match self.rows[i] {
            Some(sums) => sums,
            None => {
                let per_job = &mut self.per_job[i * w..(i + 1) * w];
                let sums =
                    c.history_quarter(q, (q.start(), q.end()), q.start(), q.end(), out, per_job);
                self.rows[i] = Some(sums);
                sums
            }
        };
        (i, sums)
    }

    /// Capped sum (per-quarter method) of the whole quarters `from..=last`, none of which the
    /// contract touches; `None` if one of them has unpaid days.
    fn run_sum(
        &mut self,
        c: &Counter<'_, '_>,
        from: Quarter,
        last: Quarter,
        out: &mut CountOut,
    ) -> Option<Fixed4> {
        let full = c.full_quarter();
        let factor = c.factor();
        let mut sum = Fixed4::ZERO;
        let mut q = from;
        while q <= last {
            let [declared, other, unpaid] = if c.facts.history_touches(q.start(), q.end()) {
                self.whole_quarter(c, q, out).1
            } else {
                [Fixed4::ZERO; 3]
            };
            if unpaid > Fixed4::ZERO {
                return None;
            }
            // As the law's quarter closes a whole quarter without the contract.
            sum += (declared.times(factor) + other.times(factor)).min(full);
            q = q.next();
        }
        Some(sum)
    }
}

/// The scan's memo.
#[derive(Default)]
pub(super) struct Cached {
    /// History events after each extension table's rules, by the table's first day.
    events: RefCell<Vec<(NaiveDate, Rc<Vec<Event>>)>>,
    hist: RefCell<Vec<HistSlab>>,
}

impl Memo for Cached {
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
        if keep.flags || keep.rows || c.foreign_ok.len() > 64 {
            return c.count(ws, we, ce, keep);
        }
        let mut out = CountOut::new(keep);
        if we < ws {
            return out;
        }
        let per_quarter = c.per_quarter();
        let key = SlabKey {
            categories: c.ctx.table_from(REF_CATEGORIES),
            counting: c.ctx.table_from(REF_COUNTING),
            per_quarter,
            foreign: c
                .foreign_ok
                .iter()
                .enumerate()
                .fold(0u64, |m, (i, ok)| if *ok { m | (1u64 << i) } else { m }),
        };
        let mut cache = self.hist.borrow_mut();
        let slab = match cache.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                cache.push(HistSlab {
                    key,
                    base: 0,
                    rows: Vec::new(),
                    per_job: Vec::new(),
                    per_job_len: if per_quarter { 0 } else { c.facts.jobs.len() },
                    runs: Vec::new(),
                });
                cache.len() - 1
            }
        };
        let hs = &mut cache[slab];
        let factor = c.factor();
        let mut tally = c.tally();
        let before_contract = c.before_contract(we, ce);
        let mut q = Quarter::of(ws);
        while q.start() <= we {
            let (qs, qe) = (q.start(), q.end());
            // Per-quarter method: a run of whole quarters before the contract adds its
            // capped sum, kept with the history's sums.
            if per_quarter && qs >= ws && qe <= before_contract {
                let last = if crate::calendar::is_quarter_end(before_contract) {
                    Quarter::of(before_contract)
                } else {
                    Quarter::of(before_contract).prev()
                };
                if last > q {
                    let rk = (q.index(), last.index(), factor);
                    let sum = match hs.runs.iter().find(|(k, _)| *k == rk) {
                        Some((_, v)) => *v,
                        None => {
                            let v = hs.run_sum(c, q, last, &mut out);
                            if hs.runs.len() >= RUN_MEMO {
                                hs.runs.clear();
                            }
                            hs.runs.push((rk, v));
                            v
                        }
                    };
                    if let Some(sum) = sum {
                        out.total += sum;
                        tally.nquarters += i64::from(last.index() - q.index() + 1);
                        q = last.next();
                        continue;
                    }
                }
            }
            let (qa, qb) = (qs.max(ws), qe.min(we));
            let hist = if !c.facts.history_touches(qs, qe) {
                [Fixed4::ZERO; 3]
            } else if qa == qs && qb == qe {
                let (i, sums) = hs.whole_quarter(c, q, &mut out);
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
                let mut per_job = vec![Fixed4::ZERO; tally.job_sums.len().saturating_sub(1)];
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
