#![allow(clippy::unwrap_used, clippy::expect_used)]
//! DmfA declarations in the case service: import (only for persons with an open request),
//! replacement on re-import, conflicts with typed periods, use in the calculation, access and
//! audit. SQLite always; PostgreSQL when ART60_TEST_DATABASE_URL is set.

mod common;

use art60_service::auth::Actor;
use art60_service::db::{request_engine_input, user};
use art60_service::dmfa::{self, Importer};
use art60_service::{Clock, audit};
use axum::http::{Method, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// A sample declaration from the shared reference data (see its README for provenance).
const SAMPLE: &str = "../../../shared/data/dmfa/DmfAOriginal_20222_1.xml";
/// A person declared in SAMPLE (born 1977-10-15).
const DECLARED: &str = "77101500172";

async fn actor(t: &TestApp, username: &str) -> Actor {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&t.db.conn)
        .await
        .unwrap()
        .unwrap();
    Actor::from_user(&u)
}

fn sample() -> Vec<u8> {
    std::fs::read(format!("{}/{SAMPLE}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The declared person in CPAS A with a draft request typing one work period in 2022Q2.
async fn declared_draft(t: &TestApp) -> (i64, i64, String) {
    let (p, _, r) = t
        .draft_of(
            &t.a,
            json!({"niss": DECLARED, "last_name": "Test", "first_name": "Declared", "birth_date": "1977-10-15"}),
            "2024-07-01",
            Some(json!([{"kind": "work", "start": "2022-04-01", "end": "2022-06-30"}])),
        )
        .await;
    (p.id(), r.id(), r.etag())
}

#[tokio::test]
async fn import_history_conflicts_and_calculation() {
    for backend in backends() {
        scenario(backend).await;
    }
}

async fn scenario(backend: Backend) {
    let t = TestApp::new(backend).await;
    t.clock.set(at("2024-06-10"));
    let bytes = sample();

    // Nobody known yet: everything is skipped, nothing stored (SPEC §9).
    let r = dmfa::import(&t.db, t.clock.now(), Importer::Operator, bytes.clone())
        .await
        .unwrap();
    assert_eq!((r.imported, r.replaced, r.persons), (0, 0, 0));
    assert!(r.skipped > 0);

    let (person_id, request_id, etag) = declared_draft(&t).await;
    let worker_a = actor(&t, "worker.namur").await;
    let worker_b = actor(&t, "worker.brussels").await;

    // A CPAS worker of another CPAS stores nothing for this person.
    let r = dmfa::import(
        &t.db,
        t.clock.now(),
        Importer::User(&worker_b),
        bytes.clone(),
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.replaced), (0, 0));

    // The person's own CPAS worker imports: only that person is stored, the others skipped.
    let r = dmfa::import(
        &t.db,
        t.clock.now(),
        Importer::User(&worker_a),
        bytes.clone(),
    )
    .await
    .unwrap();
    assert!(r.imported >= 1, "{r:?}");
    assert_eq!(r.replaced, 0);
    assert_eq!(r.persons, 1);
    assert!(r.skipped >= 1);
    let first = r.imported;
    let stored = dmfa::declarations(&t.db.conn, person_id).await.unwrap();
    assert_eq!(stored.len() as u64, first);

    // Importing the same file again replaces, never duplicates.
    let r = dmfa::import(&t.db, t.clock.now(), Importer::Operator, bytes.clone())
        .await
        .unwrap();
    assert_eq!((r.imported, r.replaced), (0, first));
    assert_eq!(
        dmfa::declarations(&t.db.conn, person_id)
            .await
            .unwrap()
            .len() as u64,
        first
    );

    // A file that is not a declaration stores nothing.
    let bad = dmfa::import(
        &t.db,
        t.clock.now(),
        Importer::Operator,
        b"<html/>".to_vec(),
    )
    .await;
    assert!(bad.is_err());

    // The request shows the DmfA periods beside the typed one, and their conflict.
    let v = dmfa::for_request(&t.db, t.clock.now(), &worker_a, request_id)
        .await
        .unwrap();
    assert_eq!(v.typed.len(), 1);
    assert!(!v.dmfa.is_empty());
    assert!(
        v.dmfa
            .iter()
            .all(|i| i.source == art60_rules::input::Source::Dmfa)
    );
    assert!(!v.conflicts.is_empty(), "{:?}", v.conflicts);
    // A foreign CPAS does not see it.
    let e = dmfa::for_request(&t.db, t.clock.now(), &worker_b, request_id).await;
    assert!(matches!(e, Err(art60_service::ServiceError::NotFound(_))));

    // Each conflict must be settled before sending: the typed job is the declared one, use the
    // DmfA (the typed period is left out for the overlapping quarter).
    for c in &v.conflicts {
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/requests/{request_id}/dmfa/resolutions"),
                &t.a.worker,
                Some(json!({"manual": c.conflict.manual, "dmfa": c.conflict.dmfa,
                    "choice": "use_dmfa"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    // Sending: the stored engine input has the typed period and the DmfA periods, each with
    // its source; the undeclared quarters up to the contract make the result provisional.
    let s = t.act(&t.a.worker, request_id, "send", &etag, None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let input = request_engine_input::Entity::find_by_id(request_id)
        .one(&t.db.conn)
        .await
        .unwrap()
        .expect("engine input stored");
    let history = input.input["history"].as_array().unwrap().clone();
    let sources: Vec<&str> = history
        .iter()
        .map(|h| h["source"].as_str().unwrap_or("manual"))
        .collect();
    // The typed duplicate is left out (it would count twice), and recorded as such.
    assert!(!sources.contains(&"manual"), "{sources:?}");
    assert!(sources.contains(&"dmfa"), "{sources:?}");
    let v = dmfa::for_request(&t.db, t.clock.now(), &worker_a, request_id)
        .await
        .unwrap();
    assert_eq!(v.left_out.len(), v.conflicts.len());
    assert!(
        v.left_out
            .iter()
            .all(|l| l.source == art60_rules::input::Source::Manual && l.index == 0)
    );
    assert_eq!(s.body["provisional"], Value::Bool(true), "{}", s.body);
    // The quarters after the last declaration (2022Q2) whose DmfA should exist by now are not
    // filled (SPEC §3.10, issue 12): the officer is told; only the quarter whose DmfA cannot
    // exist yet is filled, provisionally, with the reason.
    let review = s.body["result"]["manual_review"].as_array().unwrap();
    assert!(
        review
            .iter()
            .any(|f| f["key"] == "manual_review.dmfa_missing"
                && f["detail"].as_str().unwrap().ends_with("2022Q3")),
        "{review:?}"
    );
    let flags = s.body["result"]["provisional"].as_array().unwrap();
    assert!(
        flags.iter().any(|f| f["key"] == "provisional.no_dmfa"),
        "{flags:?}"
    );

    let v = audit::verify(&t.db.conn).await.unwrap();
    assert_eq!(v.first_broken, None);
    t.finish().await;
}

async fn post_xml(t: &TestApp, auth: &Auth, bytes: &[u8]) -> Resp {
    let mut b = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/dmfa")
        .header("content-type", "application/xml");
    match auth {
        Auth::Anonymous => {}
        Auth::Session { cookie, csrf } => {
            b = b.header("cookie", cookie).header("x-csrf-token", csrf);
        }
        Auth::Token(tok) => {
            b = b.header("authorization", format!("Bearer {tok}"));
        }
    }
    t.send_raw(b.body(axum::body::Body::from(bytes.to_vec())).unwrap())
        .await
}

#[tokio::test]
async fn one_cpas_dmfa_never_reaches_another_cpas() {
    // Issue 14 §1: after creating its own request about a person, a second CPAS read the DmfA
    // history the first CPAS had imported. A declaration is now stored for a CPAS and read by
    // that CPAS's requests only; the operator's import serves every CPAS with an open request.
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (_, a_request, _) = declared_draft(&t).await;
        // (201 for B: tests/api.rs `a_known_niss_discloses_nothing_to_another_cpas`.)
        let b_request = t
            .draft_of(
                &t.b,
                json!({"niss": DECLARED, "last_name": "Other", "first_name": "Name", "birth_date": "1977-10-15"}),
                "2024-07-01",
                None,
            )
            .await
            .2
            .id();
        let worker_a = actor(&t, "worker.namur").await;
        let r = dmfa::import(&t.db, t.clock.now(), Importer::User(&worker_a), sample())
            .await
            .unwrap();
        assert!(r.imported >= 1, "{r:?}");
        let items = |auth: &Auth, id: i64| {
            let path = format!("/api/v1/requests/{id}/dmfa");
            let auth = auth.clone();
            let t = &t;
            async move {
                let v = t.call(Method::GET, &path, &auth, None).await;
                assert_eq!(v.status, StatusCode::OK, "{}", v.body);
                v.body["dmfa"].as_array().unwrap().len()
            }
        };
        assert!(items(&t.a.worker, a_request).await > 0);
        assert_eq!(
            items(&t.b.worker, b_request).await,
            0,
            "A's import reached B"
        );
        // B imports the same file itself: B's request reads B's copy; A's stays as it was.
        let worker_b = actor(&t, "worker.brussels").await;
        let r = dmfa::import(&t.db, t.clock.now(), Importer::User(&worker_b), sample())
            .await
            .unwrap();
        assert_eq!(r.replaced, 0, "{r:?}");
        assert!(r.imported >= 1, "{r:?}");
        assert!(items(&t.b.worker, b_request).await > 0);
        // The operator's import replaces each CPAS's copy, never merging them into one.
        let before = dmfa::declarations(&t.db.conn, {
            let g = t
                .call(
                    Method::GET,
                    &format!("/api/v1/requests/{b_request}"),
                    &t.b.worker,
                    None,
                )
                .await;
            g.body["person_id"].as_i64().unwrap()
        })
        .await
        .unwrap()
        .len();
        let r = dmfa::import(&t.db, t.clock.now(), Importer::Operator, sample())
            .await
            .unwrap();
        assert_eq!(r.imported, 0, "{r:?}");
        assert_eq!(r.replaced as usize, before, "{r:?}");
        t.finish().await;
    }
}

#[tokio::test]
async fn api_upload_and_request_view() {
    for backend in backends() {
        api_scenario(backend).await;
    }
}

async fn api_scenario(backend: Backend) {
    let t = TestApp::new(backend).await;
    t.clock.set(at("2024-06-10"));
    let bytes = sample();
    let (_person, request_id, etag) = declared_draft(&t).await;

    // Roles without case content may not upload.
    let r = post_xml(&t, &t.fed_spoc, &bytes).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = post_xml(&t, &Auth::Anonymous, &bytes).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The office does not know a draft: nothing stored for it.
    let r = post_xml(&t, &t.a.officer, &bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["imported"], 0);
    // Not a declaration: 422, nothing stored.
    let r = post_xml(&t, &t.a.worker, b"<html/>").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let s = t.act(&t.a.worker, request_id, "send", &etag, None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    // Once sent, its office may upload for the person.
    let r = post_xml(&t, &t.a.officer, &bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["imported"].as_u64().unwrap() >= 1, "{}", r.body);
    assert!(r.body["skipped"].as_u64().unwrap() >= 1, "{}", r.body);
    let r = post_xml(&t, &t.admin, &bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["imported"], 0);
    assert!(r.body["replaced"].as_u64().unwrap() >= 1, "{}", r.body);

    let path = format!("/api/v1/requests/{request_id}/dmfa");
    // The request was sent before any DmfA: the new data conflicts with its typed period, so
    // it is not recalculated as it stands; the officer is told why (no personal data).
    let v = t.call(Method::GET, &path, &t.a.officer, None).await;
    assert_eq!(
        v.body["dmfa_changed"]["outcome"], "not_recalculated",
        "{}",
        v.body
    );
    assert!(
        v.body["dmfa_changed"]["detail"]
            .as_str()
            .unwrap()
            .contains("input.history[0]: dmfa_conflict_unresolved"),
        "{}",
        v.body
    );
    let g = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{request_id}"),
            &t.a.officer,
            None,
        )
        .await;
    assert_eq!(
        g.body["version"], s.body["version"],
        "the last result stays"
    );
    for auth in [&t.a.worker, &t.a.officer] {
        let v = t.call(Method::GET, &path, auth, None).await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        assert_eq!(v.body["typed"].as_array().unwrap().len(), 1);
        assert!(!v.body["dmfa"].as_array().unwrap().is_empty());
        assert!(!v.body["conflicts"].as_array().unwrap().is_empty());
        assert_eq!(v.body["dmfa"][0]["source"], "dmfa");
    }
    for auth in [&t.b.worker, &t.b.officer, &t.admin] {
        let v = t.call(Method::GET, &path, auth, None).await;
        assert_eq!(v.status, StatusCode::NOT_FOUND, "{}", v.body);
    }
    let v = t
        .call(Method::GET, "/api/v1/audit/verify", &t.admin, None)
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!(audit::verify(&t.db.conn).await.unwrap().first_broken, None);
    t.finish().await;
}

#[tokio::test]
async fn a_typed_period_contradicting_the_dmfa_blocks_sending() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (_p, request_id, _) = declared_draft(&t).await;
        // Type a detention over the declared work instead: the engine refuses work during
        // detention; the refusal names the DmfA period, not a form field that does not exist.
        let r = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{request_id}"),
                &t.a.worker,
                None,
            )
            .await;
        let mut input = r.body["input"].clone();
        input["history"] = json!([
            {"kind": "detention", "start": "2022-04-01", "end": "2022-06-30"}
        ]);
        let u = t
            .call_with(
                Method::PATCH,
                &format!("/api/v1/requests/{request_id}"),
                &t.a.worker,
                Some(json!({"input": input})),
                &[("if-match", &r.etag())],
            )
            .await;
        assert_eq!(u.status, StatusCode::OK, "{}", u.body);
        let worker_a = actor(&t, "worker.namur").await;
        let rep = dmfa::import(&t.db, t.clock.now(), Importer::User(&worker_a), sample())
            .await
            .unwrap();
        assert!(rep.imported >= 1);
        let v = dmfa::for_request(&t.db, t.clock.now(), &worker_a, request_id)
            .await
            .unwrap();
        assert!(
            v.conflicts
                .iter()
                .any(|c| c.conflict.kind == art60_dmfa::ConflictKind::Contradiction)
        );
        let s = t
            .act(&t.a.worker, request_id, "send", &u.etag(), None)
            .await;
        // Unsettled, the conflict blocks sending: the error is on the typed period and names
        // the DmfA period it contradicts.
        assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.body);
        assert_eq!(
            s.body["errors"][0]["field"], "input.history[0]",
            "{}",
            s.body
        );
        assert_eq!(s.body["errors"][0]["code"], "dmfa_conflict_unresolved");
        let text = s.body.to_string();
        assert!(text.contains("dmfa["), "{text}");
        t.finish().await;
    }
}
