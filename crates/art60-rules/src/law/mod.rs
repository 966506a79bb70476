//! # The law at one benefit application date
//!
//! What the rules say for one candidate contract end date E (DA = E + 1), article by article,
//! in the order of SPEC §3. Each file opens with its article, its legal reference, the SPEC
//! section and the worked examples that test it. Nothing here caches, probes or knows about
//! the scan: the search for the first feasible end date (`crate::search`) calls
//! [`Facts::route_at`] and [`Facts::options_at`], and decides what to keep through a
//! [`Record`] and what to reuse through a [`Memo`]. The table of contents is
//! [`Facts::assess_at`].

// The articles in the order of SPEC §3 (blank lines keep rustfmt from sorting them).
// §3.14 inputs: the request read once.
pub(crate) mod facts;

// §3.1 the regime and the parameters in force on the DA.
pub(crate) mod regime;

// §3.2 re-admission without a stage (old and new art. 42, Loi-programme art. 212).
pub(crate) mod readmission;

// §3.3 status (AR art. 28, 29) and route (art. 33 1°).
pub(crate) mod status;

pub(crate) mod route_art33;

// §3.4 requirement options; §3.11 art. 32.
pub(crate) mod bands_art30;

pub(crate) mod past_career_art32;

// §3.5 reference period: extensions, cut-off.
pub(crate) mod extensions;

pub(crate) mod cutoff;

// §3.6 which days count; §3.7, §3.8 counting; scheme 3; §3.10; §3.12 the contract.
pub(crate) mod categories_art38;

pub(crate) mod counting_am7;

pub(crate) mod undeclared_am7;

pub(crate) mod no_interruption;

pub(crate) mod contract_art60;

// §3.9 foreign work.
pub(crate) mod foreign;

// §3.13 duration of the right.
pub(crate) mod right_duration_art114;

use std::borrow::Cow;
use std::rc::Rc;

use chrono::NaiveDate;

use crate::calendar::age_on;
use crate::engine::CalcError;
use crate::explain::trace::{art, step};
use crate::options::QuarterCapMethod;
use crate::params::{NoRuleInForce, ParamSet, ParamUse, RegimeId};
use crate::result::{Flag, HalfAllowances, OptionEval, Status, Step, Unit, Window};
use crate::units::Fixed4;

use bands_art30::{band_months, bands_for, option_id};
use counting_am7::{CountOut, Counter, Held, Keep};
use extensions::Event;
use facts::{Facts, RawEvent, flag};
use readmission::NoStage;
use regime::Ctx;
use route_art33::Art33Hours;

/// What an assessment keeps besides its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    /// The explanation: steps and quarter rows.
    pub explanation: bool,
    /// The findings of the final answer: flags, option ids, windows' extensions, parameters.
    pub findings: bool,
    /// A date the scan takes for the answer before knowing it is one: among several options,
    /// the winner's quarter rows (a count of their own, the law's) only if the date is
    /// feasible. Any other evaluation with the explanation is the answer and has them.
    pub tentative: bool,
}

impl Record {
    /// The decision only: a date of the scan, a bound, the law's reference count.
    pub const DECISION: Record = Record {
        explanation: false,
        findings: false,
        tentative: false,
    };

    /// The answer's findings, and its explanation if `explanation`.
    pub const fn answer(explanation: bool) -> Record {
        Record {
            explanation,
            findings: true,
            tentative: false,
        }
    }

    fn step(self, steps: &mut Vec<Step>, f: impl FnOnce() -> Step) {
        if self.explanation {
            steps.push(f());
        }
    }
    fn label(self, f: impl FnOnce() -> String) -> String {
        if self.findings { f() } else { String::new() }
    }
    fn article(self, article: &'static str) -> Cow<'static, str> {
        Cow::Borrowed(if self.findings { article } else { "" })
    }
    pub fn keep(self) -> Keep {
        Keep {
            flags: self.findings,
            rows: self.explanation,
        }
    }
}

/// What an assessment may reuse between candidate dates (the search keeps a memo; the law
/// alone computes everything).
pub(crate) trait Memo {
    /// The history's events under the extension table of `ctx`.
    fn history_events(&self, facts: &Facts<'_>, ctx: &Ctx<'_>) -> Rc<Vec<Event>>;
    /// The parameters in force on `da` ([`Ctx::at`]).
    fn ctx_at<'p>(&self, params: &'p ParamSet, da: NaiveDate) -> Result<Ctx<'p>, NoRuleInForce> {
        Ctx::at(params, da)
    }
    /// A window's count ([`Counter::count`]).
    fn count(
        &self,
        c: &Counter<'_, '_>,
        ws: NaiveDate,
        we: NaiveDate,
        ce: Option<NaiveDate>,
        keep: Keep,
    ) -> CountOut;
}

/// Nothing reused.
pub(crate) struct Plain;

impl Memo for Plain {
    fn history_events(&self, facts: &Facts<'_>, ctx: &Ctx<'_>) -> Rc<Vec<Event>> {
        Rc::new(facts.history_events(ctx))
    }
    fn count(
        &self,
        c: &Counter<'_, '_>,
        ws: NaiveDate,
        we: NaiveDate,
        ce: Option<NaiveDate>,
        keep: Keep,
    ) -> CountOut {
        c.count(ws, we, ce, keep)
    }
}

/// What decides which options are open at E: §3.1 regime, §3.5 events, §3.2 pre-check,
/// §3.3 status and route.
pub(crate) struct RouteAt<'p> {
    pub ctx: Ctx<'p>,
    pub e: NaiveDate,
    pub age: i32,
    pub foreign_ok: Vec<bool>,
    pub events: Rc<Vec<Event>>,
    pub no_stage: Option<NoStage>,
    pub status: Status,
    pub half_allowances: Option<HalfAllowances>,
    pub units: route_art33::Units,
    /// Art. 33 1° of a voluntary part-timer.
    pub art33: Option<Art33Hours>,
    /// The own band, and the bands the person may use.
    pub own: usize,
    pub bands: std::ops::Range<usize>,
    /// Old regime, full-timer: the art. 30 window and the part-time days in it (the ⅓ test).
    pub part_time_share: Option<(Window, i64)>,
    pub steps: Vec<Step>,
    pub review: Vec<Flag>,
}

/// Which options [`Facts::options_of`] counts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionSet {
    /// Every option: the law's answer.
    All,
    /// The own band's option in days and art. 32.
    OwnAndArt32,
}

/// The requirement options at E, counted (§3.4–§3.12).
#[derive(Default)]
pub(crate) struct Counted {
    pub options: Vec<OptionEval>,
    /// What the caps hold back in each option (average method), aligned with `options`.
    pub held: Vec<Held>,
    /// The contract's share in the own band's first option.
    pub contract_part: Fixed4,
    pub provisional: Vec<Flag>,
    pub review: Vec<Flag>,
}

/// The option the answer shows: the first met, or else the closest to its requirement (the
/// smaller requirement between equals).
pub(crate) fn winner(options: &[OptionEval]) -> Option<usize> {
    options.iter().position(|o| o.met).or_else(|| {
        options
            .iter()
            .enumerate()
            .max_by_key(|(_, o)| (o.counted - o.required, std::cmp::Reverse(o.required)))
            .map(|(i, _)| i)
    })
}

/// The law's answer at one candidate date.
pub(crate) struct Assessment {
    pub params_used: Vec<ParamUse>,
    pub regime: RegimeId,
    pub age: i32,
    pub status: Status,
    pub no_stage: Option<NoStage>,
    pub options: Vec<OptionEval>,
    /// The first option met.
    pub met: Option<usize>,
    pub held: Vec<Held>,
    pub contract_part: Fixed4,
    pub art33: Option<Art33Hours>,
    pub half_allowances: Option<HalfAllowances>,
    pub steps: Vec<Step>,
    pub provisional: Vec<Flag>,
    pub review: Vec<Flag>,
}

impl Assessment {
    /// E is feasible: no stage is required, or an option is met.
    pub fn feasible(&self) -> bool {
        self.no_stage.is_some() || self.met.is_some()
    }
}

impl Facts<'_> {
    /// The law at candidate end date `e` with application date `da`: the table of contents.
    pub fn assess_at(
        &self,
        e: NaiveDate,
        da: NaiveDate,
        method: QuarterCapMethod,
        memo: &dyn Memo,
        rec: Record,
    ) -> Result<Assessment, CalcError> {
        let route = self.route_at(e, da, memo, rec)?;
        let counted = self.options_at(&route, method, memo, rec);
        Ok(self.assessment(route, counted, rec))
    }

    /// §3.1 regime, §3.9 foreign periods, §3.5 events, §3.2 pre-check, §3.3 status, route.
    pub fn route_at<'p>(
        &'p self,
        e: NaiveDate,
        da: NaiveDate,
        memo: &dyn Memo,
        rec: Record,
    ) -> Result<RouteAt<'p>, CalcError> {
        let ctx = memo.ctx_at(self.params, da)?;
        let mut steps = Vec::new();
        let age = age_on(self.req.person.birth_date, da);
        rec.step(&mut steps, || {
            step(
                "regime.selected",
                Some(String::from(&*ctx.stage.reference).into()),
                values!("application_date": da, "regime": ctx.regime, "age": age,
                       "rules_from": ctx.stage.from, "rules_to": ctx.stage.to),
            )
        });
        let (foreign_ok, mut review) = self.foreign_status(&ctx, e);
        // Flags are for the final answer: a candidate date of the search keeps none of the
        // request's own (cloning them cost two strings each at every date).
        if rec.findings {
            review.splice(0..0, self.static_review.iter().cloned());
        }
        let extra = self.events_at(&ctx, e, &foreign_ok);
        let mut events = memo.history_events(self, &ctx);
        if !extra.is_empty() {
            let all = Rc::make_mut(&mut events);
            all.extend(
                extra
                    .iter()
                    .filter_map(|r| extensions::apply_rule(r, ctx.ext.rule(r.kind)?)),
            );
            extensions::count_once(all);
        }
        let no_stage = self.readmission(&ctx, &extra, e, rec, &mut steps, &mut review);
        if rec.findings {
            review.extend(self.checks_for_the_officer(&ctx));
        }
        let found = self.status(&ctx, e)?;
        if let Some(det) = found.determining {
            rec.step(&mut steps, || status::status_step(&found, &det));
        }
        let access = self.params.art33_access_at(da)?;
        let half_allowances = match (found.status, found.determining) {
            (Status::VoluntaryPartTime, Some(d)) if rec.findings => Some(HalfAllowances::compute(
                d.regime.weekly_hours.raw(),
                d.regime.reference_hours.raw(),
                access.value.half_allowances_full_week,
            )),
            _ => None,
        };
        let (mut units, art33) = self.route(
            found.status,
            &access.value,
            (da, e),
            ctx.counting.default_s().raw(),
        );
        if let Some(h) = &art33 {
            rec.step(&mut steps, || route_art33::access_step(h));
        }
        let stage = &ctx.stage.value;
        let (own, bands) = bands_for(stage, age);
        let part_time_share = self.fulltime_art33(&ctx, (e, da), age, &events, rec, &mut units);
        Ok(RouteAt {
            status: found.status,
            ctx,
            e,
            age,
            foreign_ok,
            events,
            no_stage,
            half_allowances,
            units,
            art33,
            own,
            bands,
            part_time_share,
            steps,
            review,
        })
    }

    /// Checks that only raise flags for the officer, made for the final answer: work permits
    /// (§3.9.6), the minimum pay (§3.6), the disabled COVID extension (§3.4).
    fn checks_for_the_officer(&self, ctx: &Ctx<'_>) -> Vec<Flag> {
        let mut flags = self.permit_flags(ctx);
        flags.extend(self.minimum_pay_flags(ctx));
        if let Ok(c) = self.params.covid_2021_extension_at(ctx.da)
            && !c.value.enabled
        {
            flags.push(flag(
                "manual_review.covid_2021_extension",
                String::from(&*c.reference),
            ));
        }
        flags
    }

    /// §3.2: re-admission without a stage (old or new art. 42; Loi-programme art. 212).
    fn readmission(
        &self,
        ctx: &Ctx<'_>,
        extra: &[RawEvent],
        e: NaiveDate,
        rec: Record,
        steps: &mut Vec<Step>,
        review: &mut Vec<Flag>,
    ) -> Option<NoStage> {
        match ctx.regime {
            RegimeId::Old => {
                let a = self.art42_old(ctx, extra, e)?;
                rec.step(steps, || {
                    step("precheck.art42_old", art("AR art. 42"),
                        values!("last_paid_day": a.last_paid_day, "window_start": a.window_start, "window_end": a.window_end,
                               "extensions": a.extensions, "met": a.met))
                });
                a.met.then_some(NoStage::Art42Old)
            }
            RegimeId::New => {
                let mut no_stage = None;
                if let Some(until) = self.req.current_right_until {
                    let met = ctx.da <= until;
                    if met {
                        no_stage = Some(NoStage::Art42New);
                    }
                    rec.step(steps, || {
                        step(
                            "precheck.art42_new",
                            art("AR art. 42 (new); art. 114, 116"),
                            values!("current_right_until": until, "met": met),
                        )
                    });
                }
                // Only a flag, for the officer: computed for the final answer alone.
                if rec.findings && self.art212_applies(ctx, extra, e) {
                    review.push(flag(
                        "manual_review.art212",
                        "AR art. 42; Loi-programme 2025-07-18 art. 212",
                    ));
                }
                no_stage
            }
        }
    }

    /// §3.4 the band options of every open unit, then §3.11 art. 32.
    pub fn options_at(
        &self,
        r: &RouteAt<'_>,
        method: QuarterCapMethod,
        memo: &dyn Memo,
        rec: Record,
    ) -> Counted {
        self.options_of(r, method, memo, rec, OptionSet::All)
    }

    /// [`Facts::options_at`], or only the options the scan needs on a day where only art. 32
    /// can be met (`Search::scan`).
    pub(crate) fn options_of(
        &self,
        r: &RouteAt<'_>,
        method: QuarterCapMethod,
        memo: &dyn Memo,
        rec: Record,
        which: OptionSet,
    ) -> Counted {
        let stage = &r.ctx.stage.value;
        // One option a unit and band: sized once, not grown at every candidate date.
        let n = r.units.len() * r.bands.len();
        let mut out = Counted {
            options: Vec::with_capacity(n),
            held: Vec::with_capacity(n),
            contract_part: Fixed4::ZERO,
            provisional: Vec::new(),
            review: Vec::new(),
        };
        let mut own_days = None;
        // The explanation shows the quarters of the winning option only: among several
        // options, they are counted once the winner is known (below), the options' own counts
        // are the sums', and on a tentative date only if it is feasible. One band option is
        // the winner or art. 32's, which takes its rows: counted with them at once.
        let later_rows = rec.explanation && n > 1;
        let sums = Record {
            explanation: rec.explanation && !later_rows,
            ..rec
        };
        for &unit in r.units.iter() {
            for bi in r.bands.clone() {
                if which == OptionSet::OwnAndArt32 && (unit != Unit::Days || bi != r.own) {
                    continue;
                }
                let b = &stage.bands[bi];
                if unit == Unit::Days && bi == r.own {
                    own_days = Some(out.options.len());
                }
                let (o, c) = self.band_option(r, method, unit, bi, memo, sums);
                out.provisional.extend(c.provisional);
                out.review.extend(c.review);
                out.held.push(c.held);
                if bi == r.own && unit == r.units[0] {
                    out.contract_part = c.contract_part;
                }
                out.options.push(OptionEval {
                    id: rec.label(|| option_id(unit, b)),
                    ..o
                });
            }
        }
        if let Some(a32) = &stage.art32
            && r.age >= a32.min_age
            && r.units.contains(&Unit::Days)
            && let Some(own) = own_days.and_then(|i| out.options.get(i))
        {
            let period =
                past_career_art32::past_period(own, |d| self.months_back(d, a32.past_years * 12));
            let counter = self.counter(r, Unit::Days, method);
            let contract_end = self.contract_end(r);
            let keep = Keep {
                flags: false,
                rows: false,
            };
            let past = memo
                .count(&counter, period.0, period.1, contract_end, keep)
                .total
                .ceil();
            let career_start = self.req.person.career_start_date;
            let (half, variant) = past_career_art32::past_days_half(a32, period, career_start);
            if variant && rec.findings {
                out.review.push(flag(
                    "manual_review.art32_career_start",
                    format!(
                        "{} {}..{}",
                        career_start.unwrap_or(period.0),
                        period.0,
                        period.1
                    ),
                ));
            }
            let mut o = past_career_art32::art32_option(a32, own, period, past, half);
            o.id = rec.label(|| format!("art32_band{}", stage.bands[r.own].min_age));
            o.article = rec.article("AR art. 32");
            out.options.push(o);
            // No held-back bound for art. 32: its need also involves the ten years before.
            let unbounded = Fixed4(i64::MAX / 8);
            out.held.push(Held {
                contract: unbounded,
                average: unbounded,
            });
        }
        // Feasible as `Assessment::feasible` will say: no stage needed, or an option met.
        let rows = later_rows
            && (!rec.tentative || r.no_stage.is_some() || out.options.iter().any(|o| o.met));
        if rows && let Some(w) = winner(&out.options).and_then(|i| out.options.get_mut(i)) {
            // The law's own count, with its rows: the same total as the option's (the memo's
            // sums are the law's); its flags are the option's, already kept.
            let counter = self.counter(r, w.unit, method);
            let keep = Keep {
                flags: false,
                rows: true,
            };
            w.quarters = memo
                .count(
                    &counter,
                    w.window.start,
                    w.window.end,
                    self.contract_end(r),
                    keep,
                )
                .quarters;
        }
        out
    }

    /// The contract's last day in the windows at E: the day before the DA at the latest.
    fn contract_end(&self, r: &RouteAt<'_>) -> Option<NaiveDate> {
        let end = r.e.min(r.ctx.da.pred_opt().unwrap_or(r.e));
        self.contract
            .as_ref()
            .map(|ci| ci.c.end.unwrap_or(end).min(end))
    }

    fn counter<'x, 'p>(
        &'x self,
        r: &'x RouteAt<'p>,
        unit: Unit,
        method: QuarterCapMethod,
    ) -> Counter<'x, 'p>
    where
        Self: 'x,
    {
        Counter {
            facts: self,
            ctx: &r.ctx,
            unit,
            method,
            foreign_ok: &r.foreign_ok,
        }
    }

    /// One band's option in a unit: its window (§3.5), counted (§3.7, §3.8). The id is left
    /// empty (the caller names it); the count's flags and what the caps hold back come back.
    pub fn band_option(
        &self,
        r: &RouteAt<'_>,
        method: QuarterCapMethod,
        unit: Unit,
        bi: usize,
        memo: &dyn Memo,
        rec: Record,
    ) -> (OptionEval, CountOut) {
        let stage = &r.ctx.stage.value;
        let b = &stage.bands[bi];
        let (months, article) = band_months(stage, b, unit);
        let end = r.e.min(r.ctx.da.pred_opt().unwrap_or(r.e));
        let window = self.window(
            r.ctx.da,
            end,
            months,
            &r.events,
            self.cutoff(&r.ctx),
            rec.findings,
        );
        let counter = self.counter(r, unit, method);
        let mut c = memo.count(
            &counter,
            window.start,
            window.end,
            self.contract_end(r),
            rec.keep(),
        );
        let counted = c.total.ceil();
        let option = OptionEval {
            id: String::new(),
            article: rec.article(article),
            unit,
            required: b.days,
            counted_exact: c.total,
            counted,
            met: counted >= b.days,
            window,
            art32: None,
            quarters: std::mem::take(&mut c.quarters),
        };
        (option, c)
    }

    /// Puts the route and the counted options together.
    pub fn assessment(&self, r: RouteAt<'_>, c: Counted, rec: Record) -> Assessment {
        let mut review = r.review;
        review.extend(c.review);
        Assessment {
            params_used: if rec.findings {
                r.ctx.param_uses()
            } else {
                Vec::new()
            },
            regime: r.ctx.regime,
            age: r.age,
            status: r.status,
            no_stage: r.no_stage,
            met: c.options.iter().position(|o| o.met),
            options: c.options,
            held: c.held,
            contract_part: c.contract_part,
            art33: r.art33,
            half_allowances: r.half_allowances,
            steps: r.steps,
            provisional: c.provisional,
            review,
        }
    }
}
