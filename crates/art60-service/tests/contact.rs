#![allow(clippy::unwrap_used, clippy::expect_used)]
//! "Contact your office" threads and SPOC escalations (SPEC §1.3 item 8, §1.6, §9): who may
//! read and write, read state, the NISS refusal, each escalation condition refused with its
//! reason, pseudonymisation of every SPOC answer, the forward/close flow and its audit trail.

mod common;

use art60_service::db::audit_entry;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const LAST: &str = "Vandermeulen";
const FIRST: &str = "Joséphine";
/// A third valid NISS (serial 127).
const NISS_3: &str = "95031012737";

/// A request of `org` for a person with a distinctive name, sent on the clock's day.
async fn sent_request(t: &TestApp, org: &Org, niss: &str) -> Resp {
    let p = t
        .call(
            Method::POST,
            "/api/v1/persons",
            &org.worker,
            Some(json!({"niss": niss, "last_name": LAST, "first_name": FIRST, "birth_date": "1995-03-10"})),
        )
        .await;
    assert!(p.status.is_success(), "{}", p.body);
    let e = t
        .call(
            Method::POST,
            "/api/v1/employments",
            &org.worker,
            Some(json!({"person_id": p.id(), "contract_start": "2024-07-01"})),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
    let r = t
        .call(
            Method::POST,
            "/api/v1/requests",
            &org.worker,
            Some(new_request(e.id(), "2024-07-01")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let s = t.act(&org.worker, r.id(), "send", &r.etag(), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    s
}

async fn post(t: &TestApp, auth: &Auth, id: i64, body: &str) -> Resp {
    t.call(
        Method::POST,
        &format!("/api/v1/requests/{id}/messages"),
        auth,
        Some(json!({ "body": body })),
    )
    .await
}

async fn thread(t: &TestApp, auth: &Auth, id: i64) -> Resp {
    t.call(
        Method::GET,
        &format!("/api/v1/requests/{id}/messages"),
        auth,
        None,
    )
    .await
}

/// Moves the clock to another day; sessions last hours, so the session users sign in again
/// (CPAS workers call with API tokens, which do not expire).
async fn move_to(t: &mut TestApp, day: &str) {
    t.clock.set(at(day));
    t.a.officer = t.login("officer.namur").await;
    t.b.officer = t.login("officer.brussels").await;
    t.fed_spoc = t.login("fed.spoc").await;
    t.onem_spoc = t.login("onem.spoc").await;
    t.admin = t.login("admin").await;
}

fn fields(r: &Resp) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

fn reason_of(r: &Resp, field: &str) -> String {
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .map(|e| e["reason"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no error for {field} in {}", r.body))
}

async fn audit_actions(t: &TestApp, entity: &str) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Entity.eq(entity))
        .order_by_asc(audit_entry::Column::Seq)
        .all(&t.db.conn)
        .await
        .unwrap()
}

/// Multipart message with a body and a file.
async fn post_with_file(t: &TestApp, auth: &Auth, id: i64, body: &str, file: &[u8]) -> Resp {
    let boundary = "XXart60boundaryXX";
    let mut b = Vec::new();
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{body}\r\n")
            .as_bytes(),
    );
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u1.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut rb = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/requests/{id}/messages"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
    match auth {
        Auth::Session { cookie, csrf } => {
            rb = rb.header("cookie", cookie).header("x-csrf-token", csrf);
        }
        Auth::Token(tk) => rb = rb.header("authorization", format!("Bearer {tk}")),
        Auth::Anonymous => {}
    }
    t.send_raw(rb.body(Body::from(b)).unwrap()).await
}

#[tokio::test]
async fn thread_access_read_state_niss_refusal_and_audit() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // A draft has no thread yet: the contact button is on sent requests.
        let draft = t.draft(&t.a, NISS_2).await;
        let r = post(&t, &t.a.worker, draft.id(), "Bonjour").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.body["type"], "urn:art60:problem:not_sent");

        let req = sent_request(&t, &t.a, NISS_1).await;
        let id = req.id();
        let reference = req.body["reference"].as_str().unwrap().to_owned();
        let m = post(&t, &t.a.worker, id, &format!("Question about {reference}")).await;
        assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
        assert_eq!(m.body["message"]["author_role"], "cpas_worker");
        assert_eq!(m.body["message"]["author_org_name"], "CPAS namur");
        // The officers of the office are told; nobody of the other office.
        let me_officer = t
            .call(Method::GET, "/api/v1/auth/me", &t.a.officer, None)
            .await;
        let officer_id = me_officer.body["user_id"].as_i64().unwrap();
        assert_eq!(m.body["recipients"], json!([officer_id]));

        // Other CPAS, other office, SPOCs and administrators: not found, read or write.
        for who in [
            &t.b.worker,
            &t.b.officer,
            &t.fed_spoc,
            &t.onem_spoc,
            &t.admin,
        ] {
            assert_eq!(thread(&t, who, id).await.status, StatusCode::NOT_FOUND);
            assert_eq!(
                post(&t, who, id, "hello").await.status,
                StatusCode::NOT_FOUND
            );
        }

        // A NISS in the body, raw or formatted, is refused with the field named.
        for body in [
            "Person 95031012341 still waits",
            "NISS 95.03.10-123.41 please",
        ] {
            let r = post(&t, &t.a.worker, id, body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(fields(&r), vec!["body"]);
            assert!(reason_of(&r, "body").contains("NISS"));
        }
        let empty = post(&t, &t.a.worker, id, "   ").await;
        assert_eq!(fields(&empty), vec!["body"]);

        // The officer sees one unread message, marks it read.
        let th = thread(&t, &t.a.officer, id).await;
        assert_eq!(th.status, StatusCode::OK, "{}", th.body);
        assert_eq!(th.body["unread"], 1);
        assert_eq!(th.body["messages"][0]["unread"], true);
        assert_eq!(th.body["messages"].as_array().unwrap().len(), 1);
        let counts = t
            .call(Method::GET, "/api/v1/messages/unread", &t.a.officer, None)
            .await;
        assert_eq!(counts.body, json!([{"request_id": id, "unread": 1}]));
        // The author has nothing unread.
        let mine = thread(&t, &t.a.worker, id).await;
        assert_eq!(mine.body["unread"], 0);
        let read = t
            .call(
                Method::POST,
                &format!("/api/v1/requests/{id}/messages/read"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(read.body["unread"], 0);
        assert_eq!(thread(&t, &t.a.officer, id).await.body["unread"], 0);

        // The officer answers with an attachment; the worker sees it unread and downloads it.
        let ans = post_with_file(&t, &t.a.officer, id, "Voir la note jointe.", PDF).await;
        assert_eq!(ans.status, StatusCode::CREATED, "{}", ans.body);
        let att = ans.body["message"]["attachments"][0]["id"]
            .as_i64()
            .unwrap();
        let wth = thread(&t, &t.a.worker, id).await;
        assert_eq!(wth.body["unread"], 1);
        assert_eq!(wth.body["messages"][1]["author_org_name"], "ONEM namur");
        assert_eq!(wth.body["messages"][1]["attachments"][0]["id"], att);
        let dl = t
            .call(
                Method::GET,
                &format!("/api/v1/attachments/{att}"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(dl.status, StatusCode::OK);
        assert_eq!(dl.bytes, PDF);
        let foreign = t
            .call(
                Method::GET,
                &format!("/api/v1/attachments/{att}"),
                &t.b.officer,
                None,
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        let bad = post_with_file(&t, &t.a.officer, id, "texte", b"not a pdf").await;
        assert_eq!(fields(&bad), vec!["attachment"]);

        // Messages cannot be edited or deleted: no such routes.
        for method in [Method::PUT, Method::PATCH, Method::DELETE] {
            let r = t
                .call(
                    method,
                    &format!("/api/v1/requests/{id}/messages"),
                    &t.a.worker,
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        }

        // Every write and every read is in the trail, with who did it.
        let posts: Vec<_> = audit_actions(&t, "message").await;
        assert_eq!(posts.len(), 2);
        assert!(posts.iter().all(|e| e.action == "post_message"));
        assert_eq!(posts[0].actor_role.as_deref(), Some("cpas_worker"));
        assert_eq!(posts[1].actor_role.as_deref(), Some("onem_officer"));
        let thread_events = audit_actions(&t, "messages").await;
        assert!(thread_events.iter().any(|e| e.action == "read"
            && e.entity_id == Some(id)
            && e.actor_role.as_deref() == Some("onem_officer")));
        assert!(thread_events.iter().any(|e| e.action == "mark_read"));
        // The body is represented by its hash, not copied into the trail.
        assert!(
            !posts[0]
                .after
                .as_ref()
                .unwrap()
                .to_string()
                .contains("Question")
        );
        let v = art60_service::audit::verify(&t.db.conn).await.unwrap();
        assert!(v.first_broken.is_none());
        t.finish().await;
    }
}

fn escalation(id: i64, since: &str, description: &str) -> Value {
    json!({
        "request_id": id,
        "means_exhausted": true,
        "several_requests": true,
        "payment_delayed": true,
        "payment_delay_since": since,
        "description": description,
    })
}

async fn escalate(t: &TestApp, auth: &Auth, body: Value) -> Resp {
    t.call(Method::POST, "/api/v1/escalations", auth, Some(body))
        .await
}

#[tokio::test]
async fn each_missing_escalation_condition_is_refused_with_its_reason() {
    for backend in backends() {
        let mut t = TestApp::new(backend).await;
        let req = sent_request(&t, &t.a, NISS_1).await;
        let id = req.id();
        let reference = req.body["reference"].as_str().unwrap().to_owned();
        let ok_text = "Sent six weeks ago, asked twice, no answer yet.";

        // Nothing confirmed: one entry per missing condition.
        let r = escalate(
            &t,
            &t.a.worker,
            json!({"request_id": id, "means_exhausted": false, "several_requests": false,
                   "payment_delayed": false, "description": "Question 95031012341"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(
            fields(&r),
            vec![
                "means_exhausted",
                "several_requests",
                "payment_delayed",
                "payment_delay_since",
                "description"
            ]
        );
        assert!(reason_of(&r, "description").contains("NISS"));

        // All confirmed, but the thread shows no contact: the record contradicts.
        let r = escalate(&t, &t.a.worker, escalation(id, "2024-04-01", ok_text)).await;
        assert_eq!(fields(&r), vec!["several_requests"]);
        assert!(
            reason_of(&r, "several_requests").contains("0 message(s) from your CPAS on 0 day(s)"),
            "{}",
            r.body
        );
        // Two messages the same day are one attempt.
        assert_eq!(
            post(&t, &t.a.worker, id, "Any news?").await.status,
            StatusCode::CREATED
        );
        assert_eq!(
            post(&t, &t.a.worker, id, "Still waiting").await.status,
            StatusCode::CREATED
        );
        // The office's answers do not count as CPAS attempts.
        move_to(&mut t, "2024-06-11").await;
        assert_eq!(
            post(&t, &t.a.officer, id, "We look into it").await.status,
            StatusCode::CREATED
        );
        let r = escalate(&t, &t.a.worker, escalation(id, "2024-04-01", ok_text)).await;
        assert!(
            reason_of(&r, "several_requests").contains("2 message(s) from your CPAS on 1 day(s)")
        );
        let check = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{id}/escalation-check"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(check.body["contacts"]["days"], json!(["2024-06-10"]));
        assert_eq!(check.body["delayed_since_before"], "2024-05-11");

        // A second day: the condition holds; the delay must exceed one month.
        move_to(&mut t, "2024-06-12").await;
        assert_eq!(
            post(&t, &t.a.worker, id, "Third request").await.status,
            StatusCode::CREATED
        );
        let r = escalate(&t, &t.a.worker, escalation(id, "2024-05-12", ok_text)).await;
        assert_eq!(fields(&r), vec!["payment_delay_since"]);
        assert!(reason_of(&r, "payment_delay_since").contains("before 2024-05-12"));

        // The person's name, in any case, is personal data.
        for text in [
            format!("About {LAST}'s contract"),
            "joséphine waits".to_owned(),
        ] {
            let r = escalate(&t, &t.a.worker, escalation(id, "2024-05-11", &text)).await;
            assert_eq!(fields(&r), vec!["description"], "{text}");
            assert!(reason_of(&r, "description").contains("name"));
        }
        // So is the request reference: the ticket replaces it towards the SPOC.
        let r = escalate(
            &t,
            &t.a.worker,
            escalation(id, "2024-05-11", &format!("see {reference}")),
        )
        .await;
        assert_eq!(fields(&r), vec!["description"]);
        assert!(reason_of(&r, "description").contains("reference"));

        // A draft never sent, and a CPAS without federation.
        let draft = t.draft(&t.a, NISS_2).await.id();
        let r = escalate(&t, &t.a.worker, escalation(draft, "2024-04-01", ok_text)).await;
        assert!(fields(&r).contains(&"request_id".to_owned()), "{}", r.body);
        let b = sent_request(&t, &t.b, NISS_3).await.id();
        let patch = t
            .call(
                Method::PATCH,
                &format!("/api/v1/cpas/{}", t.b.cpas),
                &t.admin,
                Some(json!({"federation": "none"})),
            )
            .await;
        assert_eq!(patch.status, StatusCode::OK, "{}", patch.body);
        let r = escalate(&t, &t.b.worker, escalation(b, "2024-04-01", ok_text)).await;
        assert!(reason_of(&r, "federation").contains("German-speaking"));

        // Only the CPAS escalates, and only its own requests.
        assert_eq!(
            escalate(&t, &t.b.worker, escalation(id, "2024-04-01", ok_text))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            escalate(&t, &t.a.officer, escalation(id, "2024-04-01", ok_text))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert!(audit_actions(&t, "escalation").await.is_empty());

        // Every condition holds: a ticket.
        let ok = escalate(&t, &t.a.worker, escalation(id, "2024-05-11", ok_text)).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        let ticket = ok.body["ticket"].as_str().unwrap();
        assert_eq!(ticket, format!("ESC-2024-{:06}", ok.id()));
        assert_eq!(ok.body["status"], "open");
        assert_eq!(ok.body["contact_messages"], 3);
        assert_eq!(ok.body["first_contact_on"], "2024-06-10");
        assert_eq!(ok.body["last_contact_on"], "2024-06-12");
        assert_eq!(ok.body["case"]["request_id"], id);
        // One open escalation per request.
        let again = escalate(&t, &t.a.worker, escalation(id, "2024-05-11", ok_text)).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.body["type"], "urn:art60:problem:already_escalated");
        t.finish().await;
    }
}

/// Fails when any personal datum of the case appears in `text`.
fn assert_pseudonymised(text: &str, reference: &str, what: &str) {
    for needle in [
        NISS_1,
        "95.03.10-123.41",
        "950310-123.41",
        LAST,
        FIRST,
        "Josephine",
        reference,
    ] {
        assert!(
            !text.to_lowercase().contains(&needle.to_lowercase()),
            "{what} leaks {needle}: {text}"
        );
    }
}

#[tokio::test]
async fn spoc_views_are_pseudonymised_and_the_flow_is_audited() {
    for backend in backends() {
        let mut t = TestApp::new(backend).await;
        let req = sent_request(&t, &t.a, NISS_1).await;
        let id = req.id();
        let reference = req.body["reference"].as_str().unwrap().to_owned();
        post(&t, &t.a.worker, id, &format!("Question about {reference}")).await;
        move_to(&mut t, "2024-06-12").await;
        post(&t, &t.a.worker, id, &format!("Reminder about {reference}")).await;
        let esc = escalate(
            &t,
            &t.a.worker,
            escalation(id, "2024-05-01", "Asked twice, payment delayed."),
        )
        .await;
        assert_eq!(esc.status, StatusCode::CREATED, "{}", esc.body);
        let eid = esc.id();
        assert!(esc.body["pseudonym"].as_str().unwrap().starts_with("PSN-"));

        // The ONEM SPOC sees nothing before the federation forwards it.
        let none = t
            .call(Method::GET, "/api/v1/escalations", &t.onem_spoc, None)
            .await;
        assert_eq!(none.body, json!([]));
        let hidden = t
            .call(
                Method::GET,
                &format!("/api/v1/escalations/{eid}"),
                &t.onem_spoc,
                None,
            )
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        // Another CPAS and the officers do not see the ticket itself.
        for who in [&t.b.worker, &t.a.officer, &t.admin] {
            let r = t
                .call(
                    Method::GET,
                    &format!("/api/v1/escalations/{eid}"),
                    who,
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }
        // A SPOC of another federation does not either.
        let vvsg = t
            .call(Method::POST, "/api/v1/users", &t.admin, Some(json!({"username": "spoc.vvsg", "password": PASSWORD, "role": "federation_spoc", "federation": "vvsg"})))
            .await;
        assert_eq!(vvsg.status, StatusCode::CREATED, "{}", vvsg.body);
        let vvsg = t.login("spoc.vvsg").await;
        let other = t
            .call(Method::GET, "/api/v1/escalations", &vvsg, None)
            .await;
        assert_eq!(other.body, json!([]));
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/forward"),
                &vvsg,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The officer of the office sees that an escalation exists on its request.
        let on_req = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{id}/escalations"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(on_req.body[0]["ticket"], esc.body["ticket"]);
        let foreign = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{id}/escalations"),
                &t.b.officer,
                None,
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);

        // Every SPOC answer, including refusals, holds no personal data and no case link.
        let mut spoc_answers: Vec<(String, Resp)> = Vec::new();
        let list = t
            .call(Method::GET, "/api/v1/escalations", &t.fed_spoc, None)
            .await;
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        assert!(list.body[0].get("case").is_none());
        spoc_answers.push(("fed list".into(), list));
        let one = t
            .call(
                Method::GET,
                &format!("/api/v1/escalations/{eid}"),
                &t.fed_spoc,
                None,
            )
            .await;
        assert_eq!(one.status, StatusCode::OK);
        assert!(one.body.get("case").is_none());
        spoc_answers.push(("fed get".into(), one));
        for path in [
            format!("/api/v1/requests/{id}"),
            format!("/api/v1/requests/{id}/messages"),
            format!("/api/v1/requests/{id}/escalations"),
            format!("/api/v1/requests/{id}/escalation-check"),
            format!("/api/v1/cases/{reference}"),
        ] {
            let r = t.call(Method::GET, &path, &t.fed_spoc, None).await;
            assert!(r.status.is_client_error(), "{path}: {}", r.status);
            spoc_answers.push((path, r));
        }
        // The CPAS may not forward its own ticket.
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/forward"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        move_to(&mut t, "2024-06-13").await;
        let fwd = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/forward"),
                &t.fed_spoc,
                None,
            )
            .await;
        assert_eq!(fwd.status, StatusCode::OK, "{}", fwd.body);
        assert_eq!(fwd.body["status"], "forwarded_to_onem");
        spoc_answers.push(("forward".into(), fwd));
        let twice = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/forward"),
                &t.fed_spoc,
                None,
            )
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        spoc_answers.push(("forward twice".into(), twice));

        let onem_list = t
            .call(Method::GET, "/api/v1/escalations", &t.onem_spoc, None)
            .await;
        assert_eq!(onem_list.body.as_array().unwrap().len(), 1);
        spoc_answers.push(("onem list".into(), onem_list));
        let onem_one = t
            .call(
                Method::GET,
                &format!("/api/v1/escalations/{eid}"),
                &t.onem_spoc,
                None,
            )
            .await;
        assert_eq!(onem_one.status, StatusCode::OK);
        spoc_answers.push(("onem get".into(), onem_one));
        // Resolving the pseudonym needs a reason.
        let no_reason = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/open-case"),
                &t.onem_spoc,
                Some(json!({"reason": " "})),
            )
            .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&no_reason), vec!["reason"]);
        spoc_answers.push(("open without reason".into(), no_reason));
        let fed_open = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/open-case"),
                &t.fed_spoc,
                Some(json!({"reason": "curious"})),
            )
            .await;
        assert_eq!(fed_open.status, StatusCode::FORBIDDEN);
        spoc_answers.push(("fed open".into(), fed_open));

        // Closing: the outcome carries no personal data either.
        let bad = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/close"),
                &t.fed_spoc,
                Some(json!({"outcome": "Done for 95031012341"})),
            )
            .await;
        assert_eq!(fields(&bad), vec!["outcome"]);
        spoc_answers.push(("close refused".into(), bad));
        let closed = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/close"),
                &t.fed_spoc,
                Some(json!({"outcome": "ONEM fixed the end date."})),
            )
            .await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
        assert_eq!(closed.body["status"], "closed");
        assert_eq!(closed.body["outcome"], "ONEM fixed the end date.");
        spoc_answers.push(("close".into(), closed));
        let after = t
            .call(Method::GET, "/api/v1/escalations", &t.fed_spoc, None)
            .await;
        spoc_answers.push(("fed list after".into(), after));
        for (what, r) in &spoc_answers {
            let text = String::from_utf8_lossy(&r.bytes);
            assert_pseudonymised(&text, &reference, what);
            assert!(!text.contains("\"request_id\""), "{what}: {text}");
        }

        // The ONEM SPOC opens the case behind the pseudonym, with its reason recorded.
        let open = t
            .call(
                Method::POST,
                &format!("/api/v1/escalations/{eid}/open-case"),
                &t.onem_spoc,
                Some(json!({"reason": "Escalation from UVCW"})),
            )
            .await;
        assert_eq!(open.status, StatusCode::OK, "{}", open.body);
        assert_eq!(open.body["reference"], reference.as_str());

        // The CPAS sees its ticket with the link to its case.
        let mine = t
            .call(Method::GET, "/api/v1/escalations", &t.a.worker, None)
            .await;
        assert_eq!(mine.body[0]["case"]["reference"], reference.as_str());
        assert_eq!(mine.body[0]["status"], "closed");

        // The trail: each step, by whom.
        let steps: Vec<(String, Option<String>)> = audit_actions(&t, "escalation")
            .await
            .into_iter()
            .filter(|e| !matches!(e.action.as_str(), "read" | "list"))
            .map(|e| (e.action, e.actor_role))
            .collect();
        assert_eq!(
            steps,
            vec![
                ("escalate".into(), Some("cpas_worker".into())),
                ("forward_escalation".into(), Some("federation_spoc".into())),
                ("close_escalation".into(), Some("federation_spoc".into())),
            ]
        );
        let spoc_reads = audit_actions(&t, "escalation")
            .await
            .into_iter()
            .filter(|e| e.action == "read" && e.actor_role.as_deref() == Some("federation_spoc"))
            .count();
        assert_eq!(spoc_reads, 1);
        let opened = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("open_case"))
            .all(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(opened.len(), 1);
        assert_eq!(opened[0].reason.as_deref(), Some("Escalation from UVCW"));
        assert_eq!(opened[0].entity_id, Some(id));
        assert_eq!(opened[0].actor_role.as_deref(), Some("onem_spoc"));
        t.finish().await;
    }
}

/// Several escalations of one request at once (as from two browser tabs): exactly one
/// ticket, the others refused as already escalated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_escalations_of_one_request_give_one_ticket() {
    for backend in backends() {
        let mut t = TestApp::new(backend).await;
        let id = sent_request(&t, &t.a, NISS_1).await.id();
        post(&t, &t.a.worker, id, "First request").await;
        move_to(&mut t, "2024-06-12").await;
        post(&t, &t.a.worker, id, "Second request").await;
        let Auth::Token(token) = t.a.worker.clone() else {
            panic!("worker uses a token")
        };
        let body = escalation(id, "2024-05-01", "Asked twice, payment delayed.").to_string();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let app = t.app.clone();
            let (token, body) = (token.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                use tower::ServiceExt;
                let req = Request::post("/api/v1/escalations")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .unwrap();
                app.oneshot(req).await.unwrap().status()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count();
        assert_eq!((created, refused), (1, 7), "{statuses:?}");
        t.finish().await;
    }
}
