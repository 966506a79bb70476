//! Issue 14 §4 in the portal: the sign-in page with local passwords turned off (a clear
//! refusal, no session), what administrators see of the sign-in methods, and the access
//! manager's page (its own CPAS's users; a withdrawal stops the account). SQLite always;
//! PostgreSQL when ART60_TEST_DATABASE_URL is set. The provider round trip is
//! web-tests/oidc.mjs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use art60_service::api::{AppState, Settings};
use art60_service::attachments::Store;
use art60_service::auth::PasswordCost;
use art60_service::oidc::{self, Identity};
use art60_service::{Clock, Db};
use axum::http::StatusCode;
use common::*;

fn with_settings(p: &mut Portal, settings: Settings) {
    p.app = art60_web::app(AppState {
        db: p.db.clone(),
        clock: p.clock.clone(),
        store: Store::Database,
        password_cost: PasswordCost::minimal_for_tests(),
        metrics: None,
        settings,
    });
}

#[tokio::test]
async fn password_sign_in_turned_off_is_refused_clearly() {
    for pg in backends() {
        let mut p = portal_on(pg.as_deref(), false).await;
        let mut b = Browser::with_lang("en");
        let page = b.get(&p, "/login").await;
        assert!(page.body.contains(r#"id="password""#));
        assert!(!page.body.contains("oidc-login"), "no provider configured");
        let token = csrf(&page.body);
        with_settings(
            &mut p,
            Settings {
                passwords_off: true,
                ..Default::default()
            },
        );
        let pw = p.accounts["cpas.namur"].clone();
        let r = b
            .post(
                &p,
                "/login",
                &[
                    ("csrf", &token),
                    ("username", "cpas.namur"),
                    ("password", &pw),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{pg:?}");
        assert!(
            r.body.contains("Password sign-in is turned off"),
            "{}",
            r.body
        );
        assert!(!b.jar.contains_key("art60_session"), "no session");
        let page = b.get(&p, "/login").await;
        assert!(!page.body.contains(r#"id="password""#), "no password form");
        assert!(page.body.contains(r#"id="passwords-off""#));

        // Administrators see the switch (they sign in before it is turned off, here).
        with_settings(&mut p, Settings::default());
        let mut admin = Browser::with_lang("en");
        admin.login(&p, "admin").await;
        with_settings(
            &mut p,
            Settings {
                passwords_off: true,
                ..Default::default()
            },
        );
        let page = admin.get(&p, "/admin/offices").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Password sign-in: off. Sign-in through the organisation (OIDC): off."),
            "{}",
            main_of(&page.body)
        );
        p.cleanup().await;
    }
}

async fn federated(db: &Db, now: chrono::DateTime<chrono::Utc>, sub: &str, role: &str) -> String {
    let s = oidc::sign_in(
        db,
        now,
        &Identity {
            issuer: "https://idp.example".into(),
            subject: sub.into(),
            // The demo's CPAS de Namur.
            organisation: Some("0207.353.138".into()),
            roles: vec![role.into()],
            office: None,
            username_hint: Some(format!("{sub}.federated")),
        },
    )
    .await
    .unwrap();
    s.cookie
}

#[tokio::test]
async fn the_access_manager_page_withdraws_and_grants_in_its_own_cpas() {
    for pg in backends() {
        let p = portal_on(pg.as_deref(), false).await;
        let now = p.clock.now();
        let mut am = Browser::with_lang("en");
        am.jar.insert(
            "art60_session".into(),
            federated(&p.db, now, "marc", "access_manager").await,
        );
        let home = am.get(&p, "/").await;
        assert_eq!(home.location.as_deref(), Some("/organisation"));
        let page = am.get(&p, "/organisation").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let body = main_of(&page.body);
        assert!(body.contains("cpas.namur"), "{body}");
        assert!(
            !body.contains("ocmw.brussel"),
            "another CPAS's user: {body}"
        );
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let worker_id = art60_service::db::user::Entity::find()
            .filter(art60_service::db::user::Column::Username.eq("cpas.namur"))
            .one(&p.db.conn)
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(body.contains(&format!("/organisation/users/{worker_id}")));
        let token = csrf(&page.body);
        let path = format!("/organisation/users/{worker_id}");
        let r = am
            .post(&p, &path, &[("csrf", &token), ("action", "withdraw")])
            .await;
        assert_eq!(
            r.location.as_deref(),
            Some("/organisation?done=withdrawn"),
            "{}",
            r.body
        );
        let mut worker = Browser::with_lang("en");
        let r = worker.login(&p, "cpas.namur").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{pg:?} withdrawn");
        let r = am
            .post(
                &p,
                &path,
                &[
                    ("csrf", &token),
                    ("action", "grant"),
                    ("role", "cpas_worker"),
                ],
            )
            .await;
        assert_eq!(r.location.as_deref(), Some("/organisation?done=granted"));
        let r = worker.login(&p, "cpas.namur").await;
        assert_eq!(r.location.as_deref(), Some("/dashboard"), "granted again");
        // A worker has no such page.
        let r = worker.get(&p, "/organisation").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        p.cleanup().await;
    }
}
