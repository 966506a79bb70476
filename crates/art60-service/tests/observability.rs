#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Logs never carry a NISS or a name, even at TRACE level; /metrics exposes HTTP counters.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_hold_no_niss_and_no_name_and_metrics_count_requests() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap();

    let t = TestApp::new(Backend::Sqlite).await;
    let r = t.draft(&t.a, NISS_1).await;
    let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
    t.call(
        Method::GET,
        &format!("/api/v1/requests/{}", r.id()),
        &t.a.officer,
        None,
    )
    .await;
    t.call(
        Method::GET,
        &format!("/api/v1/persons/{}", r.body["person_id"]),
        &t.a.worker,
        None,
    )
    .await;
    t.act(
        &t.a.officer,
        r.id(),
        "decide",
        &s.etag(),
        Some(json!({"decision": "confirm"})),
    )
    .await;
    let bad = t
        .call(
            Method::POST,
            "/api/v1/persons",
            &t.a.worker,
            Some(json!({"niss": "95031012342", "last_name": "Secretname", "first_name": "Hidden", "birth_date": "1995-03-10"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("audit"),
        "the capture works: {} bytes",
        logs.len()
    );
    for secret in [
        NISS_1,
        "95031012342",
        "95.03.10",
        "Secretname",
        "Hidden",
        "Person",
    ] {
        assert!(!logs.contains(secret), "{secret} appears in the logs");
    }

    let app = art60_service::api::router(art60_service::api::AppState {
        db: t.db.clone(),
        clock: t.clock.clone(),
        store: art60_service::attachments::Store::Database,
        password_cost: art60_service::auth::PasswordCost::minimal_for_tests(),
        metrics: Some(handle.clone()),
        settings: art60_service::api::Settings {
            metrics_token: Some("metrics-secret".into()),
            ..Default::default()
        },
    });
    use tower::ServiceExt;
    let get = |auth: Option<&str>| {
        let mut r = axum::http::Request::get("/metrics");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.body(axum::body::Body::empty()).unwrap()
    };
    // Without the token, or with another one: refused, nothing of the counters shown.
    for auth in [None, Some("Bearer wrong"), Some("metrics-secret")] {
        let resp = app.clone().oneshot(get(auth)).await.unwrap();
        assert_eq!(
            resp.status(),
            axum::http::StatusCode::UNAUTHORIZED,
            "{auth:?}"
        );
    }
    // Without a token configured there is no /metrics on the main address.
    let bare = art60_service::api::router(art60_service::api::AppState {
        db: t.db.clone(),
        clock: t.clock.clone(),
        store: art60_service::attachments::Store::Database,
        password_cost: art60_service::auth::PasswordCost::minimal_for_tests(),
        metrics: Some(handle.clone()),
        settings: Default::default(),
    });
    let resp = bare
        .oneshot(get(Some("Bearer metrics-secret")))
        .await
        .unwrap();
    assert_eq!(resp.status(), axum::http::StatusCode::NOT_FOUND);
    // The separate metrics address serves them without a token.
    let resp = art60_service::api::metrics_router(handle)
        .oneshot(get(None))
        .await
        .unwrap();
    assert_eq!(resp.status(), axum::http::StatusCode::OK);
    let resp = app
        .oneshot(get(Some("Bearer metrics-secret")))
        .await
        .unwrap();
    assert_eq!(resp.status(), axum::http::StatusCode::OK);
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains(r#"http_requests_total{method="POST",route="/api/v1/requests/{id}/send",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds"));
}
