//! `/law`, the law book (issue 12 part E): what the engine applies on a benefit application
//! date, article by article, for a lawyer who checks the engine without reading Rust. Public
//! (no login) and without personal data: it shows the law, never a case. The content comes
//! from `art60_rules::lawbook`, the same as `art60 law`.

use art60_rules::ParamSet;
use art60_rules::lawbook::{self, LawBook};
use art60_service::api::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::ctx::{Ctx, ErrorKind, PageError, render};

#[derive(Template)]
#[template(path = "law.html")]
struct LawPage {
    ctx: Ctx,
    book: LawBook,
    /// The date in the form (as typed when it was not a date).
    at: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LawQuery {
    #[serde(default)]
    at: Option<String>,
}

pub async fn law_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LawQuery>,
) -> Result<Response, PageError> {
    let today = st.clock.today_brussels();
    let typed = q.at.as_deref().map(str::trim).filter(|s| !s.is_empty());
    // A date that does not parse shows today's book with the error next to the field.
    let (at, error) = match typed.map(str::parse::<NaiveDate>) {
        None => (today, None),
        Some(Ok(d)) => (d, None),
        Some(Err(_)) => (today, Some(ctx.t("law-date-invalid"))),
    };
    let book = lawbook::book(ParamSet::embedded(), at, ctx.lang).map_err(|e| {
        tracing::error!(error = %e, "law book failed");
        ctx.error(ErrorKind::Internal)
    })?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let shown = match (&error, typed) {
        (Some(_), Some(t)) => t.to_owned(),
        _ => at.to_string(),
    };
    let lang = ctx.lang;
    let page = LawPage {
        ctx,
        book,
        at: shown,
        error,
    };
    Ok((status, render(lang, &page)).into_response())
}
