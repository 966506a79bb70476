//! Sign-in throttling (issue 14 §1): per source *and* account, per source, and per account
//! from unknown sources, each with an exponential back-off.
//!
//! Why three counters: counting per account alone let anyone lock any known account for 15
//! minutes and let one address try any number of accounts. Here a stranger's failures slow
//! down only that stranger's address for that account (the pair); one address trying many
//! accounts hits the source limit; a spread attack on one account from many addresses hits
//! the account limit, which spares the addresses that signed in to that account recently
//! (its user's usual places), so nobody can lock a worker out of their own office.
//!
//! The check and the record of the attempt happen in one write transaction, serialised
//! across processes (PostgreSQL: a transaction-scoped advisory lock; SQLite: its single
//! writer), *before* the password is verified: concurrent wrong passwords cannot all pass
//! the check, since each one has been counted before the next is checked.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use crate::db::login_attempt;
use crate::error::{Result, ServiceError};

/// The policy's numbers (a security setting, not law).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures counted over this sliding window.
    pub window: Duration,
    /// Failures of one account from one source before the back-off starts.
    pub pair_free: u64,
    /// Failures from one source, all accounts together.
    pub source_free: u64,
    /// Failures of one account from sources that have not signed in to it recently.
    pub account_free: u64,
    /// The first wait once a limit is reached; it doubles with each further failure.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// A source that signed in to the account within this time is its user's (trusted).
    pub trusted_for: Duration,
}

pub const POLICY: Policy = Policy {
    window: Duration::minutes(15),
    pair_free: 5,
    source_free: 30,
    account_free: 50,
    base_delay: Duration::seconds(30),
    max_delay: Duration::minutes(15),
    trusted_for: Duration::days(30),
};

/// Failures within the window and the latest one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub failures: u64,
    pub last: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// This account from this source.
    pub pair: Tally,
    /// This source, every account (zero when the source is unknown).
    pub source: Tally,
    /// This account, every source.
    pub account: Tally,
    /// This source signed in to this account within [`Policy::trusted_for`].
    pub trusted: bool,
}

impl Policy {
    /// The wait after `failures` when `free` are allowed: none below, then `base`,
    /// doubling, at most `max`.
    fn wait(&self, failures: u64, free: u64) -> Option<Duration> {
        let over = failures.checked_sub(free)?;
        // 2^20 × 30 s is far past any sensible cap: stop doubling there.
        let factor = 1i32 << Ord::min(over, 20);
        Some((self.base_delay * factor).min(self.max_delay))
    }

    /// Until when a new attempt is refused, if it is.
    pub fn blocked_until(&self, now: DateTime<Utc>, s: &Stats) -> Option<DateTime<Utc>> {
        let until = |t: &Tally, free: u64| {
            let last = t.last?;
            let until = last + self.wait(t.failures, free)?;
            (until > now).then_some(until)
        };
        let account = if s.trusted {
            None
        } else {
            until(&s.account, self.account_free)
        };
        [
            until(&s.pair, self.pair_free),
            until(&s.source, self.source_free),
            account,
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

#[derive(FromQueryResult)]
struct Row {
    n: i64,
    last: Option<DateTime<Utc>>,
}

async fn tally<C: ConnectionTrait>(
    conn: &C,
    since: DateTime<Utc>,
    username: Option<&str>,
    source: Option<&str>,
) -> Result<Tally> {
    let mut q = login_attempt::Entity::find()
        .select_only()
        .column_as(Expr::col(login_attempt::Column::Id).count(), "n")
        .column_as(Expr::col(login_attempt::Column::At).max(), "last")
        .filter(login_attempt::Column::Success.eq(false))
        .filter(login_attempt::Column::At.gte(since));
    if let Some(u) = username {
        q = q.filter(login_attempt::Column::Username.eq(u));
    }
    if let Some(s) = source {
        q = q.filter(login_attempt::Column::Source.eq(s));
    }
    let row = q.into_model::<Row>().one(conn).await?;
    Ok(row
        .map(|r| Tally {
            failures: u64::try_from(r.n).unwrap_or(0),
            last: r.last,
        })
        .unwrap_or_default())
}

/// The counters for an attempt on `username` from `source` (`None`: unknown, e.g. a test
/// without a connection; then the pair is the account alone, as before sources were kept).
pub async fn stats<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    policy: &Policy,
    username: &str,
    source: Option<&str>,
) -> Result<Stats> {
    let since = now - policy.window;
    let account = tally(conn, since, Some(username), None).await?;
    let (pair, source_tally, trusted) = match source {
        Some(src) => {
            let trusted = login_attempt::Entity::find()
                .filter(login_attempt::Column::Username.eq(username))
                .filter(login_attempt::Column::Source.eq(src))
                .filter(login_attempt::Column::Success.eq(true))
                .filter(login_attempt::Column::At.gte(now - policy.trusted_for))
                .one(conn)
                .await?
                .is_some();
            (
                tally(conn, since, Some(username), Some(src)).await?,
                tally(conn, since, None, Some(src)).await?,
                trusted,
            )
        }
        None => (account, Tally::default(), false),
    };
    Ok(Stats {
        pair,
        source: source_tally,
        account,
        trusted,
    })
}

/// In the caller's write transaction: serialises sign-in bookkeeping across processes and
/// refuses the attempt while a limit holds. The caller then records the attempt in the same
/// transaction, before verifying the password.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    username: &str,
    source: Option<&str>,
) -> Result<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        // Arbitrary application-wide key ("login" in ASCII); released at commit.
        const LOGIN_LOCK: i64 = 0x6c_6f67_696e;
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LOGIN_LOCK})"))
            .await?;
    }
    let s = stats(conn, now, &POLICY, username, source).await?;
    match POLICY.blocked_until(now, &s) {
        Some(until) => Err(ServiceError::TooManyAttempts {
            retry_after_secs: Ord::max(u64::try_from((until - now).num_seconds()).unwrap_or(0), 1),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn tally(failures: u64, last: i64) -> Tally {
        Tally {
            failures,
            last: Some(at(last)),
        }
    }

    #[test]
    fn the_pair_backs_off_exponentially_up_to_the_cap() {
        let p = POLICY;
        let s = |n| Stats {
            pair: tally(n, 0),
            account: tally(n, 0),
            ..Default::default()
        };
        assert_eq!(p.blocked_until(at(0), &s(4)), None);
        assert_eq!(p.blocked_until(at(0), &s(5)), Some(at(30)));
        assert_eq!(p.blocked_until(at(0), &s(6)), Some(at(60)));
        assert_eq!(p.blocked_until(at(0), &s(7)), Some(at(120)));
        assert_eq!(p.blocked_until(at(0), &s(40)), Some(at(15 * 60)));
        // Once the wait is over, one more try is allowed.
        assert_eq!(p.blocked_until(at(30), &s(5)), None);
        assert_eq!(p.blocked_until(at(29), &s(5)), Some(at(30)));
    }

    #[test]
    fn a_stranger_cannot_lock_out_the_user_at_their_usual_address() {
        // 200 failures on the account from elsewhere; this source signed in last week and
        // has no failure of its own.
        let s = Stats {
            account: tally(200, 0),
            trusted: true,
            ..Default::default()
        };
        assert_eq!(POLICY.blocked_until(at(1), &s), None);
        // A new address is slowed down by the spread attack.
        let s = Stats {
            trusted: false,
            ..s
        };
        assert_eq!(POLICY.blocked_until(at(1), &s), Some(at(15 * 60)));
    }

    #[test]
    fn one_address_cannot_try_any_number_of_accounts() {
        let s = Stats {
            source: tally(30, 0),
            ..Default::default()
        };
        assert_eq!(POLICY.blocked_until(at(0), &s), Some(at(30)));
        let s = Stats {
            source: tally(29, 0),
            ..Default::default()
        };
        assert_eq!(POLICY.blocked_until(at(0), &s), None);
    }
}
