//! DmfA declarations in the case service (SPEC §7, §9): an upload is read with `art60-dmfa`,
//! each person's declaration is stored per employer and quarter, and only for persons with an
//! open request the uploader may act for; others are skipped and counted. A later declaration
//! of the same key replaces the stored one unless the reader refused part of it or its form
//! was created before the stored one's (README, "DmfA: what replaces what"). The history of a
//! request's person shows the DmfA periods beside the typed ones, with every conflict between
//! them; nothing is merged.

use std::collections::HashMap;

use art60_dmfa::{DmfaReader, HistoryOptions, Item, Note, PersonDeclaration};
use art60_rules::Niss;
use art60_rules::input::{HistoryItem, Quarter};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
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

/// Most rejected records listed one by one in a report; all are counted in `rejected_total`.
/// A file of bad records cannot grow the report (and the server's memory) without bound.
pub const MAX_LISTED_REJECTED: usize = 1000;

/// Uploads read at once by default ([`ImportSlots`]).
pub const DEFAULT_CONCURRENT_IMPORTS: usize = 2;

/// How many DmfA uploads the server reads at once. Over the bound an upload is refused at once
/// (503 with `Retry-After`), before its body is read: each import holds a temporary file of up
/// to [`MAX_UPLOAD_BYTES`] and a reader thread, so the bound caps disk, memory and CPU.
#[derive(Debug, Clone)]
pub struct ImportSlots(std::sync::Arc<tokio::sync::Semaphore>, usize);

impl ImportSlots {
    pub fn new(n: usize) -> ImportSlots {
        ImportSlots(
            std::sync::Arc::new(tokio::sync::Semaphore::new(n.max(1))),
            n.max(1),
        )
    }
    /// How many uploads may be read at once.
    pub fn size(&self) -> usize {
        self.1
    }
    /// A slot, held until the permit is dropped; `None` when all are taken.
    pub fn try_acquire(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.0.clone().try_acquire_owned().ok()
    }
}

impl Default for ImportSlots {
    fn default() -> Self {
        ImportSlots::new(DEFAULT_CONCURRENT_IMPORTS)
    }
}

/// One record the reader left out, with where it is in the file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rejected {
    /// `line:column (element path)`.
    pub location: String,
    pub problem: String,
    /// What was left out, in words (NISS masked).
    pub left_out: String,
    /// What was left out (`scope`: `service_line`, `remuneration_line`, `worker_record`,
    /// `person` or `form`, with the positions of the worker record, occupation and line and
    /// the service code where they apply; NISS masked).
    #[schema(value_type = Object)]
    pub dropped: serde_json::Value,
}

impl From<&art60_dmfa::RecordError> for Rejected {
    fn from(r: &art60_dmfa::RecordError) -> Self {
        Rejected {
            location: r.location.to_string(),
            problem: r.problem.to_string(),
            left_out: r.dropped.to_string(),
            dropped: serde_json::to_value(&r.dropped).unwrap_or_default(),
        }
    }
}

/// A person declaration of the file that was not stored although the person is in scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotStored {
    /// 1-based position of the form in the file.
    pub form: u32,
    /// Masked NISS.
    pub person: String,
    pub employer: String,
    pub quarter: String,
    /// `refused_parts` (the reader refused part of it: the stored declaration is kept),
    /// `nothing_valid` (every worker record was refused), `older_than_stored` (its form was
    /// created before the stored declaration's).
    pub reason: String,
    pub detail: String,
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
    /// Records, lines and forms the reader rejected (the first [`MAX_LISTED_REJECTED`]).
    pub rejected: Vec<Rejected>,
    /// How many were rejected in all.
    pub rejected_total: u64,
    /// Person declarations in scope that were not stored, and why (stored data is never
    /// replaced by a declaration the reader refused part of, nor by an older one).
    pub not_stored: Vec<NotStored>,
    /// Persons whose data was stored.
    pub persons: u64,
    /// Person declarations not stored because their quarter lies before anything the person's
    /// open requests can need (SPEC §9: only the quarters needed).
    pub quarters_not_needed: u64,
    /// Sent requests recalculated because this import changed their person's DmfA.
    pub recalculated: u64,
}

impl ImportReport {
    fn reject(&mut self, r: &art60_dmfa::RecordError) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_LISTED_REJECTED {
            self.rejected.push(Rejected::from(r));
        }
    }
}

fn employer_key(d: &PersonDeclaration) -> String {
    match d.employer.company {
        Some(k) => format!("{}:{k}", d.employer.noss),
        None => format!("{}:", d.employer.noss),
    }
}

const OPEN: [Status; 3] = [Status::Draft, Status::Sent, Status::Returned];

/// For which CPAS may `importer` store DmfA data of this person? Those with an open request
/// about the person that the importer may act for: a CPAS worker's own CPAS; an officer's
/// requests sent to the office; the operator and an administrator, every such request. A
/// declaration is stored once per CPAS and read only by that CPAS's requests (issue 14 §1:
/// what one CPAS imported reached another CPAS's request about the same person).
async fn store_for<C: ConnectionTrait>(
    conn: &C,
    importer: Importer<'_>,
    person_id: i64,
) -> Result<Vec<i64>> {
    let mut q = request::Entity::find()
        .filter(request::Column::PersonId.eq(person_id))
        .filter(request::Column::Status.is_in(OPEN));
    match importer {
        Importer::Operator => {}
        Importer::User(a) => match a.role {
            Role::Administrator => {}
            Role::CpasWorker => match a.cpas_id {
                Some(c) => q = q.filter(request::Column::CpasId.eq(c)),
                None => return Ok(Vec::new()),
            },
            Role::OnemOfficer => match a.office_id {
                Some(o) => {
                    q = q
                        .filter(request::Column::OfficeId.eq(o))
                        .filter(request::Column::SentAt.is_not_null())
                }
                None => return Ok(Vec::new()),
            },
            Role::FederationSpoc | Role::OnemSpoc | Role::Dpo | Role::AccessManager => {
                return Ok(Vec::new());
            }
        },
    }
    let cpas: std::collections::BTreeSet<i64> =
        q.all(conn).await?.into_iter().map(|r| r.cpas_id).collect();
    Ok(cpas.into_iter().collect())
}

/// May `importer` store DmfA data of this person for at least one CPAS?
async fn may_store<C: ConnectionTrait>(
    conn: &C,
    importer: Importer<'_>,
    person_id: i64,
) -> Result<bool> {
    Ok(!store_for(conn, importer, person_id).await?.is_empty())
}

/// Refuses roles without case content before anything is read.
pub fn may_upload(importer: Importer<'_>) -> Result<()> {
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
    Ok(())
}

/// Items handed from the reader thread to the import at a time.
const BATCH: usize = 256;

/// Reads a declaration file held in memory and stores it (see [`import_reader`]).
pub async fn import(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    bytes: Vec<u8>,
) -> Result<ImportReport> {
    let sha256 = crate::auth::sha256_hex(&bytes);
    import_reader(db, now, importer, std::io::Cursor::new(bytes), Some(sha256)).await
}

/// Reads a declaration as a stream and stores it in one transaction (a file that cannot be
/// read stores nothing). Memory stays flat whatever the file size: a reader thread hands the
/// items over in small batches; of them only the declarations of persons the importer may
/// store are kept (looked up a batch at a time, outside the write transaction), and at most
/// [`MAX_LISTED_REJECTED`] rejections are listed. Audited: one entry for the upload, one per
/// person whose data was stored. `file_sha256` goes to the audit entry when known.
pub async fn import_reader<R: std::io::Read + Send + 'static>(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    reader: R,
    file_sha256: Option<String>,
) -> Result<ImportReport> {
    may_upload(importer)?;
    let (send, mut recv) =
        tokio::sync::mpsc::channel::<std::result::Result<Vec<Item>, art60_dmfa::ParseError>>(4);
    // Reading is CPU work: off the async workers. The channel's bound keeps the reader at
    // most a few batches ahead of the lookups.
    let reading = tokio::task::spawn_blocking(move || {
        let r = match DmfaReader::new(reader) {
            Ok(r) => r,
            Err(e) => {
                let _ = send.blocking_send(Err(e));
                return;
            }
        };
        let mut batch = Vec::with_capacity(BATCH);
        for item in r {
            match item {
                Ok(i) => {
                    batch.push(i);
                    if batch.len() == BATCH
                        && send
                            .blocking_send(Ok(std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(BATCH),
                            )))
                            .is_err()
                    {
                        // The import stopped (an error): nobody listens any more.
                        return;
                    }
                }
                Err(e) => {
                    let _ = send.blocking_send(Err(e));
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = send.blocking_send(Ok(batch));
        }
    });
    let mut sel = Selection::default();
    while let Some(msg) = recv.recv().await {
        let batch = msg.map_err(|e| ServiceError::invalid("file", e.to_string()))?;
        sel.add(&db.reads, importer, batch).await?;
    }
    reading
        .await
        .map_err(|e| ServiceError::Storage(format!("DmfA reader stopped: {e}")))?;
    store_selection(db, now, importer, sel, file_sha256).await
}

/// Stores what a reader returned (the demo seeds its declarations this way); the same rules
/// and transaction as [`import_reader`].
pub async fn store_read(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    persons: Vec<PersonDeclaration>,
    rejected: Vec<art60_dmfa::RecordError>,
    file_sha256: Option<String>,
) -> Result<ImportReport> {
    may_upload(importer)?;
    let mut sel = Selection::default();
    let items: Vec<Item> = rejected
        .into_iter()
        .map(Item::Rejected)
        .chain(persons.into_iter().map(Item::Person))
        .collect();
    for chunk in items.chunks(BATCH) {
        sel.add(&db.reads, importer, chunk.to_vec()).await?;
    }
    store_selection(db, now, importer, sel, file_sha256).await
}

/// What the first pass keeps of a file: the declarations of persons the importer may store
/// (with their person id), the counts and the rejections.
#[derive(Default)]
struct Selection {
    report: ImportReport,
    kept: Vec<(i64, PersonDeclaration)>,
    /// Person id per NISS found in the directory (`None`: known, but not the importer's).
    known: HashMap<String, Option<i64>>,
}

impl Selection {
    async fn add<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        importer: Importer<'_>,
        batch: Vec<Item>,
    ) -> Result<()> {
        let unknown: Vec<String> = batch
            .iter()
            .filter_map(|i| match i {
                Item::Person(d) if !self.known.contains_key(&d.niss.expose()) => {
                    Some(d.niss.expose().to_owned())
                }
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !unknown.is_empty() {
            // One query per batch: most persons of a large file are not in the directory.
            let found = person::Entity::find()
                .filter(person::Column::Niss.is_in(unknown))
                .all(conn)
                .await?;
            for p in found {
                let ok = may_store(conn, importer, p.id).await?;
                self.known.insert(p.niss, ok.then_some(p.id));
            }
        }
        for item in batch {
            match item {
                Item::Rejected(r) => self.report.reject(&r),
                Item::Person(d) => match self.known.get(&d.niss.expose()) {
                    Some(Some(pid)) => self.kept.push((*pid, d)),
                    _ => self.report.skipped += 1,
                },
            }
        }
        Ok(())
    }
}

/// The stored declaration without what does not change its content (its place in the file,
/// when its form was made): a re-import of the same facts is not a change.
fn content(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("form");
        o.remove("form_created");
    }
    v
}

async fn store_selection(
    db: &Db,
    now: DateTime<Utc>,
    importer: Importer<'_>,
    sel: Selection,
    file_sha256: Option<String>,
) -> Result<ImportReport> {
    let Selection {
        mut report, kept, ..
    } = sel;
    let tx = db.begin_write().await?;
    // Checked again in the write transaction: a request may have closed since the lookup.
    // A declaration is stored for each CPAS with such a request, read only by that CPAS.
    let mut allowed: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut per_person: HashMap<i64, (u64, u64)> = HashMap::new();
    // The first quarter the open requests of a person in a CPAS can need (None: no bound).
    let mut scope: HashMap<(i64, i64), Option<Quarter>> = HashMap::new();
    // Persons (in a CPAS) whose stored quarters this import changed (new or different content).
    let mut changed: std::collections::BTreeSet<(i64, i64)> = std::collections::BTreeSet::new();
    for (pid, d) in &kept {
        let pid = *pid;
        let cpas_ids = match allowed.get(&pid) {
            Some(c) => c.clone(),
            None => {
                let c = store_for(&tx.txn, importer, pid).await?;
                allowed.insert(pid, c.clone());
                c
            }
        };
        if cpas_ids.is_empty() {
            report.skipped += 1;
            continue;
        }
        for cpas_id in cpas_ids {
            let first = match scope.get(&(pid, cpas_id)) {
                Some(f) => *f,
                None => {
                    let f = first_needed_quarter(&tx.txn, pid, cpas_id).await?;
                    scope.insert((pid, cpas_id), f);
                    f
                }
            };
            if first.is_some_and(|f| d.quarter.index() < f.index()) {
                report.quarters_not_needed += 1;
                continue;
            }
            let not_stored = |reason: &str, detail: String| NotStored {
                form: d.form,
                person: d.niss.masked(),
                employer: d.employer.to_string(),
                quarter: d.quarter.to_string(),
                reason: reason.to_owned(),
                detail,
            };
            if d.refused_parts > 0 && d.worker_records.is_empty() {
                report.not_stored.push(not_stored(
                "nothing_valid",
                format!(
                    "every worker record was refused ({} part(s), see rejected); nothing stored",
                    d.refused_parts
                ),
            ));
                continue;
            }
            let json = serde_json::to_value(d)
                .map_err(|e| ServiceError::Storage(format!("declaration not serialisable: {e}")))?;
            let employer = employer_key(d);
            let quarter = d.quarter.to_string();
            let existing = dmfa_declaration::Entity::find()
                .filter(dmfa_declaration::Column::PersonId.eq(pid))
                .filter(dmfa_declaration::Column::CpasId.eq(cpas_id))
                .filter(dmfa_declaration::Column::Employer.eq(employer.clone()))
                .filter(dmfa_declaration::Column::Quarter.eq(quarter.clone()))
                .one(&tx.txn)
                .await?;
            let counts = per_person.entry(pid).or_default();
            match existing {
                Some(row) => {
                    // Never replace stored data with a declaration the reader refused part of:
                    // its valid lines alone would erase what the stored one declares (issue 14).
                    if d.refused_parts > 0 {
                        report.not_stored.push(not_stored(
                        "refused_parts",
                        format!(
                            "{} part(s) of this declaration were refused (see rejected); the declaration stored for this employer and quarter is kept",
                            d.refused_parts
                        ),
                    ));
                        continue;
                    }
                    // Of two declarations of one employer and quarter the later-created form
                    // wins, whatever the upload order; unknown creation: the later upload wins.
                    let stored_created = row
                        .declaration
                        .get("form_created")
                        .and_then(|v| serde_json::from_value::<NaiveDateTime>(v.clone()).ok());
                    if let (Some(new), Some(old)) = (d.form_created, stored_created)
                        && new < old
                    {
                        report.not_stored.push(not_stored(
                        "older_than_stored",
                        format!(
                            "its form was created on {new}, before the stored declaration's ({old}); the stored one is kept"
                        ),
                    ));
                        continue;
                    }
                    if content(row.declaration.clone()) != content(json.clone()) {
                        changed.insert((pid, cpas_id));
                    }
                    let mut am: dmfa_declaration::ActiveModel = row.into();
                    am.declaration = Set(json.clone());
                    am.imported_by = Set(importer.user_id());
                    am.imported_at = Set(now);
                    am.update(&tx.txn).await?;
                    report.replaced += 1;
                    counts.1 += 1;
                }
                None => {
                    changed.insert((pid, cpas_id));
                    dmfa_declaration::ActiveModel {
                        person_id: Set(pid),
                        cpas_id: Set(Some(cpas_id)),
                        employer: Set(employer.clone()),
                        quarter: Set(quarter.clone()),
                        declaration: Set(json.clone()),
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
    }
    per_person.retain(|_, (i, r)| *i + *r > 0);
    report.persons = per_person.len() as u64;
    let who = importer.who();
    let changed: Vec<(i64, i64)> = changed.into_iter().collect();
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
                "rejected": report.rejected_total,
                "not_stored": report.not_stored.len(),
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
        rejected = report.rejected_total,
        not_stored = report.not_stored.len(),
        quarters_not_needed = report.quarters_not_needed,
        recalculated = report.recalculated,
        "dmfa import"
    );
    Ok(report)
}

/// The first quarter the person's open requests in a CPAS can need: the earliest over those
/// requests (contract start typed in the form, else the employment's), `None` when no contract
/// start is known (then nothing can be bounded and every quarter is kept).
async fn first_needed_quarter<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: i64,
) -> Result<Option<Quarter>> {
    let open = request::Entity::find()
        .filter(request::Column::PersonId.eq(person_id))
        .filter(request::Column::CpasId.eq(cpas_id))
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

/// The stored declarations of a person, for every CPAS, in import order (the operator's and
/// the tests' view; a case reads [`declarations_for`] its CPAS).
pub async fn declarations<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
) -> Result<Vec<PersonDeclaration>> {
    declarations_where(conn, person_id, None).await
}

/// The declarations of a person stored for the CPAS `cpas_id`, in import order.
pub async fn declarations_for<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: i64,
) -> Result<Vec<PersonDeclaration>> {
    declarations_where(conn, person_id, Some(cpas_id)).await
}

async fn declarations_where<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: Option<i64>,
) -> Result<Vec<PersonDeclaration>> {
    let mut q =
        dmfa_declaration::Entity::find().filter(dmfa_declaration::Column::PersonId.eq(person_id));
    if let Some(c) = cpas_id {
        q = q.filter(dmfa_declaration::Column::CpasId.eq(c));
    }
    let rows = q
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

/// The DmfA part of a person's history in a case of `cpas_id` (items with source `dmfa`,
/// notes, declared quarters): only what was stored for that CPAS.
pub async fn person_history<C: ConnectionTrait>(
    conn: &C,
    person_id: i64,
    cpas_id: i64,
    niss: Niss,
    contract_start: Option<NaiveDate>,
) -> Result<art60_dmfa::PersonHistory> {
    let decls = declarations_for(conn, person_id, cpas_id).await?;
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
    let r = crate::requests::open(db, actor, request_id).await?;
    let mut reads = audit::ReadLog::new(now, actor.who());
    let v = for_request_logged(db, &r, &mut reads).await;
    reads.record(db).await?;
    v
}

/// [`for_request`] of a request already opened, its audit entry left in `reads`.
pub async fn for_request_logged(
    db: &Db,
    r: &crate::requests::Visible,
    reads: &mut audit::ReadLog,
) -> Result<DmfaView> {
    let m = r.model();
    let request_id = m.id;
    let p = person::Entity::find_by_id(m.person_id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let s = dmfa_review::sides(
        &db.reads,
        p.id,
        m.cpas_id,
        Niss::parse(&p.niss).ok(),
        dmfa_review::typed_of(m)?,
        dmfa_review::form_contract_start(m),
    )
    .await?;
    let resolutions = dmfa_review::resolutions_of(&db.reads, request_id).await?;
    let conflicts = dmfa_review::conflict_views(&s, &resolutions);
    let (left_out, dmfa_changed) = dmfa_review::review_of(&db.reads, request_id).await?;
    reads.read(Event {
        action: "read",
        entity: "dmfa",
        entity_id: Some(request_id),
        person_id: Some(p.id),
        ..Default::default()
    });
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
