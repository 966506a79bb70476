//! Answer letters (issue 13 §3): each letter issued for a calculated request is stored with a
//! short verification code and the final answer it printed (canonical JSON and its SHA-256),
//! so a user of the CPAS or of the office can later check a paper or PDF letter against the
//! stored answer at `/verify/{code}`.
//!
//! The PDF itself is made by the portal (crate art60-letter); this module decides who may
//! have a letter, what it states, and records both the issue (`letter`, it reads personal
//! data) and each verification (`verify_letter`) in the audit trail.

use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{Db, Status, cpas, letter, office, person, request};
use crate::error::{Result, ServiceError};
use crate::requests::{self, FinalAnswer, RequestView, Standing};

/// Crockford's base32: no I, L, O or U, so a code read aloud or typed is unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 12 characters: 60 random bits, far beyond guessing (and a guess still needs an account
/// of the CPAS or office concerned).
const CODE_LEN: usize = 12;

/// The final answer as a letter states it. Serialized in field order, so the same answer
/// always gives the same bytes and the same SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Content {
    pub request_id: i64,
    pub reference: String,
    /// `confirmed` or `modified` (a letter exists only for a calculated request).
    pub standing: String,
    pub end_date: Option<NaiveDate>,
    pub first_benefit_date: Option<NaiveDate>,
    pub days_to_work: Option<i32>,
    /// The engine's end date when ONEM set another one.
    pub computed_end_date: Option<NaiveDate>,
    pub decided_at: Option<DateTime<Utc>>,
    pub office_id: Option<i64>,
    /// ONEM's justification of a modified answer.
    pub reason: Option<String>,
}

impl Content {
    /// What the stored request answers now: its final answer (ONEM's end date and the
    /// engine's DA and days for it after an override).
    pub fn of(m: &request::Model) -> Content {
        let f = FinalAnswer::of(m);
        Content {
            request_id: m.id,
            reference: m.reference.clone(),
            standing: standing_name(f.standing).to_owned(),
            end_date: f.end_date,
            first_benefit_date: f.first_benefit_date,
            days_to_work: f.days_to_work,
            computed_end_date: f.computed_end_date,
            decided_at: f.decided_at,
            office_id: f.office_id,
            reason: f.reason,
        }
    }

    fn sha256(&self) -> Result<String> {
        let bytes = serde_json::to_vec(self)
            .map_err(|e| ServiceError::Storage(format!("letter content: {e}")))?;
        Ok(crate::auth::sha256_hex(&bytes))
    }
}

/// The standing as the API spells it (its serde name, `snake_case`).
pub fn standing_name(s: Standing) -> &'static str {
    // A unit variant always has a serde name; the fallback is never taken.
    art60_rules::result::variant_name(&s).unwrap_or("simulation")
}

/// A new random code, 12 characters of Crockford base32.
fn new_code() -> String {
    let mut buf = [0u8; 8];
    rand::rng().fill_bytes(&mut buf);
    let mut n = u64::from_le_bytes(buf);
    (0..CODE_LEN)
        .map(|_| {
            // `n & 31` is below 32: always an index of the alphabet.
            let c = ALPHABET[(n & 31) as usize];
            n >>= 5;
            char::from(c)
        })
        .collect()
}

/// `ABCDEFGHJKMN` printed as `ABCD-EFGH-JKMN`.
pub fn format_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as stored, from what a user typed: case, spaces and dashes ignored, and the
/// letters Crockford reads as digits (O → 0, I and L → 1). `None`: not a code.
pub fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let ok = code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b));
    ok.then_some(code)
}

/// What a letter needs, read once (and audited once) when it is issued.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Formatted for print: `ABCD-EFGH-JKMN`.
    pub code: String,
    pub letter_id: i64,
    pub issued_at: DateTime<Utc>,
    pub request: RequestView,
    /// The person (its `Debug` redacts the name and NISS).
    pub person: person::Model,
    pub cpas: cpas::Model,
    pub office: office::Model,
}

/// Issues a letter for a calculated request the actor sees (a CPAS worker of its CPAS, an
/// officer of its office; others: not found): stores its code and content, audited
/// `letter`. Any other status is refused (`wrong_status`).
pub async fn issue(db: &Db, now: DateTime<Utc>, actor: &Actor, request_id: i64) -> Result<Issued> {
    let m = requests::visible_request(db, actor, request_id).await?;
    if m.status != Status::Calculated {
        return Err(ServiceError::refused(
            "wrong_status",
            format!(
                "a letter exists only for a calculated request; this one is {}",
                m.status
            ),
        ));
    }
    let p = crate::persons::as_seen_by(&db.reads, m.person_id, m.cpas_id).await?;
    let c = cpas::Entity::find_by_id(m.cpas_id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("cpas"))?;
    // The office that answered; a calculated request always went to one.
    let office_id = m.office_id.unwrap_or(c.office_id);
    let o = office::Entity::find_by_id(office_id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("office"))?;
    let content = Content::of(&m);
    let sha = content.sha256()?;
    let content_json = serde_json::to_value(&content)
        .map_err(|e| ServiceError::Storage(format!("letter content: {e}")))?;
    let tx = db.begin_write().await?;
    let code = new_code();
    let row = letter::ActiveModel {
        code: Set(code.clone()),
        request_id: Set(m.id),
        request_version: Set(m.version),
        content: Set(content_json),
        content_sha256: Set(sha.clone()),
        issued_at: Set(now),
        issued_by: Set(actor.user_id),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "letter",
            entity: "request",
            entity_id: Some(m.id),
            person_id: Some(m.person_id),
            after: Some(serde_json::json!({
                "letter_id": row.id,
                "request_version": m.version,
                "content_sha256": sha,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Issued {
        code: format_code(&code),
        letter_id: row.id,
        issued_at: now,
        request: RequestView::from(m),
        person: p,
        cpas: c,
        office: o,
    })
}

/// One failed verification in the audit trail: the code as understood (`None`: not even
/// shaped like one) and, when it exists but is not the user's to see, the letter.
async fn audit_failed(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    code: Option<&str>,
    letter_id: Option<i64>,
) -> Result<()> {
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "verify_letter",
            entity: "letter",
            entity_id: letter_id,
            after: Some(serde_json::json!({"found": false, "code": code})),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A letter checked against the stored answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    /// Formatted: `ABCD-EFGH-JKMN`.
    pub code: String,
    pub issued_at: DateTime<Utc>,
    /// What the letter stated.
    pub letter: Content,
    /// What the stored request answers now.
    pub current: Content,
    /// The stored answer still says exactly what the letter says.
    pub matches: bool,
    /// A later calculation of the same employment (a second calculation) that replaces it.
    pub superseded_by: Option<String>,
}

impl Verification {
    /// The letter is still the answer that holds.
    pub fn still_current(&self) -> bool {
        self.matches && self.superseded_by.is_none()
    }
}

/// Checks a letter's code (as typed) for a user of the request's CPAS or office; any other
/// user, and an unknown code, get "not found". Audited `verify_letter`, the failures too
/// (`found: false`, with the letter when the code exists but the user may not see it), so
/// that guessing at codes leaves a trace.
pub async fn verify(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    typed: &str,
) -> Result<Verification> {
    let code = normalize_code(typed);
    let found = match &code {
        Some(c) => {
            letter::Entity::find()
                .filter(letter::Column::Code.eq(c.as_str()))
                .one(&db.reads)
                .await?
        }
        None => None,
    };
    let Some(l) = found else {
        audit_failed(db, now, actor, code.as_deref(), None).await?;
        return Err(ServiceError::NotFound("letter"));
    };
    // The request's visibility rules decide; a refusal reads as an unknown code.
    let m = match requests::visible_request(db, actor, l.request_id).await {
        Ok(m) => m,
        Err(ServiceError::NotFound(_)) => {
            audit_failed(db, now, actor, code.as_deref(), Some(l.id)).await?;
            return Err(ServiceError::NotFound("letter"));
        }
        Err(other) => return Err(other),
    };
    let code = l.code.clone();
    let stated: Content = serde_json::from_value(l.content.clone())
        .map_err(|e| ServiceError::Storage(format!("stored letter {}: {e}", l.id)))?;
    let current = Content::of(&m);
    let matches = current.sha256()? == l.content_sha256;
    let superseded_by = match m.decided_at {
        Some(decided) => request::Entity::find()
            .filter(request::Column::EmploymentId.eq(m.employment_id))
            .filter(request::Column::Status.eq(Status::Calculated))
            .filter(request::Column::DecidedAt.gt(decided))
            .order_by_desc(request::Column::DecidedAt)
            .one(&db.reads)
            .await?
            .map(|later| later.reference),
        None => None,
    };
    let v = Verification {
        code: format_code(&code),
        issued_at: l.issued_at,
        letter: stated,
        current,
        matches,
        superseded_by,
    };
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "verify_letter",
            entity: "letter",
            entity_id: Some(l.id),
            person_id: Some(m.person_id),
            after: Some(serde_json::json!({
                "found": true,
                "request_id": m.id,
                "matches": v.matches,
                "still_current": v.still_current(),
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_crockford_characters_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let c = new_code();
            assert_eq!(c.len(), CODE_LEN);
            assert!(c.bytes().all(|b| ALPHABET.contains(&b)), "{c}");
            let printed = format_code(&c);
            assert_eq!(printed.len(), 14);
            assert_eq!(normalize_code(&printed).as_deref(), Some(c.as_str()));
            assert_eq!(
                normalize_code(&printed.to_lowercase().replace('-', " ")).as_deref(),
                Some(c.as_str())
            );
            seen.insert(c);
        }
        assert_eq!(seen.len(), 200, "codes repeat");
    }

    #[test]
    fn typed_codes_forgive_look_alikes_and_refuse_the_rest() {
        assert_eq!(
            normalize_code("oIl2-3456-789a").as_deref(),
            Some("01123456789A")
        );
        assert_eq!(normalize_code("ABCD-EFGH-JKM"), None);
        assert_eq!(normalize_code("ABCD-EFGH-JKMU"), None);
        assert_eq!(normalize_code("ABCD-EFGH-JKMN-P"), None);
        assert_eq!(normalize_code(""), None);
    }
}
