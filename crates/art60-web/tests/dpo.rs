//! The DPO's access export page (issue 14 §5): a NISS in, the printable export out; the DPO
//! only; every export audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use art60_service::db::audit_entry;
use axum::http::StatusCode;
use common::{Browser, csrf, portal};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// Alice Demo, a person of the demonstration data.
const NISS: &str = "95031012341";

#[tokio::test]
async fn the_dpo_produces_the_access_export_page_and_nobody_else_may() {
    let p = portal().await;
    let mut dpo = Browser::default();
    dpo.login(&p, "dpo").await;
    let home = dpo.get(&p, "/").await;
    assert_eq!(home.location.as_deref(), Some("/dpo/access"));
    let form = dpo.get(&p, "/dpo/access").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"niss\""), "{}", form.body);
    let token = csrf(&form.body);

    // A bad NISS: the form again, with the field's error.
    let bad = dpo
        .post(
            &p,
            "/dpo/access",
            &[("csrf", &token), ("niss", "123"), ("reason", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("niss-err"), "{}", bad.body);

    let before = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("access_export"))
        .count(&p.db.conn)
        .await
        .unwrap();
    let x = dpo
        .post(
            &p,
            "/dpo/access",
            &[
                ("csrf", &token),
                ("niss", NISS),
                ("reason", "demande 2026-04"),
            ],
        )
        .await;
    assert_eq!(x.status, StatusCode::OK, "{}", x.body);
    assert_eq!(x.headers["cache-control"], "no-store");
    assert!(
        x.body.contains(NISS) && x.body.contains("Alice"),
        "{}",
        x.body
    );
    assert!(x.body.contains("Who read or changed these data"));
    let after = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("access_export"))
        .count(&p.db.conn)
        .await
        .unwrap();
    assert_eq!(after, before + 1);

    // Another role gets no form and no export.
    let mut admin = Browser::default();
    admin.login(&p, "admin").await;
    let page = admin.get(&p, "/dpo/access").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let mut worker = Browser::default();
    worker.login(&p, "cpas.namur").await;
    let token = csrf(&worker.get(&p, "/dashboard").await.body);
    let post = worker
        .post(
            &p,
            "/dpo/access",
            &[("csrf", &token), ("niss", NISS), ("reason", "")],
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    assert!(!post.body.contains("Alice"));
    p.cleanup().await;
}
