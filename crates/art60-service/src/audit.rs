//! Append-only, hash-chained audit trail (SPEC §9). Each entry stores the hash of the previous
//! one and its own hash over its content, so editing, deleting or reordering any row breaks
//! the chain from there on; `audit_head` holds the last hash, so cutting the tail shows too.
//!
//! Appends happen in the caller's transaction, after a write to `audit_head`: that row lock
//! (PostgreSQL) or the writer slot (SQLite) orders appends, also across processes.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::{audit_entry, audit_head};
use crate::error::Result;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted, as recorded (ids and role only: never a name).
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub user_id: Option<i64>,
    pub role: Option<String>,
    /// `cpas:<id>`, `office:<id>`, `federation:<name>` or `operator`.
    pub org: Option<String>,
}

/// One thing to record.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: Option<i64>,
    pub person_id: Option<i64>,
    pub reason: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The hashed content of an entry, in a fixed field order.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: i64,
    at: String,
    actor_user_id: Option<i64>,
    actor_role: Option<&'a str>,
    actor_org: Option<&'a str>,
    action: &'a str,
    entity: &'a str,
    entity_id: Option<i64>,
    person_id: Option<i64>,
    reason: Option<&'a str>,
    before: Option<&'a Value>,
    after: Option<&'a Value>,
}

fn entry_hash(prev: &str, e: &audit_entry::Model) -> String {
    let content = Hashed {
        seq: e.seq,
        at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor_user_id: e.actor_user_id,
        actor_role: e.actor_role.as_deref(),
        actor_org: e.actor_org.as_deref(),
        action: &e.action,
        entity: &e.entity,
        entity_id: e.entity_id,
        person_id: e.person_id,
        reason: e.reason.as_deref(),
        before: e.before.as_ref(),
        after: e.after.as_ref(),
    };
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    // Serialising plain data to a Vec cannot fail.
    h.update(serde_json::to_vec(&content).unwrap_or_default());
    hex::encode(h.finalize())
}

/// Appends one entry inside `txn`.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    who: &Who,
    ev: Event,
) -> Result<i64> {
    // One round trip: take the row lock, bump and read the head (RETURNING works on
    // PostgreSQL and on SQLite >= 3.35).
    let bump = Query::update()
        .table("audit_head")
        .value("seq", Expr::col("seq").add(1))
        .and_where(Expr::col("id").eq(1))
        .returning(Query::returning().columns(["seq", "hash", "at"]))
        .to_owned();
    let row = txn
        .query_one(&bump)
        .await?
        .ok_or(crate::error::ServiceError::Storage(
            "audit_head row missing: the database was not migrated".into(),
        ))?;
    let head = audit_head::Model {
        id: 1,
        seq: row.try_get("", "seq")?,
        hash: row.try_get("", "hash")?,
        at: row.try_get("", "at")?,
    };
    // `now` was read before this transaction took the head; a concurrent append may have
    // taken it in between with a later time. The trail stays in time order: an entry is
    // never earlier than its predecessor (the difference is the wait for the lock).
    // The databases keep microseconds; hash what will be read back.
    let at = Ord::max(
        now.trunc_subsecs(6),
        head.at.unwrap_or(now).trunc_subsecs(6),
    );
    let mut entry = audit_entry::Model {
        seq: head.seq,
        at,
        actor_user_id: who.user_id,
        actor_role: who.role.clone(),
        actor_org: who.org.clone(),
        action: ev.action.to_owned(),
        entity: ev.entity.to_owned(),
        entity_id: ev.entity_id,
        person_id: ev.person_id,
        reason: ev.reason,
        before: ev.before,
        after: ev.after,
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    entry.hash = entry_hash(&head.hash, &entry);
    let seq = entry.seq;
    let hash = entry.hash.clone();
    audit_entry::ActiveModel::from(entry).insert(txn).await?;
    let set_hash = Query::update()
        .table("audit_head")
        .value("hash", hash)
        .value("at", at)
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    txn.execute(&set_hash).await?;
    tracing::debug!(target: "audit", seq, action = ev.action, entity = ev.entity, "audit");
    Ok(seq)
}

/// The outcome of a chain check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The first entry that does not fit the chain, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the whole chain in order.
pub async fn verify(conn: &DatabaseConnection) -> Result<Verification> {
    const PAGE: u64 = 1000;
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut count = 0i64;
    loop {
        let page = audit_entry::Entity::find()
            .filter(Expr::col(audit_entry::Column::Seq).gte(expected_seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        let len = page.len();
        for e in page {
            if e.seq != expected_seq {
                return Ok(broken(
                    count,
                    expected_seq,
                    "entry missing (gap in sequence)",
                ));
            }
            if e.prev_hash != prev {
                return Ok(broken(
                    count,
                    e.seq,
                    "prev_hash does not match the previous entry",
                ));
            }
            if entry_hash(&prev, &e) != e.hash {
                return Ok(broken(count, e.seq, "content does not match its hash"));
            }
            prev = e.hash;
            expected_seq += 1;
            count += 1;
        }
        if (len as u64) < PAGE {
            break;
        }
    }
    let head = audit_head::Entity::find_by_id(1).one(conn).await?;
    match head {
        Some(h) if h.seq == count && h.hash == prev => Ok(Verification {
            entries: count,
            first_broken: None,
        }),
        Some(h) if h.seq > count => Ok(broken(count, count + 1, "entries removed from the end")),
        _ => Ok(broken(count, count, "head does not match the last entry")),
    }
}

fn broken(count: i64, seq: i64, why: &str) -> Verification {
    Verification {
        entries: count,
        first_broken: Some((seq, why.to_owned())),
    }
}

/// One entry as shown to administrators (the DPO's reading of the trail).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_role: Option<String>,
    pub actor_org: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub person_id: Option<i64>,
    pub reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub hash: String,
}

/// A page of the trail from `after_seq` on, oldest first.
pub async fn page(conn: &DatabaseConnection, after_seq: i64, limit: u64) -> Result<Vec<EntryView>> {
    Ok(audit_entry::Entity::find()
        .filter(Expr::col(audit_entry::Column::Seq).gt(after_seq))
        .order_by_asc(audit_entry::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// An entry as shown to the DPO and administrators.
pub fn view(e: audit_entry::Model) -> EntryView {
    EntryView {
        seq: e.seq,
        at: e.at,
        actor_user_id: e.actor_user_id,
        actor_role: e.actor_role,
        actor_org: e.actor_org,
        action: e.action,
        entity: e.entity,
        entity_id: e.entity_id,
        person_id: e.person_id,
        reason: e.reason,
        before: e.before,
        after: e.after,
        hash: e.hash,
    }
}
