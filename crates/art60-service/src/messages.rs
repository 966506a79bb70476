//! The "contact your office" thread of a request (SPEC §1.3 item 8, §1.6 step 1): messages
//! between the CPAS workers of the request's CPAS and the officers of the ONEM office serving
//! it, with attachments and a per-user read marker. Messages are never edited nor deleted;
//! every write and every read is audited. Messages carry case references, never personal
//! data: a body holding a valid NISS is refused.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Brussels;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;

use crate::attachments::{self, AttachmentView, Store};
use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{
    Db, Role, attachment, cpas, message, message_attachment, message_read, office, request, user,
};
use crate::error::{Result, ServiceError};
use crate::requests;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 8000;

/// One message as its readers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub request_id: i64,
    pub author_user_id: i64,
    /// The author's account name (an agent's login, not a person of the case).
    pub author_username: String,
    pub author_role: Role,
    /// `cpas:<id>` or `office:<id>`.
    pub author_org: String,
    /// The CPAS name or "ONEM <office>".
    pub author_org_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentView>,
    /// Written by someone else and not yet marked read by the caller.
    pub unread: bool,
}

/// A request's thread for the caller.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Thread {
    pub request_id: i64,
    pub messages: Vec<MessageView>,
    pub unread: i64,
}

/// What `post` wrote, and who should hear about it (for "message received" notifications).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Posted {
    pub message: MessageView,
    /// Active accounts on the other side of the thread (user ids).
    pub recipients: Vec<i64>,
}

/// An attachment sent with a message: the browser's file name and the bytes.
pub struct NewAttachment {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The request if the actor may use its thread: a CPAS worker of its CPAS or an officer of
/// its office, once it has been sent (a draft has no office to talk to yet).
async fn thread_request(db: &Db, actor: &Actor, request_id: i64) -> Result<request::Model> {
    let r = requests::visible_request(db, actor, request_id).await?;
    check_thread(actor, &r)?;
    Ok(r)
}

fn check_thread(actor: &Actor, r: &request::Model) -> Result<()> {
    if !matches!(actor.role, Role::CpasWorker | Role::OnemOfficer) {
        return Err(ServiceError::NotFound("request"));
    }
    if r.sent_at.is_none() || r.office_id.is_none() {
        return Err(ServiceError::refused(
            "not_sent",
            "the contact thread opens once the request has been sent to the office",
        ));
    }
    Ok(())
}

fn check_body(body: &str) -> Result<String> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(ServiceError::invalid(
            "body",
            format!("1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    Ok(body.to_owned())
}

/// Names of organisations and accounts, for the views.
struct Names {
    users: HashMap<i64, String>,
    orgs: HashMap<String, String>,
}

async fn names(db: &Db, rows: &[message::Model]) -> Result<Names> {
    let ids: Vec<i64> = rows.iter().map(|m| m.author_user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut orgs = HashMap::new();
    for m in rows {
        if orgs.contains_key(&m.author_org) {
            continue;
        }
        let name = match m.author_org.split_once(':') {
            Some(("cpas", id)) => match id.parse::<i64>() {
                Ok(id) => cpas::Entity::find_by_id(id)
                    .one(&db.reads)
                    .await?
                    .map(|c| c.name),
                Err(_) => None,
            },
            Some(("office", id)) => match id.parse::<i64>() {
                Ok(id) => office::Entity::find_by_id(id)
                    .one(&db.reads)
                    .await?
                    .map(|o| format!("ONEM {}", o.name)),
                Err(_) => None,
            },
            _ => None,
        };
        orgs.insert(
            m.author_org.clone(),
            name.unwrap_or_else(|| m.author_org.clone()),
        );
    }
    Ok(Names { users, orgs })
}

fn view(
    m: message::Model,
    names: &Names,
    files: &mut HashMap<i64, Vec<AttachmentView>>,
    unread: bool,
) -> MessageView {
    MessageView {
        author_username: names
            .users
            .get(&m.author_user_id)
            .cloned()
            .unwrap_or_default(),
        author_org_name: names.orgs.get(&m.author_org).cloned().unwrap_or_default(),
        attachments: files.remove(&m.id).unwrap_or_default(),
        id: m.id,
        request_id: m.request_id,
        author_user_id: m.author_user_id,
        author_role: m.author_role,
        author_org: m.author_org,
        body: m.body,
        created_at: m.created_at,
        unread,
    }
}

async fn recipients(db: &Db, actor: &Actor, r: &request::Model) -> Result<Vec<i64>> {
    let q = user::Entity::find().filter(user::Column::Active.eq(true));
    let q = if actor.role == Role::CpasWorker {
        q.filter(user::Column::Role.eq(Role::OnemOfficer))
            .filter(user::Column::OfficeId.eq(r.office_id))
    } else {
        q.filter(user::Column::Role.eq(Role::CpasWorker))
            .filter(user::Column::CpasId.eq(r.cpas_id))
    };
    Ok(q.all(&db.reads)
        .await?
        .into_iter()
        .map(|u| u.id)
        .filter(|id| *id != actor.user_id)
        .collect())
}

/// Writes a message (and its attachment) in one transaction, audited. Returns the message
/// and the recipients, so a notifier can tell them.
pub async fn post(
    db: &Db,
    store: &Store,
    now: DateTime<Utc>,
    actor: &Actor,
    request_id: i64,
    body: &str,
    attachment: Option<NewAttachment>,
) -> Result<Posted> {
    let r = thread_request(db, actor, request_id).await?;
    let body = check_body(body)?;
    crate::requests::check_text_about(&db.reads, r.person_id, r.cpas_id, "body", &body).await?;
    let who = actor.who();
    let org = who.org.clone().unwrap_or_default();
    let prepared = match attachment {
        Some(a) => Some((
            a.file_name,
            attachments::prepare(store, a.bytes)
                .await
                .map_err(|e| match e {
                    ServiceError::Invalid(list) => ServiceError::Invalid(
                        list.into_iter()
                            .map(|f| crate::error::FieldError::new("attachment", f.reason))
                            .collect(),
                    ),
                    other => other,
                })?,
        )),
        None => None,
    };
    let tx = db.begin_write().await?;
    let m = message::ActiveModel {
        request_id: Set(request_id),
        author_user_id: Set(actor.user_id),
        author_role: Set(actor.role),
        author_org: Set(org),
        body: Set(body),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    let mut files = Vec::new();
    if let Some((name, p)) = prepared {
        let a = attachments::insert(&tx.txn, p, request_id, &name, actor.user_id, now).await?;
        message_attachment::ActiveModel {
            attachment_id: Set(a.id),
            message_id: Set(m.id),
        }
        .insert(&tx.txn)
        .await?;
        files.push(AttachmentView::from(a));
    }
    // The author has read their own message.
    set_read(&tx.txn, now, r.id, actor.user_id, m.id).await?;
    // The other side is notified in the same transaction (recorded once per message).
    crate::notify::message_received(&tx.txn, now, &r, m.id, actor.role).await?;
    audit::append(
        &tx.txn,
        now,
        &who,
        Event {
            action: "post_message",
            entity: "message",
            entity_id: Some(m.id),
            person_id: Some(r.person_id),
            after: Some(serde_json::json!({
                "request_id": request_id,
                "body_sha256": crate::auth::sha256_hex(m.body.as_bytes()),
                "attachments": files.iter().map(|f| f.id).collect::<Vec<_>>(),
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    let names = names(db, std::slice::from_ref(&m)).await?;
    let mut by_msg = HashMap::from([(m.id, files)]);
    let message = view(m, &names, &mut by_msg, false);
    Ok(Posted {
        recipients: recipients(db, actor, &r).await?,
        message,
    })
}

async fn last_read<C: sea_orm::ConnectionTrait>(
    conn: &C,
    request_id: i64,
    user_id: i64,
) -> Result<i64> {
    Ok(message_read::Entity::find()
        .filter(message_read::Column::RequestId.eq(request_id))
        .filter(message_read::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .map(|r| r.last_read_id)
        .unwrap_or(0))
}

/// Moves the marker forward only (a late "read" of an older page never un-reads).
async fn set_read<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    request_id: i64,
    user_id: i64,
    up_to: i64,
) -> Result<()> {
    let current = last_read(conn, request_id, user_id).await?;
    if up_to <= current {
        return Ok(());
    }
    message_read::Entity::insert(message_read::ActiveModel {
        request_id: Set(request_id),
        user_id: Set(user_id),
        last_read_id: Set(up_to),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            message_read::Column::RequestId,
            message_read::Column::UserId,
        ])
        .update_columns([
            message_read::Column::LastReadId,
            message_read::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// The thread, oldest first, with the caller's unread markers (audited read; listing does
/// not mark anything read: see [`mark_read`]).
pub async fn list(db: &Db, now: DateTime<Utc>, actor: &Actor, request_id: i64) -> Result<Thread> {
    let r = requests::open(db, actor, request_id).await?;
    let mut reads = audit::ReadLog::new(now, actor.who());
    let thread = list_logged(db, actor, &r, &mut reads).await;
    reads.record(db).await?;
    thread
}

/// [`list`] of a request already opened, its audit entry left in `reads`.
pub async fn list_logged(
    db: &Db,
    actor: &Actor,
    r: &requests::Visible,
    reads: &mut audit::ReadLog,
) -> Result<Thread> {
    check_thread(actor, r.model())?;
    let request_id = r.id();
    let rows = message::Entity::find()
        .filter(message::Column::RequestId.eq(request_id))
        .order_by_asc(message::Column::Id)
        .all(&db.reads)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let links = message_attachment::Entity::find()
        .filter(message_attachment::Column::MessageId.is_in(ids))
        .all(&db.reads)
        .await?;
    let link_of: HashMap<i64, i64> = links
        .iter()
        .map(|l| (l.attachment_id, l.message_id))
        .collect();
    let mut files: HashMap<i64, Vec<AttachmentView>> = HashMap::new();
    if !links.is_empty() {
        for a in attachment::Entity::find()
            .filter(attachment::Column::Id.is_in(link_of.keys().copied()))
            .order_by_asc(attachment::Column::Id)
            .all(&db.reads)
            .await?
        {
            if let Some(mid) = link_of.get(&a.id) {
                files.entry(*mid).or_default().push(AttachmentView::from(a));
            }
        }
    }
    let seen = last_read(&db.reads, request_id, actor.user_id).await?;
    let names = names(db, &rows).await?;
    let mut unread = 0;
    let messages: Vec<MessageView> = rows
        .into_iter()
        .map(|m| {
            let u = m.author_user_id != actor.user_id && m.id > seen;
            unread += i64::from(u);
            view(m, &names, &mut files, u)
        })
        .collect();
    reads.read(Event {
        action: "read",
        entity: "messages",
        entity_id: Some(request_id),
        person_id: Some(r.person_id()),
        ..Default::default()
    });
    Ok(Thread {
        request_id,
        messages,
        unread,
    })
}

/// Marks the thread read up to `up_to` (default: its last message), audited.
pub async fn mark_read(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    request_id: i64,
    up_to: Option<i64>,
) -> Result<i64> {
    let r = thread_request(db, actor, request_id).await?;
    let last = message::Entity::find()
        .filter(message::Column::RequestId.eq(request_id))
        .order_by_desc(message::Column::Id)
        .one(&db.reads)
        .await?
        .map(|m| m.id)
        .unwrap_or(0);
    let target = up_to.map_or(last, |u| u.min(last));
    let tx = db.begin_write().await?;
    set_read(&tx.txn, now, request_id, actor.user_id, target).await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "mark_read",
            entity: "messages",
            entity_id: Some(request_id),
            person_id: Some(r.person_id),
            after: Some(serde_json::json!({"up_to": target})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    unread_for(db, actor, request_id).await
}

async fn unread_for(db: &Db, actor: &Actor, request_id: i64) -> Result<i64> {
    Ok(unread_counts(db, actor, &[request_id])
        .await?
        .get(&request_id)
        .copied()
        .unwrap_or(0))
}

/// Unread messages per request for the caller (requests with none are left out). Only
/// requests whose thread the caller may read are counted.
pub async fn unread_counts(
    db: &Db,
    actor: &Actor,
    request_ids: &[i64],
) -> Result<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    if request_ids.is_empty() || !matches!(actor.role, Role::CpasWorker | Role::OnemOfficer) {
        return Ok(out);
    }
    let visible: Vec<i64> = request::Entity::find()
        .filter(request::Column::Id.is_in(request_ids.iter().copied()))
        .all(&db.reads)
        .await?
        .into_iter()
        .filter(|r| actor.sees_case(r.cpas_id, r.office_id, r.sent_at.is_some()))
        .map(|r| r.id)
        .collect();
    let reads: HashMap<i64, i64> = message_read::Entity::find()
        .filter(message_read::Column::UserId.eq(actor.user_id))
        .filter(message_read::Column::RequestId.is_in(visible.iter().copied()))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|r| (r.request_id, r.last_read_id))
        .collect();
    for m in message::Entity::find()
        .filter(message::Column::RequestId.is_in(visible))
        .filter(message::Column::AuthorUserId.ne(actor.user_id))
        .all(&db.reads)
        .await?
    {
        if m.id > reads.get(&m.request_id).copied().unwrap_or(0) {
            *out.entry(m.request_id).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// What the thread shows about the CPAS's attempts to reach its office (SPEC §1.6 "despite
/// several requests"): the number of CPAS messages and the distinct Brussels days they were
/// written on, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactRecord {
    pub cpas_messages: i64,
    pub days: Vec<NaiveDate>,
}

pub async fn contact_record<C: sea_orm::ConnectionTrait>(
    conn: &C,
    request_id: i64,
) -> Result<ContactRecord> {
    let rows = message::Entity::find()
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::AuthorRole.eq(Role::CpasWorker))
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?;
    let mut days: Vec<NaiveDate> = rows
        .iter()
        .map(|m| m.created_at.with_timezone(&Brussels).date_naive())
        .collect();
    days.sort_unstable();
    days.dedup();
    Ok(ContactRecord {
        cpas_messages: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        days,
    })
}
