//! A short-lived cache of the rows behind a credential (a session or an API token, with its
//! user), so that a caller's requests do not each read them again.
//!
//! Every API call and portal page resolves its caller first: without this cache that read
//! was half the statements of a queue page (issue 16, BENCHMARKS.md "Case service"). An entry
//! is used for at most [`TTL`]; what can end or change a credential in this process (sign-out,
//! revocation, a user's role, organisation or status) calls [`CredentialCache::invalidate`]
//! once its transaction has committed, which empties the cache. A change made by another
//! process (the command line, a second server) takes effect within [`TTL`].
//!
//! A lookup that started before an invalidation must not put the old rows back: each insert
//! names the generation it read under and is dropped when an invalidation came in between.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::{api_token, session, user};

/// How long a credential's rows are trusted without reading them again.
pub const TTL: Duration = Duration::from_secs(1);

/// Most entries kept; a full cache is emptied (callers beyond that many within [`TTL`] only
/// lose the cache's help).
const CAPACITY: usize = 4096;

/// The rows a credential stands on.
#[derive(Debug)]
pub enum CredentialRows {
    Session(session::Model, Option<user::Model>),
    Token(api_token::Model, Option<user::Model>),
}

struct Entry {
    rows: Arc<CredentialRows>,
    loaded: Instant,
}

#[derive(Default)]
pub struct CredentialCache {
    /// By the credential's SHA-256 (hex), as the tables key them.
    entries: RwLock<HashMap<String, Entry>>,
    generation: AtomicU64,
}

impl CredentialCache {
    /// The rows read for `token_hash` less than [`TTL`] ago, if any.
    pub fn get(&self, token_hash: &str) -> Option<Arc<CredentialRows>> {
        self.get_at(token_hash, Instant::now())
    }

    fn get_at(&self, token_hash: &str, now: Instant) -> Option<Arc<CredentialRows>> {
        // A poisoned lock only means another thread panicked while holding it; the map is
        // still whole (every write is a single insert or clear), but not trusting it is cheap.
        let entries = self.entries.read().ok()?;
        let e = entries.get(token_hash)?;
        (now.saturating_duration_since(e.loaded) < TTL).then(|| Arc::clone(&e.rows))
    }

    /// To read before the database: the value [`insert`](Self::insert) then checks.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `rows`, read under `generation`, unless an invalidation came since.
    pub fn insert(&self, token_hash: String, rows: Arc<CredentialRows>, generation: u64) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        // Checked under the write lock, which `invalidate` also takes: an invalidation is
        // either before this check (the insert is dropped) or after the insert (it clears it).
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            token_hash,
            Entry {
                rows,
                loaded: Instant::now(),
            },
        );
    }

    /// Forgets every entry: a credential or a user may have changed.
    pub fn invalidate(&self) {
        let mut entries = match self.entries.write() {
            Ok(e) => e,
            // Cleared all the same: a poisoned map must not keep serving old rows.
            Err(poisoned) => poisoned.into_inner(),
        };
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn rows(id: i64) -> Arc<CredentialRows> {
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        Arc::new(CredentialRows::Session(
            session::Model {
                id,
                token_hash: "h".into(),
                user_id: 1,
                csrf_token: "c".into(),
                expires_at: at,
                created_at: at,
                oidc_id_token: None,
            },
            None,
        ))
    }

    fn id_of(r: &CredentialRows) -> i64 {
        match r {
            CredentialRows::Session(s, _) => s.id,
            CredentialRows::Token(t, _) => t.id,
        }
    }

    #[test]
    fn an_entry_is_served_until_invalidated() {
        let c = CredentialCache::default();
        let g = c.generation();
        c.insert("a".into(), rows(7), g);
        assert_eq!(c.get("a").map(|r| id_of(&r)), Some(7));
        assert!(c.get("b").is_none());
        c.invalidate();
        assert!(c.get("a").is_none());
    }

    #[test]
    fn an_entry_is_read_again_after_the_ttl() {
        let c = CredentialCache::default();
        c.insert("a".into(), rows(7), c.generation());
        let now = Instant::now();
        assert!(c.get_at("a", now).is_some());
        assert!(c.get_at("a", now + TTL).is_none());
    }

    #[test]
    fn a_lookup_that_started_before_an_invalidation_is_not_kept() {
        let c = CredentialCache::default();
        let g = c.generation();
        // The rows were read, then a sign-out committed and invalidated...
        c.invalidate();
        // ...so the late insert of the old rows must not bring the session back.
        c.insert("a".into(), rows(7), g);
        assert!(c.get("a").is_none());
        c.insert("a".into(), rows(8), c.generation());
        assert_eq!(c.get("a").map(|r| id_of(&r)), Some(8));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let c = CredentialCache::default();
        let g = c.generation();
        for i in 0..CAPACITY {
            c.insert(format!("k{i}"), rows(1), g);
        }
        assert!(c.get("k0").is_some());
        c.insert("new".into(), rows(2), g);
        assert!(c.get("k0").is_none());
        assert_eq!(c.get("new").map(|r| id_of(&r)), Some(2));
    }
}
