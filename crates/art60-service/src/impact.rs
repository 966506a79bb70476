//! Reform impact (issue 15): every selected request recomputed from its stored engine input
//! under today's parameters, a proposal or other policy options, beside the answer it holds.
//!
//! Read-only: no case changes; the run is audited (who, which selection, which proposal).
//! Requests are read in pages by id, each page computed on every core (rayon), and each row
//! handed to the caller as it comes, so memory stays flat whatever the number of requests.

use std::collections::BTreeMap;

use art60_rules::calendar::working_days_between;
use art60_rules::options::Options;
use art60_rules::params::ParamSet;
use art60_rules::proposal::ProposalSummary;
use art60_rules::{CalcRequest, CalcResult};
use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event, Who};
use crate::auth::Actor;
use crate::db::{Db, Role, Status, request, request_engine_input};
use crate::error::{Result, ServiceError};

/// Requests read (and computed) at a time.
const PAGE: u64 = 2_000;

/// Which requests an impact run looks at.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Selection {
    /// Statuses to include (default: sent and calculated).
    pub statuses: Vec<Status>,
    pub cpas_id: Option<i64>,
    pub office_id: Option<i64>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            statuses: vec![Status::Sent, Status::Calculated],
            cpas_id: None,
            office_id: None,
        }
    }
}

/// Who runs it: the operator at the command line sees every request; a user the requests of
/// their scope (the same rule as the cases: a CPAS worker their CPAS's, an officer those sent
/// to their office, the ONEM SPOC and administrators all).
#[derive(Debug, Clone, Copy)]
pub enum Runner<'a> {
    Operator,
    User(&'a Actor),
}

/// The rules to recompute under.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub params: ParamSet,
    /// `None`: today's parameters (no proposal).
    pub proposal: Option<ProposalSummary>,
    /// `name=value` policy options set on top of each request's stored options.
    pub option_overrides: Vec<String>,
    /// The calculation day for the recomputation (`today` of the engine input).
    pub as_of: NaiveDate,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    pub end_date: Option<NaiveDate>,
    pub first_benefit_date: Option<NaiveDate>,
    pub days_to_work: Option<i64>,
    /// Days required by the option that decided (the winning one, or the closest).
    pub requirement: Option<i64>,
    /// `old` or `new` (SPEC §3.1).
    pub regime: Option<String>,
}

/// How the answer moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Earlier,
    Later,
    Unchanged,
    NotComputable,
}

/// The reason of a request that was never sent (a draft): no engine input was stored. The
/// portal names it in the reader's language.
pub const NEVER_SENT: &str = "no stored engine input (never sent)";

/// One request recomputed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImpactRow {
    pub request_id: i64,
    pub reference: String,
    pub cpas_id: i64,
    pub office_id: Option<i64>,
    pub status: Status,
    pub contract_start: Option<NaiveDate>,
    /// The answer the request holds: ONEM's override where there is one.
    pub before: Answer,
    /// ONEM fixed the end date (the `before` side is its decision, not the engine's).
    pub overridden: bool,
    pub after: Option<Answer>,
    pub change: Change,
    /// Why the request could not be recomputed.
    pub reason: Option<String>,
    /// New end date minus the held one, in calendar days (negative: earlier).
    pub diff_days: Option<i64>,
    /// The same in working days (Monday to Friday, federal holidays excepted).
    pub diff_working_days: Option<i64>,
    /// The first explanation step (its stable key) that differs between the two answers.
    pub first_difference: Option<String>,
    /// That step as the new answer has it (the held answer's where the new one has none):
    /// what a reader is shown, in their language, as the reason for the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub first_difference_step: Option<art60_rules::result::Step>,
}

/// Counts for one CPAS or office.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Tally {
    pub earlier: u64,
    pub later: u64,
    pub unchanged: u64,
    pub not_computable: u64,
    /// Working days no longer to work (sum over requests that end earlier).
    pub working_days_saved: i64,
    /// Working days added (sum over requests that end later).
    pub working_days_added: i64,
    /// Why requests were not computable, with how many each.
    pub reasons: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, r: &ImpactRow) {
        match r.change {
            Change::Earlier => self.earlier += 1,
            Change::Later => self.later += 1,
            Change::Unchanged => self.unchanged += 1,
            Change::NotComputable => self.not_computable += 1,
        }
        match r.diff_working_days {
            Some(d) if d < 0 => self.working_days_saved += -d,
            Some(d) if d > 0 => self.working_days_added += d,
            _ => {}
        }
        if let Some(reason) = &r.reason {
            *self.reasons.entry(reason.clone()).or_default() += 1;
        }
    }
}

/// The whole run's summary.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub total: Tally,
    /// By CPAS id (JSON object keys are strings: the document says so, schemathesis checks).
    #[schema(value_type = BTreeMap<String, Tally>)]
    pub by_cpas: BTreeMap<i64, Tally>,
    /// By office id (`0`: never sent to an office).
    #[schema(value_type = BTreeMap<String, Tally>)]
    pub by_office: BTreeMap<i64, Tally>,
    pub requests: u64,
}

impl Summary {
    fn add(&mut self, r: &ImpactRow) {
        self.requests += 1;
        self.total.add(r);
        self.by_cpas.entry(r.cpas_id).or_default().add(r);
        self.by_office
            .entry(r.office_id.unwrap_or(0))
            .or_default()
            .add(r);
    }
}

fn scope(runner: Runner<'_>) -> Result<(Option<i64>, Option<i64>, Who)> {
    match runner {
        Runner::Operator => Ok((
            None,
            None,
            Who {
                user_id: None,
                role: Some("operator".into()),
                org: Some("cli".into()),
            },
        )),
        Runner::User(a) => match (a.role, a.cpas_id, a.office_id) {
            (Role::CpasWorker, Some(c), _) => Ok((Some(c), None, a.who())),
            (Role::OnemOfficer, _, Some(o)) => Ok((None, Some(o), a.who())),
            (Role::OnemSpoc | Role::Administrator, ..) => Ok((None, None, a.who())),
            _ => Err(ServiceError::Forbidden(format!(
                "a {} may not run a reform impact",
                a.role
            ))),
        },
    }
}

/// Runs the comparison; `row` receives each request's row in id order. Audited once.
pub async fn run(
    db: &Db,
    now: DateTime<Utc>,
    runner: Runner<'_>,
    selection: &Selection,
    scenario: &Scenario,
    mut row: impl FnMut(&ImpactRow) -> Result<()>,
) -> Result<Summary> {
    let (only_cpas, only_office, who) = scope(runner)?;
    // Checked once up front: a bad option is the caller's error, not every row's.
    let mut probe = Options::default();
    for o in &scenario.option_overrides {
        probe
            .set(o)
            .map_err(|e| ServiceError::invalid("option", e.to_string()))?;
    }
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &who,
        Event {
            action: "impact_run",
            entity: "impact",
            after: Some(serde_json::json!({
                "selection": selection,
                "proposal": scenario.proposal,
                "options": scenario.option_overrides,
                "parameters": scenario.params.version,
                "as_of": scenario.as_of,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;

    let mut summary = Summary::default();
    let mut after_id = 0i64;
    loop {
        let mut q = request::Entity::find()
            .filter(request::Column::Id.gt(after_id))
            .filter(request::Column::Status.is_in(selection.statuses.clone()));
        for c in [selection.cpas_id, only_cpas].into_iter().flatten() {
            q = q.filter(request::Column::CpasId.eq(c));
        }
        for o in [selection.office_id, only_office].into_iter().flatten() {
            q = q.filter(request::Column::OfficeId.eq(o));
        }
        if only_office.is_some() {
            // An officer sees what was sent to the office, never its drafts.
            q = q.filter(request::Column::SentAt.is_not_null());
        }
        let page = q
            .order_by_asc(request::Column::Id)
            .limit(PAGE)
            .all(&db.reads)
            .await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
        let inputs: std::collections::HashMap<i64, serde_json::Value> =
            request_engine_input::Entity::find()
                .filter(request_engine_input::Column::RequestId.is_in(ids))
                .all(&db.reads)
                .await?
                .into_iter()
                .map(|i| (i.request_id, i.input))
                .collect();
        let work: Vec<(request::Model, Option<serde_json::Value>)> = page
            .into_iter()
            .map(|m| {
                let input = inputs.get(&m.id).cloned();
                (m, input)
            })
            .collect();
        let scenario = scenario.clone();
        let pool = pool()?;
        let rows = tokio::task::spawn_blocking(move || {
            pool.install(|| {
                work.into_par_iter()
                    .map(|(m, input)| compare(&m, input, &scenario))
                    .collect::<Vec<ImpactRow>>()
            })
        })
        .await
        .map_err(|e| ServiceError::Storage(format!("impact computation stopped: {e}")))?;
        for r in &rows {
            summary.add(r);
            row(r)?;
        }
    }
    tracing::info!(requests = summary.requests, "impact run");
    Ok(summary)
}

/// The engine's workers: one per core, with the stack a full explanation needs in a debug
/// build (rayon's default 2 MiB overflowed there).
fn pool() -> Result<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<std::result::Result<rayon::ThreadPool, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(16 * 1024 * 1024)
            .thread_name(|i| format!("impact-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ServiceError::Storage(format!("impact workers: {e}")))
}

fn answer_of(r: &CalcResult) -> Answer {
    Answer {
        end_date: r.end_date(),
        first_benefit_date: r.first_benefit_date(),
        days_to_work: r.days_to_work().map(i64::from),
        requirement: r.winning_option.as_ref().map(|w| w.required),
        regime: r.regime.and_then(|g| {
            serde_json::to_value(g)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        }),
    }
}

/// What the request holds: the engine's answer, or ONEM's where it overrode the end date.
fn held(m: &request::Model) -> (Answer, Option<CalcResult>, bool) {
    let computed: Option<CalcResult> = m
        .result
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let fixed: Option<CalcResult> = m
        .final_result
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let mut a = match &computed {
        Some(r) => answer_of(r),
        None => Answer {
            end_date: m.end_date,
            first_benefit_date: m.first_benefit_date,
            days_to_work: m.days_to_work.map(i64::from),
            requirement: None,
            regime: None,
        },
    };
    let overridden = m.override_end_date.is_some();
    if let Some(end) = m.override_end_date {
        a.end_date = Some(end);
        if let Some(f) = &fixed {
            a.first_benefit_date = f.first_benefit_date();
            a.days_to_work = f.days_to_work().map(i64::from);
        } else {
            a.first_benefit_date = end.succ_opt();
        }
    }
    (a, computed, overridden)
}

fn not_computable(base: ImpactRow, reason: String) -> ImpactRow {
    ImpactRow {
        change: Change::NotComputable,
        reason: Some(reason),
        ..base
    }
}

/// One request: the held answer beside the recomputed one.
pub fn compare(m: &request::Model, input: Option<serde_json::Value>, s: &Scenario) -> ImpactRow {
    let (before, computed, overridden) = held(m);
    let base = ImpactRow {
        request_id: m.id,
        reference: m.reference.clone(),
        cpas_id: m.cpas_id,
        office_id: m.office_id,
        status: m.status,
        contract_start: None,
        before,
        overridden,
        after: None,
        change: Change::Unchanged,
        reason: None,
        diff_days: None,
        diff_working_days: None,
        first_difference: None,
        first_difference_step: None,
    };
    let Some(input) = input else {
        return not_computable(base, NEVER_SENT.into());
    };
    let mut req: CalcRequest = match serde_json::from_value(input) {
        Ok(r) => r,
        Err(e) => return not_computable(base, format!("stored engine input unreadable: {e}")),
    };
    req.today = s.as_of;
    let base = ImpactRow {
        contract_start: req.contract.as_ref().map(|c| c.start),
        ..base
    };
    let mut options = computed
        .as_ref()
        .map(|c| c.options.clone())
        .unwrap_or_default();
    for o in &s.option_overrides {
        if let Err(e) = options.set(o) {
            return not_computable(base, format!("option: {e}"));
        }
    }
    let new = match art60_rules::calculate(&req, &options, &s.params) {
        Ok(r) => r,
        Err(art60_rules::CalcError::NoRuleInForce(n)) => {
            return not_computable(
                base,
                format!("no rule in force for {} on {}", n.parameter, n.date),
            );
        }
        Err(e) => return not_computable(base, e.to_string()),
    };
    let after = answer_of(&new);
    let (diff_days, diff_working_days) = match (base.before.end_date, after.end_date) {
        (Some(a), Some(b)) => (Some((b - a).num_days()), Some(working_days_between(a, b))),
        _ => (None, None),
    };
    let change = match (diff_days, &base.before.end_date, &after.end_date) {
        (Some(d), ..) if d < 0 => Change::Earlier,
        (Some(d), ..) if d > 0 => Change::Later,
        (Some(_), ..) => Change::Unchanged,
        (None, None, None) if base.before.first_benefit_date == after.first_benefit_date => {
            Change::Unchanged
        }
        (None, _, None) => {
            return not_computable(
                ImpactRow {
                    after: Some(after),
                    ..base
                },
                format!("no end date under these rules ({})", outcome_name(&new)),
            );
        }
        _ => Change::Later,
    };
    let step = computed
        .as_ref()
        .and_then(|old| first_difference(old, &new));
    let first_difference = step
        .as_ref()
        .map(|s| s.key.to_string())
        .or_else(|| (change != Change::Unchanged).then(|| "outcome".to_string()));
    ImpactRow {
        after: Some(after),
        change,
        diff_days,
        diff_working_days,
        first_difference,
        first_difference_step: step,
        ..base
    }
}

fn outcome_name(r: &CalcResult) -> String {
    serde_json::to_value(&r.outcome)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "no plan".into())
}

/// The first explanation step that differs (its key or its values), as the new answer has it.
fn first_difference(old: &CalcResult, new: &CalcResult) -> Option<art60_rules::result::Step> {
    let n = old.trace.len().max(new.trace.len());
    (0..n).find_map(|i| match (old.trace.get(i), new.trace.get(i)) {
        (Some(a), Some(b)) if a.key == b.key && a.values == b.values => None,
        (_, Some(b)) => Some(b.clone()),
        (Some(a), None) => Some(a.clone()),
        (None, None) => None,
    })
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn num(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// The columns of the CSV report (the CLI's `--format csv`, the API's and the portal's).
pub const CSV_HEADER: [&str; 21] = [
    "reference",
    "request_id",
    "cpas_id",
    "office_id",
    "status",
    "contract_start",
    "overridden",
    "end_before",
    "end_after",
    "da_before",
    "da_after",
    "days_to_work_before",
    "days_to_work_after",
    "requirement_before",
    "requirement_after",
    "regime_before",
    "regime_after",
    "change",
    "diff_days",
    "diff_working_days",
    "first_difference_or_reason",
];

/// One row of the CSV report, in [`CSV_HEADER`]'s order.
pub fn csv_record(r: &ImpactRow) -> Vec<String> {
    let after = r.after.as_ref();
    vec![
        r.reference.clone(),
        r.request_id.to_string(),
        r.cpas_id.to_string(),
        num(r.office_id),
        r.status.to_string(),
        date(r.contract_start),
        r.overridden.to_string(),
        date(r.before.end_date),
        date(after.and_then(|a| a.end_date)),
        date(r.before.first_benefit_date),
        date(after.and_then(|a| a.first_benefit_date)),
        num(r.before.days_to_work),
        num(after.and_then(|a| a.days_to_work)),
        num(r.before.requirement),
        num(after.and_then(|a| a.requirement)),
        r.before.regime.clone().unwrap_or_default(),
        after.and_then(|a| a.regime.clone()).unwrap_or_default(),
        serde_json::to_value(r.change)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        num(r.diff_days),
        num(r.diff_working_days),
        r.reason
            .clone()
            .or_else(|| r.first_difference.clone())
            .unwrap_or_default(),
    ]
}

/// Both regimes side by side (issue 15 §3): for a contract whose benefit application date
/// falls under other rules than those in force at its start, the answer under the rules of
/// the start, had they continued, beside the one that applies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Regimes {
    /// The day the rules of the DA came into force.
    pub reform: NaiveDate,
    /// The benefit application date of the answer that applies: it decides the rules.
    pub da: NaiveDate,
    /// Regime in force at the contract start (`old`), and the one that applies (`new`).
    pub at_start: String,
    pub applies: String,
    /// The answer under the rules of the start, had they continued (`None`: no answer).
    pub earlier_rules: Option<Answer>,
    /// The answer under the rules that apply (today's parameters).
    pub applying: Answer,
    /// The parameter version of the answer on record when it is not today's (an answer sized
    /// before a reform was published): the columns then differ from the record.
    pub held_parameters: Option<String>,
}

/// [`Regimes`] for a stored request, from its stored engine input (the person's real birth
/// date: the age decides the old rules' requirement) and its computed result. `None` when the
/// contract start and the DA fall under the same rules.
/// `contract_start` (the form's) lets a request under one regime, most of them, answer
/// without reading the stored input: the request page calls this on every view.
pub async fn regimes_of_request(
    db: &Db,
    request_id: i64,
    contract_start: NaiveDate,
    computed: &CalcResult,
) -> Result<Option<Regimes>> {
    if crossing(ParamSet::embedded(), contract_start, computed).is_none() {
        return Ok(None);
    }
    let Some(input) = request_engine_input::Entity::find_by_id(request_id)
        .one(&db.reads)
        .await?
    else {
        return Ok(None);
    };
    let req: CalcRequest = serde_json::from_value(input.input)
        .map_err(|e| ServiceError::Storage(format!("stored engine input unreadable: {e}")))?;
    let computed = computed.clone();
    tokio::task::spawn_blocking(move || regimes(&req, &computed, ParamSet::embedded()))
        .await
        .map_err(|e| ServiceError::Storage(format!("regimes: {e}")))
}

type RegimeEntry = art60_rules::params::Dated<art60_rules::params::RegimeDef>;

/// The regime entries at the contract start and at the answer's DA, when they differ.
fn crossing<'p>(
    params: &'p ParamSet,
    start: NaiveDate,
    result: &CalcResult,
) -> Option<(&'p RegimeEntry, &'p RegimeEntry)> {
    let at_start = params.regime_at(start).ok()?;
    let at_da = params.regime_at(result.first_benefit_date()?).ok()?;
    (at_start.value.id != at_da.value.id).then_some((at_start, at_da))
}

/// [`Regimes`] of one answer under `params` (pure).
pub fn regimes(req: &CalcRequest, result: &CalcResult, params: &ParamSet) -> Option<Regimes> {
    let (at_start, at_da) = crossing(params, req.contract.as_ref()?.start, result)?;
    let da = result.first_benefit_date()?;
    let name = |d: &RegimeEntry| {
        serde_json::to_value(d.value.id)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let earlier = art60_rules::proposal::before(params, at_da.from).ok()?;
    let earlier_rules = art60_rules::calculate(req, &result.options, &earlier)
        .ok()
        .map(|r| answer_of(&r));
    // The rules that apply, as today's parameters say (the record may predate them).
    let held_parameters = (result.parameters.version != params.version)
        .then(|| result.parameters.version.to_string());
    let applying = match &held_parameters {
        None => answer_of(result),
        Some(_) => answer_of(&art60_rules::calculate(req, &result.options, params).ok()?),
    };
    Some(Regimes {
        reform: at_da.from,
        da,
        at_start: name(at_start),
        applies: name(at_da),
        earlier_rules,
        applying,
        held_parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's example: the person turns 36 during a contract begun under the old rules;
    /// the DA falls after 2026-03-01, so 312 days apply where the old rules asked 468.
    #[test]
    fn a_contract_across_the_reform_shows_both_answers() {
        let req: CalcRequest =
            serde_json::from_str(include_str!("../../../examples/crossing-36.json")).unwrap();
        let params = ParamSet::embedded();
        let result = art60_rules::calculate(&req, &Options::default(), params).unwrap();
        let r = regimes(&req, &result, params).expect("the contract straddles the reform");
        assert_eq!(r.reform, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!((r.at_start.as_str(), r.applies.as_str()), ("old", "new"));
        assert_eq!(r.applying.requirement, Some(312));
        let old = r.earlier_rules.expect("an answer under the old rules");
        assert_eq!(old.requirement, Some(468));
        assert!(
            old.end_date > r.applying.end_date,
            "{old:?} vs {:?}",
            r.applying
        );
        assert_eq!(r.applying.end_date, result.end_date());
        assert_eq!(r.held_parameters, None);
        // An answer on record sized before the reform was published: the rules that apply
        // are recomputed, and the record's parameter version is named.
        let before = art60_rules::proposal::before(params, r.reform).unwrap();
        let stale = art60_rules::calculate(&req, &Options::default(), &before).unwrap();
        let s = regimes(&req, &stale, params).unwrap();
        assert_eq!(s.held_parameters.as_deref(), Some(&*before.version));
        assert_eq!(s.applying, r.applying);
        assert_eq!(s.earlier_rules, Some(old));
    }

    #[test]
    fn a_contract_under_one_regime_shows_one_answer() {
        let req: CalcRequest =
            serde_json::from_str(include_str!("../../../examples/full-time.json")).unwrap();
        let params = ParamSet::embedded();
        let result = art60_rules::calculate(&req, &Options::default(), params).unwrap();
        assert!(regimes(&req, &result, params).is_none());
    }
}
