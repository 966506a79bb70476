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

/// An 11-digit run (separators `.`, `-`, `/`, space allowed) whose check digits make it a
/// valid NISS. Phone numbers and dates do not have 11 digits with a NISS checksum.
pub fn contains_niss(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || chars[i - 1] != '+') {
            let mut digits = String::new();
            let mut j = i;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits.push(chars[j]);
                    j += 1;
                } else if matches!(chars[j], '.' | '-' | '/' | ' ')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            // Any 11 consecutive digits of the run (a NISS glued to other numbers).
            let d: Vec<char> = digits.chars().collect();
            if d.len() >= 11
                && d.windows(11)
                    .any(|w| art60_rules::Niss::parse(&w.iter().collect::<String>()).is_ok())
            {
                return true;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    false
}

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
    } else if contains_niss(message) {
        errors.push(FieldError::new(
            "message",
            "remove the national register number (NISS): feedback must not contain personal data; quote the request reference instead",
        ));
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
        .all(&db.conn)
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
    use super::*;

    #[test]
    fn niss_shaped_numbers_are_found_in_any_layout() {
        assert!(contains_niss("about 95031012341 please"));
        assert!(contains_niss("about 95.03.10-123.41 please"));
        assert!(!contains_niss("call +32 470 12 34 56"));
        assert!(!contains_niss("request CPAS-2024-000123 due 2024-06-14"));
        // Eleven digits with wrong check digits: not a NISS.
        assert!(!contains_niss("95031012342"));
    }
}
