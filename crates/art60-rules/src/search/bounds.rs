//! Bounds of the scan: the smallest gain, in R6 days, that could make an option met at a
//! later date. The scan's jump uses them to skip days that cannot close the shortfall.

use crate::law::Assessment;
use crate::law::counting_am7::Held;
use crate::law::past_career_art32::Art32Figures;
use crate::result::{Art32Eval, OptionEval, Unit};
use crate::units::{Fixed4, Hundredths};

/// The smallest need of the options once the average cap releases what it holds back, in two
/// measures: in R6 days as the contract's own days add them (a half-day option's need halved:
/// a day of work adds two half-days), and in the options' own units as the contract's job cap
/// grows them: one unit a Monday–Saturday day, the cap being the job's Monday–Saturday days
/// in the option's unit (78 days or 78 half-days a quarter, AM art. 7 and 8), so a half-day
/// option's capped part grows by one half-day a day, not two.
#[derive(Clone, Copy)]
pub(crate) struct BeyondAverage {
    pub days: Fixed4,
    pub cap_units: Fixed4,
}

/// Shortfall of a band option in its unit: it is met when its exact total exceeds `threshold
/// - 1` (the total is rounded up).
fn band_need(o: &OptionEval) -> Fixed4 {
    Fixed4::whole(o.required - 1) - o.counted_exact
}

/// Shortfall of an art. 32 option in R6 days. With d the days in the window and T the days
/// in the window and the ten years before it together, a gain G of the contract gives at most
/// d + G and T + G + `slack` (days leaving the window enter the ten years; `slack`: what the
/// quarter the two periods share may count more then, `art32_edge.rs`). "Half": d' >= R/2
/// and T' - d' >= 1,560. "Two thirds": d' >= 2R/3 and T' - d' >= 8 (R - d'), i.e. G >= (8R -
/// 7d - T) / 8 while d' < R (beyond that the band itself is met).
fn art32_need(bound: Option<Art32Bound>, o: &OptionEval, a: &Art32Eval) -> Fixed4 {
    let band = band_need(o);
    let Some(Art32Bound {
        figures:
            Art32Figures {
                half: [hn, hd],
                two_thirds: [tn, td],
                per_missing_day: m,
                past_days_half: past_half,
            },
        slack,
        ..
    }) = bound
    else {
        return band;
    };
    let r = Fixed4::whole(o.required);
    let d = o.counted_exact;
    let t = d + Fixed4::whole(a.past_days) + slack;
    let half_r = Fixed4(r.0 * hn / hd);
    let g_half = (half_r - d).max(half_r + Fixed4::whole(past_half) - t);
    let two_r = Fixed4(r.0 * tn / td);
    let coupled = Fixed4((r.0 * m - d.0 * (m - 1) - t.0) / m.max(1));
    let g_two = (two_r - d).max(coupled.min(band));
    // Totals are rounded up: one day of margin.
    g_half.min(g_two) - Fixed4::whole(1)
}

/// Whether art. 32's need with `slack` is no larger than every other option's: only then can
/// a smaller slack (a larger need) move a bound of the scan, the others' needs not depending
/// on it. Among the open options: the scan's bounds take them all, or with the options of a
/// route still closed too, which can only lower the smallest need.
pub(crate) fn art32_binds(options: &[OptionEval], bound: Art32Bound) -> bool {
    let mut art32 = None;
    let mut others: Option<Fixed4> = None;
    for o in options {
        match &o.art32 {
            Some(a) => art32 = Some(Eval::in_days(o, art32_need(Some(bound), o, a))),
            None => {
                let need = Eval::in_days(o, band_need(o));
                others = Some(others.map_or(need, |m| m.min(need)));
            }
        }
    }
    art32.is_some_and(|a| others.is_none_or(|m| a <= m))
}

/// Art. 32's figures, and what its bound allows for: what the quarter its two periods share
/// may count more at a later date (`search/art32_edge.rs`), until the date given (none: a
/// whole quarter, at any date).
#[derive(Clone, Copy)]
pub(crate) struct Art32Bound {
    pub figures: Art32Figures,
    pub slack: Fixed4,
    pub until: Option<chrono::NaiveDate>,
}

/// The law's answer at a candidate date, with what the scan needs to bound its jump.
pub(crate) struct Eval {
    pub a: Assessment,
    /// Evaluated with the final answer's findings (flags, ids; the explanation in trace
    /// mode): the answer can be this evaluation.
    pub findings: bool,
    /// Options not open on this date that may open later (bound for the scan only).
    pub shadow: Vec<OptionEval>,
    pub shadow_held: Vec<Held>,
    /// Whether the art. 33 route of a full-time worker is closed but close.
    pub shadow_route: bool,
    /// The units open (days; half-days too for art. 33): what a route probe compares.
    pub units: usize,
    /// The art. 32 figures, when the regime has art. 32, with what its bound allows for.
    pub art32: Option<Art32Bound>,
}

impl std::ops::Deref for Eval {
    type Target = Assessment;
    fn deref(&self) -> &Assessment {
        &self.a
    }
}

impl std::ops::DerefMut for Eval {
    fn deref_mut(&mut self) -> &mut Assessment {
        &mut self.a
    }
}

impl Eval {
    /// Art. 33 1° not met: (average hours a week, minimum hours); written out only when the
    /// scan ends without an answer.
    pub fn art33_blocked(&self) -> Option<(Hundredths, i64)> {
        self.a
            .art33
            .filter(|h| !h.met)
            .map(|h| (h.average, h.min_hours))
    }
    pub fn need_days(&self) -> Option<Fixed4> {
        self.min_need(
            self.options
                .iter()
                .chain(&self.shadow)
                .map(|o| (o, Fixed4::ZERO)),
        )
    }

    /// The smallest need, in R6 days, of these options, each less what is held back.
    fn min_need<'o>(
        &self,
        options: impl Iterator<Item = (&'o OptionEval, Fixed4)>,
    ) -> Option<Fixed4> {
        options
            .map(|(o, held)| Self::in_days(o, self.option_need(o) - held))
            .min()
    }

    /// [`Self::need_days`] and [`Self::need_beyond_held`] of the open options only, without
    /// the art. 33 options of a route still closed.
    pub fn open_needs(&self) -> (Option<Fixed4>, Option<Fixed4>) {
        (
            self.min_need(self.options.iter().map(|o| (o, Fixed4::ZERO))),
            self.min_need(self.options.iter().zip(self.held.iter().map(|h| h.total()))),
        )
    }

    /// [`Self::need_days`], [`Self::need_beyond_held`] and [`Self::need_beyond_average_cap`]
    /// of every option but art. 32's: the bound of the days only art. 32 may make feasible.
    pub fn needs_without_art32(&self) -> (Option<Fixed4>, Option<Fixed4>, Option<BeyondAverage>) {
        let options = || self.with_held().filter(|(o, _)| o.art32.is_none());
        (
            self.min_need(options().map(|(o, _)| (o, Fixed4::ZERO))),
            self.min_need(options().map(|(o, h)| (o, h.total()))),
            Self::beyond_average(options().map(|(o, h)| (o, self.option_need(o) - h.average))),
        )
    }

    fn option_need(&self, o: &OptionEval) -> Fixed4 {
        match &o.art32 {
            Some(a) => art32_need(self.art32, o, a),
            None => band_need(o),
        }
    }

    fn in_days(o: &OptionEval, need: Fixed4) -> Fixed4 {
        match o.unit {
            Unit::Days => need,
            // Half-days: each day of work adds two; round the need down (safe side).
            Unit::HalfDays => Fixed4(need.0.div_euclid(2)),
        }
    }

    /// The need, in R6 days, once what the caps hold back is released: with the average
    /// method a later day adds at most its own value, and all the releases together at most
    /// what is held back now (the capped total never exceeds the uncapped one).
    pub fn need_beyond_held(&self) -> Option<Fixed4> {
        self.need_less(Held::total)
    }

    /// The need once the 78-a-quarter average cap releases what it holds back: the
    /// contract's own days then add at most the larger of their value and their
    /// Monday–Saturday days (its job cap), see `Search::scan`.
    pub fn need_beyond_average_cap(&self) -> Option<BeyondAverage> {
        Self::beyond_average(
            self.with_held()
                .map(|(o, h)| (o, self.option_need(o) - h.average)),
        )
    }

    /// [`BeyondAverage`] of these options, each with its need beyond the average cap in its
    /// own unit.
    fn beyond_average<'o>(
        needs: impl Iterator<Item = (&'o OptionEval, Fixed4)>,
    ) -> Option<BeyondAverage> {
        needs
            .map(|(o, need)| BeyondAverage {
                days: Self::in_days(o, need),
                cap_units: need,
            })
            .reduce(|a, b| BeyondAverage {
                days: a.days.min(b.days),
                cap_units: a.cap_units.min(b.cap_units),
            })
    }

    fn need_less(&self, held: impl Fn(Held) -> Fixed4) -> Option<Fixed4> {
        self.min_need(self.with_held().map(|(o, h)| (o, held(*h))))
    }

    /// Every option, the open ones and those of a route still closed, with what the caps
    /// hold back in it.
    fn with_held(&self) -> impl Iterator<Item = (&OptionEval, &Held)> {
        self.options
            .iter()
            .zip(&self.held)
            .chain(self.shadow.iter().zip(&self.shadow_held))
    }
}
