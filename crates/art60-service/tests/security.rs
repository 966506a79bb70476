#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 14 §1, the review's small findings: control characters in text, list limits, login
//! without an account, what an API token may do, and what a password change ends. SQLite
//! always; PostgreSQL when ART60_TEST_DATABASE_URL is set.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use serde_json::json;

fn assert_control_refused(r: &Resp, field: &str, what: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.body
    );
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "{what}"
    );
    let errors = r.body["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["code"] == "control_character"),
        "{what}: expected the field {field}: {}",
        r.body
    );
}

#[tokio::test]
async fn control_characters_are_refused_in_every_text_field() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // Unauthenticated login: PostgreSQL answered 500 here.
        for (user, pass, field) in [
            ("admin\u{0}", PASSWORD, "username"),
            ("admin", "x\u{0}y", "password"),
            ("ad\u{1b}min", PASSWORD, "username"),
        ] {
            let r = t
                .call(
                    Method::POST,
                    "/api/v1/auth/login",
                    &Auth::Anonymous,
                    Some(json!({"username": user, "password": pass})),
                )
                .await;
            assert_control_refused(&r, field, &format!("{backend:?} login"));
        }
        // A stored text field, and one nested in the request form.
        let r = t
            .call(
                Method::POST,
                "/api/v1/persons",
                &t.a.worker,
                Some(json!({"niss": NISS_1, "last_name": "Te\u{0}st", "first_name": "P", "birth_date": "1995-03-10"})),
            )
            .await;
        assert_control_refused(&r, "last_name", &format!("{backend:?} person"));
        let draft = t.draft(&t.a, NISS_1).await;
        let id = draft.id();
        let body = json!({
            "contact_name": "Service\u{0}",
            "input": {"history": [{"employer": "A\u{7f}", "start": "2020-01-01"}]},
        });
        let r = t
            .call_with(
                Method::PATCH,
                &format!("/api/v1/requests/{id}"),
                &t.a.worker,
                Some(body),
                &[("if-match", &draft.etag())],
            )
            .await;
        assert_control_refused(&r, "contact_name", &format!("{backend:?} request"));
        assert_control_refused(
            &r,
            "input.history[0].employer",
            &format!("{backend:?} request"),
        );
        // Lines and tabs stay allowed where they are text.
        let r = t
            .call(
                Method::POST,
                "/api/v1/feedback",
                &t.a.worker,
                Some(json!({"message": "first line\r\n\tsecond line", "page": "/dashboard"})),
            )
            .await;
        assert_ne!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // A multipart text field (a message's body). File names cannot carry control
        // characters: header lines refuse them, and `filename*` is not decoded.
        let boundary = "XXb";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nhello\u{0}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--{boundary}--\r\n"
        );
        let Auth::Token(token) = &t.a.worker else {
            panic!()
        };
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/requests/{id}/messages"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap();
        let r = t.send_raw(req).await;
        assert_control_refused(&r, "body", &format!("{backend:?} multipart"));
        // Query string and path.
        let r = t
            .call(
                Method::GET,
                "/api/v1/persons?cursor=id%3A1%00",
                &t.a.worker,
                None,
            )
            .await;
        assert_control_refused(&r, "cursor", &format!("{backend:?} query"));
        let r = t
            .call(
                Method::GET,
                "/api/v1/cases/REF%00X?reason=check",
                &t.onem_spoc,
                None,
            )
            .await;
        assert_control_refused(&r, "$path", &format!("{backend:?} path"));
        // A JSON string escape in a raw body, as a client would send it.
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/auth/login")
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(r#"{"username":"\u0000","password":"x"}"#))
            .unwrap();
        let r = t.send_raw(req).await;
        assert_control_refused(&r, "username", &format!("{backend:?} raw login"));
        t.finish().await;
    }
}

#[tokio::test]
async fn the_notification_limit_is_bounded_like_the_other_lists() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        for limit in ["100000", "0", "201"] {
            let persons = t
                .call(
                    Method::GET,
                    &format!("/api/v1/persons?limit={limit}"),
                    &t.a.worker,
                    None,
                )
                .await;
            assert_eq!(persons.status, StatusCode::UNPROCESSABLE_ENTITY);
            for (path, auth) in [
                ("/api/v1/notifications", &t.a.worker),
                ("/api/v1/feedback", &t.admin),
            ] {
                let r = t
                    .call(Method::GET, &format!("{path}?limit={limit}"), auth, None)
                    .await;
                assert_eq!(r.status, persons.status, "{path} {limit}: {}", r.body);
                assert_eq!(r.body, persons.body, "{path} {limit}");
            }
        }
        let r = t
            .call(
                Method::GET,
                "/api/v1/notifications?limit=200",
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        t.finish().await;
    }
}

/// An unknown or inactive account costs one password verification, like a known one (a dummy
/// hash), so the answer's time does not tell which accounts exist.
#[tokio::test]
async fn a_login_verifies_a_password_whether_or_not_the_account_exists() {
    use art60_service::auth::password_checks_on_this_thread as checks;
    for backend in backends() {
        let t = TestApp::new(backend).await;
        for (user, pass) in [
            ("admin", "wrong password"),
            ("admin", PASSWORD),
            ("nobody.at.all", "wrong password"),
            ("nobody.else", PASSWORD),
        ] {
            let before = checks();
            let r = t
                .call(
                    Method::POST,
                    "/api/v1/auth/login",
                    &Auth::Anonymous,
                    Some(json!({"username": user, "password": pass})),
                )
                .await;
            assert!(
                matches!(r.status, StatusCode::OK | StatusCode::UNAUTHORIZED),
                "{}",
                r.body
            );
            assert_eq!(checks() - before, 1, "{backend:?} {user}");
        }
        t.finish().await;
    }
}

/// A leaked API token cannot be turned into more tokens; the signed-in worker still can.
#[tokio::test]
async fn an_api_token_does_not_mint_tokens() {
    use art60_service::db::api_token;
    use sea_orm::{EntityTrait, PaginatorTrait};
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let before = api_token::Entity::find().count(&t.db.conn).await.unwrap();
        let r = t
            .call(
                Method::POST,
                "/api/v1/api-tokens",
                &t.a.worker,
                Some(json!({"label": "minted by a token"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        assert_eq!(
            api_token::Entity::find().count(&t.db.conn).await.unwrap(),
            before
        );
        let session = t.login("worker.namur").await;
        let r = t
            .call(
                Method::POST,
                "/api/v1/api-tokens",
                &session,
                Some(json!({"label": "by the worker"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        t.finish().await;
    }
}

/// A password reset ends the account's sessions and revokes its tokens; a change of one's own
/// password keeps the session it was made from and ends the others.
#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_tokens() {
    use art60_service::db::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    async fn user_id(t: &TestApp, name: &str) -> i64 {
        user::Entity::find()
            .filter(user::Column::Username.eq(name))
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap()
            .id
    }
    async fn me(t: &TestApp, auth: &Auth) -> StatusCode {
        t.call(Method::GET, "/api/v1/auth/me", auth, None)
            .await
            .status
    }
    let new_password = json!({"password": "a brand new long passphrase"});
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // The administrator resets a worker's password.
        let worker_session = t.login("worker.namur").await;
        assert_eq!(me(&t, &t.a.worker).await, StatusCode::OK);
        let worker = user_id(&t, "worker.namur").await;
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{worker}"),
                &t.admin,
                Some(new_password.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(me(&t, &worker_session).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&t, &t.a.worker).await, StatusCode::UNAUTHORIZED);
        // Other accounts keep theirs; the administrator's session still works.
        assert_eq!(me(&t, &t.b.worker).await, StatusCode::OK);
        assert_eq!(me(&t, &t.a.officer).await, StatusCode::OK);
        assert_eq!(me(&t, &t.admin).await, StatusCode::OK);
        // The administrator changes their own password: this session stays, the other ends.
        let other_admin_session = t.login("admin").await;
        let admin = user_id(&t, "admin").await;
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{admin}"),
                &t.admin,
                Some(new_password.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(me(&t, &t.admin).await, StatusCode::OK);
        assert_eq!(me(&t, &other_admin_session).await, StatusCode::UNAUTHORIZED);
        // A change that is not a password ends nothing.
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{}", user_id(&t, "worker.brussels").await),
                &t.admin,
                Some(json!({"active": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(me(&t, &t.b.worker).await, StatusCode::OK);
        t.finish().await;
    }
}

/// Free text that reaches the other party, mails and the audit trail: the person's NISS and
/// name are refused in every such field, whatever their writing (full-width digits, hidden
/// zero-width spaces, capitals without accents); nothing is written.
#[tokio::test]
async fn free_text_for_another_party_carries_no_niss_or_name() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let r = t.draft(&t.a, NISS_1).await;
        let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let audit_before = audit_count(&t).await;
        let cases = [
            // (action, body, field, code)
            (
                "return",
                json!({"reason": "NISS ９５０３１０１２３４１ manquant"}),
                "reason",
                "contains_niss",
            ),
            (
                "return",
                json!({"reason": "le certificat de TE\u{200b}ST manque"}),
                "reason",
                "contains_name",
            ),
            (
                "decide",
                json!({"decision": "override", "end_date": "2025-06-30",
                    "justification": "Person a fourni l'attestation"}),
                "justification",
                "contains_name",
            ),
        ];
        for (action, body, field, code) in cases {
            let refused = t
                .act(&t.a.officer, r.id(), action, &s.etag(), Some(body))
                .await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{action}: {}",
                refused.body
            );
            assert!(
                refused.body["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field && e["code"] == code),
                "{action}: {}",
                refused.body
            );
        }
        let msg = t
            .call(
                Method::POST,
                &format!("/api/v1/requests/{}/messages", r.id()),
                &t.a.worker,
                Some(json!({"body": "Test Person a signé"})),
            )
            .await;
        assert_eq!(msg.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", msg.body);
        let fb = t
            .call(
                Method::POST,
                "/api/v1/feedback",
                &t.a.worker,
                Some(json!({"message": "le NISS 95.03.10－123.41 s'affiche", "page": "/queue"})),
            )
            .await;
        assert_eq!(fb.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", fb.body);
        // Nothing was written, the audit trail included.
        assert_eq!(audit_count(&t).await, audit_before);
        let ok = t
            .act(
                &t.a.officer,
                r.id(),
                "return",
                &s.etag(),
                Some(json!({"reason": "le certificat médical manque"})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        t.finish().await;
    }
}

async fn audit_count(t: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    art60_service::db::audit_entry::Entity::find()
        .count(&t.db.conn)
        .await
        .unwrap()
}

/// Issue 14 §2: the time of an entry was read before the head was locked, so a transaction
/// that waited for the lock wrote an entry earlier than its predecessor. Now it never is.
#[tokio::test]
async fn audit_entries_are_never_earlier_than_their_predecessor() {
    use art60_service::audit::{self, Event, Who};
    use art60_service::db::audit_entry;
    use sea_orm::{EntityTrait, QueryOrder};
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let later = t.clock_now() + chrono::Duration::seconds(5);
        let earlier = t.clock_now() + chrono::Duration::seconds(1);
        for now in [later, earlier] {
            let tx = t.db.begin_write().await.unwrap();
            audit::append(
                &tx.txn,
                now,
                &Who::default(),
                Event {
                    action: "test",
                    entity: "test",
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let all = audit_entry::Entity::find()
            .order_by_asc(audit_entry::Column::Seq)
            .all(&t.db.conn)
            .await
            .unwrap();
        assert!(all.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(all.last().unwrap().at, later);
        assert!(
            audit::verify(&t.db.conn)
                .await
                .unwrap()
                .first_broken
                .is_none()
        );
        t.finish().await;
    }
}
