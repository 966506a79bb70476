//! The JSON API under `/api/v1`: thin handlers over the service functions. Errors are RFC 9457
//! problem+json; creation takes `Idempotency-Key`; changes need `If-Match` with the ETag.

mod contact;
pub mod cookies;
mod dmfa_review;
mod dmfa_upload;
mod dpo_api;
pub mod extract;
mod handlers;
mod impact_api;
mod notify_api;
mod openapi_doc;
mod org_api;
mod problem;
pub mod text_guard;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::attachments::Store;
use crate::auth::PasswordCost;
use crate::clock::Clock;
use crate::db::Db;

pub use problem::Problem;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub store: Store,
    pub password_cost: PasswordCost,
    pub metrics: Option<PrometheusHandle>,
    pub settings: Settings,
}

/// Deployment settings the handlers read (`art60 serve`'s flags); the defaults suit tests
/// and the demo on a loopback address.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The portal's public address (`--base-url`, e.g. `https://art60.example.be`), printed
    /// on letters for their verification page. `None`: taken from the request's `Host` on a
    /// loopback address only (the demo), since any client can send any `Host`.
    pub public_url: Option<String>,
    /// Take the client's address for sign-in throttling from the last `X-Forwarded-For`
    /// entry (`--trust-forwarded-for`: only behind a reverse proxy that appends it, or any
    /// client could pick its own address).
    pub trust_forwarded_for: bool,
    /// The bearer token `/metrics` asks for on the main address (`--metrics-token`). `None`:
    /// no `/metrics` there (404); it is then served on `--metrics-bind` or not at all.
    pub metrics_token: Option<String>,
    /// How many DmfA uploads are read at once (over it: 503 with `Retry-After`).
    pub dmfa_imports: crate::dmfa::ImportSlots,
    /// `--no-local-passwords`: password sign-in answers a refusal (accounts sign in through
    /// the identity provider; API tokens still work).
    pub passwords_off: bool,
    /// `--oidc-issuer` and the rest: sign-in through the organisations' identity provider.
    pub oidc: Option<Arc<crate::oidc::Provider>>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "art60 case service", description = "CPAS@ONEM article 60 §7 calculation requests"),
    paths(
        handlers::login, handlers::logout, handlers::me, handlers::issue_token,
        notify_api::list_offices, handlers::create_office, notify_api::update_office,
        handlers::list_cpas, handlers::create_cpas,
        handlers::list_users, handlers::create_user,
        handlers::list_persons, handlers::create_person, handlers::get_person,
        handlers::create_employment, handlers::get_employment, handlers::grant_derogation,
        handlers::list_requests, handlers::create_request, handlers::get_request,
        handlers::update_request, handlers::send_request, handlers::return_request,
        handlers::decide_request, handlers::copy_request,
        handlers::list_attachments, handlers::upload_attachment, handlers::download_attachment,
        handlers::queue, handlers::audit_verify, handlers::open_case, handlers::audit_list,
        handlers::revoke_token, handlers::update_cpas, handlers::update_user,
        handlers::import_dmfa, handlers::request_dmfa, handlers::request_explanation,
        dmfa_review::resolve_conflict,
        contact::list_messages, contact::post_message, contact::mark_read, contact::unread,
        contact::request_escalations, contact::escalation_check, contact::list_escalations,
        contact::create_escalation, contact::get_escalation, contact::forward_escalation,
        contact::close_escalation, contact::open_escalated_case,
        notify_api::inbox, notify_api::mark_read, notify_api::mark_all_read,
        notify_api::get_settings, notify_api::put_settings,
        notify_api::create_feedback, notify_api::list_feedback,
        dpo_api::access_export,
        org_api::sign_in_methods, org_api::list_org_users, org_api::grant_org_role,
        org_api::withdraw_org_role,
        impact_api::create_run, impact_api::list_runs, impact_api::get_run, impact_api::notify_run,
    ),
    components(schemas(Problem)),
    modifiers(&SecurityAddon),
    security(("session" = []), ("token" = [])),
)]
pub struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as served: the routes' annotations, completed by
/// [`openapi_doc::complete`]. Served as JSON rather than read back into utoipa's types, whose
/// deserialisation depends on serde_json's features.
pub fn openapi() -> serde_json::Value {
    // Serialising utoipa's plain data structures cannot fail.
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    openapi_doc::complete(&mut doc);
    doc
}

/// Errors under `/api/` are `application/problem+json`, also the ones axum answers before a
/// handler runs (a path or query that does not parse: 400; the body limit: 413; an unknown
/// method: 405; a wrong media type: 415), which were `text/plain`.
async fn problem_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json"));
    if is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // Rejection texts are one line; more is not worth reading.
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        _ => "error",
    };
    let mut p = Problem::new(status, code, status.canonical_reason().unwrap_or("Error"));
    if !text.is_empty() {
        p = p.detail(text);
    }
    let mut out = p.into_response();
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

async fn healthz(State(st): State<AppState>) -> Response {
    match st.db.conn.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// `/metrics` on the main address: only with the configured bearer token. The counters
/// tell who uses what and when; an anonymous reader must not get them.
async fn metrics_endpoint(State(st): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = &st.settings.metrics_token else {
        return fallback().await;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // Comparing digests keeps the comparison's time independent of the token's content.
    let digest = |s: &str| crate::auth::sha256_hex(s.as_bytes());
    if given.map(digest) != Some(digest(token)) {
        return Problem::from(crate::error::ServiceError::Unauthenticated).into_response();
    }
    metrics_text(st.metrics.as_ref())
}

/// The Prometheus exposition of `handle` (empty without a recorder).
pub fn metrics_text(handle: Option<&PrometheusHandle>) -> Response {
    let body = handle.map(PrometheusHandle::render).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// The application served on `--metrics-bind`: `/metrics` and nothing else, without a
/// token (that address is meant for the monitoring network only).
pub fn metrics_router(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let h = handle.clone();
            async move { metrics_text(Some(&h)) }
        }),
    )
}

async fn fallback() -> Response {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    use handlers as h;
    let v1 = Router::new()
        .route("/auth/login", post(h::login))
        .route("/auth/logout", post(h::logout))
        .route("/auth/me", get(h::me))
        .route("/auth/methods", get(org_api::sign_in_methods))
        .route("/organisation/users", get(org_api::list_org_users))
        .route(
            "/organisation/users/{id}/role",
            axum::routing::put(org_api::grant_org_role).delete(org_api::withdraw_org_role),
        )
        .route("/api-tokens", post(h::issue_token))
        .route("/api-tokens/{id}", axum::routing::delete(h::revoke_token))
        .route(
            "/offices",
            get(notify_api::list_offices).post(h::create_office),
        )
        .route(
            "/offices/{id}",
            axum::routing::patch(notify_api::update_office),
        )
        .route("/notifications", get(notify_api::inbox))
        .route("/notifications/read", post(notify_api::mark_all_read))
        .route("/notifications/{id}/read", post(notify_api::mark_read))
        .route(
            "/account/settings",
            get(notify_api::get_settings).put(notify_api::put_settings),
        )
        .route(
            "/feedback",
            get(notify_api::list_feedback).post(notify_api::create_feedback),
        )
        .route("/cpas", get(h::list_cpas).post(h::create_cpas))
        .route("/cpas/{id}", axum::routing::patch(h::update_cpas))
        .route("/users", get(h::list_users).post(h::create_user))
        .route("/users/{id}", axum::routing::patch(h::update_user))
        .route("/persons", get(h::list_persons).post(h::create_person))
        .route("/persons/{id}", get(h::get_person))
        .route("/employments", post(h::create_employment))
        .route("/employments/{id}", get(h::get_employment))
        .route("/employments/{id}/derogations", post(h::grant_derogation))
        .route("/requests", get(h::list_requests).post(h::create_request))
        .route(
            "/requests/{id}",
            get(h::get_request).patch(h::update_request),
        )
        .route("/requests/{id}/send", post(h::send_request))
        .route("/requests/{id}/return", post(h::return_request))
        .route("/requests/{id}/decide", post(h::decide_request))
        .route("/requests/{id}/copy", post(h::copy_request))
        .route(
            "/requests/{id}/attachments",
            get(h::list_attachments)
                .post(h::upload_attachment)
                .layer(DefaultBodyLimit::max(
                    crate::attachments::MAX_BYTES + 64 * 1024,
                )),
        )
        .route("/requests/{id}/dmfa", get(h::request_dmfa))
        .route("/requests/{id}/explanation", get(h::request_explanation))
        .route(
            "/requests/{id}/dmfa/resolutions",
            post(dmfa_review::resolve_conflict),
        )
        .route(
            "/dmfa",
            post(h::import_dmfa).layer(DefaultBodyLimit::max(crate::dmfa::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/requests/{id}/messages",
            get(contact::list_messages)
                .post(contact::post_message)
                .layer(DefaultBodyLimit::max(
                    crate::attachments::MAX_BYTES + 64 * 1024,
                )),
        )
        .route("/requests/{id}/messages/read", post(contact::mark_read))
        .route("/messages/unread", get(contact::unread))
        .route(
            "/requests/{id}/escalations",
            get(contact::request_escalations),
        )
        .route(
            "/requests/{id}/escalation-check",
            get(contact::escalation_check),
        )
        .route(
            "/escalations",
            get(contact::list_escalations).post(contact::create_escalation),
        )
        .route("/escalations/{id}", get(contact::get_escalation))
        .route(
            "/escalations/{id}/forward",
            post(contact::forward_escalation),
        )
        .route("/escalations/{id}/close", post(contact::close_escalation))
        .route(
            "/escalations/{id}/open-case",
            post(contact::open_escalated_case),
        )
        .route("/attachments/{id}", get(h::download_attachment))
        .route("/queue", get(h::queue))
        .route("/cases/{reference}", get(h::open_case))
        .route("/audit", get(h::audit_list))
        .route("/audit/verify", get(h::audit_verify))
        .route("/dpo/access-export", post(dpo_api::access_export))
        .route(
            "/impact-runs",
            get(impact_api::list_runs).post(impact_api::create_run),
        )
        .route("/impact-runs/{id}", get(impact_api::get_run))
        .route(
            "/impact-runs/{id}/notifications",
            post(impact_api::notify_run),
        );
    Router::new()
        .nest("/api/v1", v1)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_endpoint))
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .external_url_unchecked("/api/openapi.json", openapi()),
        )
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(middleware::from_fn(problem_errors))
        .layer(middleware::from_fn(text_guard::reject_control_chars))
        .layer(middleware::from_fn(track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
