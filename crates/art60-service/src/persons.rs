//! Persons (one row per NISS across all CPAS; a CPAS follows a person through a link) and
//! employments (an art. 60 §7 contract of a person with a CPAS).

use std::collections::{BTreeSet, HashMap};

use art60_rules::Niss;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{Db, Role, employment, person, person_link, request};
use crate::error::{FieldError, Result, ServiceError};

/// A page of a list and the cursor of the next one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Cursor pagination by ascending id: stable under inserts, no offset scans.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after_id: i64,
    pub limit: u64,
}

impl PageRequest {
    pub const MAX: u64 = 200;
    pub fn parse(cursor: Option<&str>, limit: Option<u64>) -> Result<PageRequest> {
        let after_id = match cursor {
            None | Some("") => 0,
            Some(c) => c
                .strip_prefix("id:")
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| ServiceError::invalid("cursor", "not a cursor this API issued"))?,
        };
        let limit = limit.unwrap_or(50);
        if limit == 0 || limit > Self::MAX {
            return Err(ServiceError::invalid(
                "limit",
                format!("1 to {}", Self::MAX),
            ));
        }
        Ok(PageRequest { after_id, limit })
    }

    pub fn page<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> Page<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| format!("id:{}", id(r)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    /// The 11 digits (shown to the CPAS that follows the person; never logged).
    pub niss: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: NaiveDate,
}

impl From<person::Model> for PersonView {
    fn from(m: person::Model) -> Self {
        PersonView {
            id: m.id,
            niss: m.niss,
            last_name: m.last_name,
            first_name: m.first_name,
            birth_date: m.birth_date,
        }
    }
}

#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub niss: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: NaiveDate,
}

impl std::fmt::Debug for NewPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPerson { <redacted> }")
    }
}

fn worker_cpas(actor: &Actor) -> Result<i64> {
    match (actor.role, actor.cpas_id) {
        (Role::CpasWorker, Some(c)) => Ok(c),
        _ => Err(ServiceError::Forbidden(
            "only a CPAS worker does this".into(),
        )),
    }
}

/// Registers a person for the actor's CPAS and answers whether the CPAS's record was created.
///
/// A NISS is one person across all CPAS (the shared row holds the NISS and the birth date it
/// encodes), but what a CPAS typed is its own: each CPAS's link carries the name it gave, and
/// nothing another CPAS registered comes back (issue 14 §1: the name, and even whether the NISS
/// was known, were disclosed). A CPAS registering a NISS for the first time always gets
/// `created` with the name it typed; registering it again with another name is refused on the
/// name fields (the CPAS's own record is never silently replaced). A name that differs from
/// another CPAS's is recorded in the audit trail for ONEM, without the names.
pub async fn register(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    input: NewPerson,
) -> Result<(PersonView, bool)> {
    let cpas_id = worker_cpas(actor)?;
    let mut errors = Vec::new();
    let niss = match Niss::parse(&input.niss) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new("niss", e.to_string()));
            None
        }
    };
    for (field, v) in [
        ("last_name", &input.last_name),
        ("first_name", &input.first_name),
    ] {
        if v.trim().is_empty() || v.len() > 200 {
            errors.push(FieldError::new(field, "1 to 200 characters"));
        }
    }
    if let Some(bd) = niss.as_ref().and_then(Niss::birth_date)
        && bd != input.birth_date
    {
        errors.push(FieldError::new(
            "birth_date",
            "does not match the birth date encoded in the NISS",
        ));
    }
    let (Some(niss), true) = (niss, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let last_name = input.last_name.trim().to_owned();
    let first_name = input.first_name.trim().to_owned();
    // Two CPAS registering the same NISS at once: the second insert hits the unique key
    // (a 500 before); it then starts again and finds the person the first one created.
    let mut attempts = 0;
    let (tx, p, new_person) = loop {
        attempts += 1;
        let tx = db.begin_write().await?;
        let existing = person::Entity::find()
            .filter(person::Column::Niss.eq(niss.expose()))
            .one(&tx.txn)
            .await?;
        if let Some(p) = existing {
            break (tx, p, false);
        }
        let inserted = person::ActiveModel {
            niss: Set(niss.expose()),
            last_name: Set(last_name.clone()),
            first_name: Set(first_name.clone()),
            birth_date: Set(input.birth_date),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx.txn)
        .await;
        match inserted {
            Ok(p) => break (tx, p, true),
            Err(e)
                if attempts < 3
                    && matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
            {
                drop(tx);
            }
            Err(e) => return Err(e.into()),
        }
    };
    let own = person_link::Entity::find()
        .filter(person_link::Column::PersonId.eq(p.id))
        .filter(person_link::Column::CpasId.eq(cpas_id))
        .one(&tx.txn)
        .await?;
    if let Some(link) = own {
        let seen = with_link_names(p, &link);
        let mut differs = Vec::new();
        if seen.birth_date != input.birth_date {
            differs.push(FieldError::coded(
                "birth_date",
                "birth_date_differs",
                format!(
                    "your CPAS registered this NISS with the birth date {}",
                    seen.birth_date
                ),
            ));
        }
        for (field, stored, typed) in [
            ("last_name", &seen.last_name, &last_name),
            ("first_name", &seen.first_name, &first_name),
        ] {
            if crate::pii::canonical(stored) != crate::pii::canonical(typed) {
                differs.push(FieldError::coded(
                    field,
                    "name_differs",
                    format!(
                        "your CPAS registered this NISS as \"{} {}\": type that name",
                        seen.last_name, seen.first_name
                    ),
                ));
            }
        }
        if !differs.is_empty() {
            return Err(ServiceError::Invalid(differs));
        }
        return Ok((PersonView::from(seen), false));
    }
    let names_differ = crate::pii::canonical(&p.last_name) != crate::pii::canonical(&last_name)
        || crate::pii::canonical(&p.first_name) != crate::pii::canonical(&first_name);
    let link = person_link::ActiveModel {
        person_id: Set(p.id),
        cpas_id: Set(cpas_id),
        created_at: Set(now),
        last_name: Set(Some(last_name)),
        first_name: Set(Some(first_name)),
        birth_date: Set(Some(input.birth_date)),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: if new_person { "create" } else { "link" },
            entity: "person",
            entity_id: Some(p.id),
            person_id: Some(p.id),
            after: (!new_person && names_differ)
                .then(|| serde_json::json!({ "names_differ_from_other_cpas": true })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok((PersonView::from(with_link_names(p, &link)), true))
}

/// The person as `link`'s CPAS registered it: the shared NISS, the CPAS's name and birth date.
fn with_link_names(mut p: person::Model, link: &person_link::Model) -> person::Model {
    if let Some(d) = link.birth_date {
        p.birth_date = d;
    }
    if let Some(n) = &link.last_name {
        p.last_name.clone_from(n);
    }
    if let Some(n) = &link.first_name {
        p.first_name.clone_from(n);
    }
    p
}

/// The person as the CPAS `cpas_id` registered it (its name, see [`register`]): what every view
/// of a case of that CPAS shows, whoever reads it (the CPAS's worker, the ONEM officer, the
/// letter). Not found when that CPAS does not follow the person.
pub async fn as_seen_by<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: i64,
) -> Result<person::Model> {
    let p = person::Entity::find_by_id(person_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let link = person_link::Entity::find()
        .filter(person_link::Column::PersonId.eq(person_id))
        .filter(person_link::Column::CpasId.eq(cpas_id))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    Ok(with_link_names(p, &link))
}

/// Which CPAS's record of the person the actor reads: a worker's own CPAS; for an officer,
/// the CPAS of the latest request about the person sent to the officer's office.
async fn viewing_cpas<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    person_id: i64,
) -> Result<Option<i64>> {
    match (actor.role, actor.cpas_id, actor.office_id) {
        (Role::CpasWorker, Some(c), _) => Ok(Some(c)),
        (Role::OnemOfficer, _, Some(office_id)) => Ok(request::Entity::find()
            .filter(request::Column::PersonId.eq(person_id))
            .filter(request::Column::OfficeId.eq(office_id))
            .filter(request::Column::SentAt.is_not_null())
            .order_by_desc(request::Column::SentAt)
            .one(conn)
            .await?
            .map(|r| r.cpas_id)),
        _ => Ok(None),
    }
}

/// May the actor read this person? A CPAS worker: when their CPAS follows the person. An ONEM
/// officer: when a request about the person was sent to their office (drafts never; the same
/// rule as for the request itself, `Actor::sees_case`). Nobody else.
pub async fn visible_person<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    person_id: i64,
) -> Result<bool> {
    match (actor.role, actor.cpas_id, actor.office_id) {
        (Role::CpasWorker, Some(cpas_id), _) => Ok(person_link::Entity::find()
            .filter(person_link::Column::PersonId.eq(person_id))
            .filter(person_link::Column::CpasId.eq(cpas_id))
            .one(conn)
            .await?
            .is_some()),
        (Role::OnemOfficer, _, Some(office_id)) => Ok(request::Entity::find()
            .filter(request::Column::PersonId.eq(person_id))
            .filter(request::Column::OfficeId.eq(office_id))
            .filter(request::Column::SentAt.is_not_null())
            .one(conn)
            .await?
            .is_some()),
        _ => Ok(false),
    }
}

/// Reads one person (audited), as the CPAS the actor reads for registered it (see
/// `viewing_cpas`).
pub async fn get(db: &Db, now: DateTime<Utc>, actor: &Actor, id: i64) -> Result<PersonView> {
    // `viewing_cpas` holds the officer's rule of `visible_person`, and reading a worker's
    // record needs its CPAS's link (`as_seen_by`: not found without it).
    let cpas_id = viewing_cpas(&db.reads, actor, id)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    read_audited(db, now, actor, id, cpas_id).await
}

/// Reads the person of a case of `cpas_id` (audited), as that CPAS registered it: a page about
/// one request shows that request's CPAS's record, even to an officer whose office also has
/// another CPAS's request about the person.
pub async fn get_in_case(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    cpas_id: i64,
) -> Result<PersonView> {
    let mut reads = audit::ReadLog::new(now, actor.who());
    let p = get_in_case_logged(db, actor, id, cpas_id, &mut reads).await;
    reads.record(db).await?;
    p
}

/// [`get_in_case`], its audit entry left in `reads`.
pub async fn get_in_case_logged(
    db: &Db,
    actor: &Actor,
    id: i64,
    cpas_id: i64,
    reads: &mut audit::ReadLog,
) -> Result<PersonView> {
    let sees = match (actor.role, actor.cpas_id, actor.office_id) {
        // The CPAS's link is read by `as_seen_by` below: not found without it.
        (Role::CpasWorker, Some(own), _) => own == cpas_id,
        (Role::OnemOfficer, _, Some(office_id)) => request::Entity::find()
            .filter(request::Column::PersonId.eq(id))
            .filter(request::Column::CpasId.eq(cpas_id))
            .filter(request::Column::OfficeId.eq(office_id))
            .filter(request::Column::SentAt.is_not_null())
            .one(&db.reads)
            .await?
            .is_some(),
        _ => false,
    };
    if !sees {
        return Err(ServiceError::NotFound("person"));
    }
    let p = as_seen_by(&db.reads, id, cpas_id).await?;
    reads.read(person_read(id));
    Ok(PersonView::from(p))
}

async fn read_audited(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    cpas_id: i64,
) -> Result<PersonView> {
    let p = as_seen_by(&db.reads, id, cpas_id).await?;
    let mut reads = audit::ReadLog::new(now, actor.who());
    reads.read(person_read(id));
    reads.record(db).await?;
    Ok(PersonView::from(p))
}

fn person_read(id: i64) -> Event {
    Event {
        action: "read",
        entity: "person",
        entity_id: Some(id),
        person_id: Some(id),
        ..Default::default()
    }
}

/// Lists the persons the actor's CPAS follows (audited as one read of the list).
pub async fn list(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    page: PageRequest,
) -> Result<Page<PersonView>> {
    let Ok(cpas_id) = worker_cpas(actor) else {
        // Other roles follow no person: an empty list, not an error, keeps the matrix simple.
        return Ok(Page {
            items: vec![],
            next_cursor: None,
        });
    };
    let links: HashMap<i64, person_link::Model> = person_link::Entity::find()
        .filter(person_link::Column::CpasId.eq(cpas_id))
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|l| (l.person_id, l))
        .collect();
    let rows = person::Entity::find()
        .filter(person::Column::Id.is_in(links.keys().copied()))
        .filter(person::Column::Id.gt(page.after_id))
        .order_by_asc(person::Column::Id)
        .limit(page.limit + 1)
        .all(&db.reads)
        .await?;
    let rows = rows
        .into_iter()
        .filter_map(|p| {
            let link = links.get(&p.id)?;
            Some(PersonView::from(with_link_names(p, link)))
        })
        .collect();
    let page = page.page(rows, |p| p.id);
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "list",
            entity: "person",
            after: Some(
                serde_json::json!({"ids": page.items.iter().map(|p| p.id).collect::<Vec<_>>()}),
            ),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// The display names ("Last First") of the persons of these requests, for a list page (the
/// portal's dashboard and queue), by request id. Only the requests the actor may read come
/// back (the same rule as reading the request, `Actor::sees_case`): another CPAS's request,
/// an office's draft or an unknown id is left out. The names read are audited as one read of
/// a list (`list` of `person` with their ids), as [`list`] does; nothing read, nothing audited.
pub async fn names_for_requests(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    request_ids: &[i64],
) -> Result<HashMap<i64, String>> {
    if request_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let visible: Vec<(i64, (i64, i64))> = crate::requests::visible_among(db, actor, request_ids)
        .await?
        .into_iter()
        .map(|v| (v.id, (v.person_id, v.cpas_id)))
        .collect();
    let person_ids: BTreeSet<i64> = visible.iter().map(|(_, (p, _))| *p).collect();
    if person_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Each request shows the name its own CPAS registered (an officer's queue mixes CPAS).
    let names: HashMap<(i64, i64), String> = person_link::Entity::find()
        .filter(person_link::Column::PersonId.is_in(person_ids.iter().copied()))
        .all(&db.reads)
        .await?
        .into_iter()
        .filter_map(|l| {
            let name = format!("{} {}", l.last_name?, l.first_name?);
            Some(((l.person_id, l.cpas_id), name))
        })
        .collect();
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "list",
            entity: "person",
            after: Some(serde_json::json!({ "ids": person_ids })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(visible
        .into_iter()
        .filter_map(|(id, key)| names.get(&key).map(|n| (id, n.clone())))
        .collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmploymentView {
    pub id: i64,
    pub person_id: i64,
    pub cpas_id: i64,
    pub contract_start: NaiveDate,
    pub derogations: i32,
}

impl From<employment::Model> for EmploymentView {
    fn from(m: employment::Model) -> Self {
        EmploymentView {
            id: m.id,
            person_id: m.person_id,
            cpas_id: m.cpas_id,
            contract_start: m.contract_start,
            derogations: m.derogations,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmployment {
    pub person_id: i64,
    pub contract_start: NaiveDate,
}

pub async fn create_employment(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    input: NewEmployment,
) -> Result<EmploymentView> {
    let cpas_id = worker_cpas(actor)?;
    if !visible_person(&db.reads, actor, input.person_id).await? {
        return Err(ServiceError::invalid(
            "person_id",
            "no such person in your CPAS",
        ));
    }
    let tx = db.begin_write().await?;
    let m = employment::ActiveModel {
        person_id: Set(input.person_id),
        cpas_id: Set(cpas_id),
        contract_start: Set(input.contract_start),
        derogations: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    let view = EmploymentView::from(m);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "create",
            entity: "employment",
            entity_id: Some(view.id),
            person_id: Some(view.person_id),
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Following `next_cursor` visits every row once, in order, whatever the page size.
        #[test]
        fn cursor_pages_cover_every_row_once(n in 0i64..300, limit in 1u64..=PageRequest::MAX) {
            let all: Vec<i64> = (1..=n).collect();
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let req = PageRequest::parse(cursor.as_deref(), Some(limit)).unwrap();
                // What the database returns: ids after the cursor, at most limit + 1.
                let rows: Vec<i64> = all
                    .iter()
                    .copied()
                    .filter(|id| *id > req.after_id)
                    .take(usize::try_from(limit + 1).unwrap())
                    .collect();
                let page = req.page(rows, |id| *id);
                seen.extend(page.items);
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            prop_assert_eq!(seen, all);
        }
    }

    #[test]
    fn foreign_cursors_are_refused_with_the_field_name() {
        for bad in ["42", "id:-1", "id:x", "due:2024-01-01/3"] {
            match PageRequest::parse(Some(bad), None) {
                Err(ServiceError::Invalid(e)) => assert_eq!(e[0].field, "cursor"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            PageRequest::parse(None, Some(0)),
            Err(ServiceError::Invalid(_))
        ));
    }
}
