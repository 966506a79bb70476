#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Answer letters (issue 13 §3): issued only for calculated requests the caller sees, each
//! with a verification code that users of that CPAS or office can check; both audited.

mod common;

use art60_service::auth::Actor;
use art60_service::db::{audit_entry, letter, request, user};
use art60_service::letters;
use art60_service::{Clock, ServiceError};
use axum::http::StatusCode;
use common::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

async fn actor(t: &TestApp, username: &str) -> Actor {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&t.db.conn)
        .await
        .unwrap()
        .unwrap();
    Actor::from_user(&u)
}

/// A request of CPAS A sent by its worker: (id, etag).
async fn sent(t: &TestApp) -> (i64, String) {
    let r = t.draft(&t.a, NISS_1).await;
    let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    (r.id(), s.etag())
}

async fn audit_actions(t: &TestApp, action: &str) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .order_by_asc(audit_entry::Column::Seq)
        .all(&t.db.conn)
        .await
        .unwrap()
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> bool {
    matches!(r, Err(ServiceError::NotFound(_)))
}

#[tokio::test]
async fn a_letter_is_issued_for_a_calculated_request_and_verified_by_its_cpas_and_office() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let worker_a = actor(&t, "worker.namur").await;
        let officer_a = actor(&t, "officer.namur").await;
        let (id, etag) = sent(&t).await;

        // Sent, not decided: no letter yet (409 in the portal).
        let r = letters::issue(&t.db, t.clock.now(), &worker_a, id).await;
        assert!(
            matches!(
                &r,
                Err(ServiceError::Refused {
                    code: "wrong_status",
                    ..
                })
            ),
            "{r:?}"
        );

        let d = t
            .act(
                &t.a.officer,
                id,
                "decide",
                &etag,
                Some(json!({"decision": "confirm"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);

        let issued = letters::issue(&t.db, t.clock.now(), &worker_a, id)
            .await
            .unwrap();
        // Printed as three groups of four Crockford characters.
        let parts: Vec<&str> = issued.code.split('-').collect();
        assert_eq!(parts.len(), 3, "{}", issued.code);
        assert!(parts.iter().all(|p| p.len() == 4), "{}", issued.code);
        assert_eq!(issued.request.id, id);
        assert_eq!(issued.person.niss, NISS_1);
        assert_eq!(issued.cpas.id, t.a.cpas);
        assert_eq!(issued.office.id, t.a.office);
        let row = letter::Entity::find_by_id(issued.letter_id)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.request_id, id);
        assert_eq!(row.request_version, issued.request.version);
        assert_eq!(row.issued_by, worker_a.user_id);
        assert_eq!(row.content_sha256.len(), 64);
        assert_eq!(row.content["standing"], "confirmed");
        // Issuing reads the person: audited, with the person.
        let issues = audit_actions(&t, "letter").await;
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].entity_id, Some(id));
        assert_eq!(issues[0].person_id, Some(issued.person.id));
        assert_eq!(issues[0].actor_user_id, Some(worker_a.user_id));

        // The office verifies the code as a person would type it.
        let typed = issued.code.to_lowercase().replace('-', " ");
        let v = letters::verify(&t.db, t.clock.now(), &officer_a, &typed)
            .await
            .unwrap();
        assert!(v.matches && v.still_current(), "{v:?}");
        assert_eq!(v.code, issued.code);
        assert_eq!(v.letter, v.current);
        assert_eq!(v.current.reference, issued.request.reference);
        assert_eq!(v.current.end_date, issued.request.end_date);
        assert_eq!(v.current.days_to_work, issued.request.days_to_work);
        let v = letters::verify(&t.db, t.clock.now(), &worker_a, &issued.code)
            .await
            .unwrap();
        assert!(v.still_current());
        let checks = audit_actions(&t, "verify_letter").await;
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].entity, "letter");
        assert_eq!(checks[0].entity_id, Some(issued.letter_id));
        assert_eq!(checks[0].actor_user_id, Some(officer_a.user_id));
        assert_eq!(checks[0].after.as_ref().unwrap()["still_current"], true);

        // Anyone else: the code does not exist for them; each try is audited as a failure
        // naming the letter (guessing leaves a trace), without the person.
        for other in [
            "worker.brussels",
            "officer.brussels",
            "fed.spoc",
            "onem.spoc",
            "admin",
        ] {
            let a = actor(&t, other).await;
            assert!(
                is_not_found(letters::verify(&t.db, t.clock.now(), &a, &issued.code).await),
                "{other} verified a foreign letter"
            );
            assert!(
                is_not_found(letters::issue(&t.db, t.clock.now(), &a, id).await),
                "{other} got a foreign letter"
            );
        }
        let checks = audit_actions(&t, "verify_letter").await;
        assert_eq!(checks.len(), 2 + 5);
        for failed in &checks[2..] {
            assert_eq!(failed.entity_id, Some(issued.letter_id));
            assert_eq!(failed.person_id, None);
            assert_eq!(failed.after.as_ref().unwrap()["found"], false);
        }
        for bad in ["", "ABCD-EFGH-JKMU", "0000-0000-0000"] {
            assert!(is_not_found(
                letters::verify(&t.db, t.clock.now(), &officer_a, bad).await
            ));
        }
        let checks = audit_actions(&t, "verify_letter").await;
        assert_eq!(checks.len(), 2 + 5 + 3);
        // A code of the right shape is kept (normalised); a malformed one is not.
        assert_eq!(
            checks[7].after.as_ref().unwrap()["code"],
            serde_json::Value::Null
        );
        assert_eq!(checks[9].after.as_ref().unwrap()["code"], "000000000000");
        assert!(checks[7..].iter().all(|c| c.entity_id.is_none()));
        assert_eq!(audit_actions(&t, "letter").await.len(), 1);

        // Each letter has its own code.
        let again = letters::issue(&t.db, t.clock.now(), &officer_a, id)
            .await
            .unwrap();
        assert_ne!(again.code, issued.code);
    }
}

#[tokio::test]
async fn a_later_calculation_or_a_changed_answer_makes_a_letter_no_longer_current() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let worker_a = actor(&t, "worker.namur").await;
        let (id, etag) = sent(&t).await;
        let d = t
            .act(
                &t.a.officer,
                id,
                "decide",
                &etag,
                Some(json!({"decision": "confirm"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let first = letters::issue(&t.db, t.clock.now(), &worker_a, id)
            .await
            .unwrap();

        // A second calculation (the contract changed), modified by ONEM two days later.
        t.clock.set(at("2024-06-12"));
        let c = t
            .call(
                axum::http::Method::POST,
                &format!("/api/v1/requests/{id}/copy"),
                &t.a.worker,
                Some(json!({"reason": "contract_changed"})),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
        let s = t.act(&t.a.worker, c.id(), "send", "\"1\"", None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let computed = s.body["end_date"].as_str().unwrap().to_owned();
        // Sessions last 8 hours: the officer signs in again.
        let officer = t.login("officer.namur").await;
        let d = t
            .act(
                &officer,
                c.id(),
                "decide",
                &s.etag(),
                Some(json!({"decision": "override", "end_date": "2025-12-31", "justification": "Attestation reçue"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let second_ref = d.body["reference"].as_str().unwrap().to_owned();

        let v = letters::verify(&t.db, t.clock.now(), &worker_a, &first.code)
            .await
            .unwrap();
        // The first request itself never changes; the later calculation replaces it.
        assert!(v.matches, "{v:?}");
        assert_eq!(v.superseded_by.as_deref(), Some(second_ref.as_str()));
        assert!(!v.still_current());

        // The modified answer's letter states ONEM's date, the engine's and the reason.
        let second = letters::issue(&t.db, t.clock.now(), &worker_a, c.id())
            .await
            .unwrap();
        let v2 = letters::verify(&t.db, t.clock.now(), &worker_a, &second.code)
            .await
            .unwrap();
        assert!(v2.still_current(), "{v2:?}");
        assert_eq!(v2.letter.standing, "modified");
        assert_eq!(v2.letter.end_date, Some(d_("2025-12-31")));
        assert_eq!(
            v2.letter.computed_end_date.map(|d| d.to_string()),
            Some(computed)
        );
        assert_eq!(v2.letter.reason.as_deref(), Some("Attestation reçue"));
        // The DA and the days are the engine's for ONEM's end date.
        assert_eq!(v2.letter.first_benefit_date, Some(d_("2026-01-01")));
        assert!(v2.letter.days_to_work.is_some_and(|n| n > 0), "{v2:?}");

        // Should the stored answer ever change under a letter, the letter no longer matches.
        request::Entity::update_many()
            .col_expr(
                request::Column::OverrideEndDate,
                Expr::value(d_("2025-11-30")),
            )
            .filter(request::Column::Id.eq(c.id()))
            .exec(&t.db.conn)
            .await
            .unwrap();
        let v3 = letters::verify(&t.db, t.clock.now(), &worker_a, &second.code)
            .await
            .unwrap();
        assert!(!v3.matches && !v3.still_current(), "{v3:?}");
        assert_eq!(v3.letter.end_date, Some(d_("2025-12-31")));
        assert_eq!(v3.current.end_date, Some(d_("2025-11-30")));
        let last = audit_actions(&t, "verify_letter").await.pop().unwrap();
        assert_eq!(last.after.as_ref().unwrap()["matches"], false);
    }
}

fn d_(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}
