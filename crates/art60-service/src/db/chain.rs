//! The audit chain's storage: how an entry is hashed, and the group append that chains the
//! entries committed transactions left in `audit_pending` (m0018).
//!
//! Before, each transaction appended its own entry under the `audit_head` row lock and held
//! that lock until its commit: every audited write of the whole service waited in one queue
//! for the previous one's commit (PostgreSQL: 465 requests created a second, p99 231 ms, issue
//! 16). Now a transaction only inserts its entry into `audit_pending`, which locks nothing
//! shared. After its commit, `WriteTx::commit` waits until a chaining transaction has taken
//! the entry into the chain: the first waiter becomes the leader and chains every waiting
//! entry in one short transaction under the head lock; the waiters that arrived meanwhile
//! find their entry chained when the leader is done (group commit). A caller is answered
//! only once its entry is chained, so every acknowledged write is in the chain, as before.
//!
//! Across processes the head lock orders the chaining transactions, and an entry is chained
//! by whichever process gets there first. Entries of a transaction that committed just before
//! a crash are chained by the next chaining transaction of any process (and at `serve` start).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::reads::Reads;
use super::{audit_entry, audit_pending};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Most entries chained by one transaction: 12 bound values each stay well under the
/// databases' limits on one statement (SQLite 32,766; PostgreSQL 65,535).
const BATCH: u64 = 500;

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

/// The hash of an entry following `prev`.
pub fn entry_hash(prev: &str, e: &audit_entry::Model) -> String {
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

/// The chain's head as locked by a chaining transaction.
pub struct Head {
    pub seq: i64,
    pub hash: String,
    pub at: Option<DateTime<Utc>>,
}

/// Takes the `audit_head` row lock (PostgreSQL; SQLite's writer slot does the same) and reads
/// the head in one round trip: the bump of `seq` is undone by `set_head`.
pub async fn lock_head<C: ConnectionTrait>(txn: &C) -> Result<Head, DbErr> {
    let bump = Query::update()
        .table("audit_head")
        .value("seq", Expr::col("seq").add(0))
        .and_where(Expr::col("id").eq(1))
        .returning(Query::returning().columns(["seq", "hash", "at"]))
        .to_owned();
    let row = txn.query_one(&bump).await?.ok_or_else(|| {
        DbErr::RecordNotFound("audit_head row missing: the database was not migrated".into())
    })?;
    Ok(Head {
        seq: row.try_get("", "seq")?,
        hash: row.try_get("", "hash")?,
        at: row.try_get("", "at")?,
    })
}

/// Writes the head after the entries that follow `old`.
pub async fn set_head<C: ConnectionTrait>(txn: &C, head: &Head) -> Result<(), DbErr> {
    let set = Query::update()
        .table("audit_head")
        .value("seq", head.seq)
        .value("hash", head.hash.clone())
        .value("at", head.at)
        .and_where(Expr::col("id").eq(1))
        .to_owned();
    txn.execute(&set).await?;
    Ok(())
}

/// Fills in the chain fields of `entry` as the one after `head`, and moves the head to it.
/// An entry is never earlier than its predecessor: its time was read before its transaction
/// waited for the chain (the databases keep microseconds; hash what will be read back).
pub fn link(head: &mut Head, entry: &mut audit_entry::Model) {
    let at = entry.at.trunc_subsecs(6);
    entry.at = match head.at {
        Some(prev) => Ord::max(at, prev.trunc_subsecs(6)),
        None => at,
    };
    entry.seq = head.seq + 1;
    entry.prev_hash = head.hash.clone();
    entry.hash = entry_hash(&head.hash, entry);
    head.seq = entry.seq;
    head.hash = entry.hash.clone();
    head.at = Some(entry.at);
}

/// Group append: see the module's text.
pub struct AuditChain {
    conn: DatabaseConnection,
    /// The look for waiting entries before any lock: a read like the others (see `reads`).
    reads: Reads,
    /// SQLite's writer slot (see `Db::write_gate`): a chaining transaction is a writer too.
    write_gate: Option<Arc<Mutex<()>>>,
    /// Tickets handed to committed transactions that wait for their entries.
    requested: AtomicU64,
    /// Every ticket up to this one is chained.
    done: AtomicU64,
    leader: Mutex<()>,
}

impl AuditChain {
    pub fn new(
        conn: DatabaseConnection,
        reads: Reads,
        write_gate: Option<Arc<Mutex<()>>>,
    ) -> AuditChain {
        AuditChain {
            conn,
            reads,
            write_gate,
            requested: AtomicU64::new(0),
            done: AtomicU64::new(0),
            leader: Mutex::new(()),
        }
    }

    /// Returns once every entry committed before the call is chained.
    pub async fn sync(&self) -> Result<(), DbErr> {
        // A ticket taken after the commit: a chaining transaction that starts after the
        // ticket was taken sees the entry.
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        if self.done.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        // tokio's mutex is fair: waiters take turns in order of arrival, and most find
        // their ticket done by the leader before them.
        let _lead = self.leader.lock().await;
        if self.done.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let covers = self.requested.load(Ordering::SeqCst);
        self.chain_pending().await?;
        self.done.fetch_max(covers, Ordering::SeqCst);
        Ok(())
    }

    /// Chains every waiting entry, in transactions of at most `BATCH`. Returns how many.
    pub async fn chain_pending(&self) -> Result<u64, DbErr> {
        let mut chained = 0;
        loop {
            // A plain read first: a transaction that wrote no entry costs no lock.
            let any = audit_pending::Entity::find()
                .select_only()
                .column(audit_pending::Column::Id)
                .limit(1)
                .into_tuple::<i64>()
                .one(&self.reads)
                .await?;
            if any.is_none() {
                return Ok(chained);
            }
            let n = self.chain_batch().await?;
            chained += n;
            if n < BATCH {
                return Ok(chained);
            }
        }
    }

    async fn chain_batch(&self) -> Result<u64, DbErr> {
        let _gate = match &self.write_gate {
            Some(g) => Some(g.lock().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        let mut head = lock_head(&txn).await?;
        // Read under the head lock: another process's chaining transaction that held it
        // before has removed what it chained.
        // Taken out in the statement that reads them (one round trip, not two; issue 16): a
        // failure below rolls the removal back with the rest.
        let oldest = Query::select()
            .column(audit_pending::Column::Id)
            .from(audit_pending::Entity)
            .order_by(audit_pending::Column::Id, Order::Asc)
            .limit(BATCH)
            .to_owned();
        let mut pending = audit_pending::Entity::delete_many()
            .filter(audit_pending::Column::Id.in_subquery(oldest))
            .exec_with_returning(&txn)
            .await?;
        if pending.is_empty() {
            txn.rollback().await?;
            return Ok(0);
        }
        // RETURNING gives no order: entries join the chain in the order they were written.
        pending.sort_unstable_by_key(|p| p.id);
        let entries: Vec<audit_entry::ActiveModel> = pending
            .into_iter()
            .map(|p| {
                let mut e = audit_entry::Model {
                    seq: 0,
                    at: p.at,
                    actor_user_id: p.actor_user_id,
                    actor_role: p.actor_role,
                    actor_org: p.actor_org,
                    action: p.action,
                    entity: p.entity,
                    entity_id: p.entity_id,
                    person_id: p.person_id,
                    reason: p.reason,
                    before: p.before,
                    after: p.after,
                    prev_hash: String::new(),
                    hash: String::new(),
                };
                link(&mut head, &mut e);
                tracing::debug!(target: "audit", seq = e.seq, action = %e.action, entity = %e.entity, "audit");
                e.into()
            })
            .collect();
        let n = entries.len() as u64;
        audit_entry::Entity::insert_many(entries).exec(&txn).await?;
        set_head(&txn, &head).await?;
        txn.commit().await?;
        Ok(n)
    }
}
