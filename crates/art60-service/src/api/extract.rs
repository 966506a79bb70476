//! Request extractors: the authenticated caller, JSON bodies with field-level errors,
//! If-Match, and the Idempotency-Key replay store.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::de::DeserializeOwned;

use super::AppState;
use super::problem::{ApiError, Problem};
use crate::auth::{self, Actor, Credential, SESSION_COOKIE, sha256_hex};
use crate::db::idempotency;
use crate::error::{FieldError, ServiceError};

/// The client's address, for sign-in throttling: the TCP peer, or with
/// [`super::Settings::trust_forwarded_for`] (behind a reverse proxy that sets it) the last
/// `X-Forwarded-For` entry, the one the proxy itself appended. `None` when neither is known
/// (in-process tests without a connection).
pub struct ClientSource(pub Option<String>);

impl ClientSource {
    pub fn of(parts: &Parts, settings: &super::Settings) -> ClientSource {
        if settings.trust_forwarded_for {
            let last = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok());
            if let Some(ip) = last {
                return ClientSource(Some(ip.to_string()));
            }
        }
        ClientSource(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        )
    }
}

impl FromRequestParts<AppState> for ClientSource {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientSource::of(parts, &st.settings))
    }
}

/// The authenticated caller. Cookie sessions must echo their CSRF token in `X-CSRF-Token` on
/// every unsafe method; API tokens (no ambient credential) need not.
pub struct Caller {
    pub actor: Actor,
    pub credential: Credential,
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let (actor, credential) = if let Some(token) = bearer {
            auth::from_token(&st.db, token.trim()).await?
        } else if let Some(cookie) = cookie_value(&parts.headers, SESSION_COOKIE) {
            auth::from_session(&st.db, st.clock.now(), cookie).await?
        } else {
            return Err(ServiceError::Unauthenticated.into());
        };
        if let Credential::Session { csrf_token } = &credential {
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if !safe && sent != Some(csrf_token.as_str()) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "CSRF token missing or wrong",
                )
                .detail("send the csrf_token from sign-in in the X-CSRF-Token header")
                .into());
            }
        }
        Ok(Caller { actor, credential })
    }
}

/// A JSON body whose errors name the field (RFC 9457 `errors`), plus its raw bytes.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: Bytes,
}

/// Every body of this API is a JSON object. serde also reads a struct from an array (its
/// fields in order), so `[null, null]` used to pass as settings that reset everything.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ServiceError> {
    if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "$",
            "a JSON object is expected",
        )]));
    }
    let de = &mut serde_json::Deserializer::from_slice(raw);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "$".to_owned() } else { path };
        ServiceError::Invalid(vec![FieldError::new(field, e.inner().to_string())])
    })
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "Send application/json",
            )
            .into());
        }
        let raw = Bytes::from_request(req, st).await.map_err(|e| {
            ApiError(Problem::new(e.status(), "body", "Unreadable body").detail(e.body_text()))
        })?;
        Ok(JsonBody {
            value: parse_json(&raw)?,
            raw,
        })
    }
}

/// The version named by `If-Match` (`"3"` or `W/"3"`); `Some(-1)` for a value that names no
/// version this API issued (it can only be stale).
pub struct IfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfMatch(parts.headers.get(header::IF_MATCH).map(|v| {
            v.to_str()
                .ok()
                .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1)
        })))
    }
}

pub fn etag(version: i32) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Runs a creation at most once per (caller, Idempotency-Key). A retry with the same body
/// gets the stored response; the same key with another body is refused.
pub async fn idempotent<F, Fut>(
    st: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    raw: &[u8],
    now: DateTime<Utc>,
    run: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, serde_json::Value), ApiError>>,
{
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        let (status, body) = run().await?;
        return Ok((status, axum::Json(body)).into_response());
    };
    if key.len() > 200 {
        return Err(ServiceError::invalid("Idempotency-Key", "at most 200 characters").into());
    }
    let body_sha = sha256_hex(raw);
    // Reserve the key first: the unique index lets exactly one of two concurrent retries in.
    // A refused first request releases its key (below), so a retry that lost the race may find
    // no record: it then reserves again (it used to answer 500 "record vanished").
    let mut tries = 0;
    let row = loop {
        let reserved = idempotency::ActiveModel {
            user_id: Set(caller.actor.user_id),
            key: Set(key.to_owned()),
            route: Set(route.to_owned()),
            body_sha256: Set(body_sha.clone()),
            status: Set(0),
            response: Set(String::new()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&st.db.conn)
        .await;
        match reserved {
            Ok(row) => break row,
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                if let Some(resp) = replay(st, caller, key, route, &body_sha).await? {
                    return Ok(resp);
                }
                tries += 1;
                if tries >= 5 {
                    return Err(in_progress().into());
                }
            }
            Err(e) => return Err(ServiceError::from(e).into()),
        }
    };
    match run().await {
        Ok((status, body)) => {
            let mut done: idempotency::ActiveModel = row.into();
            done.status = Set(i32::from(status.as_u16()));
            done.response = Set(body.to_string());
            done.update(&st.db.conn).await.map_err(ServiceError::from)?;
            Ok((status, axum::Json(body)).into_response())
        }
        Err(e) => {
            // A refused creation may be retried with the same key once corrected.
            idempotency::Entity::delete_by_id(row.id)
                .exec(&st.db.conn)
                .await
                .map_err(ServiceError::from)?;
            Err(e)
        }
    }
}

fn in_progress() -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "idempotency_in_progress",
        "The first request with this Idempotency-Key is still running",
    )
    .detail("retry shortly")
}

async fn replay(
    st: &AppState,
    caller: &Caller,
    key: &str,
    route: &str,
    body_sha: &str,
) -> Result<Option<Response>, ApiError> {
    let Some(found) = idempotency::Entity::find()
        .filter(idempotency::Column::UserId.eq(caller.actor.user_id))
        .filter(idempotency::Column::Key.eq(key))
        .one(&st.db.reads)
        .await
        .map_err(ServiceError::from)?
    else {
        return Ok(None);
    };
    if found.body_sha256 != body_sha || found.route != route {
        return Err(ServiceError::IdempotencyMismatch.into());
    }
    if found.status == 0 {
        return Err(in_progress().into());
    }
    let status =
        StatusCode::from_u16(u16::try_from(found.status).unwrap_or(500)).unwrap_or(StatusCode::OK);
    let mut resp = (status, found.response).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(Some(resp))
}
