#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Sign-in throttling (issue 14 §1 and §2): a stranger cannot lock a worker out, one address
//! cannot try any number of accounts, and concurrent wrong passwords cannot pass the limit.
//! The client's address is the connection's (`ConnectInfo`), as `art60 serve` provides it.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::json;
use tower::ServiceExt;

fn login_from(ip: &str, user: &str, password: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": user, "password": password}).to_string(),
        ))
        .unwrap();
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

const STRANGER: &str = "203.0.113.7";
const OFFICE: &str = "198.51.100.20";

#[tokio::test]
async fn a_stranger_cannot_lock_a_worker_out() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // The worker signed in from the office before.
        let r = t
            .send_raw(login_from(OFFICE, "worker.brussels", PASSWORD))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // A stranger hammers the account: slowed down after 5 failures...
        let mut refused = 0;
        for _ in 0..12 {
            let r = t
                .send_raw(login_from(STRANGER, "worker.brussels", "guess"))
                .await;
            match r.status {
                StatusCode::UNAUTHORIZED => {}
                StatusCode::TOO_MANY_REQUESTS => refused += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(refused, 12 - 5);
        // ...even with the right password, from that address...
        let r = t
            .send_raw(login_from(STRANGER, "worker.brussels", PASSWORD))
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        // ...but the worker at the office signs in at once.
        let r = t
            .send_raw(login_from(OFFICE, "worker.brussels", PASSWORD))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        t.finish().await;
    }
}

#[tokio::test]
async fn one_address_cannot_try_any_number_of_accounts() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let free = art60_service::login_throttle::POLICY.source_free;
        for i in 0..free {
            let r = t
                .send_raw(login_from(STRANGER, &format!("user{i}"), "guess"))
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        // The next account from that address waits, whatever the account.
        let r = t.send_raw(login_from(STRANGER, "someone", "guess")).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers["retry-after"], "30");
        // Another address is not concerned.
        let r = t
            .send_raw(login_from(OFFICE, "worker.brussels", PASSWORD))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_do_not_pass_the_limit() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let app = t.app.clone();
            set.spawn(async move {
                app.oneshot(login_from(STRANGER, "worker.namur", "guess"))
                    .await
                    .unwrap()
                    .status()
            });
        }
        let statuses: Vec<StatusCode> = set.join_all().await;
        let failed = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((failed, refused), (5, 25), "{statuses:?}");
        t.finish().await;
    }
}
