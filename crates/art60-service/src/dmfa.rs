//! DmfA declarations in the case service (SPEC §7, §9): an upload is read with `art60-dmfa`,
//! each person's declaration is stored per employer and quarter (a later upload of the same key
//! replaces the earlier one), and only for persons with an open request the uploader may act
//! for; others are skipped and counted. The history of a request's person shows the DmfA
//! periods beside the typed ones, with every conflict between them; nothing is merged.

use std::collections::HashMap;

use art60_dmfa::{HistoryOptions, Note, PersonDeclaration};
use art60_rules::Niss;
use art60_rules::input::{HistoryItem, Quarter};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Event, Who};
use crate::auth::Actor;
use crate::db::{Db, Role, Status, dmfa_declaration, person, request};
use crate::dmfa_review::{self, ConflictView, DmfaChange, LeftOut};
use crate::error::{Result, ServiceError};

/// Largest declaration file accepted through the API (the CLI reads any size).
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Who imports: a user of the service, or the operator at the command line (`art60 dmfa
/// import`), who acts for every person with an open request.
#[derive(Debug, Clone, Copy)]
pub enum Importer<'a> {
    User(&'a Actor),
    Operator,
}

impl Importer<'_> {
    fn who(&self) -> Who {
        match self {
            Importer::User(a) => a.who(),
            Importer::Operator => Who {
                user_id: None,
                role: Some("operator".into()),
                org: Some("cli".into()),
            },
        }
    }
    fn user_id(&self) -> Option<i64> {
        match self {
            Importer::User(a) => Some(a.user_id),
            Importer::Operator => None,
        }
    }
}

/// One record the reader left out, with where it is in the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rejected {
    /// `line:column (element path)`.
    pub location: String,
    pub problem: String,
    /// What was left out (worker record, person or form; NISS masked).
    #[schema(value_type = Object)]
    pub dropped: serde_json::Value,
}

/// What an upload did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// Person declarations stored for a new employer and quarter.
    pub imported: u64,
    /// Person declarations that replaced an earlier import of the same employer and quarter.
    pub replaced: u64,
    /// Person declarations not stored: the person has no open request the uploader may act for
    /// (SPEC §9).
    pub skipped: u64,
    /// Records the reader rejected.
    pub rejected: Vec<Rejected>,
    /// Persons whose data was stored.
    pub persons: u64,
    /// Person declarations not stored because their quarter lies before anything the person's
    /// open requests can look at (SPEC §9: only the quarters needed).
    pub quarters_not_needed: u64,
    /// Sent requests recalculated because this import changed their person's DmfA.
    pub recalculated: u64,
}

fn employer_key(d: &PersonDeclaration) -> String {
    match d.employer.company {
        Some(k) => format!("{}:{k}", d.employer.noss),
        None => format!("{}:", d.employer.noss),
    }
}

const OPEN: [Status; 3] = [Status::Draft, Status::Sent, Status::Returned];

/// May `importer` store DmfA data of this person? Only with an open request it may act for.
async fn may_store<C: ConnectionTrait>(
    conn: &C,
    importer: Importer<'_>,
    person_id: i64,
) -> Result<bool> {
    let mut q = request::Entity::find()
        .filter(request::Column::PersonId.eq(person_id))
        .filter(request::Column::Status.is_in(OPEN));
    match importer {
        Importer::Operator => {}
        Importer::User(a) => match a.role {
            Role::Administrator => {}
            Role::CpasWorker => match a.cpas_id {
                Some(c) => q = q.filter(request::Column::CpasId.eq(c)),
                None => return Ok(false),
            },
            Role::OnemOfficer => match a.office_id {
                Some(o) => {
                    q = q
                        .filter(request::Column::OfficeId.eq(o))
                        .filter(request::Column::SentAt.is_not_null())
                }
                None => return Ok(false),
            },
            Role::FederationSpoc | Role::OnemSpoc | Role::AccessManager => return Ok(false),
        },
    }
    Ok(q.one(conn).await?.is_some())
}

/// Reads a declaration file and stores it in one transaction (a file that cannot be read
/// stores nothing). Audited: one entry for the upload, one per person whose data was stored.
pub async fn import(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    bytes: Vec<u8>,
) -> Result<ImportReport> {
    if let Importer::User(a) = importer
        && !matches!(
            a.role,
            Role::Administrator | Role::OnemOfficer | Role::CpasWorker
        )
    {
        return Err(ServiceError::Forbidden(format!(
            "a {} may not upload DmfA declarations",
            a.role
        )));
    }
    let sha256 = crate::auth::sha256_hex(&bytes);
    // Reading a large file is CPU work: off the async workers.
    let parsed = tokio::task::spawn_blocking(move || art60_dmfa::parse_bytes(&bytes))
        .await
        .map_err(|e| ServiceError::Storage(format!("DmfA reader stopped: {e}")))?
        .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
    store_inner(
        db,
        now,
        importer,
        parsed.persons,
        parsed.rejected,
        Some(sha256),
    )
    .await
}

/// Stores what a streaming reader returned (the CLI reads with a progress bar); the same rules
/// and transaction as [`import`]. `file_sha256` goes to the audit entry when known.
pub async fn store_read(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    persons: Vec<PersonDeclaration>,
    rejected: Vec<art60_dmfa::RecordError>,
    file_sha256: Option<String>,
) -> Result<ImportReport> {
    store_inner(db, now, importer, persons, rejected, file_sha256).await
}

async fn store_inner(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    persons: Vec<PersonDeclaration>,
    rejected: Vec<art60_dmfa::RecordError>,
    file_sha256: Option<String>,
) -> Result<ImportReport> {
    let mut report = ImportReport {
        rejected: rejected
            .iter()
            .map(|r| Rejected {
                location: r.location.to_string(),
                problem: r.problem.to_string(),
                dropped: serde_json::to_value(&r.dropped).unwrap_or_default(),
            })
            .collect(),
        ..Default::default()
    };
    let tx = db.begin_write().await?;
    // person id per NISS, None when the importer may not store the person's data.
    let mut known: HashMap<String, Option<i64>> = HashMap::new();
    let mut per_person: HashMap<i64, (u64, u64)> = HashMap::new();
    // The first quarter each person's open requests can need (None: no bound known).
    let mut scope: HashMap<i64, Option<Quarter>> = HashMap::new();
    // Persons whose stored quarters this import changed (new or different content).
    let mut changed: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
    for d in &persons {
        let niss = d.niss.expose().to_owned();
        let pid = match known.get(&niss) {
            Some(p) => *p,
            None => {
                let p = person::Entity::find()
                    .filter(person::Column::Niss.eq(niss.clone()))
                    .one(&tx.txn)
                    .await?;
                let p = match p {
                    Some(p) if may_store(&tx.txn, importer, p.id).await? => Some(p.id),
                    _ => None,
                };
                known.insert(niss, p);
                p
            }
        };
        let Some(pid) = pid else {
            report.skipped += 1;
            continue;
        };
        let first = match scope.get(&pid) {
            Some(f) => *f,
            None => {
                let f = first_needed_quarter(&tx.txn, pid).await?;
                scope.insert(pid, f);
                f
            }
        };
        if first.is_some_and(|f| d.quarter.index() < f.index()) {
            report.quarters_not_needed += 1;
            continue;
        }
        let json = serde_json::to_value(d)
            .map_err(|e| ServiceError::Storage(format!("declaration not serialisable: {e}")))?;
        let employer = employer_key(d);
        let quarter = d.quarter.to_string();
        let existing = dmfa_declaration::Entity::find()
            .filter(dmfa_declaration::Column::PersonId.eq(pid))
            .filter(dmfa_declaration::Column::Employer.eq(employer.clone()))
            .filter(dmfa_declaration::Column::Quarter.eq(quarter.clone()))
            .one(&tx.txn)
            .await?;
        let counts = per_person.entry(pid).or_default();
        match existing {
            Some(row) => {
                if row.declaration != json {
                    changed.insert(pid);
                }
                let mut am: dmfa_declaration::ActiveModel = row.into();
                am.declaration = Set(json);
                am.imported_by = Set(importer.user_id());
                am.imported_at = Set(now);
                am.update(&tx.txn).await?;
                report.replaced += 1;
                counts.1 += 1;
            }
            None => {
                changed.insert(pid);
                dmfa_declaration::ActiveModel {
                    person_id: Set(pid),
                    employer: Set(employer),
                    quarter: Set(quarter),
                    declaration: Set(json),
                    imported_by: Set(importer.user_id()),
                    imported_at: Set(now),
                    ..Default::default()
                }
                .insert(&tx.txn)
                .await?;
                report.imported += 1;
                counts.0 += 1;
            }
        }
    }
    report.persons = per_person.len() as u64;
    let who = importer.who();
    let changed: Vec<i64> = changed.into_iter().collect();
    let today = now.with_timezone(&chrono_tz::Europe::Brussels).date_naive();
    report.recalculated = dmfa_review::after_import(&tx.txn, now, today, &who, &changed).await?;
    audit::append(
        &tx.txn,
        now,
        &who,
        Event {
            action: "import",
            entity: "dmfa",
            after: Some(serde_json::json!({
                "file_sha256": file_sha256,
                "imported": report.imported,
                "replaced": report.replaced,
                "skipped": report.skipped,
                "rejected": report.rejected.len(),
                "persons": report.persons,
                "quarters_not_needed": report.quarters_not_needed,
                "recalculated": report.recalculated,
            })),
            ..Default::default()
        },
    )
    .await?;
    let mut persons: Vec<_> = per_person.into_iter().collect();
    persons.sort_unstable_by_key(|(p, _)| *p);
    for (pid, (imported, replaced)) in persons {
        audit::append(
            &tx.txn,
            now,
            &who,
            Event {
                action: "dmfa_import",
                entity: "person",
                entity_id: Some(pid),
                person_id: Some(pid),
                after: Some(serde_json::json!({ "imported": imported, "replaced": replaced })),
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        imported = report.imported,
        replaced = report.replaced,
        skipped = report.skipped,
        rejected = report.rejected.len(),
        quarters_not_needed = report.quarters_not_needed,
        recalculated = report.recalculated,
        "dmfa import"
    );
    Ok(report)
}

/// The first quarter the person's open requests can need: the earliest over those requests
/// (contract start typed in the form, else the employment's), `None` when no contract start
/// is known (then nothing can be bounded and every quarter is kept).
async fn first_needed_quarter<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
) -> Result<Option<Quarter>> {
    let open = request::Entity::find()
        .filter(request::Column::PersonId.eq(person_id))
        .filter(request::Column::Status.is_in(OPEN))
        .all(conn)
        .await?;
    let params = art60_rules::params::ParamSet::embedded();
    let mut first: Option<Quarter> = None;
    for m in open {
        let start = match dmfa_review::form_contract_start(&m) {
            Some(s) => s,
            None => match crate::db::employment::Entity::find_by_id(m.employment_id)
                .one(conn)
                .await?
            {
                Some(e) => e.contract_start,
                None => return Ok(None),
            },
        };
        let typed = dmfa_review::typed_of(&m).unwrap_or_default();
        let q = crate::dmfa_scope::first_needed_quarter(params, start, &typed);
        first = Some(match first {
            Some(f) if f.index() <= q.index() => f,
            _ => q,
        });
    }
    Ok(first)
}

/// The stored declarations of a person, in import order.
pub async fn declarations<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
) -> Result<Vec<PersonDeclaration>> {
    let rows = dmfa_declaration::Entity::find()
        .filter(dmfa_declaration::Column::PersonId.eq(person_id))
        .order_by_asc(dmfa_declaration::Column::ImportedAt)
        .order_by_asc(dmfa_declaration::Column::Id)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(r.declaration).map_err(|e| {
                ServiceError::Storage(format!("stored DmfA declaration {} unreadable: {e}", r.id))
            })
        })
        .collect()
}

/// The DmfA part of a person's history (items with source `dmfa`, notes, declared quarters).
pub async fn person_history<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    niss: Niss,
    contract_start: Option<NaiveDate>,
) -> Result<art60_dmfa::PersonHistory> {
    let decls = declarations(conn, person_id).await?;
    art60_dmfa::to_history(
        niss,
        &decls,
        &HistoryOptions {
            contract_start,
            today: None,
        },
    )
    .map_err(|e| ServiceError::Storage(format!("DmfA tables: {e}")))
}

/// The DmfA periods of a request's person beside the typed ones, and their conflicts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DmfaView {
    pub request_id: i64,
    /// Periods typed by the CPAS (source `manual`), as in the request.
    #[schema(value_type = Vec<Object>)]
    pub typed: Vec<HistoryItem>,
    /// Periods read from the DmfA (source `dmfa`).
    #[schema(value_type = Vec<Object>)]
    pub dmfa: Vec<HistoryItem>,
    /// Indices into `typed` and `dmfa`, never merged; each with how the CPAS settled it
    /// (`resolution` absent: sending is refused until it is settled).
    pub conflicts: Vec<ConflictView>,
    /// Excluded data, manual review, provisional quarters (with the reason).
    #[schema(value_type = Vec<Object>)]
    pub notes: Vec<Note>,
    #[schema(value_type = Vec<String>)]
    pub declared_quarters: Vec<Quarter>,
    /// What the last calculation left out, and why.
    pub left_out: Vec<LeftOut>,
    /// The DmfA changed since the last calculation (recalculated or not, see `outcome`).
    pub dmfa_changed: Option<DmfaChange>,
}

/// The DmfA history of a request's person and its conflicts with the request's typed periods.
/// Visible to whoever sees the request; audited as a read of the person's data.
pub async fn for_request(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    request_id: i64,
) -> Result<DmfaView> {
    let m = crate::requests::visible_request(db, actor, request_id).await?;
    let p = person::Entity::find_by_id(m.person_id)
        .one(&db.conn)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let s = dmfa_review::sides(
        &db.conn,
        p.id,
        Niss::parse(&p.niss).ok(),
        dmfa_review::typed_of(&m)?,
        dmfa_review::form_contract_start(&m),
    )
    .await?;
    let resolutions = dmfa_review::resolutions_of(&db.conn, request_id).await?;
    let conflicts = dmfa_review::conflict_views(&s, &resolutions);
    let (left_out, dmfa_changed) = dmfa_review::review_of(&db.conn, request_id).await?;
    let tx = db.begin_write().await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "read",
            entity: "dmfa",
            entity_id: Some(request_id),
            person_id: Some(p.id),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DmfaView {
        request_id,
        typed: s.typed,
        dmfa: s.dmfa.items,
        conflicts,
        notes: s.dmfa.notes,
        declared_quarters: s.dmfa.declared_quarters,
        left_out,
        dmfa_changed,
    })
}
