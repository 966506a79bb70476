//! What a service call can refuse, independent of HTTP (the API maps these to problem+json).

use chrono::NaiveDate;
use serde::Serialize;

/// One invalid field: its JSON path in the submitted document and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    /// A stable machine code for clients to translate (the engine's input codes, e.g.
    /// `end_before_start`, and `dmfa_conflict_unresolved`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// In English.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: None,
            reason: reason.into(),
        }
    }

    pub fn coded(
        field: impl Into<String>,
        code: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: Some(code.into()),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not authenticated")]
    Unauthenticated,
    /// Also used for what the actor may not know exists: the API answers 404 either way.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor sees the resource but its role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The workflow refuses the action now; `allowed_from`/`allowed_until` say when it would be
    /// allowed, when that is known.
    #[error("refused: {reason}")]
    Refused {
        code: &'static str,
        reason: String,
        allowed_from: Option<NaiveDate>,
        allowed_until: Option<NaiveDate>,
    },
    #[error("the resource changed since it was read (version {current})")]
    Stale { current: i32 },
    #[error("this change needs If-Match with the current ETag")]
    PreconditionRequired,
    #[error("too many attempts, retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("Idempotency-Key reused with a different request body")]
    IdempotencyMismatch,
    #[error("calculation engine failed: {0}")]
    Engine(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, reason)])
    }
    pub fn refused(code: &'static str, reason: impl Into<String>) -> Self {
        ServiceError::Refused {
            code,
            reason: reason.into(),
            allowed_from: None,
            allowed_until: None,
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
