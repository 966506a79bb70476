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
use art60_service::db::{audit_entry, user};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use tower::ServiceExt;

const READS: usize = 40;

/// The application as one process serves it and, on PostgreSQL, a second "process" (its own
/// pool and router on the same database), as behind a load balancer.
async fn processes(t: &TestApp) -> Vec<axum::Router> {
    let mut apps = vec![t.app.clone()];
    if t.backend == Backend::Postgres {
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
    apps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_audited_reads_keep_the_chain() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let r = t.draft(&t.a, NISS_1).await;
        let apps = processes(&t).await;
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

fn act_request(
    auth: &Auth,
    id: i64,
    action: &str,
    etag: &str,
    body: serde_json::Value,
) -> Request<Body> {
    let mut b = Request::post(format!("/api/v1/requests/{id}/{action}"))
        .header("if-match", etag)
        .header("content-type", "application/json");
    match auth {
        Auth::Session { cookie, csrf } => {
            b = b.header("cookie", cookie).header("x-csrf-token", csrf);
        }
        Auth::Token(t) => b = b.header("authorization", format!("Bearer {t}")),
        Auth::Anonymous => {}
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// Issue 14 §2: three sent requests of one employment decided at the same moment all became
/// `calculated`, past the limit of two (the count was read before the write transaction).
/// Through one process and, on PostgreSQL, through two (separate pools), as behind a load
/// balancer: exactly two decisions win, the third is refused with `calculation_limit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_do_not_pass_the_calculation_limit() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let first = t.draft(&t.a, NISS_1).await;
        let employment = first.body["employment_id"].as_i64().unwrap();
        let mut drafts = vec![(first.id(), first.etag())];
        for _ in 0..2 {
            let r = t
                .call(
                    axum::http::Method::POST,
                    "/api/v1/requests",
                    &t.a.worker,
                    Some(new_request(employment, "2024-07-01")),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            drafts.push((r.id(), r.etag()));
        }
        let mut sent = Vec::new();
        for (id, etag) in drafts {
            let s = t.act(&t.a.worker, id, "send", &etag, None).await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.body);
            sent.push((s.id(), s.etag()));
        }
        let apps = processes(&t).await;
        let mut tasks = Vec::new();
        for (i, (id, etag)) in sent.iter().enumerate() {
            let app = apps[i % apps.len()].clone();
            let req = act_request(
                &t.a.officer,
                *id,
                "decide",
                etag,
                serde_json::json!({"decision": "confirm"}),
            );
            tasks.push(tokio::spawn(async move {
                let resp = app.oneshot(req).await.unwrap();
                let status = resp.status();
                let body = http_body_util::BodyExt::collect(resp.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            }));
        }
        let mut ok = 0;
        let mut refused = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT if body.contains("calculation_limit") => refused += 1,
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!((ok, refused), (2, 1));
        let calculated = art60_service::db::request::Entity::find()
            .filter(art60_service::db::request::Column::EmploymentId.eq(employment))
            .filter(
                art60_service::db::request::Column::Status
                    .eq(art60_service::db::Status::Calculated),
            )
            .count(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(calculated, 2);
        t.finish().await;
    }
}

/// Issue 14 §2: the same NISS created by two CPAS at once gave 500 (`persons_niss_key`) and
/// left the losing CPAS unlinked. Now both succeed, one person exists, both CPAS follow it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_niss_registered_by_two_cpas_at_once() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let apps = processes(&t).await;
        // Twelve people, each registered by both CPAS at the same moment.
        let niss_of = |serial: u32| {
            let base = 950_310_000u64 + u64::from(serial);
            format!("{base:09}{:02}", 97 - base % 97)
        };
        let mut tasks = Vec::new();
        for serial in 201..213 {
            let body = serde_json::json!({"niss": niss_of(serial), "last_name": "Test", "first_name": "Person", "birth_date": "1995-03-10"});
            for (i, auth) in [t.a.worker.clone(), t.b.worker.clone()]
                .into_iter()
                .enumerate()
            {
                let app = apps[i % apps.len()].clone();
                let mut b =
                    Request::post("/api/v1/persons").header("content-type", "application/json");
                match &auth {
                    Auth::Session { cookie, csrf } => {
                        b = b.header("cookie", cookie).header("x-csrf-token", csrf);
                    }
                    Auth::Token(tok) => b = b.header("authorization", format!("Bearer {tok}")),
                    Auth::Anonymous => {}
                }
                let req = b.body(Body::from(body.to_string())).unwrap();
                tasks.push(tokio::spawn(async move {
                    app.oneshot(req).await.unwrap().status()
                }));
            }
        }
        for task in tasks {
            let status = task.await.unwrap();
            assert!(status.is_success(), "{status}");
        }
        for serial in 201..213 {
            let persons = art60_service::db::person::Entity::find()
                .filter(art60_service::db::person::Column::Niss.eq(niss_of(serial)))
                .all(&t.db.conn)
                .await
                .unwrap();
            assert_eq!(persons.len(), 1);
            let links = art60_service::db::person_link::Entity::find()
                .filter(art60_service::db::person_link::Column::PersonId.eq(persons[0].id))
                .count(&t.db.conn)
                .await
                .unwrap();
            assert_eq!(links, 2, "serial {serial}");
        }
        t.finish().await;
    }
}

/// Issue 14 §3, found by schemathesis: concurrent retries with one Idempotency-Key whose
/// first request is refused. The refusal releases the key; a retry that lost the race for it
/// then found no record and answered 500 ("idempotency record vanished"). Now it reserves the
/// key again: every answer is the refusal (403) or "in progress" (409), never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_of_a_refused_creation_with_one_idempotency_key_never_fail_with_500() {
    const CALLS: usize = 60;
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let apps = processes(&t).await;
        let Auth::Token(token) = &t.a.worker else {
            panic!("worker uses a token")
        };
        let token = Arc::new(token.clone());
        let mut tasks = Vec::new();
        for i in 0..CALLS {
            let app = apps[i % apps.len()].clone();
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                // A CPAS worker may not create accounts: the first request is refused.
                let req = Request::post("/api/v1/users")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .header("idempotency-key", "same-key")
                    .body(Body::from(
                        r#"{"username":"x","password":"correct horse battery staple","role":"administrator"}"#,
                    ))
                    .unwrap();
                app.oneshot(req).await.unwrap().status()
            }));
        }
        let mut seen = std::collections::BTreeMap::new();
        for task in tasks {
            *seen.entry(task.await.unwrap().as_u16()).or_insert(0) += 1;
        }
        assert!(
            seen.keys().all(|s| [403, 409].contains(s)),
            "{backend:?}: {seen:?}"
        );
        t.finish().await;
    }
}

fn event(action: &'static str) -> art60_service::audit::Event {
    art60_service::audit::Event {
        action,
        entity: "test",
        ..Default::default()
    }
}

/// Issue 16 §1: an audited write no longer holds the chain's head until its commit. Before,
/// `audit::append` locked the `audit_head` row in the writer's transaction, so a second
/// writer's append waited for the first one's commit (every audited write of the service in
/// one queue). Now the second commits, and is chained, while the first is still open; the
/// first is chained after it. PostgreSQL only (SQLite has one writer at a time anyway).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_open_audited_transaction_does_not_hold_up_another_one() {
    let Some(t) = on_postgres().await else {
        return;
    };
    let who = art60_service::audit::Who::default();
    let now = t.clock_now();
    let first = t.db.begin_write().await.unwrap();
    art60_service::audit::append(&first.txn, now, &who, event("first"))
        .await
        .unwrap();
    // The timeout only turns the old behaviour (waiting forever on the row lock) into a
    // failure; the second write takes milliseconds.
    let second = async {
        let tx = t.db.begin_write().await.unwrap();
        art60_service::audit::append(&tx.txn, now, &who, event("second"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), second)
        .await
        .expect("the second audited write waited for the first one's commit");
    first.commit().await.unwrap();
    let actions = chained_actions(&t.db, audit_entry::Column::Entity.eq("test")).await;
    assert_eq!(actions, ["second", "first"], "chained in commit order");
    let v = art60_service::audit::verify(&t.db.conn).await.unwrap();
    assert!(v.first_broken.is_none(), "{v:?}");
    t.finish().await;
}

/// The application on PostgreSQL, for a test of PostgreSQL alone; `None` (the test is
/// skipped) where none is configured.
async fn on_postgres() -> Option<TestApp> {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("SKIPPED: PostgreSQL only (ART60_TEST_DATABASE_URL not set)");
        return None;
    }
    Some(TestApp::new(Backend::Postgres).await)
}

/// The actions of the trail's entries that `filter` selects, in chain order.
async fn chained_actions(db: &Db, filter: impl sea_orm::sea_query::IntoCondition) -> Vec<String> {
    audit_entry::Entity::find()
        .filter(filter)
        .order_by_asc(audit_entry::Column::Seq)
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// Issue 16 §1: entries left by transactions that committed but were not chained (a process
/// stopped in between) are chained together by the next chaining, in one transaction per
/// batch, and the trail verifies; a commit returns only once its own entry is chained.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committed_entries_waiting_for_the_chain_are_chained_together() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let who = art60_service::audit::Who::default();
        let now = t.clock_now();
        let before = audit_entry::Entity::find().count(&t.db.conn).await.unwrap();
        // Committed without `WriteTx::commit`: as if the process stopped after each commit.
        for action in ["lost-1", "lost-2", "lost-3"] {
            let tx = t.db.begin_write().await.unwrap();
            art60_service::audit::append(&tx.txn, now, &who, event(action))
                .await
                .unwrap();
            tx.txn.commit().await.unwrap();
        }
        assert_eq!(
            audit_entry::Entity::find().count(&t.db.conn).await.unwrap(),
            before,
            "not chained yet"
        );
        assert_eq!(t.db.chain.chain_pending().await.unwrap(), 3);
        assert_eq!(
            t.db.chain.chain_pending().await.unwrap(),
            0,
            "nothing twice"
        );
        // Taken out of `audit_pending` by a DELETE ... RETURNING, which promises no order:
        // chained in the order they were written all the same.
        let lost = chained_actions(&t.db, audit_entry::Column::Action.starts_with("lost-")).await;
        assert_eq!(lost, ["lost-1", "lost-2", "lost-3"]);
        // Many writers at once: each commit returns with its entry in the chain.
        let mut tasks = Vec::new();
        for i in 0..24 {
            let db = t.db.clone();
            let who = who.clone();
            tasks.push(tokio::spawn(async move {
                let tx = db.begin_write().await.unwrap();
                let ev = art60_service::audit::Event {
                    reason: Some(format!("writer {i}")),
                    ..event("many")
                };
                art60_service::audit::append(&tx.txn, now, &who, ev)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                audit_entry::Entity::find()
                    .filter(audit_entry::Column::Reason.eq(format!("writer {i}")))
                    .count(&db.conn)
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(
                task.await.unwrap(),
                1,
                "a commit returned before its entry was chained"
            );
        }
        let entries = audit_entry::Entity::find().count(&t.db.conn).await.unwrap();
        assert_eq!(entries, before + 3 + 24);
        let v = art60_service::audit::verify(&t.db.conn).await.unwrap();
        assert!(v.first_broken.is_none(), "{v:?}");
        assert_eq!(v.entries as u64, entries);
        t.finish().await;
    }
}

/// Issue 16 §1: a writer that goes away once its transaction has committed (a client that
/// hangs up: its request's future is dropped) still gets its entries chained, without
/// waiting for the next write. Before, they stayed in `audit_pending`, and the next writer
/// chained them on its own time: 200 entries after a load run's abrupt end made the first
/// views of the next one wait about 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_writer_that_goes_away_after_its_commit_still_gets_its_entry_chained() {
    let Some(t) = on_postgres().await else {
        return;
    };
    let now = t.clock_now();
    // The chain's head held by another transaction: the writer's chaining waits for it.
    let blocker = sea_orm::TransactionTrait::begin(&t.db.conn).await.unwrap();
    art60_service::db::chain::lock_head(&blocker).await.unwrap();
    let db = t.db.clone();
    let writer = tokio::spawn(async move {
        let tx = db.begin_write().await.unwrap();
        let who = art60_service::audit::Who::default();
        art60_service::audit::append(&tx.txn, now, &who, event("abandoned"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    let pending = || async {
        art60_service::db::audit_pending::Entity::find()
            .filter(art60_service::db::audit_pending::Column::Action.eq("abandoned"))
            .count(&t.db.conn)
            .await
            .unwrap()
    };
    let chained = || async {
        audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("abandoned"))
            .count(&t.db.conn)
            .await
            .unwrap()
    };
    // Committed: the writer now waits for the chain.
    wait_until("the writer's commit", || async { pending().await == 1 }).await;
    writer.abort();
    assert!(writer.await.unwrap_err().is_cancelled());
    blocker.rollback().await.unwrap();
    wait_until("the abandoned entry chained", || async {
        chained().await == 1
    })
    .await;
    assert_eq!(pending().await, 0);
    let v = art60_service::audit::verify(&t.db.conn).await.unwrap();
    assert!(v.first_broken.is_none(), "{v:?}");
    t.finish().await;
}

/// Waits (at most ten seconds) until `done` holds: the other side's progress, not a time.
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..500 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("waited ten seconds for {what}");
}

/// Issue 16 §1: the bundled SQLite is built with the query planner stability guarantee and
/// without allocation statistics (`.cargo/config.toml`). Without the first, every statement
/// with a bound LIMIT (all of SeaORM's `.one()` and pages) was prepared again at each
/// execution; without the second, every allocation took one process-wide mutex. A build
/// outside the workspace's settings would lose them silently.
#[tokio::test]
async fn the_bundled_sqlite_keeps_its_query_plans() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = Db::connect("sqlite::memory:").await.unwrap();
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA compile_options".to_owned(),
        ))
        .await
        .unwrap();
    let options: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
}

/// Issue 16 §1: reads outside a transaction run on connections of a read pool, kept out of it
/// between reads (sqlx checks every connection handed back with a round trip). A completed
/// read keeps its connection; a read that fails or is dropped half-way does not (the pool
/// checks it again); concurrent reads beyond the read pool's size wait for each other instead
/// of failing; writes through the same handle go to the main pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_keep_their_connections_only_after_completing() {
    use futures_util::FutureExt;
    use sea_orm::{ConnectionTrait, Statement};
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let reads = &t.db.reads;
        let b = reads.get_database_backend();
        let one = |sql: &str| Statement::from_string(b, sql.to_owned());
        let users = user::Entity::find().count(&t.db.conn).await.unwrap();

        // The set-up read through the same handle: whatever it kept, one read keeps one.
        assert_eq!(user::Entity::find().count(reads).await.unwrap(), users);
        let kept = reads.kept();
        assert!(
            kept >= 1,
            "{backend:?}: a completed read keeps its connection"
        );
        let again = reads.query_all_raw(one("SELECT 1")).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            reads.kept(),
            kept,
            "{backend:?}: a kept connection is reused"
        );

        let bad = reads
            .query_one_raw(one("SELECT no_such_column FROM users"))
            .await;
        assert!(bad.is_err(), "{backend:?}");
        assert_eq!(
            reads.kept(),
            kept - 1,
            "{backend:?}: a failed read gives its connection back"
        );

        // Polled once, then dropped: the statement is under way on a kept connection.
        let kept = reads.kept();
        let started = reads.query_one_raw(one("SELECT 1")).now_or_never();
        match started {
            None => assert_eq!(
                reads.kept(),
                kept.saturating_sub(1),
                "{backend:?}: a cancelled read keeps nothing"
            ),
            Some(done) => {
                done.unwrap();
                assert_eq!(reads.kept(), kept.max(1), "{backend:?}");
            }
        }

        let size = art60_service::db::read_pool(art60_service::db::DEFAULT_POOL) as usize;
        let counts = futures_util::future::join_all(
            (0..size * 3).map(|_| user::Entity::find().count(reads)),
        )
        .await;
        assert!(
            counts.into_iter().all(|c| c.unwrap() == users),
            "{backend:?}"
        );
        let kept = reads.kept();
        assert!((1..=size).contains(&kept), "{backend:?}: {kept} kept");

        // A write through the read handle is the main pool's, and the next read sees it.
        reads
            .execute_raw(one(
                "UPDATE users SET email = 'renamed@example.org' WHERE username = 'admin'",
            ))
            .await
            .unwrap();
        let renamed = user::Entity::find()
            .filter(user::Column::Email.eq("renamed@example.org"))
            .count(reads)
            .await
            .unwrap();
        assert_eq!(renamed, 1, "{backend:?}");
        t.finish().await;
    }
}
