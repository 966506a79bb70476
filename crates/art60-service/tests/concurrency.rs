#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Concurrent writers keep the audit chain intact: many audited reads at once through one
//! process, and on PostgreSQL through two independent "processes" (separate pools and
//! routers on the same database), as behind a load balancer.

mod common;

use std::sync::Arc;

use art60_service::Db;
use art60_service::api::{self, AppState};
use art60_service::attachments::Store;
use art60_service::auth::PasswordCost;
use art60_service::db::audit_entry;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tower::ServiceExt;

const READS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_audited_reads_keep_the_chain() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let r = t.draft(&t.a, NISS_1).await;
        let mut apps = vec![t.app.clone()];
        if backend == Backend::Postgres {
            let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
            let db2 = Db::connect_with(&url, t.pg_schema.as_deref())
                .await
                .unwrap();
            apps.push(api::router(AppState {
                db: db2,
                clock: t.clock.clone(),
                store: Store::Database,
                password_cost: PasswordCost::minimal_for_tests(),
                metrics: None,
                settings: Default::default(),
            }));
        }
        let before = audit_entry::Entity::find().count(&t.db.conn).await.unwrap();
        let Auth::Token(token) = &t.a.worker else {
            panic!("worker uses a token")
        };
        let token = Arc::new(token.clone());
        let mut tasks = Vec::new();
        for i in 0..READS {
            let app = apps[i % apps.len()].clone();
            let token = token.clone();
            let id = r.id();
            tasks.push(tokio::spawn(async move {
                let req = Request::get(format!("/api/v1/requests/{id}"))
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap();
                app.oneshot(req).await.unwrap().status()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), StatusCode::OK);
        }
        let after = audit_entry::Entity::find().count(&t.db.conn).await.unwrap();
        assert_eq!(after - before, READS as u64);
        let v = art60_service::audit::verify(&t.db.conn).await.unwrap();
        assert!(v.first_broken.is_none(), "{v:?}");
        t.finish().await;
    }
}

/// Issue 14 §2: two `serve --demo` starting together on one empty PostgreSQL database; one
/// failed on a unique key. Now one seeds, the other finds the data (and resets the demo
/// passwords), and both start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_demo_starts_on_one_empty_database_both_succeed() {
    let Ok(url) = std::env::var("ART60_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: PostgreSQL only (ART60_TEST_DATABASE_URL not set)");
        return;
    };
    let schema = format!(
        "t_{}",
        art60_service::auth::random_secret("")
            .to_lowercase()
            .replace(['-', '_'], "")
            .chars()
            .take(16)
            .collect::<String>()
    );
    let admin = Db::connect_raw(&url).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (url, schema) = (url.clone(), schema.clone());
        tasks.push(tokio::spawn(async move {
            let db = Db::connect_with(&url, Some(&schema)).await.unwrap();
            art60_service::server::seed_on_start(
                &db,
                true,
                chrono::Utc::now(),
                PasswordCost::minimal_for_tests(),
            )
            .await
            .map(|creds| creds.len())
        }));
    }
    for t in tasks {
        let seeded = t.await.unwrap().expect("a demo start failed");
        assert!(seeded > 0);
    }
    let db = Db::connect_with(&url, Some(&schema)).await.unwrap();
    let users = art60_service::db::user::Entity::find()
        .count(&db.conn)
        .await
        .unwrap();
    let admins = art60_service::db::user::Entity::find()
        .filter(art60_service::db::user::Column::Username.eq("admin"))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(admins, 1, "{users} users");
    assert!(
        art60_service::audit::verify(&db.conn)
            .await
            .unwrap()
            .first_broken
            .is_none()
    );
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
