//! Issue 13 §5: the portal's lists show each request's person by name. The names come back
//! only for requests the actor may read, and each list read is audited once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use art60_service::auth::Actor;
use art60_service::db::{audit_entry, user};
use art60_service::persons;
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn actor(t: &TestApp, username: &str) -> Actor {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&t.db.conn)
        .await
        .unwrap()
        .unwrap();
    Actor {
        user_id: u.id,
        role: u.role,
        cpas_id: u.cpas_id,
        office_id: u.office_id,
        federation: u.federation,
    }
}

async fn list_reads(t: &TestApp) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("list"))
        .filter(audit_entry::Column::Entity.eq("person"))
        .all(&t.db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn names_come_back_only_for_readable_requests_and_each_list_is_audited_once() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let sent = t.draft(&t.a, NISS_1).await;
        let r = t
            .act(&t.a.worker, sent.id(), "send", &sent.etag(), None)
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let draft = t.draft(&t.a, NISS_1).await.id();
        let other = t.draft(&t.b, NISS_2).await;
        let r = t
            .act(&t.b.worker, other.id(), "send", &other.etag(), None)
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let (sent, other) = (sent.id(), other.id());
        let ids = [sent, draft, other, 999_999];
        let now = t.clock_now();

        let worker = actor(&t, "worker.namur").await;
        let names = persons::names_for_requests(&t.db, now, &worker, &ids)
            .await
            .unwrap();
        let mut keys: Vec<i64> = names.keys().copied().collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec![sent, draft],
            "{backend:?}: the CPAS's own requests only"
        );
        assert_eq!(names[&sent], "Test Person");
        let reads = list_reads(&t).await;
        assert_eq!(reads.len(), 1, "{backend:?}: one audit entry for the list");
        let person = t
            .call(
                axum::http::Method::GET,
                &format!("/api/v1/requests/{sent}"),
                &t.a.worker,
                None,
            )
            .await
            .body["person_id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            reads[0].after,
            Some(serde_json::json!({ "ids": [person] })),
            "{backend:?}"
        );

        // The office sees what was sent to it, never a draft or another office's request.
        let officer = actor(&t, "officer.namur").await;
        let names = persons::names_for_requests(&t.db, now, &officer, &ids)
            .await
            .unwrap();
        assert_eq!(names.keys().copied().collect::<Vec<_>>(), vec![sent]);
        assert_eq!(list_reads(&t).await.len(), 2);

        // Nothing readable: nothing read, nothing audited.
        let names = persons::names_for_requests(&t.db, now, &officer, &[draft, other])
            .await
            .unwrap();
        assert!(names.is_empty());
        assert_eq!(list_reads(&t).await.len(), 2);
        t.finish().await;
    }
}
