//! Storage: one code path for SQLite (embedded, default) and PostgreSQL (production).

pub mod chain;
pub mod contact;
pub mod credentials;
pub mod entities;
pub mod m0003_contact;
pub mod m0004_notify;
pub mod m0005_dmfa_review;
pub mod m0006_final;
pub mod m0007_letters;
pub mod m0008_office_address;
pub mod m0009_login_source;
pub mod m0010_audit_checkpoints;
pub mod m0011_person_names;
pub mod m0013_retention;
pub mod m0014_oidc;
pub mod m0016_impact_runs;
pub mod m0017_oidc_organisations;
pub mod m0018_audit_pending;
pub mod m0019_audit_base;
pub mod m0020_read_indexes;
pub mod migration;
pub mod notify_entities;
pub mod reads;
pub mod retention_entities;
pub mod review;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use contact::*;
pub use entities::*;
pub use notify_entities::*;
pub use retention_entities::{purged_subject, retention_setting};
pub use review::{dmfa_resolution, letter, request_dmfa_review};

/// Default database: a SQLite file in the working directory, created on first start.
pub const DEFAULT_URL: &str = "sqlite://art60.db?mode=rwc";

/// Default connection pool size.
pub const DEFAULT_POOL: u32 = 16;

/// Connections of the read pool beside a main pool of `pool` (see `reads`): half as many.
pub fn read_pool(pool: u32) -> u32 {
    pool.div_ceil(2)
}

/// A pooled connection unused this long is checked before it is handed out.
const IDLE_CHECK: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// SQLite allows one writer; a transaction that reads before it writes would fail with
    /// SQLITE_BUSY when another one upgrades first. Serialising write transactions in the
    /// process avoids that (SQLite is single-process by design). PostgreSQL needs no gate:
    /// row locks order concurrent writers, also across processes.
    write_gate: Option<Arc<Mutex<()>>>,
    /// The audit entries of committed transactions join the chain here (group append).
    pub chain: Arc<chain::AuditChain>,
    /// Sessions and API tokens recently resolved (see `credentials`).
    pub credentials: Arc<credentials::CredentialCache>,
    /// Reads outside a transaction, on connections kept between them (see `reads`).
    pub reads: reads::Reads,
}

/// A write transaction and, on SQLite, the process-wide writer slot it holds. Fields drop
/// in order: an uncommitted transaction rolls back before the slot is released.
pub struct WriteTx {
    pub txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
    chain: Arc<chain::AuditChain>,
}

impl WriteTx {
    /// Commits, then returns once the audit entries written in the transaction are chained:
    /// what a caller is told is done is in the audit trail (see `chain`).
    pub async fn commit(self) -> Result<(), DbErr> {
        let WriteTx { txn, _gate, chain } = self;
        txn.commit().await?;
        // The chaining transaction is a writer too: release the slot first.
        drop(_gate);
        // Chained by a task of its own, which the caller waits for: a caller that goes away
        // now (a client that hangs up drops its request's future) leaves no entry waiting
        // for the next writer to chain on its own time (issue 16: 200 of them after a load
        // run's abrupt end held up the next views by about 100 ms).
        tokio::spawn(async move { chain.sync().await })
            .await
            .map_err(|e| DbErr::Custom(format!("the audit chaining task failed: {e}")))?
    }
}

impl Db {
    /// Connects and runs pending migrations.
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        Self::connect_with(url, None).await
    }

    /// `schema`: a PostgreSQL schema to use (tests isolate themselves this way).
    pub async fn connect_with(url: &str, schema: Option<&str>) -> Result<Db, DbErr> {
        Self::connect_pool(url, schema, DEFAULT_POOL).await
    }

    /// `pool`: most connections kept open to the database.
    pub async fn connect_pool(url: &str, schema: Option<&str>, pool: u32) -> Result<Db, DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .max_connections(pool.max(1))
            .acquire_timeout(Duration::from_secs(10))
            // The pool checked every connection it handed out with a round trip (a message
            // to SQLite's connection thread, a packet to PostgreSQL): a tenth of a request
            // page's time (issue 16). Only a connection left unused for a while is checked,
            // the kind a restarted server or a firewall drops.
            .test_before_acquire_if_idle_for(IDLE_CHECK);
        if let Some(s) = schema {
            opts.set_schema_search_path(s.to_owned());
        }
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
            // No mmap_size: tried for issue 16 (each audited read empties the other
            // connections' page caches), a mapped file is unmapped whole at every read
            // transaction after a write, which cost more than it saved (BENCHMARKS.md).
        });
        let conn = Database::connect(opts.clone()).await?;
        let write_gate = match conn.get_database_backend() {
            DbBackend::Sqlite => {
                migration::Migrator::up(&conn, None).await?;
                Some(Arc::new(Mutex::new(())))
            }
            _ => {
                migrate_exclusively(opts.clone()).await?;
                None
            }
        };
        let reads = reads::Reads::connect(conn.clone(), opts, read_pool(pool), IDLE_CHECK).await?;
        let chain = Arc::new(chain::AuditChain::new(
            conn.clone(),
            reads.clone(),
            write_gate.clone(),
        ));
        Ok(Db {
            reads,
            conn,
            write_gate,
            chain,
            credentials: Arc::default(),
        })
    }

    /// Deletes what has expired: sessions, old login attempts and idempotency records. Safe
    /// to run from every process at once (plain deletes; nothing is claimed or handed out).
    pub async fn sweep(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64, DbErr> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let day_ago = now - chrono::Duration::hours(24);
        let a = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(&self.conn)
            .await?
            .rows_affected;
        // Failures count for a day at most; a success marks its source as the account's
        // usual one for the throttle's trust period, then goes too.
        let trusted_since = now - crate::login_throttle::POLICY.trusted_for;
        let b = login_attempt::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        sea_orm::Condition::all()
                            .add(login_attempt::Column::Success.eq(false))
                            .add(login_attempt::Column::At.lt(day_ago)),
                    )
                    .add(login_attempt::Column::At.lt(trusted_since)),
            )
            .exec(&self.conn)
            .await?
            .rows_affected;
        let c = idempotency::Entity::delete_many()
            .filter(idempotency::Column::CreatedAt.lt(day_ago))
            .exec(&self.conn)
            .await?
            .rows_affected;
        Ok(a + b + c)
    }

    /// Connects without migrating (administration: creating test schemas).
    pub async fn connect_raw(url: &str) -> Result<DatabaseConnection, DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false).max_connections(1);
        Database::connect(opts).await
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub async fn begin_write(&self) -> Result<WriteTx, DbErr> {
        let gate = match &self.write_gate {
            Some(g) => Some(Arc::clone(g).lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        Ok(WriteTx {
            txn,
            _gate: gate,
            chain: Arc::clone(&self.chain),
        })
    }
}

impl Db {
    /// SQLite: a consistent copy of the live database in `out` (a new file), taken in one
    /// read transaction by `VACUUM INTO` while the server keeps running: copying the file
    /// itself without its `-wal` gave a "malformed" database. Refuses PostgreSQL (use
    /// `pg_dump`, see the README) and an existing `out`.
    pub async fn backup_to(&self, out: &std::path::Path) -> Result<(), DbErr> {
        if self.backend() != DbBackend::Sqlite {
            return Err(DbErr::Custom(
                "PostgreSQL: use pg_dump --format=custom (README, Backups)".into(),
            ));
        }
        if out.exists() {
            return Err(DbErr::Custom(format!(
                "{} exists: a backup never overwrites a file",
                out.display()
            )));
        }
        let path = out
            .to_str()
            .ok_or_else(|| DbErr::Custom(format!("{}: not a UTF-8 path", out.display())))?;
        // A string literal in SQL: quotes doubled.
        let sql = format!("VACUUM INTO '{}'", path.replace('\'', "''"));
        sea_orm::ConnectionTrait::execute_unprepared(&self.conn, &sql).await?;
        Ok(())
    }

    /// Checks a SQLite copy as it would be restored, opened on its own read-only: SQLite's
    /// integrity check, then the audit chain. Returns the number of audit entries.
    pub async fn check_sqlite_copy(path: &std::path::Path) -> Result<i64, DbErr> {
        use sea_orm::ConnectionTrait;
        let copy = Self::connect_raw(&format!("sqlite://{}?mode=ro", path.display())).await?;
        let ok = copy
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA integrity_check".to_owned(),
            ))
            .await?
            .and_then(|r| r.try_get_by_index::<String>(0).ok());
        if ok.as_deref() != Some("ok") {
            return Err(DbErr::Custom(format!(
                "the copy fails SQLite's integrity check: {ok:?}"
            )));
        }
        let v = crate::audit::verify(&copy)
            .await
            .map_err(|e| DbErr::Custom(format!("the copy's audit trail: {e}")))?;
        match v.first_broken {
            None => Ok(v.entries),
            Some((seq, why)) => Err(DbErr::Custom(format!(
                "the copy's audit trail is broken at entry {seq}: {why}"
            ))),
        }
    }
}

/// Held while a process seeds first-start or demonstration data, so that two processes
/// starting together on one empty PostgreSQL database do not both insert it (one failed on a
/// unique key): a session advisory lock on one pooled connection, kept until
/// [`StartLock::release`]. SQLite: nothing (one process by design).
pub struct StartLock(Option<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>>);

/// Arbitrary application-wide key ("seed" in ASCII).
const SEED_LOCK: i64 = 0x7365_6564;

impl Db {
    pub async fn start_lock(&self) -> Result<StartLock, DbErr> {
        if self.backend() != DbBackend::Postgres {
            return Ok(StartLock(None));
        }
        let pool = self.conn.get_postgres_connection_pool();
        // Holding the only connection would leave none for the seeding itself.
        if pool.options().get_max_connections() < 2 {
            return Ok(StartLock(None));
        }
        let mut c = pool
            .acquire()
            .await
            .map_err(|e| DbErr::Custom(format!("start lock: {e}")))?;
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SEED_LOCK)
            .execute(&mut *c)
            .await
            .map_err(|e| DbErr::Custom(format!("start lock: {e}")))?;
        Ok(StartLock(Some(c)))
    }
}

impl StartLock {
    pub async fn release(self) -> Result<(), DbErr> {
        if let Some(mut c) = self.0 {
            sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(SEED_LOCK)
                .execute(&mut *c)
                .await
                .map_err(|e| DbErr::Custom(format!("start lock: {e}")))?;
        }
        Ok(())
    }
}

/// PostgreSQL: several processes may start together; an advisory lock on one dedicated
/// connection lets exactly one of them migrate while the others wait.
async fn migrate_exclusively(mut opts: ConnectOptions) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    // Arbitrary application-wide key ("art60" in ASCII).
    const LOCK_KEY: i64 = 0x61_7274_3630;
    opts.max_connections(1).min_connections(1);
    let one = Database::connect(opts).await?;
    one.execute_unprepared(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .await?;
    let result = migration::Migrator::up(&one, None).await;
    one.execute_unprepared(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .await?;
    one.close().await?;
    result
}
