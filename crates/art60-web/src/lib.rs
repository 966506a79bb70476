//! The HTML portal for CPAS social workers and ONEM officers, on top of the case service.
//!
//! Server-rendered (askama) pages that work without JavaScript; htmx (vendored, no CDN) adds
//! the live NISS check, the simulation while typing and in-page row editing. Every text comes
//! from the Fluent catalogs in `locales/` (fr, nl, de, en).
//!
//! Mount with [`router`], next to the service's JSON router:
//! `art60_service::api::router(state.clone()).merge(art60_web::router(state))`, or [`app`]
//! for both with HTML error pages.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod contact;
pub mod countries;
mod ctx;
mod dmfa_view;
mod dpo_page;
mod fields;
pub mod form;
pub mod i18n;
mod impact_page;
pub mod labels;
mod law_page;
mod letter;
mod notify_pages;
mod org_page;
mod pages;
pub mod summary;
pub mod timeline;
mod widget;

use art60_service::api::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const APP_CSS: &str = include_str!("../static/app.css");
const HTMX_JS: &str = include_str!("../static/vendor/htmx-2.0.11.min.js");
const HTMX_LICENSE: &str = include_str!("../static/vendor/htmx-LICENSE");
const PRINT_JS: &str = include_str!("../static/print.js");
const FAVICON: &str = include_str!("../static/favicon.svg");

/// The request form with its attachments: a few files of the service's maximum size.
const FORM_BODY_LIMIT: usize = 3 * art60_service::attachments::MAX_BYTES + 256 * 1024;

/// Same-origin only: every asset is served by the portal itself (no CDN), no inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

async fn security_headers(req: Request, next: Next) -> Response {
    let had_flash = art60_service::api::extract::cookie_value(req.headers(), ctx::FLASH_COOKIE)
        .is_some_and(|v| !v.is_empty());
    let mut resp = next.run(req).await;
    secure(&mut resp);
    // A page that showed the one-time message clears it (it was read when rendering).
    let html_page = resp.status() == StatusCode::OK
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
        && !resp.headers().contains_key(header::SET_COOKIE);
    if had_flash && html_page {
        resp.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("art60_flash=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        );
    }
    resp
}

fn secure(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The htmx file name carries its version; the CSS is small. A day is a safe cache life.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    resp
}

/// A GET on an address that only takes a form post (a reload of the page a refused post showed,
/// a typed or bookmarked address) goes back to the page the form is on instead of "405 Method
/// Not Allowed" (issue 13 §5).
fn back(
    to: &'static str,
) -> impl Fn() -> std::future::Ready<Redirect> + Clone + Send + Sync + 'static {
    move || std::future::ready(Redirect::to(to))
}

async fn to_request(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/requests/{id}"))
}

async fn to_contact(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/requests/{id}/contact"))
}

async fn to_escalation(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/escalations/{id}"))
}

/// The portal's routes (HTML pages, fragments and static assets), without a fallback so it
/// can be merged into the JSON API router (axum refuses to merge two fallbacks). Use [`app`]
/// for both with translated HTML 404 pages.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", get(back("/")).post(pages::logout))
        .route("/auth/oidc/login", get(pages::oidc_login))
        .route("/auth/oidc/callback", get(pages::oidc_callback))
        .route("/organisation", get(org_page::organisation_page))
        .route(
            "/organisation/users/{id}",
            get(back("/organisation")).post(org_page::organisation_post),
        )
        .route("/lang", get(back("/")).post(pages::set_lang))
        .route("/directory", get(pages::directory_page))
        .route("/dashboard", get(pages::dashboard))
        .route(
            "/requests/new",
            get(pages::new_request_form)
                .post(pages::new_request_post)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route(
            "/simulate",
            get(back("/requests/new")).post(pages::simulate),
        )
        .route(
            "/check/niss",
            get(back("/requests/new")).post(pages::check_niss),
        )
        .route("/requests/{id}", get(pages::request_get))
        .route("/requests/{id}/print", get(pages::request_print))
        .route("/requests/{id}/letter.pdf", get(letter::letter_pdf))
        .route("/verify", get(letter::verify_form))
        .route("/verify/{code}", get(letter::verify_page))
        .route(
            "/requests/{id}/edit",
            get(pages::edit_form)
                .post(pages::edit_post)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route(
            "/requests/{id}/send",
            get(to_request).post(pages::request_send),
        )
        .route(
            "/requests/{id}/dmfa/resolve",
            get(to_request).post(dmfa_view::resolve_post),
        )
        .route(
            "/requests/{id}/copy",
            get(to_request).post(pages::request_copy),
        )
        .route(
            "/requests/{id}/decide",
            get(to_request).post(pages::request_decide),
        )
        .route(
            "/requests/{id}/return",
            get(to_request).post(pages::request_return),
        )
        .route(
            "/requests/{id}/derogation",
            get(to_request).post(pages::request_derogation),
        )
        .route(
            "/requests/{id}/attachments",
            get(to_request)
                .post(pages::attachment_upload)
                .layer(DefaultBodyLimit::max(
                    art60_service::attachments::MAX_BYTES + 64 * 1024,
                )),
        )
        .route("/queue", get(pages::queue_page))
        .route(
            "/impact",
            get(impact_page::impact_form)
                .post(impact_page::impact_post)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route("/impact/{id}", get(impact_page::impact_run))
        .route("/impact/{id}/csv", get(impact_page::impact_csv))
        .route(
            "/impact/{id}/notify",
            get(back("/impact")).post(impact_page::impact_notify),
        )
        .route("/requests/{id}/contact", get(contact::contact_get))
        .route(
            "/requests/{id}/messages",
            get(to_contact)
                .post(contact::message_post)
                .layer(DefaultBodyLimit::max(
                    art60_service::attachments::MAX_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/requests/{id}/escalate",
            get(contact::escalate_get).post(contact::escalate_post),
        )
        .route("/escalations", get(contact::list_page))
        .route("/escalations/{id}", get(contact::ticket_get))
        .route(
            "/escalations/{id}/forward",
            get(to_escalation).post(contact::forward_post),
        )
        .route(
            "/escalations/{id}/close",
            get(to_escalation).post(contact::close_post),
        )
        .route(
            "/escalations/{id}/open-case",
            get(to_escalation).post(contact::open_case_post),
        )
        .route("/notifications", get(notify_pages::notifications_page))
        .route(
            "/notifications/read",
            get(back("/notifications")).post(notify_pages::notifications_read_all),
        )
        .route(
            "/notifications/{id}/read",
            get(back("/notifications")).post(notify_pages::notification_read),
        )
        .route(
            "/account",
            get(notify_pages::account_get).post(notify_pages::account_post),
        )
        .route(
            "/support",
            get(notify_pages::support_get).post(notify_pages::support_post),
        )
        .route("/faq", get(notify_pages::faq))
        .route("/law", get(law_page::law_page))
        .route("/admin/feedback", get(notify_pages::feedback_list))
        .route(
            "/dpo/access",
            get(dpo_page::access_get).post(dpo_page::access_post),
        )
        .route("/admin/offices", get(notify_pages::admin_offices))
        .route(
            "/admin/offices/{id}",
            get(back("/admin/offices")).post(notify_pages::admin_office_post),
        )
        .route(
            "/admin/cpas/{id}",
            get(back("/admin/offices")).post(notify_pages::admin_cpas_post),
        )
        .route(
            "/static/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/vendor/htmx-2.0.11.min.js",
            get(|| async { asset(HTMX_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async { asset(FAVICON, "image/svg+xml") }),
        )
        // Browsers ask for it even with the link above; the same icon, no 404 in the console.
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent("/static/favicon.svg") }),
        )
        .route(
            "/static/print.js",
            get(|| async { asset(PRINT_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/vendor/htmx-LICENSE",
            get(|| async { asset(HTMX_LICENSE, "text/plain; charset=utf-8") }),
        )
        .layer(middleware::from_fn(
            art60_service::api::text_guard::reject_control_chars,
        ))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The whole HTTP application: the service's JSON API and the portal, where an error without
/// a page of its own (an unknown path, a method the address does not take, a body the form
/// extractor refused) asked for by a browser gets the portal's translated error page.
pub fn app(state: AppState) -> Router {
    art60_service::api::router(state.clone())
        .merge(router(state.clone()))
        .layer(middleware::from_fn_with_state(state, html_errors))
}

/// Replaces a non-HTML 400, 404 or 405 by the portal's error page for browsers (not for
/// `/api/...`), with the signed-in user's menu; an error page drawn without the menu (a page
/// that failed to render: a 500) is drawn again with it.
pub async fn html_errors(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let wants_html = !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    // What the page's context is built from, kept before the request is consumed: the
    // address and the headers (cookies, languages). The context itself (a session lookup) is
    // only built when an error page is drawn.
    let saved = wants_html.then(|| (req.uri().clone(), req.headers().clone()));
    let resp = next.run(req).await;
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let kind = match (
        resp.extensions().get::<ctx::AnonymousError>(),
        resp.status(),
    ) {
        // The portal's own error page drawn without the menu (a page failed to render).
        (Some(a), _) => a.0,
        (None, _) if is_html => return resp,
        (None, StatusCode::BAD_REQUEST) => ctx::ErrorKind::BadRequest,
        (None, StatusCode::NOT_FOUND) => ctx::ErrorKind::NotFound,
        (None, StatusCode::METHOD_NOT_ALLOWED) => ctx::ErrorKind::MethodNotAllowed,
        _ => return resp,
    };
    let Some((uri, headers)) = saved else {
        return resp;
    };
    let mut parts = Request::new(()).into_parts().0;
    parts.uri = uri;
    parts.headers = headers;
    let Ok(c) = ctx::Ctx::from_request_parts(&mut parts, &st).await;
    let mut page = c.error(kind).into_response();
    secure(&mut page);
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use art60_service::Clock;
    use askama::Template;
    use axum::body::Body;
    use tower::ServiceExt;

    struct Broken;

    impl std::fmt::Display for Broken {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }

    #[derive(Template)]
    #[template(source = "<p>{{ part }}</p>", ext = "html")]
    struct BrokenPage {
        part: Broken,
    }

    async fn text(resp: Response) -> String {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// A page that fails to render is drawn again as the 500 page with the signed-in menu.
    #[tokio::test]
    async fn a_page_that_fails_to_render_is_the_500_page_with_the_menu() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = art60_service::Db::connect(&url).await.unwrap();
        let clock = std::sync::Arc::new(art60_service::FixedClock::new(
            chrono::DateTime::parse_from_rfc3339("2026-11-20T09:00:00Z")
                .unwrap()
                .to_utc(),
        ));
        let cost = art60_service::auth::PasswordCost::minimal_for_tests();
        let creds = art60_service::demo::seed(&db, clock.now(), cost)
            .await
            .unwrap();
        let state = AppState {
            db: db.clone(),
            clock,
            store: art60_service::attachments::Store::Database,
            password_cost: cost,
            metrics: None,
            settings: Default::default(),
        };
        let app = Router::new()
            .route(
                "/boom",
                get(|| async { ctx::render(i18n::Lang::Fr, &BrokenPage { part: Broken }) }),
            )
            .with_state(state.clone())
            .merge(router(state.clone()))
            .layer(middleware::from_fn_with_state(state, html_errors));
        let pw = creds
            .iter()
            .find(|c| c.username == "cpas.namur")
            .unwrap()
            .password
            .clone();
        let login = app
            .clone()
            .oneshot(Request::get("/login").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let cookie = login.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let token = cookie.split('=').nth(1).unwrap().to_owned();
        let form = format!("csrf={token}&username=cpas.namur&password={pw}");
        let signed = app
            .clone()
            .oneshot(
                Request::post("/login")
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await
            .unwrap();
        let session = signed
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|c| c.starts_with(art60_service::auth::SESSION_COOKIE))
            .unwrap();
        let resp = app
            .oneshot(
                Request::get("/boom")
                    .header(header::ACCEPT, "text/html")
                    .header(header::COOKIE, session)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let html = text(resp).await;
        assert!(html.contains("Une erreur est survenue"), "{html}");
        assert!(html.contains(r#"href="/dashboard""#), "the menu: {html}");
    }
}
