//! Test harness: a fresh database per test (a SQLite file in a temp dir, or a fresh schema in
//! the PostgreSQL named by ART60_TEST_DATABASE_URL), fixtures made through the service
//! functions, and HTTP calls through the real router (no socket).
#![allow(dead_code)]

pub mod smtp;

use std::sync::Arc;

use art60_service::FixedClock;
use art60_service::api::{self, AppState};
use art60_service::attachments::Store;
use art60_service::auth::{Actor, PasswordCost};
use art60_service::db::{Db, Federation, Language, Role};
use art60_service::directory::{self, NewCpas, NewOffice, NewUser};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{NaiveDate, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL too when ART60_TEST_DATABASE_URL is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("ART60_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

pub const PASSWORD: &str = "correct horse battery staple";

/// How a test user calls: a session (cookie + CSRF token) or an API token.
#[derive(Debug, Clone)]
pub enum Auth {
    Anonymous,
    Session { cookie: String, csrf: String },
    Token(String),
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn etag(&self) -> String {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
    pub fn id(&self) -> i64 {
        self.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
    }
}

pub struct Org {
    pub office: i64,
    pub cpas: i64,
    pub worker: Auth,
    pub officer: Auth,
    pub worker_actor: Actor,
}

pub struct TestApp {
    pub backend: Backend,
    pub app: Router,
    pub db: Db,
    pub clock: Arc<FixedClock>,
    pub a: Org,
    pub b: Org,
    pub admin: Auth,
    pub fed_spoc: Auth,
    pub onem_spoc: Auth,
    pub pg_schema: Option<String>,
    _dir: tempfile::TempDir,
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Noon in Brussels on that date.
pub fn at(date: &str) -> chrono::DateTime<Utc> {
    let d = d(date);
    Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
}

async fn connect(backend: Backend, dir: &tempfile::TempDir) -> (Db, Option<String>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
            (Db::connect(&url).await.unwrap(), None)
        }
        Backend::Postgres => {
            let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
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
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("CREATE SCHEMA {schema}"),
            )
            .await
            .unwrap();
            (
                Db::connect_with(&url, Some(&schema)).await.unwrap(),
                Some(schema),
            )
        }
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (db, pg_schema) = connect(backend, &dir).await;
        let clock = Arc::new(FixedClock::new(at("2024-06-10")));
        let cost = PasswordCost::minimal_for_tests();
        let now = at("2024-06-01");
        let admin_v = directory::create_user(
            &db,
            now,
            cost,
            None,
            NewUser {
                username: "admin".into(),
                password: PASSWORD.into(),
                role: Role::Administrator,
                cpas_id: None,
                office_id: None,
                federation: None,
            },
        )
        .await
        .unwrap();
        let admin_actor = Actor {
            user_id: admin_v.id,
            role: Role::Administrator,
            cpas_id: None,
            office_id: None,
            federation: None,
        };
        let mut ids = vec![];
        for (code, kbo, lang) in [
            ("namur", "0207353138", Language::Fr),
            ("brussels", "0212415647", Language::Nl),
        ] {
            let o = directory::create_office(
                &db,
                now,
                &admin_actor,
                NewOffice {
                    code: code.into(),
                    name: code.into(),
                    phone: "+32 2 000 00 00".into(),
                    email: format!("{code}@onem.example"),
                    address: None,
                },
            )
            .await
            .unwrap();
            let c = directory::create_cpas(
                &db,
                now,
                &admin_actor,
                NewCpas {
                    kbo: kbo.into(),
                    name: format!("CPAS {code}"),
                    language: lang,
                    federation: Federation::Uvcw,
                    office_id: o.id,
                },
            )
            .await
            .unwrap();
            for (user, role) in [
                (format!("worker.{code}"), Role::CpasWorker),
                (format!("officer.{code}"), Role::OnemOfficer),
            ] {
                directory::create_user(
                    &db,
                    now,
                    cost,
                    Some(&admin_actor),
                    NewUser {
                        username: user,
                        password: PASSWORD.into(),
                        role,
                        cpas_id: (role == Role::CpasWorker).then_some(c.id),
                        office_id: (role == Role::OnemOfficer).then_some(o.id),
                        federation: None,
                    },
                )
                .await
                .unwrap();
            }
            ids.push((code, o.id, c.id));
        }
        for (user, role, fed) in [
            ("fed.spoc", Role::FederationSpoc, Some(Federation::Uvcw)),
            ("onem.spoc", Role::OnemSpoc, None),
        ] {
            directory::create_user(
                &db,
                now,
                cost,
                Some(&admin_actor),
                NewUser {
                    username: user.into(),
                    password: PASSWORD.into(),
                    role,
                    cpas_id: None,
                    office_id: None,
                    federation: fed,
                },
            )
            .await
            .unwrap();
        }
        let state = AppState {
            db: db.clone(),
            clock: clock.clone(),
            store: Store::Database,
            password_cost: cost,
            metrics: None,
            settings: Default::default(),
        };
        let app = api::router(state);
        let mut t = TestApp {
            backend,
            app,
            db,
            clock,
            a: Org {
                office: ids[0].1,
                cpas: ids[0].2,
                worker: Auth::Anonymous,
                officer: Auth::Anonymous,
                worker_actor: admin_actor.clone(),
            },
            b: Org {
                office: ids[1].1,
                cpas: ids[1].2,
                worker: Auth::Anonymous,
                officer: Auth::Anonymous,
                worker_actor: admin_actor.clone(),
            },
            admin: Auth::Anonymous,
            fed_spoc: Auth::Anonymous,
            onem_spoc: Auth::Anonymous,
            pg_schema,
            _dir: dir,
        };
        t.admin = t.login("admin").await;
        t.fed_spoc = t.login("fed.spoc").await;
        t.onem_spoc = t.login("onem.spoc").await;
        t.a.officer = t.login("officer.namur").await;
        t.b.officer = t.login("officer.brussels").await;
        // CPAS workers call with an API token, as CPAS software would.
        let wa = t.login("worker.namur").await;
        let wb = t.login("worker.brussels").await;
        t.a.worker = t.token(&wa).await;
        t.b.worker = t.token(&wb).await;
        t
    }

    pub async fn login(&self, user: &str) -> Auth {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                &Auth::Anonymous,
                Some(json!({"username": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {user}: {}", r.body);
        let cookie = r.headers["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        Auth::Session {
            cookie,
            csrf: r.body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    async fn token(&self, session: &Auth) -> Auth {
        let r = self
            .call(
                Method::POST,
                "/api/v1/api-tokens",
                session,
                Some(json!({"label": "test software"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        Auth::Token(r.body["token"].as_str().unwrap().to_owned())
    }

    pub async fn call(&self, method: Method, path: &str, auth: &Auth, body: Option<Value>) -> Resp {
        self.call_with(method, path, auth, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        match auth {
            Auth::Anonymous => {}
            Auth::Session { cookie, csrf } => {
                b = b.header("cookie", cookie).header("x-csrf-token", csrf);
            }
            Auth::Token(t) => {
                b = b.header("authorization", format!("Bearer {t}"));
            }
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send_raw(req).await
    }

    pub async fn send_raw(&self, req: Request<Body>) -> Resp {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }

    /// A person, an employment and a draft request in CPAS `org` (EX24: born 1995-03-10,
    /// full time from 2024-07-01).
    pub async fn draft(&self, org: &Org, niss: &str) -> Resp {
        self.draft_of(
            org,
            json!({"niss": niss, "last_name": "Test", "first_name": "Person", "birth_date": "1995-03-10"}),
            "2024-07-01",
            None,
        )
        .await
        .2
    }

    /// `person` (the body of `POST /persons`) registered by `org`, an employment from `start`
    /// and a draft request for it, full time, typing `history` when given: the person's
    /// response, the employment's id and the request's response.
    pub async fn draft_of(
        &self,
        org: &Org,
        person: Value,
        start: &str,
        history: Option<Value>,
    ) -> (Resp, i64, Resp) {
        let p = self
            .call(Method::POST, "/api/v1/persons", &org.worker, Some(person))
            .await;
        assert!(p.status.is_success(), "{}", p.body);
        let e = self
            .call(
                Method::POST,
                "/api/v1/employments",
                &org.worker,
                Some(json!({"person_id": p.id(), "contract_start": start})),
            )
            .await;
        assert_eq!(e.status, StatusCode::CREATED, "{}", e.body);
        let mut body = new_request(e.id(), start);
        if let Some(h) = history {
            body["input"]["history"] = h;
        }
        let r = self
            .call(Method::POST, "/api/v1/requests", &org.worker, Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        (p, e.id(), r)
    }

    pub async fn act(
        &self,
        auth: &Auth,
        id: i64,
        action: &str,
        etag: &str,
        body: Option<Value>,
    ) -> Resp {
        self.call_with(
            Method::POST,
            &format!("/api/v1/requests/{id}/{action}"),
            auth,
            body,
            &[("if-match", etag)],
        )
        .await
    }
}

pub fn new_request(employment_id: i64, start: &str) -> Value {
    json!({
        "employment_id": employment_id,
        "input": {"contract": {"start": start, "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}},
        "contact_name": "Service insertion",
        "contact_email": "insertion@cpas.example",
    })
}

/// Two valid NISS for people born 1995-03-10 (serials 123 and 125).
pub const NISS_1: &str = "95031012341";
pub const NISS_2: &str = "95031012539";

impl TestApp {
    /// Uploads `bytes` as a multipart part `file` named `name`.
    pub async fn upload(&self, auth: &Auth, request_id: i64, name: &str, bytes: &[u8]) -> Resp {
        let boundary = "XXart60boundaryXX";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/requests/{request_id}/attachments"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            );
        match auth {
            Auth::Anonymous => {}
            Auth::Session { cookie, csrf } => {
                b = b.header("cookie", cookie).header("x-csrf-token", csrf);
            }
            Auth::Token(t) => {
                b = b.header("authorization", format!("Bearer {t}"));
            }
        }
        self.send_raw(b.body(Body::from(body)).unwrap()).await
    }

    /// Drops the PostgreSQL schema of this test (SQLite's temp dir goes by itself).
    pub async fn finish(self) {
        if self.backend == Backend::Postgres {
            let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
            let conn = Db::connect_raw(&url).await.unwrap();
            if let Some(s) = &self.pg_schema {
                sea_orm::ConnectionTrait::execute_unprepared(
                    &conn,
                    &format!("DROP SCHEMA {s} CASCADE"),
                )
                .await
                .unwrap();
            }
        }
    }
}

/// The smallest PDF header `infer` recognises, and a PNG signature.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
pub const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        art60_service::Clock::now(self.clock.as_ref())
    }
}
