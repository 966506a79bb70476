//! Signing in and out, and the language switch.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::api::extract::{ClientSource, cookie_value};
use art60_service::auth::{self, SESSION_COOKIE, SESSION_HOURS};
use art60_service::db::Role;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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
}

fn login_page(ctx: Ctx, username: String, error: Option<String>, status: StatusCode) -> Response {
    let token = auth::random_secret("");
    let cookie = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    let lang = ctx.lang;
    let page = LoginPage {
        ctx,
        token,
        username,
        error,
    };
    let mut resp = render(lang, &page);
    *resp.status_mut() = status;
    with_cookie(resp, &cookie)
}

pub async fn login_form(ctx: Ctx) -> Response {
    if ctx.signed_in() {
        return home(ctx).await;
    }
    login_page(ctx, String::new(), None, StatusCode::OK)
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
        return login_page(ctx, f.username, Some(msg), StatusCode::FORBIDDEN);
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
            let target = match s.actor.role {
                Role::CpasWorker => "/dashboard",
                Role::OnemOfficer => "/queue",
                Role::FederationSpoc | Role::OnemSpoc => "/escalations",
                _ => "/directory",
            };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
                s.cookie,
                SESSION_HOURS * 3600
            );
            let resp = with_cookie(Redirect::to(target).into_response(), &cookie);
            with_cookie(resp, &format!("{LOGIN_COOKIE}=; Path=/login; Max-Age=0"))
        }
        Err(ServiceError::TooManyAttempts { .. }) => {
            let msg = ctx.t("login-too-many");
            login_page(ctx, f.username, Some(msg), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(ServiceError::Unauthenticated) => {
            let msg = ctx.t("login-failed");
            login_page(ctx, f.username, Some(msg), StatusCode::UNAUTHORIZED)
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
    if let Some(c) = cookie_value(&headers, SESSION_COOKIE) {
        auth::logout(&st.db, c).await.map_err(|e| ctx.fail(e))?;
    }
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    ))
}
