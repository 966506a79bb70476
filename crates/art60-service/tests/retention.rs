#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Retention and the data subject's access export (issue 14 §5, SPEC §9), on SQLite and
//! PostgreSQL, with the injected clock.

mod common;

use art60_service::ServiceError;
use art60_service::attachments::Store;
use art60_service::audit::{self, Who};
use art60_service::auth::PasswordCost;
use art60_service::db::{
    Db, EscalationStatus, Federation, Role, audit_entry, dmfa_declaration, escalation,
    escalation_link, person, purged_subject, request,
};
use art60_service::directory::{self, NewUser};
use art60_service::retention::{self, NewSetting, RunOptions};
use axum::http::{Method, StatusCode};
use common::*;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

fn operator() -> Who {
    Who {
        org: Some("operator".into()),
        ..Default::default()
    }
}

async fn set_retention(t: &TestApp) {
    retention::set(
        &t.db,
        at("2024-06-01"),
        &operator(),
        NewSetting {
            valid_from: d("2024-01-01"),
            case_months: 24,
            audit_months: 120,
            note: Some("controller decision 2024/1".into()),
        },
    )
    .await
    .unwrap();
}

/// A sent, then returned request of `niss` in CPAS A, with a message, an attachment and a
/// DmfA row: a person whose case is closed on the CPAS side and not waiting at ONEM.
async fn closed_case(t: &TestApp, niss: &str) -> (i64, i64) {
    let r = t.draft(&t.a, niss).await;
    let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let att = t.upload(&t.a.worker, r.id(), "c4.pdf", PDF).await;
    assert_eq!(att.status, StatusCode::CREATED, "{}", att.body);
    let m = t
        .call(
            Method::POST,
            &format!("/api/v1/requests/{}/messages", r.id()),
            &t.a.officer,
            Some(json!({"body": "Pouvez-vous joindre le C4 ?"})),
        )
        .await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
    let read = t
        .call(
            Method::GET,
            &format!("/api/v1/requests/{}", r.id()),
            &t.a.officer,
            None,
        )
        .await;
    let ret = t
        .act(
            &t.a.officer,
            r.id(),
            "return",
            &read.etag(),
            Some(json!({"reason": "C4 manquant"})),
        )
        .await;
    assert_eq!(ret.status, StatusCode::OK, "{}", ret.body);
    let pid = s.body["person_id"].as_i64().unwrap();
    dmfa_declaration::ActiveModel {
        person_id: Set(pid),
        employer: Set("123456789:0207353138".into()),
        quarter: Set("2024Q1".into()),
        declaration: Set(json!({"quarter": "2024Q1", "days": 60})),
        imported_by: Set(None),
        imported_at: Set(t.clock_now()),
        cpas_id: Set(Some(t.a.cpas)),
        ..Default::default()
    }
    .insert(&t.db.conn)
    .await
    .unwrap();
    (pid, r.id())
}

/// An escalation about request `rid` (written directly: its conditions are tested elsewhere).
async fn escalation_of(t: &TestApp, rid: i64) -> i64 {
    let e = escalation::ActiveModel {
        ticket: Set(format!("ESC-2024-{rid:06}")),
        pseudonym: Set(format!("PSEUDO-{rid}")),
        federation: Set(Federation::Uvcw),
        cpas_id: Set(t.a.cpas),
        status: Set(EscalationStatus::Closed),
        means_exhausted: Set(true),
        several_requests: Set(true),
        payment_delayed: Set(true),
        payment_delay_since: Set(d("2024-04-01")),
        contact_messages: Set(2),
        first_contact_on: Set(None),
        last_contact_on: Set(None),
        description: Set("Pas de réponse depuis deux mois".into()),
        outcome: Set(None),
        created_by: Set(1),
        created_at: Set(t.clock_now()),
        forwarded_by: Set(None),
        forwarded_at: Set(None),
        closed_by: Set(None),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&t.db.conn)
    .await
    .unwrap();
    escalation_link::ActiveModel {
        escalation_id: Set(e.id),
        request_id: Set(rid),
    }
    .insert(&t.db.conn)
    .await
    .unwrap();
    e.id
}

async fn persons(db: &Db) -> u64 {
    person::Entity::find().count(&db.conn).await.unwrap()
}

#[tokio::test]
async fn retention_purges_expired_case_content_and_the_chain_still_verifies() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let store = Store::Database;
        // No setting: nothing is purged by default.
        let none = retention::run(
            &t.db,
            &store,
            t.clock_now(),
            &operator(),
            &RunOptions::default(),
        )
        .await;
        assert!(
            matches!(
                none,
                Err(ServiceError::Refused {
                    code: "retention_not_set",
                    ..
                })
            ),
            "{none:?}"
        );
        set_retention(&t).await;
        let (pid, rid) = closed_case(&t, NISS_1).await;
        let esc = escalation_of(&t, rid).await;
        // CPAS B's person has a request waiting at ONEM: kept whatever its age.
        let waiting = t.draft(&t.b, NISS_2).await;
        let w = t
            .act(&t.b.worker, waiting.id(), "send", &waiting.etag(), None)
            .await;
        assert_eq!(w.status, StatusCode::OK, "{}", w.body);
        let about_before = audit_entry::Entity::find()
            .filter(audit_entry::Column::PersonId.eq(pid))
            .order_by_asc(audit_entry::Column::Seq)
            .all(&t.db.conn)
            .await
            .unwrap();
        assert!(!about_before.is_empty());

        // A year later: nothing has expired yet.
        t.clock.set(at("2025-06-10"));
        let r = retention::run(
            &t.db,
            &store,
            t.clock_now(),
            &operator(),
            &RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.persons, 0, "{r:?}");
        assert_eq!(persons(&t.db).await, 2);

        // Two years and a month after the last activity: the dry run says what would go and
        // changes nothing.
        t.clock.set(at("2026-07-15"));
        let dry = retention::run(
            &t.db,
            &store,
            t.clock_now(),
            &operator(),
            &RunOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(dry.persons, 1, "{dry:?}");
        assert_eq!(dry.subjects, vec![pid]);
        assert_eq!(dry.requests, 1);
        assert_eq!(dry.messages, 1);
        assert_eq!(dry.attachments, 1);
        assert_eq!(dry.dmfa_declarations, 1);
        assert_eq!(dry.escalations_unlinked, 1);
        assert_eq!(dry.audit_seq, None);
        assert_eq!(persons(&t.db).await, 2);

        let run = retention::run(
            &t.db,
            &store,
            t.clock_now(),
            &operator(),
            &RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (
                run.persons,
                run.requests,
                run.messages,
                run.attachments,
                run.dmfa_declarations
            ),
            (1, 1, 1, 1, 1),
            "{run:?}"
        );
        assert!(run.employments >= 1 && run.person_links == 1, "{run:?}");
        assert!(run.text().contains("purged"));
        let seq = run.audit_seq.expect("the run is audited");
        // The person, their request and DmfA rows are gone; the other CPAS's case stays.
        assert!(
            person::Entity::find_by_id(pid)
                .one(&t.db.conn)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            request::Entity::find_by_id(rid)
                .one(&t.db.conn)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            dmfa_declaration::Entity::find()
                .filter(dmfa_declaration::Column::PersonId.eq(pid))
                .count(&t.db.conn)
                .await
                .unwrap(),
            0
        );
        assert_eq!(persons(&t.db).await, 1);
        // The escalation record stays, with no way back to the case or the person.
        assert_eq!(run.escalations_unlinked, 1);
        assert!(
            escalation::Entity::find_by_id(esc)
                .one(&t.db.conn)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            escalation_link::Entity::find_by_id(esc)
                .one(&t.db.conn)
                .await
                .unwrap()
                .is_none()
        );
        // The trail is untouched: the same entries, still naming the subject by the former id
        // (a pseudonym now: nothing maps it to a NISS), plus the purge; and it verifies.
        let about_after = audit_entry::Entity::find()
            .filter(audit_entry::Column::PersonId.eq(pid))
            .order_by_asc(audit_entry::Column::Seq)
            .all(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(&about_after[..about_before.len()], &about_before[..]);
        assert!(about_after.iter().any(|e| e.action == "purge"));
        let trail = serde_json::to_string(
            &audit_entry::Entity::find()
                .all(&t.db.conn)
                .await
                .unwrap()
                .iter()
                .map(|e| (e.before.clone(), e.after.clone(), e.reason.clone()))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(!trail.contains(NISS_1), "the trail names no NISS");
        let v = audit::verify(&t.db.conn).await.unwrap();
        assert_eq!(v.first_broken, None, "{v:?}");
        let run_entry = audit_entry::Entity::find_by_id(seq)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run_entry.action, "retention_run");
        assert_eq!(run_entry.after.unwrap()["persons"], 1);
        let tomb = purged_subject::Entity::find_by_id(pid)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tomb.purged_at, t.clock_now());

        // The person's NISS may come back (a new case): it gets a new id, never the old one.
        let again = t.draft(&t.a, NISS_1).await;
        assert_ne!(again.body["person_id"].as_i64().unwrap(), pid);
        // Nothing left to purge.
        let r = retention::run(
            &t.db,
            &store,
            t.clock_now(),
            &operator(),
            &RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.persons, 0);
        t.finish().await;
    }
}

#[tokio::test]
async fn retention_setting_is_dated_and_checked() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let bad = retention::set(
            &t.db,
            t.clock_now(),
            &operator(),
            NewSetting {
                valid_from: d("2024-01-01"),
                case_months: 0,
                audit_months: 12,
                note: None,
            },
        )
        .await;
        match bad {
            Err(ServiceError::Invalid(e)) => {
                assert!(e.iter().any(|f| f.field == "case_months"), "{e:?}");
            }
            other => panic!("{other:?}"),
        }
        let short_audit = retention::set(
            &t.db,
            t.clock_now(),
            &operator(),
            NewSetting {
                valid_from: d("2024-01-01"),
                case_months: 60,
                audit_months: 12,
                note: None,
            },
        )
        .await;
        assert!(matches!(short_audit, Err(ServiceError::Invalid(_))));
        set_retention(&t).await;
        retention::set(
            &t.db,
            t.clock_now(),
            &operator(),
            NewSetting {
                valid_from: d("2027-01-01"),
                case_months: 60,
                audit_months: 120,
                note: None,
            },
        )
        .await
        .unwrap();
        let now = retention::in_force(&t.db.conn, d("2026-12-31"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.case_months, 24);
        let later = retention::in_force(&t.db.conn, d("2027-01-01"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(later.case_months, 60);
        assert!(
            retention::in_force(&t.db.conn, d("2023-12-31"))
                .await
                .unwrap()
                .is_none()
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn two_concurrent_runs_purge_each_person_once() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        set_retention(&t).await;
        for n in 0..6 {
            let r = t.draft(&t.a, &niss(n)).await;
            assert_eq!(r.status, StatusCode::CREATED);
        }
        t.clock.set(at("2027-01-01"));
        // A second connection pool to the same database stands for a second process.
        let other = match (&t.pg_schema, backend) {
            (Some(schema), Backend::Postgres) => {
                let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
                Db::connect_with(&url, Some(schema)).await.unwrap()
            }
            _ => t.db.clone(),
        };
        let opts = RunOptions {
            batch: 2,
            ..Default::default()
        };
        let now = t.clock_now();
        let store = Store::Database;
        let who = operator();
        let (a, b) = tokio::join!(
            retention::run(&t.db, &store, now, &who, &opts),
            retention::run(&other, &store, now, &who, &opts),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.persons + b.persons, 6, "{a:?} {b:?}");
        let mut all: Vec<i64> = a.subjects.iter().chain(&b.subjects).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 6);
        assert_eq!(persons(&t.db).await, 0);
        assert_eq!(audit::verify(&t.db.conn).await.unwrap().first_broken, None);
        t.finish().await;
    }
}

/// Valid NISS for people born 1995-03-10 with serials 131, 133, ...
fn niss(n: u32) -> String {
    let base = format!("950310{:03}", 131 + 2 * n);
    let check = 97 - (base.parse::<u64>().unwrap() % 97);
    format!("{base}{check:02}")
}

async fn dpo(t: &TestApp) -> Auth {
    directory::create_user(
        &t.db,
        at("2024-06-01"),
        PasswordCost::minimal_for_tests(),
        None,
        NewUser {
            username: "dpo".into(),
            password: PASSWORD.into(),
            role: Role::Dpo,
            cpas_id: None,
            office_id: None,
            federation: None,
        },
    )
    .await
    .unwrap();
    t.login("dpo").await
}

#[tokio::test]
async fn only_the_dpo_gets_the_access_export_and_it_is_audited() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let (pid, rid) = closed_case(&t, NISS_1).await;
        let other = t.draft(&t.b, NISS_2).await;
        let dpo = dpo(&t).await;
        let body = json!({"niss": NISS_1, "reason": "subject request 2024-17"});
        for (who, auth) in [
            ("worker A", &t.a.worker),
            ("officer A", &t.a.officer),
            ("worker B", &t.b.worker),
            ("administrator", &t.admin),
            ("federation SPOC", &t.fed_spoc),
            ("ONEM SPOC", &t.onem_spoc),
        ] {
            let r = t
                .call(
                    Method::POST,
                    "/api/v1/dpo/access-export",
                    auth,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        }
        let anon = t
            .call(
                Method::POST,
                "/api/v1/dpo/access-export",
                &Auth::Anonymous,
                Some(body.clone()),
            )
            .await;
        assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
        let bad = t
            .call(
                Method::POST,
                "/api/v1/dpo/access-export",
                &dpo,
                Some(json!({"niss": "123"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert_eq!(bad.body["errors"][0]["field"], "niss");

        let x = t
            .call(
                Method::POST,
                "/api/v1/dpo/access-export",
                &dpo,
                Some(body.clone()),
            )
            .await;
        assert_eq!(x.status, StatusCode::OK, "{}", x.body);
        assert_eq!(x.headers["cache-control"], "no-store");
        let b = &x.body;
        assert_eq!(b["person"]["id"], pid);
        assert_eq!(b["person"]["niss"], NISS_1);
        let reqs = b["requests"].as_array().unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0]["id"], rid);
        assert_eq!(reqs[0]["return_reason"], "C4 manquant");
        assert_eq!(b["messages"][0]["body"], "Pouvez-vous joindre le C4 ?");
        assert_eq!(b["attachments"][0]["file_name"], "c4.pdf");
        assert_eq!(b["dmfa_declarations"][0]["quarter"], "2024Q1");
        assert_eq!(b["cpas"][0]["cpas_id"], t.a.cpas);
        assert_eq!(b["cpas"][0]["last_name"], "Test");
        assert_eq!(b["dmfa_declarations"][0]["cpas_id"], t.a.cpas);
        // Nothing of the other person.
        assert!(!x.body.to_string().contains(NISS_2));
        assert!(!reqs.iter().any(|r| r["id"] == other.id()));
        // Who read or changed it: the creation, the officer's read and return, the message.
        let audit = b["audit"].as_array().unwrap();
        let has = |action: &str, entity: &str, role: &str| {
            audit
                .iter()
                .any(|e| e["action"] == action && e["entity"] == entity && e["actor_role"] == role)
        };
        assert!(has("create", "person", "cpas_worker"), "{audit:?}");
        assert!(has("create", "request", "cpas_worker"), "{audit:?}");
        assert!(has("read", "request", "onem_officer"), "{audit:?}");
        assert!(
            has("return", "request", "onem_officer")
                || audit.iter().any(|e| e["after"]["status"] == "returned"),
            "{audit:?}"
        );
        assert!(has("post_message", "message", "onem_officer"), "{audit:?}");
        assert!(
            has("upload", "attachment", "cpas_worker")
                || audit.iter().any(|e| e["entity"] == "attachment"),
            "{audit:?}"
        );
        // The export itself is audited, as the DPO, naming the person by id and not by NISS.
        let seq = b["export_audit_seq"].as_i64().unwrap();
        let e = audit_entry::Entity::find_by_id(seq)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.action, "access_export");
        assert_eq!(e.actor_role.as_deref(), Some("dpo"));
        assert_eq!(e.person_id, Some(pid));
        assert_eq!(e.reason.as_deref(), Some("subject request 2024-17"));
        assert!(!serde_json::to_string(&e.after).unwrap().contains(NISS_1));
        // A second export lists the first one.
        let x2 = t
            .call(
                Method::POST,
                "/api/v1/dpo/access-export",
                &dpo,
                Some(body.clone()),
            )
            .await;
        assert!(
            x2.body["audit"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["seq"] == seq)
        );

        // The readable page.
        let html = t
            .call_with(
                Method::POST,
                "/api/v1/dpo/access-export",
                &dpo,
                Some(body.clone()),
                &[("accept", "text/html")],
            )
            .await;
        assert_eq!(html.status, StatusCode::OK);
        assert!(
            html.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = String::from_utf8(html.bytes).unwrap();
        assert!(page.contains(NISS_1) && page.contains("Pouvez-vous joindre le C4"));
        assert!(page.contains("Who read or changed these data"));
        assert!(!page.contains("<script"));

        // Unknown NISS: nothing held, still audited.
        let none = t
            .call(
                Method::POST,
                "/api/v1/dpo/access-export",
                &dpo,
                Some(json!({"niss": niss(7)})),
            )
            .await;
        assert_eq!(none.status, StatusCode::OK, "{}", none.body);
        assert!(none.body["person"].is_null());
        let e = audit_entry::Entity::find_by_id(none.body["export_audit_seq"].as_i64().unwrap())
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((e.action.as_str(), e.person_id), ("access_export", None));

        // The DPO reads the audit trail (SPEC §9); the DPO sees no case.
        let trail = t
            .call(Method::GET, "/api/v1/audit?limit=5", &dpo, None)
            .await;
        assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
        let v = t
            .call(Method::GET, "/api/v1/audit/verify", &dpo, None)
            .await;
        assert_eq!(v.body["ok"], true, "{}", v.body);
        let case = t
            .call(Method::GET, &format!("/api/v1/requests/{rid}"), &dpo, None)
            .await;
        assert_eq!(case.status, StatusCode::NOT_FOUND);
        t.finish().await;
    }
}

#[tokio::test]
async fn serve_refuses_to_start_without_a_retention_setting_and_the_demo_records_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let cfg = |retention| art60_service::server::Config {
        database_url: url.clone(),
        bind: "127.0.0.1:0".parse().unwrap(),
        demo: false,
        attachment_dir: None,
        db_pool: 2,
        secure_cookies: false,
        notify: None,
        public_url: None,
        trust_forwarded_for: false,
        metrics_bind: None,
        metrics_token: None,
        audit_checkpoints: None,
        retention,
        dmfa_imports: 2,
        passwords_off: false,
        oidc: None,
    };
    for mode in [
        art60_service::server::RetentionMode::Run {
            every: std::time::Duration::from_secs(3600),
        },
        art60_service::server::RetentionMode::RequireOnly,
    ] {
        let r = art60_service::server::run(cfg(mode), |_, _| panic!("must not listen")).await;
        assert!(
            matches!(r, Err(art60_service::server::ServerError::RetentionNotSet)),
            "{r:?}"
        );
    }
    for backend in backends() {
        let t = TestApp::new(backend).await;
        assert!(
            retention::in_force(&t.db.conn, d("2024-06-10"))
                .await
                .unwrap()
                .is_none()
        );
        art60_service::server::seed_on_start(
            &t.db,
            true,
            t.clock_now(),
            PasswordCost::minimal_for_tests(),
        )
        .await
        .unwrap();
        let s = retention::in_force(&t.db.conn, d("2024-06-10"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((s.case_months, s.audit_months), (60, 120));
        // A second demo start records no second setting.
        art60_service::server::seed_on_start(
            &t.db,
            true,
            t.clock_now(),
            PasswordCost::minimal_for_tests(),
        )
        .await
        .unwrap();
        assert_eq!(retention::list(&t.db.conn).await.unwrap().len(), 1);
        t.finish().await;
    }
}

#[tokio::test]
async fn purged_attachment_files_leave_the_attachment_directory() {
    for backend in backends() {
        let mut t = TestApp::new(backend).await;
        let files = tempfile::tempdir().unwrap();
        let store = Store::Directory(files.path().to_owned());
        t.app = art60_service::api::router(art60_service::api::AppState {
            db: t.db.clone(),
            clock: t.clock.clone(),
            store: store.clone(),
            password_cost: PasswordCost::minimal_for_tests(),
            metrics: None,
            settings: Default::default(),
        });
        set_retention(&t).await;
        let r = t.draft(&t.a, NISS_1).await;
        let att = t.upload(&t.a.worker, r.id(), "c4.pdf", PDF).await;
        assert_eq!(att.status, StatusCode::CREATED, "{}", att.body);
        let path = files.path().join(att.body["sha256"].as_str().unwrap());
        assert!(path.exists());
        t.clock.set(at("2027-01-01"));
        let run = retention::run(
            &t.db,
            &store,
            t.clock_now(),
            &operator(),
            &RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!((run.attachments, run.attachment_files), (1, 1), "{run:?}");
        assert!(!path.exists());
        t.finish().await;
    }
}

/// A retention run at the test clock's time (attachments in the database).
async fn run_now(t: &TestApp, dry_run: bool) -> retention::Report {
    retention::run(
        &t.db,
        &Store::Database,
        t.clock_now(),
        &operator(),
        &RunOptions {
            dry_run,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Issue 14 §5: the audit trail keeps its own period. Entries past it are removed from the
/// chain's start up to the latest signed checkpoint past the period (before, they were only
/// counted); the chain verifies from there, and with the key the start is vouched for. A
/// start moved by hand (more entries deleted, `audit_base` rewritten to fit) is caught.
#[tokio::test]
async fn audit_entries_past_their_period_leave_the_chain_from_a_signed_checkpoint() {
    use art60_service::audit_checkpoint::{self, CheckpointKey};
    use art60_service::db::audit_base;
    for backend in backends() {
        let t = TestApp::new(backend).await;
        retention::set(
            &t.db,
            at("2024-06-01"),
            &operator(),
            NewSetting {
                valid_from: d("2024-01-01"),
                case_months: 24,
                audit_months: 36,
                note: None,
            },
        )
        .await
        .unwrap();
        // 2024: some activity, then a checkpoint of the head, then more activity.
        t.draft(&t.a, NISS_1).await;
        let key = CheckpointKey::generate();
        let cp = audit_checkpoint::write(&t.db, t.clock_now(), &key, None)
            .await
            .unwrap()
            .unwrap();
        t.draft(&t.a, NISS_2).await;

        // Two years on, nothing is past 36 months: nothing leaves (the drafts' content may).
        t.clock.set(at("2026-06-10"));
        let r = run_now(&t, false).await;
        assert_eq!((r.audit_entries_removed, r.audit_base_seq), (0, None));
        // A server writing checkpoints often: many recent ones after the old one must not
        // hide it from the cut.
        for _ in 0..70 {
            let tx = t.db.begin_write().await.unwrap();
            audit::append(
                &tx.txn,
                t.clock_now(),
                &operator(),
                audit::Event {
                    action: "test",
                    entity: "test",
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            audit_checkpoint::write(&t.db, t.clock_now(), &key, None)
                .await
                .unwrap()
                .unwrap();
        }
        let total = audit_entry::Entity::find().count(&t.db.conn).await.unwrap() as i64;
        assert!(total > cp.seq);

        // Four years on: everything up to the checkpoint leaves; the rest is past the period
        // too but no checkpoint covers it yet, so it stays (counted).
        t.clock.set(at("2028-07-01"));
        let dry = run_now(&t, true).await;
        assert_eq!(dry.audit_entries_removed, cp.seq as u64, "{dry:?}");
        assert_eq!(
            audit_entry::Entity::find().count(&t.db.conn).await.unwrap() as i64,
            total,
            "a dry run removes nothing"
        );
        let r = run_now(&t, false).await;
        assert_eq!(r.audit_entries_removed, cp.seq as u64, "{r:?}");
        assert_eq!(r.audit_base_seq, Some(cp.seq));
        // Past the period (before 2025-07-01) but after the checkpoint: the 2024 drafts, not
        // the 2026 run's own entry.
        let uncovered = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gt(cp.seq))
            .filter(audit_entry::Column::At.lt(at("2025-07-01")))
            .count(&t.db.conn)
            .await
            .unwrap();
        assert!(uncovered > 0);
        assert_eq!(r.audit_entries_past_period, uncovered);
        let first = audit_entry::Entity::find()
            .order_by_asc(audit_entry::Column::Seq)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.seq, cp.seq + 1);
        let v = audit::verify(&t.db.conn).await.unwrap();
        assert!(v.first_broken.is_none(), "{v:?}");
        let base = v.base.clone().unwrap();
        assert_eq!((base.seq, base.hash.as_str()), (cp.seq, cp.hash.as_str()));
        // The run itself (its purges, then the run) is recorded after the remaining entries.
        assert!(v.last_seq() > total, "{v:?}");
        assert_eq!(
            v.entries as u64,
            audit_entry::Entity::find().count(&t.db.conn).await.unwrap()
        );
        assert!(
            audit_checkpoint::base_vouched(&t.db, &key.public_key(), &[], &base)
                .await
                .unwrap()
        );
        let other = CheckpointKey::generate();
        assert!(
            !audit_checkpoint::base_vouched(&t.db, &other.public_key(), &[], &base)
                .await
                .unwrap(),
            "another key vouches for nothing"
        );

        // Someone deletes two more entries and rewrites the base to fit the next one: the
        // chain still links up, but no signed checkpoint names that start.
        let gone = cp.seq + 2;
        audit_entry::Entity::delete_many()
            .filter(audit_entry::Column::Seq.lte(gone))
            .exec(&t.db.conn)
            .await
            .unwrap();
        let next = audit_entry::Entity::find_by_id(gone + 1)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        audit_base::ActiveModel {
            id: Set(1),
            seq: Set(gone),
            hash: Set(next.prev_hash.clone()),
            at: Set(next.at),
            cut_at: Set(t.clock_now()),
        }
        .update(&t.db.conn)
        .await
        .unwrap();
        let forged = audit::verify(&t.db.conn).await.unwrap();
        assert!(forged.first_broken.is_none(), "the links alone cannot tell");
        assert!(
            !audit_checkpoint::base_vouched(
                &t.db,
                &key.public_key(),
                &[],
                forged.base.as_ref().unwrap()
            )
            .await
            .unwrap(),
            "the forged start is not vouched for"
        );
        t.finish().await;
    }
}
