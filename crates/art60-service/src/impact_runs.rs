//! Stored reform impact runs (issue 15 §2): the portal's and the API's side of
//! [`crate::impact::run`]. A run is computed once, stored with its rows (read by its creator
//! only: it holds the creator's scope, which another user may not share), shown again with
//! filters or as CSV, and from it an officer or the ONEM SPOC may invite the affected CPAS to
//! ask a second calculation.

use art60_rules::params::ParamSet;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{Db, NotificationKind, Role, Status, impact_run, request};
use crate::error::{FieldError, Result, ServiceError};
use crate::impact::{self, Change, ImpactRow, Runner, Scenario, Selection, Summary};
use crate::notify::{self, Audience};

/// Rows kept with a run. Beyond it the summary still counts every request; the rows are cut
/// (`truncated`) so one stored run stays near 11 MB at most (about 535 bytes of JSON a row on
/// the demo data). The CLI has no such limit.
pub const MAX_STORED_ROWS: usize = 20_000;

/// Largest proposal text accepted (a proposal is a few dated entries).
pub const MAX_PROPOSAL_BYTES: usize = 64 * 1024;

/// Example proposals the portal offers (file name, text), each checked by a test.
pub const EXAMPLES: [(&str, &str); 2] = [
    (
        "shorter-2027.toml",
        include_str!("../proposals/shorter-2027.toml"),
    ),
    (
        "longer-2027.toml",
        include_str!("../proposals/longer-2027.toml"),
    ),
];

/// What to run: the body of `POST /api/v1/impact-runs` and the portal's form.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewImpactRun {
    /// A reform proposal (TOML, the shape of `params/belgium.toml`); none: today's rules.
    pub proposal: Option<String>,
    /// Policy options `name=value`, set on top of each request's own.
    #[serde(default)]
    pub options: Vec<String>,
    /// The recomputation's calculation day (default: today in Brussels).
    pub as_of: Option<NaiveDate>,
    /// Statuses to include (default: sent and calculated).
    pub statuses: Option<Vec<Status>>,
    pub cpas_id: Option<i64>,
    pub office_id: Option<i64>,
}

/// A stored run without its rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactRunView {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// The parameter set's version (with the proposal's id when there is one).
    pub parameters: String,
    /// The proposal's id, version and changes; none: today's rules.
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<Value>,
    pub options: Vec<String>,
    pub as_of: NaiveDate,
    pub selection: Selection,
    pub summary: Summary,
    /// More requests than [`MAX_STORED_ROWS`]: only the first ones' rows are kept.
    pub truncated: bool,
}

/// A run with its rows (filtered).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactRunRows {
    #[serde(flatten)]
    pub run: ImpactRunView,
    pub rows: Vec<ImpactRow>,
}

/// Which rows to show.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RowFilter {
    pub change: Option<Change>,
    pub cpas_id: Option<i64>,
}

impl RowFilter {
    pub fn keeps(&self, r: &ImpactRow) -> bool {
        self.change.is_none_or(|c| c == r.change) && self.cpas_id.is_none_or(|c| c == r.cpas_id)
    }
}

/// What notifying from a run did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NotifyOutcome {
    /// Requests whose CPAS was told now.
    pub notified: u64,
    /// Requests already notified from this run (nothing sent again).
    pub already: u64,
    /// Requests that end earlier but whose new window has already closed.
    pub window_passed: u64,
}

fn status_list(s: &[Status]) -> String {
    s.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks the input and builds the scenario; errors name the field (`proposal.<path>`).
pub fn scenario(input: &NewImpactRun, today: NaiveDate) -> Result<(Scenario, Selection)> {
    let mut errors = Vec::new();
    let (params, proposal) = match input.proposal.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            if text.len() > MAX_PROPOSAL_BYTES {
                return Err(ServiceError::invalid(
                    "proposal",
                    format!("longer than {MAX_PROPOSAL_BYTES} bytes"),
                ));
            }
            match art60_rules::proposal::apply(ParamSet::embedded(), text) {
                Ok(a) => (a.params, Some(a.summary)),
                Err(art60_rules::proposal::ProposalError::Invalid { path, reason }) => {
                    return Err(ServiceError::invalid(format!("proposal.{path}"), reason));
                }
                Err(e) => return Err(ServiceError::invalid("proposal", e.to_string())),
            }
        }
        _ => (ParamSet::embedded().clone(), None),
    };
    let mut probe = art60_rules::options::Options::default();
    for o in &input.options {
        if let Err(e) = probe.set(o) {
            errors.push(FieldError::new("options", format!("{o}: {e}")));
        }
    }
    let statuses = input
        .statuses
        .clone()
        .unwrap_or_else(|| Selection::default().statuses);
    if statuses.is_empty() {
        errors.push(FieldError::new("statuses", "pick at least one status"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok((
        Scenario {
            params,
            proposal,
            option_overrides: input.options.clone(),
            as_of: input.as_of.unwrap_or(today),
        },
        Selection {
            statuses,
            cpas_id: input.cpas_id,
            office_id: input.office_id,
        },
    ))
}

fn view(m: &impact_run::Model) -> Result<ImpactRunView> {
    let bad = |what: &str, e: serde_json::Error| {
        ServiceError::Storage(format!("impact run {}: {what} unreadable: {e}", m.id))
    };
    Ok(ImpactRunView {
        id: m.id,
        created_at: m.created_at,
        parameters: m.parameters.clone(),
        proposal: m.proposal.clone().filter(|p| !p.is_null()),
        options: serde_json::from_value(m.options.clone()).map_err(|e| bad("options", e))?,
        as_of: m.as_of,
        selection: serde_json::from_value(m.selection.clone()).map_err(|e| bad("selection", e))?,
        summary: serde_json::from_value(m.summary.clone()).map_err(|e| bad("summary", e))?,
        truncated: m.truncated,
    })
}

/// Runs the comparison as `actor` (scoped like the cases, audited by `impact::run`) and
/// stores it. The run and its rows are written in one transaction.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    input: &NewImpactRun,
) -> Result<ImpactRunView> {
    // The role first: a federation SPOC is refused before the input is looked at.
    if !matches!(
        actor.role,
        Role::CpasWorker | Role::OnemOfficer | Role::OnemSpoc | Role::Administrator
    ) {
        return Err(ServiceError::Forbidden(format!(
            "a {} may not run a reform impact",
            actor.role
        )));
    }
    let (scenario, selection) = scenario(input, today)?;
    let mut rows: Vec<ImpactRow> = Vec::new();
    let mut truncated = false;
    let summary = impact::run(db, now, Runner::User(actor), &selection, &scenario, |r| {
        if rows.len() < MAX_STORED_ROWS {
            rows.push(r.clone());
        } else {
            truncated = true;
        }
        Ok(())
    })
    .await?;
    let proposal = scenario.proposal.as_ref().map(to_json);
    let tx = db.begin_write().await?;
    let saved = impact_run::ActiveModel {
        created_by: Set(actor.user_id),
        created_at: Set(now),
        parameters: Set(scenario.params.version.to_string()),
        proposal: Set(proposal),
        options: Set(json!(scenario.option_overrides)),
        as_of: Set(scenario.as_of),
        selection: Set(to_json(&selection)),
        summary: Set(to_json(&summary)),
        rows: Set(to_json(&rows)),
        truncated: Set(truncated),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    tx.commit().await?;
    tracing::info!(
        run = saved.id,
        requests = summary.requests,
        statuses = %status_list(&selection.statuses),
        "impact run stored"
    );
    view(&saved)
}

/// Plain data to a JSON value; these types (strings, numbers, dates, maps keyed by integers,
/// which serde_json writes as strings) always serialise.
fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

async fn own(db: &Db, actor: &Actor, id: i64) -> Result<impact_run::Model> {
    impact_run::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .filter(|m| m.created_by == actor.user_id)
        // Another user's run is as unknown as a missing one: its existence says nothing.
        .ok_or_else(|| ServiceError::NotFound("impact run"))
}

/// The runs `actor` created, newest first, without rows.
pub async fn list(db: &Db, actor: &Actor, limit: u64) -> Result<Vec<ImpactRunView>> {
    impact_run::Entity::find()
        .filter(impact_run::Column::CreatedBy.eq(actor.user_id))
        .order_by_desc(impact_run::Column::Id)
        .limit(limit.clamp(1, 100))
        .all(&db.reads)
        .await?
        .iter()
        .map(view)
        .collect()
}

/// A run of `actor`'s with the rows `filter` keeps. The rows hold references and dates, no
/// person data: reading them is not a read of a person (names come separately, audited).
pub async fn get(db: &Db, actor: &Actor, id: i64, filter: &RowFilter) -> Result<ImpactRunRows> {
    let m = own(db, actor, id).await?;
    let run = view(&m)?;
    let rows: Vec<ImpactRow> = serde_json::from_value(m.rows)
        .map_err(|e| ServiceError::Storage(format!("impact run {id}: rows unreadable: {e}")))?;
    Ok(ImpactRunRows {
        run,
        rows: rows.into_iter().filter(|r| filter.keeps(r)).collect(),
    })
}

/// The second calculation's window for a contract ending on `end` (SPEC: 30 to 15 days
/// before the end, from the rules crate's procedure parameters).
pub fn window(end: NaiveDate) -> (NaiveDate, NaiveDate) {
    let proc = crate::requests::procedure();
    (
        end - Duration::days(i64::from(proc.second_calc_window_start_days)),
        end - Duration::days(i64::from(proc.second_calc_window_end_days)),
    )
}

/// From a run of theirs, an officer or the ONEM SPOC tells the CPAS of each request that ends
/// earlier that it may ask a second calculation in the new window. Exactly once per request
/// and run: the outbox is unique on (recipient, kind, request, occasion `impact<run>`), so a
/// second call inserts nothing. Requests whose new window has closed are skipped.
pub async fn notify_cpas(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: i64,
) -> Result<NotifyOutcome> {
    if !matches!(actor.role, Role::OnemOfficer | Role::OnemSpoc) {
        return Err(ServiceError::Forbidden(
            "only an ONEM officer or the ONEM SPOC notifies the CPAS from a reform impact".into(),
        ));
    }
    let run = get(
        db,
        actor,
        id,
        &RowFilter {
            change: Some(Change::Earlier),
            cpas_id: None,
        },
    )
    .await?;
    let mut out = NotifyOutcome::default();
    let occasion = format!("impact{id}");
    let tx = db.begin_write().await?;
    for chunk in run.rows.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.request_id).collect();
        let models: std::collections::HashMap<i64, request::Model> = request::Entity::find()
            .filter(request::Column::Id.is_in(ids))
            .all(&tx.txn)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        for r in chunk {
            let (Some(m), Some(end)) = (
                models.get(&r.request_id),
                r.after.as_ref().and_then(|a| a.end_date),
            ) else {
                continue;
            };
            let (from, until) = window(end);
            if until < today {
                out.window_passed += 1;
                continue;
            }
            let extra = json!({
                "from": from,
                "until": until,
                "end": end,
                "end_before": r.before.end_date,
                "run": id,
            });
            let n = notify::enqueue(
                &tx.txn,
                now,
                NotificationKind::ReformImpact,
                Audience::Cpas,
                m,
                &occasion,
                extra,
            )
            .await?;
            if n > 0 {
                out.notified += 1;
            } else {
                out.already += 1;
            }
        }
    }
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "impact_notify",
            entity: "impact",
            entity_id: Some(id),
            after: Some(json!({
                "notified": out.notified,
                "already": out.already,
                "window_passed": out.window_passed,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// CSV of rows, the columns of `art60 impact --format csv`.
pub fn csv(rows: &[ImpactRow]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ServiceError::Storage(format!("writing CSV: {e}"));
    w.write_record(impact::CSV_HEADER).map_err(err)?;
    for r in rows {
        w.write_record(impact::csv_record(r)).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ServiceError::Storage(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ServiceError::Storage(format!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_example_proposals_apply() {
        for (name, text) in super::EXAMPLES {
            let a = art60_rules::proposal::apply(art60_rules::params::ParamSet::embedded(), text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(format!("{}.toml", a.summary.id), name);
        }
    }
}
