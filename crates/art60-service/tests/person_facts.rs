#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 13 §4: a request says what the person record does not hold (dock worker or sea
//! fisherman, career start, foreign national and work permits); the NISS and birth date
//! stay the record's. On SQLite and (when configured) PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

fn contract() -> Value {
    json!({"start": "2024-07-01", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38})
}

async fn patch(t: &TestApp, id: i64, etag: &str, input: Value) -> Resp {
    t.call_with(
        Method::PATCH,
        &format!("/api/v1/requests/{id}"),
        &t.a.worker,
        Some(json!({ "input": input })),
        &[("if-match", etag)],
    )
    .await
}

fn review_keys(result: &Value) -> Vec<String> {
    result["manual_review"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["key"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn person_facts_reach_the_engine_and_the_record_keeps_its_own() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let r = t.draft(&t.a, NISS_1).await;
        let id = r.id();

        // The NISS and the birth date are the person record's: refused inside the request.
        for (k, v) in [("niss", json!(NISS_2)), ("birth_date", json!("1990-01-01"))] {
            let no = patch(
                &t,
                id,
                &r.etag(),
                json!({"contract": contract(), "person": {k: v}}),
            )
            .await;
            assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no.body);
            assert_eq!(no.body["errors"][0]["field"], format!("input.person.{k}"));
            assert!(
                no.body["errors"][0]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("comes from the person record"),
                "{}",
                no.body
            );
        }
        let no = patch(
            &t,
            id,
            &r.etag(),
            json!({"contract": contract(), "person": {"name": "x"}}),
        )
        .await;
        assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no.body);
        assert_eq!(no.body["errors"][0]["field"], "input.person.name");
        // The engine's refusal of a fact names the form's field.
        let no = patch(
            &t,
            id,
            &r.etag(),
            json!({"contract": contract(), "person": {"work_permits": [{"start": "2020-01-01"}]}}),
        )
        .await;
        assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no.body);
        assert_eq!(no.body["errors"][0]["field"], "input.person.work_permits");
        assert_eq!(
            no.body["errors"][0]["code"],
            "permits_only_for_foreign_national"
        );

        // A foreign national with a permit: the engine flags the work for the officer
        // (AR art. 43), which it does not for the same request without the fact.
        let facts = json!({
            "foreign_national": true,
            "career_start_date": "2019-09-01",
            "work_permits": [{"start": "2020-01-01", "end": "2021-12-31"}, {"start": "2022-06-01"}],
        });
        let ok = patch(
            &t,
            id,
            &r.etag(),
            json!({"contract": contract(), "person": facts}),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(ok.body["input"]["person"], facts, "stored as given");
        let s = t.act(&t.a.worker, id, "send", &ok.etag(), None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let g = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{id}"),
                &t.a.worker,
                None,
            )
            .await;
        assert!(
            review_keys(&g.body["result"]).contains(&"manual_review.work_permit".to_owned()),
            "{}",
            g.body["result"]["manual_review"]
        );
        // The stored input still holds no NISS nor birth date: those stay on the record.
        assert_eq!(g.body["input"]["person"].get("niss"), None);
        assert_eq!(g.body["input"]["person"].get("birth_date"), None);

        let other = t.draft(&t.a, NISS_2).await;
        let s = t
            .act(&t.a.worker, other.id(), "send", &other.etag(), None)
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        assert!(
            !review_keys(&s.body["result"]).contains(&"manual_review.work_permit".to_owned()),
            "{}",
            s.body["result"]["manual_review"]
        );

        // A recognised dock worker's right (new regime, AR art. 114 §2) has no end; the same
        // request without the fact has a right of 12 months.
        t.clock.set(at("2026-06-10"));
        let person = t
            .call(
                Method::POST,
                "/api/v1/persons",
                &t.a.worker,
                Some(json!({"niss": "95031012737", "last_name": "Test", "first_name": "Dock", "birth_date": "1995-03-10"})),
            )
            .await;
        assert!(person.status.is_success(), "{}", person.body);
        let emp = t
            .call(
                Method::POST,
                "/api/v1/employments",
                &t.a.worker,
                Some(json!({"person_id": person.id(), "contract_start": "2026-07-01"})),
            )
            .await;
        assert_eq!(emp.status, StatusCode::CREATED, "{}", emp.body);
        let mut new = new_request(emp.id(), "2026-07-01");
        new["input"]["person"] = json!({"dock_worker_or_fisher": true});
        let r = t
            .call(Method::POST, "/api/v1/requests", &t.a.worker, Some(new))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        assert_eq!(
            s.body["result"]["right"]["unlimited"], true,
            "{}",
            s.body["result"]["right"]
        );
        assert_eq!(s.body["result"]["right"]["until"], Value::Null);
        t.finish().await;
    }
}
