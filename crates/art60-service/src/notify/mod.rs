//! Notifications: an outbox (`notifications`) written in the workflow's own transaction or by
//! the scheduler's scan, and delivered by the scheduler (portal inbox and e-mail).
//!
//! - Each notification is recorded once: the table is UNIQUE on (recipient, kind, request,
//!   occasion, channel) and every insert is `ON CONFLICT DO NOTHING`, so any number of
//!   processes may generate the same one.
//! - E-mail rows are claimed with `FOR UPDATE SKIP LOCKED` (PostgreSQL; on SQLite the single
//!   process's claim is one atomic `UPDATE`) and a lease: a worker that dies leaves rows whose
//!   lease expires and another worker retakes them. The lease is renewed before each mail
//!   of a batch, and a row whose lease passed to another worker is not sent (a slow SMTP
//!   server cannot make one mail leave twice). A failed send keeps the row pending with an
//!   exponential (capped) backoff: nothing is dropped.
//! - Routing: the CPAS workers of the request's CPAS get received / calculated / returned /
//!   window opens / window closes and the office's messages; the officers of the office the
//!   request was sent to get deadline tomorrow / overdue and the CPAS's messages.
//! - Mails carry the request reference, dates, a redacted reason and links; never a NISS or a
//!   name (payloads are built here from those fields only).

pub mod mail;
pub mod scheduler;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::clock::Clock;
use crate::db::{
    Channel, Db, Language, NotificationKind, NotificationStatus, Role, Status, UiLanguage, cpas,
    notification, notification_pref, request, user,
};
use crate::error::{FieldError, Result, ServiceError};

pub use mail::{MailError, Mailer, Rendered, SmtpConfig, TlsMode};

/// Who gets a notification of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The active CPAS workers of the request's CPAS.
    Cpas,
    /// The active officers of the office the request was sent to.
    Office,
}

impl NotificationKind {
    /// The side a kind goes to ([`NotificationKind::MessageReceived`] goes to the side that
    /// did not write: see [`message_received`]).
    pub fn audience(self) -> Audience {
        match self {
            NotificationKind::DeadlineTomorrow | NotificationKind::Overdue => Audience::Office,
            _ => Audience::Cpas,
        }
    }
}

/// Replaces every run of 11 or more digits (separators `.`, `-`, `/`, space allowed between
/// them) by `[…]`: free text an officer wrote (a return reason) may quote a NISS, and a mail
/// must never carry one.
pub fn redact_niss(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            // The run: digits and single separators between digits.
            let mut j = i;
            let mut digits = 0;
            let mut end = i;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    end = j + 1;
                    j += 1;
                } else if matches!(chars[j], '.' | '-' | '/' | ' ')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if digits >= 11 {
                out.push_str("[…]");
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The payload of a request's notification: reference and dates only.
fn payload(req: &request::Model, extra: Value) -> Value {
    let mut v = json!({
        "reference": req.reference,
        "due_on": req.due_on,
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut v, extra) {
        o.extend(e);
    }
    v
}

async fn recipients<C: ConnectionTrait>(
    conn: &C,
    req: &request::Model,
    audience: Audience,
) -> Result<Vec<user::Model>> {
    let q = user::Entity::find().filter(user::Column::Active.eq(true));
    let q = match audience {
        Audience::Cpas => q
            .filter(user::Column::Role.eq(Role::CpasWorker))
            .filter(user::Column::CpasId.eq(req.cpas_id)),
        Audience::Office => match req.office_id {
            Some(o) => q
                .filter(user::Column::Role.eq(Role::OnemOfficer))
                .filter(user::Column::OfficeId.eq(o)),
            None => return Ok(Vec::new()),
        },
    };
    Ok(q.order_by_asc(user::Column::Id).all(conn).await?)
}

/// Records `kind` for `req` (once per `occasion`) for everyone in `audience`: a portal row
/// each, and an e-mail row for those with an address who did not turn that kind off. Call
/// it in the transaction of the change it reports. Returns the rows inserted.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    kind: NotificationKind,
    audience: Audience,
    req: &request::Model,
    occasion: &str,
    extra: Value,
) -> Result<u64> {
    let users = recipients(conn, req, audience).await?;
    if users.is_empty() {
        return Ok(0);
    }
    let off: Vec<i64> = notification_pref::Entity::find()
        .filter(notification_pref::Column::Kind.eq(kind))
        .filter(notification_pref::Column::Email.eq(false))
        .filter(notification_pref::Column::UserId.is_in(users.iter().map(|u| u.id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect();
    let body = payload(req, extra);
    let mut insert = Query::insert();
    insert
        .into_table(notification::Entity)
        .columns([
            notification::Column::RecipientId,
            notification::Column::Kind,
            notification::Column::RequestId,
            notification::Column::Occasion,
            notification::Column::Channel,
            notification::Column::Payload,
            notification::Column::Status,
            notification::Column::Attempts,
            notification::Column::NextAttemptAt,
            notification::Column::CreatedAt,
        ])
        .on_conflict(
            OnConflict::columns([
                notification::Column::RecipientId,
                notification::Column::Kind,
                notification::Column::RequestId,
                notification::Column::Occasion,
                notification::Column::Channel,
            ])
            .do_nothing()
            .to_owned(),
        );
    for u in &users {
        let mut channels = vec![(Channel::Portal, NotificationStatus::Unread)];
        if u.email.is_some() && !off.contains(&u.id) {
            channels.push((Channel::Email, NotificationStatus::Pending));
        }
        for (channel, status) in channels {
            insert
                .values([
                    u.id.into(),
                    kind.as_str().into(),
                    req.id.into(),
                    occasion.into(),
                    channel_str(channel).into(),
                    body.clone().into(),
                    status_str(status).into(),
                    0i32.into(),
                    now.into(),
                    now.into(),
                ])
                .map_err(|e| ServiceError::Storage(e.to_string()))?;
        }
    }
    Ok(conn.execute(&insert).await?.rows_affected())
}

fn channel_str(c: Channel) -> &'static str {
    match c {
        Channel::Portal => "portal",
        Channel::Email => "email",
    }
}

fn status_str(s: NotificationStatus) -> &'static str {
    match s {
        NotificationStatus::Pending => "pending",
        NotificationStatus::Sent => "sent",
        NotificationStatus::Unread => "unread",
        NotificationStatus::Read => "read",
        NotificationStatus::Cancelled => "cancelled",
    }
}

/// The workflow events, one call from `requests.rs` each, inside its transaction.
pub async fn on_status_change<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    saved: &request::Model,
) -> Result<u64> {
    let occasion = format!("v{}", saved.version);
    match saved.status {
        Status::Sent => {
            enqueue(
                conn,
                now,
                NotificationKind::Received,
                Audience::Cpas,
                saved,
                &occasion,
                json!({}),
            )
            .await
        }
        Status::Calculated => {
            // "Modified by ONEM", not "calculated", when ONEM set its own end date.
            let kind = if saved.decision == Some(crate::db::Decision::Overridden) {
                NotificationKind::Modified
            } else {
                NotificationKind::Calculated
            };
            enqueue(
                conn,
                now,
                kind,
                Audience::Cpas,
                saved,
                &occasion,
                json!({"end_date": crate::requests::fixed_end(saved)}),
            )
            .await
        }
        Status::Returned => {
            let reason = saved.return_reason.as_deref().map(redact_niss);
            enqueue(
                conn,
                now,
                NotificationKind::Returned,
                Audience::Cpas,
                saved,
                &occasion,
                json!({"reason": reason}),
            )
            .await
        }
        Status::Draft => Ok(0),
    }
}

/// A message was posted on `req`'s thread by someone of `sender_role`: the other side is
/// told (the message text stays in the portal; the mail only says there is one).
pub async fn message_received<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    req: &request::Model,
    message_id: i64,
    sender_role: Role,
) -> Result<u64> {
    let audience = if sender_role == Role::CpasWorker {
        Audience::Office
    } else {
        Audience::Cpas
    };
    enqueue(
        conn,
        now,
        NotificationKind::MessageReceived,
        audience,
        req,
        &format!("m{message_id}"),
        json!({}),
    )
    .await
}

/// The time-based notifications due on `today` (Brussels): deadline tomorrow, overdue, and
/// the second-calculation window (from `second_calc_window_start_days` to
/// `second_calc_window_end_days` before the contract end, from the rules crate's procedure
/// parameters). Safe from several processes at once. Returns the rows inserted.
pub async fn scan(db: &Db, now: DateTime<Utc>, today: NaiveDate) -> Result<u64> {
    let proc = crate::requests::procedure();
    let open_days = i64::from(proc.second_calc_window_start_days);
    let close_days = i64::from(proc.second_calc_window_end_days);
    let tomorrow = today + Duration::days(1);
    let sent = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Sent))
        .filter(request::Column::DueOn.lte(tomorrow))
        .all(&db.reads)
        .await?;
    let horizon = today + Duration::days(open_days);
    let calculated = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Calculated))
        .filter(
            Condition::any()
                .add(request::Column::EndDate.between(today, horizon))
                .add(request::Column::OverrideEndDate.between(today, horizon)),
        )
        .all(&db.reads)
        .await?;
    let tx = db.begin_write().await?;
    let mut n = 0;
    for r in &sent {
        let Some(due) = r.due_on else { continue };
        let kind = if due == tomorrow {
            NotificationKind::DeadlineTomorrow
        } else if due < today {
            NotificationKind::Overdue
        } else {
            continue;
        };
        n += enqueue(
            &tx.txn,
            now,
            kind,
            Audience::Office,
            r,
            &due.to_string(),
            json!({}),
        )
        .await?;
    }
    for r in &calculated {
        let Some(end) = crate::requests::fixed_end(r) else {
            continue;
        };
        let from = end - Duration::days(open_days);
        let until = end - Duration::days(close_days);
        let kind = if today >= until && today < end {
            NotificationKind::WindowCloses
        } else if today >= from && today < until {
            NotificationKind::WindowOpens
        } else {
            continue;
        };
        let occasion = if kind == NotificationKind::WindowCloses {
            until
        } else {
            from
        };
        n += enqueue(
            &tx.txn,
            now,
            kind,
            Audience::Cpas,
            r,
            &occasion.to_string(),
            json!({"from": from, "until": until, "end": end}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// How the delivery worker claims and retries.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Names this worker in `locked_by` (host and process id in production).
    pub worker: String,
    /// How long a claimed row stays this worker's before another may retake it.
    pub lease: Duration,
    /// Rows claimed per round.
    pub batch: u32,
    /// First retry after this; doubled per failed attempt, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The portal's address, for links in mails (no trailing slash).
    pub base_url: String,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            worker: format!("pid-{}", std::process::id()),
            lease: Duration::minutes(5),
            batch: 50,
            backoff_base: Duration::minutes(1),
            backoff_cap: Duration::hours(1),
            base_url: "http://127.0.0.1:8060".into(),
        }
    }
}

impl DeliveryConfig {
    /// The wait after the `attempts`-th failure.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let shift = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let base = self.backoff_base.num_seconds().max(1);
        let secs = base.saturating_mul(1i64 << shift);
        Duration::seconds(secs.min(self.backoff_cap.num_seconds().max(base)))
    }
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: u64,
    pub sent: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Claimed rows not sent because their lease had passed to another worker.
    pub lost: u64,
}

/// Claims up to `batch` due e-mail rows for this worker (committed before any mail leaves).
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    cfg: &DeliveryConfig,
) -> Result<Vec<notification::Model>> {
    let backend = db.backend();
    // SKIP LOCKED: concurrent workers each take other rows instead of waiting; the lease
    // condition lets a crashed worker's rows be retaken once it expires.
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE notifications SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM notifications \
           WHERE channel = 'email' AND status = 'pending' AND next_attempt_at <= $3 \
             AND (locked_until IS NULL OR locked_until < $3) \
           ORDER BY next_attempt_at, id LIMIT $4{lock}) \
         RETURNING *"
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [
            cfg.worker.clone().into(),
            (now + cfg.lease).into(),
            now.into(),
            i64::from(cfg.batch).into(),
        ],
    );
    let tx = db.begin_write().await?;
    let rows = notification::Entity::find()
        .from_raw_sql(stmt)
        .all(&tx.txn)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// The recipient's language: their own setting, else their CPAS's, else French.
async fn language_of<C: ConnectionTrait>(conn: &C, u: &user::Model) -> Result<UiLanguage> {
    if let Some(l) = u.language {
        return Ok(l);
    }
    if let Some(c) = u.cpas_id
        && let Some(c) = cpas::Entity::find_by_id(c).one(conn).await?
    {
        return Ok(match c.language {
            Language::Fr => UiLanguage::Fr,
            Language::Nl => UiLanguage::Nl,
            Language::De => UiLanguage::De,
        });
    }
    Ok(UiLanguage::Fr)
}

fn date_var(payload: &Value, key: &str) -> String {
    payload[key].as_str().unwrap_or("").to_owned()
}

/// The mail of a notification row, in the recipient's language.
pub async fn render_for<C: ConnectionTrait>(
    conn: &C,
    n: &notification::Model,
    u: &user::Model,
    base_url: &str,
) -> Result<Rendered> {
    let lang = language_of(conn, u).await?;
    let p = &n.payload;
    let vars = [
        ("reference", date_var(p, "reference")),
        ("link", format!("{base_url}/requests/{}", n.request_id)),
        ("settings", format!("{base_url}/account")),
        ("reason", redact_niss(p["reason"].as_str().unwrap_or(""))),
        ("due_on", date_var(p, "due_on")),
        ("from", date_var(p, "from")),
        ("until", date_var(p, "until")),
        ("end", date_var(p, "end")),
        ("end_before", date_var(p, "end_before")),
    ];
    Ok(mail::render(lang, n.kind, &vars))
}

/// One delivery round: claim, send each, record the outcome. A failure keeps the row
/// pending until `now + backoff`.
///
/// The round reads `clock` before each mail, not once: with a slow SMTP server a batch can
/// outlast the lease, and a row whose lease expired may already be another worker's. So
/// before each send the lease of every row still to send is renewed, and a row this worker no
/// longer holds is left alone (counted in [`DeliveryReport::lost`]). The send itself is
/// bounded by half a lease, so it ends while the row it sends is still this worker's.
pub async fn deliver(
    db: &Db,
    clock: &dyn Clock,
    mailer: &Mailer,
    cfg: &DeliveryConfig,
) -> Result<DeliveryReport> {
    let rows = claim(db, clock.now(), cfg).await?;
    let mut report = DeliveryReport {
        claimed: rows.len() as u64,
        ..Default::default()
    };
    let mut held: Vec<i64> = rows.iter().map(|n| n.id).collect();
    // Half a lease leaves the other half for the database writes around the send and for
    // clocks of two hosts that differ by a little.
    let send_budget = (cfg.lease / 2).to_std().unwrap_or_default();
    for n in rows {
        held = renew(db, clock.now(), cfg, &held).await?;
        if !held.contains(&n.id) {
            tracing::warn!(
                notification = n.id,
                "notification lease lost before sending; left to its new holder"
            );
            report.lost += 1;
            continue;
        }
        held.retain(|id| *id != n.id);
        let u = user::Entity::find_by_id(n.recipient_id)
            .one(&db.reads)
            .await?;
        let pref_off = notification_pref::Entity::find()
            .filter(notification_pref::Column::UserId.eq(n.recipient_id))
            .filter(notification_pref::Column::Kind.eq(n.kind))
            .filter(notification_pref::Column::Email.eq(false))
            .count(&db.reads)
            .await?
            > 0;
        // The address was removed, the account closed or the kind turned off since.
        let target = u
            .as_ref()
            .filter(|u| u.active && !pref_off)
            .and_then(|u| u.email.clone().map(|e| (u, e)));
        let Some((u, to)) = target else {
            finish(
                db,
                &n,
                cfg,
                NotificationStatus::Cancelled,
                clock.now(),
                None,
            )
            .await?;
            report.cancelled += 1;
            continue;
        };
        let mail = render_for(&db.reads, &n, u, &cfg.base_url).await?;
        let sent = match tokio::time::timeout(send_budget, mailer.send(&to, &mail)).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            // The server may have taken the mail all the same; retrying later is the
            // lesser harm (a late duplicate) next to a lease that could run out mid-send.
            Err(_) => Err(format!(
                "smtp: no answer within {} s",
                send_budget.as_secs()
            )),
        };
        match sent {
            Ok(()) => {
                finish(db, &n, cfg, NotificationStatus::Sent, clock.now(), None).await?;
                report.sent += 1;
                metrics::counter!("notifications_sent_total", "kind" => n.kind.as_str())
                    .increment(1);
            }
            Err(e) => {
                // The error names the server's answer; it holds no address or content.
                tracing::warn!(notification = n.id, attempts = n.attempts, error = %e, "notification e-mail failed; will retry");
                finish(
                    db,
                    &n,
                    cfg,
                    NotificationStatus::Pending,
                    clock.now() + cfg.backoff(n.attempts),
                    Some(e),
                )
                .await?;
                report.failed += 1;
                metrics::counter!("notifications_failed_total").increment(1);
            }
        }
    }
    Ok(report)
}

/// Extends to `now + lease` the lease of those of `ids` that this worker still holds and
/// that are still pending; returns them. A row retaken by another worker after its lease
/// expired has another `locked_by` and drops out; one already sent or released drops out.
async fn renew(db: &Db, now: DateTime<Utc>, cfg: &DeliveryConfig, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let tx = db.begin_write().await?;
    let kept = notification::Entity::update_many()
        .col_expr(
            notification::Column::LockedUntil,
            Expr::value(Some(now + cfg.lease)),
        )
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .filter(notification::Column::LockedBy.eq(cfg.worker.as_str()))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .exec_with_returning(&tx.txn)
        .await?;
    tx.commit().await?;
    let kept: Vec<i64> = kept.into_iter().map(|n| n.id).collect();
    // Keep the claim's order.
    Ok(ids.iter().copied().filter(|id| kept.contains(id)).collect())
}

/// Releases a claimed row (only if this worker still holds it).
async fn finish(
    db: &Db,
    n: &notification::Model,
    cfg: &DeliveryConfig,
    status: NotificationStatus,
    at: DateTime<Utc>,
    error: Option<String>,
) -> Result<()> {
    let mut q = notification::Entity::update_many()
        .col_expr(
            notification::Column::Status,
            Expr::value(status_str(status)),
        )
        .col_expr(
            notification::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            notification::Column::LockedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(notification::Column::LastError, Expr::value(error));
    q = if status == NotificationStatus::Pending {
        q.col_expr(notification::Column::NextAttemptAt, Expr::value(at))
    } else {
        q.col_expr(notification::Column::SentAt, Expr::value(Some(at)))
    };
    let tx = db.begin_write().await?;
    let done = q
        .filter(notification::Column::Id.eq(n.id))
        .filter(notification::Column::LockedBy.eq(cfg.worker.as_str()))
        .exec(&tx.txn)
        .await?
        .rows_affected;
    tx.commit().await?;
    if done == 0 {
        // Only if a send outlasted its lease despite the bound in `deliver`.
        tracing::warn!(
            notification = n.id,
            "notification lease lost during the send; outcome not recorded by this worker"
        );
    }
    Ok(())
}

// ----------------------------------------------------------------- the portal inbox

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub kind: NotificationKind,
    pub request_id: i64,
    /// Reference, due date, dates of the window, reason: what the mail says.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for NotificationView {
    fn from(m: notification::Model) -> Self {
        NotificationView {
            id: m.id,
            kind: m.kind,
            request_id: m.request_id,
            payload: m.payload,
            read: m.status == NotificationStatus::Read,
            created_at: m.created_at,
        }
    }
}

/// The actor's portal notifications, newest first.
pub async fn inbox(db: &Db, actor: &Actor, limit: u64) -> Result<Vec<NotificationView>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(actor.user_id))
        .filter(notification::Column::Channel.eq(Channel::Portal))
        // By date, not by row id: a row written later may report an earlier moment (a
        // reminder sweep that catches up, imported or seeded rows).
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(NotificationView::from)
        .collect())
}

pub async fn unread_count(db: &Db, user_id: i64) -> Result<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(user_id))
        .filter(notification::Column::Channel.eq(Channel::Portal))
        .filter(notification::Column::Status.eq(NotificationStatus::Unread))
        .count(&db.reads)
        .await?)
}

/// Marks one (`Some(id)`) or all of the actor's portal notifications read.
pub async fn mark_read(db: &Db, now: DateTime<Utc>, actor: &Actor, id: Option<i64>) -> Result<u64> {
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("read"))
        .col_expr(notification::Column::ReadAt, Expr::value(Some(now)))
        .filter(notification::Column::RecipientId.eq(actor.user_id))
        .filter(notification::Column::Channel.eq(Channel::Portal))
        .filter(notification::Column::Status.eq(NotificationStatus::Unread));
    if let Some(id) = id {
        if notification::Entity::find_by_id(id)
            .filter(notification::Column::RecipientId.eq(actor.user_id))
            .one(&db.reads)
            .await?
            .is_none()
        {
            return Err(ServiceError::NotFound("notification"));
        }
        q = q.filter(notification::Column::Id.eq(id));
    }
    let tx = db.begin_write().await?;
    let n = q.exec(&tx.txn).await?.rows_affected;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "read",
            entity: "notification",
            entity_id: id,
            after: Some(json!({"marked": n})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

// ----------------------------------------------------------------- account settings

/// The account page: language, e-mail address, which e-mails.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountSettings {
    /// `None`: the CPAS's language, else the browser's.
    pub language: Option<UiLanguage>,
    pub email: Option<String>,
    /// Per kind: whether an e-mail is sent (portal notifications are always on).
    pub emails: Vec<KindChoice>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KindChoice {
    pub kind: NotificationKind,
    pub email: bool,
}

/// Replaces the settings (absent kinds: e-mail on).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    #[serde(default)]
    pub language: Option<UiLanguage>,
    /// Empty or absent: no e-mails.
    #[serde(default)]
    pub email: Option<String>,
    /// The kinds for which no e-mail is wanted.
    #[serde(default)]
    pub email_off: Vec<NotificationKind>,
}

pub async fn settings(db: &Db, actor: &Actor) -> Result<AccountSettings> {
    let u = user::Entity::find_by_id(actor.user_id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let prefs = notification_pref::Entity::find()
        .filter(notification_pref::Column::UserId.eq(actor.user_id))
        .all(&db.reads)
        .await?;
    Ok(AccountSettings {
        language: u.language,
        email: u.email,
        emails: NotificationKind::ALL
            .into_iter()
            .map(|kind| KindChoice {
                kind,
                email: prefs
                    .iter()
                    .find(|p| p.kind == kind)
                    .is_none_or(|p| p.email),
            })
            .collect(),
    })
}

fn check_email(v: &str) -> bool {
    crate::email::is_valid(v)
}

pub async fn update_settings(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    input: SettingsInput,
) -> Result<AccountSettings> {
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(e) = email
        && !check_email(e)
    {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "email",
            "an e-mail address (name@domain)",
        )]));
    }
    let mut before = settings_in_tx(&db.reads, actor.user_id).await?;
    let tx = db.begin_write().await?;
    let u = user::Entity::find_by_id(actor.user_id)
        .one(&tx.txn)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let mut am: user::ActiveModel = u.into();
    am.language = Set(input.language);
    am.email = Set(email.map(str::to_owned));
    am.update(&tx.txn).await?;
    notification_pref::Entity::delete_many()
        .filter(notification_pref::Column::UserId.eq(actor.user_id))
        .exec(&tx.txn)
        .await?;
    for kind in NotificationKind::ALL {
        notification_pref::ActiveModel {
            user_id: Set(actor.user_id),
            kind: Set(kind),
            email: Set(!input.email_off.contains(&kind)),
            ..Default::default()
        }
        .insert(&tx.txn)
        .await?;
    }
    // The address itself is personal data of the account holder: the audit keeps whether
    // there is one, not which.
    let mut after = settings_in_tx(&tx.txn, actor.user_id).await?;
    let redact = |v: &mut Option<Value>| {
        if let Some(Value::Object(o)) = v {
            let has = o.get("email").is_some_and(|e| !e.is_null());
            o.insert("email".into(), json!(has));
        }
    };
    redact(&mut before);
    redact(&mut after);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "update",
            entity: "account_settings",
            entity_id: Some(actor.user_id),
            before,
            after,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // The account's language rides with its cached credential (db::credentials).
    db.credentials.invalidate();
    settings(db, actor).await
}

async fn settings_in_tx<C: ConnectionTrait>(conn: &C, user_id: i64) -> Result<Option<Value>> {
    let u = user::Entity::find_by_id(user_id).one(conn).await?;
    let prefs = notification_pref::Entity::find()
        .filter(notification_pref::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    Ok(u.map(|u| {
        json!({
            "language": u.language,
            "email": u.email,
            "email_off": prefs.iter().filter(|p| !p.email).map(|p| p.kind).collect::<Vec<_>>(),
        })
    }))
}

/// The language switcher of a signed-in user saves the choice to the account.
pub async fn set_language(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    language: UiLanguage,
) -> Result<()> {
    let tx = db.begin_write().await?;
    let u = user::Entity::find_by_id(actor.user_id)
        .one(&tx.txn)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let before = u.language;
    let mut am: user::ActiveModel = u.into();
    am.language = Set(Some(language));
    am.update(&tx.txn).await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "update",
            entity: "account_language",
            entity_id: Some(actor.user_id),
            before: Some(json!({ "language": before })),
            after: Some(json!({ "language": language })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // The account's language rides with its cached credential (db::credentials).
    db.credentials.invalidate();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_niss_shaped_runs_only() {
        assert_eq!(redact_niss("NISS 95031012341 wrong"), "NISS […] wrong");
        assert_eq!(redact_niss("see 95.03.10-123.41."), "see […].");
        assert_eq!(
            redact_niss("due 2024-06-14, 5 days"),
            "due 2024-06-14, 5 days"
        );
        assert_eq!(redact_niss("call 081 23 50 82"), "call 081 23 50 82");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = DeliveryConfig {
            backoff_base: Duration::seconds(60),
            backoff_cap: Duration::seconds(600),
            ..Default::default()
        };
        let secs: Vec<i64> = (1..=6).map(|a| c.backoff(a).num_seconds()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 600, 600]);
    }
}
