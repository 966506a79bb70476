//! The scan's jump: the first day at which an upper bound of what the contract can add after
//! the candidate date exceeds the shortfall (no earlier date can close it).
//!
//! The bound over the days `0..=t` after the candidate date is 6/R R6 days a scheduled day
//! (with the average method, what a day may release from the caps too), plus what whole
//! quarters add over their days (78 rule), plus the rounding of each quarter's part. Inside a
//! quarter, before its last day, the bound grows by each day's own value only: the first day
//! above the shortfall is found by whole weeks, then day by day, instead of a binary search
//! of the bound (which the tests keep as the reference).

use chrono::Datelike;

use crate::calendar::{R6_MASK, quarter_len, weekdays_from_index};
use crate::input::Quarter;
use crate::units::Fixed4;

/// What whole quarters of a full-time contract add over their days (78 rule), as prefix sums
/// from the contract's first quarter: `sums[i]` is the sum before quarter `base + i`. Grown
/// as far as the scan's jumps reach, up to the horizon's quarter: most scans end within a few
/// quarters of the contract's start, where the whole table over the horizon (60 months, 21
/// quarters) cost about 2,400 instructions, a twelfth of the typical summary plan
/// (BENCHMARKS.md, session 27).
pub(super) struct Bonus {
    sums: Vec<Fixed4>,
    base: i32,
    /// The quarter the table adds next, and its first weekday (0 = Monday): carried from one
    /// quarter to the next by the quarter's length, no date is built.
    next: Quarter,
    next_wd: u32,
    /// The horizon's quarter: the table ends after it.
    last: Quarter,
    /// A scheduled day's value (with its rounding), the contract's days, a whole quarter's
    /// count.
    contract: (Fixed4, u8, Fixed4),
}

impl Bonus {
    /// The table of a full-time contract starting in quarter `first`, with the scan's horizon
    /// in quarter `last`; `contract`: a scheduled day's value (with its rounding), the
    /// scheduled days, a whole quarter's count.
    pub fn new(first: Quarter, last: Quarter, contract: (Fixed4, u8, Fixed4)) -> Self {
        Bonus {
            sums: vec![Fixed4::ZERO],
            base: first.index(),
            next: first,
            next_wd: first.start().weekday().num_days_from_monday(),
            last,
            contract,
        }
    }

    /// The sums computed so far.
    pub fn sums(&self) -> &[Fixed4] {
        &self.sums
    }

    /// The table with the sum before quarter `q` in it (or all of it, up to the horizon's
    /// quarter). [`Gain`] reads the sums before the quarter after the one it bounds.
    pub fn covering(&mut self, q: Quarter) -> &[Fixed4] {
        let (per_day, mask, full) = self.contract;
        while self.next < q && self.next <= self.last {
            let len = quarter_len(self.next.year, self.next.q);
            let whole = per_day.times(weekdays_from_index(self.next_wd, len, mask));
            // Never empty: made with one entry, only grown.
            let sum = self.sums.last().copied().unwrap_or(Fixed4::ZERO);
            self.sums.push(if full > whole {
                sum + full - whole
            } else {
                sum
            });
            self.next_wd =
                u32::try_from((i64::from(self.next_wd) + len).rem_euclid(7)).unwrap_or(0);
            self.next = self.next.next();
        }
        &self.sums
    }

    pub fn base(&self) -> i32 {
        self.base
    }

    /// The table's length once grown to the horizon's quarter.
    pub fn full_len(&self) -> usize {
        usize::try_from(self.last.index() - self.base + 2).unwrap_or(1)
    }
}

/// The bound of the gain after one candidate date.
#[derive(Clone, Copy)]
pub(super) struct Gain<'b> {
    /// The weekday of the first day after the candidate date (0 = Monday).
    pub first_wd: u32,
    /// The contract's scheduled days.
    pub mask: u8,
    /// A scheduled day's value, plus one ten-thousandth for its rounding.
    pub per_day: Fixed4,
    /// Method A: a day may also release what the caps held back (see [`Gain::ub`]).
    pub release_per_day: bool,
    /// The contract's parts may be rounded: half a ten-thousandth more a quarter.
    pub rounded: bool,
    /// Part-time parts rounded up: one day more a quarter.
    pub ceiling: bool,
    /// The quarter of the first day after the candidate date.
    pub qf: Quarter,
    /// What whole quarters add over their days, prefix sums from quarter `bonus_base`.
    pub bonus: &'b [Fixed4],
    pub bonus_base: i32,
}

impl Gain<'_> {
    fn bonus_at(&self, q: Quarter) -> Fixed4 {
        let i = usize::try_from(q.index() - self.bonus_base).unwrap_or(0);
        self.bonus[i.min(self.bonus.len().saturating_sub(1))]
    }

    /// Bound of the gain over the days `0..=t` after the candidate date, `t` a day of quarter
    /// `q` whose last day is at offset `q_end`; monotone in t.
    pub fn ub(&self, t: i64, q: Quarter, q_end: i64) -> Fixed4 {
        let n = t + 1;
        let (fw, mask) = (self.first_wd, self.mask);
        let sched = weekdays_from_index(fw, n, mask);
        let mut g = if self.release_per_day {
            // Method A caps the contract at its Monday–Saturday days: a day may also release
            // what the cap held back, up to one R6 day, on top of its own value (unpaid days
            // within the yearly cap are outside the job cap).
            let sched_r6 = weekdays_from_index(fw, n, mask & R6_MASK);
            (self.per_day + Fixed4::whole(1)).times(sched)
                + Fixed4::whole(weekdays_from_index(fw, n, R6_MASK) - sched_r6)
        } else {
            self.per_day.times(sched)
        };
        // What whole quarters add over their days (prefix sums).
        let last = if t == q_end { q } else { q.prev() };
        if last >= self.qf {
            g += self.bonus_at(last.next()) - self.bonus_at(self.qf);
        }
        // No day adds anything yet: the contract's parts are those of the candidate date,
        // rounded as they were, and the rest of the window only loses days.
        if g == Fixed4::ZERO {
            return g;
        }
        // Each quarter's part is rounded half up: at most half a ten-thousandth more; with
        // the part-time ceiling, one day more.
        let quarters = i64::from(q.index() - self.qf.index() + 1);
        if self.rounded {
            g += Fixed4(quarters);
        }
        if self.ceiling {
            g += Fixed4::whole(quarters);
        }
        g
    }

    /// What day `t` adds to [`Gain::ub`] when `t - 1` is a day of the same quarter and `t` is
    /// not its last: the day's own terms of the bound (its weekday's), nothing else moves.
    fn day_value(&self, t: i64) -> Fixed4 {
        let wd = (i64::from(self.first_wd) + t).rem_euclid(7);
        let bit = 1u8 << wd;
        let scheduled = self.mask & bit != 0;
        if self.release_per_day {
            let own = if scheduled {
                self.per_day + Fixed4::whole(1)
            } else {
                Fixed4::ZERO
            };
            // An R6 day off the schedule may release one day.
            let released = R6_MASK & bit != 0 && !scheduled;
            own + if released {
                Fixed4::whole(1)
            } else {
                Fixed4::ZERO
            }
        } else if scheduled {
            self.per_day
        } else {
            Fixed4::ZERO
        }
    }

    /// The first offset in `lo..=hi` (days of quarter `q`, whose last day is at `q_end`,
    /// `hi <= q_end`) where the bound exceeds `need`, given that it does at `hi`.
    pub fn first_above(&self, lo: i64, hi: i64, q: Quarter, q_end: i64, need: Fixed4) -> i64 {
        let mut g = self.ub(lo, q, q_end);
        if g > need || lo >= hi {
            return lo;
        }
        // Days `lo + 1 ..= plain` each add their own value (the quarter's last day adds its
        // whole-quarter bonus too, so it is left to the bound itself).
        let plain = hi.min(q_end - 1);
        let mut t = lo;
        // While the bound is zero it has no rounding terms: the first day of some value
        // brings them in through the bound itself.
        while g == Fixed4::ZERO && t < plain {
            t += 1;
            if self.day_value(t) > Fixed4::ZERO {
                g = self.ub(t, q, q_end);
                if g > need {
                    return t;
                }
            }
        }
        let week: Fixed4 = (0..7).map(|k| self.day_value(t + 1 + k)).sum();
        if week > Fixed4::ZERO && plain - t >= 7 {
            // `g + k × week <= need`: the bound stays at or below the shortfall k weeks on.
            let k = ((need - g).0 / week.0).min((plain - t) / 7);
            t += 7 * k;
            g += week.times(k);
        }
        while t < plain {
            t += 1;
            g += self.day_value(t);
            if g > need {
                return t;
            }
        }
        // Every day up to `plain` is at or below the shortfall; the bound exceeds it at `hi`.
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::weekdays_in;

    /// The reference: a binary search of the bound (monotone in t).
    fn bisect(g: &Gain<'_>, lo: i64, hi: i64, q: Quarter, q_end: i64, need: Fixed4) -> i64 {
        let (mut a, mut b) = (lo, hi);
        while a < b {
            let mid = a + (b - a) / 2;
            if g.ub(mid, q, q_end) > need {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        a
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// By weeks and days, the first day above the shortfall is the binary search's.
        #[test]
        fn first_above_is_the_binary_searchs(
            first_wd in 0u32..7,
            mask in 0u8..128,
            per_day in 0i64..40_000,
            release_per_day in proptest::bool::ANY,
            rounded in proptest::bool::ANY,
            ceiling in proptest::bool::ANY,
            qf_index in 8_080i32..8_120,
            ahead in 0i32..4,
            bonus_steps in proptest::collection::vec(0i64..300_000, 1..8),
            q_start in 0i64..200,
            q_len in 0i64..95,
            lo_off in 0i64..95,
            need_raw in -20_000i64..3_000_000,
        ) {
            let mut bonus = vec![Fixed4::ZERO];
            let mut s = 0;
            for b in bonus_steps {
                s += b;
                bonus.push(Fixed4(s));
            }
            let qf = Quarter { year: qf_index / 4, q: u8::try_from(qf_index % 4 + 1).unwrap() };
            let mut q = qf;
            for _ in 0..ahead {
                q = q.next();
            }
            let g = Gain {
                first_wd,
                mask,
                per_day: Fixed4(per_day),
                release_per_day,
                rounded,
                ceiling,
                qf,
                bonus: &bonus,
                bonus_base: qf_index - 1,
            };
            // The quarter's days: `qs..=q_end` (the first quarter starts at offset 0).
            let qs = if ahead == 0 { 0 } else { q_start };
            let q_end = qs + q_len;
            let lo = qs + lo_off.min(q_len);
            let need = Fixed4(need_raw);
            // Some day of `lo..=q_end` is above the shortfall: the search's precondition.
            for hi in [q_end, (lo + (q_end - lo) / 2), lo] {
                if g.ub(hi, q, q_end) > need {
                    proptest::prop_assert_eq!(
                        g.first_above(lo, hi, q, q_end, need),
                        bisect(&g, lo, hi, q, q_end, need),
                        "lo {} hi {} q_end {}", lo, hi, q_end
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Grown in any steps, the table holds what each whole quarter adds over its days,
        /// counted from the quarter's own dates, summed from the contract's first quarter, and
        /// ends after the horizon's quarter.
        #[test]
        fn the_table_grown_in_steps_is_the_quarters_sums(
            first_index in 8_080i32..8_120,
            span in 0i32..24,
            mask in 0u8..128,
            per_day in 0i64..20_000,
            full in 0i64..90,
            steps in proptest::collection::vec(0i32..30, 1..8),
        ) {
            let quarter = |i: i32| Quarter { year: i / 4, q: u8::try_from(i % 4 + 1).unwrap() };
            let (first, last) = (quarter(first_index), quarter(first_index + span));
            let (per_day, full) = (Fixed4(per_day), Fixed4::whole(full));
            let mut table = Bonus::new(first, last, (per_day, mask, full));
            let mut reference = vec![Fixed4::ZERO];
            for i in first_index..=first_index + span {
                let q = quarter(i);
                let whole = per_day.times(weekdays_in(q.start(), q.end(), mask));
                let sum = *reference.last().unwrap();
                reference.push(if full > whole { sum + full - whole } else { sum });
            }
            let mut asked = first_index;
            for step in steps {
                asked += step;
                let sums = table.covering(quarter(asked)).to_vec();
                // The sums before every quarter up to the one asked (the horizon's next at most).
                let n = usize::try_from((asked - first_index + 1).min(span + 2)).unwrap();
                proptest::prop_assert_eq!(&sums[..], &reference[..n]);
            }
            proptest::prop_assert_eq!(table.full_len(), reference.len());
        }
    }
}
