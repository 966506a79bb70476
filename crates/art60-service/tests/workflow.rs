#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The whole workflow over HTTP, on SQLite and (when configured) PostgreSQL.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn request_lifecycle_with_second_calculation_and_derogation() {
    for backend in backends() {
        lifecycle(backend).await;
    }
}

async fn lifecycle(backend: Backend) {
    let t = TestApp::new(backend).await;
    // Monday 2024-06-10, before the contract starts on 2024-07-01.
    t.clock.set(at("2024-06-10"));
    let r = t.draft(&t.a, NISS_1).await;
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.etag(), "\"1\"");
    let id = r.id();
    assert_eq!(r.body["reference"], format!("A60-2024-{id:06}"));

    // The office does not see a draft, not even in its queue.
    let q = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{id}"),
            &t.a.officer,
            None,
        )
        .await;
    assert_eq!(q.status, StatusCode::NOT_FOUND);

    let s = t.act(&t.a.worker, id, "send", &r.etag(), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert_eq!(s.body["status"], "sent");
    assert_eq!(s.body["received_on"], "2024-06-10");
    // SPEC §6: the 5th working day after Monday 10 June is Monday 17 June.
    assert_eq!(s.body["due_on"], "2024-06-17");
    assert_eq!(s.body["late_request"], false);
    assert_eq!(s.body["final"]["standing"], "awaiting_onem");
    assert_eq!(s.body["final"]["end_date"], s.body["end_date"]);
    // SPEC EX24: under 36, full time from 2024-07-01: end 2025-06-30, benefits from 07-01.
    assert_eq!(s.body["end_date"], "2025-06-30");
    assert_eq!(s.body["first_benefit_date"], "2025-07-01");
    // The whole result is stored: trace, options and parameter versions.
    assert!(
        s.body["result"]["trace"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(s.body["result"]["options"].is_object());
    assert!(s.body["result"]["parameters"].is_object());
    assert!(s.body["engine_version"].is_string());

    // The office's queue shows it with its deadline.
    let q = t
        .call(Method::GET, "/api/v1/queue", &t.a.officer, None)
        .await;
    assert_eq!(q.status, StatusCode::OK);
    assert_eq!(q.body["items"][0]["id"], id);
    assert_eq!(q.body["items"][0]["urgency"], "on_time");
    // The other office's queue does not.
    let q = t
        .call(Method::GET, "/api/v1/queue", &t.b.officer, None)
        .await;
    assert_eq!(q.body["items"], json!([]));

    // The officer reads it (ETag) and confirms.
    let g = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{id}"),
            &t.a.officer,
            None,
        )
        .await;
    assert_eq!(g.status, StatusCode::OK);
    let c = t
        .act(
            &t.a.officer,
            id,
            "decide",
            &g.etag(),
            Some(json!({"decision": "confirm"})),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.body["status"], "calculated");
    assert_eq!(c.body["decision"], "confirmed");
    // Issue 13 §1: the final answer is the computed one, confirmed, with when and by whom.
    assert_eq!(c.body["final"]["standing"], "confirmed");
    assert_eq!(c.body["final"]["end_date"], "2025-06-30");
    assert_eq!(c.body["final"]["first_benefit_date"], "2025-07-01");
    assert_eq!(c.body["final"]["days_to_work"], c.body["days_to_work"]);
    assert_eq!(c.body["final"]["computed_end_date"], json!(null));
    assert!(c.body["final"]["decided_at"].is_string());
    assert_eq!(c.body["final"]["office_id"], c.body["office_id"]);

    // A calculated request never changes.
    let p = t
        .call_with(
            Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            &t.a.worker,
            Some(json!({"contact_name": "X"})),
            &[("if-match", &c.etag())],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert_eq!(p.body["type"], "urn:art60:problem:wrong_status");

    // A copy for events during the contract...
    let bad = t
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/copy"),
            &t.a.worker,
            Some(json!({"reason": "because"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "reason");
    // ...is asked only 30 to 15 days before the contract end (2025-06-30): checked before
    // the copy is made, so no draft is left that could never be sent (issue 13 §5).
    let count = |b: &serde_json::Value| b["items"].as_array().map_or(-1, |i| i.len() as i64);
    let before = t
        .call(Method::GET, "/api/v1/requests", &t.a.worker, None)
        .await;
    t.clock.set(at("2025-03-03"));
    let early = t
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/copy"),
            &t.a.worker,
            Some(json!({"reason": "event_impact"})),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.body["type"], "urn:art60:problem:outside_window");
    assert_eq!(early.body["allowed_from"], "2025-05-31");
    assert_eq!(early.body["allowed_until"], "2025-06-15");
    let after = t
        .call(Method::GET, "/api/v1/requests", &t.a.worker, None)
        .await;
    assert_eq!(count(&after.body), count(&before.body), "no orphan draft");
    assert!(count(&after.body) > 0, "{}", after.body);
    t.clock.set(at("2025-06-02"));
    let copy = t
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/copy"),
            &t.a.worker,
            Some(json!({"reason": "event_impact"})),
        )
        .await;
    assert_eq!(copy.status, StatusCode::CREATED, "{}", copy.body);
    assert_eq!(copy.body["status"], "draft");
    assert_eq!(copy.body["parent_id"], id);
    assert_eq!(copy.body["reference"], format!("A60-2025-{:06}", copy.id()));
    let copy_id = copy.id();
    // Sessions expire (8 hours); the officer signs in again at the new date.
    let officer = t.login("officer.namur").await;
    let sent2 = t.act(&t.a.worker, copy_id, "send", "\"1\"", None).await;
    assert_eq!(sent2.status, StatusCode::OK, "{}", sent2.body);
    // 2025-06-02 is a Monday; 9 June is Whit Monday: due Tuesday 10 June.
    assert_eq!(sent2.body["due_on"], "2025-06-10");
    assert_eq!(sent2.body["late_request"], true);

    // Overriding needs a justification and an end date; both results are kept.
    let o = t
        .act(
            &officer,
            copy_id,
            "decide",
            &sent2.etag(),
            Some(json!({"decision": "override"})),
        )
        .await;
    assert_eq!(o.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = o.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["justification", "end_date"]);
    let o = t
        .act(
            &officer,
            copy_id,
            "decide",
            &sent2.etag(),
            Some(json!({"decision": "override", "end_date": "2025-07-04", "justification": "Sickness certificate received"})),
        )
        .await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.body);
    assert_eq!(o.body["decision"], "overridden");
    assert_eq!(o.body["override_end_date"], "2025-07-04");
    // The computed answer stays as computed...
    assert_eq!(o.body["end_date"], sent2.body["end_date"]);
    assert_eq!(
        o.body["first_benefit_date"],
        sent2.body["first_benefit_date"]
    );
    assert_eq!(o.body["days_to_work"], sent2.body["days_to_work"]);
    // ...and the final answer is ONEM's end date through the engine (issue 13 §1): the DA
    // follows it, and the days to work count the contract up to it (four more weekdays,
    // Tuesday 1 to Friday 4 July 2025, than up to the computed end on Monday 30 June).
    let f = &o.body["final"];
    assert_eq!(f["standing"], "modified");
    assert_eq!(f["end_date"], "2025-07-04");
    assert_eq!(f["first_benefit_date"], "2025-07-05");
    assert_eq!(f["computed_end_date"], "2025-06-30");
    assert_eq!(
        f["days_to_work"].as_i64().unwrap(),
        sent2.body["days_to_work"].as_i64().unwrap() + 4
    );
    assert_eq!(f["admissible"], true);
    assert_eq!(f["reason"], "Sickness certificate received");
    assert_eq!(f["result"]["outcome"]["kind"], "fixed");
    assert!(
        f["result"]["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["key"] == "fixed.end_date")
    );
    // The CPAS is told the answer was modified, not merely calculated.
    let n = t
        .call(Method::GET, "/api/v1/notifications", &t.a.worker, None)
        .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    assert!(
        n.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "modified" && i["request_id"] == copy_id),
        "{}",
        n.body
    );

    // A third calculation is refused until ONEM grants a derogation.
    let copy3 = t
        .call(
            Method::POST,
            &format!("/api/v1/requests/{copy_id}/copy"),
            &t.a.worker,
            Some(json!({"reason": "contract_changed"})),
        )
        .await;
    assert_eq!(copy3.status, StatusCode::CREATED);
    t.clock.set(at("2025-06-10"));
    let officer = t.login("officer.namur").await;
    let officer_b = t.login("officer.brussels").await;
    let admin = t.login("admin").await;
    let third = t.act(&t.a.worker, copy3.id(), "send", "\"1\"", None).await;
    assert_eq!(third.status, StatusCode::CONFLICT, "{}", third.body);
    assert_eq!(third.body["type"], "urn:art60:problem:calculation_limit");
    let emp = copy3.body["employment_id"].as_i64().unwrap();
    let no_reason = t
        .call(
            Method::POST,
            &format!("/api/v1/employments/{emp}/derogations"),
            &officer,
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = t
        .call(
            Method::POST,
            &format!("/api/v1/employments/{emp}/derogations"),
            &officer_b,
            Some(json!({"reason": "complex file"})),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let der = t
        .call(
            Method::POST,
            &format!("/api/v1/employments/{emp}/derogations"),
            &officer,
            Some(json!({"reason": "complex file"})),
        )
        .await;
    assert_eq!(der.status, StatusCode::OK, "{}", der.body);
    assert_eq!(der.body["derogations"], 1);
    let third = t.act(&t.a.worker, copy3.id(), "send", "\"1\"", None).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.body);

    // The trail holds every step and its chain is intact.
    let v = t
        .call(Method::GET, "/api/v1/audit/verify", &admin, None)
        .await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.body["ok"], true, "{}", v.body);
    t.finish().await;
}

#[tokio::test]
async fn returned_request_is_edited_and_sent_again() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // Monday 2024-05-06; Thursday 9 May 2024 is Ascension, so the 5th working day after
        // the receipt is Tuesday 14 May.
        t.clock.set(at("2024-05-06"));
        let r = t.draft(&t.a, NISS_1).await;
        let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
        assert_eq!(s.body["due_on"], "2024-05-14");
        let no = t
            .act(
                &t.a.officer,
                r.id(),
                "return",
                &s.etag(),
                Some(json!({"reason": ""})),
            )
            .await;
        assert_eq!(no.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(no.body["errors"][0]["field"], "reason");
        let ret = t
            .act(
                &t.a.officer,
                r.id(),
                "return",
                &s.etag(),
                Some(json!({"reason": "Missing U1 attestation"})),
            )
            .await;
        assert_eq!(ret.status, StatusCode::OK);
        assert_eq!(ret.body["status"], "returned");
        assert_eq!(ret.body["return_reason"], "Missing U1 attestation");
        // The CPAS edits: an invalid regime is refused with the field's path.
        let bad = t
            .call_with(
                Method::PATCH,
                &format!("/api/v1/requests/{}", r.id()),
                &t.a.worker,
                Some(json!({"input": {"contract": {"start": "2024-07-01", "days_per_week": 5, "weekly_hours": 40, "reference_hours": 38}}})),
                &[("if-match", &ret.etag())],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert_eq!(
            bad.body["errors"][0]["field"],
            "input.contract.weekly_hours"
        );
        let ok = t
            .call_with(
                Method::PATCH,
                &format!("/api/v1/requests/{}", r.id()),
                &t.a.worker,
                Some(json!({"input": {"contract": {"start": "2024-07-15", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}}})),
                &[("if-match", &ret.etag())],
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        t.clock.set(at("2024-05-14"));
        let again = t.act(&t.a.worker, r.id(), "send", &ok.etag(), None).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.body["received_on"], "2024-05-14");
        // Whit Monday 20 May 2024 is a holiday.
        assert_eq!(again.body["due_on"], "2024-05-22");
        // SPEC EX25: start 2024-07-15 ends 2025-07-11.
        assert_eq!(again.body["end_date"], "2025-07-11");
        // The queue flags it overdue once the deadline passed.
        t.clock.set(at("2024-05-23"));
        let officer = t.login("officer.namur").await;
        let q = t.call(Method::GET, "/api/v1/queue", &officer, None).await;
        assert_eq!(q.body["items"][0]["urgency"], "overdue");
        t.finish().await;
    }
}

#[tokio::test]
async fn requests_sent_side_by_side_cannot_exceed_the_calculation_limit() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let first = t.draft(&t.a, NISS_1).await;
        let emp = first.body["employment_id"].as_i64().unwrap();
        let mut sent = vec![
            t.act(&t.a.worker, first.id(), "send", &first.etag(), None)
                .await,
        ];
        for _ in 0..2 {
            let r = t
                .call(
                    Method::POST,
                    "/api/v1/requests",
                    &t.a.worker,
                    Some(new_request(emp, "2024-07-01")),
                )
                .await;
            sent.push(t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await);
        }
        assert!(sent.iter().all(|s| s.status == StatusCode::OK));
        let confirm = Some(json!({"decision": "confirm"}));
        assert_eq!(
            t.act(
                &t.a.officer,
                sent[0].id(),
                "decide",
                &sent[0].etag(),
                confirm.clone()
            )
            .await
            .status,
            StatusCode::OK
        );
        assert_eq!(
            t.act(
                &t.a.officer,
                sent[1].id(),
                "decide",
                &sent[1].etag(),
                confirm.clone()
            )
            .await
            .status,
            StatusCode::OK
        );
        let third = t
            .act(
                &t.a.officer,
                sent[2].id(),
                "decide",
                &sent[2].etag(),
                confirm.clone(),
            )
            .await;
        assert_eq!(third.status, StatusCode::CONFLICT, "{}", third.body);
        assert_eq!(third.body["type"], "urn:art60:problem:calculation_limit");
        t.call(
            Method::POST,
            &format!("/api/v1/employments/{emp}/derogations"),
            &t.a.officer,
            Some(json!({"reason": "complex file"})),
        )
        .await;
        assert_eq!(
            t.act(
                &t.a.officer,
                sent[2].id(),
                "decide",
                &sent[2].etag(),
                confirm.clone()
            )
            .await
            .status,
            StatusCode::OK
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn an_override_goes_through_the_engine() {
    for backend in backends() {
        override_checked(backend).await;
    }
}

/// Issue 13 §1: ONEM's end date is checked and evaluated by the engine, not copied.
async fn override_checked(backend: Backend) {
    let t = TestApp::new(backend).await;
    t.clock.set(at("2024-06-10"));
    let r = t.draft(&t.a, NISS_1).await;
    let id = r.id();
    let s = t.act(&t.a.worker, id, "send", &r.etag(), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    // Before the contract start (2024-07-01): refused on the field, nothing written.
    let bad = t
        .act(
            &t.a.officer,
            id,
            "decide",
            &s.etag(),
            Some(json!({"decision": "override", "end_date": "2024-06-28", "justification": "x"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "end_date");
    let g = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{id}"),
            &t.a.officer,
            None,
        )
        .await;
    assert_eq!(g.body["status"], "sent");
    assert_eq!(g.body["version"], s.body["version"]);
    // Earlier than the computed end (2025-06-30): accepted, but the final answer says the
    // rules do not make the person admissible on that DA.
    let o = t
        .act(
            &t.a.officer,
            id,
            "decide",
            &g.etag(),
            Some(json!({"decision": "override", "end_date": "2025-01-31", "justification": "Days known to ONEM"})),
        )
        .await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.body);
    let f = &o.body["final"];
    assert_eq!(f["end_date"], "2025-01-31");
    assert_eq!(f["first_benefit_date"], "2025-02-01");
    assert_eq!(f["admissible"], false);
    assert!(
        f["days_to_work"].as_i64().unwrap() < o.body["days_to_work"].as_i64().unwrap(),
        "{f}"
    );
    // The plain explanation of the final answer, in the reader's language (issue 13 §2).
    let e = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{id}/explanation?lang=nl"),
            &t.a.worker,
            None,
        )
        .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.body);
    assert_eq!(e.body["standing"], "modified");
    let answer = e.body["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("De RVA heeft het einde van het contract vastgesteld op 31/01/2025."),
        "{answer}"
    );
    assert!(answer.contains("nog niet"), "not admissible then: {answer}");
    assert!(e.body["why"].as_array().unwrap().len() >= 3, "{}", e.body);
    assert!(!e.body["arithmetic"].as_array().unwrap().is_empty());
    let bad = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{id}/explanation?lang=xx"),
            &t.a.worker,
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "lang");
    // A draft has nothing to explain yet.
    let draft = t.draft(&t.a, NISS_2).await;
    let none = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{}/explanation", draft.id()),
            &t.a.worker,
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::CONFLICT, "{}", none.body);
}

/// Issue 16 §1: a queue page is read from the index `requests_queue_page` alone (m0020), not
/// from the request rows, whose form comes before the columns the page shows. SQLite's plan
/// names a covering index; PostgreSQL's an index-only scan (sequential scans switched off:
/// on a test's few rows the planner would rightly prefer one).
#[tokio::test]
async fn the_queue_page_is_read_from_its_index_alone() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let db_backend = t.db.conn.get_database_backend();
        for cursor in [false, true] {
            let sql = art60_service::queue::page_sql(db_backend, cursor, 51);
            let mut values: Vec<sea_orm::Value> = vec![1i64.into(), "sent".into()];
            if cursor {
                values.push(d("2024-06-12").into());
                values.push(7i64.into());
            }
            let txn = t.db.conn.begin().await.unwrap();
            let (explain, column) = match db_backend {
                DbBackend::Postgres => {
                    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                        .await
                        .unwrap();
                    ("EXPLAIN", 0)
                }
                _ => ("EXPLAIN QUERY PLAN", 3),
            };
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    db_backend,
                    format!("{explain} {sql}"),
                    values,
                ))
                .await
                .unwrap();
            txn.rollback().await.unwrap();
            let plan: Vec<String> = rows
                .iter()
                .map(|r| r.try_get_by_index::<String>(column).unwrap())
                .collect();
            let wanted = match db_backend {
                DbBackend::Postgres => "Index Only Scan using requests_queue_page",
                _ => "USING COVERING INDEX requests_queue_page",
            };
            assert!(
                plan.iter().any(|l| l.contains(wanted)),
                "{backend:?} cursor {cursor}: {plan:#?}"
            );
        }
        t.finish().await;
    }
}

/// Issue 16 §1: the queue page comes from the database as one JSON array (`queue::page_rows`).
/// Pages walked with their cursors give every sent request of the office once, by deadline
/// then id, with the deadline's urgency and the late flag as stored, on both databases.
#[tokio::test]
async fn the_queue_pages_by_deadline_then_id() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // Sent on four days (two on the same day: a tie on the deadline, ordered by id).
        let days = [
            "2024-06-13",
            "2024-06-10",
            "2024-06-12",
            "2024-06-12",
            "2024-06-11",
        ];
        let mut sent = Vec::new();
        for (i, day) in days.iter().enumerate() {
            t.clock.set(at(day));
            let base = 950_310_201 + 2 * i as u64;
            let niss = format!("{base:09}{:02}", 97 - base % 97);
            let r = t.draft(&t.a, &niss).await;
            let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.body);
            sent.push((
                s.body["due_on"].as_str().unwrap().to_owned(),
                r.id(),
                s.body["late_request"].as_bool().unwrap(),
                s.body["reference"].as_str().unwrap().to_owned(),
            ));
        }
        // A draft is not in the queue.
        t.draft(&t.a, NISS_2).await;
        sent.sort();
        t.clock.set(at("2024-06-17"));
        // Sessions last hours: the officer signs in on the day.
        let officer = t.login("officer.namur").await;
        let mut seen = Vec::new();
        let mut path = "/api/v1/queue?limit=2".to_owned();
        loop {
            let q = t.call(Method::GET, &path, &officer, None).await;
            assert_eq!(q.status, StatusCode::OK, "{}", q.body);
            for item in q.body["items"].as_array().unwrap() {
                seen.push((
                    item["due_on"].as_str().unwrap().to_owned(),
                    item["id"].as_i64().unwrap(),
                    item["late_request"].as_bool().unwrap(),
                    item["reference"].as_str().unwrap().to_owned(),
                ));
                let due = d(item["due_on"].as_str().unwrap());
                let expected = art60_service::queue::urgency(d("2024-06-17"), due);
                assert_eq!(item["urgency"], json!(expected), "{item}");
                assert_eq!(item["cpas_id"], t.a.cpas);
                assert_eq!(item["version"], 2, "{item}");
                assert!(item["received_on"].is_string());
            }
            match q.body["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/queue?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, sent);
        // Some overdue, some not: the urgency is computed per item.
        let overdue = t.call(Method::GET, "/api/v1/queue", &officer, None).await;
        let kinds: std::collections::BTreeSet<String> = overdue.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["urgency"].as_str().unwrap().to_owned())
            .collect();
        assert!(kinds.len() >= 2, "{kinds:?}");
        t.finish().await;
    }
}

/// A reference is `A60-YYYY-` and the request's id on six digits at least: past 999,999 every
/// digit stays. PostgreSQL numbers the row in the insert that takes its id (issue 16), SQLite
/// right after it; both must agree with the id the request answers with.
#[tokio::test]
async fn references_past_six_digits_keep_every_digit() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let set_next: &[&str] = match backend {
            Backend::Postgres => {
                &["SELECT setval(pg_get_serial_sequence('requests', 'id'), 1234566)"]
            }
            Backend::Sqlite => &[
                "UPDATE sqlite_sequence SET seq = 1234566 WHERE name = 'requests'",
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'requests', 1234566 \
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'requests')",
            ],
        };
        for sql in set_next {
            sea_orm::ConnectionTrait::execute_unprepared(&t.db.conn, sql)
                .await
                .unwrap();
        }
        let r = t.draft(&t.a, NISS_1).await;
        assert_eq!(r.id(), 1_234_567, "{}", r.body);
        assert_eq!(r.body["reference"], "A60-2024-1234567");
        assert_eq!(r.body["status"], "draft");
        assert_eq!(r.etag(), "\"1\"");
        let read = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{}", r.id()),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(read.body["reference"], "A60-2024-1234567");
        assert_eq!(read.body["contact_email"], r.body["contact_email"]);
        t.finish().await;
    }
}
