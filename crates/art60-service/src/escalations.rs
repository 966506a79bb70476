//! Escalation of a request to the CPAS's federation SPOC, and on to ONEM's central service
//! (SPEC §1.6). An escalation carries a ticket number and a random pseudonym instead of the
//! case: the federation SPOC never sees the request id, its reference, the NISS or a name.
//! Only the CPAS of the request and the ONEM SPOC can resolve the pseudonym (the ONEM SPOC
//! with a reason, audited, SPEC §9). Every step is audited.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{
    Db, EscalationStatus, Federation, Role, cpas, escalation, escalation_link, person, request,
};
use crate::error::{FieldError, Result, ServiceError};
use crate::messages::{self, ContactRecord};
use crate::requests::{self, RequestView};

/// SPEC §1.6 "nobody solved the problem despite several requests": the CPAS must have written
/// to its office at least this many times, on different days, in the request's thread.
/// "Several" is read as at least two; a named constant so ONEM can settle it in one place.
pub const MIN_CONTACT_DAYS: usize = 2;

/// SPEC §1.6: the missing solution delays payment by **more than one month**.
pub const PAYMENT_DELAY_MONTHS: u32 = 1;

pub const MAX_TEXT_CHARS: usize = 4000;

/// The escalation form: the three conditions of SPEC §1.6, each explicitly confirmed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEscalation {
    pub request_id: i64,
    /// Every available means (office, phone, e-mail, thread) has been tried.
    pub means_exhausted: bool,
    /// Nobody could solve it despite several requests.
    pub several_requests: bool,
    /// The missing solution delays payment to the insured person.
    pub payment_delayed: bool,
    /// Since when payment is delayed (must be more than one month ago).
    pub payment_delay_since: Option<NaiveDate>,
    /// The question, without personal data (no NISS, no name).
    pub description: String,
}

/// Link to the case, shown only to the CPAS that escalated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseLink {
    pub request_id: i64,
    pub reference: String,
}

/// An escalation as its readers see it. For the SPOCs `case` is absent: the view holds the
/// ticket, the pseudonym, the CPAS, the conditions and the free text only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationView {
    pub id: i64,
    pub ticket: String,
    pub pseudonym: String,
    pub federation: Federation,
    pub cpas_id: i64,
    pub cpas_name: String,
    pub status: EscalationStatus,
    pub means_exhausted: bool,
    pub several_requests: bool,
    pub payment_delayed: bool,
    pub payment_delay_since: NaiveDate,
    pub contact_messages: i32,
    pub first_contact_on: Option<NaiveDate>,
    pub last_contact_on: Option<NaiveDate>,
    pub description: String,
    pub outcome: Option<String>,
    pub created_at: DateTime<Utc>,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseLink>,
}

/// That an escalation exists on a request (for the officer of its office and its CPAS).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationBrief {
    pub ticket: String,
    pub status: EscalationStatus,
    pub created_at: DateTime<Utc>,
}

/// What the record says about the conditions, for the escalation form.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub sent: bool,
    pub federation: Federation,
    pub contacts: ContactRecord,
    pub min_contact_days: usize,
    /// Payment must be delayed since before this date.
    pub delayed_since_before: NaiveDate,
    /// An open or forwarded escalation of this request, if any.
    pub pending: Option<String>,
}

fn to_view(m: escalation::Model, cpas_name: String, case: Option<CaseLink>) -> EscalationView {
    EscalationView {
        id: m.id,
        ticket: m.ticket,
        pseudonym: m.pseudonym,
        federation: m.federation,
        cpas_id: m.cpas_id,
        cpas_name,
        status: m.status,
        means_exhausted: m.means_exhausted,
        several_requests: m.several_requests,
        payment_delayed: m.payment_delayed,
        payment_delay_since: m.payment_delay_since,
        contact_messages: m.contact_messages,
        first_contact_on: m.first_contact_on,
        last_contact_on: m.last_contact_on,
        description: m.description,
        outcome: m.outcome,
        created_at: m.created_at,
        forwarded_at: m.forwarded_at,
        closed_at: m.closed_at,
        case,
    }
}

/// `PSN-` and ten characters from an alphabet without look-alikes: random, so it says
/// nothing about the person or the case (50 bits; uniqueness is enforced by the index).
fn new_pseudonym() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let s: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("PSN-{s}")
}

fn delay_limit(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(Months::new(PAYMENT_DELAY_MONTHS))
        .unwrap_or(today)
}

async fn pending_ticket<C: ConnectionTrait>(conn: &C, request_id: i64) -> Result<Option<String>> {
    let ids: Vec<i64> = escalation_link::Entity::find()
        .filter(escalation_link::Column::RequestId.eq(request_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.escalation_id)
        .collect();
    Ok(escalation::Entity::find()
        .filter(escalation::Column::Id.is_in(ids))
        .filter(escalation::Column::Status.ne(EscalationStatus::Closed))
        .one(conn)
        .await?
        .map(|e| e.ticket))
}

async fn own_request(db: &Db, actor: &Actor, request_id: i64) -> Result<request::Model> {
    if actor.role != Role::CpasWorker {
        return Err(ServiceError::Forbidden(
            "only a CPAS worker escalates its own CPAS's requests".into(),
        ));
    }
    requests::visible_request(db, actor, request_id).await
}

async fn cpas_of(db: &Db, id: i64) -> Result<cpas::Model> {
    cpas::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("cpas"))
}

/// What the record says, for the form (no audit entry: no personal data is shown).
pub async fn preview(db: &Db, today: NaiveDate, actor: &Actor, request_id: i64) -> Result<Preview> {
    let r = own_request(db, actor, request_id).await?;
    let c = cpas_of(db, r.cpas_id).await?;
    Ok(Preview {
        sent: r.sent_at.is_some(),
        federation: c.federation,
        contacts: messages::contact_record(&db.reads, r.id).await?,
        min_contact_days: MIN_CONTACT_DAYS,
        delayed_since_before: delay_limit(today),
        pending: pending_ticket(&db.reads, r.id).await?,
    })
}

fn check_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    text: &str,
    person: Option<&person::Model>,
    reference: Option<&str>,
) {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT_CHARS {
        errors.push(FieldError::new(
            field,
            format!("required, 1 to {MAX_TEXT_CHARS} characters"),
        ));
        return;
    }
    crate::pii::check_free_text(
        errors,
        field,
        t,
        person.map(|p| crate::pii::Names {
            last_name: &p.last_name,
            first_name: &p.first_name,
        }),
    );
    // The request reference would let the SPOC ask for the case: the ticket replaces it.
    if let Some(r) = reference
        && t.to_lowercase().contains(&r.to_lowercase())
    {
        errors.push(FieldError::new(
            field,
            "contains the request reference: the ticket number replaces it towards the SPOC",
        ));
    }
}

/// Creates an escalation when every condition of SPEC §1.6 holds; otherwise refuses with one
/// entry per missing condition (field paths of [`NewEscalation`]).
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    input: NewEscalation,
) -> Result<EscalationView> {
    let r = own_request(db, actor, input.request_id).await?;
    let c = cpas_of(db, r.cpas_id).await?;
    let p = crate::persons::as_seen_by(&db.reads, r.person_id, r.cpas_id)
        .await
        .ok();
    let record = messages::contact_record(&db.reads, r.id).await?;
    let mut errors = Vec::new();
    if c.federation == Federation::None {
        errors.push(FieldError::new(
            "federation",
            "your CPAS has no federation SPOC to escalate to (SPEC §1.6 lists no address for \
             German-speaking CPAS): contact ONEM directly",
        ));
    }
    if r.sent_at.is_none() {
        errors.push(FieldError::new(
            "request_id",
            "the request has never been sent to the office: ask the office first",
        ));
    }
    if !input.means_exhausted {
        errors.push(FieldError::new(
            "means_exhausted",
            "confirm that every available means has been exhausted",
        ));
    }
    if !input.several_requests {
        errors.push(FieldError::new(
            "several_requests",
            "confirm that nobody solved the problem despite several requests",
        ));
    } else if record.days.len() < MIN_CONTACT_DAYS {
        errors.push(FieldError::new(
            "several_requests",
            format!(
                "the contact thread shows {} message(s) from your CPAS on {} day(s); at least \
                 {MIN_CONTACT_DAYS} on different days are needed",
                record.cpas_messages,
                record.days.len()
            ),
        ));
    }
    if !input.payment_delayed {
        errors.push(FieldError::new(
            "payment_delayed",
            "confirm that the missing solution delays payment to the person",
        ));
    }
    let limit = delay_limit(today);
    match input.payment_delay_since {
        None => errors.push(FieldError::new(
            "payment_delay_since",
            "required: the date since which payment is delayed",
        )),
        Some(d) if d >= limit => errors.push(FieldError::new(
            "payment_delay_since",
            format!(
                "payment must be delayed by more than one month: the delay must start before {limit}"
            ),
        )),
        Some(_) => {}
    }
    check_text(
        &mut errors,
        "description",
        &input.description,
        p.as_ref(),
        Some(&r.reference),
    );
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let since = input.payment_delay_since.unwrap_or(limit);
    let tx = db.begin_write().await?;
    // A no-op write takes the request's row lock (PostgreSQL; SQLite's writer slot already
    // serialises): two escalations of one request at once cannot both see "none pending".
    request::Entity::update_many()
        .col_expr(request::Column::Id, Expr::col(request::Column::Id))
        .filter(request::Column::Id.eq(r.id))
        .exec(&tx.txn)
        .await?;
    if let Some(t) = pending_ticket(&tx.txn, r.id).await? {
        return Err(ServiceError::refused(
            "already_escalated",
            format!("escalation {t} of this request is still open"),
        ));
    }
    let placeholder = crate::auth::random_secret("pending-");
    let m = escalation::ActiveModel {
        ticket: Set(placeholder),
        pseudonym: Set(new_pseudonym()),
        federation: Set(c.federation),
        cpas_id: Set(c.id),
        status: Set(EscalationStatus::Open),
        means_exhausted: Set(true),
        several_requests: Set(true),
        payment_delayed: Set(true),
        payment_delay_since: Set(since),
        contact_messages: Set(i32::try_from(record.cpas_messages).unwrap_or(i32::MAX)),
        first_contact_on: Set(record.days.first().copied()),
        last_contact_on: Set(record.days.last().copied()),
        description: Set(input.description.trim().to_owned()),
        outcome: Set(None),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    // From the row id, like request references: unique without a shared counter row.
    let ticket = format!("ESC-{}-{:06}", today.year(), m.id);
    escalation::Entity::update_many()
        .col_expr(escalation::Column::Ticket, Expr::value(ticket.clone()))
        .filter(escalation::Column::Id.eq(m.id))
        .exec(&tx.txn)
        .await?;
    escalation_link::ActiveModel {
        escalation_id: Set(m.id),
        request_id: Set(r.id),
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "escalate",
            entity: "escalation",
            entity_id: Some(m.id),
            person_id: Some(r.person_id),
            after: Some(serde_json::json!({
                "ticket": ticket,
                "request_id": r.id,
                "federation": c.federation,
                "status": EscalationStatus::Open,
                "contact_messages": record.cpas_messages,
                "payment_delay_since": since,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    let mut m = m;
    m.ticket = ticket;
    Ok(to_view(
        m,
        c.name,
        Some(CaseLink {
            request_id: r.id,
            reference: r.reference,
        }),
    ))
}

async fn link_of<C: ConnectionTrait>(conn: &C, escalation_id: i64) -> Result<request::Model> {
    let l = escalation_link::Entity::find_by_id(escalation_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("escalation"))?;
    request::Entity::find_by_id(l.request_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("escalation"))
}

/// May the actor see this escalation (in its view for the role)?
fn sees(actor: &Actor, m: &escalation::Model) -> bool {
    match actor.role {
        Role::CpasWorker => actor.cpas_id == Some(m.cpas_id),
        Role::FederationSpoc => actor.federation == Some(m.federation),
        Role::OnemSpoc => m.forwarded_at.is_some(),
        Role::OnemOfficer | Role::Administrator | Role::Dpo | Role::AccessManager => false,
    }
}

async fn views(
    db: &Db,
    actor: &Actor,
    rows: Vec<escalation::Model>,
) -> Result<Vec<EscalationView>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut names = std::collections::HashMap::new();
    for m in rows {
        let name = match names.get(&m.cpas_id) {
            Some(n) => Clone::clone(n),
            None => {
                let n = cpas_of(db, m.cpas_id).await?.name;
                names.insert(m.cpas_id, n.clone());
                n
            }
        };
        // The case link only for the CPAS that owns it: the SPOC views stay pseudonymised.
        let case = if actor.role == Role::CpasWorker {
            let r = link_of(&db.reads, m.id).await?;
            Some(CaseLink {
                request_id: r.id,
                reference: r.reference,
            })
        } else {
            None
        };
        out.push(to_view(m, name, case));
    }
    Ok(out)
}

async fn audit_read(db: &Db, now: DateTime<Utc>, actor: &Actor, id: Option<i64>) -> Result<()> {
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: if id.is_some() { "read" } else { "list" },
            entity: "escalation",
            entity_id: id,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The escalations the actor may see, newest first: a CPAS its own, a federation SPOC its
/// federation's, the ONEM SPOC those forwarded to ONEM. Audited.
pub async fn list(db: &Db, now: DateTime<Utc>, actor: &Actor) -> Result<Vec<EscalationView>> {
    let q = escalation::Entity::find().order_by_desc(escalation::Column::Id);
    let q = match (actor.role, actor.cpas_id, actor.federation) {
        (Role::CpasWorker, Some(c), _) => q.filter(escalation::Column::CpasId.eq(c)),
        (Role::FederationSpoc, _, Some(f)) => q.filter(escalation::Column::Federation.eq(f)),
        (Role::OnemSpoc, _, _) => q.filter(escalation::Column::ForwardedAt.is_not_null()),
        _ => {
            return Err(ServiceError::Forbidden(
                "escalations are for CPAS workers and SPOCs".into(),
            ));
        }
    };
    let rows = q.all(&db.reads).await?;
    audit_read(db, now, actor, None).await?;
    views(db, actor, rows).await
}

async fn load(db: &Db, actor: &Actor, id: i64) -> Result<escalation::Model> {
    match escalation::Entity::find_by_id(id).one(&db.reads).await? {
        Some(m) if sees(actor, &m) => Ok(m),
        _ => Err(ServiceError::NotFound("escalation")),
    }
}

async fn one_view(db: &Db, actor: &Actor, m: escalation::Model) -> Result<EscalationView> {
    views(db, actor, vec![m])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("escalation"))
}

/// One escalation, audited.
pub async fn get(db: &Db, now: DateTime<Utc>, actor: &Actor, id: i64) -> Result<EscalationView> {
    let m = load(db, actor, id).await?;
    audit_read(db, now, actor, Some(id)).await?;
    one_view(db, actor, m).await
}

/// Escalations of a request, for those who see the case (its CPAS, the officer of its office).
pub async fn on_request(db: &Db, actor: &Actor, request_id: i64) -> Result<Vec<EscalationBrief>> {
    on_visible(db, &requests::open(db, actor, request_id).await?).await
}

/// [`on_request`] of a request already opened.
pub async fn on_visible(db: &Db, r: &requests::Visible) -> Result<Vec<EscalationBrief>> {
    let ids: Vec<i64> = escalation_link::Entity::find()
        .filter(escalation_link::Column::RequestId.eq(r.id()))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|l| l.escalation_id)
        .collect();
    Ok(escalation::Entity::find()
        .filter(escalation::Column::Id.is_in(ids))
        .order_by_asc(escalation::Column::Id)
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|m| EscalationBrief {
            ticket: m.ticket,
            status: m.status,
            created_at: m.created_at,
        })
        .collect())
}

fn spoc_of(actor: &Actor, m: &escalation::Model) -> Result<()> {
    if actor.role == Role::FederationSpoc && actor.federation == Some(m.federation) {
        Ok(())
    } else if sees(actor, m) {
        Err(ServiceError::Forbidden(
            "only the federation SPOC forwards or closes an escalation".into(),
        ))
    } else {
        Err(ServiceError::NotFound("escalation"))
    }
}

async fn transition(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    m: escalation::Model,
    action: &'static str,
    am: escalation::ActiveModel,
    reason: Option<String>,
) -> Result<EscalationView> {
    let before = m.status;
    let tx = db.begin_write().await?;
    // Only from the status just read: two SPOCs acting at once cannot both win.
    let res = escalation::Entity::update_many()
        .set(am)
        .filter(escalation::Column::Id.eq(m.id))
        .filter(escalation::Column::Status.eq(before))
        .exec(&tx.txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ServiceError::refused(
            "wrong_status",
            "the escalation changed meanwhile; reload it",
        ));
    }
    let after = escalation::Entity::find_by_id(m.id)
        .one(&tx.txn)
        .await?
        .ok_or(ServiceError::NotFound("escalation"))?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action,
            entity: "escalation",
            entity_id: Some(m.id),
            reason,
            before: Some(serde_json::json!({"status": before})),
            after: Some(serde_json::json!({"status": after.status})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    one_view(db, actor, after).await
}

/// The federation SPOC forwards an open escalation to ONEM's central service (the ONEM SPOC).
pub async fn forward(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
) -> Result<EscalationView> {
    let m = load(db, actor, id).await?;
    spoc_of(actor, &m)?;
    if m.status != EscalationStatus::Open {
        return Err(ServiceError::refused(
            "wrong_status",
            format!(
                "only an open escalation is forwarded; this one is {}",
                m.status
            ),
        ));
    }
    let am = escalation::ActiveModel {
        status: Set(EscalationStatus::ForwardedToOnem),
        forwarded_by: Set(Some(actor.user_id)),
        forwarded_at: Set(Some(now)),
        ..Default::default()
    };
    transition(db, now, actor, m, "forward_escalation", am, None).await
}

/// The federation SPOC closes an escalation with its outcome (no personal data in it).
pub async fn close(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    outcome: &str,
) -> Result<EscalationView> {
    let m = load(db, actor, id).await?;
    spoc_of(actor, &m)?;
    if m.status == EscalationStatus::Closed {
        return Err(ServiceError::refused(
            "wrong_status",
            "this escalation is already closed",
        ));
    }
    let mut errors = Vec::new();
    check_text(&mut errors, "outcome", outcome, None, None);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let outcome = outcome.trim().to_owned();
    let am = escalation::ActiveModel {
        status: Set(EscalationStatus::Closed),
        outcome: Set(Some(outcome.clone())),
        closed_by: Set(Some(actor.user_id)),
        closed_at: Set(Some(now)),
        ..Default::default()
    };
    transition(db, now, actor, m, "close_escalation", am, Some(outcome)).await
}

/// The ONEM SPOC resolves the pseudonym of a forwarded escalation to open the case; the
/// reason is mandatory and recorded (SPEC §1.2, §9).
pub async fn open_case(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    reason: Option<&str>,
) -> Result<RequestView> {
    if actor.role != Role::OnemSpoc {
        return Err(ServiceError::Forbidden(
            "only the ONEM SPOC resolves an escalation's pseudonym".into(),
        ));
    }
    let m = load(db, actor, id).await?;
    let Some(reason) = reason
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.chars().count() <= MAX_TEXT_CHARS)
    else {
        return Err(ServiceError::invalid(
            "reason",
            format!("required (1 to {MAX_TEXT_CHARS} characters)"),
        ));
    };
    let r = link_of(&db.reads, m.id).await?;
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "open_case",
            entity: "request",
            entity_id: Some(r.id),
            person_id: Some(r.person_id),
            reason: Some(reason.to_owned()),
            after: Some(serde_json::json!({"escalation": m.ticket})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RequestView::from(r))
}
