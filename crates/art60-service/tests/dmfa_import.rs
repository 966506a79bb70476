#![allow(clippy::unwrap_used, clippy::expect_used)]
//! DmfA imports that must not lose valid data (issue 14): a declaration the reader refused part
//! of, or an older one, never replaces stored data; one bad service line costs only that line;
//! the upload is streamed and the number of imports read at once is bounded. SQLite always;
//! PostgreSQL when ART60_TEST_DATABASE_URL is set.

mod common;

use art60_dmfa::PersonDeclaration;
use art60_dmfa::model::{
    ContractType, Employer, JointCommittee, Occupation, Service, WorkerRecord,
};
use art60_dmfa::synth::DmfaWriter;
use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use art60_service::Clock;
use art60_service::dmfa::{self, Importer};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::NaiveDateTime;
use common::*;
use serde_json::{Value, json};

/// The person of the tests (born 1977-10-15).
const DECLARED: &str = "77101500172";

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn service(sequence: u8, code: u16, days: i64) -> Service {
    Service {
        sequence,
        code,
        days: Hundredths(days),
        hours: None,
    }
}

/// One person declaration of DECLARED for 2022Q2 at one employer, with these service lines.
fn declaration(niss: &str, services: Vec<Service>) -> PersonDeclaration {
    let q: Quarter = "2022Q2".parse().unwrap();
    PersonDeclaration {
        form: 1,
        form_created: None,
        refused_parts: 0,
        quarter: q,
        employer: Employer {
            noss: 1_234_567,
            company: None,
        },
        niss: art60_rules::Niss::parse(niss).unwrap(),
        sequence: 1,
        worker_records: vec![WorkerRecord {
            employer_class: 0,
            worker_code: 495,
            quarter_start: q.start(),
            quarter_end: q.end(),
            occupations: vec![Occupation {
                sequence: 1,
                start: Some(d("2021-01-04")),
                end: None,
                joint_committee: JointCommittee::none(),
                days_per_week: Hundredths(500),
                contract_type: ContractType::FullTime,
                reference_hours: Some(Hundredths(3800)),
                worker_status: None,
                mean_hours: Some(Hundredths(3800)),
                days_justification: None,
                services,
                remunerations: vec![],
            }],
        }],
    }
}

/// A file with one form created at `created` holding `p`.
fn file(p: &PersonDeclaration, created: &str) -> Vec<u8> {
    let mut w = DmfaWriter::new(Vec::new()).unwrap();
    w.begin_form_created(p.quarter, p.employer, dt(created))
        .unwrap();
    w.person(p).unwrap();
    w.finish().unwrap()
}

/// DECLARED in CPAS A with a draft request (contract from 2024-07-01: 2022Q2 is needed).
async fn declared_draft(t: &TestApp) -> (i64, i64) {
    person_with_request(t, DECLARED, "1977-10-15").await
}

async fn person_with_request(t: &TestApp, niss: &str, birth: &str) -> (i64, i64) {
    let p = t
        .call(
            Method::POST,
            "/api/v1/persons",
            &t.a.worker,
            Some(json!({"niss": niss, "last_name": "Test", "first_name": "Declared", "birth_date": birth})),
        )
        .await;
    assert!(p.status.is_success(), "{}", p.body);
    let e = t
        .call(
            Method::POST,
            "/api/v1/employments",
            &t.a.worker,
            Some(json!({"person_id": p.id(), "contract_start": "2024-07-01"})),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
    let r = t
        .call(
            Method::POST,
            "/api/v1/requests",
            &t.a.worker,
            Some(new_request(e.id(), "2024-07-01")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (p.id(), r.id())
}

fn upload(auth: &Auth, body: Body) -> Request<Body> {
    let mut b = Request::builder()
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
    b.body(body).unwrap()
}

async fn post_xml(t: &TestApp, bytes: &[u8]) -> Resp {
    t.send_raw(upload(&t.a.worker, Body::from(bytes.to_vec())))
        .await
}

/// The stored declarations of the person, as JSON (what the history is built from).
async fn stored(t: &TestApp, person: i64) -> Vec<Value> {
    dmfa::declarations(&t.db.conn, person)
        .await
        .unwrap()
        .iter()
        .map(|d| serde_json::to_value(d).unwrap())
        .collect()
}

fn codes(v: &[Value]) -> Vec<u64> {
    v[0]["worker_records"][0]["occupations"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_refused_or_older_declaration_never_replaces_stored_data() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (person, request) = declared_draft(&t).await;
        let good = declaration(DECLARED, vec![service(1, 1, 6000), service(2, 5, 200)]);

        // The corrected declaration, created in October.
        let r = post_xml(&t, &file(&good, "2022-10-03 09:00")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.body["imported"].as_u64(), r.body["replaced"].as_u64()),
            (Some(1), Some(0))
        );
        let before = stored(&t, person).await;
        assert_eq!(codes(&before), vec![1, 5]);

        // An older declaration of the same employer and quarter whose worker record is refused
        // (701 working days a week): the stored history is unchanged, and the report says
        // which record was refused, why, and that the stored declaration is kept.
        let old = file(&good, "2022-07-12 08:45").to_vec();
        let old = String::from_utf8(old)
            .unwrap()
            .replace("<WorkingDaysSystem>500<", "<WorkingDaysSystem>701<");
        let r = post_xml(&t, old.as_bytes()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.body["imported"].as_u64(), r.body["replaced"].as_u64()),
            (Some(0), Some(0)),
            "{}",
            r.body
        );
        assert_eq!(r.body["rejected_total"], 1, "{}", r.body);
        let rej = &r.body["rejected"][0];
        assert!(
            rej["problem"]
                .as_str()
                .unwrap()
                .contains("WorkingDaysSystem"),
            "{rej}"
        );
        assert!(
            rej["location"]
                .as_str()
                .unwrap()
                .contains("NaturalPerson[1]/WorkerRecord[1]/Occupation[1]/WorkingDaysSystem"),
            "{rej}"
        );
        assert_eq!(rej["dropped"]["scope"], "worker_record", "{rej}");
        assert!(
            rej["left_out"]
                .as_str()
                .unwrap()
                .starts_with("worker record 1"),
            "{rej}"
        );
        let ns = &r.body["not_stored"];
        assert_eq!(ns.as_array().unwrap().len(), 1, "{}", r.body);
        assert_eq!(ns[0]["reason"], "nothing_valid", "{ns}");
        assert_eq!(ns[0]["quarter"], "2022Q2");
        assert!(!r.body.to_string().contains(DECLARED), "the NISS is masked");
        assert_eq!(stored(&t, person).await, before, "the history is unchanged");

        // The same with only one bad line: the valid lines alone do not replace the stored
        // declaration either.
        let one_bad = declaration(DECLARED, vec![service(1, 1, 6000), service(2, 999, 200)]);
        let r = post_xml(&t, &file(&one_bad, "2022-12-01 08:00")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["replaced"], 0, "{}", r.body);
        assert_eq!(
            r.body["not_stored"][0]["reason"], "refused_parts",
            "{}",
            r.body
        );
        assert_eq!(r.body["rejected"][0]["dropped"]["code"], 999, "{}", r.body);
        assert_eq!(stored(&t, person).await, before);

        // A valid but older declaration (created before the stored one): kept out too.
        let older = declaration(DECLARED, vec![service(1, 1, 3000)]);
        let r = post_xml(&t, &file(&older, "2022-07-12 08:45")).await;
        assert_eq!(r.body["replaced"], 0, "{}", r.body);
        assert_eq!(
            r.body["not_stored"][0]["reason"], "older_than_stored",
            "{}",
            r.body
        );
        assert_eq!(stored(&t, person).await, before);

        // A newer valid declaration replaces it.
        let newer = declaration(DECLARED, vec![service(1, 1, 5800)]);
        let r = post_xml(&t, &file(&newer, "2023-01-09 10:30")).await;
        assert_eq!(r.body["replaced"], 1, "{}", r.body);
        assert!(r.body["not_stored"].as_array().unwrap().is_empty());
        let after = stored(&t, person).await;
        assert_eq!(codes(&after), vec![1]);

        // The request still shows the DmfA periods.
        let v = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{request}/dmfa"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        assert!(!v.body["dmfa"].as_array().unwrap().is_empty(), "{}", v.body);
        assert_eq!(
            art60_service::audit::verify(&t.db.conn)
                .await
                .unwrap()
                .first_broken,
            None
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn one_unknown_service_code_costs_only_its_line() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (person, _request) = declared_draft(&t).await;
        let p = declaration(
            DECLARED,
            vec![
                service(1, 1, 5000),
                service(2, 999, 100),
                service(3, 5, 200),
            ],
        );
        let r = post_xml(&t, &file(&p, "2022-07-12 08:45")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["imported"], 1, "{}", r.body);
        assert_eq!(r.body["rejected_total"], 1, "{}", r.body);
        let rej = &r.body["rejected"][0];
        assert_eq!(
            rej["dropped"],
            json!({"scope": "service_line", "person": "77.**.**-***.72", "worker_record": 1,
                   "occupation": 1, "line": 2, "code": 999}),
            "{rej}"
        );
        assert!(
            rej["location"]
                .as_str()
                .unwrap()
                .ends_with("NaturalPerson[1]/WorkerRecord[1]/Occupation[1]/Service[2]/ServiceCode"),
            "{rej}"
        );
        assert!(rej["problem"].as_str().unwrap().contains("999"), "{rej}");
        // The valid lines are stored, and nothing else of the record is lost.
        let s = stored(&t, person).await;
        assert_eq!(codes(&s), vec![1, 5]);
        let mut expected = serde_json::to_value(&p).unwrap();
        expected["worker_records"][0]["occupations"][0]["services"]
            .as_array_mut()
            .unwrap()
            .remove(1);
        for k in ["form_created", "refused_parts"] {
            expected[k] = s[0][k].clone();
        }
        assert_eq!(s[0], expected);
        assert_eq!(s[0]["refused_parts"], 1);

        // The CLI's path (the operator) gives the same report.
        let rep = dmfa::import(
            &t.db,
            t.clock.now(),
            Importer::Operator,
            file(&p, "2022-07-12 08:45"),
        )
        .await
        .unwrap();
        assert_eq!(rep.rejected_total, 1);
        assert!(
            rep.rejected[0]
                .left_out
                .starts_with("service line 2 (code 999) of occupation 1, worker record 1"),
            "{:?}",
            rep.rejected
        );
        t.finish().await;
    }
}

/// A generated declaration of several MB, sent in 64 KiB chunks, is read through the
/// streaming path: the declarations of the one person in the directory are stored, every
/// other person is skipped.
#[tokio::test]
async fn a_large_upload_is_streamed_and_imported() {
    let mut xml = Vec::new();
    art60_dmfa::synth::write_synthetic(
        &mut xml,
        &art60_dmfa::synth::SynthOptions {
            workers: 6000,
            seed: 14,
            persons_per_form: 1500,
        },
    )
    .unwrap();
    let parsed = art60_dmfa::parse_bytes(&xml).unwrap();
    let niss = parsed.persons[2500].niss;
    let mine = parsed.persons.iter().filter(|p| p.niss == niss).count() as u64;
    let total = parsed.persons.len() as u64;
    assert!(xml.len() > 8_000_000, "{}", xml.len());
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (person, _) =
            person_with_request(&t, &niss.expose(), &niss.birth_date().unwrap().to_string()).await;
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = xml
            .chunks(64 * 1024)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let r = t.send_raw(upload(&t.a.worker, body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["imported"].as_u64(), Some(mine), "{}", r.body);
        assert_eq!(r.body["skipped"].as_u64(), Some(total - mine), "{}", r.body);
        assert_eq!(r.body["rejected_total"], 0);
        assert_eq!(stored(&t, person).await.len() as u64, mine);
        // The audit entry names the file by its SHA-256, computed while it streamed in.
        let sha = art60_service::auth::sha256_hex(&xml);
        let a = t
            .call(Method::GET, "/api/v1/audit?limit=500", &t.admin, None)
            .await;
        assert!(a.body.to_string().contains(&sha), "{}", a.body);
        t.finish().await;
    }
}

#[tokio::test]
async fn uploads_over_the_bound_get_503_with_retry_after() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let slots = dmfa::ImportSlots::new(1);
        let app = art60_service::api::router(art60_service::api::AppState {
            db: t.db.clone(),
            clock: t.clock.clone(),
            store: art60_service::attachments::Store::Database,
            password_cost: art60_service::auth::PasswordCost::minimal_for_tests(),
            metrics: None,
            settings: art60_service::api::Settings {
                dmfa_imports: slots.clone(),
                ..Default::default()
            },
        });
        let send = |req: Request<Body>| {
            let app = app.clone();
            async move {
                use tower::ServiceExt;
                app.oneshot(req).await.unwrap()
            }
        };
        let p = declaration(DECLARED, vec![service(1, 1, 5000)]);
        // One import is being read (its slot held): the next is refused at once.
        let held = slots.try_acquire().unwrap();
        let resp = send(upload(
            &t.a.worker,
            Body::from(file(&p, "2022-07-12 08:45")),
        ))
        .await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()["retry-after"], "5");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "urn:art60:problem:dmfa_import_busy", "{v}");
        // A role that may not upload is told so first, not asked to retry.
        let resp = send(upload(
            &t.fed_spoc,
            Body::from(file(&p, "2022-07-12 08:45")),
        ))
        .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        drop(held);
        let resp = send(upload(
            &t.a.worker,
            Body::from(file(&p, "2022-07-12 08:45")),
        ))
        .await;
        assert_eq!(resp.status(), StatusCode::OK);
        // The slot is given back after each import.
        assert!(slots.try_acquire().is_some());
        t.finish().await;
    }
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_with_413() {
    let t = TestApp::new(Backend::Sqlite).await;
    // Announced.
    let mut req = upload(&t.a.worker, Body::from("<DmfAOriginal/>"));
    req.headers_mut().insert(
        "content-length",
        (dmfa::MAX_UPLOAD_BYTES as u64 + 1)
            .to_string()
            .parse()
            .unwrap(),
    );
    let r = t.send_raw(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.body["type"], "urn:art60:problem:payload_too_large");
    // Found while streaming (no Content-Length): 1 MiB chunks, one more than the limit.
    let chunk = bytes::Bytes::from(vec![b' '; 1024 * 1024]);
    let n = dmfa::MAX_UPLOAD_BYTES / (1024 * 1024) + 1;
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        (0..n).map(|_| Ok(chunk.clone())).collect();
    let r = t
        .send_raw(upload(
            &t.a.worker,
            Body::from_stream(futures_util::stream::iter(chunks)),
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.body["type"], "urn:art60:problem:payload_too_large");
    t.finish().await;
}

/// The scenario on the shared sample (API of the service before and after the fix):
/// the uncorrected 2022Q2 file uses service code 999 on one line of a worker record whose other
/// line (code 005) is valid. Importing a corrected file, then the uncorrected one, must leave
/// the person's stored history as the corrected one; importing the uncorrected one alone must
/// keep the valid line.
#[tokio::test]
async fn sample_corrected_then_uncorrected_keeps_the_data() {
    const NISS: &str = "67011500190";
    let sample = std::fs::read_to_string(format!(
        "{}/../../../shared/data/dmfa/DmfAOriginal_20222_1.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let corrected = sample.replace("<ServiceCode>999<", "<ServiceCode>001<");
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (person, _) = person_with_request(&t, NISS, "1967-01-15").await;
        let now = t.clock.now();

        // The uncorrected file alone: the valid line of the record is kept.
        dmfa::import(&t.db, now, Importer::Operator, sample.clone().into_bytes())
            .await
            .unwrap();
        let s = dmfa::declarations(&t.db.conn, person).await.unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].worker_records.len(), 1, "the worker record is kept");
        let codes: Vec<u16> = s[0].worker_records[0].occupations[0]
            .services
            .iter()
            .map(|x| x.code)
            .collect();
        assert_eq!(codes, vec![5], "only the line with code 999 is left out");

        // The corrected file replaces it; the uncorrected one imported again does not.
        dmfa::import(
            &t.db,
            now,
            Importer::Operator,
            corrected.clone().into_bytes(),
        )
        .await
        .unwrap();
        let good = dmfa::declarations(&t.db.conn, person).await.unwrap();
        assert_eq!(good[0].worker_records[0].occupations[0].services.len(), 2);
        dmfa::import(&t.db, now, Importer::Operator, sample.clone().into_bytes())
            .await
            .unwrap();
        let after = dmfa::declarations(&t.db.conn, person).await.unwrap();
        assert_eq!(
            after, good,
            "the refused record did not replace the stored one"
        );
        t.finish().await;
    }
}
