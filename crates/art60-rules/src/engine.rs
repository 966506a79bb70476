//! The calculation (SPEC §3): regime, re-admission pre-check, status and route, requirement
//! options, reference windows with extensions and cut-off, counting in R6 days or half-days,
//! and the scan for the first feasible contract end date.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::calendar::{
    MonthEnd, R6_MASK, add_months, age_on, birthday, days_between, period_end, r6_days, sub_months,
    weekdays_from, weekdays_in,
};
use crate::input::{
    AbsenceKind, AdmissionArticle, CalcRequest, Contract, DayCategory, DeclaredLine, InputCode,
    InputError, LastPaid, Mode, Pay, PeriodKind, Quarter, QuarterDeclaration, WorkRegime,
    weekday_mask,
};
use crate::options::{
    Art33DurationUnits, Art60ContributionCheck, ExtensionUnit, ForeignFollowup6Months,
    MoroccoConvention, OpenChoice, Options, PriorAdmissionAnchor, PriorAdmissionKinds,
    PriorAdmissionScope, QuarterCapMethod, ReferenceStartMonthEnd, RoundingMode,
    StatusMinJobLength, UndeclaredCompletion,
};
use crate::params::{
    Art42, Categories, Counting, Dated, EventRule, ExtensionKind, Extensions, Foreign,
    NoRuleInForce, ParamSet, ParamUse, RegimeId, Stage, Treatment,
};
use crate::result::{
    Alternative, AppliedExtension, Art32Eval, CalcResult, ENGINE_VERSION, Flag, OptionEval,
    Outcome, ParamVersions, PartRow, PartSource, QuarterRow, RightDuration, Status, Step,
    StepValue, StepValues, Unit, Window,
};
use crate::units::{Fixed4, Hundredths};

/// The values of an explanation step, written like a JSON object: `values!("age": age)`.
macro_rules! values {
    ($($k:literal : $v:expr),* $(,)?) => {
        StepValues(vec![$((Cow::Borrowed($k), StepValue::from($v))),*])
    };
}

/// Why a calculation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
    #[error(transparent)]
    NoRuleInForce(#[from] NoRuleInForce),
}

/// Runs one calculation. Pure: the same request, options and parameters give the same result.
pub fn calculate(
    req: &CalcRequest,
    options: &Options,
    params: &ParamSet,
) -> Result<CalcResult, CalcError> {
    calculate_with(req, options, params, Detail::Full)
}

/// How much of the result to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything: the explanation trace and the end date under the other quarter-cap method.
    #[default]
    Full,
    /// The decision only, for bulk runs: the same outcome, regime, status, options, flags and
    /// parameter versions as `Full`, but an empty `trace`, no `alternative` (the second scan
    /// under the other cap method is skipped) and no quarter rows in the winning option.
    Summary,
}

/// [`calculate`] with a choice of how much of the result to build.
pub fn calculate_with(
    req: &CalcRequest,
    options: &Options,
    params: &ParamSet,
    detail: Detail,
) -> Result<CalcResult, CalcError> {
    req.check()?;
    let mut prep = Prepared::new(req, options, params);
    prep.trace = detail == Detail::Full;
    match req.mode {
        Mode::Plan => prep.plan(),
        Mode::Assess => prep.assess(),
    }
}

// ------------------------------------------------------------------------------------------
// Prepared request: everything that does not depend on the candidate end date.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobClass {
    Belgian,
    Foreign(usize),
    Assimilated(DayCategory),
}

#[derive(Debug, Clone)]
struct Job {
    label: String,
    class: JobClass,
    start: NaiveDate,
    end: NaiveDate,
    regime: WorkRegime,
    mask: u8,
    declared: Vec<QuarterDeclaration>,
    provisional: bool,
    employer: Option<String>,
    pay: Option<Pay>,
}

impl Job {
    fn declaration(&self, q: Quarter) -> Option<&QuarterDeclaration> {
        self.declared.iter().find(|d| d.quarter == q)
    }
    fn full_time(&self) -> bool {
        self.regime.is_full_time()
    }
}

#[derive(Debug, Clone)]
struct RawEvent {
    label: Rc<str>,
    kind: ExtensionKind,
    start: NaiveDate,
    end: NaiveDate,
    child_birth: Option<NaiveDate>,
    child_disabled: bool,
}

#[derive(Debug, Clone)]
struct ForeignInfo {
    job: usize,
    country: String,
    frontier: bool,
    posted: bool,
    ssom: bool,
}

struct ContractInfo<'a> {
    c: &'a Contract,
    mask: u8,
}

struct Prepared<'a> {
    req: &'a CalcRequest,
    opts: &'a Options,
    params: &'a ParamSet,
    jobs: Vec<Job>,
    /// First and last day of all the history's periods: quarters outside hold nothing.
    hist_hull: Option<(NaiveDate, NaiveDate)>,
    events: Vec<RawEvent>,
    foreign: Vec<ForeignInfo>,
    contract: Option<ContractInfo<'a>>,
    static_review: Vec<Flag>,
    /// First quarter whose DmfA cannot be available on `today` (SPEC §7: the current
    /// quarter, and the previous one until the end of the current quarter's first month).
    dmfa_pending_from: Quarter,
    /// History events after each extension table's rules (keyed by the table's address).
    event_cache: RefCell<Vec<EventsFor>>,
    /// History sums of whole quarters: (categories table, per-quarter method, countable
    /// foreign periods, quarter) -> ([declared, other, unpaid], per-job values).
    hist_cache: RefCell<Vec<HistSlab>>,
    /// Build the explanation trace and the other method's date ([`Detail::Full`]).
    trace: bool,
}

/// Run sums kept per history cache before it starts again (a scan meets a few dozen).
const RUN_MEMO: usize = 64;

/// History events after one extension table's rules (keyed by the table's address).
type EventsFor = (*const Extensions, Rc<Vec<Event>>);

/// Cached history sums for one (categories table, counting table, method, countable foreign
/// periods), by quarter.
struct HistSlab {
    key: (usize, usize, bool, u64),
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
}

/// `prefix[i]`, without the formatting machinery (a label for every period of every request).
fn indexed_label(prefix: &str, i: usize) -> String {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut k = digits.len();
    loop {
        k -= 1;
        // A single decimal digit: the cast cannot truncate.
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(prefix.len() + 2 + digits.len() - k);
    s.push_str(prefix);
    s.push('[');
    // ASCII digits are valid UTF-8.
    s.push_str(std::str::from_utf8(&digits[k..]).unwrap_or_default());
    s.push(']');
    s
}

/// The snake_case name of a category, as in the JSON input (for flag details).
fn category_code(c: DayCategory) -> String {
    crate::result::variant_name(&c)
        .unwrap_or_default()
        .to_string()
}

fn flag(key: &str, detail: impl Into<String>) -> Flag {
    Flag {
        key: key.to_string(),
        detail: detail.into(),
    }
}

fn ext_kind_of(kind: PeriodKind) -> Option<ExtensionKind> {
    Some(match kind {
        PeriodKind::InsuredSickness => ExtensionKind::InsuredSickness,
        PeriodKind::WorkAccident => ExtensionKind::WorkAccident,
        PeriodKind::OccupationalDisease => ExtensionKind::OccupationalDisease,
        PeriodKind::SelfEmployment => ExtensionKind::SelfEmployment,
        PeriodKind::NonOnssWork => ExtensionKind::NonOnssWork,
        PeriodKind::CareerBreak => ExtensionKind::CareerBreak,
        PeriodKind::Detention => ExtensionKind::Detention,
        PeriodKind::MilitaryService => ExtensionKind::MilitaryService,
        PeriodKind::ForceMajeure => ExtensionKind::ForceMajeure,
        PeriodKind::UnpaidStudy => ExtensionKind::UnpaidStudy,
        PeriodKind::ChildRaising => ExtensionKind::ChildRaising,
        _ => return None,
    })
}

fn assimilated_category(kind: PeriodKind) -> Option<DayCategory> {
    Some(match kind {
        PeriodKind::InsuredSickness
        | PeriodKind::WorkAccident
        | PeriodKind::OccupationalDisease => DayCategory::InsuredSickness,
        PeriodKind::Maternity => DayCategory::Maternity,
        PeriodKind::TemporaryUnemployment => DayCategory::TemporaryUnemployment,
        PeriodKind::UnpaidLeave => DayCategory::UnpaidAbsence,
        PeriodKind::FullUnemployment => DayCategory::FullUnemployment,
        _ => return None,
    })
}

fn absence_category(kind: AbsenceKind) -> DayCategory {
    match kind {
        AbsenceKind::GuaranteedPaySickness => DayCategory::GuaranteedPay,
        AbsenceKind::InsuredSickness
        | AbsenceKind::WorkAccident
        | AbsenceKind::OccupationalDisease => DayCategory::InsuredSickness,
        AbsenceKind::Maternity => DayCategory::Maternity,
        AbsenceKind::UnpaidLeave => DayCategory::UnpaidAbsence,
        AbsenceKind::TemporaryUnemployment => DayCategory::TemporaryUnemployment,
        AbsenceKind::Strike => DayCategory::Strike,
    }
}

fn absence_ext_kind(kind: AbsenceKind) -> Option<ExtensionKind> {
    match kind {
        AbsenceKind::InsuredSickness => Some(ExtensionKind::InsuredSickness),
        AbsenceKind::WorkAccident => Some(ExtensionKind::WorkAccident),
        AbsenceKind::OccupationalDisease => Some(ExtensionKind::OccupationalDisease),
        _ => None,
    }
}

impl<'a> Prepared<'a> {
    /// Whether a history period touches `[qs, qe]`; a declaration lies inside its job's
    /// period, so a quarter no period touches holds nothing from the history.
    fn history_touches(&self, qs: NaiveDate, qe: NaiveDate) -> bool {
        self.hist_hull.is_some_and(|(hs, he)| qs <= he && qe >= hs)
    }

    fn new(req: &'a CalcRequest, opts: &'a Options, params: &'a ParamSet) -> Self {
        let mut jobs = Vec::new();
        let mut events = Vec::new();
        let mut foreign = Vec::new();
        let mut static_review = Vec::new();
        // The previous job's proportion is used for assimilated periods without a regime.
        let mut sorted: Vec<(usize, &crate::input::HistoryItem)> =
            req.history.iter().enumerate().collect();
        sorted.sort_by_key(|(_, h)| h.start);
        // Without a job before it, an assimilated period takes the proportion of the first
        // job after it (the contract at the latest), never a full-time guess.
        let first_job_regime = sorted
            .iter()
            .find(|(_, h)| h.kind.is_work())
            .and_then(|(_, h)| h.regime)
            .or(req.contract.as_ref().map(|c| c.regime))
            .unwrap_or_else(WorkRegime::full_time_5);
        let mut last_regime = first_job_regime;
        for (i, h) in sorted {
            let label = indexed_label("history", i);
            match h.kind {
                PeriodKind::Work | PeriodKind::ForeignWork => {
                    let regime = h.regime.unwrap_or_else(WorkRegime::full_time_5);
                    last_regime = regime;
                    let class = if h.kind == PeriodKind::ForeignWork {
                        foreign.push(ForeignInfo {
                            job: jobs.len(),
                            country: h
                                .abroad
                                .as_ref()
                                .map(|a| a.country.clone())
                                .unwrap_or_default(),
                            frontier: h.abroad.as_ref().is_some_and(|a| a.frontier_worker),
                            posted: h.abroad.as_ref().is_some_and(|a| a.posted),
                            ssom: h.abroad.as_ref().is_some_and(|a| a.ssom),
                        });
                        JobClass::Foreign(foreign.len() - 1)
                    } else {
                        JobClass::Belgian
                    };
                    let mut declared = h.quarters.clone();
                    declared.sort_by_key(|d| d.quarter);
                    jobs.push(Job {
                        label,
                        class,
                        start: h.start,
                        end: h.end,
                        mask: weekday_mask(&h.weekdays, &regime),
                        regime,
                        declared,
                        provisional: h.provisional,
                        employer: h.employer.clone(),
                        pay: h.pay,
                    });
                }
                PeriodKind::Other => {
                    static_review.push(flag("manual_review.other_period", label.clone()))
                }
                kind => {
                    if let Some(cat) = assimilated_category(kind) {
                        let regime = h.regime.unwrap_or(last_regime);
                        jobs.push(Job {
                            label: label.clone(),
                            class: JobClass::Assimilated(cat),
                            start: h.start,
                            end: h.end,
                            // Assimilated days are Monday–Saturday days in proportion.
                            mask: 0b0011_1111,
                            regime,
                            declared: Vec::new(),
                            provisional: h.provisional,
                            employer: None,
                            pay: None,
                        });
                    }
                    if let Some(kind) = ext_kind_of(kind) {
                        events.push(RawEvent {
                            label: label.into(),
                            kind,
                            start: h.start,
                            end: h.end,
                            child_birth: h.child_birth_date,
                            child_disabled: h.child_disabled,
                        });
                    }
                }
            }
        }
        let contract = req.contract.as_ref().map(|c| ContractInfo {
            c,
            mask: weekday_mask(&c.weekdays, &c.regime),
        });
        if opts.art60_contribution_check == Art60ContributionCheck::RequireEvidence
            && contract.is_some()
        {
            static_review.push(flag("manual_review.art60_contribution", "contract"));
        }
        let hist_hull = jobs
            .iter()
            .map(|j| (j.start, j.end))
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)));
        Prepared {
            req,
            opts,
            params,
            hist_hull,
            jobs,
            events,
            foreign,
            contract,
            static_review,
            dmfa_pending_from: {
                let q = Quarter::of(req.today);
                if req.today.month0().is_multiple_of(3) {
                    q.prev()
                } else {
                    q
                }
            },
            event_cache: RefCell::new(Vec::new()),
            hist_cache: RefCell::new(Vec::new()),
            trace: true,
        }
    }
}

// ------------------------------------------------------------------------------------------
// Regime context at a DA.

struct Ctx<'p> {
    da: NaiveDate,
    regime: RegimeId,
    stage: &'p Dated<Stage>,
    counting: &'p Counting,
    cats: &'p Categories,
    unpaid_cap: i64,
    /// AM art. 7 scheme 3 tolerance, where the completion is in force.
    completion_tolerance: Option<i64>,
    ext: &'p Extensions,
    art42: &'p Art42,
    foreign: &'p Foreign,
    refs: [ParamTag<'p>; 8],
}

/// Which parameter entry was used: key, validity, legal reference.
type ParamTag<'p> = (&'static str, NaiveDate, Option<NaiveDate>, &'p str);

impl<'p> Ctx<'p> {
    fn at(params: &'p ParamSet, da: NaiveDate) -> Result<Ctx<'p>, NoRuleInForce> {
        let regime = params.regime_at(da)?;
        let stage = params.stage_at(da)?;
        let counting = params.counting_at(da)?;
        let cats = params.categories_at(da)?;
        let unpaid = params.unpaid_cap_at(da)?;
        let ext = params.extensions_at(da)?;
        let art42 = params.art42_at(da)?;
        let foreign = params.foreign_at(da)?;
        fn tag<'p, T>(key: &'static str, d: &'p Dated<T>) -> ParamTag<'p> {
            (key, d.from, d.to, d.reference.as_str())
        }
        let refs = [
            tag("regime", regime),
            tag("stage", stage),
            tag("counting", counting),
            tag("categories", cats),
            tag("unpaid_cap", unpaid),
            tag("extensions", ext),
            tag("art42", art42),
            tag("foreign", foreign),
        ];
        Ok(Ctx {
            da,
            regime: regime.value.id,
            stage,
            counting: &counting.value,
            cats: &cats.value,
            unpaid_cap: unpaid.value.r6_days_per_year,
            completion_tolerance: unpaid.value.completion_tolerance_days,
            ext: &ext.value,
            art42: &art42.value,
            foreign: &foreign.value,
            refs,
        })
    }

    /// The parameter entries used, for the result (built only for the final evaluation).
    fn param_uses(&self) -> Vec<ParamUse> {
        self.refs
            .iter()
            .map(|(key, from, to, reference)| ParamUse {
                key: (*key).to_string(),
                from: *from,
                to: *to,
                reference: (*reference).to_string(),
            })
            .collect()
    }

    fn treatment(&self, cat: DayCategory) -> Treatment {
        self.cats
            .table
            .get(&cat)
            .copied()
            .unwrap_or(Treatment::ManualReview)
    }
}

/// How a category counts once the options are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effective {
    Count,
    Unpaid,
    No,
    Review,
}

fn effective(t: Treatment, o: &Options) -> Effective {
    let open = |c: OpenChoice| match c {
        OpenChoice::Count | OpenChoice::CountIfPaidWithUnemploymentContribution => Effective::Count,
        OpenChoice::Exclude => Effective::No,
        OpenChoice::ManualReview => Effective::Review,
    };
    match t {
        Treatment::Count => Effective::Count,
        Treatment::CappedUnpaid => Effective::Unpaid,
        Treatment::Extends | Treatment::NotCounted => Effective::No,
        Treatment::Open51 => open(o.open_assimilations.code_51),
        Treatment::Open5_13 => open(o.open_assimilations.codes_5_13),
        Treatment::Open23_4_73 => open(o.open_assimilations.codes_23_4_73),
        Treatment::ManualReview => Effective::Review,
    }
}

// ------------------------------------------------------------------------------------------
// Counting (SPEC §3.7, §3.8).

struct CountOut {
    total: Fixed4,
    contract_part: Fixed4,
    /// Average method: what the caps hold back at this date (the contract's job cap and the
    /// 78-a-quarter average), in the option's unit. Later days can release at most this on
    /// top of their own value, which bounds the scan's jump.
    held: Fixed4,
    quarters: Vec<QuarterRow>,
    provisional: Vec<Flag>,
    review: Vec<Flag>,
}

/// Value of `days` scheduled days in a regime, in R6 days: A×6/R (full time) or A×Q/R×6/S.
fn scheduled_value(days: i64, r: &WorkRegime) -> Fixed4 {
    let rh = i128::from(r.days_per_week.raw());
    if r.is_full_time() {
        Fixed4::ratio(i128::from(days) * 600, rh)
    } else {
        Fixed4::ratio(
            i128::from(days) * 600 * i128::from(r.weekly_hours.raw()),
            rh * i128::from(r.reference_hours.raw()),
        )
    }
}

struct Counter<'x, 'p> {
    prep: &'x Prepared<'x>,
    ctx: &'x Ctx<'p>,
    unit: Unit,
    method: QuarterCapMethod,
    foreign_ok: &'x [bool],
    /// Collect the flags (and bypass the history cache, which does not keep them).
    detail: bool,
    /// Write the quarter rows of the explanation.
    rows: bool,
}

impl Counter<'_, '_> {
    fn factor(&self) -> i64 {
        match self.unit {
            Unit::Days => 1,
            Unit::HalfDays => self.ctx.counting.half_day_factor,
        }
    }

    /// Which foreign periods count, as a bit set (cache key).
    fn foreign_mask(&self) -> u64 {
        self.foreign_ok.iter().enumerate().fold(
            0u64,
            // The cache is only used with at most 64 foreign periods (one bit each).
            |m, (i, ok)| if *ok { m | (1u64 << (i % 64)) } else { m },
        )
    }

    fn round_part(&self, v: Fixed4, part_time: bool) -> Fixed4 {
        if part_time && self.prep.opts.rounding_mode == RoundingMode::PerPartCeiling {
            v.ceil_fixed()
        } else {
            v
        }
    }

    /// Counts `[ws, we]`; the contract is projected up to `contract_end`.
    fn count(&self, ws: NaiveDate, we: NaiveDate, contract_end: Option<NaiveDate>) -> CountOut {
        let full = Fixed4::whole(self.ctx.counting.full_quarter);
        let per_quarter = self.method == QuarterCapMethod::PerQuarter;
        let factor = self.factor();
        let mut out = CountOut {
            total: Fixed4::ZERO,
            contract_part: Fixed4::ZERO,
            held: Fixed4::ZERO,
            quarters: Vec::new(),
            provisional: Vec::new(),
            review: Vec::new(),
        };
        if we < ws {
            return out;
        }
        let njobs = self.prep.jobs.len();
        // Per-job sums for the average method's job cap (index njobs = the contract).
        let mut job_sums = if per_quarter {
            Vec::new()
        } else {
            vec![Fixed4::ZERO; njobs + 1]
        };
        let mut unpaid_left: BTreeMap<i32, Fixed4> = BTreeMap::new();
        let mut unpaid_counted = Fixed4::ZERO;
        let mut nquarters = 0i64;
        // The history's part of a quarter wholly inside the window does not depend on the
        // candidate date: computed once per regime tables, method and countable foreign
        // periods, then reused across the scan (not in detailed evaluations: they also
        // collect the rows and flags).
        let mut cache = self.prep.hist_cache.borrow_mut();
        let slab = if !self.detail && self.foreign_ok.len() <= 64 {
            let key = (
                std::ptr::from_ref(self.ctx.cats) as usize,
                std::ptr::from_ref(self.ctx.counting) as usize,
                per_quarter,
                self.foreign_mask(),
            );
            Some(match cache.iter().position(|s| s.key == key) {
                Some(i) => i,
                None => {
                    cache.push(HistSlab {
                        key,
                        base: 0,
                        rows: Vec::new(),
                        per_job: Vec::new(),
                        per_job_len: if per_quarter { 0 } else { njobs },
                        runs: Vec::new(),
                    });
                    cache.len() - 1
                }
            })
        } else {
            None
        };
        let mut q = Quarter::of(ws);
        let (mut qs, mut qe) = (q.start(), q.end());
        // Last day before the contract: whole quarters up to it count the same at every
        // candidate date.
        let before_contract = match (&self.prep.contract, contract_end) {
            (Some(ci), Some(_)) => ci.c.start.pred_opt().unwrap_or(ci.c.start).min(we),
            _ => we,
        };
        while qs <= we {
            // Per-quarter method in a scan evaluation: a run of whole quarters before the
            // contract adds its capped sum, kept with the history cache.
            if let Some(slab) = slab
                && per_quarter
                && qs >= ws
                && qe <= before_contract
            {
                let last = if crate::calendar::is_quarter_end(before_contract) {
                    Quarter::of(before_contract)
                } else {
                    Quarter::of(before_contract).prev()
                };
                if last > q {
                    let key = (q.index(), last.index(), factor);
                    let hs = &mut cache[slab];
                    let sum = match hs.runs.iter().find(|(k, _)| *k == key) {
                        Some((_, v)) => *v,
                        None => {
                            let v = self.run_sum(hs, q, last, &mut out);
                            if hs.runs.len() >= RUN_MEMO {
                                hs.runs.clear();
                            }
                            hs.runs.push((key, v));
                            v
                        }
                    };
                    if let Some(sum) = sum {
                        out.total += sum;
                        nquarters += i64::from(last.index() - q.index() + 1);
                        q = last.next();
                        (qs, qe) = (q.start(), q.end());
                        continue;
                    }
                }
            }
            nquarters += 1;
            let qa = qs.max(ws);
            let qb = qe.min(we);
            let mut parts: Vec<PartRow> = Vec::new();
            let mut contract_units = Fixed4::ZERO;
            let [declared_sum, mut other_sum, mut unpaid_sum] = if !self
                .prep
                .history_touches(qs, qe)
            {
                [Fixed4::ZERO; 3]
            } else if let Some(slab) = slab.filter(|_| qa == qs && qb == qe) {
                let hs = &mut cache[slab];
                let i = hs.slot(q.index());
                let w = hs.per_job_len;
                let sums = match hs.rows[i] {
                    Some(sums) => sums,
                    None => {
                        let per_job = &mut hs.per_job[i * w..(i + 1) * w];
                        let sums = self.history_quarter(
                            q,
                            (qs, qe),
                            qa,
                            qb,
                            &mut parts,
                            &mut out,
                            per_job,
                        );
                        hs.rows[i] = Some(sums);
                        sums
                    }
                };
                for (j, v) in hs.per_job[i * w..(i + 1) * w].iter().enumerate() {
                    job_sums[j] += *v;
                }
                sums
            } else {
                let mut per_job = if per_quarter {
                    Vec::new()
                } else {
                    vec![Fixed4::ZERO; njobs]
                };
                let sums =
                    self.history_quarter(q, (qs, qe), qa, qb, &mut parts, &mut out, &mut per_job);
                for (i, v) in per_job.iter().enumerate() {
                    job_sums[i] += *v;
                }
                sums
            };
            // The contract projection.
            if let (Some(ci), Some(ce)) = (&self.prep.contract, contract_end) {
                let a = qa.max(ci.c.start);
                let b = qb.min(ce);
                if a <= b {
                    let (v, unpaid, formula) =
                        self.contract_value(ci, a, b, per_quarter && a == qs && b == qe);
                    let v = self.round_part(v, !ci.c.regime.is_full_time());
                    other_sum += v;
                    unpaid_sum += unpaid;
                    if !per_quarter {
                        job_sums[njobs] += v;
                    }
                    contract_units = v.times(factor);
                    if self.rows {
                        parts.push(PartRow {
                            job: "contract".into(),
                            source: PartSource::Contract,
                            formula: formula.to_string(),
                            value: v.times(factor),
                        });
                    }
                }
            }
            // Unpaid absence within the yearly cap (old regime).
            if unpaid_sum > Fixed4::ZERO {
                let left = unpaid_left
                    .entry(q.year)
                    .or_insert(Fixed4::whole(self.ctx.unpaid_cap));
                let allowed = unpaid_sum.min(*left);
                *left = *left - allowed;
                other_sum += allowed;
                unpaid_counted += allowed;
                if self.rows && allowed > Fixed4::ZERO {
                    parts.push(PartRow {
                        job: "unpaid".into(),
                        source: PartSource::UnpaidWithinCap,
                        formula: format!("≤ {}", self.ctx.unpaid_cap),
                        value: allowed.times(factor),
                    });
                }
            }
            // Start quarter: declared totals cannot be placed in time, so they are capped at
            // the Monday–Saturday days from the window start (AM art. 7 last paragraph).
            // Caps are in the option's unit: 78 days or 78 half-days a quarter (AM art. 7,
            // 8), and the start-quarter Monday–Saturday days likewise.
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
            if self.rows {
                out.quarters.push(QuarterRow {
                    quarter: q,
                    parts,
                    raw,
                    cap,
                    result,
                });
            }
            q = q.next();
            (qs, qe) = (q.start(), q.end());
        }
        if !per_quarter {
            // Method A: each job at most its R6 days in the window, the whole at most 78 a
            // quarter on average. The ONEM conversion bonus table is unknown (bonus 0).
            let mut total = Fixed4::ZERO;
            for (ji, s) in job_sums.iter().enumerate() {
                let (js, je) = if ji == njobs {
                    match (&self.prep.contract, contract_end) {
                        (Some(ci), Some(ce)) => (ci.c.start, ce),
                        _ => continue,
                    }
                } else {
                    (self.prep.jobs[ji].start, self.prep.jobs[ji].end)
                };
                let jcap = Fixed4::whole(r6_days(js.max(ws), je.min(we)));
                let declared_job = ji < njobs && !self.prep.jobs[ji].declared.is_empty();
                let units = s.times(factor);
                if ji == njobs && units > jcap {
                    out.held += units - jcap;
                }
                total += if declared_job { units } else { units.min(jcap) };
            }
            total += unpaid_counted.times(factor);
            out.total = total.min(full.times(nquarters));
            out.held += total - out.total;
        }
        out.provisional.sort();
        out.provisional.dedup();
        out.review.sort();
        out.review.dedup();
        out
    }

    /// Capped sum (per-quarter method) of the whole quarters `from..=last`, none of which
    /// the contract touches; `None` if one of them has unpaid days. Fills the cache rows.
    fn run_sum(
        &self,
        hs: &mut HistSlab,
        from: Quarter,
        last: Quarter,
        out: &mut CountOut,
    ) -> Option<Fixed4> {
        let full = Fixed4::whole(self.ctx.counting.full_quarter);
        let factor = self.factor();
        let mut sum = Fixed4::ZERO;
        let mut q = from;
        while q <= last {
            let (qs, qe) = (q.start(), q.end());
            let [declared, other, unpaid] = if self.prep.history_touches(qs, qe) {
                let i = hs.slot(q.index());
                match hs.rows[i] {
                    Some(sums) => sums,
                    None => {
                        let sums = self.history_quarter(
                            q,
                            (qs, qe),
                            qs,
                            qe,
                            &mut Vec::new(),
                            out,
                            &mut [],
                        );
                        hs.rows[i] = Some(sums);
                        sums
                    }
                }
            } else {
                [Fixed4::ZERO; 3]
            };
            if unpaid > Fixed4::ZERO {
                return None;
            }
            // As the quarter loop of `count` computes a whole quarter without the contract.
            sum += (declared.times(factor) + other.times(factor)).min(full);
            q = q.next();
        }
        Some(sum)
    }

    /// The history's periods in one quarter: (declared, other, unpaid) in days; per-job
    /// values go to `per_job` when the average method needs them.
    #[allow(clippy::too_many_arguments)] // the quarter, its bounds and the window's part of it
    fn history_quarter(
        &self,
        q: Quarter,
        (qs, qe): (NaiveDate, NaiveDate),
        qa: NaiveDate,
        qb: NaiveDate,
        parts: &mut Vec<PartRow>,
        out: &mut CountOut,
        per_job: &mut [Fixed4],
    ) -> [Fixed4; 3] {
        let o = self.prep.opts;
        let full = Fixed4::whole(self.ctx.counting.full_quarter);
        let per_quarter = self.method == QuarterCapMethod::PerQuarter;
        let factor = self.factor();
        let mut declared_sum = Fixed4::ZERO;
        let mut other_sum = Fixed4::ZERO;
        let mut unpaid_sum = Fixed4::ZERO;
        for (ji, job) in self.prep.jobs.iter().enumerate() {
            // Declarations lie inside their job's period (input check): a job outside the
            // quarter has nothing in it.
            if job.end < qs || job.start > qe {
                continue;
            }
            if let JobClass::Foreign(f) = job.class
                && !self.foreign_ok[f]
            {
                continue;
            }
            let part_time = !job.full_time();
            if let Some(decl) = job.declaration(q) {
                let (v, unpaid, formula, review) = self.declared_value(job, &decl.lines, q);
                if let Some(r) = review {
                    out.review.push(r);
                }
                let v = self.round_part(v, part_time);
                declared_sum += v;
                if !per_quarter {
                    per_job[ji] += v;
                }
                unpaid_sum += unpaid;
                if self.rows {
                    parts.push(PartRow {
                        job: job.label.clone(),
                        source: PartSource::Declared,
                        formula: formula.to_string(),
                        value: v.times(factor),
                    });
                }
                continue;
            }
            let a = qa.max(job.start);
            let b = qb.min(job.end);
            if b < a {
                continue;
            }
            let (v, source, formula) = match job.class {
                JobClass::Assimilated(cat) => match effective(self.ctx.treatment(cat), o) {
                    Effective::Count => {
                        let r6 = r6_days(a, b);
                        let v = Fixed4::ratio(
                            i128::from(r6) * i128::from(job.regime.weekly_hours.raw()),
                            i128::from(job.regime.reference_hours.raw()),
                        );
                        (v, PartSource::Assimilated, "R6×Q/S")
                    }
                    Effective::Unpaid => {
                        let r6 = r6_days(a, b);
                        let v = Fixed4::ratio(
                            i128::from(r6) * i128::from(job.regime.weekly_hours.raw()),
                            i128::from(job.regime.reference_hours.raw()),
                        );
                        unpaid_sum += v;
                        continue;
                    }
                    Effective::Review => {
                        out.review.push(flag(
                            "manual_review.category",
                            format!("{} {}", job.label, category_code(cat)),
                        ));
                        continue;
                    }
                    Effective::No => continue,
                },
                _ if !job.declared.is_empty() => {
                    // A declared job without a declaration for this quarter: the quarter
                    // is not declared yet; "no interruption" rule (§3.10), provisional.
                    out.provisional
                        .push(flag("provisional.no_dmfa", format!("{} {q}", job.label)));
                    let v = if job.full_time() {
                        Fixed4::whole(r6_days(a, b))
                    } else {
                        let days = days_between(a, b) + 1;
                        Fixed4::ratio(
                            i128::from(days) * i128::from(job.regime.weekly_hours.raw()) * 6,
                            7 * i128::from(job.regime.reference_hours.raw()),
                        )
                    };
                    let f = if job.full_time() { "R6" } else { "C×Q/7×6/S" };
                    (v, PartSource::NoInterruptionRule, f)
                }
                _ => {
                    if self.detail
                        && job.class == JobClass::Belgian
                        && q >= self.prep.dmfa_pending_from
                    {
                        out.provisional.push(flag(
                            "provisional.dmfa_pending",
                            format!("{} {q}", job.label),
                        ));
                    }
                    let whole = a == qs && b == qe;
                    let source = if matches!(job.class, JobClass::Foreign(_)) {
                        PartSource::Foreign
                    } else {
                        PartSource::Projected
                    };
                    if per_quarter && whole && job.full_time() {
                        (full, source, "78")
                    } else {
                        let days = weekdays_in(a, b, job.mask);
                        let f = if job.full_time() {
                            "A×6/R"
                        } else {
                            "A×Q/R×6/S"
                        };
                        (scheduled_value(days, &job.regime), source, f)
                    }
                }
            };
            if job.provisional && self.detail {
                out.provisional
                    .push(flag("provisional.input", job.label.clone()));
            }
            let v = self.round_part(v, part_time);
            other_sum += v;
            if !per_quarter {
                per_job[ji] += v;
            }
            if self.rows {
                parts.push(PartRow {
                    job: job.label.clone(),
                    source,
                    formula: formula.to_string(),
                    value: v.times(factor),
                });
            }
        }
        [declared_sum, other_sum, unpaid_sum]
    }

    /// A declared quarter of one job: (counted, unpaid, formula, review flag).
    fn declared_value(
        &self,
        job: &Job,
        lines: &[DeclaredLine],
        q: Quarter,
    ) -> (Fixed4, Fixed4, &'static str, Option<Flag>) {
        let o = self.prep.opts;
        let r = &job.regime;
        let mut days = 0i128;
        let mut hours = 0i128;
        let mut hours_known = true;
        let mut unpaid_days = 0i128;
        let mut unpaid_hours = 0i128;
        let mut every_line_counts = true;
        let mut review = None;
        for l in lines {
            let eff = effective(self.ctx.treatment(l.category), o);
            let d = i128::from(l.days.raw());
            let h = l.hours.map(|h| i128::from(h.raw()));
            match eff {
                Effective::Count => {
                    days += d;
                    match h {
                        Some(h) => hours += h,
                        None => hours_known = false,
                    }
                }
                Effective::Unpaid => {
                    every_line_counts = false;
                    unpaid_days += d;
                    unpaid_hours += h.unwrap_or(0);
                }
                Effective::No => {
                    if d > 0 || h.unwrap_or(0) > 0 {
                        every_line_counts = false;
                    }
                    if self.detail && self.ctx.treatment(l.category) == Treatment::Extends {
                        review = Some(flag(
                            "manual_review.declared_extension",
                            format!("{} {q} {}", job.label, category_code(l.category)),
                        ));
                    }
                }
                Effective::Review if !self.detail => every_line_counts = false,
                Effective::Review => {
                    every_line_counts = false;
                    review = Some(flag(
                        "manual_review.category",
                        format!("{} {q} {}", job.label, category_code(l.category)),
                    ));
                }
            }
        }
        let rh = i128::from(r.days_per_week.raw());
        let sh = i128::from(r.reference_hours.raw());
        let qh = i128::from(r.weekly_hours.raw());
        let spans = job.start <= q.start() && job.end >= q.end();
        if self.method == QuarterCapMethod::PerQuarter
            && job.full_time()
            && spans
            && every_line_counts
            && days > 0
        {
            return (
                Fixed4::whole(self.ctx.counting.full_quarter),
                Fixed4::ZERO,
                "78",
                review,
            );
        }
        let completed = self.undeclared_completion(job, lines, q);
        if job.full_time() {
            let v = Fixed4::ratio(days * 6, rh);
            let u = Fixed4::ratio(unpaid_days * 6, rh);
            (v, u + completed, "A×6/R", review)
        } else if hours_known {
            let v = Fixed4::ratio(hours * 6, sh);
            let u = Fixed4::ratio(unpaid_hours * 6, sh);
            (v, u + completed, "H×6/S", review)
        } else {
            let v = Fixed4::ratio(days * 6 * qh, rh * sh);
            let u = Fixed4::ratio(unpaid_days * 6 * qh, rh * sh);
            (v, u + completed, "A×6/R×Q/S", review)
        }
    }

    /// AM art. 7 scheme 3 (old regime): the days of the job's span in the quarter that were
    /// not declared under any code are unpaid absence, less the tolerance; they count in the
    /// job's proportion (Q/S) within the yearly cap, like declared unpaid days. Full-time:
    /// R6 days − A × 6/R − tolerance (EX15). Part-time, from the hours: (C × Q/7 − H) × 6/Q −
    /// tolerance absence days, × Q/S (EX16). A part-time quarter declared without hours is
    /// not completed (scheme 3 gives no formula for it).
    fn undeclared_completion(&self, job: &Job, lines: &[DeclaredLine], q: Quarter) -> Fixed4 {
        let Some(tolerance) = self.ctx.completion_tolerance else {
            return Fixed4::ZERO;
        };
        if self.prep.opts.undeclared_completion != UndeclaredCompletion::Complete {
            return Fixed4::ZERO;
        }
        let a = job.start.max(q.start());
        let b = job.end.min(q.end());
        if b < a {
            return Fixed4::ZERO;
        }
        let r = &job.regime;
        let absence = if job.full_time() {
            let declared: i128 = lines.iter().map(|l| i128::from(l.days.raw())).sum();
            Fixed4::whole(r6_days(a, b))
                - Fixed4::ratio(declared * 6, i128::from(r.days_per_week.raw()))
        } else {
            let Some(hours) = lines
                .iter()
                .map(|l| l.hours.map(|h| i128::from(h.raw())))
                .sum::<Option<i128>>()
            else {
                return Fixed4::ZERO;
            };
            let qh = i128::from(r.weekly_hours.raw());
            let calendar = i128::from(days_between(a, b) + 1);
            // (C × Q/7 − H) × 6/Q, Q and H in hundredths of hours.
            Fixed4::ratio((calendar * qh - 7 * hours) * 6, 7 * qh)
        } - Fixed4::whole(tolerance);
        if absence <= Fixed4::ZERO {
            return Fixed4::ZERO;
        }
        Fixed4::ratio(
            i128::from(absence.0) * i128::from(r.weekly_hours.raw()),
            i128::from(r.reference_hours.raw()) * 10_000,
        )
    }

    /// The art. 60 contract over `[a, b]`: (counted, unpaid within cap candidates, formula).
    fn contract_value(
        &self,
        ci: &ContractInfo<'_>,
        a: NaiveDate,
        b: NaiveDate,
        whole_quarter: bool,
    ) -> (Fixed4, Fixed4, &'static str) {
        let sched = weekdays_in(a, b, ci.mask);
        let mut removed = 0i64;
        let mut unpaid = 0i64;
        for ab in &ci.c.absences {
            let s = ab.start.max(a);
            let e = ab.end.min(b);
            if e < s {
                continue;
            }
            let n = weekdays_in(s, e, ci.mask);
            match effective(
                self.ctx.treatment(absence_category(ab.kind)),
                self.prep.opts,
            ) {
                Effective::Count => {}
                Effective::Unpaid => unpaid += n,
                Effective::No | Effective::Review => removed += n,
            }
        }
        let r = &ci.c.regime;
        if whole_quarter && r.is_full_time() && removed == 0 && unpaid == 0 {
            return (
                Fixed4::whole(self.ctx.counting.full_quarter),
                Fixed4::ZERO,
                "78",
            );
        }
        let counted = sched - removed - unpaid;
        let f = if r.is_full_time() {
            "A×6/R"
        } else {
            "A×Q/R×6/S"
        };
        (scheduled_value(counted, r), scheduled_value(unpaid, r), f)
    }
}

// ------------------------------------------------------------------------------------------
// Windows and extensions (SPEC §3.5).

#[derive(Debug, Clone)]
struct Event {
    label: Rc<str>,
    kind: ExtensionKind,
    start: NaiveDate,
    end: NaiveDate,
}

/// Applies an event rule: child age limit, minimum length, cap from the first day.
fn apply_rule(e: &RawEvent, rule: &EventRule) -> Option<Event> {
    let mut start = e.start;
    let mut end = e.end;
    if let Some(birth) = e.child_birth {
        let limit = if e.child_disabled {
            rule.child_age_limit_disabled.or(rule.child_age_limit)
        } else {
            rule.child_age_limit
        };
        if let Some(limit) = limit {
            end = end.min(birthday(birth, limit).pred_opt()?);
        }
        start = start.max(birth);
    }
    if end < start {
        return None;
    }
    if rule.min_months > 0 && period_end(start, rule.min_months) > end {
        return None;
    }
    if let Some(y) = rule.max_years {
        end = end.min(period_end(start, y * 12));
    }
    Some(Event {
        label: e.label.clone(),
        kind: e.kind,
        start,
        end,
    })
}

/// Moves `start` back by the event's length in the chosen unit.
fn move_back(start: NaiveDate, ev: &Event, unit: ExtensionUnit) -> NaiveDate {
    match unit {
        ExtensionUnit::CalendarDays => {
            let len = days_between(ev.start, ev.end) + 1;
            start - Days::new(len as u64)
        }
        ExtensionUnit::YearsMonths => {
            // Whole months date to date, then the remaining days.
            let mut months = 0u32;
            while period_end(ev.start, months + 1) <= ev.end {
                months += 1;
            }
            let covered_end = if months == 0 {
                ev.start.pred_opt().unwrap_or(ev.start)
            } else {
                period_end(ev.start, months)
            };
            let rest = days_between(covered_end, ev.end);
            sub_months(start, months, MonthEnd::ClampToMonthEnd) - Days::new(rest as u64)
        }
    }
}

/// Extends a window `[start, end]` with every event touching it, until stable (order does
/// not matter: each event is used once, by its whole capped length).
/// Moves the window start back for every event inside it, until no new event enters.
/// `record`: list the applied extensions (the scan only needs the start).
fn extend(
    mut start: NaiveDate,
    end: NaiveDate,
    events: &[Event],
    unit: ExtensionUnit,
    record: bool,
) -> (NaiveDate, Vec<AppliedExtension>) {
    let mut used = vec![false; events.len()];
    let mut applied = Vec::new();
    loop {
        let mut changed = false;
        for (i, ev) in events.iter().enumerate() {
            if used[i] || ev.end < start || ev.start > end {
                continue;
            }
            used[i] = true;
            let before = start;
            start = move_back(start, ev, unit);
            changed = true;
            if !record {
                continue;
            }
            applied.push(AppliedExtension {
                event: ev.label.to_string(),
                kind: ev.kind,
                event_start: ev.start,
                event_end: ev.end,
                length_days: days_between(ev.start, ev.end) + 1,
                start_before: before,
                start_after: start,
            });
        }
        if !changed {
            return (start, applied);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Evaluation at one candidate date.

struct Eval {
    ctx_used: Vec<ParamUse>,
    regime: RegimeId,
    age: i32,
    status: Option<Status>,
    options: Vec<OptionEval>,
    met: Option<usize>,
    no_stage: Option<String>,
    steps: Vec<Step>,
    provisional: Vec<Flag>,
    review: Vec<Flag>,
    contract_part: Fixed4,
    /// Art. 33 1° not met: (average hours a week, minimum hours); written out only when
    /// the scan ends without an answer.
    art33_blocked: Option<(Hundredths, i64)>,
    half_allowances: Option<crate::result::HalfAllowances>,
    full_quarter: i64,
    /// Art. 32 figures (half, two thirds, days per missing day, days for the half), when the
    /// regime has art. 32.
    art32_rule: Option<([i64; 2], [i64; 2], i64, i64)>,
    /// Options not open on this date that may open later (bound for the scan only).
    shadow: Vec<OptionEval>,
    /// What the caps hold back in each option (average method), aligned with `options`.
    held: Vec<Fixed4>,
    shadow_held: Vec<Fixed4>,
    /// The units open (days; half-days too for art. 33) and whether the art. 33 route of a
    /// full-time worker is closed but close: what a route probe compares.
    units: usize,
    shadow_route: bool,
}

impl Eval {
    fn feasible(&self) -> bool {
        self.no_stage.is_some() || self.met.is_some()
    }
    /// Smallest gain, in R6 days, that could make an option met: an option is met when its
    /// exact total exceeds `threshold - 1` (the total is rounded up).
    /// Shortfall of an art. 32 option in R6 days. With d the days in the window and T the days
    /// in the window and the ten years before it together, a gain G of the contract gives at
    /// most d + G and T + G (days leaving the window enter the ten years; one quarter of slack
    /// covers their shared edge quarter). "Half": d' >= R/2 and T' - d' >= 1,560. "Two
    /// thirds": d' >= 2R/3 and T' - d' >= 8 (R - d'), i.e. G >= (8R - 7d - T) / 8 while
    /// d' < R (beyond that the band itself is met).
    fn art32_need(&self, o: &OptionEval, a: &Art32Eval) -> Fixed4 {
        let band = Fixed4::whole(o.required - 1) - o.counted_exact;
        let Some(([hn, hd], [tn, td], m, past_half)) = self.art32_rule else {
            return band;
        };
        let r = Fixed4::whole(o.required);
        let d = o.counted_exact;
        let t = d + Fixed4::whole(a.past_days + self.full_quarter);
        let half_r = Fixed4(r.0 * hn / hd);
        let g_half = (half_r - d).max(half_r + Fixed4::whole(past_half) - t);
        let two_r = Fixed4(r.0 * tn / td);
        let coupled = Fixed4((r.0 * m - d.0 * (m - 1) - t.0) / m.max(1));
        let g_two = (two_r - d).max(coupled.min(band));
        // Totals are rounded up: one day of margin.
        g_half.min(g_two) - Fixed4::whole(1)
    }

    fn need_days(&self) -> Option<Fixed4> {
        self.min_need(
            self.options
                .iter()
                .chain(&self.shadow)
                .map(|o| (o, &Fixed4::ZERO)),
        )
    }

    /// The smallest need, in R6 days, of these options, each less what is held back.
    fn min_need<'o>(
        &self,
        options: impl Iterator<Item = (&'o OptionEval, &'o Fixed4)>,
    ) -> Option<Fixed4> {
        options
            .map(|(o, held)| Self::in_days(o, self.option_need(o) - *held))
            .min()
    }

    /// [`Self::need_days`] and [`Self::need_beyond_held`] of the open options only, without
    /// the art. 33 options of a route still closed.
    fn open_needs(&self) -> (Option<Fixed4>, Option<Fixed4>) {
        (
            self.min_need(self.options.iter().map(|o| (o, &Fixed4::ZERO))),
            self.min_need(self.options.iter().zip(&self.held)),
        )
    }

    fn option_need(&self, o: &OptionEval) -> Fixed4 {
        match &o.art32 {
            Some(a) => self.art32_need(o, a),
            None => Fixed4::whole(o.required - 1) - o.counted_exact,
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
    fn need_beyond_held(&self) -> Option<Fixed4> {
        self.min_need(
            self.options
                .iter()
                .zip(&self.held)
                .chain(self.shadow.iter().zip(&self.shadow_held)),
        )
    }
}

fn step(key: &'static str, article: Option<Cow<'static, str>>, values: StepValues) -> Step {
    Step {
        key: Cow::Borrowed(key),
        article,
        values,
    }
}

/// The article of a step, when it is written in the code.
fn art(article: &'static str) -> Option<Cow<'static, str>> {
    Some(Cow::Borrowed(article))
}

/// Monthly pay equivalent in cents (hourly × Q × 13/3).
fn monthly_cents(pay: Pay, q: &WorkRegime, factor: [i64; 2]) -> i64 {
    match pay {
        Pay::Monthly(m) => m.raw(),
        Pay::Hourly(h) => {
            let v = i128::from(h.raw()) * i128::from(q.weekly_hours.raw()) * i128::from(factor[0]);
            (v / (100 * i128::from(factor[1]))) as i64
        }
    }
}

impl Prepared<'_> {
    fn regime_months_back(&self, da: NaiveDate, months: u32) -> NaiveDate {
        let rule = match self.opts.reference_start_month_end {
            ReferenceStartMonthEnd::ClampToMonthEnd => MonthEnd::ClampToMonthEnd,
            ReferenceStartMonthEnd::FirstOfNextMonth => MonthEnd::FirstOfNextMonth,
        };
        sub_months(da, months, rule)
    }

    /// R6 days of Belgian follow-up work after `after` up to `e` (scheduled days × 6/R,
    /// whatever Q/S; non-counted absences removed).
    fn followup_r6(&self, after: NaiveDate, e: NaiveDate) -> Fixed4 {
        let mut total = Fixed4::ZERO;
        for j in &self.jobs {
            let belgian = match j.class {
                JobClass::Belgian => true,
                JobClass::Foreign(f) => self.foreign[f].posted,
                JobClass::Assimilated(_) => false,
            };
            if !belgian || j.end <= after {
                continue;
            }
            let a = j.start.max(after.succ_opt().unwrap_or(after));
            let b = j.end.min(e);
            if b >= a {
                let days = weekdays_in(a, b, j.mask);
                total += Fixed4::ratio(
                    i128::from(days) * 600,
                    i128::from(j.regime.days_per_week.raw()),
                );
            }
        }
        if let Some(ci) = &self.contract {
            let a = ci.c.start.max(after.succ_opt().unwrap_or(after));
            if e >= a {
                let mut days = weekdays_in(a, e, ci.mask);
                for ab in &ci.c.absences {
                    let counts = matches!(ab.kind, AbsenceKind::GuaranteedPaySickness);
                    let s = ab.start.max(a);
                    let t = ab.end.min(e);
                    if !counts && t >= s {
                        days -= weekdays_in(s, t, ci.mask);
                    }
                }
                total += Fixed4::ratio(
                    i128::from(days) * 600,
                    i128::from(ci.c.regime.days_per_week.raw()),
                );
            }
        }
        total
    }

    /// Which foreign periods count at E, with review flags.
    fn foreign_status(&self, ctx: &Ctx<'_>, e: NaiveDate) -> (Vec<bool>, Vec<Flag>) {
        let mut ok = Vec::with_capacity(self.foreign.len());
        let mut review = Vec::new();
        let fr = ctx.foreign;
        for f in &self.foreign {
            let job = &self.jobs[f.job];
            let convention = fr.convention_countries.contains(&f.country);
            let optional = fr.option_countries.contains(&f.country);
            let covered = if convention {
                true
            } else if optional {
                match self.opts.morocco_convention {
                    MoroccoConvention::Convention3Months => true,
                    MoroccoConvention::None => false,
                    MoroccoConvention::ManualReview => {
                        review.push(flag(
                            "manual_review.foreign_convention",
                            format!("{} {}", job.label, f.country),
                        ));
                        false
                    }
                }
            } else {
                false
            };
            if f.posted {
                ok.push(true);
                continue;
            }
            if !covered {
                ok.push(false);
                continue;
            }
            if f.frontier {
                ok.push(true);
                continue;
            }
            let needed = if f.ssom {
                fr.ssom_r6_days
            } else if fr.long_followup_countries.contains(&f.country)
                && self.opts.foreign_followup_6_months == ForeignFollowup6Months::ApplyForTnBaMkMe
            {
                fr.long_followup_r6_days
            } else {
                fr.followup_r6_days
            };
            ok.push(self.followup_r6(job.end, e) >= Fixed4::whole(needed));
        }
        (ok, review)
    }

    /// Old art. 42 re-admission check; returns (met, window start, steps).
    /// Old art. 42 re-admission at `e`; the step only when `detail`. `extra` holds the events
    /// that exist only at this candidate date (foreign work not countable yet, absences).
    fn art42_old(
        &self,
        ctx: &Ctx<'_>,
        extra: &[RawEvent],
        e: NaiveDate,
        detail: bool,
    ) -> Option<(bool, Option<Step>)> {
        let lp = self.req.last_paid_unemployment?;
        let last = match lp {
            LastPaid::Day(d) => d,
            LastPaid::AgrMonth(m) => {
                let first = NaiveDate::from_ymd_opt(m.year(), m.month(), 1)?;
                let mut d = add_months(first, 1).pred_opt()?;
                if d.weekday() == Weekday::Sun {
                    d = d.pred_opt()?;
                }
                d
            }
        };
        let da = ctx.da;
        let base = sub_months(da, ctx.art42.window_years * 12, MonthEnd::ClampToMonthEnd);
        let mut evs: Vec<Event> = self
            .events
            .iter()
            .chain(extra)
            .filter_map(|r| {
                let rule = ctx
                    .art42
                    .events
                    .iter()
                    .find(|x| x.kinds.contains(&r.kind))?;
                apply_rule(r, rule)
            })
            .collect();
        if self.opts.art60_is_reemployment_programme
            && let Some(ci) = &self.contract
        {
            // The art. 60 job as a re-employment programme (< 24 months) extends the 3 years.
            let end = ci.c.end.unwrap_or(e).min(e);
            if end >= ci.c.start && period_end(ci.c.start, 24) > end {
                evs.push(Event {
                    label: "contract".into(),
                    kind: ExtensionKind::CareerBreak,
                    start: ci.c.start,
                    end,
                });
            }
        }
        let end = da.pred_opt()?;
        let (start, applied) = extend(base, end, &evs, self.opts.extension_unit, detail);
        let met = last >= start && last <= end;
        let s = detail.then(|| {
            step(
                "precheck.art42_old",
                art("AR art. 42"),
                values!("last_paid_day": last, "window_start": start, "window_end": end,
                       "extensions": applied.len(), "met": met),
            )
        });
        Some((met, s))
    }

    /// The status from the determining job (SPEC §3.3).
    fn status(
        &self,
        ctx: &Ctx<'_>,
        e: NaiveDate,
        detail: bool,
    ) -> Result<(Status, Option<Step>, Option<WorkRegime>), NoRuleInForce> {
        let counting = ctx.counting;
        let min_days = match self.opts.status_min_job_length {
            StatusMinJobLength::OneWeek => counting.status_job_days_one_week,
            StatusMinJobLength::FourWeeks => counting.status_job_days_four_weeks,
        };
        let mut determining: Option<(&str, WorkRegime, Option<Pay>)> = None;
        if let Some(ci) = &self.contract {
            let end = ci.c.end.unwrap_or(e).min(e);
            if days_between(ci.c.start, end) + 1 >= min_days {
                determining = Some(("contract", ci.c.regime, ci.c.pay));
            }
        }
        if determining.is_none() {
            let last = self
                .jobs
                .iter()
                .filter(|j| {
                    !matches!(j.class, JobClass::Assimilated(_))
                        && days_between(j.start, j.end) + 1 >= min_days
                        && j.start <= e
                })
                .max_by_key(|j| j.end);
            if let Some(j) = last {
                determining = Some((j.label.as_str(), j.regime, j.pay));
            } else if let Some(ci) = &self.contract {
                determining = Some(("contract", ci.c.regime, ci.c.pay));
            }
        }
        let Some((job, regime, pay)) = determining else {
            return Ok((Status::FullTime, None, None));
        };
        if regime.is_full_time() {
            return Ok((
                Status::FullTime,
                detail.then(|| {
                    step(
                        "status.full_time",
                        art("AR art. 28 §1"),
                        values!("job": job, "q": regime.weekly_hours, "s": regime.reference_hours),
                    )
                }),
                Some(regime),
            ));
        }
        if let Some(pay) = pay {
            let wage = self.params.reference_wage_at(ctx.da)?;
            let monthly = monthly_cents(pay, &regime, wage.value.hourly_to_monthly);
            let reference = wage.value.monthly_cents();
            let assimilated = monthly >= reference;
            let status = if assimilated {
                Status::AssimilatedFullTime
            } else {
                Status::VoluntaryPartTime
            };
            return Ok((
                status,
                detail.then(|| step(
                    if assimilated {
                        "status.assimilated_full_time"
                    } else {
                        "status.voluntary_part_time"
                    },
                    art("AR art. 28 §2, 29 §4; AM art. 5"),
                    values!("job": job, "q": regime.weekly_hours, "s": regime.reference_hours,
                           "monthly_pay": monthly as f64 / 100.0, "reference_wage": reference as f64 / 100.0,
                           "wage_reference": &wage.reference),
                )),
                Some(regime),
            ));
        }
        Ok((
            Status::VoluntaryPartTime,
            detail.then(|| {
                step(
                    "status.voluntary_part_time",
                    art("AR art. 29 §4"),
                    values!("job": job, "q": regime.weekly_hours, "s": regime.reference_hours),
                )
            }),
            Some(regime),
        ))
    }

    /// Average weekly hours over the last part-time job (art. 33 1°), in hundredths.
    fn art33_hours(
        &self,
        da: NaiveDate,
        e: NaiveDate,
        lookback_months: u32,
        min_days: i64,
    ) -> Option<(i64, i64)> {
        // Segments: (employer key, start, end, Q, S, part_time)
        let look = sub_months(da, lookback_months, MonthEnd::ClampToMonthEnd);
        let mut segs: Vec<(String, NaiveDate, NaiveDate, i64, i64)> = Vec::new();
        for j in &self.jobs {
            if !matches!(j.class, JobClass::Belgian) {
                continue;
            }
            let key = j.employer.clone().unwrap_or_else(|| j.label.clone());
            segs.push((
                key,
                j.start.max(look),
                j.end.min(e),
                j.regime.weekly_hours.raw(),
                j.regime.reference_hours.raw(),
            ));
        }
        if let Some(ci) = &self.contract {
            let end = ci.c.end.unwrap_or(e).min(e);
            segs.push((
                "contract".into(),
                ci.c.start.max(look),
                end,
                ci.c.regime.weekly_hours.raw(),
                ci.c.regime.reference_hours.raw(),
            ));
        }
        segs.retain(|s| s.2 >= s.1);
        // Group by employer.
        let mut groups: BTreeMap<String, Vec<(NaiveDate, NaiveDate, i64, i64)>> = BTreeMap::new();
        for (k, a, b, q, s) in segs {
            groups.entry(k).or_default().push((a, b, q, s));
        }
        let summary = |g: &Vec<(NaiveDate, NaiveDate, i64, i64)>| {
            let start = g.iter().map(|x| x.0).min().unwrap_or(da);
            let end = g.iter().map(|x| x.1).max().unwrap_or(da);
            let days: i64 = g.iter().map(|x| days_between(x.0, x.1) + 1).sum();
            let weighted: i64 = g.iter().map(|x| (days_between(x.0, x.1) + 1) * x.2).sum();
            let part_time = g.iter().any(|x| x.2 < x.3);
            let s = g.last().map_or(3800, |x| x.3);
            (start, end, days, weighted, part_time, s)
        };
        let pt: Vec<_> = groups.values().map(summary).filter(|x| x.4).collect();
        let long: Vec<_> = pt.iter().filter(|x| x.2 >= min_days).collect();
        if let Some(last) = long.iter().max_by_key(|x| x.1) {
            // Concurrent part-time jobs of at least 4 weeks add up.
            let mut q = last.3 / last.2.max(1);
            for o in &long {
                if !std::ptr::eq(*o, *last) && o.0 <= last.1 && last.0 <= o.1 {
                    q += o.3 / o.2.max(1);
                }
            }
            return Some((q, last.5));
        }
        if pt.is_empty() {
            return None;
        }
        let days: i64 = pt.iter().map(|x| x.2).sum();
        let weighted: i64 = pt.iter().map(|x| x.3).sum();
        Some((weighted / days.max(1), pt[0].5))
    }

    fn cutoff(&self, ctx: &Ctx<'_>) -> Option<NaiveDate> {
        if !ctx.stage.value.prior_admission_cutoff {
            return None;
        }
        let o = self.opts;
        self.req
            .previous_admissions
            .iter()
            .filter(|a| a.application_date < ctx.da)
            .filter(|a| match a.article {
                AdmissionArticle::Art30 | AdmissionArticle::Art33 => true,
                AdmissionArticle::Art32 => {
                    o.prior_admission_scope != PriorAdmissionScope::ExcludeArt32
                }
                AdmissionArticle::Art42 => {
                    o.prior_admission_kinds != PriorAdmissionKinds::Art30_33Only
                }
                AdmissionArticle::Art42bis => {
                    o.prior_admission_kinds == PriorAdmissionKinds::PlusArt42bis
                }
                AdmissionArticle::Insertion => false,
            })
            .filter(|a| {
                o.prior_admission_scope != PriorAdmissionScope::ExcludePre2026
                    || a.application_date >= ctx.stage.from
            })
            .map(|a| match o.prior_admission_anchor {
                PriorAdmissionAnchor::ApplicationDate => a.application_date,
                PriorAdmissionAnchor::FirstPaidDay => {
                    a.first_paid_day.unwrap_or(a.application_date)
                }
            })
            .max()
    }

    /// Everything at one candidate end date `e` (DA = `da`).
    fn evaluate(
        &self,
        e: NaiveDate,
        da: NaiveDate,
        method: QuarterCapMethod,
        detail: bool,
    ) -> Result<Eval, CalcError> {
        self.evaluate_or_probe(e, da, method, detail, false)
    }

    /// [`Self::evaluate`], or with `probe` only what decides which options are open (the
    /// re-admission pre-check, the status, the art. 33 route): no option is counted.
    fn evaluate_or_probe(
        &self,
        e: NaiveDate,
        da: NaiveDate,
        method: QuarterCapMethod,
        detail: bool,
        probe: bool,
    ) -> Result<Eval, CalcError> {
        let ctx = Ctx::at(self.params, da)?;
        // Steps of the explanation: only in a detailed evaluation of a full calculation.
        let steps_on = detail && self.trace;
        let mut steps = Vec::new();
        let age = age_on(self.req.person.birth_date, da);
        let mut review = self.static_review.clone();
        let mut provisional: Vec<Flag> = Vec::new();
        if steps_on {
            steps.push(step(
                "regime.selected",
                Some(Cow::Owned(ctx.stage.reference.clone())),
                values!("application_date": da, "regime": ctx.regime, "age": age),
            ));
        }
        // Foreign periods and extension events at E.
        let (foreign_ok, freview) = self.foreign_status(&ctx, e);
        review.extend(freview);
        // Events that exist only at this candidate date; usually none (no allocation).
        let mut extra: Vec<RawEvent> = Vec::new();
        for (fi, f) in self.foreign.iter().enumerate() {
            if !foreign_ok[fi] {
                let j = &self.jobs[f.job];
                extra.push(RawEvent {
                    label: j.label.as_str().into(),
                    kind: ExtensionKind::UncountableForeignWork,
                    start: j.start,
                    end: j.end,
                    child_birth: None,
                    child_disabled: false,
                });
            }
        }
        if let Some(ci) = &self.contract {
            for (i, ab) in ci.c.absences.iter().enumerate() {
                if let Some(kind) = absence_ext_kind(ab.kind)
                    && ctx.treatment(DayCategory::InsuredSickness) == Treatment::Extends
                    && ab.start <= e
                {
                    extra.push(RawEvent {
                        label: format!("contract.absences[{i}]").into(),
                        kind,
                        start: ab.start,
                        end: ab.end.min(e),
                        child_birth: None,
                        child_disabled: false,
                    });
                }
            }
        }
        // History events under this regime's rules do not depend on E: computed once.
        let mut events: Rc<Vec<Event>> = {
            let key = std::ptr::from_ref(ctx.ext);
            let mut cache = self.event_cache.borrow_mut();
            if let Some((_, evs)) = cache.iter().find(|(k, _)| *k == key) {
                Rc::clone(evs)
            } else {
                let evs: Rc<Vec<Event>> = Rc::new(
                    self.events
                        .iter()
                        .filter_map(|r| apply_rule(r, ctx.ext.rule(r.kind)?))
                        .collect(),
                );
                cache.push((key, Rc::clone(&evs)));
                evs
            }
        };
        if !extra.is_empty() {
            Rc::make_mut(&mut events).extend(
                extra
                    .iter()
                    .filter_map(|r| apply_rule(r, ctx.ext.rule(r.kind)?)),
            );
        }
        // Pre-check: re-admission without a stage.
        let mut no_stage = None;
        match ctx.regime {
            RegimeId::Old => {
                if let Some((met, s)) = self.art42_old(&ctx, &extra, e, steps_on) {
                    if met {
                        no_stage = Some("art42_old".to_string());
                    }
                    steps.extend(s);
                }
            }
            RegimeId::New => {
                if let Some(until) = self.req.current_right_until {
                    let met = da <= until;
                    if met {
                        no_stage = Some("art42_new".to_string());
                    }
                    if steps_on {
                        steps.push(step(
                            "precheck.art42_new",
                            art("AR art. 42 (new); art. 114, 116"),
                            values!("current_right_until": until, "met": met),
                        ));
                    }
                }
                // Loi-programme art. 212: still re-admissible under old art. 42 → officer.
                // Only a flag, read from the final evaluation: the scan need not pay for it.
                if detail
                    && self.req.last_paid_unemployment.is_some()
                    && let Ok(old) = Ctx::at(
                        self.params,
                        ctx.stage.from.pred_opt().unwrap_or(ctx.stage.from),
                    )
                {
                    let probe = Ctx { da, ..old };
                    if let Some((true, _)) = self.art42_old(&probe, &extra, e, false) {
                        review.push(flag(
                            "manual_review.art212",
                            "AR art. 42; Loi-programme 2025-07-18 art. 212",
                        ));
                    }
                }
            }
        }
        // Status and route.
        let (status, status_step, determining_regime) = self.status(&ctx, e, steps_on)?;
        if steps_on && let Some(s) = status_step {
            steps.push(s);
        }
        let access = self.params.art33_access_at(da)?;
        let half_allowances = match (status, determining_regime) {
            (Status::VoluntaryPartTime, Some(r)) if detail => {
                Some(crate::result::HalfAllowances::compute(
                    r.weekly_hours.raw(),
                    r.reference_hours.raw(),
                    access.value.half_allowances_full_week,
                ))
            }
            _ => None,
        };
        let mut art33_blocked = None;
        let mut units: Vec<Unit> = Vec::new();
        match status {
            Status::FullTime | Status::AssimilatedFullTime => units.push(Unit::Days),
            Status::VoluntaryPartTime => {
                let a = &access.value;
                match self.art33_hours(da, e, a.lookback_months, a.min_job_days) {
                    Some((q, s))
                        if q >= a.min_hours * 100
                            || q * a.reference_fraction[1] >= s * a.reference_fraction[0] =>
                    {
                        units.push(Unit::HalfDays);
                        if steps_on {
                            steps.push(step("route.art33_access", art("AR art. 33 1°"),
                                values!("average_hours": Hundredths(q), "s": Hundredths(s), "met": true)));
                        }
                    }
                    other => {
                        let q = Hundredths(other.map_or(0, |x| x.0));
                        art33_blocked = Some((q, a.min_hours));
                        if steps_on {
                            steps.push(step(
                                "route.art33_access",
                                art("AR art. 33 1°"),
                                values!("average_hours": q, "met": false),
                            ));
                        }
                    }
                }
            }
        }
        let stage = &ctx.stage.value;
        let own = stage
            .bands
            .iter()
            .rposition(|b| age >= b.min_age)
            .unwrap_or(0);
        let bands: Vec<usize> = if stage.older_bands_allowed {
            (own..stage.bands.len()).collect()
        } else {
            vec![own]
        };
        let cutoff = self.cutoff(&ctx);
        let mut options: Vec<OptionEval> = Vec::new();
        let end = e.min(da.pred_opt().unwrap_or(e));
        let contract_end = self
            .contract
            .as_ref()
            .map(|ci| ci.c.end.unwrap_or(end).min(end));
        let mut contract_part = Fixed4::ZERO;
        let make_window = |months: u32| -> Window {
            let base = self.regime_months_back(da, months);
            let (mut start, applied) = extend(base, end, &events, self.opts.extension_unit, detail);
            let mut cut = None;
            if let Some(c) = cutoff
                && c > start
            {
                start = c;
                cut = Some(c);
            }
            Window {
                months,
                base_start: base,
                start,
                end,
                extensions: applied,
                cutoff: cut,
            }
        };
        let mut eval_option = |id: String,
                               article: &str,
                               unit: Unit,
                               required: i64,
                               window: Window,
                               options: &mut Vec<OptionEval>|
         -> (Fixed4, Fixed4) {
            let counter = Counter {
                prep: self,
                ctx: &ctx,
                unit,
                method,
                foreign_ok: &foreign_ok,
                detail,
                rows: detail && self.trace,
            };
            let c = counter.count(window.start, window.end, contract_end);
            provisional.extend(c.provisional);
            review.extend(c.review);
            let counted = c.total.ceil();
            // Ids and articles are only read from the final, detailed evaluation.
            options.push(OptionEval {
                id: if detail { id } else { String::new() },
                article: if detail {
                    article.to_string()
                } else {
                    String::new()
                },
                unit,
                required,
                counted_exact: c.total,
                counted,
                met: counted >= required,
                window,
                art32: None,
                quarters: c.quarters,
            });
            (c.contract_part, c.held)
        };
        // What the caps hold back, aligned with `options` and `shadow`.
        let mut held = Vec::new();
        let mut shadow_held = Vec::new();
        let mut shadow_units = false;
        // Full-time worker in the old regime may use art. 33 after enough part-time work.
        if units == [Unit::Days]
            && let Some(frac) = stage.fulltime_art33_fraction
        {
            let w = make_window(stage.bands[own].months);
            let window_days = days_between(w.start, w.end) + 1;
            let pt_days: i64 = self
                .jobs
                .iter()
                .filter(|j| matches!(j.class, JobClass::Belgian) && !j.full_time())
                .map(|j| {
                    let a = j.start.max(w.start);
                    let b = j.end.min(w.end);
                    if b >= a { days_between(a, b) + 1 } else { 0 }
                })
                .sum();
            if pt_days * frac[1] >= window_days * frac[0] {
                units.push(Unit::HalfDays);
            } else if !detail
                && pt_days * frac[1]
                    >= (i64::from(stage.bands[own].months) * 365 / 12 - 3) * frac[0]
            {
                // Not open today, but close: part-time days only decrease as the window moves
                // on, yet the window's length varies with the months and its extensions, so
                // the third may be reached again; the scan must not jump past such a date.
                shadow_units = true;
            }
        }
        let mut shadow = Vec::new();
        // A probe stops here: no option is counted.
        if !probe {
            let mut own_days_idx = None;
            if shadow_units {
                for &bi in &bands {
                    let b = stage.bands[bi];
                    let w = make_window(b.months + stage.art33_extra_months);
                    let (_, h) =
                        eval_option(String::new(), "", Unit::HalfDays, b.days, w, &mut shadow);
                    shadow_held.push(h);
                }
            }
            for &unit in &units {
                for &bi in &bands {
                    let b = stage.bands[bi];
                    let (months, article) = match unit {
                        Unit::Days => (b.months, "AR art. 30"),
                        Unit::HalfDays => (b.months + stage.art33_extra_months, "AR art. 33"),
                    };
                    let w = make_window(months);
                    let prefix = if unit == Unit::Days { "art30" } else { "art33" };
                    if unit == Unit::Days && bi == own {
                        own_days_idx = Some(options.len());
                    }
                    let id = if detail {
                        format!("{prefix}_band{}", b.min_age)
                    } else {
                        String::new()
                    };
                    let (cp, h) = eval_option(id, article, unit, b.days, w, &mut options);
                    held.push(h);
                    if bi == own && unit == units[0] {
                        contract_part = cp;
                    }
                }
            }
            // Art. 32 (old regime, own band, art. 30 only).
            if let Some(a32) = &stage.art32
                && age >= a32.min_age
                && units.contains(&Unit::Days)
                && let Some(own_opt) = own_days_idx.and_then(|i| options.get(i)).cloned()
            {
                let req_days = own_opt.required;
                let d = own_opt.counted;
                let past_end = own_opt
                    .window
                    .start
                    .pred_opt()
                    .unwrap_or(own_opt.window.start);
                let past_start = self.regime_months_back(own_opt.window.start, a32.past_years * 12);
                let counter = Counter {
                    prep: self,
                    ctx: &ctx,
                    unit: Unit::Days,
                    method,
                    foreign_ok: &foreign_ok,
                    detail: false,
                    rows: false,
                };
                let past = counter
                    .count(past_start, past_end, contract_end)
                    .total
                    .ceil();
                let two_thirds = d * a32.two_thirds[1] >= req_days * a32.two_thirds[0];
                let half = d * a32.half[1] >= req_days * a32.half[0];
                let need_a = a32.missing_day_multiplier * (req_days - d).max(0);
                let (met, condition, past_required) = if two_thirds && past >= need_a {
                    (true, "two_thirds", need_a)
                } else if half && past >= a32.past_days_half {
                    (true, "half", a32.past_days_half)
                } else if two_thirds {
                    (false, "two_thirds", need_a.min(a32.past_days_half))
                } else {
                    (false, "half", a32.past_days_half)
                };
                let mut o = own_opt.clone();
                // Ids and articles are only read from the final, detailed evaluation.
                if detail {
                    o.id = format!("art32_band{}", stage.bands[own].min_age);
                    o.article = "AR art. 32".into();
                }
                o.met = met;
                o.art32 = Some(Art32Eval {
                    past_start,
                    past_end,
                    past_days: past,
                    past_required,
                    condition: condition.into(),
                });
                options.push(o);
                // No held-back bound for art. 32: its need also involves the ten years before.
                held.push(Fixed4(i64::MAX / 4));
            }
        }
        let met = options.iter().position(|o| o.met);
        Ok(Eval {
            held,
            shadow_held,
            ctx_used: if detail { ctx.param_uses() } else { Vec::new() },
            regime: ctx.regime,
            age,
            status: Some(status),
            options,
            met,
            no_stage,
            steps,
            provisional,
            review,
            contract_part,
            art33_blocked,
            half_allowances,
            full_quarter: ctx.counting.full_quarter,
            art32_rule: stage.art32.as_ref().map(|a| {
                (
                    a.half,
                    a.two_thirds,
                    a.missing_day_multiplier,
                    a.past_days_half,
                )
            }),
            shadow,
            units: units.len(),
            shadow_route: shadow_units,
        })
    }
}

// ------------------------------------------------------------------------------------------
// Plan and assess.

/// What the explanation trace is written from.
struct Explained<'e> {
    steps: Vec<Step>,
    /// The winning option, unless the person is re-admitted (no window to explain).
    winning: Option<&'e OptionEval>,
    readmitted: bool,
    options: &'e [OptionEval],
    outcome: &'e Outcome,
    no_stage: Option<&'e str>,
    alternative: Option<&'e Alternative>,
    right: Option<&'e RightDuration>,
    provisional: &'e [Flag],
    review: &'e [Flag],
}

enum ScanEnd {
    /// The first feasible end date.
    Found(NaiveDate),
    Unreachable {
        best: Option<(i64, i64)>,
        reason: String,
        until: NaiveDate,
    },
}

impl Prepared<'_> {
    /// Dates at which something other than the contract's progress may make the count jump
    /// or the requirement drop: the jump in the scan never passes them.
    fn barrier_dates(&self, start: NaiveDate, horizon: NaiveDate) -> Vec<NaiveDate> {
        let mut v = Vec::new();
        let p = self.params;
        // A parameter change takes effect for DA = from, i.e. E = from - 1.
        let mut push_from = |from: NaiveDate| {
            if let Some(e) = from.pred_opt()
                && e > start
                && e <= horizon
            {
                v.push(e);
            }
        };
        p.regime.iter().for_each(|x| push_from(x.from));
        p.stage.iter().for_each(|x| push_from(x.from));
        p.categories.iter().for_each(|x| push_from(x.from));
        p.foreign.iter().for_each(|x| push_from(x.from));
        p.reference_wage.iter().for_each(|x| push_from(x.from));
        p.extensions.iter().for_each(|x| push_from(x.from));
        p.unpaid_cap.iter().for_each(|x| push_from(x.from));
        p.art33_access.iter().for_each(|x| push_from(x.from));
        p.counting.iter().for_each(|x| push_from(x.from));
        for s in &p.stage {
            for b in &s.value.bands {
                if b.min_age > 0 {
                    push_from(birthday(self.req.person.birth_date, b.min_age as u32));
                }
            }
            if let Some(a) = &s.value.art32 {
                push_from(birthday(self.req.person.birth_date, a.min_age as u32));
            }
        }
        if let Some(ci) = &self.contract {
            for ab in &ci.c.absences {
                if ab.start >= start {
                    v.push(ab.start);
                }
            }
            // The contract becomes the determining job (status, art. 33 1°). Before that, the
            // last earlier job of at least a week determines; when both are full time the
            // switch changes nothing.
            let last_job = self
                .jobs
                .iter()
                .filter(|j| {
                    !matches!(j.class, JobClass::Assimilated(_))
                        && days_between(j.start, j.end) >= 6
                })
                .max_by_key(|j| j.end);
            let both_full_time =
                ci.c.regime.is_full_time() && last_job.is_none_or(|j| j.full_time());
            if !both_full_time {
                for d in [7, 28] {
                    v.push(ci.c.start + Days::new(d - 1));
                }
            }
            // During an absence that extends the window, the extension grows every day and
            // may bring older work back in: no jumping there.
            for ab in &ci.c.absences {
                if absence_ext_kind(ab.kind).is_some() {
                    let mut d = ab.start;
                    while d <= ab.end && d <= horizon && days_between(ab.start, d) < 400 {
                        v.push(d);
                        d = d.succ_opt().unwrap_or(horizon);
                    }
                }
            }
        }
        // Foreign work becomes countable once its Belgian follow-up is met: find, for every
        // follow-up length in force, the first date it is met (monotone in E).
        let mut needs: Vec<i64> = p
            .foreign
            .iter()
            .flat_map(|f| {
                [
                    f.value.followup_r6_days,
                    f.value.long_followup_r6_days,
                    f.value.ssom_r6_days,
                ]
            })
            .collect();
        needs.sort();
        needs.dedup();
        for f in &self.foreign {
            let after = self.jobs[f.job].end;
            for &need in &needs {
                let need = Fixed4::whole(need);
                if self.followup_r6(after, horizon) < need {
                    continue;
                }
                let (mut lo, mut hi) = (start, horizon);
                while lo < hi {
                    let mid = lo + Days::new((days_between(lo, hi) / 2) as u64);
                    if self.followup_r6(after, mid) >= need {
                        hi = mid;
                    } else {
                        lo = mid.succ_opt().unwrap_or(hi);
                    }
                }
                v.push(lo);
            }
        }
        v.retain(|d| *d > start && *d <= horizon);
        v.sort();
        v.dedup();
        v
    }

    fn scan(&self, method: QuarterCapMethod) -> Result<ScanEnd, CalcError> {
        let Some(ci) = &self.contract else {
            return Err(CalcError::InvalidInput(InputError::coded(
                InputCode::Required,
                "contract",
                "required in plan mode",
            )));
        };
        let start = ci.c.start;
        let counting = &self
            .params
            .counting_at(start.succ_opt().unwrap_or(start))?
            .value;
        let horizon = add_months(start, counting.max_scan_months);
        let barriers = self.barrier_dates(start, horizon);
        // One ten-thousandth more than the value of a day: parts are rounded to four
        // decimals, so a day's true share can exceed the rounded one.
        let per_day = scheduled_value(1, &ci.c.regime) + Fixed4(1);
        // What a whole quarter of a full-time contract adds over its days (78 rule), as
        // prefix sums over the quarters of the scan: bonus[i] is the sum before quarter
        // bonus_base + i. Only a full-time contract counts a whole quarter as 78.
        let full = Fixed4::whole(counting.full_quarter);
        let bonus_base = Quarter::of(start).index();
        let mut bonus = vec![Fixed4::ZERO];
        let mut q = Quarter::of(start);
        while q.start() <= horizon {
            let whole = per_day.times(weekdays_in(q.start(), q.end(), ci.mask));
            let add = if ci.c.regime.is_full_time() && full > whole {
                full - whole
            } else {
                Fixed4::ZERO
            };
            let sum = bonus[bonus.len() - 1] + add;
            bonus.push(sum);
            q = q.next();
        }
        let mut e = start;
        let mut best: Option<(i64, i64)> = None;
        let mut blocked = None;
        loop {
            let da = e.succ_opt().unwrap_or(e);
            let ev = self.evaluate(e, da, method, false)?;
            if ev.feasible() {
                return Ok(ScanEnd::Found(e));
            }
            for o in &ev.options {
                if best.is_none_or(|(c, r)| o.counted - o.required > c - r) {
                    best = Some((o.counted, o.required));
                }
            }
            if ev.art33_blocked.is_some() {
                blocked = ev.art33_blocked;
            }
            if e >= horizon {
                let reason = match blocked {
                    Some((q, min_hours)) => format!(
                        "art. 33 1° not met: average {q} h a week, below {min_hours} h and S/3"
                    ),
                    None => String::from("no option met within the scan horizon"),
                };
                return Ok(ScanEnd::Unreachable {
                    best,
                    reason,
                    until: horizon,
                });
            }
            // Jump: the contract adds at most 6/R R6 days per scheduled day (plus the
            // whole-quarter rounding), so no earlier date can close the shortfall.
            let jump = |need: Fixed4, release_per_day: bool| -> NaiveDate {
                // An upper bound on what the contract can add after `e`: 6/R R6 days per
                // scheduled day, plus what a whole quarter adds over its days (78 rule),
                // plus one per quarter when part-time parts are rounded up. The search runs
                // on day offsets from the first day after `e`: no date is built per probe.
                let ceiling = self.opts.rounding_mode == RoundingMode::PerPartCeiling;
                let first = e.succ_opt().unwrap_or(e);
                let first_wd = first.weekday();
                let qf = Quarter::of(first);
                let at = |q: Quarter| {
                    let i = usize::try_from(q.index() - bonus_base).unwrap_or(0);
                    bonus[i.min(bonus.len() - 1)]
                };
                // Bound of the gain over (e, first + t] for a day `t` of quarter `q`, whose
                // last day is at offset `q_end`; monotone in t.
                let gain_ub = |t: i64, q: Quarter, q_end: i64| -> Fixed4 {
                    let n = t + 1;
                    let sched = weekdays_from(first_wd, n, ci.mask);
                    let mut g = if release_per_day {
                        // Method A caps the contract at its Monday–Saturday days: a day
                        // may also release what the cap held back, up to one R6 day, on
                        // top of its own value (unpaid days within the yearly cap are
                        // outside the job cap).
                        let sched_r6 = weekdays_from(first_wd, n, ci.mask & R6_MASK);
                        (per_day + Fixed4::whole(1)).times(sched)
                            + Fixed4::whole(weekdays_from(first_wd, n, R6_MASK) - sched_r6)
                    } else {
                        per_day.times(sched)
                    };
                    // What whole quarters add over their days (prefix sums, see above).
                    let last = if t == q_end { q } else { q.prev() };
                    if last >= qf {
                        g += at(last.next()) - at(qf);
                    }
                    // Each quarter's part is rounded half up: at most half a
                    // ten-thousandth more; with the part-time ceiling, one day more.
                    let quarters = i64::from(q.index() - qf.index() + 1);
                    g += Fixed4(quarters);
                    if ceiling {
                        g += Fixed4::whole(quarters);
                    }
                    g
                };
                // Whole quarters first, then a binary search inside the quarter where the
                // bound first exceeds the shortfall.
                let horizon_t = days_between(first, horizon).max(0);
                let mut q = qf;
                let mut lo = 0;
                loop {
                    let q_end = days_between(first, q.end());
                    let span_end = q_end.min(horizon_t);
                    if gain_ub(span_end, q, q_end) > need {
                        let (mut a, mut b) = (lo, span_end);
                        while a < b {
                            let mid = a + (b - a) / 2;
                            if gain_ub(mid, q, q_end) > need {
                                b = mid;
                            } else {
                                a = mid + 1;
                            }
                        }
                        return first + Days::new(u64::try_from(a).unwrap_or(0));
                    }
                    if span_end >= horizon_t {
                        return horizon;
                    }
                    lo = span_end + 1;
                    q = q.next();
                }
            };
            let bound = |need: Option<Fixed4>, beyond: Option<Fixed4>| match need {
                Some(need) => {
                    let mut k = jump(need, method == QuarterCapMethod::Average);
                    // Both bounds hold, so the later of the two dates is still safe.
                    if method == QuarterCapMethod::Average
                        && let Some(n) = beyond
                    {
                        k = k.max(jump(n, false));
                    }
                    k.max(e.succ_opt().unwrap_or(e))
                }
                None => horizon,
            };
            let need = ev.need_days();
            let next = bound(need, ev.need_beyond_held());
            let barrier = barriers.iter().find(|b| **b > e).copied();
            let mut next = barrier.map_or(next, |b| next.min(b)).min(horizon);
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
                let until = bound(open_need, open_beyond);
                let until = barrier.map_or(until, |b| until.min(b)).min(horizon);
                let mut p = e.succ_opt().unwrap_or(horizon);
                while p < until {
                    let pr =
                        self.evaluate_or_probe(p, p.succ_opt().unwrap_or(p), method, false, true)?;
                    if pr.no_stage.is_some()
                        || pr.status != ev.status
                        || pr.units != ev.units
                        || !pr.shadow_route
                    {
                        break;
                    }
                    p = p.succ_opt().unwrap_or(horizon);
                }
                e = p;
                continue;
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
            e = next;
        }
    }

    fn plan(&self) -> Result<CalcResult, CalcError> {
        let Some(ci) = &self.contract else {
            return Err(CalcError::InvalidInput(InputError::coded(
                InputCode::Required,
                "contract",
                "required in plan mode",
            )));
        };
        let method = self.opts.quarter_cap_method;
        // Already admissible on the day the contract starts?
        let start = ci.c.start;
        let before = start.pred_opt().unwrap_or(start);
        let pre = self.evaluate(before, start, method, false)?;
        // Already admissible on the day the contract starts: by re-admission, or because the
        // stage is already met without the contract (days to work: 0).
        let already = pre
            .no_stage
            .clone()
            .or_else(|| pre.met.map(|_| "stage_already_met".to_string()));
        if let Some(reason) = already {
            let outcome = Outcome::NoStageRequired {
                first_benefit_date: start,
            };
            let detail = self.evaluate(before, start, method, true)?;
            return Ok(self.finish(outcome, detail, None, Some(reason)));
        }
        let main = self.scan(method)?;
        let other_method = match method {
            QuarterCapMethod::PerQuarter => QuarterCapMethod::Average,
            QuarterCapMethod::Average => QuarterCapMethod::PerQuarter,
        };
        match main {
            ScanEnd::Found(end) => {
                let alt = if self.trace {
                    match self.scan(other_method)? {
                        ScanEnd::Found(g) => Some(g),
                        ScanEnd::Unreachable { .. } => None,
                    }
                } else {
                    None
                };
                let da = end.succ_opt().unwrap_or(end);
                let detail = self.evaluate(end, da, method, true)?;
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
                let no_stage = detail.no_stage.clone();
                Ok(self.finish(outcome, detail, alternative, no_stage))
            }
            ScanEnd::Unreachable {
                best,
                reason,
                until,
            } => {
                let detail =
                    self.evaluate(until, until.succ_opt().unwrap_or(until), method, true)?;
                let (best_counted, required) = best.unwrap_or((0, 0));
                let outcome = Outcome::Unreachable {
                    best_counted,
                    required,
                    reason,
                    scanned_until: until,
                };
                Ok(self.finish(outcome, detail, None, None))
            }
        }
    }

    fn assess(&self) -> Result<CalcResult, CalcError> {
        let da = self.req.application_date.ok_or_else(|| {
            InputError::coded(
                InputCode::Required,
                "application_date",
                "required in assess mode",
            )
        })?;
        let e = da.pred_opt().unwrap_or(da);
        let ev = self.evaluate(e, da, self.opts.quarter_cap_method, true)?;
        let outcome = Outcome::Assessed {
            application_date: da,
            admissible: ev.feasible(),
        };
        let no_stage = ev.no_stage.clone();
        Ok(self.finish(outcome, ev, None, no_stage))
    }

    fn finish(
        &self,
        outcome: Outcome,
        mut ev: Eval,
        alternative: Option<Alternative>,
        no_stage: Option<String>,
    ) -> CalcResult {
        let winner_idx = ev.met.or_else(|| {
            ev.options
                .iter()
                .enumerate()
                .max_by_key(|(_, o)| (o.counted - o.required, std::cmp::Reverse(o.required)))
                .map(|(i, _)| i)
        });
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
        let readmitted = no_stage.as_deref().is_some_and(|r| r.starts_with("art42"));
        let right = self.right_duration(&ev, &outcome, winning.as_ref());
        let mut provisional = std::mem::take(&mut ev.provisional);
        provisional.sort();
        provisional.dedup();
        let mut review = std::mem::take(&mut ev.review);
        review.sort();
        review.dedup();
        let trace = if self.trace {
            Self::explain(Explained {
                steps: std::mem::take(&mut ev.steps),
                winning: winning.as_ref().filter(|_| !readmitted),
                readmitted,
                options: &options,
                outcome: &outcome,
                no_stage: no_stage.as_deref(),
                alternative: alternative.as_ref(),
                right: right.as_ref(),
                provisional: &provisional,
                review: &review,
            })
        } else {
            Vec::new()
        };
        let mut used = std::mem::take(&mut ev.ctx_used);
        if let Ok(w) = self
            .params
            .reference_wage_at(outcome_da(&outcome).unwrap_or(self.req.today))
        {
            used.push(crate::params::used("reference_wage", w));
        }
        used.sort();
        used.dedup();
        CalcResult {
            mode: self.req.mode,
            outcome,
            regime: Some(ev.regime),
            status: ev.status,
            age: Some(ev.age),
            winning_option: winning,
            options_evaluated: options,
            alternative,
            right,
            half_allowances: ev.half_allowances.clone(),
            no_stage_required: no_stage,
            provisional,
            manual_review: review,
            options: self.opts.clone(),
            parameters: ParamVersions {
                set_id: self.params.id.clone(),
                version: self.params.version.clone(),
                used,
            },
            engine_version: ENGINE_VERSION.to_string(),
            trace,
        }
    }

    /// The explanation trace of a finished calculation, after the evaluation's own steps.
    fn explain(x: Explained<'_>) -> Vec<Step> {
        let Explained {
            mut steps,
            winning,
            readmitted,
            options,
            outcome,
            no_stage,
            alternative,
            right,
            provisional,
            review,
        } = x;
        if let Some(w) = winning {
            steps.push(step("window.base", Some(Cow::Owned(w.article.clone())),
                values!("option": &w.id, "months": w.window.months, "start": w.window.base_start, "end": w.window.end)));
            for x in &w.window.extensions {
                steps.push(step("window.extended", art("AR art. 30 al. 3"),
                    values!("kind": x.kind, "event_start": x.event_start, "event_end": x.event_end,
                           "length_days": x.length_days, "start_before": x.start_before, "start_after": x.start_after)));
            }
            if let Some(c) = w.window.cutoff {
                steps.push(step(
                    "window.cutoff",
                    art("AR art. 30 al. 2"),
                    values!("admission": c, "start": w.window.start),
                ));
            }
            for q in w.quarters.iter().filter(|q| !q.parts.is_empty()) {
                // The parts in one readable string; the structured rows are in the option.
                let mut parts = String::with_capacity(24 * q.parts.len());
                for (i, p) in q.parts.iter().enumerate() {
                    use std::fmt::Write as _;
                    let sep = if i == 0 { "" } else { " + " };
                    let _ = write!(parts, "{sep}{} {} {}", p.job, p.formula, p.value);
                }
                steps.push(step("count.quarter", art("AM art. 7, 8"),
                    values!("quarter": q.quarter, "raw": q.raw, "cap": q.cap, "result": q.result, "parts": parts)));
            }
            steps.push(step("count.total", art("AM art. 7"),
                values!("option": &w.id, "unit": w.unit, "exact": w.counted_exact, "counted": w.counted, "required": w.required, "met": w.met)));
            if let Some(a) = &w.art32 {
                steps.push(step("art32.past", art("AR art. 32"),
                    values!("past_start": a.past_start, "past_end": a.past_end, "past_days": a.past_days, "past_required": a.past_required, "condition": &a.condition)));
            }
        }
        for o in options {
            steps.push(step("option.evaluated", Some(Cow::Owned(o.article.clone())),
                values!("option": &o.id, "unit": o.unit, "required": o.required, "counted": o.counted, "met": o.met)));
        }
        match outcome {
            Outcome::Planned {
                end_date,
                first_benefit_date,
                days_to_work,
                contract_contribution,
            } => {
                steps.push(step("plan.end_date", art("AR art. 30; L. 08/07/1976 art. 60 §7"),
                    values!("end_date": end_date, "first_benefit_date": first_benefit_date,
                           "days_to_work": days_to_work, "contract_contribution": contract_contribution)));
            }
            Outcome::NoStageRequired { first_benefit_date } => {
                let article = if readmitted {
                    "AR art. 42"
                } else {
                    "AR art. 30, 33"
                };
                steps.push(step(
                    "plan.no_stage_required",
                    art(article),
                    values!("first_benefit_date": first_benefit_date, "reason": no_stage),
                ));
            }
            Outcome::Assessed {
                application_date,
                admissible,
            } => {
                steps.push(step(
                    "assess.result",
                    None,
                    values!("application_date": application_date, "admissible": admissible),
                ));
            }
            Outcome::Unreachable {
                best_counted,
                required,
                reason,
                scanned_until,
            } => {
                steps.push(step("plan.unreachable", None, values!("best_counted": best_counted, "required": required, "reason": reason, "scanned_until": scanned_until)));
            }
        }
        if let Some(a) = alternative {
            steps.push(step("plan.alternative_method", art("AM art. 7"),
                values!("method": a.method, "end_date": a.end_date, "safe_end_date": a.safe_end_date)));
        }
        if let Some(r) = right {
            steps.push(step("right.duration", art("AR art. 114; AM art. 70"),
                values!("career_days": r.career_days, "available_days": r.available_days, "extra_months": r.extra_months,
                       "months": r.months, "from": r.from, "until": r.until, "unlimited": r.unlimited)));
        }
        for f in provisional {
            steps.push(step(
                "flag.provisional",
                None,
                values!("key": &f.key, "detail": &f.detail),
            ));
        }
        for f in review {
            steps.push(step(
                "flag.manual_review",
                None,
                values!("key": &f.key, "detail": &f.detail),
            ));
        }
        steps
    }

    /// Duration of the right (new regime, information only, SPEC §3.13).
    fn right_duration(
        &self,
        ev: &Eval,
        outcome: &Outcome,
        winning: Option<&OptionEval>,
    ) -> Option<RightDuration> {
        if ev.regime != RegimeId::New {
            return None;
        }
        let da = outcome_da(outcome)?;
        if !matches!(
            outcome,
            Outcome::Planned { .. }
                | Outcome::Assessed {
                    admissible: true,
                    ..
                }
        ) {
            return None;
        }
        let r = self.params.right_at(da).ok()?;
        let rv = &r.value;
        let (career, reason) = match &self.req.career {
            Some(c) => (
                i64::from(c.days) - i64::from(c.used_days),
                "career history given".to_string(),
            ),
            None => {
                let start = self
                    .jobs
                    .iter()
                    .map(|j| j.start)
                    .chain(self.contract.as_ref().map(|c| c.c.start))
                    .min()
                    .unwrap_or(da);
                let ctx = Ctx::at(self.params, da).ok()?;
                let (foreign_ok, _) = self.foreign_status(&ctx, da.pred_opt()?);
                let half = winning.is_some_and(|w| w.unit == Unit::HalfDays);
                let unit = if half { Unit::HalfDays } else { Unit::Days };
                let counter = Counter {
                    prep: self,
                    ctx: &ctx,
                    unit,
                    method: QuarterCapMethod::PerQuarter,
                    foreign_ok: &foreign_ok,
                    detail: half,
                    rows: half,
                };
                let end = da.pred_opt()?;
                let c = counter.count(start, end, Some(end));
                let total = if half {
                    match self.opts.art33_duration_units {
                        Art33DurationUnits::HalfDaysRaw => c.total.ceil(),
                        Art33DurationUnits::HalfDaysAsDaysCapped312 => {
                            let mut per_year: BTreeMap<i32, Fixed4> = BTreeMap::new();
                            for q in &c.quarters {
                                *per_year.entry(q.quarter.year).or_default() += q.result;
                            }
                            per_year
                                .values()
                                .map(|v| (*v).min(Fixed4::whole(rv.half_days_cap_per_year)))
                                .sum::<Fixed4>()
                                .ceil()
                        }
                    }
                } else {
                    c.total.ceil()
                };
                (
                    total,
                    "counted from the history given (the real career may be longer)".to_string(),
                )
            }
        };
        let avail = career - rv.base_days;
        let extra = if avail <= 0 {
            0
        } else {
            (avail / rv.days_per_extra_month
                + i64::from(avail % rv.days_per_extra_month >= rv.remainder_adds_month))
            .min(rv.max_extra_months)
        };
        let age = age_on(self.req.person.birth_date, da);
        let u = &rv.unlimited;
        let mut years = career.max(0) / u.year_days
            + i64::from(career.max(0) % u.year_days >= u.remainder_adds_year);
        if self.req.career.is_some_and(|c| c.full_transition_allowance) {
            years += u.transition_allowance_years;
        }
        let needed = u
            .career_years
            .iter()
            .find(|c| c.admission_year == da.year())
            .or_else(|| u.career_years.last())
            .map_or(i64::MAX, |c| c.years);
        let unlimited =
            self.req.person.dock_worker_or_fisher || (age >= u.min_age && years >= needed);
        let months = i64::from(rv.base_months) + extra;
        let until = if unlimited {
            None
        } else {
            period_end(da, months as u32).into()
        };
        Some(RightDuration {
            career_days: career,
            available_days: avail.max(0),
            extra_months: extra,
            months,
            from: da,
            until,
            unlimited,
            reason,
        })
    }
}

fn outcome_da(o: &Outcome) -> Option<NaiveDate> {
    match o {
        Outcome::Planned {
            first_benefit_date, ..
        }
        | Outcome::NoStageRequired { first_benefit_date } => Some(*first_benefit_date),
        Outcome::Assessed {
            application_date, ..
        } => Some(*application_date),
        Outcome::Unreachable { scanned_until, .. } => scanned_until.succ_opt(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn indexed_labels_read_like_format() {
        for i in [0, 1, 9, 10, 99, 100, 12_345, usize::MAX] {
            assert_eq!(super::indexed_label("history", i), format!("history[{i}]"));
        }
    }
}
