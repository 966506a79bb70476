//! Attachments on a request: PDF or images, size-limited, type sniffed from the bytes (never
//! from the name or the client's Content-Type), stored in the database or a directory.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::{Actor, sha256_hex};
use crate::db::{Db, Role, Status, attachment};
use crate::error::{Result, ServiceError};
use crate::requests;

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
const ALLOWED: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

/// Where attachment bytes go.
#[derive(Debug, Clone, Default)]
pub enum Store {
    #[default]
    Database,
    /// Files named by their SHA-256 in this directory.
    Directory(PathBuf),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub request_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl From<attachment::Model> for AttachmentView {
    fn from(m: attachment::Model) -> Self {
        AttachmentView {
            id: m.id,
            request_id: m.request_id,
            file_name: m.file_name,
            media_type: m.media_type,
            size: m.size,
            sha256: m.sha256,
            created_at: m.created_at,
        }
    }
}

/// The kind of content, from its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes)
        .map(|k| k.mime_type())
        .filter(|m| ALLOWED.contains(m))
}

fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "attachment".to_owned()
    } else {
        cleaned
    }
}

pub async fn upload(
    db: &Db,
    store: &Store,
    now: DateTime<Utc>,
    actor: &Actor,
    request_id: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<AttachmentView> {
    let r = requests::visible_request(db, actor, request_id).await?;
    if actor.role != Role::CpasWorker {
        return Err(ServiceError::Forbidden(
            "only the CPAS adds attachments".into(),
        ));
    }
    if r.status == Status::Calculated {
        return Err(ServiceError::refused(
            "wrong_status",
            "a calculated request does not change; make a copy",
        ));
    }
    let prepared = prepare(store, bytes).await?;
    let tx = db.begin_write().await?;
    let m = insert(&tx.txn, prepared, request_id, file_name, actor.user_id, now).await?;
    let view = AttachmentView::from(m);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "attach",
            entity: "attachment",
            entity_id: Some(view.id),
            person_id: Some(r.person_id),
            after: Some(serde_json::json!({"request_id": request_id, "sha256": view.sha256, "media_type": view.media_type, "size": view.size})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Checked bytes, written to the store (a directory file is written before its row: an
/// orphan file is harmless, a row without its file is not).
pub(crate) struct Prepared {
    media_type: &'static str,
    sha: String,
    size: i64,
    content: Option<Vec<u8>>,
    storage_path: Option<String>,
}

/// Checks size and sniffed type (errors name the field `file`) and stores the bytes.
pub(crate) async fn prepare(store: &Store, bytes: Vec<u8>) -> Result<Prepared> {
    if bytes.is_empty() || bytes.len() > MAX_BYTES {
        return Err(ServiceError::invalid(
            "file",
            format!("1 byte to {MAX_BYTES} bytes"),
        ));
    }
    let media_type = sniff(&bytes).ok_or_else(|| {
        ServiceError::invalid("file", "only PDF, PNG or JPEG content is accepted")
    })?;
    let sha = sha256_hex(&bytes);
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let (content, storage_path) = match store {
        Store::Database => (Some(bytes), None),
        Store::Directory(dir) => {
            let path = dir.join(&sha);
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| ServiceError::Storage(format!("attachment directory: {e}")))?;
            tokio::fs::write(&path, &bytes)
                .await
                .map_err(|e| ServiceError::Storage(format!("attachment file: {e}")))?;
            (None, Some(sha.clone()))
        }
    };
    Ok(Prepared {
        media_type,
        sha,
        size,
        content,
        storage_path,
    })
}

/// The attachment row, in the caller's transaction.
pub(crate) async fn insert<C: sea_orm::ConnectionTrait>(
    conn: &C,
    p: Prepared,
    request_id: i64,
    file_name: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<attachment::Model> {
    Ok(attachment::ActiveModel {
        request_id: Set(request_id),
        file_name: Set(clean_name(file_name)),
        media_type: Set(p.media_type.to_owned()),
        size: Set(p.size),
        sha256: Set(p.sha),
        content: Set(p.content),
        storage_path: Set(p.storage_path),
        uploaded_by: Set(user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

pub async fn list(db: &Db, actor: &Actor, request_id: i64) -> Result<Vec<AttachmentView>> {
    list_of(db, &requests::open(db, actor, request_id).await?).await
}

/// [`list`] of a request already opened.
pub async fn list_of(db: &Db, r: &requests::Visible) -> Result<Vec<AttachmentView>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::RequestId.eq(r.id()))
        .order_by_asc(attachment::Column::Id)
        .all(&db.reads)
        .await?
        .into_iter()
        .map(AttachmentView::from)
        .collect())
}

/// The bytes of one attachment (audited read).
pub async fn download(
    db: &Db,
    store: &Store,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
) -> Result<(AttachmentView, Vec<u8>)> {
    let m = attachment::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("attachment"))?;
    let r = requests::visible_request(db, actor, m.request_id)
        .await
        .map_err(|_| ServiceError::NotFound("attachment"))?;
    let bytes = match (&m.content, &m.storage_path, store) {
        (Some(b), _, _) => b.clone(),
        (None, Some(p), Store::Directory(dir)) => tokio::fs::read(dir.join(p))
            .await
            .map_err(|e| ServiceError::Storage(format!("attachment file: {e}")))?,
        _ => {
            return Err(ServiceError::Storage(
                "attachment content unavailable".into(),
            ));
        }
    };
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "read",
            entity: "attachment",
            entity_id: Some(id),
            person_id: Some(r.person_id),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    let mut view = AttachmentView::from(m);
    view.file_name = clean_name(&view.file_name);
    Ok((view, bytes))
}
