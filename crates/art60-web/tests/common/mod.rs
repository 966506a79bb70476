//! Test harness of the portal's HTTP tests: an in-process app (`art60_web::app`, no socket) on
//! a temporary SQLite database seeded with the demonstration data at a fixed clock, and a
//! small browser that keeps cookies, sends form posts and reads pages.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use art60_service::api::AppState;
use art60_service::attachments::Store;
use art60_service::auth::PasswordCost;
use art60_service::{Clock, Db, FixedClock};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Portal {
    pub app: Router,
    pub db: Db,
    pub clock: Arc<FixedClock>,
    /// Demo user name -> password.
    pub accounts: HashMap<String, String>,
    /// The PostgreSQL server and schema of this portal, dropped by [`Portal::cleanup`].
    pub pg: Option<(String, String)>,
    pub _dir: tempfile::TempDir,
}

/// The databases to run on: SQLite (`None`) always; the PostgreSQL named by
/// `ART60_TEST_DATABASE_URL` too when it is set.
pub fn backends() -> Vec<Option<String>> {
    let mut v = vec![None];
    if let Ok(u) = std::env::var("ART60_TEST_DATABASE_URL")
        && !u.is_empty()
    {
        v.push(Some(u));
    }
    v
}

/// The portal as `art60 serve --demo` wires it, on 2026-11-20 09:00 UTC, on SQLite.
pub async fn portal() -> Portal {
    portal_on(None, false).await
}

/// The same, with `Secure` cookies when `secure_cookies` (as `server::run_with` sets them).
pub async fn portal_with(secure_cookies: bool) -> Portal {
    portal_on(None, secure_cookies).await
}

/// The portal on a fresh SQLite file (`pg` None) or a fresh schema of that PostgreSQL server.
pub async fn portal_on(pg: Option<&str>, secure_cookies: bool) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let (db, pg) = match pg {
        None => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
            (Db::connect(&url).await.unwrap(), None)
        }
        Some(url) => {
            let schema = format!(
                "w_{}",
                art60_service::auth::random_secret("")
                    .to_lowercase()
                    .replace(['-', '_'], "")
                    .chars()
                    .take(16)
                    .collect::<String>()
            );
            let admin = Db::connect_raw(url).await.unwrap();
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("CREATE SCHEMA {schema}"),
            )
            .await
            .unwrap();
            (
                Db::connect_with(url, Some(&schema)).await.unwrap(),
                Some((url.to_owned(), schema)),
            )
        }
    };
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap(),
    ));
    let cost = PasswordCost::minimal_for_tests();
    let creds = art60_service::demo::seed(&db, clock.now(), cost)
        .await
        .unwrap();
    let state = AppState {
        db: db.clone(),
        clock: clock.clone(),
        store: Store::Database,
        password_cost: cost,
        metrics: None,
        settings: Default::default(),
    };
    let app = art60_web::app(state);
    let app = if secure_cookies {
        art60_service::api::cookies::secure(app)
    } else {
        app
    };
    Portal {
        app,
        db,
        clock,
        accounts: creds
            .into_iter()
            .map(|c| (c.username, c.password))
            .collect(),
        pg,
        _dir: dir,
    }
}

impl Portal {
    /// Drops the PostgreSQL schema (SQLite's file goes with the temporary directory).
    pub async fn cleanup(&self) {
        if let Some((url, schema)) = &self.pg {
            let admin = Db::connect_raw(url).await.unwrap();
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("DROP SCHEMA {schema} CASCADE"),
            )
            .await
            .unwrap();
        }
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HashMap<String, String>,
    /// The body as received (a PDF is not text).
    pub bytes: Vec<u8>,
    pub location: Option<String>,
    pub cookies: Vec<String>,
    pub body: String,
}

#[derive(Default)]
pub struct Browser {
    pub jar: HashMap<String, String>,
    /// The `Accept-Language` header, if any.
    pub lang: Option<&'static str>,
}

impl Browser {
    pub fn with_lang(lang: &'static str) -> Browser {
        Browser {
            lang: Some(lang),
            ..Default::default()
        }
    }

    /// A request with the jar's cookies; `body` is `(content type, bytes)`.
    pub async fn request(
        &mut self,
        p: &Portal,
        method: &str,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, "text/html");
        if let Some(l) = self.lang {
            b = b.header(header::ACCEPT_LANGUAGE, l);
        }
        if !self.jar.is_empty() {
            let c: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            b = b.header(header::COOKIE, c.join("; "));
        }
        let body = match body {
            Some((ty, bytes)) => {
                b = b.header(header::CONTENT_TYPE, ty);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let resp = p.app.clone().oneshot(b.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let cookies: Vec<String> = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &cookies {
            let first = c.split(';').next().unwrap();
            let (k, v) = first.split_once('=').unwrap();
            if v.is_empty() {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), v.to_owned());
            }
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            location,
            cookies,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// A request with an urlencoded form when `form` is given.
    pub async fn send(
        &mut self,
        p: &Portal,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Resp {
        let body = form.map(|f| {
            let enc: Vec<String> = f
                .iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                .collect();
            (
                "application/x-www-form-urlencoded".to_owned(),
                enc.join("&").into_bytes(),
            )
        });
        self.request(p, method, path, body).await
    }

    pub async fn get(&mut self, p: &Portal, path: &str) -> Resp {
        self.send(p, "GET", path, None).await
    }

    pub async fn post(&mut self, p: &Portal, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send(p, "POST", path, Some(form)).await
    }

    /// Signs in as demo user `user` through the login form.
    pub async fn login(&mut self, p: &Portal, user: &str) -> Resp {
        let page = self.get(p, "/login").await;
        let token = csrf(&page.body);
        let pw = p.accounts[user].clone();
        self.post(
            p,
            "/login",
            &[("csrf", &token), ("username", user), ("password", &pw)],
        )
        .await
    }
}

/// Percent-encoding of a form value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The first hidden `csrf` field of a page (every form of a session carries the same token).
pub fn csrf(html: &str) -> String {
    html.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned()
}

/// The page from its `<main>` on (without the header's menu and forms).
pub fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap();
    &html[start..]
}
