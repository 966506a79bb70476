//! Time comes from here, never from `Utc::now()` in the workflow, so tests can move it.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Brussels;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// The civil date in Belgium (receipt dates and windows are Brussels dates, SPEC §6).
    fn today_brussels(&self) -> NaiveDate {
        self.now().with_timezone(&Brussels).date_naive()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        // A poisoned lock only means another test thread panicked; the value is still usable.
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn brussels_date_differs_from_utc_late_in_the_evening() {
        // 23:30 UTC on 2026-06-30 is already 01:30 on 1 July in Brussels (CEST, UTC+2).
        let c = FixedClock::new(Utc.with_ymd_and_hms(2026, 6, 30, 23, 30, 0).unwrap());
        assert_eq!(
            c.today_brussels(),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
        // In winter (CET, UTC+1) 22:30 UTC is 23:30 the same day.
        c.set(Utc.with_ymd_and_hms(2026, 12, 1, 22, 30, 0).unwrap());
        assert_eq!(
            c.today_brussels(),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
    }
}
