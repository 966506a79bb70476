//! Signing in and out, and the language switch.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::api::extract::{ClientSource, cookie_value};
use art60_service::auth::{self, SESSION_COOKIE, SESSION_HOURS};
use art60_service::db::Role;
use art60_service::oidc;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, render};
use crate::i18n::{LANG_COOKIE, Lang};

use super::shared::*;

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// Only a path of this site (not `//host`): the switch cannot be used as an open redirect.
pub(crate) fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

pub async fn set_lang(State(st): State<AppState>, ctx: Ctx, Form(f): Form<LangForm>) -> Response {
    let lang = Lang::parse(&f.lang).unwrap_or(Lang::Fr);
    crate::notify_pages::save_language(&st, &ctx, lang, &f.csrf).await;
    let code = lang.code();
    // The language code is not a secret and not personal data; a year is a convenient memory.
    let cookie = format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000");
    with_cookie(Redirect::to(local_path(&f.next)).into_response(), &cookie)
}

/// Pre-session CSRF for the login form: a random value in a cookie and in the form
/// (double submit), so another site cannot sign a victim into an attacker's account.
const LOGIN_COOKIE: &str = "art60_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    token: String,
    username: String,
    error: Option<String>,
    /// The password form is offered (local passwords not turned off).
    password: bool,
    /// "Sign in through your organisation" is offered.
    oidc: bool,
}

fn login_page(
    st: &AppState,
    ctx: Ctx,
    username: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = auth::random_secret("");
    let cookie = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    let lang = ctx.lang;
    let page = LoginPage {
        ctx,
        token,
        username,
        error,
        password: !st.settings.passwords_off,
        oidc: st.settings.oidc.is_some(),
    };
    let mut resp = render(lang, &page);
    *resp.status_mut() = status;
    with_cookie(resp, &cookie)
}

pub async fn login_form(State(st): State<AppState>, ctx: Ctx) -> Response {
    if ctx.signed_in() {
        return home(ctx).await;
    }
    login_page(&st, ctx, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
}

pub async fn login(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    source: ClientSource,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || expected != f.csrf {
        let msg = ctx.t("login-expired");
        return login_page(&st, ctx, f.username, Some(msg), StatusCode::FORBIDDEN);
    }
    if st.settings.passwords_off {
        let msg = ctx.t("login-passwords-off");
        return login_page(&st, ctx, f.username, Some(msg), StatusCode::FORBIDDEN);
    }
    match auth::login_from(
        &st.db,
        st.clock.now(),
        st.password_cost,
        source.0.as_deref(),
        f.username.trim(),
        &f.password,
    )
    .await
    {
        Ok(s) => {
            let resp = with_cookie(
                Redirect::to(start_page(s.actor.role)).into_response(),
                &session_cookie(&s.cookie),
            );
            with_cookie(resp, &format!("{LOGIN_COOKIE}=; Path=/login; Max-Age=0"))
        }
        Err(ServiceError::TooManyAttempts { .. }) => {
            let msg = ctx.t("login-too-many");
            login_page(
                &st,
                ctx,
                f.username,
                Some(msg),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        Err(ServiceError::Unauthenticated) => {
            let msg = ctx.t("login-failed");
            login_page(&st, ctx, f.username, Some(msg), StatusCode::UNAUTHORIZED)
        }
        Err(e) => ctx.fail(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    ctx.require()?;
    ctx.check_csrf(&f.csrf)?;
    let mut id_token = None;
    if let Some(c) = cookie_value(&headers, SESSION_COOKIE) {
        id_token = auth::logout_federated(&st.db, c)
            .await
            .map_err(|e| ctx.fail(e))?;
    }
    // A federated session: the local session is over; sign out at the provider too when it
    // offers an end-session endpoint (RP-initiated logout), or the next "sign in through your
    // organisation" would sign the same person in again without asking.
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let (Some(provider), Some(t)) = (st.settings.oidc.clone(), id_token)
        && let Some(url) = provider.end_session_url(&t).await
    {
        // A page that moves on by itself, not a redirect: the sign-out form's redirect to
        // another origin would break the portal's `form-action 'self'` policy, and the
        // browser would stay on the page it signed out from.
        let esc = |v: &str| {
            v.replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let html = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
             <title>{title}</title></head><body><p><a href=\"{url}\">{title}</a></p>\
             </body></html>",
            lang = ctx.lang.code(),
            url = esc(&url),
            title = esc(&ctx.t("oidc-signing-out")),
        );
        return Ok(with_cookie(Html(html).into_response(), &clear));
    }
    Ok(with_cookie(Redirect::to("/login").into_response(), &clear))
}

/// Where a role starts after signing in.
fn start_page(role: Role) -> &'static str {
    match role {
        Role::CpasWorker => "/dashboard",
        Role::OnemOfficer => "/queue",
        Role::FederationSpoc | Role::OnemSpoc => "/escalations",
        Role::AccessManager => "/organisation",
        _ => "/directory",
    }
}

fn session_cookie(value: &str) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_HOURS * 3600
    )
}

/// Between the redirect to the identity provider and the way back: `state`, nonce and PKCE
/// verifier ([`oidc::Pending`]). `SameSite=Lax`: the way back is a top-level navigation from
/// the provider's site, which a `Strict` cookie would not accompany. Ten minutes to sign in.
const OIDC_COOKIE: &str = "art60_oidc";

/// `GET /auth/oidc/login`: off to the organisations' identity provider.
pub async fn oidc_login(State(st): State<AppState>, ctx: Ctx) -> Response {
    let Some(provider) = st.settings.oidc.clone() else {
        return ctx.fail(ServiceError::NotFound("page")).into_response();
    };
    match provider.begin().await {
        Ok((url, pending)) => {
            let cookie = format!(
                "{OIDC_COOKIE}={}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600",
                pending.encode()
            );
            with_cookie(Redirect::to(&url).into_response(), &cookie)
        }
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in could not start");
            let msg = ctx.t("oidc-unavailable");
            login_page(&st, ctx, String::new(), Some(msg), StatusCode::BAD_GATEWAY)
        }
    }
}

#[derive(Deserialize)]
pub struct OidcCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/oidc/callback`: the provider sends the browser back with a code.
pub async fn oidc_callback(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<OidcCallback>,
) -> Response {
    let clear = format!("{OIDC_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0");
    let Some(provider) = st.settings.oidc.clone() else {
        return ctx.fail(ServiceError::NotFound("page")).into_response();
    };
    let pending = cookie_value(&headers, OIDC_COOKIE).and_then(oidc::Pending::decode);
    let refuse = |ctx: Ctx, key: &str, status: StatusCode| {
        let msg = ctx.t(key);
        with_cookie(
            login_page(&st, ctx, String::new(), Some(msg), status),
            &clear,
        )
    };
    if let Some(e) = &q.error {
        // The provider's error code (access_denied, login_required...) is not personal data.
        tracing::info!(error = %e.chars().take(60).collect::<String>(), "OIDC provider refused");
        return refuse(ctx, "oidc-failed", StatusCode::UNAUTHORIZED);
    }
    let (Some(pending), Some(state), Some(code)) = (pending, q.state, q.code) else {
        return refuse(ctx, "login-expired", StatusCode::FORBIDDEN);
    };
    let (identity, id_token) = match provider.finish(&pending, &state, &code).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in failed");
            return refuse(ctx, "oidc-failed", StatusCode::UNAUTHORIZED);
        }
    };
    match oidc::sign_in_keeping(&st.db, st.clock.now(), &identity, Some(&id_token)).await {
        Ok(s) => {
            let target = start_page(s.actor.role);
            // A page that moves on by itself rather than a redirect: after the provider's
            // cross-site navigation, a redirect would not carry the `SameSite=Strict` session
            // cookie to the first page, and the user would land on the sign-in page again.
            let html = format!(
                "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
                 <meta http-equiv=\"refresh\" content=\"0;url={target}\">\
                 <title>{title}</title></head><body><p><a href=\"{target}\">{title}</a></p>\
                 </body></html>",
                lang = ctx.lang.code(),
                title = ctx
                    .t("oidc-continue")
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            );
            let resp = with_cookie(Html(html).into_response(), &session_cookie(&s.cookie));
            with_cookie(resp, &clear)
        }
        Err(ServiceError::Refused { code, .. }) => {
            let key = match code {
                oidc::refusal::UNKNOWN_ORGANISATION => "oidc-unknown-organisation",
                oidc::refusal::ORGANISATION_CHANGED => "oidc-organisation-changed",
                oidc::refusal::ACCOUNT_INACTIVE => "oidc-account-inactive",
                oidc::refusal::UNKNOWN_OFFICE => "oidc-unknown-office",
                oidc::refusal::OFFICE_CHANGED => "oidc-office-changed",
                _ => "oidc-no-role",
            };
            refuse(ctx, key, StatusCode::FORBIDDEN)
        }
        Err(e) => ctx.fail(e).into_response(),
    }
}
