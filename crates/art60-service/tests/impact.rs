#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reform impact (issue 15): stored requests recomputed under a proposal, beside the answer
//! they hold; read-only, audited, within the runner's scope. SQLite always; PostgreSQL when
//! ART60_TEST_DATABASE_URL is set.

mod common;

use art60_rules::params::ParamSet;
use art60_service::db::{Status, audit_entry, request, user};
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
    let p = t
        .call(
            Method::POST,
            "/api/v1/persons",
            &org.worker,
            Some(json!({"niss": niss, "last_name": "Test", "first_name": "Person", "birth_date": "1995-03-10"})),
        )
        .await;
    assert!(p.status.is_success(), "{}", p.body);
    let e = t
        .call(
            Method::POST,
            "/api/v1/employments",
            &org.worker,
            Some(json!({"person_id": p.id(), "contract_start": start})),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
    let r = t
        .call(
            Method::POST,
            "/api/v1/requests",
            &org.worker,
            Some(new_request(e.id(), start)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
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
