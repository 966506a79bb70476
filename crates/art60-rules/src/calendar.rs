//! Belgian calendar: federal public holidays, working days, Monday–Saturday (R6) days and
//! "date to date" month arithmetic (SPEC §6). Pure functions: the date is always an argument.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday, anonymous Gregorian algorithm (SPEC §6).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    let month = (n / 31) as u32;
    let day = (n % 31 + 1) as u32;
    // The algorithm yields March 22..April 25, always a valid date.
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// A federal public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// Stable key for translation, e.g. `holiday.easter_monday`.
    pub key: &'static str,
}

/// The ten federal public holidays of a year, in date order.
pub fn federal_holidays(year: i32) -> [Holiday; 10] {
    let e = easter(year);
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN);
    let mut h = [
        Holiday {
            date: fixed(1, 1),
            key: "holiday.new_year",
        },
        Holiday {
            date: e + Days::new(1),
            key: "holiday.easter_monday",
        },
        Holiday {
            date: fixed(5, 1),
            key: "holiday.labour_day",
        },
        Holiday {
            date: e + Days::new(39),
            key: "holiday.ascension",
        },
        Holiday {
            date: e + Days::new(50),
            key: "holiday.whit_monday",
        },
        Holiday {
            date: fixed(7, 21),
            key: "holiday.national_day",
        },
        Holiday {
            date: fixed(8, 15),
            key: "holiday.assumption",
        },
        Holiday {
            date: fixed(11, 1),
            key: "holiday.all_saints",
        },
        Holiday {
            date: fixed(11, 11),
            key: "holiday.armistice",
        },
        Holiday {
            date: fixed(12, 25),
            key: "holiday.christmas",
        },
    ];
    h.sort_by_key(|x| x.date);
    h
}

pub fn is_federal_holiday(d: NaiveDate) -> bool {
    let (m, day) = (d.month(), d.day());
    if matches!(
        (m, day),
        (1, 1) | (5, 1) | (7, 21) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
    ) {
        return true;
    }
    if !(3..=6).contains(&m) {
        return false;
    }
    let e = easter(d.year());
    let off = days_between(e, d);
    matches!(off, 1 | 39 | 50)
}

/// Monday to Friday and not a federal holiday.
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_federal_holiday(d)
}

/// The `n`-th working day after `from` (not counting `from` itself). `n = 0` returns `from`.
pub fn add_working_days(from: NaiveDate, n: u32) -> NaiveDate {
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d = d.succ_opt().unwrap_or(d);
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// Working days in `(from, to]`, i.e. how many working days have passed since `from`.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    // `<`, not `<=`: equal dates recursed without end (found by the reform impact, issue 15).
    if to < from {
        return -working_days_between(to, from);
    }
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap_or(to);
        if is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// Monday–Saturday days in `[a, b]` (public holidays are not removed; SPEC §6). 0 if b < a.
pub fn r6_days(a: NaiveDate, b: NaiveDate) -> i64 {
    weekdays_in(a, b, R6_MASK)
}

/// Days from `a` to `b` (`b - a`, negative when `b` is earlier): chrono's subtraction
/// without its duration type, which costs several times more and is the commonest date
/// operation of a calculation.
#[inline]
pub fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    // Within a year (most pairs: a quarter, a window's edges) the days of the year suffice.
    if a.year() == b.year() {
        return i64::from(b.ordinal()) - i64::from(a.ordinal());
    }
    i64::from(b.num_days_from_ce()) - i64::from(a.num_days_from_ce())
}

/// The weekday mask of Monday to Saturday (the R6 days).
pub const R6_MASK: u8 = 0b0011_1111;

/// Days among `n` consecutive days from a `first` weekday whose weekday is in the mask (bit 0
/// = Monday .. bit 6 = Sunday); no date is built, for searches over day offsets.
pub fn weekdays_from(first: Weekday, n: i64, mask: u8) -> i64 {
    weekdays_from_index(first.num_days_from_monday(), n, mask)
}

/// [`weekdays_from`] with the first weekday as its number from Monday (0..7).
pub(crate) fn weekdays_from_index(fw: u32, n: i64, mask: u8) -> i64 {
    if n <= 0 {
        return 0;
    }
    let m = u32::from(mask & 0x7f);
    // Bit k of `rot` tells whether day k after `first` (k < 7) is in the mask.
    let rot = ((m >> fw) | (m << (7 - fw))) & 0x7f;
    let rest = (n % 7) as u32;
    // Both values have 7 bits: their counts come from a table (without the popcnt
    // instruction, which the release build does not assume, a count is a dozen operations,
    // and weekday counts run at every quarter of every count).
    (n / 7) * i64::from(ONES7[(m & 0x7f) as usize])
        + i64::from(ONES7[(rot & ((1u32 << rest) - 1) & 0x7f) as usize])
}

/// `ONES7[x]`: the bits set in `x` (x < 128).
const ONES7: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = (i as u32).count_ones() as u8;
        i += 1;
    }
    t
};

/// Days in `[a, b]` whose weekday is in the mask (bit 0 = Monday .. bit 6 = Sunday).
pub fn weekdays_in(a: NaiveDate, b: NaiveDate, mask: u8) -> i64 {
    // The counts run thousands of times a calculation: the length from the days of the year
    // (see `days_between`), the first weekday from chrono's packed date, no day number.
    let n = days_between(a, b) + 1;
    if n <= 0 {
        return 0;
    }
    weekdays_from_index(a.weekday().num_days_from_monday(), n, mask)
}

/// `d + n` months, the same day of the month; if that day does not exist, the last day of
/// the month (chrono clamps the same way).
pub fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    i32::try_from(n)
        .ok()
        .and_then(|n| shift_months(d, n))
        .unwrap_or(NaiveDate::MAX)
}

/// `d` moved by `delta` months, the day clamped to the target month's last day: what chrono's
/// `checked_add_months` / `checked_sub_months` give, from the year and month directly (every
/// window of every candidate date is placed this way; chrono's path costs several times more).
fn shift_months(d: NaiveDate, delta: i32) -> Option<NaiveDate> {
    let months = i64::from(d.year()) * 12 + i64::from(d.month0()) + i64::from(delta);
    let year = i32::try_from(months.div_euclid(12)).ok()?;
    // A remainder of 12 fits a u32.
    let month = months.rem_euclid(12) as u32 + 1;
    let last = match month {
        2 if NaiveDate::from_ymd_opt(year, 2, 29).is_some() => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    NaiveDate::from_ymd_opt(year, month, d.day().min(last))
}

/// End of a period of `n` months starting on `start`, date to date: the day before the same
/// day `n` months later; when that day does not exist, the last day of the month (E1).
pub fn period_end(start: NaiveDate, n: u32) -> NaiveDate {
    let same_day = start.day();
    let target = add_months(start, n);
    if target.day() != same_day {
        // Clamped: the month had no such day, so the period ends on its last day.
        target
    } else {
        target.pred_opt().unwrap_or(target)
    }
}

/// How a backward window start is placed when `DA - n months` has no such day (Q3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthEnd {
    ClampToMonthEnd,
    FirstOfNextMonth,
}

/// `d - n` months, same day of month; a missing day follows `rule`.
pub fn sub_months(d: NaiveDate, n: u32, rule: MonthEnd) -> NaiveDate {
    let back = i32::try_from(n)
        .ok()
        .and_then(|n| shift_months(d, -n))
        .unwrap_or(NaiveDate::MIN);
    if back.day() == d.day() {
        return back;
    }
    match rule {
        MonthEnd::ClampToMonthEnd => back,
        MonthEnd::FirstOfNextMonth => back.succ_opt().unwrap_or(back),
    }
}

/// Completed years at `on` for a person born on `birth` (date-to-date arithmetic: a person
/// born on 29 February has a birthday on 28 February in common years, see SPEC §6 [D]).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    let anniversary = add_months(birth, (years as u32) * 12);
    if anniversary > on {
        years -= 1;
    }
    years
}

/// The date on which a person reaches `years` of age.
pub fn birthday(birth: NaiveDate, years: u32) -> NaiveDate {
    add_months(birth, years * 12)
}

/// First day of the calendar quarter containing `d`.
pub fn quarter_start(d: NaiveDate) -> NaiveDate {
    quarter_bounds(d.year(), (d.month0() / 3 + 1) as u8).0
}

/// Last day of the calendar quarter containing `d`.
pub fn quarter_end(d: NaiveDate) -> NaiveDate {
    quarter_bounds(d.year(), (d.month0() / 3 + 1) as u8).1
}

/// Years whose quarter bounds are tabulated: every date the engine meets in practice.
const BOUNDS_FROM: i32 = 1900;
const BOUNDS_YEARS: usize = 300;

/// Quarter bounds of the tabulated years, built at compile time.
static QUARTER_BOUNDS: [(NaiveDate, NaiveDate); BOUNDS_YEARS * 4] = {
    let mut t = [(NaiveDate::MIN, NaiveDate::MIN); BOUNDS_YEARS * 4];
    let mut i = 0;
    while i < BOUNDS_YEARS * 4 {
        t[i] = compute_quarter_bounds(BOUNDS_FROM + (i / 4) as i32, (i % 4) as u8 + 1);
        i += 1;
    }
    t
};

/// First and last day of quarter `q` (1..=4) of `year`. The scan asks for quarter bounds
/// thousands of times a calculation and building a date from year, month and day is the
/// costliest part of that, so the bounds of the usual years come from a table.
pub fn quarter_bounds(year: i32, q: u8) -> (NaiveDate, NaiveDate) {
    let i = (year.wrapping_sub(BOUNDS_FROM) as usize)
        .wrapping_mul(4)
        .wrapping_add(usize::from(q).wrapping_sub(1));
    // A year before BOUNDS_FROM wraps to a huge index: outside the table as well.
    if (1..=4).contains(&q)
        && let Some(b) = QUARTER_BOUNDS.get(i)
    {
        return *b;
    }
    compute_quarter_bounds(year, q)
}

const fn compute_quarter_bounds(year: i32, q: u8) -> (NaiveDate, NaiveDate) {
    let m = q as u32 * 3;
    let day = if m == 6 || m == 9 { 30 } else { 31 };
    let first_month = if m >= 3 { m - 2 } else { 1 };
    let start = match NaiveDate::from_ymd_opt(year, first_month, 1) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };
    let end = match NaiveDate::from_ymd_opt(year, m, day) {
        Some(d) => d,
        None => NaiveDate::MAX,
    };
    (start, end)
}

/// The number of days of quarter `q` (1..=4) of `year`, without building a date.
pub fn quarter_len(year: i32, q: u8) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match q {
        1 => 90 + i64::from(leap),
        2 => 91,
        _ => 92,
    }
}

/// Whether `d` is the last day of a calendar quarter (cheap: no date construction).
pub fn is_quarter_end(d: NaiveDate) -> bool {
    matches!((d.month(), d.day()), (3, 31) | (6, 30) | (9, 30) | (12, 31))
}

/// Whether `d` is the first day of a calendar quarter.
pub fn is_quarter_start(d: NaiveDate) -> bool {
    d.day() == 1 && matches!(d.month(), 1 | 4 | 7 | 10)
}

#[cfg(test)]
mod tests {

    #[test]
    fn working_days_between_equal_dates_is_zero_and_the_order_gives_the_sign() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(working_days_between(d("2026-12-01"), d("2026-12-01")), 0);
        assert_eq!(working_days_between(d("2026-12-01"), d("2026-12-08")), 5);
        assert_eq!(working_days_between(d("2026-12-08"), d("2026-12-01")), -5);
    }

    use super::*;
    use chrono::Months;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn days_between_is_chronos_subtraction() {
        let base = d("1899-12-25");
        for k in (0..110_000u64).step_by(7) {
            let a = base + chrono::Days::new(k);
            for off in [0u64, 1, 2, 59, 365, 366, 1461, 36_524] {
                let b = a + chrono::Days::new(off);
                assert_eq!(days_between(a, b), (b - a).num_days());
                assert_eq!(days_between(b, a), (a - b).num_days());
            }
        }
    }

    #[test]
    fn weekdays_in_counts_like_a_loop() {
        let base = d("1999-12-20");
        for k in (0..3_000u64).step_by(5) {
            let a = base + chrono::Days::new(k);
            for off in [0u64, 1, 6, 7, 13, 90, 91, 92, 364, 365, 366, 800] {
                let b = a + chrono::Days::new(off);
                for mask in [R6_MASK, 0b001_1111, 0b110_0000, 0b101_0101, 0] {
                    let looped = a
                        .iter_days()
                        .take_while(|x| *x <= b)
                        .filter(|x| mask & (1 << x.weekday().num_days_from_monday()) != 0)
                        .count() as i64;
                    assert_eq!(weekdays_in(a, b, mask), looped, "{a} {b} {mask:b}");
                }
                if off > 0 {
                    assert_eq!(weekdays_in(b, a, R6_MASK), 0, "{b} {a}");
                }
            }
        }
    }

    #[test]
    fn weekdays_from_counts_like_a_loop() {
        let start = d("2026-01-05"); // a Monday
        for off in 0..7u64 {
            let a = start + chrono::Days::new(off);
            for n in 0..30i64 {
                for mask in 0..=0x7fu8 {
                    let naive = (0..n)
                        .filter(|k| {
                            let day = a + chrono::Days::new(*k as u64);
                            mask & (1 << day.weekday().num_days_from_monday()) != 0
                        })
                        .count() as i64;
                    assert_eq!(
                        weekdays_from(a.weekday(), n, mask),
                        naive,
                        "{a} {n} {mask:#b}"
                    );
                }
            }
        }
    }

    /// [`weekdays_from_index`] as it was written before its counts came from a table.
    fn weekdays_from_index_popcount(fw: u32, n: i64, mask: u8) -> i64 {
        if n <= 0 {
            return 0;
        }
        let m = u32::from(mask & 0x7f);
        let rot = ((m >> fw) | (m << (7 - fw))) & 0x7f;
        let rest = (n % 7) as u32;
        (n / 7) * i64::from(m.count_ones()) + i64::from((rot & ((1u32 << rest) - 1)).count_ones())
    }

    proptest::proptest! {
        #[test]
        fn weekday_counts_from_the_table_are_the_bit_counts(
            fw in 0u32..7,
            n in proptest::prop_oneof![-5i64..400, 0i64..5_000_000],
            mask in 0u8..=255,
        ) {
            proptest::prop_assert_eq!(
                weekdays_from_index(fw, n, mask),
                weekdays_from_index_popcount(fw, n, mask)
            );
        }
    }

    proptest::proptest! {
        /// The month arithmetic gives chrono's dates (day clamped to the month's end), both
        /// ways, leap days and the ends of chrono's range included.
        #[test]
        fn month_shifts_are_chronos(
            day in proptest::prop_oneof![
                -1_000i64..1_000,
                -800_000i64..800_000,
                i64::from(NaiveDate::MAX.num_days_from_ce()) - 40..i64::from(NaiveDate::MAX.num_days_from_ce()) + 1,
                i64::from(NaiveDate::MIN.num_days_from_ce())..i64::from(NaiveDate::MIN.num_days_from_ce()) + 40,
            ],
            n in proptest::prop_oneof![0u32..600, 0u32..u32::MAX],
        ) {
            let base = d("2000-01-01");
            let Some(a) = base.checked_add_signed(chrono::TimeDelta::days(day)) else {
                return Ok(());
            };
            proptest::prop_assert_eq!(
                add_months(a, n),
                a.checked_add_months(Months::new(n)).unwrap_or(NaiveDate::MAX)
            );
            for rule in [MonthEnd::ClampToMonthEnd, MonthEnd::FirstOfNextMonth] {
                let back = a.checked_sub_months(Months::new(n)).unwrap_or(NaiveDate::MIN);
                // A missing day: clamped, or the first of the next month.
                let want = if back.day() != a.day() && rule == MonthEnd::FirstOfNextMonth {
                    back.succ_opt().unwrap_or(back)
                } else {
                    back
                };
                proptest::prop_assert_eq!(sub_months(a, n, rule), want);
            }
        }

        /// The scan's whole-quarter table carries each quarter's first weekday from the
        /// previous quarter's length: the same counts as `weekdays_in` of each quarter.
        #[test]
        fn quarter_weekdays_carried_are_weekdays_in(
            year in 1990i32..2100,
            q0 in 1u8..5,
            mask in 0u8..128,
        ) {
            let mut q = crate::input::Quarter { year, q: q0 };
            let mut qs = q.start();
            let mut wd = qs.weekday().num_days_from_monday();
            for _ in 0..24 {
                let next = q.next().start();
                let len = days_between(qs, next);
                proptest::prop_assert_eq!(
                    weekdays_from_index(wd, len, mask),
                    weekdays_in(q.start(), q.end(), mask)
                );
                wd = u32::try_from((i64::from(wd) + len).rem_euclid(7)).unwrap();
                q = q.next();
                qs = next;
            }
        }
    }

    #[test]
    fn quarter_bounds_match_the_calendar_inside_and_outside_the_table() {
        for year in [1899, 1900, 2024, 2025, 2100, 2199, 2200, 2400] {
            for q in 1..=4u8 {
                let (s, e) = quarter_bounds(year, q);
                assert_eq!(s.year(), year);
                assert_eq!(s.day(), 1);
                assert_eq!(s.month(), u32::from(q) * 3 - 2);
                assert_eq!(e.month(), u32::from(q) * 3);
                assert_eq!(
                    e.succ_opt().unwrap().day(),
                    1,
                    "{year}Q{q} ends on the last day"
                );
            }
        }
    }

    #[test]
    fn quarter_lengths_are_the_calendars() {
        for year in 1896..=2404 {
            for q in 1..=4u8 {
                let (s, e) = quarter_bounds(year, q);
                assert_eq!(quarter_len(year, q), days_between(s, e) + 1, "{year}Q{q}");
            }
        }
    }

    #[test]
    fn easter_known_years() {
        for (y, e) in [
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter(y), d(e), "{y}");
        }
    }

    #[test]
    fn holidays_2026() {
        let h: Vec<_> = federal_holidays(2026).iter().map(|h| h.date).collect();
        assert_eq!(h[1], d("2026-04-06"));
        assert_eq!(h[3], d("2026-05-14"));
        assert_eq!(h[4], d("2026-05-25"));
        assert!(h.iter().all(|&x| is_federal_holiday(x)));
        assert!(!is_federal_holiday(d("2026-04-07")));
    }

    #[test]
    fn r6_days_unit_values() {
        // UT: 2020-12-10..12-31 = 19; 2024-07-01..2025-06-30 = 313 (SPEC §8.1).
        assert_eq!(r6_days(d("2020-12-10"), d("2020-12-31")), 19);
        assert_eq!(r6_days(d("2024-07-01"), d("2025-06-30")), 313);
        assert_eq!(r6_days(d("2024-07-07"), d("2024-07-07")), 0); // a Sunday
    }

    #[test]
    fn working_days_deadline() {
        // Received Thursday 2026-12-24: Fri 25 is Christmas, so 28, 29, 30, 31, then 2027-01-04
        // (1 January is a holiday) is the 5th working day.
        assert_eq!(add_working_days(d("2026-12-24"), 5), d("2027-01-04"));
        assert_eq!(working_days_between(d("2026-12-24"), d("2027-01-04")), 5);
    }

    #[test]
    fn date_to_date_months() {
        // E1: forward from 2009-08-31: phases end 2010-02-28, then 2010-08-31.
        assert_eq!(period_end(d("2009-08-31"), 6), d("2010-02-28"));
        assert_eq!(period_end(d("2009-12-31"), 6), d("2010-06-30"));
        assert_eq!(period_end(d("2026-03-01"), 12), d("2027-02-28"));
        assert_eq!(
            sub_months(d("2022-11-28"), 21, MonthEnd::ClampToMonthEnd),
            d("2021-02-28")
        );
        assert_eq!(
            sub_months(d("2023-05-31"), 3, MonthEnd::ClampToMonthEnd),
            d("2023-02-28")
        );
        assert_eq!(
            sub_months(d("2023-05-31"), 3, MonthEnd::FirstOfNextMonth),
            d("2023-03-01")
        );
    }

    #[test]
    fn quarter_start_and_end_of_a_date() {
        for (x, s, e) in [
            ("2024-02-29", "2024-01-01", "2024-03-31"),
            ("2024-06-30", "2024-04-01", "2024-06-30"),
            ("2023-08-01", "2023-07-01", "2023-09-30"),
            ("2023-12-31", "2023-10-01", "2023-12-31"),
        ] {
            assert_eq!(quarter_start(d(x)), d(s));
            assert_eq!(quarter_end(d(x)), d(e));
            assert!(is_quarter_end(d(e)) && is_quarter_start(d(s)));
        }
        assert!(!is_quarter_end(d("2024-02-29")) && !is_quarter_start(d("2024-02-01")));
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(d("1990-06-15"), d("2026-06-14")), 35);
        assert_eq!(age_on(d("1990-06-15"), d("2026-06-15")), 36);
        assert_eq!(age_on(d("2000-02-29"), d("2036-02-28")), 35);
        assert_eq!(age_on(d("2000-02-29"), d("2037-02-28")), 37);
    }
}
