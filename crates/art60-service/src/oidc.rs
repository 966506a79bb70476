//! Federated sign-in through the organisations' identity provider (issue 14 §4): OpenID
//! Connect, authorization code with PKCE.
//!
//! Two halves. [`Provider`] speaks the protocol (discovery, the authorization address, the
//! code exchange, the ID token's signature, issuer, audience, expiry and nonce, and the
//! user-info endpoint for claims the ID token does not carry). [`sign_in`] decides, from the
//! verified [`Identity`], which account signs in: found again by issuer and subject; on a
//! first sign-in made only for an organisation the directory knows by its KBO number (a CPAS,
//! or ONEM, a federation or the operator registered in [`crate::organisations`]) and a role
//! the provider grants that such an organisation's people may hold; an ONEM officer's office
//! comes from the office claim. Nobody gets a password: the account's hash is unusable.
//!
//! Signing out ends the local session and, when the provider advertises an
//! `end_session_endpoint`, sends the browser there (RP-initiated logout) with the session's
//! ID token as `id_token_hint` and the sign-in page as `post_logout_redirect_uri`.

use std::time::{Duration as StdDuration, Instant};

use art60_rules::Kbo;
use chrono::{DateTime, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, UserInfoClaims,
};
use openidconnect::{
    EndSessionUrl, LogoutRequest, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Event, Who};
use crate::auth::NewSession;
use crate::db::{Db, OrgKind, Role, cpas, office, organisation, session, user};
use crate::error::{Result, ServiceError};
use crate::organisations::roles_of;

/// What `password_hash` holds for a federated account: not a PHC string, so no password
/// ever verifies against it.
pub const NO_PASSWORD: &str = "!oidc";

/// The claims that carry the organisation, the role and an ONEM officer's office
/// (`--oidc-org-claim`, `--oidc-role-claim`, `--oidc-office-claim`).
#[derive(Debug, Clone)]
pub struct ClaimNames {
    /// The organisation's KBO/BCE number (with or without dots).
    pub organisation: String,
    /// The art60 role(s) the organisation's access manager granted: a string or a list.
    pub role: String,
    /// For ONEM, whose one KBO number covers every office: the officer's office, as the
    /// directory's office code (compared without regard to case).
    pub office: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            organisation: "kbo".into(),
            role: "roles".into(),
            office: "onem_office".into(),
        }
    }
}

/// `art60 serve --oidc-*`.
#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE only).
    pub client_secret: Option<String>,
    /// This service's `/auth/oidc/callback`, as registered at the provider.
    pub redirect_url: String,
    pub claims: ClaimNames,
    /// Asked for besides `openid`.
    pub scopes: Vec<String>,
    /// Where the provider sends the browser back after signing out at its end-session
    /// endpoint (this service's `/login`, registered at the provider); `None`: the provider's
    /// own page.
    pub post_logout_redirect_url: Option<String>,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .field("post_logout_redirect_url", &self.post_logout_redirect_url)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// What went wrong talking to the provider (the user is told only that sign-in failed).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("OIDC configuration: {0}")]
    Config(String),
    #[error("OIDC discovery at {issuer}: {reason}")]
    Discovery { issuer: String, reason: String },
    #[error("OIDC code exchange: {0}")]
    Exchange(String),
    #[error("OIDC ID token: {0}")]
    IdToken(String),
    #[error("OIDC user info: {0}")]
    UserInfo(String),
    #[error("OIDC: the answer's state does not match this browser's sign-in")]
    StateMismatch,
}

/// Claims beyond the standard ones (the organisation and role claims are named by settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

/// What the browser keeps between the redirect to the provider and the way back (in a
/// short-lived cookie): the `state` it must bring back, the ID token's expected nonce and the
/// PKCE verifier. All three are URL-safe base64, so `.` separates them.
#[derive(Clone, PartialEq, Eq)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending(..)")
    }
}

impl Pending {
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.state, self.nonce, self.verifier)
    }

    pub fn decode(s: &str) -> Option<Pending> {
        let mut it = s.split('.');
        let (state, nonce, verifier) = (it.next()?, it.next()?, it.next()?);
        let ok = |p: &str| {
            !p.is_empty()
                && p.len() <= 200
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (it.next().is_none() && ok(state) && ok(nonce) && ok(verifier)).then(|| Pending {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            verifier: verifier.to_owned(),
        })
    }
}

/// A person the provider vouched for, with the claims [`sign_in`] maps.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// The organisation claim's value, as given.
    pub organisation: Option<String>,
    /// The role claim's values, as given.
    pub roles: Vec<String>,
    /// The office claim's value, as given (read for ONEM officers only).
    pub office: Option<String>,
    /// `preferred_username`, else `email`: the account's name on a first sign-in.
    pub username_hint: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("issuer", &self.issuer)
            .field("organisation", &self.organisation)
            .field("roles", &self.roles)
            .field("office", &self.office)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Reads the organisation and role claims named by `names` from `claims`. The role
    /// claim may be one string or a list of strings; anything else counts as absent.
    pub fn from_claims(
        issuer: &str,
        subject: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
        names: &ClaimNames,
    ) -> Identity {
        use serde_json::Value;
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let roles = match claims.get(&names.role) {
            Some(Value::String(s)) => vec![s.trim().to_owned()],
            Some(Value::Array(a)) => a.iter().filter_map(text).collect(),
            _ => Vec::new(),
        };
        let hint = ["preferred_username", "email"]
            .iter()
            .find_map(|k| claims.get(*k).and_then(text))
            .filter(|h| !h.is_empty());
        Identity {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            organisation: claims.get(&names.organisation).and_then(text),
            roles,
            office: claims
                .get(&names.office)
                .and_then(text)
                .filter(|o| !o.is_empty()),
            username_hint: hint,
        }
    }
}

/// The art60 role a role claim's value names, if any (other applications' roles are
/// ignored).
fn role_named(value: &str) -> Option<Role> {
    use sea_orm::Iterable;
    Role::iter().find(|r| r.as_str() == value)
}

/// The organisation a KBO number names in the directory.
#[derive(Debug, Clone)]
enum Org {
    Cpas(cpas::Model),
    /// ONEM, a federation or the operator (m0017).
    Other(organisation::Model),
}

impl Org {
    fn kind(&self) -> Option<OrgKind> {
        match self {
            Org::Cpas(_) => None,
            Org::Other(o) => Some(o.kind),
        }
    }

    /// Whether account `u` is one of this organisation's (the office aside).
    fn holds(&self, u: &user::Model) -> bool {
        match self {
            Org::Cpas(c) => u.cpas_id == Some(c.id),
            Org::Other(o) => {
                u.cpas_id.is_none()
                    && roles_of(Some(o.kind)).contains(&u.role)
                    && (o.kind != OrgKind::Federation || u.federation == o.federation)
            }
        }
    }
}

/// What the role claim grants that an organisation of `kind` may hold, once each.
fn granted_roles(id: &Identity, kind: Option<OrgKind>) -> Vec<Role> {
    let allowed = roles_of(kind);
    let mut granted: Vec<Role> = id
        .roles
        .iter()
        .filter_map(|r| role_named(r))
        .filter(|r| allowed.contains(r))
        .collect();
    granted.sort_by_key(|r| r.as_str());
    granted.dedup();
    granted
}

fn no_role_reason(kind: Option<OrgKind>) -> String {
    let names: Vec<&str> = roles_of(kind).iter().map(|r| r.as_str()).collect();
    format!(
        "the identity provider grants no art60 role this organisation's people may hold ({})",
        names.join(" or ")
    )
}

/// Why a federated sign-in is refused (each is audited as `login_refused` with its code).
pub mod refusal {
    pub const UNKNOWN_ORGANISATION: &str = "oidc_unknown_organisation";
    pub const UNKNOWN_ROLE: &str = "oidc_unknown_role";
    pub const SEVERAL_ROLES: &str = "oidc_several_roles";
    pub const ORGANISATION_CHANGED: &str = "oidc_organisation_changed";
    pub const ACCOUNT_INACTIVE: &str = "oidc_account_inactive";
    /// An ONEM officer without an office claim, or one naming no office of the directory.
    pub const UNKNOWN_OFFICE: &str = "oidc_unknown_office";
    /// An ONEM officer whose office claim names another office than the account's: an
    /// administrator moves the account (its office decides which cases it sees).
    pub const OFFICE_CHANGED: &str = "oidc_office_changed";
}

fn refused(code: &'static str, reason: &str) -> ServiceError {
    ServiceError::Refused {
        code,
        reason: reason.to_owned(),
        allowed_from: None,
        allowed_until: None,
    }
}

/// Signs in the person `id` describes, creating the account on a first sign-in.
///
/// - Found by issuer and subject: the account must be active (an access manager may have
///   withdrawn its role), belong to the organisation the claim names now (someone who moved
///   to another CPAS gets a new account there, not the old one's cases; an ONEM officer's
///   office must be the account's), and the provider must still grant one of the roles that
///   organisation's people may hold. The role in art60 stays what was set here.
/// - First sign-in: the organisation must be one the directory knows (a CPAS, or ONEM, a
///   federation or the operator registered in [`crate::organisations`]) and the role claim
///   must name exactly one role such an organisation's people may hold
///   ([`crate::organisations::roles_of`]); an ONEM officer also needs an office claim naming
///   an office of the directory.
///
/// Refusals are audited (with the code, the organisation number and the office code, which
/// are not personal data) and committed before the error is returned.
///
/// Two first sign-ins of one person at once (two tabs, two processes) make one account: the
/// loser of the unique (issuer, subject) or user-name index starts again and finds it.
pub async fn sign_in(db: &Db, now: DateTime<Utc>, id: &Identity) -> Result<NewSession> {
    sign_in_keeping(db, now, id, None).await
}

/// [`sign_in`], keeping the ID token the provider gave with the session, for the
/// `id_token_hint` of the sign-out at the provider ([`Provider::end_session_url`]).
pub async fn sign_in_keeping(
    db: &Db,
    now: DateTime<Utc>,
    id: &Identity,
    id_token: Option<&str>,
) -> Result<NewSession> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match sign_in_once(db, now, id, id_token).await {
            Err(ServiceError::Db(e))
                if attempts < 3
                    && matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) => {}
            r => return r,
        }
    }
}

/// The directory's office whose code the office claim gives (offices are few: read them all
/// and compare without regard to case, as portals write codes either way).
async fn office_named<C: sea_orm::ConnectionTrait>(
    conn: &C,
    claim: Option<&str>,
) -> Result<Option<office::Model>> {
    let Some(code) = claim.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    Ok(office::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .find(|o| o.code.eq_ignore_ascii_case(code)))
}

async fn sign_in_once(
    db: &Db,
    now: DateTime<Utc>,
    id: &Identity,
    id_token: Option<&str>,
) -> Result<NewSession> {
    let kbo = id.organisation.as_deref().and_then(|o| Kbo::parse(o).ok());
    let org = match &kbo {
        Some(k) => match cpas::Entity::find()
            .filter(cpas::Column::Kbo.eq(k.digits()))
            .one(&db.reads)
            .await?
        {
            Some(c) => Some(Org::Cpas(c)),
            None => crate::organisations::find(&db.reads, k)
                .await?
                .map(Org::Other),
        },
        None => None,
    };
    let kind = org.as_ref().and_then(Org::kind);
    let granted = match &org {
        Some(_) => granted_roles(id, kind),
        None => Vec::new(),
    };
    // Only ONEM's people have an office; anyone else's office claim is ignored.
    let office = match kind {
        Some(OrgKind::Onem) => office_named(&db.reads, id.office.as_deref()).await?,
        _ => None,
    };
    let tx = db.begin_write().await?;
    let existing = user::Entity::find()
        .filter(user::Column::OidcIssuer.eq(id.issuer.as_str()))
        .filter(user::Column::OidcSubject.eq(id.subject.as_str()))
        .one(&tx.txn)
        .await?;
    let no_role = no_role_reason(kind);
    let decision = match (&existing, &org) {
        (Some(u), _) if !u.active => Err((
            refusal::ACCOUNT_INACTIVE,
            "this account's role was withdrawn; ask your organisation's access manager",
        )),
        (Some(u), o) if !o.as_ref().is_some_and(|o| o.holds(u)) => Err((
            refusal::ORGANISATION_CHANGED,
            "the identity provider names another organisation than this account's",
        )),
        (Some(_), _) if granted.is_empty() => Err((refusal::UNKNOWN_ROLE, no_role.as_str())),
        (Some(u), _) if u.role == Role::OnemOfficer && office.is_none() => Err((
            refusal::UNKNOWN_OFFICE,
            "the identity provider names no office of the directory for this ONEM officer",
        )),
        (Some(u), _)
            if u.role == Role::OnemOfficer && office.as_ref().map(|o| o.id) != u.office_id =>
        {
            Err((
                refusal::OFFICE_CHANGED,
                "the identity provider names another office than this account's; an administrator moves the account",
            ))
        }
        (Some(u), _) => Ok(Ok(u.clone())),
        (None, None) => Err((
            refusal::UNKNOWN_ORGANISATION,
            "the organisation is not one of this service's directory",
        )),
        (None, Some(o)) => match granted.as_slice() {
            [] => Err((refusal::UNKNOWN_ROLE, no_role.as_str())),
            [Role::OnemOfficer] if office.is_none() => Err((
                refusal::UNKNOWN_OFFICE,
                "the identity provider names no office of the directory for this ONEM officer",
            )),
            [role] => Ok(Err((o, *role))),
            _ => Err((
                refusal::SEVERAL_ROLES,
                "the identity provider grants several art60 roles; an account has one",
            )),
        },
    };
    let user = match decision {
        Err((code, reason)) => {
            audit::append(
                &tx.txn,
                now,
                &Who::default(),
                Event {
                    action: "login_refused",
                    entity: "user",
                    entity_id: existing.as_ref().map(|u| u.id),
                    after: Some(serde_json::json!({
                        "via": "oidc",
                        "code": code,
                        "organisation": kbo.as_ref().map(Kbo::digits),
                        // Only ONEM's people have an office: another organisation's value of
                        // that claim could be anything, so it is not kept.
                        "office": id
                            .office
                            .as_deref()
                            .filter(|_| kind == Some(OrgKind::Onem))
                            .map(|o| o.chars().take(50).collect::<String>()),
                    })),
                    ..Default::default()
                },
            )
            .await?;
            tx.commit().await?;
            return Err(refused(code, reason));
        }
        Ok(Ok(u)) => u,
        Ok(Err((org, role))) => {
            let (cpas_id, federation) = match org {
                Org::Cpas(c) => (Some(c.id), None),
                Org::Other(o) => (None, o.federation.filter(|_| role == Role::FederationSpoc)),
            };
            let office_id = office
                .as_ref()
                .filter(|_| role == Role::OnemOfficer)
                .map(|o| o.id);
            let username = free_username(&tx.txn, id).await?;
            let m = user::ActiveModel {
                username: Set(username),
                password_hash: Set(NO_PASSWORD.to_owned()),
                role: Set(role),
                cpas_id: Set(cpas_id),
                office_id: Set(office_id),
                federation: Set(federation),
                active: Set(true),
                created_at: Set(now),
                language: Set(None),
                email: Set(None),
                oidc_issuer: Set(Some(id.issuer.clone())),
                oidc_subject: Set(Some(id.subject.clone())),
                ..Default::default()
            }
            .insert(&tx.txn)
            .await?;
            audit::append(
                &tx.txn,
                now,
                &Who::default(),
                Event {
                    action: "create",
                    entity: "user",
                    entity_id: Some(m.id),
                    after: Some(serde_json::json!({
                        "via": "oidc",
                        "user": crate::directory::UserView::from(m.clone()),
                    })),
                    ..Default::default()
                },
            )
            .await?;
            m
        }
    };
    let session = crate::auth::start_session(&tx.txn, now, &user, Some("oidc")).await?;
    if let Some(t) = id_token {
        // The session row start_session just made, found by its cookie's hash.
        session::Entity::update_many()
            .col_expr(
                session::Column::OidcIdToken,
                sea_orm::sea_query::Expr::value(t.to_owned()),
            )
            .filter(
                session::Column::TokenHash.eq(crate::auth::sha256_hex(session.cookie.as_bytes())),
            )
            .exec(&tx.txn)
            .await?;
    }
    tx.commit().await?;
    // The sign-in may have updated the account (its name, its office).
    db.credentials.invalidate();
    Ok(session)
}

/// The first free name among the provider's hint and `oidc-<subject>` (user names are
/// unique; the account is found again by subject, so the name is only what people see).
async fn free_username<C: sea_orm::ConnectionTrait>(conn: &C, id: &Identity) -> Result<String> {
    let clip = |s: &str| s.chars().take(100).collect::<String>();
    let mut candidates: Vec<String> = id.username_hint.iter().map(|h| clip(h)).collect();
    candidates.push(clip(&format!("oidc-{}", id.subject)));
    candidates.push(crate::auth::random_secret("oidc-"));
    for c in candidates {
        if c.trim().is_empty() {
            continue;
        }
        let taken = user::Entity::find()
            .filter(user::Column::Username.eq(c.as_str()))
            .one(conn)
            .await?
            .is_some();
        if !taken {
            return Ok(c);
        }
    }
    Err(ServiceError::Storage("no free user name".into()))
}

/// How long discovered metadata and signing keys are reused before asking again (keys rotate).
const METADATA_TTL: StdDuration = StdDuration::from_secs(3600);

/// The relying party: one per process, shared by the portal's handlers.
pub struct Provider {
    cfg: OidcConfig,
    http: openidconnect::reqwest::Client,
    meta: tokio::sync::Mutex<Option<(Instant, ProviderMetadataWithLogout)>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("cfg", &self.cfg).finish()
    }
}

impl Provider {
    pub fn new(cfg: OidcConfig) -> std::result::Result<Provider, OidcError> {
        IssuerUrl::new(cfg.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer: {e}")))?;
        RedirectUrl::new(cfg.redirect_url.clone())
            .map_err(|e| OidcError::Config(format!("redirect address: {e}")))?;
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let a provider's answer send us elsewhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(StdDuration::from_secs(15))
            .build()
            .map_err(|e| OidcError::Config(format!("HTTP client: {e}")))?;
        Ok(Provider {
            cfg,
            http,
            meta: tokio::sync::Mutex::new(None),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.cfg
    }

    /// The provider's metadata and keys, discovered on first use (so the service starts while
    /// the provider is down) and again after [`METADATA_TTL`].
    async fn metadata(&self) -> std::result::Result<ProviderMetadataWithLogout, OidcError> {
        let mut slot = self.meta.lock().await;
        if let Some((at, m)) = slot.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.cfg.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer: {e}")))?;
        let m = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Discovery {
                issuer: self.cfg.issuer.clone(),
                reason: error_chain(&e),
            })?;
        *slot = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    async fn forget_metadata(&self) {
        *self.meta.lock().await = None;
    }

    /// Where to send the browser, and what it must keep until it comes back.
    pub async fn begin(&self) -> std::result::Result<(String, Pending), OidcError> {
        let meta = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(self.cfg.client_id.clone()),
            self.cfg.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(
            RedirectUrl::new(self.cfg.redirect_url.clone())
                .map_err(|e| OidcError::Config(e.to_string()))?,
        );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for s in &self.cfg.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = req.url();
        Ok((
            url.to_string(),
            Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
            },
        ))
    }

    /// The way back: checks `state` against the browser's, exchanges `code` (with the PKCE
    /// verifier), verifies the ID token and reads the claims, from the user-info endpoint
    /// when the ID token lacks the organisation, role or office claim. Returns the identity
    /// and the ID token as received (kept with the session for the sign-out).
    pub async fn finish(
        &self,
        pending: &Pending,
        state: &str,
        code: &str,
    ) -> std::result::Result<(Identity, String), OidcError> {
        // Both are random values we made; comparing digests keeps the time independent of them.
        let digest = |s: &str| crate::auth::sha256_hex(s.as_bytes());
        if digest(state) != digest(&pending.state) {
            return Err(OidcError::StateMismatch);
        }
        let meta = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(self.cfg.client_id.clone()),
            self.cfg.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(
            RedirectUrl::new(self.cfg.redirect_url.clone())
                .map_err(|e| OidcError::Config(e.to_string()))?,
        );
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::IdToken("the provider returned no ID token".into()))?;
        let verifier = client.id_token_verifier();
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match id_token.claims(&verifier, &nonce) {
            Ok(c) => c,
            Err(e) => {
                // A key we do not know yet: the provider may have rotated; ask again next time.
                self.forget_metadata().await;
                return Err(OidcError::IdToken(error_chain(&e)));
            }
        };
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| OidcError::IdToken(e.to_string()))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| OidcError::IdToken(e.to_string()))?;
            let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
                .map_err(|e| OidcError::IdToken(e.to_string()))?;
            if actual != *expected {
                return Err(OidcError::IdToken("access token hash mismatch".into()));
            }
        }
        let subject = claims.subject().clone();
        let mut all = jwt_payload(&id_token.to_string()).unwrap_or_default();
        let names = &self.cfg.claims;
        // The office claim only matters to ONEM's people, but asking costs one request at
        // sign-in and a missing office would refuse an officer.
        if !all.contains_key(&names.organisation)
            || !all.contains_key(&names.role)
            || !all.contains_key(&names.office)
        {
            // Providers often keep scope claims for the user-info endpoint in the code flow.
            if let Ok(req) = client.user_info(token.access_token().clone(), Some(subject.clone())) {
                let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = req
                    .request_async(&self.http)
                    .await
                    .map_err(|e| OidcError::UserInfo(error_chain(&e)))?;
                for (k, v) in &info.additional_claims().claims {
                    all.entry(k.clone()).or_insert_with(|| v.clone());
                }
                if let Some(u) = info.preferred_username() {
                    all.entry("preferred_username")
                        .or_insert_with(|| serde_json::Value::String(u.to_string()));
                }
                if let Some(e) = info.email() {
                    all.entry("email")
                        .or_insert_with(|| serde_json::Value::String(e.to_string()));
                }
            }
        }
        Ok((
            Identity::from_claims(claims.issuer().as_str(), subject.as_str(), &all, names),
            id_token.to_string(),
        ))
    }

    /// Where to send the browser to sign out at the provider too (RP-initiated logout), when
    /// its metadata advertise an `end_session_endpoint`: with `id_token` as `id_token_hint`,
    /// this client's id, and [`OidcConfig::post_logout_redirect_url`]. `None` when the
    /// provider has no such endpoint or cannot be reached: the local session is ended
    /// anyway, and signing out must not wait on the provider.
    pub async fn end_session_url(&self, id_token: &str) -> Option<String> {
        let meta = match self.metadata().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "OIDC provider unreachable at sign-out");
                return None;
            }
        };
        let endpoint: EndSessionUrl = meta.additional_metadata().end_session_endpoint.clone()?;
        let mut req =
            LogoutRequest::from(endpoint).set_client_id(ClientId::new(self.cfg.client_id.clone()));
        // A token that no longer parses (never expected: we stored what the provider signed)
        // only loses the hint; the provider then asks the user which session to end.
        if let Ok(t) = id_token.parse::<CoreIdToken>() {
            req = req.set_id_token_hint(&t);
        }
        if let Some(u) = &self.cfg.post_logout_redirect_url
            && let Ok(u) = PostLogoutRedirectUrl::new(u.clone())
        {
            req = req.set_post_logout_redirect_uri(u);
        }
        Some(req.http_get_url().to_string())
    }
}

/// The claims of a JWT whose signature was already verified.
fn jwt_payload(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// An error with its sources, for the log (reqwest hides the useful part in them).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_round_trips_and_refuses_junk() {
        let p = Pending {
            state: "abc-_1".into(),
            nonce: "n0".into(),
            verifier: "v".repeat(43),
        };
        assert_eq!(Pending::decode(&p.encode()), Some(p));
        for bad in ["", "a.b", "a.b.c.d", "a.b.c d", "a..c", "a.b.c;x"] {
            assert_eq!(Pending::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn claims_are_read_by_the_configured_names() {
        let names = ClaimNames {
            organisation: "org_kbo".into(),
            role: "art60".into(),
            office: "bureau".into(),
        };
        let claims = serde_json::json!({
            "org_kbo": "0212.345.678", "art60": ["cpas_worker", "other"],
            "preferred_username": "anne", "kbo": "ignored", "bureau": " namur "
        });
        let id = Identity::from_claims("https://idp", "s1", claims.as_object().unwrap(), &names);
        assert_eq!(id.organisation.as_deref(), Some("0212.345.678"));
        assert_eq!(id.roles, ["cpas_worker", "other"]);
        assert_eq!(id.username_hint.as_deref(), Some("anne"));
        assert_eq!(id.office.as_deref(), Some("namur"));
        let one = serde_json::json!({"art60": "access_manager"});
        let id = Identity::from_claims("i", "s", one.as_object().unwrap(), &names);
        assert_eq!(id.roles, ["access_manager"]);
        assert_eq!(id.organisation, None);
        assert_eq!(id.office, None);
    }
}
