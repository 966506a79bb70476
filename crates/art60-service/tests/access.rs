#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The access matrix: every route × every role × own / foreign organisation. Expected status
//! codes, and no response to anyone else may contain the other CPAS's person or case.
//!
//! Writes are sent with a stale `If-Match` so that a caller who passes every access check
//! gets 412 (proof it got that far) without changing anything.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    WorkerA,
    WorkerB,
    OfficerA,
    OfficerB,
    FedSpoc,
    OnemSpoc,
    Admin,
}

const ALL: [Who; 8] = [
    Who::Anonymous,
    Who::WorkerA,
    Who::WorkerB,
    Who::OfficerA,
    Who::OfficerB,
    Who::FedSpoc,
    Who::OnemSpoc,
    Who::Admin,
];

#[tokio::test]
async fn access_matrix() {
    for backend in backends() {
        matrix(backend).await;
    }
}

async fn matrix(backend: Backend) {
    let t = TestApp::new(backend).await;
    // CPAS A: a sent request (with an attachment), a calculated one, a draft.
    let sent = t.draft(&t.a, NISS_1).await;
    let sent = t
        .act(&t.a.worker, sent.id(), "send", &sent.etag(), None)
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let r_a = sent.id();
    let e_a = sent.body["employment_id"].as_i64().unwrap();
    let p_a = sent.body["person_id"].as_i64().unwrap();
    let att = t.upload(&t.a.worker, r_a, "c4.pdf", PDF).await;
    assert_eq!(att.status, StatusCode::CREATED, "{}", att.body);
    let att_a = att.id();
    let calc = t.draft(&t.a, NISS_1).await;
    let calc = t
        .act(&t.a.worker, calc.id(), "send", &calc.etag(), None)
        .await;
    let calc = t
        .act(
            &t.a.officer,
            calc.id(),
            "decide",
            &calc.etag(),
            Some(json!({"decision": "confirm"})),
        )
        .await;
    assert_eq!(calc.status, StatusCode::OK, "{}", calc.body);
    let c_a = calc.id();
    let d_a = t.draft(&t.a, NISS_1).await.id();
    // CPAS B has its own case, so foreign callers have something of their own to list.
    let b = t.draft(&t.b, NISS_2).await;
    t.act(&t.b.worker, b.id(), "send", &b.etag(), None).await;
    let secrets = [
        NISS_1.to_owned(),
        sent.body["reference"].as_str().unwrap().to_owned(),
    ];

    let auth = |w: Who| -> Auth {
        match w {
            Who::Anonymous => Auth::Anonymous,
            Who::WorkerA => t.a.worker.clone(),
            Who::WorkerB => t.b.worker.clone(),
            Who::OfficerA => t.a.officer.clone(),
            Who::OfficerB => t.b.officer.clone(),
            Who::FedSpoc => t.fed_spoc.clone(),
            Who::OnemSpoc => t.onem_spoc.clone(),
            Who::Admin => t.admin.clone(),
        }
    };
    use StatusCode as S;
    use Who::*;
    // (method, path, body, expected for each caller, may this caller see CPAS A's case?)
    type Expect = fn(Who) -> StatusCode;
    let stale = "\"999\"";
    let routes: Vec<(Method, String, Option<Value>, Expect)> = vec![
        (
            Method::GET,
            format!("/api/v1/persons/{p_a}"),
            None,
            |w| match w {
                // The officer of the office the person's request was sent to sees who it is
                // about; other offices, the SPOCs and administrators do not.
                WorkerA | OfficerA => S::OK,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::GET,
            format!("/api/v1/requests/{r_a}/dmfa"),
            None,
            |w| match w {
                WorkerA | OfficerA => S::OK,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{d_a}/dmfa/resolutions"),
            Some(json!({"manual": 0, "dmfa": 0, "choice": "use_dmfa"})),
            |w| match w {
                // Seen, allowed, but there is no such conflict.
                WorkerA => S::UNPROCESSABLE_ENTITY,
                _ => S::NOT_FOUND,
            },
        ),
        (Method::GET, "/api/v1/persons".into(), None, |_| S::OK),
        (
            Method::GET,
            format!("/api/v1/employments/{e_a}"),
            None,
            |w| match w {
                WorkerA | OfficerA => S::OK,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            format!("/api/v1/employments/{e_a}/derogations"),
            Some(json!({"reason": "matrix"})),
            |w| match w {
                OfficerA => S::OK,
                WorkerA => S::FORBIDDEN,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            "/api/v1/employments".into(),
            Some(json!({"person_id": p_a, "contract_start": "2024-07-01"})),
            |w| match w {
                WorkerA => S::CREATED,
                WorkerB => S::UNPROCESSABLE_ENTITY,
                _ => S::FORBIDDEN,
            },
        ),
        (
            Method::GET,
            format!("/api/v1/requests/{r_a}"),
            None,
            |w| match w {
                WorkerA | OfficerA => S::OK,
                _ => S::NOT_FOUND,
            },
        ),
        (Method::GET, "/api/v1/requests".into(), None, |_| S::OK),
        (
            Method::POST,
            "/api/v1/requests".into(),
            Some(new_request(e_a, "2024-07-01")),
            |w| match w {
                WorkerA => S::CREATED,
                WorkerB => S::UNPROCESSABLE_ENTITY,
                _ => S::FORBIDDEN,
            },
        ),
        (
            Method::PATCH,
            format!("/api/v1/requests/{d_a}"),
            Some(json!({"contact_name": "Z"})),
            |w| match w {
                WorkerA => S::PRECONDITION_FAILED,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{d_a}/send"),
            None,
            |w| match w {
                WorkerA => S::PRECONDITION_FAILED,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{r_a}/return"),
            Some(json!({"reason": "matrix"})),
            |w| match w {
                OfficerA => S::PRECONDITION_FAILED,
                WorkerA => S::FORBIDDEN,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{r_a}/decide"),
            Some(json!({"decision": "confirm"})),
            |w| match w {
                OfficerA => S::PRECONDITION_FAILED,
                WorkerA => S::FORBIDDEN,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{c_a}/copy"),
            Some(json!({"reason": "contract_changed"})),
            |w| match w {
                WorkerA => S::CREATED,
                OfficerA => S::FORBIDDEN,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::GET,
            format!("/api/v1/requests/{r_a}/attachments"),
            None,
            |w| match w {
                WorkerA | OfficerA => S::OK,
                _ => S::NOT_FOUND,
            },
        ),
        (
            Method::GET,
            format!("/api/v1/attachments/{att_a}"),
            None,
            |w| match w {
                WorkerA | OfficerA => S::OK,
                _ => S::NOT_FOUND,
            },
        ),
        (Method::GET, "/api/v1/queue".into(), None, |w| match w {
            OfficerA | OfficerB => S::OK,
            _ => S::FORBIDDEN,
        }),
        (Method::GET, "/api/v1/offices".into(), None, |_| S::OK),
        (
            Method::PATCH,
            format!("/api/v1/offices/{}", t.a.office),
            Some(json!({"area": "matrix"})),
            |w| match w {
                Admin => S::OK,
                _ => S::FORBIDDEN,
            },
        ),
        (Method::GET, "/api/v1/feedback".into(), None, |w| match w {
            Admin => S::OK,
            _ => S::FORBIDDEN,
        }),
        (Method::GET, "/api/v1/notifications".into(), None, |_| S::OK),
        (Method::GET, "/api/v1/cpas".into(), None, |_| S::OK),
        (Method::GET, "/api/v1/users".into(), None, |w| match w {
            Admin => S::OK,
            _ => S::FORBIDDEN,
        }),
        (
            Method::POST,
            "/api/v1/offices".into(),
            Some(json!({"code": "x", "name": "X", "phone": "1", "email": "x@onem.example"})),
            |w| match w {
                // The second administrator call would hit "code already used"; only one runs.
                Admin => S::CREATED,
                _ => S::FORBIDDEN,
            },
        ),
        (
            Method::GET,
            "/api/v1/audit/verify".into(),
            None,
            |w| match w {
                Admin => S::OK,
                _ => S::FORBIDDEN,
            },
        ),
        (Method::GET, "/api/v1/auth/me".into(), None, |_| S::OK),
        (
            Method::GET,
            format!("/api/v1/cases/{}?reason=escalation%20E-12", secrets[1]),
            None,
            |w| match w {
                OnemSpoc | Admin => S::OK,
                _ => S::FORBIDDEN,
            },
        ),
        (
            Method::GET,
            format!("/api/v1/cases/{}", secrets[1]),
            None,
            |w| match w {
                OnemSpoc | Admin => S::UNPROCESSABLE_ENTITY,
                _ => S::FORBIDDEN,
            },
        ),
        // Last: once worker B registers NISS_1 itself, CPAS B follows the person too.
        (
            Method::POST,
            "/api/v1/persons".into(),
            Some(
                json!({"niss": NISS_1, "last_name": "X", "first_name": "Y", "birth_date": "1995-03-10"}),
            ),
            |w| match w {
                // CPAS A registered this NISS under another name: never silently replaced.
                WorkerA => S::UNPROCESSABLE_ENTITY,
                // A NISS new to CPAS B is created for B, whether another CPAS knows it or not.
                WorkerB => S::CREATED,
                _ => S::FORBIDDEN,
            },
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expect) in &routes {
        for who in ALL {
            // The office directory is public (SPEC §1.5).
            let public = *method == Method::GET && path == "/api/v1/offices";
            let want = if who == Anonymous && !public {
                S::UNAUTHORIZED
            } else {
                expect(who)
            };
            let r = t
                .call_with(
                    method.clone(),
                    path,
                    &auth(who),
                    body.clone(),
                    &[("if-match", stale)],
                )
                .await;
            if r.status != want {
                failures.push(format!(
                    "{method} {path} as {who:?}: got {} want {want} ({})",
                    r.status, r.body
                ));
            }
            let text = String::from_utf8_lossy(&r.bytes);
            let opens_case = path.starts_with("/api/v1/cases/") && r.status == S::OK;
            let may_see = matches!(who, WorkerA | OfficerA) || opens_case;
            for s in &secrets {
                // Worker B registered NISS_1 itself in this matrix: the echo is its own input.
                let own_echo = who == WorkerB && path == "/api/v1/persons" && s == NISS_1;
                if !may_see && !own_echo && text.contains(s.as_str()) {
                    failures.push(format!(
                        "LEAK {method} {path} as {who:?} contains a secret of CPAS A"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    t.finish().await;
}
