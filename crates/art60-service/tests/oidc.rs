#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 14 §4: federated sign-in's account rules (the claims as the provider gave them,
//! after the protocol checks), the switch that turns local passwords off, and the access
//! manager who grants and withdraws roles in its own organisation only. SQLite always;
//! PostgreSQL when ART60_TEST_DATABASE_URL is set. The protocol itself (PKCE, the ID token)
//! is tested end to end against a real provider in web-tests/oidc.mjs.

mod common;

use art60_service::ServiceError;
use art60_service::api::{self, AppState};
use art60_service::attachments::Store;
use art60_service::auth::PasswordCost;
use art60_service::db::{Role, audit_entry, user};
use art60_service::oidc::{self, Identity, refusal};
use axum::http::{Method, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

const ISSUER: &str = "https://idp.example";
/// CPAS a's KBO number (the harness's namur CPAS), as a portal writes it.
const KBO_A: &str = "0207.353.138";
const KBO_B: &str = "0212415647";
/// A valid KBO number that is not in the directory (ONEM's).
const KBO_UNKNOWN: &str = "0206.737.484";

fn identity(sub: &str, org: Option<&str>, roles: &[&str], name: &str) -> Identity {
    Identity {
        issuer: ISSUER.into(),
        subject: sub.into(),
        organisation: org.map(str::to_owned),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        office: None,
        username_hint: Some(name.into()),
    }
}

fn session_auth(s: &art60_service::auth::NewSession) -> Auth {
    Auth::Session {
        cookie: format!("art60_session={}", s.cookie),
        csrf: s.csrf_token.clone(),
    }
}

fn refused_code(r: Result<art60_service::auth::NewSession, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Refused { code, .. }) => code,
        Err(e) => panic!("expected a refusal, got {e}"),
        Ok(s) => panic!("expected a refusal, signed in as {:?}", s.actor),
    }
}

async fn users(t: &TestApp) -> u64 {
    user::Entity::find().count(&t.db.conn).await.unwrap()
}

async fn audited(t: &TestApp, action: &str) -> u64 {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .count(&t.db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_first_sign_in_creates_the_account_only_for_a_known_organisation_and_role() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let now = at("2024-06-10");
        let before = users(&t).await;

        // Known CPAS (written with dots) and a known role among others: an account.
        let s = oidc::sign_in(
            &t.db,
            now,
            &identity("sub-1", Some(KBO_A), &["other.app", "cpas_worker"], "anne"),
        )
        .await
        .unwrap();
        assert_eq!(s.actor.role, Role::CpasWorker, "{backend:?}");
        assert_eq!(s.actor.cpas_id, Some(t.a.cpas), "{backend:?}");
        assert_eq!(users(&t).await, before + 1);
        let me = t
            .call(Method::GET, "/api/v1/auth/me", &session_auth(&s), None)
            .await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.body["role"], "cpas_worker");
        // The session reads the CPAS's own data like a password session.
        let list = t
            .call(Method::GET, "/api/v1/requests", &session_auth(&s), None)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);

        // Second sign-in: found by subject, whatever name the provider sends now.
        let again = oidc::sign_in(
            &t.db,
            now,
            &identity(
                "sub-1",
                Some("0207353138"),
                &["cpas_worker"],
                "anne.renamed",
            ),
        )
        .await
        .unwrap();
        assert_eq!(again.actor.user_id, s.actor.user_id, "{backend:?}");
        assert_eq!(users(&t).await, before + 1);
        // The same subject from another issuer is another person.
        let mut other_issuer = identity("sub-1", Some(KBO_A), &["cpas_worker"], "anne");
        other_issuer.issuer = "https://other-idp.example".into();
        let other = oidc::sign_in(&t.db, now, &other_issuer).await.unwrap();
        assert_ne!(other.actor.user_id, s.actor.user_id);
        let names: Vec<String> = user::Entity::find()
            .filter(user::Column::Id.is_in([s.actor.user_id, other.actor.user_id]))
            .all(&t.db.conn)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert!(names.contains(&"anne".to_owned()), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("oidc-")), "{names:?}");

        // An access manager of CPAS b.
        let am = oidc::sign_in(
            &t.db,
            now,
            &identity("sub-2", Some(KBO_B), &["access_manager"], "bert"),
        )
        .await
        .unwrap();
        assert_eq!(
            (am.actor.role, am.actor.cpas_id),
            (Role::AccessManager, Some(t.b.cpas))
        );
        let count = users(&t).await;
        let refusals = audited(&t, "login_refused").await;

        // Refusals create nothing and are audited.
        for (id, code) in [
            (
                identity("sub-3", Some(KBO_UNKNOWN), &["cpas_worker"], "carl"),
                refusal::UNKNOWN_ORGANISATION,
            ),
            (
                identity("sub-3", Some("not a number"), &["cpas_worker"], "carl"),
                refusal::UNKNOWN_ORGANISATION,
            ),
            (
                identity("sub-3", None, &["cpas_worker"], "carl"),
                refusal::UNKNOWN_ORGANISATION,
            ),
            (
                identity(
                    "sub-3",
                    Some(KBO_A),
                    &["administrator", "onem_officer"],
                    "carl",
                ),
                refusal::UNKNOWN_ROLE,
            ),
            (
                identity("sub-3", Some(KBO_A), &[], "carl"),
                refusal::UNKNOWN_ROLE,
            ),
            (
                identity(
                    "sub-3",
                    Some(KBO_A),
                    &["cpas_worker", "access_manager"],
                    "carl",
                ),
                refusal::SEVERAL_ROLES,
            ),
            // Anne moved to CPAS b: her CPAS a account is not hers there.
            (
                identity("sub-1", Some(KBO_B), &["cpas_worker"], "anne"),
                refusal::ORGANISATION_CHANGED,
            ),
            // The portal withdrew her art60 role.
            (
                identity("sub-1", Some(KBO_A), &["other.app"], "anne"),
                refusal::UNKNOWN_ROLE,
            ),
        ] {
            let what = format!("{backend:?} {id:?}");
            assert_eq!(
                refused_code(oidc::sign_in(&t.db, now, &id).await),
                code,
                "{what}"
            );
        }
        assert_eq!(users(&t).await, count, "{backend:?}");
        assert_eq!(audited(&t, "login_refused").await, refusals + 8);

        // A federated account has no password that works.
        let r = t
            .call(
                Method::POST,
                "/api/v1/auth/login",
                &Auth::Anonymous,
                Some(json!({"username": "anne", "password": oidc::NO_PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
}

/// A router over `t`'s database with other settings.
fn app_with(t: &TestApp, settings: api::Settings) -> axum::Router {
    api::router(AppState {
        db: t.db.clone(),
        clock: t.clock.clone(),
        store: Store::Database,
        password_cost: PasswordCost::minimal_for_tests(),
        metrics: None,
        settings,
    })
}

#[tokio::test]
async fn local_passwords_can_be_turned_off() {
    for backend in backends() {
        let mut t = TestApp::new(backend).await;
        let m = t
            .call(Method::GET, "/api/v1/auth/methods", &Auth::Anonymous, None)
            .await;
        assert_eq!(m.body, json!({"password": true, "oidc": false}));
        let token = t.a.worker.clone();
        t.app = app_with(
            &t,
            api::Settings {
                passwords_off: true,
                ..Default::default()
            },
        );
        let r = t
            .call(
                Method::POST,
                "/api/v1/auth/login",
                &Auth::Anonymous,
                Some(json!({"username": "admin", "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?} {}", r.body);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("password sign-in is turned off"),
            "{}",
            r.body
        );
        assert!(r.headers.get("set-cookie").is_none());
        let m = t
            .call(Method::GET, "/api/v1/auth/methods", &Auth::Anonymous, None)
            .await;
        assert_eq!(m.body, json!({"password": false, "oidc": false}));
        // Machine access is not a password sign-in: tokens keep working.
        let list = t.call(Method::GET, "/api/v1/requests", &token, None).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    }
}

#[tokio::test]
async fn an_access_manager_grants_and_withdraws_roles_in_its_own_organisation_only() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let now = at("2024-06-10");
        let am_s = oidc::sign_in(
            &t.db,
            now,
            &identity("am-a", Some(KBO_A), &["access_manager"], "manager.namur"),
        )
        .await
        .unwrap();
        let am = session_auth(&am_s);
        let id_of = |name: &'static str| {
            let db = t.db.clone();
            async move {
                user::Entity::find()
                    .filter(user::Column::Username.eq(name))
                    .one(&db.conn)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let worker_a = id_of("worker.namur").await;
        let worker_b = id_of("worker.brussels").await;

        // Only its own CPAS's users.
        let list = t
            .call(Method::GET, "/api/v1/organisation/users", &am, None)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let names: Vec<&str> = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["manager.namur", "worker.namur"], "{backend:?}");

        // Another organisation's user: 403, and nothing changes.
        let path_b = format!("/api/v1/organisation/users/{worker_b}/role");
        let r = t
            .call(
                Method::PUT,
                &path_b,
                &am,
                Some(json!({"role": "access_manager"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = t.call(Method::DELETE, &path_b, &am, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // ONEM staff are no CPAS's users either.
        let officer = id_of("officer.namur").await;
        let r = t
            .call(
                Method::DELETE,
                &format!("/api/v1/organisation/users/{officer}/role"),
                &am,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // Nobody but an access manager.
        for who in [&t.admin, &t.a.officer] {
            let r = t
                .call(Method::GET, "/api/v1/organisation/users", who, None)
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        // Roles outside a CPAS are not its to grant.
        let path_a = format!("/api/v1/organisation/users/{worker_a}/role");
        let r = t
            .call(
                Method::PUT,
                &path_a,
                &am,
                Some(json!({"role": "administrator"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        // Withdraw: the account stops, its token too; audited.
        let r = t.call(Method::DELETE, &path_a, &am, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["active"], false);
        let gone = t
            .call(Method::GET, "/api/v1/requests", &t.a.worker, None)
            .await;
        assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "{backend:?}");
        let r = t
            .call(
                Method::POST,
                "/api/v1/auth/login",
                &Auth::Anonymous,
                Some(json!({"username": "worker.namur", "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        // Grant: active again, with the role given.
        let r = t
            .call(
                Method::PUT,
                &path_a,
                &am,
                Some(json!({"role": "access_manager"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.body["active"].clone(), r.body["role"].clone()),
            (json!(true), json!("access_manager"))
        );
        t.login("worker.namur").await;
        // Not its own role (another access manager does that).
        let own = format!("/api/v1/organisation/users/{}/role", am_s.actor.user_id);
        let r = t.call(Method::DELETE, &own, &am, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::EntityId.eq(worker_a))
            .filter(audit_entry::Column::Action.is_in(["grant_role", "withdraw_role"]))
            .order_by_asc(audit_entry::Column::Seq)
            .all(&t.db.conn)
            .await
            .unwrap();
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["withdraw_role", "grant_role"], "{backend:?}");
        assert!(
            entries
                .iter()
                .all(|e| e.actor_user_id == Some(am_s.actor.user_id))
        );

        // A withdrawn federated account is refused at its next sign-in.
        let w = oidc::sign_in(
            &t.db,
            now,
            &identity("w-a", Some(KBO_A), &["cpas_worker"], "wendy"),
        )
        .await
        .unwrap();
        let r = t
            .call(
                Method::DELETE,
                &format!("/api/v1/organisation/users/{}/role", w.actor.user_id),
                &am,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let me = t
            .call(Method::GET, "/api/v1/auth/me", &session_auth(&w), None)
            .await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "session ended");
        assert_eq!(
            refused_code(
                oidc::sign_in(
                    &t.db,
                    now,
                    &identity("w-a", Some(KBO_A), &["cpas_worker"], "wendy")
                )
                .await
            ),
            refusal::ACCOUNT_INACTIVE
        );
    }
}

/// Two "processes" (pools) on one database, as behind a load balancer: several first
/// sign-ins of one person at once make one account. PostgreSQL answered 500 to the losers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_sign_ins_make_one_account() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let now = at("2024-06-10");
        let dbs = match backend {
            Backend::Postgres => {
                let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
                let db2 = art60_service::Db::connect_with(&url, t.pg_schema.as_deref())
                    .await
                    .unwrap();
                vec![t.db.clone(), db2]
            }
            Backend::Sqlite => vec![t.db.clone()],
        };
        let before = users(&t).await;
        for round in 0..5 {
            let sub = format!("twin-{round}");
            let tasks: Vec<_> = (0..6)
                .map(|i| {
                    let db = dbs[i % dbs.len()].clone();
                    let id = identity(&sub, Some(KBO_A), &["cpas_worker"], &sub);
                    tokio::spawn(async move { oidc::sign_in(&db, now, &id).await })
                })
                .collect();
            let mut ids = Vec::new();
            for task in tasks {
                let r = task.await.unwrap();
                ids.push(
                    r.unwrap_or_else(|e| panic!("{backend:?}: {e}"))
                        .actor
                        .user_id,
                );
            }
            assert!(ids.iter().all(|i| *i == ids[0]), "{backend:?} {ids:?}");
        }
        assert_eq!(users(&t).await, before + 5, "{backend:?}");
    }
}

// ---- Issue 14 §4, the rest: ONEM, federations and the operator sign in too (m0017). ----

use art60_service::db::{Federation, OrgKind, organisation};
use art60_service::organisations::{self, NewOrganisation};

/// ONEM's number (one for all its offices), a federation's and the operator's (fictitious,
/// valid check digits).
const KBO_ONEM: &str = "0206.737.484";
const KBO_UVCW: &str = "0999000129";
const KBO_OPERATOR: &str = "0999.000.426";

fn with_office(mut id: Identity, office: Option<&str>) -> Identity {
    id.office = office.map(str::to_owned);
    id
}

async fn register(t: &TestApp, kbo: &str, kind: OrgKind, federation: Option<Federation>) {
    organisations::register(
        &t.db,
        at("2024-06-01"),
        &art60_service::audit::Who::default(),
        NewOrganisation {
            kbo: kbo.into(),
            kind,
            federation,
            name: format!("{kind} {kbo}"),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn onem_officers_spocs_and_the_operator_sign_in_for_a_registered_organisation() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let now = at("2024-06-10");
        let officer = |sub: &str, office: Option<&str>| {
            with_office(
                identity(sub, Some(KBO_ONEM), &["onem_officer"], sub),
                office,
            )
        };

        // Before ONEM is registered, its number is an unknown organisation, as today.
        assert_eq!(
            refused_code(oidc::sign_in(&t.db, now, &officer("off-1", Some("namur"))).await),
            refusal::UNKNOWN_ORGANISATION,
            "{backend:?}"
        );
        register(&t, KBO_ONEM, OrgKind::Onem, None).await;
        register(&t, KBO_UVCW, OrgKind::Federation, Some(Federation::Uvcw)).await;
        register(&t, KBO_OPERATOR, OrgKind::Operator, None).await;
        let before = users(&t).await;

        // An officer: the office from the office claim (any case), matched by office code.
        let s = oidc::sign_in(&t.db, now, &officer("off-1", Some("NAMUR")))
            .await
            .unwrap();
        assert_eq!(s.actor.role, Role::OnemOfficer, "{backend:?}");
        assert_eq!(
            (s.actor.office_id, s.actor.cpas_id, s.actor.federation),
            (Some(t.a.office), None, None)
        );
        // Its office's queue, like a password officer's.
        let q = t
            .call(Method::GET, "/api/v1/queue", &session_auth(&s), None)
            .await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        // Found again by subject; the same office.
        let again = oidc::sign_in(&t.db, now, &officer("off-1", Some("namur")))
            .await
            .unwrap();
        assert_eq!(again.actor.user_id, s.actor.user_id);
        // An officer of the other office.
        let b = oidc::sign_in(&t.db, now, &officer("off-2", Some("brussels")))
            .await
            .unwrap();
        assert_eq!(b.actor.office_id, Some(t.b.office));

        // An ONEM SPOC: ONEM-wide, no office needed (an office claim is ignored).
        let spoc = oidc::sign_in(
            &t.db,
            now,
            &with_office(
                identity("spoc-1", Some("0206737484"), &["onem_spoc", "x"], "spoc"),
                Some("namur"),
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            (spoc.actor.role, spoc.actor.office_id, spoc.actor.cpas_id),
            (Role::OnemSpoc, None, None)
        );
        // A federation's SPOC: that federation.
        let fed = oidc::sign_in(
            &t.db,
            now,
            &identity("fed-1", Some(KBO_UVCW), &["federation_spoc"], "fed"),
        )
        .await
        .unwrap();
        assert_eq!(
            (fed.actor.role, fed.actor.federation, fed.actor.cpas_id),
            (Role::FederationSpoc, Some(Federation::Uvcw), None)
        );
        // The operator's administrator and DPO.
        let admin = oidc::sign_in(
            &t.db,
            now,
            &identity("adm-1", Some(KBO_OPERATOR), &["administrator"], "adm"),
        )
        .await
        .unwrap();
        assert_eq!(admin.actor.role, Role::Administrator);
        let users_list = t
            .call(Method::GET, "/api/v1/users", &session_auth(&admin), None)
            .await;
        assert_eq!(users_list.status, StatusCode::OK, "{}", users_list.body);
        let dpo = oidc::sign_in(
            &t.db,
            now,
            &identity("dpo-1", Some(KBO_OPERATOR), &["dpo"], "dpo-person"),
        )
        .await
        .unwrap();
        assert_eq!(dpo.actor.role, Role::Dpo);
        assert_eq!(users(&t).await, before + 6, "{backend:?}");

        let count = users(&t).await;
        let refusals = audited(&t, "login_refused").await;
        let cases = [
            // An officer without an office, or with one the directory does not know.
            (officer("off-3", None), refusal::UNKNOWN_OFFICE),
            (officer("off-3", Some("atlantis")), refusal::UNKNOWN_OFFICE),
            // A role ONEM's people may not hold, and two roles at once.
            (
                identity(
                    "off-3",
                    Some(KBO_ONEM),
                    &["cpas_worker", "administrator"],
                    "c",
                ),
                refusal::UNKNOWN_ROLE,
            ),
            (
                with_office(
                    identity("off-3", Some(KBO_ONEM), &["onem_officer", "onem_spoc"], "c"),
                    Some("namur"),
                ),
                refusal::SEVERAL_ROLES,
            ),
            // A federation grants no administrator, the operator no officer.
            (
                identity("off-3", Some(KBO_UVCW), &["administrator"], "c"),
                refusal::UNKNOWN_ROLE,
            ),
            (
                with_office(
                    identity("off-3", Some(KBO_OPERATOR), &["onem_officer"], "c"),
                    Some("namur"),
                ),
                refusal::UNKNOWN_ROLE,
            ),
            // A CPAS's provider cannot make an administrator either (unchanged).
            (
                identity("off-3", Some(KBO_A), &["administrator"], "c"),
                refusal::UNKNOWN_ROLE,
            ),
            // The known officer: moved office, no office now, another organisation.
            (officer("off-1", Some("brussels")), refusal::OFFICE_CHANGED),
            (officer("off-1", None), refusal::UNKNOWN_OFFICE),
            (
                identity("off-1", Some(KBO_OPERATOR), &["administrator"], "c"),
                refusal::ORGANISATION_CHANGED,
            ),
            (
                identity("off-1", Some(KBO_A), &["cpas_worker"], "c"),
                refusal::ORGANISATION_CHANGED,
            ),
            // The federation's SPOC named by the operator's number; the operator's
            // administrator granted only a role the operator's people may not hold.
            (
                identity("fed-1", Some(KBO_OPERATOR), &["federation_spoc"], "c"),
                refusal::ORGANISATION_CHANGED,
            ),
            (
                identity("adm-1", Some(KBO_OPERATOR), &["onem_officer"], "c"),
                refusal::UNKNOWN_ROLE,
            ),
        ];
        let n = cases.len() as u64;
        for (id, code) in cases {
            let what = format!("{backend:?} {id:?}");
            assert_eq!(
                refused_code(oidc::sign_in(&t.db, now, &id).await),
                code,
                "{what}"
            );
        }
        assert_eq!(users(&t).await, count, "{backend:?}");
        assert_eq!(audited(&t, "login_refused").await, refusals + n);
        // The refusals name the code, the organisation and (ONEM only) the office claim.
        let refused: Vec<serde_json::Value> = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("login_refused"))
            .order_by_asc(audit_entry::Column::Seq)
            .all(&t.db.conn)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.after)
            .collect();
        assert!(
            refused.contains(&json!({"via": "oidc", "code": refusal::UNKNOWN_OFFICE,
                "organisation": "0206737484", "office": "atlantis"})),
            "{refused:?}"
        );
        assert!(
            refused.contains(&json!({"via": "oidc", "code": refusal::UNKNOWN_ROLE,
                "organisation": "0999000426", "office": null})),
            "{refused:?}"
        );

        // A federation registered for another federation: its SPOC account is not theirs.
        organisations::remove(&t.db, now, &art60_service::audit::Who::default(), KBO_UVCW)
            .await
            .unwrap();
        register(&t, KBO_UVCW, OrgKind::Federation, Some(Federation::Vvsg)).await;
        assert_eq!(
            refused_code(
                oidc::sign_in(
                    &t.db,
                    now,
                    &identity("fed-1", Some(KBO_UVCW), &["federation_spoc"], "fed")
                )
                .await
            ),
            refusal::ORGANISATION_CHANGED
        );
        // Unregistered: nobody of it signs in, not even for the first time.
        organisations::remove(
            &t.db,
            now,
            &art60_service::audit::Who::default(),
            KBO_OPERATOR,
        )
        .await
        .unwrap();
        for (sub, code) in [
            ("adm-1", refusal::ORGANISATION_CHANGED),
            ("adm-2", refusal::UNKNOWN_ORGANISATION),
        ] {
            let r = oidc::sign_in(
                &t.db,
                now,
                &identity(sub, Some(KBO_OPERATOR), &["administrator"], sub),
            )
            .await;
            assert_eq!(refused_code(r), code, "{backend:?} {sub}");
        }
    }
}

#[tokio::test]
async fn an_organisation_number_names_one_place_only() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let now = at("2024-06-10");
        let who = art60_service::audit::Who::default();
        let add = |kbo: &str, kind: OrgKind, federation: Option<Federation>| {
            organisations::register(
                &t.db,
                now,
                &who,
                NewOrganisation {
                    kbo: kbo.into(),
                    kind,
                    federation,
                    name: "x".into(),
                },
            )
        };
        let field_of = |r: Result<organisation::Model, ServiceError>| match r {
            Err(ServiceError::Invalid(e)) => e.into_iter().map(|f| f.field).collect::<Vec<_>>(),
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(
            field_of(add("0206.737.485", OrgKind::Onem, None).await),
            ["kbo"]
        );
        // A CPAS's number stays the CPAS's.
        assert_eq!(field_of(add(KBO_A, OrgKind::Operator, None).await), ["kbo"]);
        assert_eq!(
            field_of(add(KBO_UVCW, OrgKind::Federation, None).await),
            ["federation"]
        );
        assert_eq!(
            field_of(add(KBO_UVCW, OrgKind::Federation, Some(Federation::None)).await),
            ["federation"]
        );
        assert_eq!(
            field_of(add(KBO_ONEM, OrgKind::Onem, Some(Federation::Uvcw)).await),
            ["federation"]
        );
        let audits = audit_entry::Entity::find()
            .filter(audit_entry::Column::Entity.eq("organisation"))
            .count(&t.db.conn)
            .await
            .unwrap();
        add(KBO_ONEM, OrgKind::Onem, None).await.unwrap();
        assert_eq!(
            field_of(add("0206737484", OrgKind::Operator, None).await),
            ["kbo"]
        );
        let listed = organisations::list(&t.db).await.unwrap();
        assert_eq!(listed.len(), 1, "{backend:?}");
        assert_eq!(listed[0].kbo, "0206737484");
        let after = audit_entry::Entity::find()
            .filter(audit_entry::Column::Entity.eq("organisation"))
            .count(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(after, audits + 1, "registrations are audited");
        // A CPAS cannot take a registered organisation's number either.
        let r = t
            .call(
                Method::POST,
                "/api/v1/cpas",
                &t.admin,
                Some(json!({"kbo": KBO_ONEM, "name": "CPAS X", "language": "fr",
                            "federation": "uvcw", "office_id": t.a.office})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
}

#[tokio::test]
async fn a_federated_session_keeps_its_id_token_for_the_sign_out_at_the_provider() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let now = at("2024-06-10");
        let id = identity("sub-t", Some(KBO_A), &["cpas_worker"], "tok");
        let s = oidc::sign_in_keeping(&t.db, now, &id, Some("header.payload.signature"))
            .await
            .unwrap();
        let other = oidc::sign_in(&t.db, now, &id).await.unwrap();
        assert_eq!(
            art60_service::auth::logout_federated(&t.db, &s.cookie)
                .await
                .unwrap()
                .as_deref(),
            Some("header.payload.signature"),
            "{backend:?}"
        );
        // The session is over; a second sign-out finds nothing.
        let me = t
            .call(Method::GET, "/api/v1/auth/me", &session_auth(&s), None)
            .await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            art60_service::auth::logout_federated(&t.db, &s.cookie)
                .await
                .unwrap(),
            None
        );
        // A session opened without a token (or by password) has none to send.
        assert_eq!(
            art60_service::auth::logout_federated(&t.db, &other.cookie)
                .await
                .unwrap(),
            None
        );
    }
}

/// A provider's discovery document and keys on a loopback port; `end_session`: whether the
/// metadata advertise an end-session endpoint.
async fn fake_provider(end_session: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mut meta = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    if end_session {
        meta["end_session_endpoint"] = json!(format!("{issuer}/session/end"));
    }
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let m = meta.clone();
                async move { axum::Json(m) }
            }),
        )
        .route(
            "/jwks",
            axum::routing::get(|| async { axum::Json(json!({"keys": []})) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

fn provider_at(issuer: &str) -> oidc::Provider {
    oidc::Provider::new(oidc::OidcConfig {
        issuer: issuer.to_owned(),
        client_id: "art60".into(),
        client_secret: None,
        redirect_url: "https://art60.example/auth/oidc/callback".into(),
        claims: oidc::ClaimNames::default(),
        scopes: vec![],
        post_logout_redirect_url: Some("https://art60.example/login".into()),
    })
    .unwrap()
}

#[tokio::test]
async fn sign_out_goes_on_to_the_providers_end_session_endpoint_only_when_it_has_one() {
    use base64::Engine as _;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let issuer = fake_provider(true).await;
    // An ID token as the provider signed it (the signature is not checked here: it was when
    // the session began).
    let token = format!(
        "{}.{}.{}",
        b64(json!({"alg": "RS256", "typ": "JWT"})),
        b64(
            json!({"iss": issuer, "sub": "s1", "aud": "art60", "exp": 4102444800_i64, "iat": 1700000000_i64})
        ),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"signature"),
    );
    let url = provider_at(&issuer).end_session_url(&token).await.unwrap();
    let url = openidconnect::url::Url::parse(&url).unwrap();
    assert_eq!(
        url.as_str().split('?').next(),
        Some(&*format!("{issuer}/session/end"))
    );
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q.get("id_token_hint"), Some(&token));
    assert_eq!(q.get("client_id").map(String::as_str), Some("art60"));
    assert_eq!(
        q.get("post_logout_redirect_uri").map(String::as_str),
        Some("https://art60.example/login")
    );

    // No end-session endpoint, or no provider answering: signing out stays local.
    let plain = fake_provider(false).await;
    assert_eq!(provider_at(&plain).end_session_url(&token).await, None);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    assert_eq!(provider_at(&closed).end_session_url(&token).await, None);
}
