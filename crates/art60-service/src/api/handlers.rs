//! Handlers: parse, call the service function with the actor, shape the response.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{Caller, ClientSource, IfMatch, JsonBody, cookie_value, etag, idempotent};
use super::problem::{ApiError, Problem};
use crate::attachments::{self, AttachmentView};
use crate::auth::{self, Actor, Credential, IssuedToken, SESSION_COOKIE, SESSION_HOURS};
use crate::db::{Role, Status};
use crate::directory::{
    self, CpasChanges, CpasView, NewCpas, NewOffice, NewUser, OfficeView, UserChanges, UserView,
};
use crate::error::ServiceError;
use crate::persons::{
    self, EmploymentView, NewEmployment, NewPerson, Page, PageRequest, PersonView,
};
use crate::queue::{self, QueuePage};
use crate::requests::{
    self, CopyInput, DecideInput, DerogationInput, NewRequest, RequestChanges, RequestSummary,
    RequestView, ReturnInput,
};

type ApiResult<T> = Result<T, ApiError>;

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn with_etag(status: StatusCode, r: RequestView) -> Response {
    let tag = etag(r.version);
    let mut resp = (status, Json(r)).into_response();
    resp.headers_mut().insert(header::ETAG, tag);
    resp
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Only requests in this status.
    pub status: Option<Status>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginOutput {
    /// Echo in `X-CSRF-Token` on every unsafe request made with the session cookie.
    pub csrf_token: String,
    pub user: Actor,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput, security(),
    responses((status = 200, body = LoginOutput, description = "Session cookie set"), (status = 401, body = Problem), (status = 403, body = Problem, description = "Password sign-in is turned off on this installation"), (status = 429, body = Problem)))]
pub async fn login(
    State(st): State<AppState>,
    source: ClientSource,
    body: JsonBody<LoginInput>,
) -> ApiResult<Response> {
    if st.settings.passwords_off {
        return Err(crate::error::ServiceError::Forbidden(auth::PASSWORDS_OFF.into()).into());
    }
    let s = auth::login_from(
        &st.db,
        st.clock.now(),
        st.password_cost,
        source.0.as_deref(),
        &body.value.username,
        &body.value.password,
    )
    .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        s.cookie,
        SESSION_HOURS * 3600
    );
    let mut resp = Json(LoginOutput {
        csrf_token: s.csrf_token,
        user: s.actor,
    })
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(st): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(c) = cookie_value(&headers, SESSION_COOKIE) {
        auth::logout(&st.db, c).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("art60_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = Actor), (status = 401, body = Problem)))]
pub async fn me(caller: Caller) -> Json<Actor> {
    Json(caller.actor)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub label: String,
}

#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "auth", request_body = TokenInput,
    responses((status = 201, body = IssuedToken, description = "The token is shown only in this response"), (status = 403, body = Problem, description = "Not a CPAS worker, or called with an API token: a token never mints another")))]
pub async fn issue_token(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<TokenInput>,
) -> ApiResult<Response> {
    // A leaked token must not be turned into more (and longer-lived) ones: only a person
    // signed in with a password issues tokens.
    if matches!(caller.credential, Credential::ApiToken) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed with an API token",
        )
        .detail("sign in with a password to issue an API token")
        .into());
    }
    let t = auth::issue_token(&st.db, st.clock.now(), &caller.actor, &body.value.label).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

#[utoipa::path(post, path = "/api/v1/offices", tag = "directory", request_body = NewOffice,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = OfficeView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_office(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewOffice>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    idempotent(
        &st,
        &caller,
        &headers,
        "offices",
        &body.raw,
        now,
        || async {
            let v = directory::create_office(&st.db, now, &caller.actor, body.value).await?;
            Ok((StatusCode::CREATED, to_value(&v)))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/cpas", tag = "directory", responses((status = 200, body = Vec<CpasView>)))]
pub async fn list_cpas(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<CpasView>>> {
    Ok(Json(directory::list_cpas(&st.db, &caller.actor).await?))
}

#[utoipa::path(post, path = "/api/v1/cpas", tag = "directory", request_body = NewCpas,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = CpasView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_cpas(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewCpas>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    idempotent(&st, &caller, &headers, "cpas", &body.raw, now, || async {
        let v = directory::create_cpas(&st.db, now, &caller.actor, body.value).await?;
        Ok((StatusCode::CREATED, to_value(&v)))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/users", tag = "directory", responses((status = 200, body = Vec<UserView>), (status = 403, body = Problem)))]
pub async fn list_users(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(directory::list_users(&st.db, &caller.actor).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "directory", request_body = NewUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewUser>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    idempotent(&st, &caller, &headers, "users", &body.raw, now, || async {
        let v = directory::create_user(
            &st.db,
            now,
            st.password_cost,
            Some(&caller.actor),
            body.value,
        )
        .await?;
        Ok((StatusCode::CREATED, to_value(&v)))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(ListParams),
    responses((status = 200, body = Page<PersonView>)))]
pub async fn list_persons(
    State(st): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Page<PersonView>>> {
    let page = PageRequest::parse(p.cursor.as_deref(), p.limit)?;
    Ok(Json(
        persons::list(&st.db, st.clock.now(), &caller.actor, page).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = NewPerson,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = PersonView, description = "Created"), (status = 200, body = PersonView, description = "Your CPAS already registered this NISS under this name and birth date"), (status = 422, body = Problem, description = "Invalid input, or your CPAS registered this NISS under another name or birth date (`name_differs`, `birth_date_differs`)")))]
pub async fn create_person(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewPerson>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    idempotent(
        &st,
        &caller,
        &headers,
        "persons",
        &body.raw,
        now,
        || async {
            let (v, created) = persons::register(&st.db, now, &caller.actor, body.value).await?;
            Ok((
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                to_value(&v),
            ))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = i64, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = Problem)))]
pub async fn get_person(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonView>> {
    Ok(Json(
        persons::get(&st.db, st.clock.now(), &caller.actor, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/employments", tag = "employments", request_body = NewEmployment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = EmploymentView), (status = 422, body = Problem)))]
pub async fn create_employment(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewEmployment>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    idempotent(
        &st,
        &caller,
        &headers,
        "employments",
        &body.raw,
        now,
        || async {
            let v = persons::create_employment(&st.db, now, &caller.actor, body.value).await?;
            Ok((StatusCode::CREATED, to_value(&v)))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/employments/{id}", tag = "employments", params(("id" = i64, Path)),
    responses((status = 200, body = EmploymentView), (status = 404, body = Problem)))]
pub async fn get_employment(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<EmploymentView>> {
    Ok(Json(
        requests::get_employment(&st.db, &caller.actor, id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/employments/{id}/derogations", tag = "employments", params(("id" = i64, Path)), request_body = DerogationInput,
    responses((status = 200, body = EmploymentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn grant_derogation(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<DerogationInput>,
) -> ApiResult<Json<EmploymentView>> {
    Ok(Json(
        requests::grant_derogation(&st.db, st.clock.now(), &caller.actor, id, body.value).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", params(ListParams),
    responses((status = 200, body = Page<RequestSummary>)))]
pub async fn list_requests(
    State(st): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Page<RequestSummary>>> {
    let page = PageRequest::parse(p.cursor.as_deref(), p.limit)?;
    Ok(Json(
        requests::list(&st.db, &caller.actor, p.status, page).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", request_body = NewRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = RequestView), (status = 422, body = Problem)))]
pub async fn create_request(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody<NewRequest>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    let today = st.clock.today_brussels();
    let mut resp = idempotent(
        &st,
        &caller,
        &headers,
        "requests",
        &body.raw,
        now,
        || async {
            let v = requests::create(&st.db, now, today, &caller.actor, body.value).await?;
            Ok((StatusCode::CREATED, to_value(&v)))
        },
    )
    .await?;
    if let Ok(b) = read_version(&mut resp).await {
        resp = b;
    }
    Ok(resp)
}

/// Adds the ETag to a JSON response that carries a `version`.
async fn read_version(resp: &mut Response) -> Result<Response, ()> {
    let body = std::mem::take(resp.body_mut());
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .map_err(|_| ())?;
    let version = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("version").and_then(Value::as_i64))
        .and_then(|v| i32::try_from(v).ok());
    let mut out = Response::new(axum::body::Body::from(bytes));
    *out.status_mut() = resp.status();
    *out.headers_mut() = resp.headers().clone();
    if let Some(v) = version {
        out.headers_mut().insert(header::ETAG, etag(v));
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = i64, Path)),
    responses((status = 200, body = RequestView, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get_request(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let r = requests::get(&st.db, st.clock.now(), &caller.actor, id).await?;
    Ok(with_etag(StatusCode::OK, r))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainParams {
    /// en, fr, nl or de (default fr).
    #[param(pattern = "^(en|fr|nl|de)$")]
    pub lang: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/explanation", tag = "requests",
    params(("id" = i64, Path), ExplainParams),
    responses((status = 200, body = crate::requests::Explanation, description = "The final answer in plain language"),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not calculated yet"), (status = 422, body = Problem)))]
pub async fn request_explanation(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(p): Query<ExplainParams>,
) -> ApiResult<Response> {
    let lang = match p.lang.as_deref() {
        None => art60_rules::explain::Lang::Fr,
        Some(l) => art60_rules::explain::Lang::parse(l).ok_or_else(|| {
            ServiceError::Invalid(vec![crate::error::FieldError::new(
                "lang",
                "expected en, fr, nl or de",
            )])
        })?,
    };
    let r = requests::get(&st.db, st.clock.now(), &caller.actor, id).await?;
    let e = r.explanation(lang).ok_or_else(|| {
        ServiceError::refused("not_calculated", "the request has no calculation yet")
    })?;
    Ok((StatusCode::OK, Json(e)).into_response())
}

#[utoipa::path(patch, path = "/api/v1/requests/{id}", tag = "requests", params(("id" = i64, Path), ("If-Match" = String, Header)), request_body = RequestChanges,
    responses((status = 200, body = RequestView), (status = 409, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)))]
pub async fn update_request(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    IfMatch(v): IfMatch,
    body: JsonBody<RequestChanges>,
) -> ApiResult<Response> {
    let r = requests::update(
        &st.db,
        st.clock.now(),
        st.clock.today_brussels(),
        &caller.actor,
        id,
        v,
        body.value,
    )
    .await?;
    Ok(with_etag(StatusCode::OK, r))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/send", tag = "requests", params(("id" = i64, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = RequestView, description = "Sent; the engine result is stored"), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn send_request(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    let r = requests::send(
        &st.db,
        st.clock.now(),
        st.clock.today_brussels(),
        &caller.actor,
        id,
        v,
    )
    .await?;
    Ok(with_etag(StatusCode::OK, r))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/return", tag = "requests", params(("id" = i64, Path), ("If-Match" = String, Header)), request_body = ReturnInput,
    responses((status = 200, body = RequestView), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn return_request(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    IfMatch(v): IfMatch,
    body: JsonBody<ReturnInput>,
) -> ApiResult<Response> {
    let r =
        requests::return_to_cpas(&st.db, st.clock.now(), &caller.actor, id, v, body.value).await?;
    Ok(with_etag(StatusCode::OK, r))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/decide", tag = "requests", params(("id" = i64, Path), ("If-Match" = String, Header)), request_body = DecideInput,
    responses((status = 200, body = RequestView, description = "Published (calculated)"), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_request(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    IfMatch(v): IfMatch,
    body: JsonBody<DecideInput>,
) -> ApiResult<Response> {
    let r = requests::decide(&st.db, st.clock.now(), &caller.actor, id, v, body.value).await?;
    Ok(with_etag(StatusCode::OK, r))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/copy", tag = "requests", request_body = CopyInput,
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = RequestView, description = "The editable copy"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn copy_request(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: JsonBody<CopyInput>,
) -> ApiResult<Response> {
    let now = st.clock.now();
    let route = format!("requests/{id}/copy");
    idempotent(&st, &caller, &headers, &route, &body.raw, now, || async {
        let v = requests::copy(&st.db, now, &caller.actor, id, body.value).await?;
        Ok((StatusCode::CREATED, to_value(&v)))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem)))]
pub async fn list_attachments(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    Ok(Json(attachments::list(&st.db, &caller.actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "One part named `file` (PDF, PNG or JPEG, at most 10 MiB)"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_attachment(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    mut form: Multipart,
) -> ApiResult<Response> {
    let bad = |m: String| ApiError::from(ServiceError::invalid("file", m));
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("attachment").to_owned();
        let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
        let v = attachments::upload(
            &st.db,
            &st.store,
            st.clock.now(),
            &caller.actor,
            id,
            &name,
            bytes.to_vec(),
        )
        .await?;
        return Ok((StatusCode::CREATED, Json(v)).into_response());
    }
    Err(bad("a multipart part named `file` is required".into()))
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "The file, as an attachment download"), (status = 404, body = Problem)))]
pub async fn download_attachment(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (view, bytes) =
        attachments::download(&st.db, &st.store, st.clock.now(), &caller.actor, id).await?;
    let ascii: String = view
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&view.media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/queue", tag = "queue", params(QueueParams),
    responses((status = 200, body = QueuePage, description = "The office's sent requests by deadline"), (status = 403, body = Problem)))]
pub async fn queue(
    State(st): State<AppState>,
    caller: Caller,
    Query(p): Query<QueueParams>,
) -> ApiResult<Json<QueuePage>> {
    Ok(Json(
        queue::list(
            &st.db,
            st.clock.today_brussels(),
            &caller.actor,
            p.cursor.as_deref(),
            p.limit,
        )
        .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyOutput {
    pub entries: i64,
    /// The chain starts after this entry: earlier ones were removed past the audit period.
    pub base_seq: Option<i64>,
    pub ok: bool,
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyOutput), (status = 403, body = Problem)))]
pub async fn audit_verify(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<VerifyOutput>> {
    // SPEC §9: only the DPO and administrators read the trail.
    if !matches!(caller.actor.role, Role::Administrator | Role::Dpo) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for your role",
        )
        .detail("the audit trail is for administrators and the DPO")
        .into());
    }
    let v = crate::audit::verify(&st.db.conn).await?;
    Ok(Json(VerifyOutput {
        entries: v.entries,
        base_seq: v.base.as_ref().map(|b| b.seq),
        ok: v.first_broken.is_none(),
        first_broken_seq: v.first_broken.as_ref().map(|b| b.0),
        reason: v.first_broken.map(|b| b.1),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenCaseParams {
    /// Why the case is opened (mandatory; kept in the audit trail).
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "requests",
    params(("reference" = String, Path, description = "Case reference, e.g. A60-2026-000001"), OpenCaseParams),
    responses((status = 200, body = RequestView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn open_case(
    State(st): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(p): Query<OpenCaseParams>,
) -> ApiResult<Response> {
    let r = requests::open_by_reference(
        &st.db,
        st.clock.now(),
        &caller.actor,
        &reference,
        p.reason.as_deref(),
    )
    .await?;
    Ok(with_etag(StatusCode::OK, r))
}

#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth::revoke_token(&st.db, st.clock.now(), &caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/api/v1/cpas/{id}", tag = "directory", params(("id" = i64, Path)), request_body = CpasChanges,
    responses((status = 200, body = CpasView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_cpas(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<CpasChanges>,
) -> ApiResult<Json<CpasView>> {
    Ok(Json(
        directory::update_cpas(&st.db, st.clock.now(), &caller.actor, id, body.value).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "directory", params(("id" = i64, Path)), request_body = UserChanges,
    responses((status = 200, body = UserView, description = "Updated; a new password ends the account's other sessions and revokes its API tokens"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: JsonBody<UserChanges>,
) -> ApiResult<Json<UserView>> {
    // A password change keeps the session it was made from, and ends every other.
    let own_session = match caller.credential {
        Credential::Session { .. } => super::extract::cookie_value(&headers, SESSION_COOKIE),
        Credential::ApiToken => None,
    };
    Ok(Json(
        directory::update_user(
            &st.db,
            st.clock.now(),
            st.password_cost,
            &caller.actor,
            id,
            body.value,
            own_session,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries after this sequence number (the `seq` of the last entry of the previous page).
    pub after: Option<i64>,
    /// 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<crate::audit::EntryView>), (status = 403, body = Problem)))]
pub async fn audit_list(
    State(st): State<AppState>,
    caller: Caller,
    Query(p): Query<AuditParams>,
) -> ApiResult<Json<Vec<crate::audit::EntryView>>> {
    // SPEC §9: only the DPO and administrators read the trail.
    if !matches!(caller.actor.role, Role::Administrator | Role::Dpo) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for your role",
        )
        .detail("the audit trail is for administrators and the DPO")
        .into());
    }
    let limit = p.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(ServiceError::invalid("limit", "1 to 500").into());
    }
    Ok(Json(
        crate::audit::page(&st.db.conn, p.after.unwrap_or(0), limit).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/dmfa", tag = "dmfa",
    request_body(content_type = "application/xml", description = "One DmfAOriginal declaration file (at most 64 MiB). Stored only for persons with an open request the caller may act for; the others are skipped and counted. Rejected records and lines are listed with their location; a declaration the reader refused part of, or an older one, never replaces stored data (not_stored)"),
    responses((status = 200, body = crate::dmfa::ImportReport), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, description = "Too many DmfA imports at once (or the database cannot be reached); retry after Retry-After seconds",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying the upload")))))]
pub async fn import_dmfa(
    State(st): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<crate::dmfa::ImportReport>> {
    let importer = crate::dmfa::Importer::User(&caller.actor);
    crate::dmfa::may_upload(importer)?;
    // Taken before the body is read: a refused upload costs neither disk nor memory.
    let slots = &st.settings.dmfa_imports;
    let Some(_slot) = slots.try_acquire() else {
        return Err(super::dmfa_upload::busy(slots.size()));
    };
    let upload =
        super::dmfa_upload::receive(&headers, body, crate::dmfa::MAX_UPLOAD_BYTES as u64).await?;
    let r = crate::dmfa::import_reader(
        &st.db,
        st.clock.now(),
        importer,
        upload.file,
        Some(upload.sha256),
    )
    .await?;
    Ok(Json(r))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/dmfa", tag = "dmfa", params(("id" = i64, Path)),
    responses((status = 200, body = crate::dmfa::DmfaView), (status = 404, body = Problem)))]
pub async fn request_dmfa(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<crate::dmfa::DmfaView>> {
    Ok(Json(
        crate::dmfa::for_request(&st.db, st.clock.now(), &caller.actor, id).await?,
    ))
}
