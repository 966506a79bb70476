//! The reads run outside a transaction, on connections kept out of sqlx's pool between them.
//!
//! sqlx-core 0.9 checks every connection it takes back into its pool with a round trip
//! (`Floating::return_to_pool` pings unconditionally, from a task it spawns for the purpose;
//! transact-rs/sqlx#1743 made the check on acquire optional, nothing did for the release).
//! sea-orm takes a connection from the pool for each statement outside a transaction and
//! hands it back at once, so every such read cost two hand-offs to SQLite's connection
//! thread, or two round trips to PostgreSQL, where one does the work, and held the
//! connection meanwhile (issue 16, BENCHMARKS.md "Case service").
//!
//! [`Reads`] runs a read on a connection it keeps and, once the read has completed, keeps the
//! connection again without returning it to the pool. The check exists for a statement
//! dropped half-way, which can leave a connection mid-protocol: a read that fails or is
//! cancelled drops its connection, which goes back to the pool and is checked as before.
//! Statements that write go to the pool as they always did ([`Reads`] only reads faster).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::Database;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Database as SqlxDatabase, Executor, Pool, Postgres, Sqlite};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The idle connections of a read pool, kept out of it between reads.
struct Kept<DB: SqlxDatabase> {
    /// Last used last: the hottest connection (its page cache, on SQLite) is taken first.
    idle: Mutex<Vec<(PoolConnection<DB>, Instant)>>,
    /// The read pool's size: every connection of it fits.
    cap: usize,
    /// One for each connection of the read pool (see [`Kept::take`]).
    permits: Semaphore,
    /// A connection kept unused longer goes back to the pool, which checks it before handing
    /// it out again (a restarted server or a firewall drops idle connections).
    idle_check: Duration,
}

impl<DB: SqlxDatabase> Kept<DB> {
    /// A connection, with the permit that lets the read hold it. Readers wait for a permit,
    /// not for the pool: a connection kept here never returns to the pool, so a reader
    /// waiting on the pool would wait for nothing (at worst until the acquire timeout). With
    /// at most `cap` permits, a reader holding one finds a kept connection or one the pool
    /// can hand out.
    async fn take(
        &self,
        pool: &Pool<DB>,
    ) -> Result<(SemaphorePermit<'_>, PoolConnection<DB>), DbErr> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed))?;
        loop {
            // The lock is held for a pop, never across an await; a panic cannot happen
            // while it is held, so a poisoned lock still guards a sound vector.
            let popped = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match popped {
                Some((conn, at)) if at.elapsed() < self.idle_check => return Ok((permit, conn)),
                // Dropped: back to the pool, checked when next acquired.
                Some(_stale) => continue,
                None => break,
            }
        }
        let conn = pool.acquire().await.map_err(|e| match e {
            sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
            sqlx::Error::PoolClosed => {
                DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed)
            }
            e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
        })?;
        Ok((permit, conn))
    }

    /// After a read that completed: the connection is idle and its protocol at rest.
    fn keep(&self, conn: PoolConnection<DB>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // Never full (the vector holds at most the pool's connections); were it full, the
        // connection would drop, back to the pool.
        if idle.len() < self.cap {
            idle.push((conn, Instant::now()));
        }
    }

    /// Runs `stmt` on a kept connection: its first row only (`one`) or all of them.
    async fn query(
        &self,
        pool: &Pool<DB>,
        stmt: Statement,
        one: bool,
    ) -> Result<Vec<QueryResult>, DbErr>
    where
        QueryResult: From<DB::Row>,
        SqlxValues: sqlx::IntoArguments<DB>,
        for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    {
        let (_permit, mut conn) = self.take(pool).await?;
        let values = SqlxValues(stmt.values.unwrap_or(Values(Vec::new())));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql), values);
        let rows = if one {
            query.fetch_optional(&mut *conn).await.map(Vec::from_iter)
        } else {
            query.fetch_all(&mut *conn).await
        }
        .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))?;
        self.keep(conn);
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}

enum KeptConns {
    Sqlite(Kept<Sqlite>),
    Postgres(Kept<Postgres>),
}

/// Runs reads outside a transaction (`.one(&db.reads)`, `query_one_raw`) on connections of a
/// pool of their own, kept between reads; writes go to the main pool. Cheap to clone.
///
/// A pool of its own: connections kept idle here, taken from the main pool, would be missing
/// to the transactions waiting for one (at worst until the acquire timeout). Here a reader
/// waits only for another reader, which holds a connection for one statement.
#[derive(Clone)]
pub struct Reads {
    /// Where writes go (and reads, when nothing is kept).
    main: DatabaseConnection,
    /// The read pool (its `DatabaseConnection` owns it) and the connections kept from it.
    kept: Option<(DatabaseConnection, Arc<KeptConns>)>,
}

impl Reads {
    /// A read pool of `size` connections opened with `opts` (the main pool's options). None
    /// for size 0 and for an in-memory SQLite database, where each connection would open a
    /// database of its own.
    pub async fn connect(
        main: DatabaseConnection,
        mut opts: ConnectOptions,
        size: u32,
        idle_check: Duration,
    ) -> Result<Reads, DbErr> {
        let url = opts.get_url();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if size == 0 || in_memory {
            return Ok(Reads { main, kept: None });
        }
        opts.max_connections(size).min_connections(0);
        let pool = Database::connect(opts).await?;
        let kept = match pool.get_database_backend() {
            DbBackend::Sqlite => KeptConns::Sqlite(Kept::new(size as usize, idle_check)),
            DbBackend::Postgres => KeptConns::Postgres(Kept::new(size as usize, idle_check)),
            _ => return Ok(Reads { main, kept: None }),
        };
        Ok(Reads {
            main,
            kept: Some((pool, Arc::new(kept))),
        })
    }

    /// Connections kept now (tests).
    pub fn kept(&self) -> usize {
        match self.kept.as_ref().map(|(_, k)| &**k) {
            Some(KeptConns::Sqlite(k)) => k.len(),
            Some(KeptConns::Postgres(k)) => k.len(),
            None => 0,
        }
    }
}

impl<DB: SqlxDatabase> Kept<DB> {
    fn new(cap: usize, idle_check: Duration) -> Kept<DB> {
        Kept {
            idle: Mutex::new(Vec::with_capacity(cap)),
            cap,
            permits: Semaphore::new(cap),
            idle_check,
        }
    }

    fn len(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl<DB: SqlxDatabase> Drop for Kept<DB> {
    fn drop(&mut self) {
        // A pooled connection that drops spawns its return to the pool on the Tokio runtime,
        // and sqlx panics where there is none (a database dropped after its runtime ended):
        // there, the connections are closed without going back.
        if tokio::runtime::Handle::try_current().is_err() {
            let idle = self.idle.get_mut().unwrap_or_else(PoisonError::into_inner);
            for (conn, _) in idle.drain(..) {
                drop(conn.leak());
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DbBackend {
        self.main.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.main.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.main.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.query(stmt, true).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.query(stmt, false).await
    }
}

impl Reads {
    async fn query(&self, stmt: Statement, one: bool) -> Result<Vec<QueryResult>, DbErr> {
        match &self.kept {
            Some((pool, k)) => match &**k {
                KeptConns::Sqlite(k) => k.query(pool.get_sqlite_connection_pool(), stmt, one).await,
                KeptConns::Postgres(k) => {
                    k.query(pool.get_postgres_connection_pool(), stmt, one)
                        .await
                }
            },
            None if one => Ok(self.main.query_one_raw(stmt).await?.into_iter().collect()),
            None => self.main.query_all_raw(stmt).await,
        }
    }
}
