//! Calculation requests and their lifecycle (SPEC §1.3, §1.4):
//! draft → sent → calculated, sent → returned → sent, calculated → (copy) → draft.
//!
//! Every function takes the actor; visibility failures answer "not found" so a caller cannot
//! learn that another organisation's request exists.

use art60_rules::params::{ParamSet, Procedure};
use art60_rules::{CalcRequest, Niss, calendar};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{
    CopyReason, Db, Decision, Role, Status, cpas, derogation, employment, person, request,
};
use crate::error::{FieldError, Result, ServiceError};
use crate::persons::{Page, PageRequest};

/// The procedure figures (deadline, second-calculation window, calculation count) are law as
/// data, from the rules crate's dated parameter set.
pub fn procedure() -> &'static Procedure {
    &ParamSet::embedded().procedure
}

/// The due date of a request received on `receipt` (SPEC §6: the n-th working day after it).
pub fn due_date(receipt: NaiveDate) -> NaiveDate {
    calendar::add_working_days(receipt, procedure().processing_working_days)
}

/// Top-level fields of the request form (the engine input minus `mode` and `today`).
const INPUT_FIELDS: [&str; 7] = [
    "person",
    "contract",
    "history",
    "previous_admissions",
    "last_paid_unemployment",
    "current_right_until",
    "career",
];

/// What the request says about the person: the facts the person record does not hold. The
/// NISS and the birth date come from the record, so a request cannot contradict it.
const PERSON_FACTS: [&str; 4] = [
    "dock_worker_or_fisher",
    "career_start_date",
    "foreign_national",
    "work_permits",
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    /// The case reference ("ticket number"): the only identifier used in messages.
    pub reference: String,
    pub employment_id: i64,
    pub person_id: i64,
    pub cpas_id: i64,
    pub office_id: Option<i64>,
    pub status: Status,
    pub parent_id: Option<i64>,
    pub copy_reason: Option<CopyReason>,
    /// The form: person facts, contract, history, previous admissions, ... (the engine input
    /// without the NISS and birth date, which come from the person record).
    #[schema(value_type = Object)]
    pub input: Value,
    pub contact: Contact,
    /// Sent on or after the contract start (SPEC §1.3.1).
    pub late_request: bool,
    pub received_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The whole engine result, kept as computed even when ONEM overrides it.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    pub engine_version: Option<String>,
    pub end_date: Option<NaiveDate>,
    pub first_benefit_date: Option<NaiveDate>,
    pub days_to_work: Option<i32>,
    pub provisional: Option<bool>,
    pub return_reason: Option<String>,
    pub decision: Option<Decision>,
    pub decision_justification: Option<String>,
    pub override_end_date: Option<NaiveDate>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The one answer that holds: the engine's, or ONEM's override recomputed at its end date.
    #[serde(rename = "final")]
    pub final_answer: FinalAnswer,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a request's answer stands, in the words a CPAS acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A draft: the CPAS's own simulation, nothing sent.
    Simulation,
    /// Sent: ONEM computed it on receipt and has not decided yet.
    AwaitingOnem,
    /// ONEM sent it back to the CPAS (the reason is in `reason`).
    Returned,
    /// ONEM confirmed the computed answer.
    Confirmed,
    /// ONEM set another end date (the justification is in `reason`).
    Modified,
}

/// The final answer of a request: after an override, the end date ONEM set with the DA and
/// the days to work the engine computes for it; otherwise the computed answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FinalAnswer {
    pub standing: Standing,
    pub end_date: Option<NaiveDate>,
    pub first_benefit_date: Option<NaiveDate>,
    pub days_to_work: Option<i32>,
    /// The engine's own end date, when ONEM set another one.
    pub computed_end_date: Option<NaiveDate>,
    /// After an override: whether the rules make the person admissible on the final DA
    /// (`false` means ONEM shortened the contract below what the data given supports).
    pub admissible: Option<bool>,
    /// When ONEM confirmed or modified the answer, and which office (the request's).
    pub decided_at: Option<DateTime<Utc>>,
    pub office_id: Option<i64>,
    /// ONEM's justification of an override, or its reason for returning the request.
    pub reason: Option<String>,
    /// The engine's whole result at ONEM's end date (explanation included), after an override.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
}

impl FinalAnswer {
    pub fn of(m: &request::Model) -> FinalAnswer {
        let standing = match (m.status, m.decision) {
            (Status::Draft, _) => Standing::Simulation,
            (Status::Sent, _) => Standing::AwaitingOnem,
            (Status::Returned, _) => Standing::Returned,
            (Status::Calculated, Some(Decision::Overridden)) => Standing::Modified,
            (Status::Calculated, _) => Standing::Confirmed,
        };
        let decided = matches!(standing, Standing::Confirmed | Standing::Modified);
        let reason = match standing {
            Standing::Returned => m.return_reason.clone(),
            Standing::Modified => m.decision_justification.clone(),
            _ => None,
        };
        let base = FinalAnswer {
            standing,
            end_date: m.end_date,
            first_benefit_date: m.first_benefit_date,
            days_to_work: m.days_to_work,
            computed_end_date: None,
            admissible: None,
            decided_at: if decided { m.decided_at } else { None },
            office_id: m.office_id,
            reason,
            result: None,
        };
        match (standing, m.override_end_date) {
            (Standing::Modified, Some(end)) => {
                let fixed = m.final_result.as_ref();
                let date = |k: &str| {
                    fixed
                        .and_then(|r| r.pointer(&format!("/outcome/{k}")))
                        .and_then(|v| serde_json::from_value::<NaiveDate>(v.clone()).ok())
                };
                FinalAnswer {
                    end_date: Some(end),
                    // Results stored before the engine computed overrides: DA = end + 1 and
                    // the days unknown rather than the computed ones.
                    first_benefit_date: date("first_benefit_date").or(end.succ_opt()),
                    days_to_work: fixed
                        .and_then(|r| r.pointer("/outcome/days_to_work"))
                        .and_then(Value::as_i64)
                        .and_then(|d| i32::try_from(d).ok()),
                    computed_end_date: m.end_date,
                    admissible: fixed
                        .and_then(|r| r.pointer("/outcome/admissible"))
                        .and_then(Value::as_bool),
                    result: m.final_result.clone(),
                    ..base
                }
            }
            _ => base,
        }
    }
}

/// A request's final answer explained in plain language (issue 13 §2): the same text the
/// portal and `art60 calc --explain` give.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Explanation {
    pub standing: Standing,
    /// The answer in one sentence.
    pub answer: String,
    /// Why, one short sentence per reason.
    pub why: Vec<String>,
    /// The calculation step by step.
    pub arithmetic: Vec<String>,
}

impl RequestView {
    /// The explanation of the final answer in `lang`; `None` before the first calculation
    /// (or for a stored result this engine can no longer read).
    pub fn explanation(&self, lang: art60_rules::explain::Lang) -> Option<Explanation> {
        let stored = self
            .final_answer
            .result
            .clone()
            .or_else(|| self.result.clone())?;
        let result: art60_rules::CalcResult = serde_json::from_value(stored).ok()?;
        let p = art60_rules::explain::plain(&result, lang);
        Some(Explanation {
            standing: self.final_answer.standing,
            answer: p.answer,
            why: p.why,
            arithmetic: p.arithmetic,
        })
    }
}

impl From<request::Model> for RequestView {
    fn from(m: request::Model) -> Self {
        let final_answer = FinalAnswer::of(&m);
        RequestView {
            final_answer,
            id: m.id,
            reference: m.reference,
            employment_id: m.employment_id,
            person_id: m.person_id,
            cpas_id: m.cpas_id,
            office_id: m.office_id,
            status: m.status,
            parent_id: m.parent_id,
            copy_reason: m.copy_reason,
            input: m.input,
            contact: Contact {
                name: m.contact_name,
                email: m.contact_email,
                phone: m.contact_phone,
            },
            late_request: m.late_request,
            received_on: m.received_on,
            due_on: m.due_on,
            sent_at: m.sent_at,
            result: m.result,
            engine_version: m.engine_version,
            end_date: m.end_date,
            first_benefit_date: m.first_benefit_date,
            days_to_work: m.days_to_work,
            provisional: m.provisional,
            return_reason: m.return_reason,
            decision: m.decision,
            decision_justification: m.decision_justification,
            override_end_date: m.override_end_date,
            decided_at: m.decided_at,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A list row: no personal data, so lists need no audit entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestSummary {
    pub id: i64,
    pub reference: String,
    pub employment_id: i64,
    pub cpas_id: i64,
    pub status: Status,
    pub copy_reason: Option<CopyReason>,
    pub received_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// The end date that holds: ONEM's override if any, else the computed one.
    pub final_end_date: Option<NaiveDate>,
    pub version: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub employment_id: i64,
    /// Contract, history, previous admissions... as in the engine's `CalcRequest`; `person`
    /// holds only `dock_worker_or_fisher`, `career_start_date`, `foreign_national` and
    /// `work_permits` (the NISS and birth date come from the person record).
    #[schema(value_type = Object)]
    pub input: Value,
    pub contact_name: String,
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestChanges {
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub input: Option<Value>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// Why ONEM returns the request (mandatory).
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Confirm,
    Override,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideInput {
    pub decision: DecisionKind,
    /// For `override`: the end date ONEM sets instead of the computed one.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// For `override`: mandatory.
    #[serde(default)]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInput {
    pub reason: CopyReason,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DerogationInput {
    pub reason: String,
}

fn validate_contact(errors: &mut Vec<FieldError>, name: &str, email: &str) {
    if name.trim().is_empty() || name.len() > 200 {
        errors.push(FieldError::new("contact_name", "1 to 200 characters"));
    }
    if email.len() > 200 || !crate::email::is_valid(email.trim()) {
        errors.push(FieldError::new("contact_email", "an e-mail address"));
    }
}

/// Builds the engine request from the form and the person; errors name the form field.
/// The form's `person` facts are merged with the record's NISS and birth date.
pub fn engine_request(
    input: &Value,
    niss: Option<Niss>,
    birth_date: NaiveDate,
    today: NaiveDate,
) -> Result<CalcRequest> {
    let Value::Object(form) = input else {
        return Err(ServiceError::invalid("input", "must be an object"));
    };
    if let Some(k) = form.keys().find(|k| !INPUT_FIELDS.contains(&k.as_str())) {
        return Err(ServiceError::invalid(format!("input.{k}"), "unknown field"));
    }
    let mut p = match form.get("person") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(facts)) => {
            if let Some(k) = facts.keys().find(|k| !PERSON_FACTS.contains(&k.as_str())) {
                let reason = if k == "niss" || k == "birth_date" {
                    "comes from the person record"
                } else {
                    "unknown field: a request's person holds dock_worker_or_fisher, \
                     career_start_date, foreign_national and work_permits"
                };
                return Err(ServiceError::invalid(format!("input.person.{k}"), reason));
            }
            facts.clone()
        }
        Some(_) => return Err(ServiceError::invalid("input.person", "must be an object")),
    };
    if let Some(n) = niss {
        p.insert("niss".into(), Value::from(n.expose()));
    }
    p.insert("birth_date".into(), Value::from(birth_date.to_string()));
    let mut doc = form.clone();
    doc.insert("mode".into(), Value::from("plan"));
    doc.insert("today".into(), Value::from(today.to_string()));
    doc.insert("person".into(), Value::Object(p));
    let text = Value::Object(doc).to_string();
    CalcRequest::parse(&text).map_err(|e| {
        let path = e.path.trim_start_matches('$').trim_start_matches('.');
        // The record's fields keep their own name; the person facts are the form's.
        let from_record = ["person.niss", "person.birth_date"]
            .iter()
            .any(|r| path == *r || path.starts_with(&format!("{r}.")));
        let field = if from_record {
            path.to_owned()
        } else {
            format!("input.{path}")
        };
        ServiceError::Invalid(vec![FieldError::coded(field, e.code.as_str(), e.reason)])
    })
}

/// The contact the signed-in account gave on its latest request, to start a new request
/// from (the same agent files the next one too); `None` before its first request.
pub async fn last_contact(db: &Db, actor: &Actor) -> Result<Option<Contact>> {
    let latest = request::Entity::find()
        .filter(request::Column::CreatedBy.eq(actor.user_id))
        .order_by_desc(request::Column::CreatedAt)
        .order_by_desc(request::Column::Id)
        .one(&db.reads)
        .await?;
    Ok(latest.map(|r| Contact {
        name: r.contact_name,
        email: r.contact_email,
        phone: r.contact_phone,
    }))
}

/// The person of a case of `cpas_id` as that CPAS registered it (its birth date goes to the
/// engine).
async fn person_of<C: ConnectionTrait>(conn: &C, id: i64, cpas_id: i64) -> Result<person::Model> {
    crate::persons::as_seen_by(conn, id, cpas_id).await
}

fn parse_niss(p: &person::Model) -> Option<Niss> {
    Niss::parse(&p.niss).ok()
}

/// Inserts a new request numbered `A60-YYYY-NNNNNN` from its row id: unique without a shared
/// counter row, so concurrent creations do not queue behind each other.
///
/// PostgreSQL takes the id from the table's sequence in the insert itself and numbers the row
/// in the same statement (it was an insert, then an update: one round trip fewer a creation,
/// issue 16). SQLite (one writer, in the process) keeps the two statements: its next id is
/// known only once the row is in.
async fn insert_numbered<C: ConnectionTrait>(
    conn: &C,
    am: request::ActiveModel,
    year: i32,
) -> Result<request::Model> {
    let prefix = format!("A60-{year}-");
    let backend = conn.get_database_backend();
    if backend != sea_orm::DbBackend::Postgres {
        let mut m = request::ActiveModel {
            // A placeholder until the row has its id (unique, never shown).
            reference: Set(crate::auth::random_secret("pending-")),
            ..am
        }
        .insert(conn)
        .await?;
        let reference = format!("{prefix}{:06}", m.id);
        request::Entity::update_many()
            .col_expr(request::Column::Reference, Expr::value(reference.clone()))
            .filter(request::Column::Id.eq(m.id))
            .exec(conn)
            .await?;
        m.reference = reference;
        return Ok(m);
    }
    // INSERT INTO requests (id, reference, <set columns>) SELECT n.id, <prefix> || <n.id on
    // six digits at least>, <values> FROM (SELECT nextval(<the id sequence>) AS id) n
    let mut columns = vec![request::Column::Id, request::Column::Reference];
    let mut row = Query::select();
    row.expr(Expr::col(("n", "id")))
        .expr(Expr::cust_with_values(
            "$1 || lpad(n.id::text, greatest(6, length(n.id::text)), '0')",
            [prefix],
        ));
    for c in request::Column::iter() {
        if matches!(c, request::Column::Id | request::Column::Reference) {
            continue;
        }
        if let ActiveValue::Set(v) = am.get(c) {
            columns.push(c);
            row.expr(Expr::val(v));
        }
    }
    row.from_subquery(
        Query::select()
            .expr_as(
                Expr::cust("nextval(pg_get_serial_sequence('requests', 'id'))"),
                "id",
            )
            .to_owned(),
        "n",
    );
    let insert = Query::insert()
        .into_table(request::Entity)
        .columns(columns)
        .select_from(row)
        .map_err(|e| DbErr::Custom(format!("numbered insert: {e}")))?
        .returning_all()
        .to_owned();
    request::Model::find_by_statement(backend.build(&insert))
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted.into())
}

fn snapshot(m: &request::Model) -> Value {
    // Audit before/after: the workflow state, not the personal form content (which stays in
    // the request row; the trail records that it changed and who changed it).
    serde_json::json!({
        "status": m.status,
        "version": m.version,
        "input_sha256": crate::auth::sha256_hex(m.input.to_string().as_bytes()),
        "received_on": m.received_on,
        "due_on": m.due_on,
        "end_date": m.end_date,
        "return_reason": m.return_reason,
        "decision": m.decision,
        "decision_justification": m.decision_justification,
        "override_end_date": m.override_end_date,
        "copy_reason": m.copy_reason,
        "parent_id": m.parent_id,
    })
}

fn visible(actor: &Actor, m: &request::Model) -> bool {
    actor.sees_case(m.cpas_id, m.office_id, m.sent_at.is_some())
}

async fn load_visible<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> Result<request::Model> {
    match request::Entity::find_by_id(id).one(conn).await? {
        Some(m) if visible(actor, &m) => Ok(m),
        _ => Err(ServiceError::NotFound("request")),
    }
}

/// A request its reader may see. Only [`open`] and [`open_logged`] make one, after the
/// visibility check, so the sections of a page built from it (the DmfA, the attachments, the
/// contact thread, the duplicates) neither read the row again nor re-check who sees it. It is
/// the caller's: pass it only with the actor it was opened for.
#[derive(Debug)]
pub struct Visible(request::Model);

impl Visible {
    pub fn id(&self) -> i64 {
        self.0.id
    }

    pub fn person_id(&self) -> i64 {
        self.0.person_id
    }

    pub fn reference(&self) -> &str {
        &self.0.reference
    }

    /// Sent to an office: its contact thread is open.
    pub fn sent(&self) -> bool {
        self.0.sent_at.is_some()
    }

    pub(crate) fn model(&self) -> &request::Model {
        &self.0
    }

    /// The request as the API and the portal show it.
    pub fn view(&self) -> RequestView {
        RequestView::from(self.0.clone())
    }
}

/// The request, if the actor sees it (not audited: for checks and sections that are audited
/// on their own, or hold no personal data).
pub async fn open(db: &Db, actor: &Actor, id: i64) -> Result<Visible> {
    load_visible(&db.reads, actor, id).await.map(Visible)
}

/// [`open`] as an audited read of the request, its entry left in `reads`.
pub async fn open_logged(
    db: &Db,
    actor: &Actor,
    id: i64,
    reads: &mut audit::ReadLog,
) -> Result<Visible> {
    let m = load_visible(&db.reads, actor, id).await?;
    reads.read(Event {
        action: "read",
        entity: "request",
        entity_id: Some(m.id),
        person_id: Some(m.person_id),
        ..Default::default()
    });
    Ok(Visible(m))
}

fn check_version(m: &request::Model, if_match: Option<i32>) -> Result<()> {
    match if_match {
        None => Err(ServiceError::PreconditionRequired),
        Some(v) if v != m.version => Err(ServiceError::Stale { current: m.version }),
        Some(_) => Ok(()),
    }
}

fn require_role(actor: &Actor, role: Role, what: &str) -> Result<()> {
    if actor.role == role {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("only a {role} may {what}")))
    }
}

fn refuse_status(m: &request::Model, action: &str, allowed: &[Status]) -> Result<()> {
    if allowed.contains(&m.status) {
        return Ok(());
    }
    let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    Err(ServiceError::refused(
        "wrong_status",
        format!(
            "cannot {action} a request in status {}; allowed from: {}",
            m.status,
            list.join(", ")
        ),
    ))
}

/// Writes `am` only if the row still has version `expected` (two officers cannot both win).
async fn save<C: ConnectionTrait>(
    conn: &C,
    mut am: request::ActiveModel,
    expected: i32,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    am.version = Set(expected + 1);
    am.updated_at = Set(now);
    let id = match &am.id {
        sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => *id,
        sea_orm::ActiveValue::NotSet => {
            return Err(ServiceError::Storage("request id missing".into()));
        }
    };
    let res = request::Entity::update_many()
        .set(am)
        .filter(request::Column::Id.eq(id))
        .filter(request::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        let current = request::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|m| m.version)
            .unwrap_or(expected);
        return Err(ServiceError::Stale { current });
    }
    request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("request"))
}

/// A workflow step: who may take it, from which statuses, under which name it is audited.
struct Step {
    /// The audit action.
    action: &'static str,
    /// The verb in a refusal ("cannot {verb} a request in status ...").
    verb: &'static str,
    role: Role,
    /// For the role refusal: "only a {role} may {what}".
    what: &'static str,
    from: &'static [Status],
    /// The step changes the request row and needs the version the caller read (If-Match).
    versioned: bool,
    /// The other party hears of the new status.
    notifies: bool,
}

const EDIT: Step = Step {
    action: "update",
    verb: "edit",
    role: Role::CpasWorker,
    what: "edit a request",
    from: &[Status::Draft, Status::Returned],
    versioned: true,
    notifies: false,
};
const SEND: Step = Step {
    action: "send",
    verb: "send",
    role: Role::CpasWorker,
    what: "send a request",
    from: &[Status::Draft, Status::Returned],
    versioned: true,
    notifies: true,
};
const RETURN: Step = Step {
    action: "return",
    verb: "return",
    role: Role::OnemOfficer,
    what: "return a request",
    from: &[Status::Sent],
    versioned: true,
    notifies: true,
};
const DECIDE: Step = Step {
    action: "decide",
    verb: "decide on",
    role: Role::OnemOfficer,
    what: "decide on a request",
    from: &[Status::Sent],
    versioned: true,
    notifies: true,
};
const COPY: Step = Step {
    action: "copy",
    verb: "copy",
    role: Role::CpasWorker,
    what: "copy a request",
    from: &[Status::Calculated],
    versioned: false,
    notifies: false,
};

/// Every workflow step goes through one of these, in one write transaction: [`Self::begin`]
/// reads the request again under a row lock, with its employment (whose limits several steps
/// count: calculations, derogations, copies), and checks visibility, role, version and status
/// on that fresh row; the step computes its change on [`Self::tx`]; [`Self::save`] writes it
/// with the version bumped; [`Self::finish`] notifies, audits and commits. Checking before
/// the write transaction let three concurrent decisions on one employment all pass the
/// two-calculation limit.
struct Transition {
    tx: crate::db::WriteTx,
    step: &'static Step,
    /// The request as locked, before the step.
    m: request::Model,
    before: Value,
}

impl Transition {
    async fn begin(
        db: &Db,
        actor: &Actor,
        id: i64,
        if_match: Option<i32>,
        step: &'static Step,
    ) -> Result<Transition> {
        let tx = db.begin_write().await?;
        let m = match request::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&tx.txn)
            .await?
        {
            Some(m) if visible(actor, &m) => m,
            _ => return Err(ServiceError::NotFound("request")),
        };
        require_role(actor, step.role, step.what)?;
        if step.versioned {
            check_version(&m, if_match)?;
        }
        refuse_status(&m, step.verb, step.from)?;
        // PostgreSQL: one step per employment at a time (SQLite: one writer anyway).
        employment::Entity::find_by_id(m.employment_id)
            .lock_exclusive()
            .one(&tx.txn)
            .await?;
        Ok(Transition {
            before: snapshot(&m),
            tx,
            step,
            m,
        })
    }

    fn conn(&self) -> &sea_orm::DatabaseTransaction {
        &self.tx.txn
    }

    /// Writes the change on the request, if it still has the version that was locked.
    async fn save(&self, am: request::ActiveModel, now: DateTime<Utc>) -> Result<request::Model> {
        save(&self.tx.txn, am, self.m.version, now).await
    }

    /// Notifies (when the step does), audits the step on `saved` and commits.
    async fn finish(
        self,
        now: DateTime<Utc>,
        actor: &Actor,
        saved: &request::Model,
        reason: Option<String>,
    ) -> Result<()> {
        if self.step.notifies {
            crate::notify::on_status_change(&self.tx.txn, now, saved).await?;
        }
        audit::append(
            &self.tx.txn,
            now,
            &actor.who(),
            Event {
                action: self.step.action,
                entity: "request",
                entity_id: Some(saved.id),
                person_id: Some(saved.person_id),
                reason,
                before: (saved.id == self.m.id).then_some(self.before),
                after: Some(snapshot(saved)),
            },
        )
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    input: NewRequest,
) -> Result<RequestView> {
    require_role(actor, Role::CpasWorker, "create a request")?;
    let f = filing_of(db, input.employment_id, actor.cpas_id).await?;
    let mut errors = Vec::new();
    validate_contact(&mut errors, &input.contact_name, &input.contact_email);
    if let Err(ServiceError::Invalid(mut e)) =
        engine_request(&input.input, Niss::parse(&f.niss).ok(), f.birth_date, today)
    {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let tx = db.begin_write().await?;
    let am = request::ActiveModel {
        employment_id: Set(f.employment_id),
        person_id: Set(f.person_id),
        cpas_id: Set(f.cpas_id),
        office_id: Set(Some(f.office_id)),
        status: Set(Status::Draft),
        input: Set(input.input),
        contact_name: Set(input.contact_name.trim().to_owned()),
        contact_email: Set(input.contact_email.trim().to_owned()),
        contact_phone: Set(input.contact_phone),
        late_request: Set(false),
        version: Set(1),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let m = insert_numbered(&tx.txn, am, today.year()).await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "create",
            entity: "request",
            entity_id: Some(m.id),
            person_id: Some(m.person_id),
            after: Some(snapshot(&m)),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RequestView::from(m))
}

/// What filing a request needs of its employment: the employment of the caller's CPAS, the
/// CPAS's office, and the person's NISS and birth date as that CPAS registered them.
struct Filing {
    employment_id: i64,
    person_id: i64,
    cpas_id: i64,
    office_id: i64,
    niss: String,
    birth_date: NaiveDate,
}

/// [`Filing`] in one statement (it was four, each a round trip before the transaction: issue
/// 16, request creation). An employment of another CPAS is not found.
async fn filing_of(db: &Db, employment_id: i64, cpas_id: Option<i64>) -> Result<Filing> {
    let not_found = || ServiceError::invalid("employment_id", "no such employment in your CPAS");
    let cpas_id = cpas_id.ok_or_else(not_found)?;
    let backend = db.reads.get_database_backend();
    // The person's row and the CPAS's link to it: a missing one is "person not found", as
    // `persons::as_seen_by` says it.
    let sql = "SELECT e.person_id, c.office_id, p.niss, p.birth_date, l.id, l.birth_date \
               FROM employments e JOIN cpas c ON c.id = e.cpas_id \
               LEFT JOIN persons p ON p.id = e.person_id \
               LEFT JOIN person_links l ON l.person_id = e.person_id AND l.cpas_id = e.cpas_id \
               WHERE e.id = $1 AND e.cpas_id = $2";
    let row = db
        .reads
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [employment_id.into(), cpas_id.into()],
        ))
        .await?
        .ok_or_else(not_found)?;
    let person_id: i64 = row.try_get_by_index(0)?;
    let office_id: i64 = row.try_get_by_index(1)?;
    let niss: Option<String> = row.try_get_by_index(2)?;
    let birth_date: Option<NaiveDate> = row.try_get_by_index(3)?;
    let link: Option<i64> = row.try_get_by_index(4)?;
    let link_birth_date: Option<NaiveDate> = row.try_get_by_index(5)?;
    let (Some(niss), Some(birth_date), Some(_)) = (niss, birth_date, link) else {
        return Err(ServiceError::NotFound("person"));
    };
    Ok(Filing {
        employment_id,
        person_id,
        cpas_id,
        office_id,
        niss,
        birth_date: link_birth_date.unwrap_or(birth_date),
    })
}

/// Reads one request with its result (audited: it holds personal data).
pub async fn get(db: &Db, now: DateTime<Utc>, actor: &Actor, id: i64) -> Result<RequestView> {
    let mut reads = audit::ReadLog::new(now, actor.who());
    let v = get_logged(db, actor, id, &mut reads).await;
    reads.record(db).await?;
    v
}

/// [`get`], its audit entry left in `reads` (to record with the page's other reads).
pub async fn get_logged(
    db: &Db,
    actor: &Actor,
    id: i64,
    reads: &mut audit::ReadLog,
) -> Result<RequestView> {
    Ok(open_logged(db, actor, id, reads).await?.view())
}

/// Other requests the same CPAS filed on their own (not second-calculation copies) for the same
/// person and contract start: a probable duplicate, which the CPAS is warned about but may keep
/// (issue 13 §4). `(id, reference)`, oldest first; empty for a copy and for other roles.
pub async fn same_person_and_start(
    db: &Db,
    actor: &Actor,
    r: &Visible,
) -> Result<Vec<(i64, String)>> {
    let m = r.model();
    if actor.role != Role::CpasWorker || m.parent_id.is_some() {
        return Ok(Vec::new());
    }
    let Some(emp) = employment::Entity::find_by_id(m.employment_id)
        .one(&db.reads)
        .await?
    else {
        return Ok(Vec::new());
    };
    let employments: Vec<i64> = employment::Entity::find()
        .select_only()
        .column(employment::Column::Id)
        .filter(employment::Column::PersonId.eq(m.person_id))
        .filter(employment::Column::CpasId.eq(m.cpas_id))
        .filter(employment::Column::ContractStart.eq(emp.contract_start))
        .into_tuple()
        .all(&db.reads)
        .await?;
    Ok(request::Entity::find()
        .select_only()
        .columns([request::Column::Id, request::Column::Reference])
        .filter(request::Column::EmploymentId.is_in(employments))
        .filter(request::Column::CpasId.eq(m.cpas_id))
        .filter(request::Column::ParentId.is_null())
        .filter(request::Column::Id.ne(m.id))
        .order_by_asc(request::Column::Id)
        .into_tuple()
        .all(&db.reads)
        .await?)
}

/// Lists the requests the actor may see, oldest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    status: Option<Status>,
    page: PageRequest,
) -> Result<Page<RequestSummary>> {
    // Only the summary's columns: not the form nor the engine result with its trace.
    let mut q = request::Entity::find()
        .select_only()
        .columns([
            request::Column::Id,
            request::Column::Reference,
            request::Column::EmploymentId,
            request::Column::CpasId,
            request::Column::Status,
            request::Column::CopyReason,
            request::Column::ReceivedOn,
            request::Column::DueOn,
            request::Column::EndDate,
            request::Column::OverrideEndDate,
            request::Column::Version,
        ])
        .filter(request::Column::Id.gt(page.after_id))
        .order_by_asc(request::Column::Id)
        .limit(page.limit + 1);
    q = match (actor.role, actor.cpas_id, actor.office_id) {
        (Role::CpasWorker, Some(c), _) => q.filter(request::Column::CpasId.eq(c)),
        (Role::OnemOfficer, _, Some(o)) => q
            .filter(request::Column::OfficeId.eq(o))
            .filter(request::Column::SentAt.is_not_null()),
        _ => {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        }
    };
    if let Some(s) = status {
        q = q.filter(request::Column::Status.eq(s));
    }
    let rows: Vec<RequestSummary> = q
        .into_model::<RequestSummaryRow>()
        .all(&db.reads)
        .await?
        .into_iter()
        .map(RequestSummary::from)
        .collect();
    Ok(page.page(rows, |r| r.id))
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct RequestSummaryRow {
    id: i64,
    reference: String,
    employment_id: i64,
    cpas_id: i64,
    status: Status,
    copy_reason: Option<CopyReason>,
    received_on: Option<NaiveDate>,
    due_on: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    override_end_date: Option<NaiveDate>,
    version: i32,
}

impl From<RequestSummaryRow> for RequestSummary {
    fn from(m: RequestSummaryRow) -> Self {
        RequestSummary {
            id: m.id,
            reference: m.reference,
            employment_id: m.employment_id,
            cpas_id: m.cpas_id,
            status: m.status,
            copy_reason: m.copy_reason,
            received_on: m.received_on,
            due_on: m.due_on,
            end_date: m.end_date,
            final_end_date: m.override_end_date.or(m.end_date),
            version: m.version,
        }
    }
}

/// The contract start of each employment in `ids` (no personal data: for lists).
pub async fn contract_starts(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, NaiveDate>> {
    Ok(employment::Entity::find()
        .filter(employment::Column::Id.is_in(ids.iter().copied()))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|e| (e.id, e.contract_start))
        .collect())
}

/// A request of a list the actor may read: its id, person and employment.
pub(crate) struct VisibleRequest {
    pub id: i64,
    pub person_id: i64,
    pub employment_id: i64,
    pub cpas_id: i64,
}

/// Those of `request_ids` the actor may read (the same rule as reading each one), in one
/// query: what the portal's lists add beside their lean items.
pub(crate) async fn visible_among(
    db: &Db,
    actor: &Actor,
    request_ids: &[i64],
) -> Result<Vec<VisibleRequest>> {
    type Row = (i64, i64, i64, i64, Option<i64>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::PersonId)
        .column(request::Column::EmploymentId)
        .column(request::Column::CpasId)
        .column(request::Column::OfficeId)
        .column(request::Column::SentAt)
        .filter(request::Column::Id.is_in(request_ids.iter().copied()))
        .into_tuple()
        .all(&db.reads)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(.., cpas, office, sent)| actor.sees_case(*cpas, *office, sent.is_some()))
        .map(
            |(id, person_id, employment_id, cpas_id, ..)| VisibleRequest {
                id,
                person_id,
                employment_id,
                cpas_id,
            },
        )
        .collect())
}

/// The contract start of each of these requests the actor may read, by request id (the
/// office's queue lists it; the queue's own items stay lean for the JSON API).
pub async fn contract_starts_by_request(
    db: &Db,
    actor: &Actor,
    request_ids: &[i64],
) -> Result<std::collections::HashMap<i64, NaiveDate>> {
    if request_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let reqs: Vec<(i64, i64)> = visible_among(db, actor, request_ids)
        .await?
        .into_iter()
        .map(|v| (v.id, v.employment_id))
        .collect();
    let employments: Vec<i64> = reqs.iter().map(|(_, e)| *e).collect();
    let starts = contract_starts(db, &employments).await?;
    Ok(reqs
        .into_iter()
        .filter_map(|(id, e)| starts.get(&e).map(|d| (id, *d)))
        .collect())
}

pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: i64,
    if_match: Option<i32>,
    changes: RequestChanges,
) -> Result<RequestView> {
    let t = Transition::begin(db, actor, id, if_match, &EDIT).await?;
    let m = &t.m;
    let p = person_of(t.conn(), m.person_id, m.cpas_id).await?;
    let mut errors = Vec::new();
    let name = changes
        .contact_name
        .clone()
        .unwrap_or_else(|| m.contact_name.clone());
    let email = changes
        .contact_email
        .clone()
        .unwrap_or_else(|| m.contact_email.clone());
    validate_contact(&mut errors, &name, &email);
    if let Some(input) = &changes.input
        && let Err(ServiceError::Invalid(mut e)) =
            engine_request(input, parse_niss(&p), p.birth_date, today)
    {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut am: request::ActiveModel = m.clone().into();
    if let Some(input) = changes.input {
        am.input = Set(input);
    }
    am.contact_name = Set(name.trim().to_owned());
    am.contact_email = Set(email.trim().to_owned());
    if changes.contact_phone.is_some() {
        am.contact_phone = Set(changes.contact_phone);
    }
    let saved = t.save(am, now).await?;
    t.finish(now, actor, &saved, None).await?;
    Ok(RequestView::from(saved))
}

/// The end date a calculated request fixed: ONEM's override if any, else the computed one.
pub(crate) fn fixed_end(m: &request::Model) -> Option<NaiveDate> {
    m.override_end_date.or(m.end_date)
}

/// At most `max_calculations` calculated requests per employment, plus its derogations.
async fn check_calculation_count<C: ConnectionTrait>(conn: &C, employment_id: i64) -> Result<()> {
    let proc = procedure();
    let emp = employment::Entity::find_by_id(employment_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("employment"))?;
    let done = request::Entity::find()
        .filter(request::Column::EmploymentId.eq(employment_id))
        .filter(request::Column::Status.eq(Status::Calculated))
        .count(conn)
        .await?;
    let allowed = u64::from(proc.max_calculations) + u64::try_from(emp.derogations).unwrap_or(0);
    if done >= allowed {
        return Err(ServiceError::refused(
            "calculation_limit",
            format!(
                "this employment already has {done} calculations; at most {} are allowed ({}) unless ONEM grants a derogation",
                proc.max_calculations, proc.reference
            ),
        ));
    }
    Ok(())
}

/// Checks the limits on calculations for this employment (SPEC §1.3.5).
async fn check_calculation_limits<C: ConnectionTrait>(
    conn: &C,
    m: &request::Model,
    today: NaiveDate,
) -> Result<()> {
    check_calculation_count(conn, m.employment_id).await?;
    // A recalculation for events during the contract only in the window before its end.
    if m.copy_reason == Some(CopyReason::EventImpact)
        && let Some(parent_id) = m.parent_id
        && let Some(parent) = request::Entity::find_by_id(parent_id).one(conn).await?
    {
        check_second_calculation_window(&parent, today)?;
    }
    Ok(())
}

/// SPEC §1.3.7: a second calculation (events during the contract) only from
/// `second_calc_window_start_days` to `second_calc_window_end_days` before the end `parent`
/// fixed. Checked when the copy is made (no draft that could never be sent) and when it is sent.
fn check_second_calculation_window(parent: &request::Model, today: NaiveDate) -> Result<()> {
    let proc = procedure();
    let Some(end) = fixed_end(parent) else {
        return Ok(());
    };
    let from = end - Duration::days(i64::from(proc.second_calc_window_start_days));
    let until = end - Duration::days(i64::from(proc.second_calc_window_end_days));
    if today < from || today > until {
        let reason = if today < from {
            format!(
                "a second calculation may be asked from {from} to {until} ({} to {} days before the contract end {end}, {}); it will be allowed from {from}",
                proc.second_calc_window_start_days,
                proc.second_calc_window_end_days,
                proc.reference
            )
        } else {
            format!(
                "a second calculation had to be asked between {from} and {until} (before the contract end {end}); the window is closed"
            )
        };
        return Err(ServiceError::Refused {
            code: "outside_window",
            reason,
            allowed_from: (today < from).then_some(from),
            allowed_until: (today < from).then_some(until),
        });
    }
    Ok(())
}

/// Sends a draft (or returned) request: stamps receipt and due date, runs the engine.
pub async fn send(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: i64,
    if_match: Option<i32>,
) -> Result<RequestView> {
    let t = Transition::begin(db, actor, id, if_match, &SEND).await?;
    let m = &t.m;
    let p = person_of(t.conn(), m.person_id, m.cpas_id).await?;
    // Form errors first (they name the form's fields), then the workflow limits.
    engine_request(&m.input, parse_niss(&p), p.birth_date, today)?;
    check_calculation_limits(t.conn(), m, today).await?;
    // The typed and DmfA periods, each conflict settled by the CPAS (unsettled: refused).
    let calculation = crate::dmfa_review::calculate(t.conn(), m, &p, today).await?;
    let calc = &calculation.calc;
    let stored = calculation.stored.clone();
    let office_id = cpas::Entity::find_by_id(m.cpas_id)
        .one(t.conn())
        .await?
        .map(|c| c.office_id);
    let contract_start = calc.contract.as_ref().map(|c| c.start);
    let mut am: request::ActiveModel = m.clone().into();
    am.status = Set(Status::Sent);
    am.office_id = Set(office_id);
    am.received_on = Set(Some(today));
    am.due_on = Set(Some(due_date(today)));
    am.sent_at = Set(Some(now));
    am.late_request = Set(contract_start.is_some_and(|s| today >= s));
    // The result embeds its options, parameter versions and trace.
    am.result = Set(Some(stored.result));
    am.engine_version = Set(Some(stored.engine_version));
    am.end_date = Set(stored.end_date);
    am.first_benefit_date = Set(stored.first_benefit_date);
    am.days_to_work = Set(stored.days_to_work.and_then(|d| i32::try_from(d).ok()));
    am.provisional = Set(Some(stored.provisional));
    am.return_reason = Set(None);
    let saved = t.save(am, now).await?;
    crate::dmfa_review::store_calculation(t.conn(), now, saved.id, &calculation, None).await?;
    if let Some(start) = contract_start {
        employment::Entity::update_many()
            .col_expr(employment::Column::ContractStart, Expr::value(start))
            .filter(employment::Column::Id.eq(saved.employment_id))
            .exec(t.conn())
            .await?;
    }
    t.finish(now, actor, &saved, None).await?;
    Ok(RequestView::from(saved))
}

/// [`crate::pii::check_free_text`] for a text about `person_id` in a case of `cpas_id`: refused
/// with 422 on `field` when it carries the person's NISS or the name that CPAS registered
/// (only that one: a refusal naming another CPAS's spelling would disclose it).
pub(crate) async fn check_text_about<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: i64,
    field: &str,
    text: &str,
) -> Result<()> {
    let p = crate::persons::as_seen_by(conn, person_id, cpas_id)
        .await
        .ok();
    let mut errors = Vec::new();
    crate::pii::check_free_text(
        &mut errors,
        field,
        text,
        p.as_ref().map(|p| crate::pii::Names {
            last_name: &p.last_name,
            first_name: &p.first_name,
        }),
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// ONEM returns a sent request to the CPAS, with a mandatory reason.
pub async fn return_to_cpas(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    if_match: Option<i32>,
    input: ReturnInput,
) -> Result<RequestView> {
    let t = Transition::begin(db, actor, id, if_match, &RETURN).await?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.len() > 4000 {
        return Err(ServiceError::invalid(
            "reason",
            "required (1 to 4000 characters)",
        ));
    }
    check_text_about(t.conn(), t.m.person_id, t.m.cpas_id, "reason", reason).await?;
    let mut am: request::ActiveModel = t.m.clone().into();
    am.status = Set(Status::Returned);
    am.return_reason = Set(Some(reason.to_owned()));
    let saved = t.save(am, now).await?;
    t.finish(now, actor, &saved, Some(reason.to_owned()))
        .await?;
    Ok(RequestView::from(saved))
}

/// ONEM confirms the computed result or overrides it (with a justification) and publishes.
pub async fn decide(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    if_match: Option<i32>,
    input: DecideInput,
) -> Result<RequestView> {
    let t = Transition::begin(db, actor, id, if_match, &DECIDE).await?;
    let m = &t.m;
    let justification = input
        .justification
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if let Some(j) = &justification {
        check_text_about(t.conn(), m.person_id, m.cpas_id, "justification", j).await?;
    }
    // Requests sent side by side must not publish more calculations than allowed either;
    // the employment is locked, so concurrent decisions count one after the other.
    check_calculation_count(t.conn(), m.employment_id).await?;
    let (decision, end) = match input.decision {
        DecisionKind::Confirm => {
            if m.end_date.is_none() {
                return Err(ServiceError::refused(
                    "nothing_to_confirm",
                    "the engine found no end date; override it with a justification",
                ));
            }
            (Decision::Confirmed, None)
        }
        DecisionKind::Override => {
            let mut errors = Vec::new();
            if justification.is_none() {
                errors.push(FieldError::new(
                    "justification",
                    "required to override the computed result",
                ));
            }
            if input.end_date.is_none() {
                errors.push(FieldError::new(
                    "end_date",
                    "required to override the computed result",
                ));
            }
            if !errors.is_empty() {
                return Err(ServiceError::Invalid(errors));
            }
            (Decision::Overridden, input.end_date)
        }
    };
    // ONEM's end date goes through the engine like the computed one: the DA, the days to
    // work and the explanation of the final answer are the law's, not a date plus one.
    let final_result = match end {
        Some(e) => Some(fixed_end_result(t.conn(), m, e).await?),
        None => None,
    };
    let mut am: request::ActiveModel = m.clone().into();
    am.status = Set(Status::Calculated);
    am.decision = Set(Some(decision));
    am.decision_justification = Set(justification.clone());
    am.override_end_date = Set(end);
    am.final_result = Set(final_result);
    am.decided_by = Set(Some(actor.user_id));
    am.decided_at = Set(Some(now));
    let saved = t.save(am, now).await?;
    t.finish(now, actor, &saved, justification).await?;
    Ok(RequestView::from(saved))
}

/// The engine's result at ONEM's end date `end`, on the exact input the request was last
/// computed with (typed and DmfA periods) and the options of that computation.
async fn fixed_end_result<C: ConnectionTrait>(
    conn: &C,
    m: &request::Model,
    end: NaiveDate,
) -> Result<Value> {
    let row = crate::db::request_engine_input::Entity::find_by_id(m.id)
        .one(conn)
        .await?
        .ok_or_else(|| {
            ServiceError::Storage(format!("request {} has no stored engine input", m.id))
        })?;
    let calc: CalcRequest = serde_json::from_value(row.input)
        .map_err(|e| ServiceError::Storage(format!("stored engine input unreadable: {e}")))?;
    let options = m
        .result
        .as_ref()
        .and_then(|r| r.get("options"))
        .and_then(|o| serde_json::from_value(o.clone()).ok())
        .unwrap_or_default();
    let stored = crate::engine::run_fixed_end(&calc, end, &options).map_err(|e| match e {
        crate::engine::EngineError::Input { path, code, reason } if path == "end_date" => {
            ServiceError::Invalid(vec![FieldError::coded("end_date", code.as_str(), reason)])
        }
        crate::engine::EngineError::Input { path, reason, .. } => {
            ServiceError::Storage(format!("stored engine input refused at {path}: {reason}"))
        }
        crate::engine::EngineError::NoRuleInForce { date } => ServiceError::refused(
            "no_rule_in_force",
            format!("no admissibility rule is in force on {date}"),
        ),
    })?;
    Ok(stored.result)
}

/// "Options" on a calculated request: an editable copy, for one of the two allowed reasons.
pub async fn copy(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    input: CopyInput,
) -> Result<RequestView> {
    let t = Transition::begin(db, actor, id, None, &COPY).await?;
    let m = &t.m;
    if input.reason == CopyReason::EventImpact {
        let today = now.with_timezone(&chrono_tz::Europe::Brussels).date_naive();
        check_second_calculation_window(m, today)?;
    }
    let year = now.with_timezone(&chrono_tz::Europe::Brussels).year();
    let c = request::ActiveModel {
        employment_id: Set(m.employment_id),
        person_id: Set(m.person_id),
        cpas_id: Set(m.cpas_id),
        office_id: Set(m.office_id),
        status: Set(Status::Draft),
        parent_id: Set(Some(m.id)),
        copy_reason: Set(Some(input.reason)),
        input: Set(m.input.clone()),
        contact_name: Set(m.contact_name.clone()),
        contact_email: Set(m.contact_email.clone()),
        contact_phone: Set(m.contact_phone.clone()),
        late_request: Set(false),
        version: Set(1),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let c = insert_numbered(t.conn(), c, year).await?;
    // The copy is the new row: audited as such, with the reason (no "before").
    t.finish(now, actor, &c, Some(input.reason.as_str().to_owned()))
        .await?;
    Ok(RequestView::from(c))
}

/// ONEM allows one more calculation for an employment of a CPAS its office serves.
pub async fn grant_derogation(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    employment_id: i64,
    input: DerogationInput,
) -> Result<crate::persons::EmploymentView> {
    let emp = employment::Entity::find_by_id(employment_id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("employment"))?;
    let sent_any = request::Entity::find()
        .filter(request::Column::EmploymentId.eq(employment_id))
        .filter(request::Column::SentAt.is_not_null())
        .filter(request::Column::OfficeId.eq(actor.office_id.unwrap_or(-1)))
        .count(&db.reads)
        .await?
        > 0;
    let cpas_worker_sees = actor.role == Role::CpasWorker && actor.cpas_id == Some(emp.cpas_id);
    if !(cpas_worker_sees || actor.role == Role::OnemOfficer && sent_any) {
        return Err(ServiceError::NotFound("employment"));
    }
    require_role(actor, Role::OnemOfficer, "grant a derogation")?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.len() > 4000 {
        return Err(ServiceError::invalid(
            "reason",
            "required (1 to 4000 characters)",
        ));
    }
    check_text_about(&db.reads, emp.person_id, emp.cpas_id, "reason", reason).await?;
    let tx = db.begin_write().await?;
    derogation::ActiveModel {
        employment_id: Set(employment_id),
        granted_by: Set(actor.user_id),
        reason: Set(reason.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    employment::Entity::update_many()
        .col_expr(
            employment::Column::Derogations,
            Expr::col(employment::Column::Derogations).add(1),
        )
        .filter(employment::Column::Id.eq(employment_id))
        .exec(&tx.txn)
        .await?;
    let emp = employment::Entity::find_by_id(employment_id)
        .one(&tx.txn)
        .await?
        .ok_or(ServiceError::NotFound("employment"))?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "grant_derogation",
            entity: "employment",
            entity_id: Some(employment_id),
            person_id: Some(emp.person_id),
            reason: Some(reason.to_owned()),
            after: Some(serde_json::json!({"derogations": emp.derogations})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(emp.into())
}

/// Reads an employment (its CPAS's workers, or an officer who received one of its requests).
pub async fn get_employment(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> Result<crate::persons::EmploymentView> {
    let emp = employment::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("employment"))?;
    let ok = match actor.role {
        Role::CpasWorker => actor.cpas_id == Some(emp.cpas_id),
        Role::OnemOfficer => {
            request::Entity::find()
                .filter(request::Column::EmploymentId.eq(id))
                .filter(request::Column::SentAt.is_not_null())
                .filter(request::Column::OfficeId.eq(actor.office_id.unwrap_or(-1)))
                .count(&db.reads)
                .await?
                > 0
        }
        _ => false,
    };
    if !ok {
        return Err(ServiceError::NotFound("employment"));
    }
    Ok(emp.into())
}

/// For attachments: the request, if the actor sees it.
pub async fn visible_request(db: &Db, actor: &Actor, id: i64) -> Result<request::Model> {
    load_visible(&db.reads, actor, id).await
}

/// Second-line access by case reference (ticket number): the ONEM SPOC answering an
/// escalation, or an administrator's break-glass access. A reason is mandatory and the
/// opening is audited with it (SPEC §1.2, §9). Drafts never sent are not cases yet.
pub async fn open_by_reference(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    reference: &str,
    reason: Option<&str>,
) -> Result<RequestView> {
    if !matches!(actor.role, Role::OnemSpoc | Role::Administrator) {
        return Err(ServiceError::Forbidden(
            "opening a case by reference is for the ONEM SPOC and administrators".into(),
        ));
    }
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.len() <= 4000);
    let Some(reason) = reason else {
        return Err(ServiceError::invalid(
            "reason",
            "required (1 to 4000 characters)",
        ));
    };
    let m = request::Entity::find()
        .filter(request::Column::Reference.eq(reference))
        .filter(request::Column::SentAt.is_not_null())
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("case"))?;
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "open_case",
            entity: "request",
            entity_id: Some(m.id),
            person_id: Some(m.person_id),
            reason: Some(reason.to_owned()),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RequestView::from(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The due date is a working day with exactly the procedure's number of working days
        /// in (receipt, due], whatever the receipt date (weekends and holidays included).
        #[test]
        fn due_date_is_the_nth_working_day_after_receipt(days in 0i64..20_000) {
            let receipt = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(days);
            let due = due_date(receipt);
            prop_assert!(due > receipt);
            prop_assert!(calendar::is_working_day(due));
            prop_assert_eq!(
                calendar::working_days_between(receipt, due),
                i64::from(procedure().processing_working_days)
            );
        }
    }
}
