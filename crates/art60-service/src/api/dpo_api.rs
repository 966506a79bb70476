//! The data protection officer's routes (SPEC §9): the data subject's access export.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{Caller, JsonBody};
use super::problem::{ApiError, Problem};
use crate::access_export::{self, AccessExport, ExportInput};

/// Everything stored about the person with this NISS and every audit entry about them; the
/// DPO only, audited. `Accept: text/html` gives a readable, printable page instead of JSON.
#[utoipa::path(post, path = "/api/v1/dpo/access-export", tag = "audit", request_body = ExportInput,
    responses(
        (status = 200, description = "The export (JSON; with `Accept: text/html`, a printable HTML page)",
            content((AccessExport = "application/json"), (String = "text/html"))),
        (status = 403, body = Problem, description = "Only the data protection officer may run it"),
        (status = 422, body = Problem)))]
pub async fn access_export(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<ExportInput>,
) -> Result<Response, ApiError> {
    let x: AccessExport =
        access_export::export(&st.db, st.clock.now(), &caller.actor, &body.value).await?;
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let mut resp = if wants_html {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            access_export::html(&x),
        )
            .into_response()
    } else {
        Json(x).into_response()
    };
    // Personal data: no cache may keep a copy.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
