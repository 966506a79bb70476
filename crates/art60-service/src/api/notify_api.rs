//! Handlers of the office directory edits, notifications, account settings and feedback.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{Caller, JsonBody};
use super::problem::{ApiError, Problem};
use crate::directory::{self, OfficeChanges, OfficeView};
use crate::error::ServiceError;
use crate::notify::{self, AccountSettings, NotificationView, SettingsInput};
use crate::persons::PageRequest;
use crate::support::{self, FeedbackView, NewFeedback};

type ApiResult<T> = Result<T, ApiError>;

#[utoipa::path(get, path = "/api/v1/offices", tag = "directory", security(),
    responses((status = 200, body = Vec<OfficeView>, description = "The ONEM offices (public): phone, e-mail(s), area, the CPAS each serves")))]
pub async fn list_offices(State(st): State<AppState>) -> ApiResult<Json<Vec<OfficeView>>> {
    Ok(Json(directory::list_offices(&st.db).await?))
}

#[utoipa::path(patch, path = "/api/v1/offices/{id}", tag = "directory", params(("id" = i64, Path)), request_body = OfficeChanges,
    responses((status = 200, body = OfficeView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_office(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<OfficeChanges>,
) -> ApiResult<Json<OfficeView>> {
    Ok(Json(
        directory::update_office(&st.db, st.clock.now(), &caller.actor, id, body.value).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// 1 to 200 (default 50 for notifications, 100 for feedback).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl LimitParams {
    /// The limit, refused outside 1 to [`PageRequest::MAX`] exactly as the paged lists refuse it.
    fn checked(&self, default: u64) -> Result<u64, ServiceError> {
        Ok(PageRequest::parse(None, Some(self.limit.unwrap_or(default)))?.limit)
    }
}

#[derive(Serialize, ToSchema)]
pub struct Inbox {
    pub unread: u64,
    pub items: Vec<NotificationView>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(LimitParams),
    responses((status = 200, body = Inbox, description = "The caller's portal notifications, newest first")))]
pub async fn inbox(
    State(st): State<AppState>,
    caller: Caller,
    Query(p): Query<LimitParams>,
) -> ApiResult<Json<Inbox>> {
    Ok(Json(Inbox {
        items: notify::inbox(&st.db, &caller.actor, p.checked(50)?).await?,
        unread: notify::unread_count(&st.db, caller.actor.user_id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", operation_id = "mark_notification_read", params(("id" = i64, Path)),
    responses((status = 200, body = Marked), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Marked>> {
    let marked = notify::mark_read(&st.db, st.clock.now(), &caller.actor, Some(id)).await?;
    Ok(Json(Marked { marked }))
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    responses((status = 200, body = Marked)))]
pub async fn mark_all_read(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Marked>> {
    let marked = notify::mark_read(&st.db, st.clock.now(), &caller.actor, None).await?;
    Ok(Json(Marked { marked }))
}

#[utoipa::path(get, path = "/api/v1/account/settings", tag = "account",
    responses((status = 200, body = AccountSettings)))]
pub async fn get_settings(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<AccountSettings>> {
    Ok(Json(notify::settings(&st.db, &caller.actor).await?))
}

#[utoipa::path(put, path = "/api/v1/account/settings", tag = "account", request_body = SettingsInput,
    responses((status = 200, body = AccountSettings), (status = 422, body = Problem)))]
pub async fn put_settings(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<SettingsInput>,
) -> ApiResult<Json<AccountSettings>> {
    Ok(Json(
        notify::update_settings(&st.db, st.clock.now(), &caller.actor, body.value).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/feedback", tag = "support", request_body = NewFeedback,
    responses((status = 201, body = FeedbackView), (status = 422, body = Problem, description = "e.g. the message contains a NISS")))]
pub async fn create_feedback(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<NewFeedback>,
) -> ApiResult<Response> {
    let v = support::submit(&st.db, st.clock.now(), Some(&caller.actor), body.value).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[utoipa::path(get, path = "/api/v1/feedback", tag = "support", params(LimitParams),
    responses((status = 200, body = Vec<FeedbackView>), (status = 403, body = Problem)))]
pub async fn list_feedback(
    State(st): State<AppState>,
    caller: Caller,
    Query(p): Query<LimitParams>,
) -> ApiResult<Json<Vec<FeedbackView>>> {
    Ok(Json(
        support::list(&st.db, st.clock.now(), &caller.actor, p.checked(100)?).await?,
    ))
}
