//! Append-only, hash-chained audit trail (SPEC §9). Each entry stores the hash of the previous
//! one and its own hash over its content, so editing, deleting or reordering any row breaks
//! the chain from there on; `audit_head` holds the last hash, so cutting the tail shows too.
//!
//! An entry is written in the caller's transaction and chained right after its commit, by a
//! group append that orders entries under the `audit_head` row lock (PostgreSQL) or the
//! writer slot (SQLite), also across processes: `db::chain`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::Value;

use crate::db::chain::{self, entry_hash};
use crate::db::{audit_base, audit_entry, audit_head, audit_pending};
use crate::error::Result;

pub use crate::db::chain::GENESIS;

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

/// Records one entry inside `txn`. It joins the chain when the transaction's
/// `WriteTx::commit` returns (group append, `db::chain`): nothing shared is locked here.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    who: &Who,
    ev: Event,
) -> Result<()> {
    pending(now, who, ev).insert(txn).await?;
    Ok(())
}

fn pending(now: DateTime<Utc>, who: &Who, ev: Event) -> audit_pending::ActiveModel {
    audit_pending::ActiveModel {
        id: NotSet,
        at: Set(now),
        actor_user_id: Set(who.user_id),
        actor_role: Set(who.role.clone()),
        actor_org: Set(who.org.clone()),
        action: Set(ev.action.to_owned()),
        entity: Set(ev.entity.to_owned()),
        entity_id: Set(ev.entity_id),
        person_id: Set(ev.person_id),
        reason: Set(ev.reason),
        before: Set(ev.before),
        after: Set(ev.after),
    }
}

/// Audited reads gathered while one answer is put together, recorded together by
/// [`ReadLog::record`] in one transaction. The portal's request page reads the request, its
/// person and the person's DmfA data: three entries that cost three write transactions (and
/// on SQLite three turns of the single writer) when each read wrote its own.
///
/// Whoever fills a log records it before the answer leaves, also when building the answer
/// failed half-way: a read is audited once it happened, shown or not.
#[derive(Debug)]
pub struct ReadLog {
    now: DateTime<Utc>,
    who: Who,
    events: Vec<Event>,
}

impl ReadLog {
    pub fn new(now: DateTime<Utc>, who: Who) -> ReadLog {
        ReadLog {
            now,
            who,
            events: Vec::new(),
        }
    }

    pub fn read(&mut self, ev: Event) {
        self.events.push(ev);
    }

    /// Writes the gathered entries in one transaction (none when nothing was read).
    pub async fn record(self, db: &crate::db::Db) -> Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        let tx = db.begin_write().await?;
        // One statement for the page's entries (a page reads a handful: far under the
        // databases' limits on bound values).
        let rows = self
            .events
            .into_iter()
            .map(|ev| pending(self.now, &self.who, ev));
        audit_pending::Entity::insert_many(rows)
            .exec_without_returning(&tx.txn)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Appends one entry inside `txn` at once, under the `audit_head` row lock held until the
/// commit, and returns its position: for the rare callers that report the position (the
/// access export, the retention report). Every other write uses `append`, which does not
/// make concurrent transactions wait for each other.
pub async fn append_chained<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    who: &Who,
    ev: Event,
) -> Result<i64> {
    let mut head = chain::lock_head(txn).await?;
    let mut entry = audit_entry::Model {
        seq: 0,
        at: now,
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
        prev_hash: String::new(),
        hash: String::new(),
    };
    chain::link(&mut head, &mut entry);
    let seq = entry.seq;
    audit_entry::ActiveModel::from(entry).insert(txn).await?;
    chain::set_head(txn, &head).await?;
    tracing::debug!(target: "audit", seq, action = ev.action, entity = ev.entity, "audit");
    Ok(seq)
}

/// The outcome of a chain check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The first entry that does not fit the chain, and why.
    pub first_broken: Option<(i64, String)>,
    /// Entries up to this position were removed past the audit period (retention); the
    /// chain was checked from the next one, against the removed entry's hash.
    pub base: Option<Base>,
}

/// The last removed entry, as `audit_base` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Base {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

impl Verification {
    /// The position of the last entry checked (the head's when the chain holds).
    pub fn last_seq(&self) -> i64 {
        self.base.as_ref().map_or(0, |b| b.seq) + self.entries
    }
}

/// Where the chain starts: after the base, or at the genesis hash.
pub async fn base(conn: &DatabaseConnection) -> Result<Option<Base>> {
    Ok(audit_base::Entity::find_by_id(1)
        .one(conn)
        .await?
        .map(|b| Base {
            seq: b.seq,
            hash: b.hash,
            at: b.at,
        }))
}

/// Walks the whole chain in order, from its base.
pub async fn verify(conn: &DatabaseConnection) -> Result<Verification> {
    const PAGE: u64 = 1000;
    let base = base(conn).await?;
    let mut prev = base
        .as_ref()
        .map_or_else(|| GENESIS.to_owned(), |b| b.hash.clone());
    let first = base.as_ref().map_or(1, |b| b.seq + 1);
    let mut expected_seq = first;
    let mut count = 0i64;
    let broken = |count: i64, seq: i64, why: &str| Verification {
        entries: count,
        first_broken: Some((seq, why.to_owned())),
        base: base.clone(),
    };
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
    let last = first - 1 + count;
    let head = audit_head::Entity::find_by_id(1).one(conn).await?;
    match head {
        Some(h) if h.seq == last && h.hash == prev => Ok(Verification {
            entries: count,
            first_broken: None,
            base: base.clone(),
        }),
        Some(h) if h.seq > last => Ok(broken(count, last + 1, "entries removed from the end")),
        _ => Ok(broken(count, last, "head does not match the last entry")),
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
