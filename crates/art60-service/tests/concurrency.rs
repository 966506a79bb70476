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
use sea_orm::{EntityTrait, PaginatorTrait};
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
