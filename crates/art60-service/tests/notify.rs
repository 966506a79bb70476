#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Notifications end to end: the workflow and the injectable clock make them, the scheduler
//! delivers them to a real SMTP server on loopback (`common::smtp`), and the tests read what
//! arrived: recipient, language, subject, and never a NISS or a name. Then retries with
//! backoff, an expired lease, preferences, the portal inbox, and exactly-once delivery with
//! two schedulers on one PostgreSQL database.

mod common;

use std::time::Duration as StdDuration;

use art60_service::Db;
use art60_service::db::{NotificationKind, Role, message, notification, request};
use art60_service::notify::scheduler::{Scheduler, SchedulerConfig};
use art60_service::notify::{self, DeliveryConfig, Mailer, SmtpConfig, TlsMode};
use axum::http::{Method, StatusCode};
use chrono::{Duration, NaiveDate};
use common::smtp::{Received, SmtpSink};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const WORKER_MAIL: &str = "worker.namur@cpas.example";
const OFFICER_MAIL: &str = "officer.namur@onem.example";
const LAST_NAME: &str = "Vandermeulen";
const FIRST_NAME: &str = "Anouchka";

fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.addr.port(),
        tls: TlsMode::None,
        username: None,
        password: None,
        from: "\"CPAS@ONEM\" <noreply@art60.test>".into(),
        timeout: StdDuration::from_secs(5),
    })
    .unwrap()
}

fn scheduler(t: &TestApp, db: Db, sink: &SmtpSink, worker: &str, batch: u32) -> Scheduler {
    Scheduler {
        db,
        clock: t.clock.clone(),
        mailer: Some(mailer(sink)),
        cfg: SchedulerConfig {
            interval: StdDuration::from_secs(60),
            delivery: DeliveryConfig {
                worker: worker.into(),
                batch,
                base_url: "https://portal.test".into(),
                ..Default::default()
            },
        },
    }
}

struct Env {
    t: TestApp,
    sink: SmtpSink,
    sched: Scheduler,
}

impl Env {
    /// CPAS Namur's worker (language: the CPAS's, French) and Namur's officer (who chose
    /// Dutch) have e-mail addresses.
    async fn new(backend: Backend) -> Env {
        let t = TestApp::new(backend).await;
        let sink = SmtpSink::start().await;
        let sched = scheduler(&t, t.db.clone(), &sink, "test-worker", 50);
        let w = t
            .call(
                Method::PUT,
                "/api/v1/account/settings",
                &t.a.worker,
                Some(json!({"email": WORKER_MAIL})),
            )
            .await;
        assert_eq!(w.status, StatusCode::OK, "{}", w.body);
        let o = t
            .call(
                Method::PUT,
                "/api/v1/account/settings",
                &t.a.officer,
                Some(json!({"email": OFFICER_MAIL, "language": "nl"})),
            )
            .await;
        assert_eq!(o.status, StatusCode::OK, "{}", o.body);
        Env { t, sink, sched }
    }

    async fn tick(&self) -> art60_service::notify::scheduler::TickReport {
        self.sched.tick().await.unwrap()
    }

    /// A draft for a person with a distinctive name, sent by the worker: (id, etag, reference).
    async fn sent(&self) -> (i64, String, String) {
        let t = &self.t;
        let p = t
            .call(
                Method::POST,
                "/api/v1/persons",
                &t.a.worker,
                Some(json!({"niss": NISS_1, "last_name": LAST_NAME, "first_name": FIRST_NAME, "birth_date": "1995-03-10"})),
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
        let r = t
            .call(
                Method::POST,
                "/api/v1/requests",
                &t.a.worker,
                Some(new_request(e.id(), "2024-07-01")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        (
            s.id(),
            s.etag(),
            s.body["reference"].as_str().unwrap().to_owned(),
        )
    }

    async fn calculated(&self) -> (i64, String, NaiveDate) {
        let (id, etag, reference) = self.sent().await;
        let t = &self.t;
        let d = t
            .act(
                &t.a.officer,
                id,
                "decide",
                &etag,
                Some(json!({"decision": "confirm"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let end: NaiveDate = d.body["end_date"].as_str().unwrap().parse().unwrap();
        (id, reference, end)
    }
}

/// The one mail of `kind` that arrived, checked for what no mail may hold.
fn only_mail(got: &[Received], to: &str, subject: &str) -> Received {
    let hits: Vec<&Received> = got.iter().filter(|m| m.subject == subject).collect();
    assert_eq!(hits.len(), 1, "want one {subject:?}, got {got:#?}");
    let m = hits[0].clone();
    assert_eq!(m.to, vec![to.to_owned()]);
    for secret in [NISS_1, "95.03.10", LAST_NAME, FIRST_NAME] {
        assert!(!m.raw.contains(secret), "{secret} in {}", m.raw);
        assert!(!m.body.contains(secret), "{secret} in {}", m.body);
    }
    m
}

#[tokio::test]
async fn received_goes_to_the_cpas_in_its_language() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let (id, _, reference) = env.sent().await;
        let r = env.tick().await;
        assert_eq!(r.delivery.sent, 1, "{r:?}");
        let m = only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Demande {reference} : reçue par le bureau de l'ONEM"),
        );
        assert!(m.body.contains("2024-06-17"), "due date: {}", m.body);
        assert!(
            m.body
                .contains(&format!("https://portal.test/requests/{id}")),
            "{}",
            m.body
        );
        // Nothing more on the next round: sent once.
        assert_eq!(env.tick().await.delivery.claimed, 0);
        assert!(env.sink.take().is_empty());
        env.t.finish().await;
    }
}

#[tokio::test]
async fn returned_carries_the_reason_and_a_niss_never_gets_there() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let (id, etag, reference) = env.sent().await;
        let t = &env.t;
        // A reason with the NISS is refused before anything is written (issue 14 §1).
        let refused = t
            .act(
                &t.a.officer,
                id,
                "return",
                &etag,
                Some(json!({"reason": format!("Le contrat de {NISS_1} manque")})),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        env.tick().await;
        assert!(
            env.sink
                .take()
                .iter()
                .all(|m| !m.subject.contains("renvoyée")),
            "a refused return was mailed"
        );
        let r = t
            .act(
                &t.a.officer,
                id,
                "return",
                &etag,
                Some(json!({"reason": "Le contrat de travail manque"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        env.tick().await;
        let got = env.sink.take();
        let m = only_mail(
            &got,
            WORKER_MAIL,
            &format!("Demande {reference} : renvoyée par l'ONEM"),
        );
        assert!(
            m.body.contains("Motif : Le contrat de travail manque"),
            "{}",
            m.body
        );
        // Sending again is a new occasion: a second "received".
        let again = t.act(&t.a.worker, id, "send", &r.etag(), None).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        env.tick().await;
        only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Demande {reference} : reçue par le bureau de l'ONEM"),
        );
        env.t.finish().await;
    }
}

#[tokio::test]
async fn calculated_goes_to_the_cpas() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let (_, reference, _) = env.calculated().await;
        env.tick().await;
        only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Demande {reference} : calculée par l'ONEM"),
        );
        env.t.finish().await;
    }
}

#[tokio::test]
async fn deadline_tomorrow_then_overdue_go_to_the_office_in_the_officers_language() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let (_, _, reference) = env.sent().await;
        env.tick().await;
        env.sink.take();
        // Due 2024-06-17: nothing on the 15th, "tomorrow" on the 16th, late on the 18th.
        env.t.clock.set(at("2024-06-15"));
        assert_eq!(env.tick().await.generated, 0);
        env.t.clock.set(at("2024-06-16"));
        let r = env.tick().await;
        assert_eq!(r.generated, 2, "portal + e-mail: {r:?}");
        let m = only_mail(
            &env.sink.take(),
            OFFICER_MAIL,
            &format!("Aanvraag {reference}: antwoord morgen verwacht"),
        );
        assert!(m.body.contains("2024-06-17"), "{}", m.body);
        // A second scan the same day records nothing new.
        assert_eq!(env.tick().await.generated, 0);
        env.t.clock.set(at("2024-06-18"));
        env.tick().await;
        only_mail(
            &env.sink.take(),
            OFFICER_MAIL,
            &format!("Aanvraag {reference}: antwoord te laat"),
        );
        env.t.clock.set(at("2024-06-19"));
        env.tick().await;
        assert!(
            env.sink.take().is_empty(),
            "overdue is told once per due date"
        );
        env.t.finish().await;
    }
}

#[tokio::test]
async fn second_calculation_window_opens_and_closes() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let (_, reference, end) = env.calculated().await;
        env.tick().await;
        env.sink.take();
        let proc = art60_service::requests::procedure();
        let from = end - Duration::days(i64::from(proc.second_calc_window_start_days));
        let until = end - Duration::days(i64::from(proc.second_calc_window_end_days));
        let noon = |d: NaiveDate| at(&d.to_string());
        env.t.clock.set(noon(from - Duration::days(1)));
        env.tick().await;
        assert!(env.sink.take().is_empty());
        env.t.clock.set(noon(from));
        env.tick().await;
        let m = only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Demande {reference} : deuxième calcul possible dès aujourd'hui"),
        );
        assert!(
            m.body.contains(&from.to_string()) && m.body.contains(&until.to_string()),
            "{}",
            m.body
        );
        env.t.clock.set(noon(from + Duration::days(3)));
        env.tick().await;
        assert!(env.sink.take().is_empty(), "opens is told once");
        env.t.clock.set(noon(until));
        env.tick().await;
        only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Demande {reference} : dernier jour pour demander un deuxième calcul"),
        );
        env.t.finish().await;
    }
}

#[tokio::test]
async fn message_received_goes_to_the_other_side() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let (id, _, reference) = env.sent().await;
        env.tick().await;
        env.sink.take();
        // Through the contact thread: the CPAS writes, then the office answers.
        for (who, text) in [
            (&env.t.a.worker, "Could you check the second contract?"),
            (&env.t.a.officer, "Checked: the end date stands."),
        ] {
            let r = env
                .t
                .call(
                    Method::POST,
                    &format!("/api/v1/requests/{id}/messages"),
                    who,
                    Some(json!({ "body": text })),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        // Recording the same message again adds nothing.
        let req = request::Entity::find_by_id(id)
            .one(&env.t.db.conn)
            .await
            .unwrap()
            .unwrap();
        let first = message::Entity::find()
            .filter(message::Column::RequestId.eq(id))
            .one(&env.t.db.conn)
            .await
            .unwrap()
            .unwrap();
        let tx = env.t.db.begin_write().await.unwrap();
        let again =
            notify::message_received(&tx.txn, env.t.clock_now(), &req, first.id, Role::CpasWorker)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(again, 0, "a message is notified once");
        env.tick().await;
        let got = env.sink.take();
        assert_eq!(got.len(), 2, "{got:#?}");
        only_mail(
            &got,
            OFFICER_MAIL,
            &format!("Aanvraag {reference}: nieuw bericht"),
        );
        only_mail(
            &got,
            WORKER_MAIL,
            &format!("Demande {reference} : nouveau message"),
        );
        env.t.finish().await;
    }
}

#[tokio::test]
async fn preferences_turn_e_mails_off_but_not_the_portal_inbox() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let t = &env.t;
        let s = t
            .call(
                Method::PUT,
                "/api/v1/account/settings",
                &t.a.worker,
                Some(json!({"email": WORKER_MAIL, "language": "de", "email_off": ["received"]})),
            )
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let received = s.body["emails"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "received")
            .unwrap()
            .clone();
        assert_eq!(received["email"], false);
        let bad = t
            .call(
                Method::PUT,
                "/api/v1/account/settings",
                &t.a.worker,
                Some(json!({"email": "not an address"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "email", "{}", bad.body);

        let (id, etag, reference) = env.sent().await;
        env.tick().await;
        assert!(env.sink.take().is_empty(), "received is off");
        let inbox = t
            .call(Method::GET, "/api/v1/notifications", &t.a.worker, None)
            .await;
        assert_eq!(inbox.body["unread"], 1, "{}", inbox.body);
        assert_eq!(inbox.body["items"][0]["kind"], "received");
        assert_eq!(inbox.body["items"][0]["payload"]["reference"], reference);
        // Still on for "returned", now in German (the account's language beats the CPAS's).
        t.act(
            &t.a.officer,
            id,
            "return",
            &etag,
            Some(json!({"reason": "Bitte ergänzen"})),
        )
        .await;
        env.tick().await;
        only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Antrag {reference}: vom LfA zurückgeschickt"),
        );
        // Mark read: one, then all.
        let first = inbox.body["items"][0]["id"].as_i64().unwrap();
        let r = t
            .call(
                Method::POST,
                &format!("/api/v1/notifications/{first}/read"),
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(r.body["marked"], 1, "{}", r.body);
        let other = t
            .call(
                Method::POST,
                &format!("/api/v1/notifications/{first}/read"),
                &t.b.worker,
                None,
            )
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "not theirs");
        let all = t
            .call(
                Method::POST,
                "/api/v1/notifications/read",
                &t.a.worker,
                None,
            )
            .await;
        assert_eq!(all.body["marked"], 1, "{}", all.body);
        let inbox = t
            .call(Method::GET, "/api/v1/notifications", &t.a.worker, None)
            .await;
        assert_eq!(inbox.body["unread"], 0);
        env.t.finish().await;
    }
}

#[tokio::test]
async fn a_down_smtp_server_is_retried_with_backoff_and_the_mail_arrives_once() {
    for backend in backends() {
        let env = Env::new(backend).await;
        env.sink.set_down(true);
        let (_, _, reference) = env.sent().await;
        let r = env.tick().await;
        assert_eq!((r.delivery.sent, r.delivery.failed), (0, 1), "{r:?}");
        let row = notification::Entity::find()
            .filter(notification::Column::Channel.eq("email"))
            .one(&env.t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.attempts, 1);
        assert!(row.last_error.is_some());
        assert!(row.locked_by.is_none());
        env.sink.set_down(false);
        // Within the backoff (1 minute after one failure) nothing is tried.
        env.t.clock.set(env.t.clock_now() + Duration::seconds(30));
        assert_eq!(env.tick().await.delivery.claimed, 0);
        env.t.clock.set(env.t.clock_now() + Duration::seconds(31));
        let r = env.tick().await;
        assert_eq!(r.delivery.sent, 1, "{r:?}");
        only_mail(
            &env.sink.take(),
            WORKER_MAIL,
            &format!("Demande {reference} : reçue par le bureau de l'ONEM"),
        );
        env.t.clock.set(env.t.clock_now() + Duration::hours(2));
        assert_eq!(env.tick().await.delivery.claimed, 0);
        assert!(env.sink.take().is_empty());
        env.t.finish().await;
    }
}

#[tokio::test]
async fn a_crashed_workers_lease_expires_and_another_worker_sends() {
    for backend in backends() {
        let env = Env::new(backend).await;
        env.sent().await;
        // "crashed" claims the row and never finishes.
        let crashed = DeliveryConfig {
            worker: "crashed".into(),
            ..Default::default()
        };
        let now = env.t.clock_now();
        assert_eq!(
            notify::claim(&env.t.db, now, &crashed).await.unwrap().len(),
            1
        );
        assert_eq!(env.tick().await.delivery.claimed, 0, "leased to crashed");
        env.t.clock.set(now + crashed.lease + Duration::seconds(1));
        assert_eq!(env.tick().await.delivery.sent, 1);
        assert_eq!(env.sink.take().len(), 1);
        env.t.finish().await;
    }
}

/// Two schedulers (separate connection pools, as two processes) on one PostgreSQL database
/// deliver many due e-mails concurrently: each arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_schedulers_on_one_postgresql_send_each_mail_once() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    const MAILS: usize = 120;
    let env = Env::new(Backend::Postgres).await;
    env.sent().await;
    env.tick().await;
    env.sink.take();
    let req = request::Entity::find()
        .one(&env.t.db.conn)
        .await
        .unwrap()
        .unwrap();
    let tx = env.t.db.begin_write().await.unwrap();
    for m in 0..MAILS {
        notify::message_received(
            &tx.txn,
            env.t.clock_now(),
            &req,
            1000 + m as i64,
            Role::OnemOfficer,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
    let mut tasks = Vec::new();
    for name in ["process-1", "process-2"] {
        let db = Db::connect_with(&url, env.t.pg_schema.as_deref())
            .await
            .unwrap();
        // Small batches so the two interleave over many rounds.
        let s = scheduler(&env.t, db, &env.sink, name, 7);
        tasks.push(tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let r = notify::deliver(
                    &s.db,
                    s.clock.as_ref(),
                    s.mailer.as_ref().unwrap(),
                    &s.cfg.delivery,
                )
                .await
                .unwrap();
                if r.claimed == 0 {
                    return sent;
                }
                sent += r.sent;
            }
        }));
    }
    let mut per_process = Vec::new();
    for t in tasks {
        per_process.push(t.await.unwrap());
    }
    let got = env.sink.take();
    // The split between the two (printed for the record; it varies run to run).
    println!("mails sent per process: {per_process:?}");
    assert_eq!(got.len(), MAILS, "per process: {per_process:?}");
    assert_eq!(per_process.iter().sum::<u64>(), MAILS as u64);
    let mut subjects: Vec<&str> = got.iter().map(|m| m.subject.as_str()).collect();
    subjects.dedup();
    assert!(got.iter().all(|m| m.to == vec![WORKER_MAIL.to_owned()]));
    let pending = notification::Entity::find()
        .filter(notification::Column::Status.eq("pending"))
        .count(&env.t.db.conn)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    let sent_rows = notification::Entity::find()
        .filter(notification::Column::Channel.eq("email"))
        .filter(notification::Column::Kind.eq(NotificationKind::MessageReceived))
        .filter(notification::Column::Status.eq("sent"))
        .count(&env.t.db.conn)
        .await
        .unwrap();
    assert_eq!(sent_rows, MAILS as u64);
    env.t.finish().await;
}

/// Issue 14 §2: the lease was 5 minutes and a batch was sent one mail after another, so a
/// slow SMTP server let another worker retake rows still being sent, and their mails left
/// twice. Worker "slow" claims 8 of 12 rows and its server takes 2 minutes a mail (on the
/// injected clock); worker "fast" (another process on PostgreSQL) keeps polling meanwhile.
/// Every mail arrives once, and none is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_slower_than_the_lease_is_not_retaken_and_each_mail_leaves_once() {
    const MAILS: usize = 12;
    for backend in backends() {
        let env = Env::new(backend).await;
        env.sent().await;
        env.tick().await;
        env.sink.take();
        let req = request::Entity::find()
            .one(&env.t.db.conn)
            .await
            .unwrap()
            .unwrap();
        let tx = env.t.db.begin_write().await.unwrap();
        for m in 0..MAILS {
            notify::message_received(
                &tx.txn,
                env.t.clock_now(),
                &req,
                1000 + m as i64,
                Role::OnemOfficer,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let slow_sink = SmtpSink::start().await;
        slow_sink.set_slow(
            env.t.clock.clone(),
            Duration::minutes(2),
            StdDuration::from_millis(30),
        );
        let second_db = match backend {
            Backend::Sqlite => env.t.db.clone(),
            Backend::Postgres => Db::connect_with(
                &std::env::var("ART60_TEST_DATABASE_URL").unwrap(),
                env.t.pg_schema.as_deref(),
            )
            .await
            .unwrap(),
        };
        let slow = scheduler(&env.t, env.t.db.clone(), &slow_sink, "slow", 8);
        let fast = scheduler(&env.t, second_db, &env.sink, "fast", 50);
        let slow_task = tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let r = slow.tick().await.unwrap().delivery;
                if r.claimed == 0 {
                    return sent;
                }
                sent += r.sent;
            }
        });
        // "fast" starts once "slow" holds its batch, and polls until nothing is pending.
        tokio::time::timeout(StdDuration::from_secs(30), slow_sink.wait_for(1))
            .await
            .unwrap();
        let db = env.t.db.clone();
        let fast_task = tokio::spawn(async move {
            let mut sent = 0;
            loop {
                sent += fast.tick().await.unwrap().delivery.sent;
                let pending = notification::Entity::find()
                    .filter(notification::Column::Channel.eq("email"))
                    .filter(notification::Column::Status.eq("pending"))
                    .count(&db.conn)
                    .await
                    .unwrap();
                if pending == 0 {
                    return sent;
                }
                tokio::time::sleep(StdDuration::from_millis(5)).await;
            }
        });
        let (slow_sent, fast_sent) = tokio::time::timeout(StdDuration::from_secs(60), async {
            (slow_task.await.unwrap(), fast_task.await.unwrap())
        })
        .await
        .unwrap();
        let arrived = slow_sink.take().len() + env.sink.take().len();
        assert_eq!(
            arrived, MAILS,
            "{backend:?}: mails arrived (slow sent {slow_sent}, fast sent {fast_sent})"
        );
        assert_eq!(slow_sent + fast_sent, MAILS as u64, "{backend:?}");
        let sent_rows = notification::Entity::find()
            .filter(notification::Column::Channel.eq("email"))
            .filter(notification::Column::Kind.eq(NotificationKind::MessageReceived))
            .filter(notification::Column::Status.eq("sent"))
            .count(&env.t.db.conn)
            .await
            .unwrap();
        assert_eq!(sent_rows, MAILS as u64, "{backend:?}");
        env.t.finish().await;
    }
}

/// The other half of the lease rule: a row whose lease passed to another worker while this
/// one was busy (a send that outlasted the lease, or two hosts whose clocks differ) is not
/// sent by this one. Worker "slow" holds three rows and is in the middle of the first send
/// when the clock passes its lease and "other" claims the rows; "slow" then sends nothing
/// more (before, it sent all three, and "other" would have sent them again). The one mail in
/// flight can still leave twice: that is why `deliver` bounds a send by half a lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rows_whose_lease_passed_to_another_worker_are_not_sent() {
    for backend in backends() {
        let env = Env::new(backend).await;
        env.sent().await;
        env.tick().await;
        env.sink.take();
        let req = request::Entity::find()
            .one(&env.t.db.conn)
            .await
            .unwrap()
            .unwrap();
        let tx = env.t.db.begin_write().await.unwrap();
        for m in 0..3 {
            notify::message_received(
                &tx.txn,
                env.t.clock_now(),
                &req,
                1000 + m,
                Role::OnemOfficer,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let gate = std::sync::Arc::new(tokio::sync::Notify::new());
        env.sink.set_gate(gate.clone());
        let slow = env.sched.clone();
        let task = tokio::spawn(async move { slow.tick().await.unwrap().delivery });
        tokio::time::timeout(StdDuration::from_secs(30), env.sink.wait_for(1))
            .await
            .unwrap();
        let lease = env.sched.cfg.delivery.lease;
        env.t
            .clock
            .set(env.t.clock_now() + lease + Duration::seconds(1));
        let other = DeliveryConfig {
            worker: "other".into(),
            ..Default::default()
        };
        let taken = notify::claim(&env.t.db, env.t.clock_now(), &other)
            .await
            .unwrap();
        assert_eq!(taken.len(), 3, "{backend:?}: the expired rows are retaken");
        gate.notify_one();
        let report = tokio::time::timeout(StdDuration::from_secs(30), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (report.sent, report.lost),
            (1, 2),
            "{backend:?}: {report:?}"
        );
        assert_eq!(env.sink.take().len(), 1, "{backend:?}");
        let held = notification::Entity::find()
            .filter(notification::Column::Channel.eq("email"))
            .filter(notification::Column::Status.eq("pending"))
            .filter(notification::Column::LockedBy.eq("other"))
            .count(&env.t.db.conn)
            .await
            .unwrap();
        assert_eq!(held, 3, "{backend:?}: the rows stay with their new holder");
        env.t.finish().await;
    }
}

#[tokio::test]
async fn the_scheduler_task_stops_on_shutdown() {
    let env = Env::new(Backend::Sqlite).await;
    env.sent().await;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut s = env.sched.clone();
    s.cfg.interval = StdDuration::from_millis(20);
    let h = s.spawn(rx);
    // The first tick runs at once: its mail arrives (bounded wait), then stop.
    tokio::time::timeout(StdDuration::from_secs(10), env.sink.wait_for(1))
        .await
        .unwrap();
    assert_eq!(env.sink.messages().len(), 1);
    stop.send(true).unwrap();
    tokio::time::timeout(StdDuration::from_secs(10), h)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_office_directory_is_public_and_edited_by_administrators_with_audit() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let list = t
            .call(Method::GET, "/api/v1/offices", &Auth::Anonymous, None)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let namur = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == t.a.office)
            .unwrap()
            .clone();
        assert_eq!(namur["serves"][0]["id"], t.a.cpas);
        let path = format!("/api/v1/offices/{}", t.a.office);
        let change = json!({"area": "Namur", "email": "a@onem.example; b@onem.example", "email_confirmed": false});
        let refused = t
            .call(Method::PATCH, &path, &t.a.officer, Some(change.clone()))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let bad = t
            .call(
                Method::PATCH,
                &path,
                &t.admin,
                Some(json!({"email": "nope"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "email");
        let ok = t.call(Method::PATCH, &path, &t.admin, Some(change)).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(
            ok.body["emails"],
            json!(["a@onem.example", "b@onem.example"])
        );
        assert_eq!(ok.body["email_confirmed"], false);
        assert_eq!(ok.body["area"], "Namur");
        let audit = t
            .call(Method::GET, "/api/v1/audit?limit=500", &t.admin, None)
            .await;
        let entry = audit.body["items"]
            .as_array()
            .or_else(|| audit.body.as_array())
            .unwrap()
            .iter()
            .rev()
            .find(|e| e["entity"] == "office" && e["action"] == "update")
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(entry["entity_id"], t.a.office, "{}", audit.body);
        assert_eq!(entry["before"]["email_confirmed"], true);
        assert_eq!(entry["after"]["email_confirmed"], false);
        t.finish().await;
    }
}

#[tokio::test]
async fn feedback_is_stored_refuses_a_niss_and_is_listed_for_administrators() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let bad = t
            .call(
                Method::POST,
                "/api/v1/feedback",
                &t.a.officer,
                Some(json!({"message": format!("Problem with {NISS_1}"), "page": "/queue"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "message", "{}", bad.body);
        let ok = t
            .call(
                Method::POST,
                "/api/v1/feedback",
                &t.a.officer,
                Some(json!({"message": "The queue is slow", "page": "/queue", "contact_email": "me@onem.example"})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        let denied = t
            .call(Method::GET, "/api/v1/feedback", &t.a.officer, None)
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let list = t
            .call(Method::GET, "/api/v1/feedback", &t.admin, None)
            .await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        assert_eq!(list.body[0]["page"], "/queue");
        assert_eq!(list.body[0]["message"], "The queue is slow");
        let audit = t
            .call(Method::GET, "/api/v1/audit?limit=500", &t.admin, None)
            .await;
        let actions: Vec<(String, String)> = audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entity"] == "feedback")
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["after"]["page"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                ("create".to_owned(), "/queue".to_owned()),
                ("list".to_owned(), String::new())
            ]
        );
        t.finish().await;
    }
}
