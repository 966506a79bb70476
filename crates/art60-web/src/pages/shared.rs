//! What the portal's page groups share: the start page, the one-time notices, redirects after
//! an action and the translated workflow refusals.

use art60_service::ServiceError;
use art60_service::db::Role;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use crate::ctx::{Ctx, PageError};

pub(crate) type PageResult = Result<Response, PageError>;

pub(crate) fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Where a signed-in user starts.
pub async fn home(ctx: Ctx) -> Response {
    match ctx.actor.as_ref().map(|a| a.role) {
        Some(Role::CpasWorker) => Redirect::to("/dashboard").into_response(),
        Some(Role::OnemOfficer) => Redirect::to("/queue").into_response(),
        Some(Role::FederationSpoc | Role::OnemSpoc) => Redirect::to("/escalations").into_response(),
        Some(Role::Dpo) => Redirect::to("/dpo/access").into_response(),
        Some(Role::AccessManager) => Redirect::to("/organisation").into_response(),
        Some(_) => Redirect::to("/directory").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub(crate) fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(crate::i18n::date).unwrap_or_else(|| "—".into())
}

pub(crate) fn notice_of(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    match done? {
        "sent" => Some(ctx.t("result-sent-ok")),
        "saved" => Some(ctx.t("result-saved-ok")),
        "attached" => Some(ctx.t("attachment-added")),
        "decided" => Some(ctx.t("decide-done")),
        "returned" => Some(ctx.t("returned-done")),
        "derogation" => Some(ctx.t("derogation-done")),
        "resolved" => Some(ctx.t("dmfa-resolved-ok")),
        "messagesent" => Some(ctx.t("contact-sent")),
        _ => None,
    }
}

/// A translated message for a workflow refusal (the service's reason is English).
pub(crate) fn refusal_message(ctx: &Ctx, e: &ServiceError) -> Option<String> {
    let ServiceError::Refused {
        code,
        allowed_from,
        allowed_until,
        ..
    } = e
    else {
        return None;
    };
    Some(match (*code, allowed_from, allowed_until) {
        ("outside_window", Some(from), Some(until)) => crate::i18n::t_args(
            ctx.lang,
            "refused-window-later",
            &[
                ("from", crate::i18n::date(*from)),
                ("until", crate::i18n::date(*until)),
            ],
        ),
        ("outside_window", ..) => ctx.t("refused-window-closed"),
        ("calculation_limit", ..) => ctx.t("refused-calculation-limit"),
        _ => ctx.t("refused-wrong-status"),
    })
}

/// A redirect after success; for htmx a full navigation (`HX-Redirect`), so the address bar
/// shows the new page.
pub(crate) fn go_to(headers: &HeaderMap, to: &str, flash: &str) -> Response {
    let resp = if headers.contains_key("hx-request")
        && let Ok(v) = HeaderValue::from_str(to)
    {
        let mut resp = StatusCode::OK.into_response();
        resp.headers_mut().insert("hx-redirect", v);
        resp
    } else {
        Redirect::to(to).into_response()
    };
    with_flash(resp, flash)
}

pub(crate) fn with_flash(resp: Response, code: &str) -> Response {
    if code.is_empty() {
        return resp;
    }
    with_cookie(
        resp,
        &format!(
            "{}={code}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120",
            crate::ctx::FLASH_COOKIE
        ),
    )
}

pub(crate) fn done(id: i64, what: &str) -> Response {
    with_flash(
        Redirect::to(&format!("/requests/{id}")).into_response(),
        what,
    )
}
