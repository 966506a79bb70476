//! RFC 9457 problem details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{FieldError, ServiceError};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:art60:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Each invalid field with its JSON path and the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a refusal that will be lifted: from when the action is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_until: Option<NaiveDate>,
    /// For a stale write: the version (ETag) the resource has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// Seconds before a refused attempt may be retried: the `Retry-After` header.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str) -> Problem {
        Problem {
            kind: format!("urn:art60:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: vec![],
            allowed_from: None,
            allowed_until: None,
            current_version: None,
            retry_after: None,
        }
    }
    pub fn detail(mut self, d: impl Into<String>) -> Problem {
        self.detail = Some(d.into());
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"art60\""),
            );
        }
        resp
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        use StatusCode as S;
        match e {
            ServiceError::Unauthenticated => Problem::new(
                S::UNAUTHORIZED,
                "unauthenticated",
                "Sign in or send an API token",
            ),
            ServiceError::NotFound(what) => Problem::new(S::NOT_FOUND, "not_found", "Not found")
                .detail(format!("{what} not found")),
            ServiceError::Forbidden(why) => {
                Problem::new(S::FORBIDDEN, "forbidden", "Not allowed for your role").detail(why)
            }
            ServiceError::Invalid(errors) => {
                let mut p = Problem::new(S::UNPROCESSABLE_ENTITY, "invalid", "Invalid input");
                p.detail = Some(
                    errors
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.reason))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                p.errors = errors;
                p
            }
            ServiceError::Refused {
                code,
                reason,
                allowed_from,
                allowed_until,
            } => {
                let mut p =
                    Problem::new(S::CONFLICT, code, "Refused by the workflow").detail(reason);
                p.allowed_from = allowed_from;
                p.allowed_until = allowed_until;
                p
            }
            ServiceError::Stale { current } => {
                let mut p = Problem::new(
                    S::PRECONDITION_FAILED,
                    "stale",
                    "The resource changed since you read it",
                )
                .detail("reload it and apply your change again");
                p.current_version = Some(current);
                p
            }
            ServiceError::PreconditionRequired => Problem::new(
                S::PRECONDITION_REQUIRED,
                "if_match_required",
                "If-Match required",
            )
            .detail("send If-Match with the ETag of the version you read"),
            ServiceError::TooManyAttempts { retry_after_secs } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::new(
                    S::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    "Too many failed sign-ins",
                )
                .detail(format!("retry in {retry_after_secs} seconds"))
            },
            ServiceError::IdempotencyMismatch => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key reused with a different body",
            ),
            ServiceError::Engine(msg) => Problem::new(
                S::SERVICE_UNAVAILABLE,
                "engine",
                "Calculation engine unavailable",
            )
            .detail(msg),
            ServiceError::Storage(msg) => {
                tracing::error!(error = %msg, "storage error");
                Problem::new(S::INTERNAL_SERVER_ERROR, "internal", "Internal error")
            }
            ServiceError::Db(err) => {
                tracing::error!(error = %err, "database error");
                Problem::new(S::INTERNAL_SERVER_ERROR, "internal", "Internal error")
            }
        }
    }
}

/// Lets handlers use `?` on service calls.
pub struct ApiError(pub Problem);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(Problem::from(e))
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
