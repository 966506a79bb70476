//! Accounts, sessions, API tokens and the actor every service call takes.
//!
//! Passwords: argon2id. Session cookies and API tokens are 256-bit random values; only their
//! SHA-256 is stored (a fast hash is enough for high-entropy secrets, and a stolen database
//! holds no usable credential). Everything lives in the database, so several processes behind
//! a load balancer share sessions and the login rate limit; each process keeps what it read
//! of a credential for at most a second (`db::credentials`).

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{self, Event, Who};
use crate::db::credentials::CredentialRows;
use crate::db::{Db, Federation, Role, UiLanguage, api_token, login_attempt, session, user};
use crate::error::{Result, ServiceError};

pub const SESSION_HOURS: i64 = 8;
pub const SESSION_COOKIE: &str = "art60_session";

/// Argon2 cost. Production uses the argon2 crate's defaults (OWASP's 19 MiB, 2 passes);
/// tests and the demo may lower it, the parameters are stored in each hash.
#[derive(Debug, Clone, Copy)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
        }
    }
}

impl PasswordCost {
    /// The cheapest setting argon2 accepts: for tests only.
    pub fn minimal_for_tests() -> Self {
        PasswordCost {
            memory_kib: Params::MIN_M_COST.max(8),
            iterations: 1,
        }
    }
}

/// Who is calling, resolved from a session or an API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    pub cpas_id: Option<i64>,
    pub office_id: Option<i64>,
    pub federation: Option<Federation>,
}

impl Actor {
    pub fn who(&self) -> Who {
        let org = match (self.role, self.cpas_id, self.office_id, self.federation) {
            (_, Some(c), _, _) => format!("cpas:{c}"),
            (_, _, Some(o), _) => format!("office:{o}"),
            (_, _, _, Some(f)) => format!("federation:{f}"),
            (Role::OnemSpoc, ..) => "onem".to_owned(),
            _ => "operator".to_owned(),
        };
        Who {
            user_id: Some(self.user_id),
            role: Some(self.role.as_str().to_owned()),
            org: Some(org),
        }
    }

    pub fn from_user(u: &user::Model) -> Actor {
        Actor {
            user_id: u.id,
            role: u.role,
            cpas_id: u.cpas_id,
            office_id: u.office_id,
            federation: u.federation,
        }
    }

    /// May see the case data of a request of this CPAS, sent to this office?
    /// (`sent_once`: drafts that never left the CPAS are invisible to ONEM.)
    pub fn sees_case(&self, cpas_id: i64, office_id: Option<i64>, sent_once: bool) -> bool {
        match self.role {
            Role::CpasWorker => self.cpas_id == Some(cpas_id),
            Role::OnemOfficer => sent_once && office_id.is_some() && self.office_id == office_id,
            Role::FederationSpoc
            | Role::OnemSpoc
            | Role::Administrator
            | Role::Dpo
            | Role::AccessManager => false,
        }
    }
}

/// How the caller authenticated; cookie sessions carry the CSRF token forms must echo.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { csrf_token: String },
    ApiToken,
}

/// What a password sign-in answers when an administrator turned local passwords off.
pub const PASSWORDS_OFF: &str = "password sign-in is turned off on this installation: sign in through your organisation's identity provider";

/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 12;

/// Why a new password is refused, if it is: shorter than [`PASSWORD_MIN_CHARS`], or easy to
/// guess for zxcvbn (a common password, a name, a keyboard walk, a variation of the
/// username...: at most 10^10 guesses). Length alone let "azertyuiop12" through.
pub fn password_problem(password: &str, user_inputs: &[&str]) -> Option<&'static str> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Some("at least 12 characters");
    }
    if zxcvbn::zxcvbn(password, user_inputs).score() < zxcvbn::Score::Three {
        return Some(
            "too easy to guess (a common password, a name or a pattern): use a few uncommon words",
        );
    }
    None
}

pub fn hash_password(cost: PasswordCost, password: &str) -> Result<String> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|e| ServiceError::Storage(format!("argon2 parameters: {e}")))?;
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    a.hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Storage(format!("argon2: {e}")))
}

thread_local! {
    static PASSWORD_CHECKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many password hashes this thread has verified (for tests: a login with an unknown
/// name must cost one argon2 verification like a known one).
pub fn password_checks_on_this_thread() -> u64 {
    PASSWORD_CHECKS.with(std::cell::Cell::get)
}

/// A hash of a random password at `cost`, made once per cost: what a login for an unknown or
/// inactive account verifies against, so that it takes as long as one for a known account.
fn dummy_hash(cost: PasswordCost) -> Result<String> {
    static DUMMIES: std::sync::Mutex<Vec<((u32, u32), String)>> = std::sync::Mutex::new(Vec::new());
    let key = (cost.memory_kib, cost.iterations);
    let mut d = DUMMIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, h)) = d.iter().find(|(k, _)| *k == key) {
        return Ok(h.clone());
    }
    let h = hash_password(cost, &random_secret(""))?;
    d.push((key, h.clone()));
    Ok(h)
}

fn verify_password(password: &str, stored: &str) -> bool {
    PASSWORD_CHECKS.with(|c| c.set(c.get() + 1));
    match PasswordHash::new(stored) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh 256-bit secret, URL-safe.
pub fn random_secret(prefix: &str) -> String {
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
    )
}

pub fn sha256_hex(s: &[u8]) -> String {
    hex::encode(Sha256::digest(s))
}

/// A new session: the cookie value (give it to the client, never store it) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf_token: String,
    pub actor: Actor,
    pub expires_at: DateTime<Utc>,
}

/// [`login_from`] without a known source (the pair limit is then the account's alone).
pub async fn login(
    db: &Db,
    now: DateTime<Utc>,
    cost: PasswordCost,
    username: &str,
    password: &str,
) -> Result<NewSession> {
    login_from(db, now, cost, None, username, password).await
}

/// Checks a password under the sign-in limits of [`login_throttle`] for `source` (the
/// client's address). The attempt is counted before the password is verified, so concurrent
/// wrong passwords cannot all get past the limit. An unknown or inactive account costs one
/// verification too (against a dummy hash at `cost`, the cost new hashes get), so the
/// answer's time does not tell whether the account exists.
pub async fn login_from(
    db: &Db,
    now: DateTime<Utc>,
    cost: PasswordCost,
    source: Option<&str>,
    username: &str,
    password: &str,
) -> Result<NewSession> {
    let tx = db.begin_write().await?;
    crate::login_throttle::check(&tx.txn, now, username, source).await?;
    let attempt = login_attempt::ActiveModel {
        username: Set(username.to_owned()),
        success: Set(false),
        at: Set(now),
        source: Set(source.map(str::to_owned)),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    tx.commit().await?;
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&db.reads)
        .await?;
    let ok_user = match &found {
        Some(u) => (verify_password(password, &u.password_hash) && u.active).then(|| u.clone()),
        None => {
            verify_password(password, &dummy_hash(cost)?);
            None
        }
    };
    let tx = db.begin_write().await?;
    let Some(u) = ok_user else {
        audit::append(
            &tx.txn,
            now,
            &Who::default(),
            Event {
                action: "login_failed",
                entity: "user",
                entity_id: found.as_ref().map(|u| u.id),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated);
    };
    let mut attempt: login_attempt::ActiveModel = attempt.into();
    attempt.success = Set(true);
    attempt.update(&tx.txn).await?;
    let session = start_session(&tx.txn, now, &u, None).await?;
    tx.commit().await?;
    Ok(session)
}

/// A new session for `u` and its `login` audit entry, in the caller's transaction. `via`
/// names a sign-in other than by password (`oidc`), recorded in the entry.
pub async fn start_session<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    u: &user::Model,
    via: Option<&str>,
) -> Result<NewSession> {
    let cookie = random_secret("");
    let csrf_token = random_secret("");
    let expires_at = now + Duration::hours(SESSION_HOURS);
    session::ActiveModel {
        token_hash: Set(sha256_hex(cookie.as_bytes())),
        user_id: Set(u.id),
        csrf_token: Set(csrf_token.clone()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let actor = Actor::from_user(u);
    audit::append(
        conn,
        now,
        &actor.who(),
        Event {
            action: "login",
            entity: "user",
            entity_id: Some(u.id),
            after: via.map(|v| serde_json::json!({ "via": v })),
            ..Default::default()
        },
    )
    .await?;
    Ok(NewSession {
        cookie,
        csrf_token,
        actor,
        expires_at,
    })
}

/// Ends every session of `user_id` but the one whose cookie is `keep_cookie`, and revokes all
/// its API tokens: what a password change or reset does, in the caller's transaction.
/// Returns how many sessions and tokens it ended.
pub async fn revoke_credentials<C: sea_orm::ConnectionTrait>(
    conn: &C,
    user_id: i64,
    keep_cookie: Option<&str>,
) -> Result<(u64, u64)> {
    let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(c) = keep_cookie {
        q = q.filter(session::Column::TokenHash.ne(sha256_hex(c.as_bytes())));
    }
    let sessions = q.exec(conn).await?.rows_affected;
    let tokens = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::Revoked,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::Revoked.eq(false))
        .exec(conn)
        .await?
        .rows_affected;
    Ok((sessions, tokens))
}

pub async fn logout(db: &Db, cookie: &str) -> Result<()> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(sha256_hex(cookie.as_bytes())))
        .exec(&db.conn)
        .await?;
    db.credentials.invalidate();
    Ok(())
}

/// Ends the session of `cookie` like [`logout`], and returns the ID token a federated session
/// was opened with (m0017), for the sign-out at the identity provider.
pub async fn logout_federated(db: &Db, cookie: &str) -> Result<Option<String>> {
    let hash = sha256_hex(cookie.as_bytes());
    let token = session::Entity::find()
        .filter(session::Column::TokenHash.eq(hash.as_str()))
        .one(&db.reads)
        .await?
        .and_then(|s| s.oidc_id_token);
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(hash))
        .exec(&db.conn)
        .await?;
    db.credentials.invalidate();
    Ok(token)
}

fn active(u: Option<&user::Model>) -> Result<&user::Model> {
    match u {
        Some(u) if u.active => Ok(u),
        _ => Err(ServiceError::Unauthenticated),
    }
}

#[derive(Clone, Copy)]
enum Secret {
    Session,
    Token,
}

/// The rows behind a session cookie or an API token, with its user: from the cache when read
/// less than [`TTL`](crate::db::credentials::TTL) ago, else from the database.
async fn credential_rows(db: &Db, secret: &str, kind: Secret) -> Result<Arc<CredentialRows>> {
    let hash = sha256_hex(secret.as_bytes());
    if let Some(rows) = db.credentials.get(&hash) {
        return Ok(rows);
    }
    let generation = db.credentials.generation();
    let rows = match kind {
        Secret::Session => session::Entity::find()
            .filter(session::Column::TokenHash.eq(hash.as_str()))
            .find_also_related(user::Entity)
            .one(&db.reads)
            .await?
            .map(|(s, u)| CredentialRows::Session(s, u)),
        Secret::Token => api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash.as_str()))
            .find_also_related(user::Entity)
            .one(&db.reads)
            .await?
            .map(|(t, u)| CredentialRows::Token(t, u)),
    };
    let rows = Arc::new(rows.ok_or(ServiceError::Unauthenticated)?);
    db.credentials.insert(hash, Arc::clone(&rows), generation);
    Ok(rows)
}

/// A signed-in user as a session cookie names them.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub actor: Actor,
    /// What the session's forms and unsafe calls must echo.
    pub csrf_token: String,
    /// The account's language setting (the portal's pages follow it).
    pub language: Option<UiLanguage>,
}

/// Resolves a session cookie: the session joined with its user, read at most once a
/// [`TTL`](crate::db::credentials::TTL) (see `db::credentials`).
pub async fn session_user(db: &Db, now: DateTime<Utc>, cookie: &str) -> Result<SessionUser> {
    let rows = credential_rows(db, cookie, Secret::Session).await?;
    let CredentialRows::Session(s, u) = &*rows else {
        // This secret is an API token's, sent as a cookie: not a session.
        return Err(ServiceError::Unauthenticated);
    };
    if s.expires_at <= now {
        return Err(ServiceError::Unauthenticated);
    }
    let u = active(u.as_ref())?;
    Ok(SessionUser {
        actor: Actor::from_user(u),
        csrf_token: s.csrf_token.clone(),
        language: u.language,
    })
}

/// [`session_user`] as an API caller.
pub async fn from_session(
    db: &Db,
    now: DateTime<Utc>,
    cookie: &str,
) -> Result<(Actor, Credential)> {
    let u = session_user(db, now, cookie).await?;
    Ok((
        u.actor,
        Credential::Session {
            csrf_token: u.csrf_token,
        },
    ))
}

/// Resolves an API token (`Authorization: Bearer ...`), joined with its user, read at most
/// once a [`TTL`](crate::db::credentials::TTL).
pub async fn from_token(db: &Db, token: &str) -> Result<(Actor, Credential)> {
    let rows = credential_rows(db, token, Secret::Token).await?;
    let CredentialRows::Token(t, u) = &*rows else {
        return Err(ServiceError::Unauthenticated);
    };
    if t.revoked {
        return Err(ServiceError::Unauthenticated);
    }
    let actor = Actor::from_user(active(u.as_ref())?);
    // The token is scoped to one CPAS whatever happens to the account later.
    if actor.role != Role::CpasWorker || actor.cpas_id != Some(t.cpas_id) {
        return Err(ServiceError::Unauthenticated);
    }
    Ok((actor, Credential::ApiToken))
}

/// A token as shown once at creation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub id: i64,
    pub label: String,
    pub cpas_id: i64,
    /// Shown only now; the service keeps only its hash.
    pub token: String,
}

/// A CPAS worker issues a token for their CPAS's software.
pub async fn issue_token(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    label: &str,
) -> Result<IssuedToken> {
    let cpas_id = match (actor.role, actor.cpas_id) {
        (Role::CpasWorker, Some(c)) => c,
        _ => {
            return Err(ServiceError::Forbidden(
                "only a CPAS worker issues API tokens for their CPAS".into(),
            ));
        }
    };
    let label = label.trim();
    if label.is_empty() || label.len() > 200 {
        return Err(ServiceError::invalid("label", "1 to 200 characters"));
    }
    let token = random_secret("a60_");
    let tx = db.begin_write().await?;
    let row = api_token::ActiveModel {
        token_hash: Set(sha256_hex(token.as_bytes())),
        user_id: Set(actor.user_id),
        cpas_id: Set(cpas_id),
        label: Set(label.to_owned()),
        revoked: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "issue_token",
            entity: "api_token",
            entity_id: Some(row.id),
            after: Some(serde_json::json!({"label": label, "cpas_id": cpas_id})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedToken {
        id: row.id,
        label: row.label,
        cpas_id,
        token,
    })
}

/// Revokes a token: its owner, or an administrator.
pub async fn revoke_token(db: &Db, now: DateTime<Utc>, actor: &Actor, id: i64) -> Result<()> {
    let t = api_token::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .filter(|t| t.user_id == actor.user_id || actor.role == Role::Administrator)
        .ok_or(ServiceError::NotFound("api token"))?;
    let tx = db.begin_write().await?;
    let mut am: api_token::ActiveModel = t.into();
    am.revoked = Set(true);
    am.update(&tx.txn).await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "revoke_token",
            entity: "api_token",
            entity_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.credentials.invalidate();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passwords_are_refused() {
        for weak in [
            "short",
            "azertyuiop12",
            "password1234",
            "Password123!",
            "qwertyuiopasdf",
            "worker.namur2026",
        ] {
            assert!(
                password_problem(weak, &["worker.namur"]).is_some(),
                "{weak} accepted"
            );
        }
        for strong in ["correct horse battery staple", "vélo pluie tartine 1976"] {
            assert_eq!(
                password_problem(strong, &["worker.namur"]),
                None,
                "{strong}"
            );
        }
    }
}
