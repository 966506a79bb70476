//! Feedback to the team running the portal (the support button on every page): stored with
//! the page it came from, listed for administrators. Text with a NISS-shaped number is
//! refused: feedback goes to people outside the case, never with personal data.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event, Who};
use crate::auth::Actor;
use crate::db::{Db, Role, feedback};
use crate::error::{FieldError, Result, ServiceError};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub message: String,
    /// The portal page the button was pressed on (a path such as `/queue`).
    pub page: String,
    /// Where the team may answer, if the sender wants an answer.
    #[serde(default)]
    pub contact_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: i64,
    pub user_id: Option<i64>,
    pub page: String,
    pub message: String,
    pub contact_email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<feedback::Model> for FeedbackView {
    fn from(m: feedback::Model) -> Self {
        FeedbackView {
            id: m.id,
            user_id: m.user_id,
            page: m.page,
            message: m.message,
            contact_email: m.contact_email,
            created_at: m.created_at,
        }
    }
}

/// Anyone may send feedback, signed in or not (a sign-in problem is feedback too).
pub async fn submit(
    db: &Db,
    now: DateTime<Utc>,
    actor: Option<&Actor>,
    input: NewFeedback,
) -> Result<FeedbackView> {
    let mut errors = Vec::new();
    let message = input.message.trim();
    if message.is_empty() || message.chars().count() > 4000 {
        errors.push(FieldError::new("message", "1 to 4000 characters"));
    } else {
        // Feedback names no request, so only the NISS can be recognised.
        crate::pii::check_free_text(&mut errors, "message", message, None);
    }
    let page = input.page.trim();
    if !page.starts_with('/') || page.len() > 300 || page.contains(char::is_whitespace) {
        errors.push(FieldError::new(
            "page",
            "a path of the portal, such as /queue",
        ));
    }
    let contact = input
        .contact_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(e) = contact
        && !crate::email::is_valid(e)
    {
        errors.push(FieldError::new(
            "contact_email",
            "an e-mail address (name@domain)",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let tx = db.begin_write().await?;
    let m = feedback::ActiveModel {
        user_id: Set(actor.map(|a| a.user_id)),
        page: Set(page.to_owned()),
        message: Set(message.to_owned()),
        contact_email: Set(contact.map(str::to_owned)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        &actor.map(Actor::who).unwrap_or(Who {
            user_id: None,
            role: None,
            org: Some("anonymous".into()),
        }),
        Event {
            action: "create",
            entity: "feedback",
            entity_id: Some(m.id),
            after: Some(serde_json::json!({ "page": m.page })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(FeedbackView::from(m))
}

/// Newest first; administrators only. Reading it is audited.
pub async fn list(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<FeedbackView>> {
    if actor.role != Role::Administrator {
        return Err(ServiceError::Forbidden("administrators only".into()));
    }
    let rows = feedback::Entity::find()
        .order_by_desc(feedback::Column::Id)
        .limit(limit.clamp(1, 500))
        .all(&db.reads)
        .await?;
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "list",
            entity: "feedback",
            after: Some(serde_json::json!({ "count": rows.len() })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(FeedbackView::from).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn niss_shaped_numbers_are_found_in_any_layout() {
        use crate::pii::contains_niss;
        assert!(contains_niss("about 95031012341 please"));
        assert!(contains_niss("about 95.03.10-123.41 please"));
        assert!(!contains_niss("call +32 470 12 34 56"));
        assert!(!contains_niss("request CPAS-2024-000123 due 2024-06-14"));
        // Eleven digits with wrong check digits: not a NISS.
        assert!(!contains_niss("95031012342"));
    }
}
