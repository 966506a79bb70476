//! The data protection officer's page (SPEC §9): a NISS in, the data subject's access export
//! out, as the printable page the API also serves (`access_export::html`).

use art60_service::ServiceError;
use art60_service::access_export::{self, ExportInput};
use art60_service::api::AppState;
use art60_service::db::Role;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ctx::{Ctx, PageError, render};

type Pairs = Vec<(String, String)>;

fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

#[derive(Template)]
#[template(path = "dpo_access.html")]
struct AccessPage {
    ctx: Ctx,
    niss: String,
    reason: String,
    niss_error: Option<String>,
    reason_error: Option<String>,
}

pub async fn access_get(ctx: Ctx) -> Result<Response, PageError> {
    ctx.require_role(Role::Dpo)?;
    let lang = ctx.lang;
    Ok(render(
        lang,
        &AccessPage {
            ctx,
            niss: String::new(),
            reason: String::new(),
            niss_error: None,
            reason_error: None,
        },
    ))
}

/// A POST (the NISS stays out of URLs and logs); the export page itself is not cached.
pub async fn access_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Pairs>,
) -> Result<Response, PageError> {
    let actor = ctx.require_role(Role::Dpo)?.clone();
    ctx.check_csrf(field(&pairs, "csrf"))?;
    let input = ExportInput {
        niss: field(&pairs, "niss").trim().to_owned(),
        reason: Some(field(&pairs, "reason").to_owned()),
    };
    match access_export::export(&st.db, st.clock.now(), &actor, &input).await {
        Ok(x) => {
            let mut resp = (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                access_export::html(&x),
            )
                .into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(resp)
        }
        Err(ServiceError::Invalid(errors)) => {
            let has = |f: &str| errors.iter().any(|e| e.field == f);
            let niss_error = has("niss").then(|| ctx.t("err-dpo-niss"));
            let reason_error = has("reason").then(|| ctx.t("err-dpo-reason"));
            let lang = ctx.lang;
            let mut resp = render(
                lang,
                &AccessPage {
                    ctx,
                    niss: input.niss,
                    reason: input.reason.unwrap_or_default(),
                    niss_error,
                    reason_error,
                },
            );
            if resp.status().is_success() {
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(resp)
        }
        Err(e) => Err(ctx.fail(e)),
    }
}
