//! Settling conflicts between typed periods and the DmfA, and calculating with both.
//!
//! The calculation gets the typed and the DmfA periods side by side, so a typed duplicate of a
//! declared job would count twice. Each conflict (`art60_dmfa::reconcile`) must therefore be
//! resolved by the CPAS before sending: "use the DmfA" leaves the typed period out for the
//! overlapping quarters, "keep my period" (with a justification) leaves the overlapping DmfA
//! quarters out. What was left out, and why, is stored with each calculation.
//!
//! A later DmfA import that changes a person's stored quarters recalculates their `sent`
//! requests (the same call as at send) and marks them for the officer; `calculated` requests
//! never change, they only get a notice that newer DmfA data exists.

use std::collections::BTreeMap;

use art60_dmfa::{Conflict, ConflictKind};
use art60_rules::input::{HistoryItem, Quarter, Source};
use art60_rules::{CalcRequest, Niss};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event, Who};
use crate::auth::Actor;
use crate::db::{
    Db, Role, Status, dmfa_resolution, person, request, request_dmfa_review, request_engine_input,
};
use crate::engine::{self, EngineError, Stored};
use crate::error::{FieldError, Result, ServiceError};

/// The code of a send refused for an unresolved conflict (a field error per conflict).
pub const UNRESOLVED: &str = "dmfa_conflict_unresolved";

/// Longest justification kept.
const MAX_JUSTIFICATION: usize = 2000;

/// The CPAS's answer to one conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// The DmfA is right: the typed period is left out for the overlapping quarters.
    UseDmfa,
    /// The typed period is right (justification mandatory): the overlapping DmfA quarters are
    /// left out.
    KeepTyped,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::UseDmfa => "use_dmfa",
            Choice::KeepTyped => "keep_typed",
        }
    }
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "use_dmfa" => Some(Choice::UseDmfa),
            "keep_typed" => Some(Choice::KeepTyped),
            _ => None,
        }
    }
}

/// A resolution as sent: the conflict by the indices shown in the request's DmfA view.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// Index of the typed period (`typed[manual]`).
    pub manual: usize,
    /// Index of the DmfA period (`dmfa[dmfa]`).
    pub dmfa: usize,
    pub choice: Choice,
    /// Mandatory with `keep_typed`.
    #[serde(default)]
    pub justification: Option<String>,
}

impl std::fmt::Debug for ResolveInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The justification is free text about the person: never in Debug output.
        f.debug_struct("ResolveInput")
            .field("manual", &self.manual)
            .field("dmfa", &self.dmfa)
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

/// A stored resolution, as shown to the CPAS and the officer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resolution {
    pub choice: Choice,
    pub justification: Option<String>,
    pub decided_by: i64,
    pub decided_at: DateTime<Utc>,
}

/// One conflict of the DmfA view and how it was settled (none yet: sending is refused).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub conflict: Conflict,
    pub resolution: Option<Resolution>,
}

/// A part of a period the calculation did not get, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeftOut {
    /// `manual` (a typed period, index into the form's history) or `dmfa` (index into the
    /// DmfA periods of the view).
    #[schema(value_type = String)]
    pub source: Source,
    pub index: usize,
    pub employer: Option<String>,
    /// The days left out (whole quarters of the overlap).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub choice: Choice,
    /// The conflict kind (`duplicate`, `overlapping_work`, `absence_also_declared`,
    /// `contradiction`).
    pub conflict: String,
    pub justification: Option<String>,
}

/// What the officer should know about the DmfA since the last calculation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DmfaChange {
    pub at: DateTime<Utc>,
    /// `recalculated` (a sent request: the result shown is the new one), `not_recalculated`
    /// (a sent request the new data makes incalculable as it stands: see `detail`),
    /// `newer_dmfa` (a calculated request: never changed, newer data exists).
    pub outcome: String,
    pub detail: Option<String>,
}

/// The key of a typed period: its whole content, so that editing it reopens its conflicts.
pub fn typed_key(h: &HistoryItem) -> String {
    crate::auth::sha256_hex(serde_json::to_string(h).unwrap_or_default().as_bytes())
}

/// The key of a DmfA period: employer and first day (a later quarter extends the period but
/// keeps the resolution).
pub fn dmfa_key(h: &HistoryItem) -> String {
    format!("{}|{}", h.employer.as_deref().unwrap_or(""), h.start)
}

/// The history given to the engine once the resolutions are applied.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub history: Vec<HistoryItem>,
    /// For each item of `history`: where it comes from (source and index in its list).
    pub origin: Vec<(Source, usize)>,
    pub left_out: Vec<LeftOut>,
    pub unresolved: Vec<Conflict>,
}

fn kind_name(k: ConflictKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whole quarters covering `from..=to`.
fn quarters_of(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    (Quarter::of(from).start(), Quarter::of(to).end())
}

/// `item` without the days of `cuts`; declared quarters follow their piece.
fn cut(item: &HistoryItem, cuts: &[(NaiveDate, NaiveDate)]) -> Vec<HistoryItem> {
    let mut cuts = cuts.to_vec();
    cuts.sort_unstable();
    let piece = |s: NaiveDate, e: NaiveDate| {
        let mut p = item.clone();
        p.start = s;
        p.end = e;
        p.quarters
            .retain(|q| q.quarter.end() >= s && q.quarter.start() <= e);
        p
    };
    let mut out = Vec::new();
    let mut cur = Some(item.start);
    for (a, b) in cuts {
        let Some(c) = cur else { break };
        if b < c {
            continue;
        }
        if a > c
            && let Some(before) = a.pred_opt()
        {
            out.push(piece(c, before.min(item.end)));
        }
        cur = b.succ_opt().filter(|n| *n <= item.end);
    }
    if let Some(c) = cur
        && c <= item.end
    {
        out.push(piece(c, item.end));
    }
    out
}

/// Applies the stored resolutions to the conflicts between `typed` and `dmfa`.
pub fn apply(
    typed: &[HistoryItem],
    dmfa: &[HistoryItem],
    conflicts: &[Conflict],
    resolutions: &[dmfa_resolution::Model],
) -> Applied {
    let mut typed_cuts: BTreeMap<usize, Vec<(NaiveDate, NaiveDate)>> = BTreeMap::new();
    let mut dmfa_cuts: BTreeMap<usize, Vec<(NaiveDate, NaiveDate)>> = BTreeMap::new();
    let mut out = Applied::default();
    for c in conflicts {
        let (Some(t), Some(d)) = (typed.get(c.manual), dmfa.get(c.dmfa)) else {
            continue;
        };
        let (tk, dk) = (typed_key(t), dmfa_key(d));
        let Some(r) = resolutions
            .iter()
            .find(|r| r.typed_key == tk && r.dmfa_key == dk)
        else {
            out.unresolved.push(c.clone());
            continue;
        };
        let Some(choice) = Choice::parse(&r.choice) else {
            out.unresolved.push(c.clone());
            continue;
        };
        let (from, to) = quarters_of(c.overlap_start, c.overlap_end);
        let (source, index, item, cuts) = match choice {
            Choice::UseDmfa => (Source::Manual, c.manual, t, &mut typed_cuts),
            Choice::KeepTyped => (Source::Dmfa, c.dmfa, d, &mut dmfa_cuts),
        };
        let (from, to) = (from.max(item.start), to.min(item.end));
        cuts.entry(index).or_default().push((from, to));
        out.left_out.push(LeftOut {
            source,
            index,
            employer: item.employer.clone(),
            from,
            to,
            choice,
            conflict: kind_name(c.kind),
            justification: r.justification.clone(),
        });
    }
    for (list, source, cuts) in [
        (typed, Source::Manual, &typed_cuts),
        (dmfa, Source::Dmfa, &dmfa_cuts),
    ] {
        for (i, item) in list.iter().enumerate() {
            let pieces = match cuts.get(&i) {
                Some(c) => cut(item, c),
                None => vec![item.clone()],
            };
            for p in pieces {
                out.history.push(p);
                out.origin.push((source, i));
            }
        }
    }
    out
}

/// A request's calculation with its DmfA periods and resolutions applied.
#[derive(Debug, Clone)]
pub struct Calculation {
    pub calc: CalcRequest,
    pub stored: Stored,
    pub left_out: Vec<LeftOut>,
}

fn contract_start(calc: &CalcRequest) -> Option<NaiveDate> {
    calc.contract.as_ref().map(|c| c.start)
}

/// The typed and DmfA periods of a request, and their conflicts.
pub struct Sides {
    pub typed: Vec<HistoryItem>,
    pub dmfa: art60_dmfa::PersonHistory,
    pub conflicts: Vec<Conflict>,
}

pub async fn sides<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: i64,
    niss: Option<Niss>,
    typed: Vec<HistoryItem>,
    contract_start: Option<NaiveDate>,
) -> Result<Sides> {
    let dmfa = match niss {
        Some(n) => crate::dmfa::person_history(conn, person_id, cpas_id, n, contract_start).await?,
        None => art60_dmfa::PersonHistory {
            items: Vec::new(),
            notes: Vec::new(),
            declared_quarters: Vec::new(),
        },
    };
    let conflicts = art60_dmfa::reconcile(&typed, &dmfa.items);
    Ok(Sides {
        typed,
        dmfa,
        conflicts,
    })
}

pub async fn resolutions_of<C: ConnectionTrait>(
    conn: &C,
    request_id: i64,
) -> Result<Vec<dmfa_resolution::Model>> {
    Ok(dmfa_resolution::Entity::find()
        .filter(dmfa_resolution::Column::RequestId.eq(request_id))
        .order_by_asc(dmfa_resolution::Column::Id)
        .all(conn)
        .await?)
}

/// The field errors of a send refused for unresolved conflicts: one per conflict, on the
/// typed period.
pub fn unresolved_errors(unresolved: &[Conflict]) -> Vec<FieldError> {
    unresolved
        .iter()
        .map(|c| {
            FieldError::coded(
                format!("input.history[{}]", c.manual),
                UNRESOLVED,
                format!(
                    "{} (dmfa[{}], {:?}): choose \"use the DmfA\" or \"keep my period\" with a justification",
                    c.message, c.dmfa, c.kind
                ),
            )
        })
        .collect()
}

/// Runs the engine on a request as at send: the form, the person's DmfA periods, the stored
/// resolutions. Refused while a conflict is unresolved (a field error per conflict).
pub async fn calculate<C: ConnectionTrait>(
    conn: &C,
    m: &request::Model,
    p: &person::Model,
    today: NaiveDate,
) -> Result<Calculation> {
    let niss = Niss::parse(&p.niss).ok();
    let mut calc = crate::requests::engine_request(&m.input, niss, p.birth_date, today)?;
    let start = contract_start(&calc);
    let typed = std::mem::take(&mut calc.history);
    let s = sides(conn, p.id, m.cpas_id, niss, typed, start).await?;
    let resolutions = resolutions_of(conn, m.id).await?;
    let applied = apply(&s.typed, &s.dmfa.items, &s.conflicts, &resolutions);
    if !applied.unresolved.is_empty() {
        return Err(ServiceError::Invalid(unresolved_errors(
            &applied.unresolved,
        )));
    }
    calc.history = applied.history;
    let origin = applied.origin;
    let stored = engine::run(&calc).map_err(|e| match e {
        EngineError::Input { path, code, reason } => {
            let path = path.trim_start_matches('$').trim_start_matches('.');
            ServiceError::Invalid(vec![match history_index(path) {
                Some((n, rest)) => match origin.get(n) {
                    // The engine refused a DmfA period (it contradicts a typed one): name it.
                    Some((Source::Dmfa, k)) => FieldError::coded(
                        format!("dmfa[{k}]{rest}"),
                        code.as_str(),
                        format!(
                            "{reason} (a DmfA period: settle the conflict with the typed periods, see the request's DmfA view)"
                        ),
                    ),
                    Some((_, i)) => FieldError::coded(
                        format!("input.history[{i}]{rest}"),
                        code.as_str(),
                        reason,
                    ),
                    None => FieldError::coded(format!("input.{path}"), code.as_str(), reason),
                },
                None => FieldError::coded(format!("input.{path}"), code.as_str(), reason),
            }])
        }
        EngineError::NoRuleInForce { date } => ServiceError::refused(
            "no_rule_in_force",
            format!("no admissibility rule is in force on {date}"),
        ),
    })?;
    Ok(Calculation {
        calc,
        stored,
        left_out: applied.left_out,
    })
}

/// `history[N]rest` → `(N, rest)`.
fn history_index(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("history[")?;
    let close = rest.find(']')?;
    let n: usize = rest[..close].parse().ok()?;
    Some((n, &rest[close + 1..]))
}

/// Stores the engine input and what it left out (replacing the previous calculation's).
pub async fn store_calculation<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    request_id: i64,
    c: &Calculation,
    change: Option<(&str, Option<String>)>,
) -> Result<()> {
    let engine_input = serde_json::to_value(&c.calc)
        .map_err(|e| ServiceError::Storage(format!("engine input not serialisable: {e}")))?;
    request_engine_input::Entity::delete_by_id(request_id)
        .exec(conn)
        .await?;
    request_engine_input::ActiveModel {
        request_id: Set(request_id),
        input: Set(engine_input),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    let left_out = serde_json::to_value(&c.left_out)
        .map_err(|e| ServiceError::Storage(format!("left-out list not serialisable: {e}")))?;
    request_dmfa_review::Entity::delete_by_id(request_id)
        .exec(conn)
        .await?;
    request_dmfa_review::ActiveModel {
        request_id: Set(request_id),
        left_out: Set(left_out),
        calculated_at: Set(now),
        dmfa_changed_at: Set(change.as_ref().map(|_| now)),
        change_outcome: Set(change.as_ref().map(|(o, _)| (*o).to_owned())),
        change_detail: Set(change.and_then(|(_, d)| d)),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Marks a request whose calculation was not redone although the DmfA changed.
async fn mark_changed<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    request_id: i64,
    outcome: &str,
    detail: Option<String>,
) -> Result<()> {
    match request_dmfa_review::Entity::find_by_id(request_id)
        .one(conn)
        .await?
    {
        Some(row) => {
            let mut am: request_dmfa_review::ActiveModel = row.into();
            am.dmfa_changed_at = Set(Some(now));
            am.change_outcome = Set(Some(outcome.to_owned()));
            am.change_detail = Set(detail);
            am.update(conn).await?;
        }
        None => {
            request_dmfa_review::ActiveModel {
                request_id: Set(request_id),
                left_out: Set(serde_json::json!([])),
                calculated_at: Set(now),
                dmfa_changed_at: Set(Some(now)),
                change_outcome: Set(Some(outcome.to_owned())),
                change_detail: Set(detail),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// What the last calculation left out, and the DmfA change notice, of a request.
pub async fn review_of<C: ConnectionTrait>(
    conn: &C,
    request_id: i64,
) -> Result<(Vec<LeftOut>, Option<DmfaChange>)> {
    let Some(row) = request_dmfa_review::Entity::find_by_id(request_id)
        .one(conn)
        .await?
    else {
        return Ok((Vec::new(), None));
    };
    let left_out: Vec<LeftOut> = serde_json::from_value(row.left_out)
        .map_err(|e| ServiceError::Storage(format!("left-out list unreadable: {e}")))?;
    let change = match (row.dmfa_changed_at, row.change_outcome) {
        (Some(at), Some(outcome)) => Some(DmfaChange {
            at,
            outcome,
            detail: row.change_detail,
        }),
        _ => None,
    };
    Ok((left_out, change))
}

/// The history the last calculation of a request got (typed and DmfA periods after the
/// resolutions), for the timeline; `None` before the first calculation. The caller has
/// checked that the actor sees the request.
pub async fn engine_history<C: ConnectionTrait>(
    conn: &C,
    request_id: i64,
) -> Result<Option<Vec<HistoryItem>>> {
    let Some(row) = request_engine_input::Entity::find_by_id(request_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    match row.input.get("history") {
        Some(h) => serde_json::from_value(h.clone())
            .map(Some)
            .map_err(|e| ServiceError::Storage(format!("stored engine input unreadable: {e}"))),
        None => Ok(Some(Vec::new())),
    }
}

/// The conflicts of a request with their stored resolutions.
pub fn conflict_views(s: &Sides, resolutions: &[dmfa_resolution::Model]) -> Vec<ConflictView> {
    s.conflicts
        .iter()
        .map(|c| {
            let resolution = match (s.typed.get(c.manual), s.dmfa.items.get(c.dmfa)) {
                (Some(t), Some(d)) => {
                    let (tk, dk) = (typed_key(t), dmfa_key(d));
                    resolutions
                        .iter()
                        .find(|r| r.typed_key == tk && r.dmfa_key == dk)
                        .and_then(|r| {
                            Some(Resolution {
                                choice: Choice::parse(&r.choice)?,
                                justification: r.justification.clone(),
                                decided_by: r.decided_by,
                                decided_at: r.decided_at,
                            })
                        })
                }
                _ => None,
            };
            ConflictView {
                conflict: c.clone(),
                resolution,
            }
        })
        .collect()
}

/// The typed periods of a request's form.
pub fn typed_of(m: &request::Model) -> Result<Vec<HistoryItem>> {
    match m.input.get("history") {
        Some(h) => serde_json::from_value(h.clone())
            .map_err(|e| ServiceError::invalid("input.history", e.to_string())),
        None => Ok(Vec::new()),
    }
}

/// The contract start of a request's form, if typed.
pub fn form_contract_start(m: &request::Model) -> Option<NaiveDate> {
    m.input
        .get("contract")
        .and_then(|c| c.get("start"))
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse::<NaiveDate>().ok())
}

/// The CPAS settles one conflict of a request it may still edit (draft or returned).
/// Audited; the justification is kept in the resolution, the trail holds its SHA-256.
pub async fn resolve(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    request_id: i64,
    input: ResolveInput,
) -> Result<crate::dmfa::DmfaView> {
    let m = crate::requests::visible_request(db, actor, request_id).await?;
    if actor.role != Role::CpasWorker {
        return Err(ServiceError::Forbidden(
            "only a CPAS worker settles DmfA conflicts".into(),
        ));
    }
    if !matches!(m.status, Status::Draft | Status::Returned) {
        return Err(ServiceError::refused(
            "wrong_status",
            format!(
                "cannot settle a DmfA conflict of a request in status {}; allowed from: draft, returned",
                m.status
            ),
        ));
    }
    let justification = input
        .justification
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty())
        .map(str::to_owned);
    if input.choice == Choice::KeepTyped && justification.is_none() {
        return Err(ServiceError::Invalid(vec![FieldError::coded(
            "justification",
            "required",
            "keeping the typed period needs a justification",
        )]));
    }
    if justification
        .as_ref()
        .is_some_and(|j| j.chars().count() > MAX_JUSTIFICATION)
    {
        return Err(ServiceError::invalid(
            "justification",
            format!("at most {MAX_JUSTIFICATION} characters"),
        ));
    }
    let p = person::Entity::find_by_id(m.person_id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let s = sides(
        &db.reads,
        p.id,
        m.cpas_id,
        Niss::parse(&p.niss).ok(),
        typed_of(&m)?,
        form_contract_start(&m),
    )
    .await?;
    let Some(c) = s
        .conflicts
        .iter()
        .find(|c| c.manual == input.manual && c.dmfa == input.dmfa)
        .cloned()
    else {
        return Err(ServiceError::invalid(
            "manual",
            "no conflict between these typed and DmfA periods",
        ));
    };
    let (Some(t), Some(d)) = (s.typed.get(c.manual), s.dmfa.items.get(c.dmfa)) else {
        return Err(ServiceError::invalid("manual", "no such period"));
    };
    let (tk, dk) = (typed_key(t), dmfa_key(d));
    let tx = db.begin_write().await?;
    dmfa_resolution::Entity::delete_many()
        .filter(dmfa_resolution::Column::RequestId.eq(request_id))
        .filter(dmfa_resolution::Column::TypedKey.eq(tk.clone()))
        .filter(dmfa_resolution::Column::DmfaKey.eq(dk.clone()))
        .exec(&tx.txn)
        .await?;
    dmfa_resolution::ActiveModel {
        request_id: Set(request_id),
        typed_key: Set(tk),
        dmfa_key: Set(dk),
        choice: Set(input.choice.as_str().to_owned()),
        justification: Set(justification.clone()),
        decided_by: Set(actor.user_id),
        decided_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "resolve_dmfa_conflict",
            entity: "request",
            entity_id: Some(request_id),
            person_id: Some(m.person_id),
            after: Some(serde_json::json!({
                "manual": c.manual,
                "dmfa": c.dmfa,
                "kind": c.kind,
                "choice": input.choice,
                "justification_sha256": justification
                    .as_ref()
                    .map(|j| crate::auth::sha256_hex(j.as_bytes())),
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    crate::dmfa::for_request(db, now, actor, request_id).await
}

/// After an import changed the stored quarters of these persons: recalculates their `sent`
/// requests and marks their `calculated` ones. Runs in the import's transaction. Returns the
/// number of requests recalculated.
pub async fn after_import<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    today: NaiveDate,
    who: &Who,
    persons: &[(i64, i64)],
) -> Result<u64> {
    // `add` on a column expression (a trait whose `min`/`max` would shadow dates' elsewhere).
    use sea_orm::sea_query::ExprTrait as _;
    let mut recalculated = 0;
    for &(pid, cpas_id) in persons {
        let rows = request::Entity::find()
            .filter(request::Column::PersonId.eq(pid))
            .filter(request::Column::CpasId.eq(cpas_id))
            .filter(request::Column::Status.is_in([Status::Sent, Status::Calculated]))
            .order_by_asc(request::Column::Id)
            .all(conn)
            .await?;
        if rows.is_empty() {
            continue;
        }
        let p = crate::persons::as_seen_by(conn, pid, cpas_id).await?;
        for m in rows {
            if m.status == Status::Calculated {
                // SPEC: a calculated request never changes; the officer and the CPAS see that
                // newer DmfA data exists.
                mark_changed(conn, now, m.id, "newer_dmfa", None).await?;
                audit_change(conn, now, who, &m, "newer_dmfa", None).await?;
                continue;
            }
            match calculate(conn, &m, &p, today).await {
                Ok(c) => {
                    let before = serde_json::json!({"version": m.version, "end_date": m.end_date});
                    let s = &c.stored;
                    let res = request::Entity::update_many()
                        .col_expr(request::Column::Result, Expr::value(s.result.clone()))
                        .col_expr(
                            request::Column::EngineVersion,
                            Expr::value(s.engine_version.clone()),
                        )
                        .col_expr(request::Column::EndDate, Expr::value(s.end_date))
                        .col_expr(
                            request::Column::FirstBenefitDate,
                            Expr::value(s.first_benefit_date),
                        )
                        .col_expr(
                            request::Column::DaysToWork,
                            Expr::value(s.days_to_work.and_then(|d| i32::try_from(d).ok())),
                        )
                        .col_expr(request::Column::Provisional, Expr::value(s.provisional))
                        // A decision form opened on the old result is refused as stale.
                        .col_expr(
                            request::Column::Version,
                            Expr::col(request::Column::Version).add(1),
                        )
                        .col_expr(request::Column::UpdatedAt, Expr::value(now))
                        .filter(request::Column::Id.eq(m.id))
                        .filter(request::Column::Status.eq(Status::Sent))
                        .exec(conn)
                        .await?;
                    if res.rows_affected != 1 {
                        continue;
                    }
                    store_calculation(conn, now, m.id, &c, Some(("recalculated", None))).await?;
                    let after = serde_json::json!({
                        "version": m.version + 1,
                        "end_date": s.end_date,
                        "left_out": c.left_out.len(),
                    });
                    audit::append(
                        conn,
                        now,
                        who,
                        Event {
                            action: "recalculate",
                            entity: "request",
                            entity_id: Some(m.id),
                            person_id: Some(m.person_id),
                            reason: Some("DmfA changed since the last calculation".into()),
                            before: Some(before),
                            after: Some(after),
                        },
                    )
                    .await?;
                    recalculated += 1;
                }
                Err(ServiceError::Invalid(errors)) => {
                    // New data the CPAS has to look at (a new conflict...): the last result
                    // stays, the officer is told why it was not redone (no personal data).
                    let detail = errors
                        .iter()
                        .map(|f| match &f.code {
                            Some(c) => format!("{}: {c}", f.field),
                            None => f.field.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    mark_changed(conn, now, m.id, "not_recalculated", Some(detail.clone())).await?;
                    audit_change(conn, now, who, &m, "not_recalculated", Some(detail)).await?;
                }
                Err(ServiceError::Refused { code, .. }) => {
                    let detail = Some(code.to_owned());
                    mark_changed(conn, now, m.id, "not_recalculated", detail.clone()).await?;
                    audit_change(conn, now, who, &m, "not_recalculated", detail).await?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(recalculated)
}

async fn audit_change<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    who: &Who,
    m: &request::Model,
    outcome: &str,
    detail: Option<String>,
) -> Result<()> {
    audit::append(
        conn,
        now,
        who,
        Event {
            action: "dmfa_changed",
            entity: "request",
            entity_id: Some(m.id),
            person_id: Some(m.person_id),
            after: Some(serde_json::json!({"outcome": outcome, "detail": detail})),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use art60_rules::input::{PeriodKind, QuarterDeclaration};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn item(kind: PeriodKind, s: &str, e: &str, source: Source) -> HistoryItem {
        HistoryItem {
            kind,
            start: d(s),
            end: d(e),
            employer: Some("123:".into()),
            source,
            ..HistoryItem::default()
        }
    }

    fn resolution(t: &HistoryItem, dm: &HistoryItem, choice: Choice) -> dmfa_resolution::Model {
        dmfa_resolution::Model {
            id: 1,
            request_id: 1,
            typed_key: typed_key(t),
            dmfa_key: dmfa_key(dm),
            choice: choice.as_str().into(),
            justification: Some("C4 of the employer".into()),
            decided_by: 1,
            decided_at: DateTime::<Utc>::default(),
        }
    }

    #[test]
    fn cut_keeps_the_days_around_and_the_declared_quarters_of_each_piece() {
        let mut it = item(PeriodKind::Work, "2022-01-01", "2022-12-31", Source::Dmfa);
        it.quarters = ["2022Q1", "2022Q2", "2022Q3", "2022Q4"]
            .iter()
            .map(|q| QuarterDeclaration {
                quarter: q.parse().unwrap(),
                lines: vec![],
            })
            .collect();
        let p = cut(&it, &[(d("2022-04-01"), d("2022-06-30"))]);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].start, p[0].end), (d("2022-01-01"), d("2022-03-31")));
        assert_eq!((p[1].start, p[1].end), (d("2022-07-01"), d("2022-12-31")));
        assert_eq!(p[0].quarters.len(), 1);
        assert_eq!(p[1].quarters.len(), 2);
        assert!(cut(&it, &[(d("2021-01-01"), d("2023-01-01"))]).is_empty());
        let p = cut(&it, &[(d("2022-01-01"), d("2022-03-31"))]);
        assert_eq!((p[0].start, p[0].end), (d("2022-04-01"), d("2022-12-31")));
    }

    #[test]
    fn each_choice_leaves_out_the_other_side_for_the_overlapping_quarters() {
        let t = item(
            PeriodKind::Detention,
            "2022-05-10",
            "2022-08-20",
            Source::Manual,
        );
        let dm = item(PeriodKind::Work, "2021-01-01", "2022-12-31", Source::Dmfa);
        let conflicts = art60_dmfa::reconcile(std::slice::from_ref(&t), std::slice::from_ref(&dm));
        assert_eq!(conflicts.len(), 1);
        // Unresolved: reported, nothing left out.
        let a = apply(
            std::slice::from_ref(&t),
            std::slice::from_ref(&dm),
            &conflicts,
            &[],
        );
        assert_eq!(a.unresolved.len(), 1);
        assert_eq!(a.history.len(), 2);

        let a = apply(
            std::slice::from_ref(&t),
            std::slice::from_ref(&dm),
            &conflicts,
            &[resolution(&t, &dm, Choice::UseDmfa)],
        );
        assert!(a.unresolved.is_empty());
        // The typed detention lies wholly in 2022Q2..Q3: it is left out entirely.
        assert_eq!(a.history.len(), 1);
        assert_eq!(a.origin, vec![(Source::Dmfa, 0)]);
        assert_eq!(a.left_out[0].source, Source::Manual);
        assert_eq!(a.left_out[0].conflict, "contradiction");

        let a = apply(
            std::slice::from_ref(&t),
            std::slice::from_ref(&dm),
            &conflicts,
            &[resolution(&t, &dm, Choice::KeepTyped)],
        );
        // The DmfA work loses 2022Q2 and 2022Q3, keeps the rest; the detention stays whole.
        let spans: Vec<_> = a
            .history
            .iter()
            .map(|h| (h.source, h.start, h.end))
            .collect();
        assert_eq!(
            spans,
            vec![
                (Source::Manual, d("2022-05-10"), d("2022-08-20")),
                (Source::Dmfa, d("2021-01-01"), d("2022-03-31")),
                (Source::Dmfa, d("2022-10-01"), d("2022-12-31")),
            ]
        );
        assert_eq!(
            (a.left_out[0].from, a.left_out[0].to),
            (d("2022-04-01"), d("2022-09-30"))
        );
        assert_eq!(
            a.left_out[0].justification.as_deref(),
            Some("C4 of the employer")
        );

        // Editing the typed period reopens the conflict.
        let mut edited = t.clone();
        edited.end = d("2022-08-21");
        let c2 = art60_dmfa::reconcile(std::slice::from_ref(&edited), std::slice::from_ref(&dm));
        let a = apply(
            &[edited],
            std::slice::from_ref(&dm),
            &c2,
            &[resolution(&t, &dm, Choice::UseDmfa)],
        );
        assert_eq!(a.unresolved.len(), 1);
    }
}
