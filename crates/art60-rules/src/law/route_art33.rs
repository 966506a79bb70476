//! # The route: art. 30 in days or art. 33 in half-days
//!
//! SPEC §3.3 4–5; AR art. 33 1° (parameters `art33_access`). Full-timers and assimilated
//! full-timers follow art. 30, counted in days. Voluntary part-timers follow art. 33, counted
//! in half-days, when their average weekly hours Q̄ reach 12 h or S/3: Q̄ is week-weighted over
//! the last part-time job of at least 4 weeks with one employer, looking back 12 months;
//! concurrent part-time jobs of 4 weeks add up; without a 4-week job, all part-time jobs of
//! the last 12 months. [P] Old regime only: a full-timer who fails art. 30 may use art. 33
//! after part-time work during at least ⅓ of the art. 30 window (`fulltime_art33_fraction`).
//! Tested by EX29, EX30, EX32 and `part-time`.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::calendar::{MonthEnd, days_between, sub_months};
use crate::explain::trace::{art, step};
use crate::params::Art33Access;
use crate::result::{Status, Step, Unit, Window};
use crate::units::Hundredths;

use super::Record;
use super::bands_art30::bands_for;
use super::extensions::Event;
use super::facts::{Facts, JobClass};
use super::regime::Ctx;

/// Art. 33 1° for a voluntary part-timer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Art33Hours {
    /// Q̄, the average weekly hours.
    pub average: Hundredths,
    /// S of the last part-time job.
    pub s: Hundredths,
    pub met: bool,
    pub min_hours: i64,
}

/// A job's part of the look-back.
struct Segment {
    start: NaiveDate,
    end: NaiveDate,
    /// Q and S, hundredths.
    q: i64,
    s: i64,
    /// The job started inside the look-back.
    inside: bool,
}

impl Segment {
    fn days(&self) -> i64 {
        days_between(self.start, self.end) + 1
    }
}

/// One part-time employer's segments, summed.
struct Employer {
    start: NaiveDate,
    end: NaiveDate,
    days: i64,
    /// Σ days × Q, hundredths.
    weighted: i64,
    part_time: bool,
    s: i64,
    /// Days and Σ days × Q of the jobs started inside the look-back (without a 4-week job,
    /// only those count).
    inside_days: i64,
    inside_weighted: i64,
}

impl Employer {
    fn of(g: &[Segment], da: NaiveDate, default_s: i64) -> Employer {
        let inside = || g.iter().filter(|x| x.inside);
        Employer {
            start: g.iter().map(|x| x.start).min().unwrap_or(da),
            end: g.iter().map(|x| x.end).max().unwrap_or(da),
            days: g.iter().map(Segment::days).sum(),
            weighted: g.iter().map(|x| x.days() * x.q).sum(),
            part_time: g.iter().any(|x| x.q < x.s),
            s: g.last().map_or(default_s, |x| x.s),
            inside_days: inside().map(Segment::days).sum(),
            inside_weighted: inside().map(|x| x.days() * x.q).sum(),
        }
    }
}

/// The units of a route: none, one, or days and half-days. Kept inline: a route is found at
/// every candidate date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Units {
    units: [Unit; 2],
    len: u8,
}

impl Units {
    pub const NONE: Units = Units {
        units: [Unit::Days; 2],
        len: 0,
    };
    pub fn one(u: Unit) -> Self {
        Units {
            units: [u; 2],
            len: 1,
        }
    }
    /// Adds a unit; a route has at most two.
    pub fn push(&mut self, u: Unit) {
        if let Some(slot) = self.units.get_mut(usize::from(self.len)) {
            *slot = u;
            self.len += 1;
        }
    }
}

impl std::ops::Deref for Units {
    type Target = [Unit];
    fn deref(&self) -> &[Unit] {
        &self.units[..usize::from(self.len)]
    }
}

impl Facts<'_> {
    /// The units of the route at E: art. 30 days, or art. 33 half-days when art. 33 1° is met.
    pub fn route(
        &self,
        status: Status,
        access: &Art33Access,
        (da, e): (NaiveDate, NaiveDate),
        default_s: i64,
    ) -> (Units, Option<Art33Hours>) {
        match status {
            Status::FullTime | Status::AssimilatedFullTime => (Units::one(Unit::Days), None),
            Status::VoluntaryPartTime => {
                let a = access;
                let found = self.art33_hours((da, e), a, default_s);
                let (q, s) = found.unwrap_or((0, 0));
                let met = found.is_some()
                    && (q >= a.min_hours * 100
                        || q * a.reference_fraction[1] >= s * a.reference_fraction[0]);
                let hours = Art33Hours {
                    average: Hundredths(q),
                    s: Hundredths(s),
                    met,
                    min_hours: a.min_hours,
                };
                let units = if met {
                    Units::one(Unit::HalfDays)
                } else {
                    Units::NONE
                };
                (units, Some(hours))
            }
        }
    }

    /// Average weekly hours Q̄ and S over the last part-time job (art. 33 1°), in hundredths.
    fn art33_hours(
        &self,
        (da, e): (NaiveDate, NaiveDate),
        access: &Art33Access,
        default_s: i64,
    ) -> Option<(i64, i64)> {
        let look = sub_months(da, access.lookback_months, MonthEnd::ClampToMonthEnd);
        let pt: Vec<Employer> = self
            .segments_by_employer(look, e)
            .values()
            .map(|g| Employer::of(g, da, default_s))
            .filter(|x| x.part_time)
            .collect();
        let long: Vec<&Employer> = pt
            .iter()
            .filter(|x| x.days >= access.min_job_days)
            .collect();
        if let Some(last) = long.iter().max_by_key(|x| x.end) {
            // Concurrent part-time jobs of at least 4 weeks add up.
            let mut q = last.weighted / last.days.max(1);
            for o in &long {
                if !std::ptr::eq(*o, *last) && o.start <= last.end && last.start <= o.end {
                    q += o.weighted / o.days.max(1);
                }
            }
            return Some((q, last.s));
        }
        // SPEC §3.3.4: no job lasted 4 weeks: all part-time jobs started in the 12 months.
        let inside: Vec<&Employer> = pt.iter().filter(|x| x.inside_days > 0).collect();
        let first = inside.first()?;
        let days: i64 = inside.iter().map(|x| x.inside_days).sum();
        let weighted: i64 = inside.iter().map(|x| x.inside_weighted).sum();
        Some((weighted / days.max(1), first.s))
    }

    /// The Belgian jobs and the contract in `[look, e]`, by employer.
    fn segments_by_employer(&self, look: NaiveDate, e: NaiveDate) -> BTreeMap<&str, Vec<Segment>> {
        // Keys borrowed from the facts (the same order as owned strings): this runs at every
        // candidate date of a part-timer.
        let mut groups: BTreeMap<&str, Vec<Segment>> = BTreeMap::new();
        let jobs = self
            .jobs
            .iter()
            .filter(|j| matches!(j.class, JobClass::Belgian))
            .map(|j| {
                (
                    j.employer.unwrap_or(j.label.as_ref()),
                    j.start,
                    j.end,
                    j.regime,
                )
            });
        let contract = self
            .contract
            .as_ref()
            .map(|ci| ("contract", ci.c.start, ci.c.end.unwrap_or(e), ci.c.regime));
        for (key, start, end, r) in jobs.chain(contract) {
            let seg = Segment {
                start: start.max(look),
                end: end.min(e),
                q: r.weekly_hours.raw(),
                s: r.reference_hours.raw(),
                inside: start >= look,
            };
            if seg.end >= seg.start {
                groups.entry(key).or_default().push(seg);
            }
        }
        groups
    }

    /// [P] Old regime: a full-timer may also use art. 33 after part-time work during at least
    /// `fulltime_art33_fraction` of the art. 30 window; returns that window and the part-time
    /// days in it.
    pub fn fulltime_art33(
        &self,
        ctx: &Ctx<'_>,
        (e, da): (NaiveDate, NaiveDate),
        age: i32,
        events: &[Event],
        rec: Record,
        units: &mut Units,
    ) -> Option<(Window, i64)> {
        let stage = &ctx.stage.value;
        let frac = stage.fulltime_art33_fraction?;
        if **units != [Unit::Days] {
            return None;
        }
        let (own, _) = bands_for(stage, age);
        let end = e.min(da.pred_opt().unwrap_or(e));
        let w = self.window(
            da,
            end,
            stage.bands[own].months,
            events,
            self.cutoff(ctx),
            rec.findings,
        );
        let pt_days = self.part_time_days_in(&w);
        let window_days = days_between(w.start, w.end) + 1;
        if pt_days * frac[1] >= window_days * frac[0] {
            units.push(Unit::HalfDays);
        }
        Some((w, pt_days))
    }

    /// Old regime: days of Belgian part-time work in the art. 30 window (the ⅓ test).
    pub fn part_time_days_in(&self, w: &Window) -> i64 {
        self.jobs
            .iter()
            .filter(|j| matches!(j.class, JobClass::Belgian) && !j.full_time())
            .map(|j| {
                let a = j.start.max(w.start);
                let b = j.end.min(w.end);
                if b >= a { days_between(a, b) + 1 } else { 0 }
            })
            .sum()
    }
}

/// The explanation step of art. 33 1°.
pub(crate) fn access_step(h: &Art33Hours) -> Step {
    if h.met {
        step(
            "route.art33_access",
            art("AR art. 33 1°"),
            values!("average_hours": h.average, "s": h.s, "met": true),
        )
    } else {
        step(
            "route.art33_access",
            art("AR art. 33 1°"),
            values!("average_hours": h.average, "met": false),
        )
    }
}
