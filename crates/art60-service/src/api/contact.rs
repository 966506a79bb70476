//! Handlers of the "contact your office" threads and the SPOC escalations.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::extract::{Caller, JsonBody, idempotent, parse_json};
use super::problem::{ApiError, Problem};
use crate::error::ServiceError;
use crate::escalations::{self, EscalationBrief, EscalationView, NewEscalation, Preview};
use crate::messages::{self, NewAttachment, Posted, Thread};
use crate::requests::RequestView;

type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The text: case references only, never a NISS.
    pub body: String,
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/messages", tag = "contact", params(("id" = i64, Path)),
    responses((status = 200, body = Thread), (status = 404, body = Problem), (status = 409, body = Problem, description = "The request was never sent")))]
pub async fn list_messages(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Thread>> {
    Ok(Json(
        messages::list(&st.db, st.clock.now(), &caller.actor, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/messages", tag = "contact", params(("id" = i64, Path)),
    request_body(content = NewMessage, description = "JSON `{\"body\": ...}`, or multipart/form-data with a `body` part and an optional `file` part (PDF, PNG or JPEG, at most 10 MiB)"),
    responses((status = 201, body = Posted), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn post_message(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    req: Request,
) -> ApiResult<Response> {
    let now = st.clock.now();
    let headers: HeaderMap = req.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &st)
            .await
            .map_err(|e| ApiError::from(ServiceError::invalid("$", e.body_text())))?;
        let bad = |m: String| ApiError::from(ServiceError::invalid("attachment", m));
        let mut body = None;
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
            match field.name() {
                Some("body") => body = Some(field.text().await.map_err(|e| bad(e.body_text()))?),
                Some("file") => {
                    let name = field.file_name().unwrap_or("attachment").to_owned();
                    let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                    if !bytes.is_empty() {
                        file = Some(NewAttachment {
                            file_name: name,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                _ => {}
            }
        }
        let posted = messages::post(
            &st.db,
            &st.store,
            now,
            &caller.actor,
            id,
            body.as_deref().unwrap_or(""),
            file,
        )
        .await?;
        return Ok((StatusCode::CREATED, Json(posted)).into_response());
    }
    let body: JsonBody<NewMessage> = JsonBody::from_request(req, &st).await?;
    let route = format!("requests/{id}/messages");
    idempotent(&st, &caller, &headers, &route, &body.raw, now, || async {
        let posted = messages::post(
            &st.db,
            &st.store,
            now,
            &caller.actor,
            id,
            &body.value.body,
            None,
        )
        .await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(&posted).unwrap_or_default(),
        ))
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Read up to this message id (default: the last message).
    pub up_to: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub request_id: i64,
    pub unread: i64,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/messages/read", tag = "contact", operation_id = "mark_messages_read", params(("id" = i64, Path)),
    request_body(content = MarkRead, description = "Optional; without a body everything is marked read"),
    responses((status = 200, body = UnreadCount, description = "What stays unread"), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The request was not sent yet: no thread")))]
pub async fn mark_read(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<UnreadCount>> {
    let input: MarkRead = if body.is_empty() {
        MarkRead::default()
    } else {
        parse_json(&body)?
    };
    let unread =
        messages::mark_read(&st.db, st.clock.now(), &caller.actor, id, input.up_to).await?;
    Ok(Json(UnreadCount {
        request_id: id,
        unread,
    }))
}

#[utoipa::path(get, path = "/api/v1/messages/unread", tag = "contact",
    responses((status = 200, body = Vec<UnreadCount>, description = "The caller's requests with unread messages")))]
pub async fn unread(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UnreadCount>>> {
    let ids = visible_request_ids(&st, &caller).await?;
    let counts = messages::unread_counts(&st.db, &caller.actor, &ids).await?;
    let mut out: Vec<UnreadCount> = counts
        .into_iter()
        .map(|(request_id, unread)| UnreadCount { request_id, unread })
        .collect();
    out.sort_by_key(|u| u.request_id);
    Ok(Json(out))
}

async fn visible_request_ids(st: &AppState, caller: &Caller) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = crate::persons::PageRequest::parse(
            cursor.as_deref(),
            Some(crate::persons::PageRequest::MAX),
        )?;
        let p = crate::requests::list(&st.db, &caller.actor, None, page).await?;
        ids.extend(p.items.iter().map(|r| r.id));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(ids)
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/escalations", tag = "escalations", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EscalationBrief>), (status = 404, body = Problem)))]
pub async fn request_escalations(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<EscalationBrief>>> {
    Ok(Json(
        escalations::on_request(&st.db, &caller.actor, id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/escalation-check", tag = "escalations", params(("id" = i64, Path)),
    responses((status = 200, body = Preview, description = "What the record says about the SPEC §1.6 conditions"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn escalation_check(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Preview>> {
    Ok(Json(
        escalations::preview(&st.db, st.clock.today_brussels(), &caller.actor, id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/escalations", tag = "escalations",
    responses((status = 200, body = Vec<EscalationView>, description = "A CPAS its own, a federation SPOC its federation's (pseudonymised), the ONEM SPOC the forwarded ones"), (status = 403, body = Problem)))]
pub async fn list_escalations(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<EscalationView>>> {
    Ok(Json(
        escalations::list(&st.db, st.clock.now(), &caller.actor).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/escalations", tag = "escalations", request_body = NewEscalation,
    responses((status = 201, body = EscalationView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "An escalation of this request is still open"),
        (status = 422, body = Problem, description = "One entry per missing condition, with its reason")))]
pub async fn create_escalation(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewEscalation>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    let today = st.clock.today_brussels();
    idempotent(
        &st,
        &caller,
        &headers,
        "escalations",
        &body.raw,
        now,
        || async {
            let v =
                escalations::create(&st.db, now, today, &caller.actor, body.value.clone()).await?;
            Ok((
                StatusCode::CREATED,
                serde_json::to_value(&v).unwrap_or_default(),
            ))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/escalations/{id}", tag = "escalations", params(("id" = i64, Path)),
    responses((status = 200, body = EscalationView), (status = 404, body = Problem)))]
pub async fn get_escalation(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<EscalationView>> {
    Ok(Json(
        escalations::get(&st.db, st.clock.now(), &caller.actor, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/escalations/{id}/forward", tag = "escalations", params(("id" = i64, Path)),
    responses((status = 200, body = EscalationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn forward_escalation(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<EscalationView>> {
    Ok(Json(
        escalations::forward(&st.db, st.clock.now(), &caller.actor, id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// The outcome, without personal data.
    pub outcome: String,
}

#[utoipa::path(post, path = "/api/v1/escalations/{id}/close", tag = "escalations", params(("id" = i64, Path)), request_body = CloseInput,
    responses((status = 200, body = EscalationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_escalation(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<CloseInput>,
) -> ApiResult<Json<EscalationView>> {
    Ok(Json(
        escalations::close(
            &st.db,
            st.clock.now(),
            &caller.actor,
            id,
            &body.value.outcome,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseInput {
    /// Why the case is opened (mandatory; kept in the audit trail).
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/escalations/{id}/open-case", tag = "escalations", params(("id" = i64, Path)), request_body = OpenCaseInput,
    responses((status = 200, body = RequestView, description = "The case behind the pseudonym (ONEM SPOC, audited with the reason)"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn open_escalated_case(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<OpenCaseInput>,
) -> ApiResult<Json<RequestView>> {
    Ok(Json(
        escalations::open_case(
            &st.db,
            st.clock.now(),
            &caller.actor,
            id,
            Some(&body.value.reason),
        )
        .await?,
    ))
}
