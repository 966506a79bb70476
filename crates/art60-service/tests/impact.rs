#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reform impact (issue 15): stored requests recomputed under a proposal, beside the answer
//! they hold; read-only, audited, within the runner's scope. SQLite always; PostgreSQL when
//! ART60_TEST_DATABASE_URL is set.

mod common;

use art60_rules::params::ParamSet;
use art60_service::db::{NotificationKind, Status, audit_entry, notification, request, user};
use art60_service::impact::{self, Change, ImpactRow, Runner, Scenario, Selection};
use art60_service::{Clock, audit};
use axum::http::{Method, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

/// From 2027: 234 days in 24 months at every age (a made-up reform for the test).
const SHORTER: &str = r#"
id = "test-reform"
[[stage]]
from = "2027-01-01"
reference = "Projet de loi (test)"
older_bands_allowed = false
art33_extra_months = 0
bands = [{ min_age = 0, days = 234, months = 24 }]
prior_admission_cutoff = true
"#;

/// A sent request of `org` for a full-time contract from `start`, with its computed answer.
async fn sent(t: &TestApp, org: &Org, niss: &str, start: &str) -> i64 {
    let (_, _, r) = t
        .draft_of(
            org,
            json!({"niss": niss, "last_name": "Test", "first_name": "Person", "birth_date": "1995-03-10"}),
            start,
            None,
        )
        .await;
    let s = t.act(&org.worker, r.id(), "send", &r.etag(), None).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert!(s.body["end_date"].is_string(), "{}", s.body);
    r.id()
}

async fn actor_of(t: &TestApp, username: &str) -> art60_service::auth::Actor {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&t.db.conn)
        .await
        .unwrap()
        .unwrap();
    art60_service::auth::Actor::from_user(&u)
}

fn scenario(t: &TestApp, proposal: Option<&str>) -> Scenario {
    let (params, proposal) = match proposal {
        Some(text) => {
            let a = art60_rules::proposal::apply(ParamSet::embedded(), text).unwrap();
            (a.params, Some(a.summary))
        }
        None => (ParamSet::embedded().clone(), None),
    };
    Scenario {
        params,
        proposal,
        option_overrides: vec![],
        as_of: t.clock.today_brussels(),
    }
}

async fn rows(t: &TestApp, runner: Runner<'_>, s: &Scenario) -> (Vec<ImpactRow>, impact::Summary) {
    let mut out = Vec::new();
    let summary = impact::run(
        &t.db,
        t.clock.now(),
        runner,
        &Selection::default(),
        s,
        |r| {
            out.push(r.clone());
            Ok(())
        },
    )
    .await
    .unwrap();
    (out, summary)
}

#[tokio::test]
async fn a_proposal_shows_who_ends_earlier_and_why() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2026-11-02"));
        // DA in 2027 (the proposal applies) for one; an early contract whose DA stays in 2026
        // would not move, but under the 2026 rules every DA after the start is in 2027 here.
        let a1 = sent(&t, &t.a, NISS_1, "2026-12-01").await;
        let b1 = sent(&t, &t.b, NISS_2, "2026-12-01").await;
        let versions: Vec<i32> = request::Entity::find()
            .all(&t.db.conn)
            .await
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();

        // Today's rules: nothing moves.
        let (same, summary) = rows(&t, Runner::Operator, &scenario(&t, None)).await;
        assert_eq!(same.len(), 2);
        assert!(
            same.iter().all(|r| r.change == Change::Unchanged),
            "{same:?}"
        );
        assert!(
            same.iter().all(|r| r.first_difference.is_none()),
            "{same:?}"
        );
        assert_eq!(summary.total.unchanged, 2);

        // The proposal: 234 days instead of 312, both end earlier, by the same working days.
        let (moved, summary) = rows(&t, Runner::Operator, &scenario(&t, Some(SHORTER))).await;
        let r = moved.iter().find(|r| r.request_id == a1).unwrap();
        assert_eq!(r.change, Change::Earlier, "{r:?}");
        assert_eq!(r.before.requirement, Some(312));
        assert_eq!(r.after.as_ref().unwrap().requirement, Some(234));
        let (before, after) = (
            r.before.end_date.unwrap(),
            r.after.as_ref().unwrap().end_date.unwrap(),
        );
        assert!(after < before, "{r:?}");
        assert_eq!(r.diff_days, Some((after - before).num_days()));
        assert!(r.diff_working_days.unwrap() < 0, "{r:?}");
        assert_eq!(
            r.after.as_ref().unwrap().first_benefit_date,
            after.succ_opt(),
            "the DA follows the end"
        );
        // The first step of the explanation that differs names the cause.
        let key = r.first_difference.as_deref().unwrap();
        assert!(!key.is_empty() && key != "outcome", "{key}");
        assert_eq!(summary.total.earlier, 2);
        assert_eq!(summary.by_cpas.len(), 2);
        assert_eq!(summary.by_cpas[&t.a.cpas].earlier, 1);
        assert_eq!(
            summary.total.working_days_saved,
            -moved
                .iter()
                .map(|r| r.diff_working_days.unwrap())
                .sum::<i64>()
        );

        // A CPAS worker sees their own CPAS's requests only.
        let worker = actor_of(&t, "worker.namur").await;
        let (own, _) = rows(&t, Runner::User(&worker), &scenario(&t, Some(SHORTER))).await;
        assert_eq!(own.iter().map(|r| r.request_id).collect::<Vec<_>>(), [a1]);
        assert_ne!(a1, b1);

        // A rule ended without successor: not computable, with the reason.
        let ended =
            "[[end]]\nkey = \"stage\"\non = \"2026-12-31\"\nreference = \"Abrogation (test)\"\n";
        let (gone, summary) = rows(&t, Runner::Operator, &scenario(&t, Some(ended))).await;
        assert!(
            gone.iter().all(|r| r.change == Change::NotComputable),
            "{gone:?}"
        );
        assert!(
            gone[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("no rule in force for stage"),
            "{gone:?}"
        );
        assert_eq!(summary.total.not_computable, 2);

        // Read-only: no request changed; each run is audited with its proposal.
        let after_versions: Vec<i32> = request::Entity::find()
            .all(&t.db.conn)
            .await
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, after_versions);
        let runs = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("impact_run"))
            .order_by_asc(audit_entry::Column::Seq)
            .all(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(runs.len(), 4, "one entry per run");
        let text = serde_json::to_string(&runs[1].after).unwrap();
        assert!(text.contains("test-reform"), "{text}");
        assert_eq!(runs[1].actor_role.as_deref(), Some("operator"));
        assert_eq!(runs[2].actor_role.as_deref(), Some("cpas_worker"));
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

#[tokio::test]
async fn other_roles_and_bad_options_are_refused() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let mut s = scenario(&t, None);
        s.option_overrides = vec!["quarter_cap_method=sideways".into()];
        let e = impact::run(
            &t.db,
            t.clock.now(),
            Runner::Operator,
            &Selection::default(),
            &s,
            |_| Ok(()),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("invalid"), "{e}");
        let spoc = actor_of(&t, "fed.spoc").await;
        let e = impact::run(
            &t.db,
            t.clock.now(),
            Runner::User(&spoc),
            &Selection {
                statuses: vec![Status::Sent],
                ..Selection::default()
            },
            &scenario(&t, None),
            |_| Ok(()),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, art60_service::ServiceError::Forbidden(_)),
            "{e}"
        );
        t.finish().await;
    }
}

/// The demo data holds contracts sized before the 2026 reform (468 days, old rules) that
/// today's rules shorten: the impact shows them, with the requirement and regime that moved.
#[tokio::test]
async fn the_demo_shows_contracts_the_2026_reform_shortens() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        // A second, empty database of the same kind for the demo's own directory.
        let dir = tempfile::tempdir().unwrap();
        let (db, schema) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
                (art60_service::Db::connect(&url).await.unwrap(), None)
            }
            Backend::Postgres => {
                let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
                let schema = format!("demo_{}", std::process::id());
                let admin = art60_service::Db::connect_raw(&url).await.unwrap();
                sea_orm::ConnectionTrait::execute_unprepared(
                    &admin,
                    &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
                )
                .await
                .unwrap();
                (
                    art60_service::Db::connect_with(&url, Some(&schema))
                        .await
                        .unwrap(),
                    Some((admin, schema)),
                )
            }
        };
        let now = at("2026-11-20");
        art60_service::demo::seed(
            &db,
            now,
            art60_service::auth::PasswordCost::minimal_for_tests(),
        )
        .await
        .unwrap();
        let s = Scenario {
            params: ParamSet::embedded().clone(),
            proposal: None,
            option_overrides: vec![],
            as_of: now.date_naive(),
        };
        let mut all = Vec::new();
        impact::run(&db, now, Runner::Operator, &Selection::default(), &s, |r| {
            all.push(r.clone());
            Ok(())
        })
        .await
        .unwrap();
        let moved: Vec<_> = all.iter().filter(|r| r.change == Change::Earlier).collect();
        assert_eq!(moved.len(), 3, "{all:#?}");
        for r in &moved {
            assert_eq!(r.before.regime.as_deref(), Some("old"), "{r:?}");
            assert_eq!(r.before.requirement, Some(468), "{r:?}");
            assert_eq!(
                r.after.as_ref().unwrap().regime.as_deref(),
                Some("new"),
                "{r:?}"
            );
            assert_eq!(r.after.as_ref().unwrap().requirement, Some(312), "{r:?}");
            assert!(r.diff_working_days.unwrap() < -20, "{r:?}");
        }
        if let Some((admin, schema)) = schema {
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("DROP SCHEMA {schema} CASCADE"),
            )
            .await
            .unwrap();
        }
        t.finish().await;
    }
}

/// Issue 15 §2: the API stores a run; its creator reads it again (filters, CSV); others get 404.
#[tokio::test]
async fn api_runs_are_stored_filtered_and_read_by_their_creator_only() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2026-11-02"));
        let a1 = sent(&t, &t.a, NISS_1, "2026-12-01").await;
        sent(&t, &t.b, NISS_2, "2026-12-01").await;
        // Sessions opened before the clock moved have expired; tokens (the workers') have not.
        let (admin, spoc, officer) = (
            t.login("admin").await,
            t.login("onem.spoc").await,
            t.login("officer.namur").await,
        );
        let fed = t.login("fed.spoc").await;

        let r = t
            .call(
                Method::POST,
                "/api/v1/impact-runs",
                &t.a.worker,
                Some(json!({"proposal": SHORTER})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.id();
        assert_eq!(
            r.headers["location"].to_str().unwrap(),
            format!("/api/v1/impact-runs/{id}")
        );
        // The worker's own CPAS only.
        assert_eq!(r.body["summary"]["requests"], 1, "{}", r.body);
        assert_eq!(r.body["summary"]["total"]["earlier"], 1);
        assert_eq!(r.body["proposal"]["id"], "test-reform");
        assert!(
            r.body.get("rows").is_none(),
            "the answer to POST is the summary"
        );

        let path = format!("/api/v1/impact-runs/{id}");
        let g = t.call(Method::GET, &path, &t.a.worker, None).await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.body);
        let rows = g.body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["request_id"], a1);
        assert_eq!(rows[0]["change"], "earlier");
        assert!(!g.body.to_string().contains(NISS_1));
        let none = t
            .call(
                Method::GET,
                &format!("{path}?change=unchanged"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(none.body["rows"].as_array().unwrap().len(), 0);
        let other_cpas = t
            .call(
                Method::GET,
                &format!("{path}?change=earlier&cpas_id={}", t.b.cpas),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(other_cpas.body["rows"].as_array().unwrap().len(), 0);
        assert_eq!(
            other_cpas.body["summary"]["total"]["earlier"], 1,
            "filters narrow the rows, not the summary"
        );

        // CSV: by ?format=csv or by Accept.
        for (p, h) in [
            (format!("{path}?format=csv"), vec![]),
            (path.clone(), vec![("accept", "text/csv")]),
        ] {
            let c = t.call_with(Method::GET, &p, &t.a.worker, None, &h).await;
            assert_eq!(c.status, StatusCode::OK);
            assert!(
                c.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            let text = String::from_utf8(c.bytes.clone()).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 2, "{text}");
            assert!(lines[0].starts_with("reference,request_id,"), "{text}");
            assert!(lines[1].contains(",earlier,"), "{text}");
        }
        let bad = t
            .call(
                Method::GET,
                &format!("{path}?format=xml"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        // Another user's run is unknown to them, whatever their role.
        for who in [&t.b.worker, &admin, &spoc, &officer] {
            let o = t.call(Method::GET, &path, who, None).await;
            assert_eq!(o.status, StatusCode::NOT_FOUND, "{}", o.body);
        }
        let list = t
            .call(Method::GET, "/api/v1/impact-runs", &t.a.worker, None)
            .await;
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        let list = t
            .call(Method::GET, "/api/v1/impact-runs", &t.b.worker, None)
            .await;
        assert_eq!(list.body.as_array().unwrap().len(), 0);

        // Officer, ONEM SPOC and administrator may run; the SPOC and the administrator see all.
        for (who, n) in [(&officer, 1), (&spoc, 2), (&admin, 2)] {
            let r = t
                .call(Method::POST, "/api/v1/impact-runs", who, Some(json!({})))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!(r.body["summary"]["requests"], n, "{}", r.body);
            assert_eq!(r.body["summary"]["total"]["unchanged"], n);
        }
        let f = t
            .call(Method::POST, "/api/v1/impact-runs", &fed, Some(json!({})))
            .await;
        assert_eq!(f.status, StatusCode::FORBIDDEN, "{}", f.body);
        t.finish().await;
    }
}

/// A bad proposal names its path under `proposal`; a bad option `options`; nothing stored.
#[tokio::test]
async fn api_bad_proposals_and_options_are_422_with_their_field() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let cases = [
            (
                json!({"proposal": SHORTER.replace("days = 234", "days = \"many\"")}),
                "proposal.stage[0].bands[0].days",
            ),
            (
                json!({"proposal": SHORTER.replace("prior_admission_cutoff = true", "prior_admission_cutoff = true\nmood = 1")}),
                "proposal.stage[0].mood",
            ),
            (json!({"proposal": "stage = ["}), "proposal"),
            (
                json!({"options": ["quarter_cap_method=sideways"]}),
                "options",
            ),
            (json!({"statuses": []}), "statuses"),
            (json!({"statuses": ["lost"]}), "statuses[0]"),
            (json!({"colour": "red"}), "colour"),
        ];
        for (body, field) in cases {
            let r = t
                .call(
                    Method::POST,
                    "/api/v1/impact-runs",
                    &t.a.worker,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                r.body
            );
            assert_eq!(
                r.headers["content-type"].to_str().unwrap(),
                "application/problem+json"
            );
            let fields: Vec<&str> = r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(
                fields.iter().any(|f| f.starts_with(field)),
                "{body}: {fields:?} (wanted {field})"
            );
        }
        let list = t
            .call(Method::GET, "/api/v1/impact-runs", &t.a.worker, None)
            .await;
        assert_eq!(list.body.as_array().unwrap().len(), 0);
        t.finish().await;
    }
}

/// From a run, an officer invites the CPAS of each request that ends earlier to ask a second
/// calculation: once per request and run, with the reference and dates only.
#[tokio::test]
async fn notifying_from_a_run_happens_once_per_request_and_run() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2026-11-02"));
        let a1 = sent(&t, &t.a, NISS_1, "2026-12-01").await;
        let b1 = sent(&t, &t.b, NISS_2, "2026-12-01").await;
        let (officer, spoc) = (t.login("officer.namur").await, t.login("onem.spoc").await);
        let reform_rows = || async {
            notification::Entity::find()
                .filter(notification::Column::Kind.eq(NotificationKind::ReformImpact))
                .all(&t.db.conn)
                .await
                .unwrap()
        };

        let run = t
            .call(
                Method::POST,
                "/api/v1/impact-runs",
                &officer,
                Some(json!({"proposal": SHORTER})),
            )
            .await;
        assert_eq!(run.status, StatusCode::CREATED, "{}", run.body);
        let path = format!("/api/v1/impact-runs/{}/notifications", run.id());
        let n = t.call(Method::POST, &path, &officer, None).await;
        assert_eq!(n.status, StatusCode::OK, "{}", n.body);
        assert_eq!(n.body["notified"], 1, "{}", n.body);
        let first = reform_rows().await;
        assert!(!first.is_empty());
        assert!(first.iter().all(|r| r.request_id == a1), "{first:?}");
        let payload = first[0].payload.to_string();
        for secret in [NISS_1, "Test", "Person"] {
            assert!(!payload.contains(secret), "{payload}");
        }
        let row = &first[0].payload;
        let end: chrono::NaiveDate = row["end"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            row["from"].as_str().unwrap(),
            (end - chrono::Duration::days(30)).to_string()
        );
        assert_eq!(
            row["until"].as_str().unwrap(),
            (end - chrono::Duration::days(15)).to_string()
        );
        assert!(row["reference"].is_string());

        // A second click sends nothing new.
        let again = t.call(Method::POST, &path, &officer, None).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.body["notified"], 0, "{}", again.body);
        assert_eq!(again.body["already"], 1, "{}", again.body);
        assert_eq!(reform_rows().await.len(), first.len());

        // Only officers and the ONEM SPOC notify, from their own runs.
        let w = t
            .call(
                Method::POST,
                "/api/v1/impact-runs",
                &t.a.worker,
                Some(json!({"proposal": SHORTER})),
            )
            .await;
        let refused = t
            .call(
                Method::POST,
                &format!("/api/v1/impact-runs/{}/notifications", w.id()),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        let theirs = t.call(Method::POST, &path, &spoc, None).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);

        // The SPOC's own run reaches both CPAS; a1 again (another run), b1 for the first time.
        let s = t
            .call(
                Method::POST,
                "/api/v1/impact-runs",
                &spoc,
                Some(json!({"proposal": SHORTER})),
            )
            .await;
        let n = t
            .call(
                Method::POST,
                &format!("/api/v1/impact-runs/{}/notifications", s.id()),
                &spoc,
                None,
            )
            .await;
        assert_eq!(n.body["notified"], 2, "{}", n.body);
        assert!(reform_rows().await.iter().any(|r| r.request_id == b1));
        let audited = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("impact_notify"))
            .all(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(audited.len(), 3);
        t.finish().await;
    }
}
