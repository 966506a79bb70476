//! Retention (SPEC §9): the controller fixes how long case content is kept; once that period
//! has passed since a person's last case activity, a run deletes everything stored about the
//! person (person, CPAS links, employments, derogations, requests with their forms, results
//! and engine inputs, attachments, messages, letters, notifications, DmfA rows and
//! resolutions) and unlinks their escalations.
//!
//! The setting is dated: each row applies from `valid_from` until the next row's date, and the
//! one in force on the run's date is used. There is no default: without a setting a run
//! refuses (and `art60 serve` refuses to start unless told to keep everything).
//!
//! The audit trail is not rewritten: it names a person only by `person_id` and holds digests
//! of texts, never a NISS or a name, so once the person row is gone the id is a pseudonym that
//! nothing maps back to a person, and the chain still verifies. `purged_subjects` keeps the
//! former id (never reused: ids are autoincrement on both databases) and the run that purged
//! it. Audit entries keep their own period (`audit_months`): a run removes the entries past
//! it from the chain's start, up to the latest signed checkpoint whose entry is past the period
//! (`audit_base` then names that entry, and `audit verify` checks the rest of the chain from
//! it and, given the key, that a checkpoint vouches for it). Without such a checkpoint the
//! entries are only counted: write checkpoints (`art60 audit checkpoint`, or the server's
//! periodic ones) for the start to move.
//!
//! Runs are safe across processes: candidates are claimed with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL (two runs take different persons, none waits), and on SQLite the single writer
//! orders them. Each batch is one transaction with its audit entries; a dry run does the same
//! work and rolls it back, so its report is exact.

use std::collections::BTreeSet;

use chrono::{DateTime, Months, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attachments::Store;
use crate::audit::{self, Event, Who};
use crate::db::{
    Db, attachment, audit_entry, derogation, dmfa_declaration, dmfa_resolution, employment,
    escalation_link, letter, message, message_attachment, message_read, notification, person,
    person_link, purged_subject, request, request_dmfa_review, request_engine_input,
    retention_setting,
};
use crate::error::{Result, ServiceError};

/// Longest period accepted (100 years): a typo like 6000 months is refused, not obeyed.
const MAX_MONTHS: i32 = 1200;

/// Persons purged per transaction.
pub const DEFAULT_BATCH: u64 = 50;

/// A setting as the controller enters it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSetting {
    /// From this date on (Europe/Brussels) the setting applies.
    pub valid_from: NaiveDate,
    /// Case content is kept this many months after the person's last case activity.
    pub case_months: i32,
    /// Audit entries are kept this many months (at least `case_months`).
    pub audit_months: i32,
    /// Where the decision comes from (e.g. the controller's register entry).
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SettingView {
    pub id: i64,
    pub valid_from: NaiveDate,
    pub case_months: i32,
    pub audit_months: i32,
    pub note: Option<String>,
    pub set_at: DateTime<Utc>,
}

impl From<retention_setting::Model> for SettingView {
    fn from(m: retention_setting::Model) -> Self {
        SettingView {
            id: m.id,
            valid_from: m.valid_from,
            case_months: m.case_months,
            audit_months: m.audit_months,
            note: m.note,
            set_at: m.set_at,
        }
    }
}

/// Records a setting (audited). A later `valid_from` takes over from that date; the same date
/// again replaces nothing: the newest row for a date wins.
pub async fn set(db: &Db, now: DateTime<Utc>, who: &Who, s: NewSetting) -> Result<SettingView> {
    let mut errors = vec![];
    if !(1..=MAX_MONTHS).contains(&s.case_months) {
        errors.push(crate::error::FieldError::new(
            "case_months",
            format!("1 to {MAX_MONTHS} months"),
        ));
    }
    if !(1..=MAX_MONTHS).contains(&s.audit_months) {
        errors.push(crate::error::FieldError::new(
            "audit_months",
            format!("1 to {MAX_MONTHS} months"),
        ));
    } else if s.audit_months < s.case_months {
        // The trail must outlive what it documents: a data subject may ask who read their data
        // as long as the data exist.
        errors.push(crate::error::FieldError::new(
            "audit_months",
            "at least case_months",
        ));
    }
    let note = s
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        errors.push(crate::error::FieldError::new(
            "note",
            "no control characters",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let tx = db.begin_write().await?;
    let m = retention_setting::ActiveModel {
        valid_from: Set(s.valid_from),
        case_months: Set(s.case_months),
        audit_months: Set(s.audit_months),
        note: Set(note),
        set_by: Set(who.user_id),
        set_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    let view = SettingView::from(m);
    audit::append(
        &tx.txn,
        now,
        who,
        Event {
            action: "set_retention",
            entity: "retention_setting",
            entity_id: Some(view.id),
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Every setting, oldest date first.
pub async fn list<C: ConnectionTrait>(conn: &C) -> Result<Vec<SettingView>> {
    Ok(retention_setting::Entity::find()
        .order_by_asc(retention_setting::Column::ValidFrom)
        .order_by_asc(retention_setting::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(SettingView::from)
        .collect())
}

/// The setting in force on `day`, if any.
pub async fn in_force<C: ConnectionTrait>(conn: &C, day: NaiveDate) -> Result<Option<SettingView>> {
    Ok(retention_setting::Entity::find()
        .filter(retention_setting::Column::ValidFrom.lte(day))
        .order_by_desc(retention_setting::Column::ValidFrom)
        .order_by_desc(retention_setting::Column::Id)
        .one(conn)
        .await?
        .map(SettingView::from))
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    pub ran_at: DateTime<Utc>,
    /// The setting applied.
    pub setting_id: i64,
    pub case_months: i32,
    pub audit_months: i32,
    /// Persons whose last case activity is before this were purged.
    pub cutoff: DateTime<Utc>,
    /// The purged persons' former ids: the pseudonyms the audit trail keeps for them.
    pub subjects: Vec<i64>,
    pub persons: u64,
    pub person_links: u64,
    pub employments: u64,
    pub derogations: u64,
    pub requests: u64,
    pub engine_inputs: u64,
    pub attachments: u64,
    /// Files removed from the attachment directory (0 when attachments live in the database).
    pub attachment_files: u64,
    pub messages: u64,
    pub letters: u64,
    pub notifications: u64,
    pub dmfa_declarations: u64,
    pub dmfa_resolutions: u64,
    /// Escalations kept (pseudonymised records) whose link to a purged request was removed.
    pub escalations_unlinked: u64,
    /// Audit entries older than the audit period still in the chain after the run (no signed
    /// checkpoint past the period covers them yet; see the module comment).
    pub audit_entries_past_period: u64,
    /// Audit entries removed from the chain's start (a dry run: that would be removed).
    pub audit_entries_removed: u64,
    /// The chain now starts after this entry (the checkpoint the cut stopped at).
    pub audit_base_seq: Option<i64>,
    /// The audit entry recording this run (`None` for a dry run or when nothing was purged by
    /// the background job).
    pub audit_seq: Option<i64>,
}

impl Report {
    fn add(&mut self, p: &PersonPurge) {
        self.persons += 1;
        self.person_links += p.person_links;
        self.employments += p.employments;
        self.derogations += p.derogations;
        self.requests += p.requests;
        self.engine_inputs += p.engine_inputs;
        self.attachments += p.attachments;
        self.messages += p.messages;
        self.letters += p.letters;
        self.notifications += p.notifications;
        self.dmfa_declarations += p.dmfa_declarations;
        self.dmfa_resolutions += p.dmfa_resolutions;
        self.escalations_unlinked += p.escalations_unlinked;
    }

    /// A few lines for a terminal.
    pub fn text(&self) -> String {
        let mut s = format!(
            "retention {} at {}: case content kept {} months (setting {}), cutoff {}\n",
            if self.dry_run { "dry run" } else { "run" },
            self.ran_at.to_rfc3339(),
            self.case_months,
            self.setting_id,
            self.cutoff.to_rfc3339(),
        );
        for (name, n) in [
            ("persons", self.persons),
            ("person links", self.person_links),
            ("employments", self.employments),
            ("derogations", self.derogations),
            ("requests", self.requests),
            ("engine inputs", self.engine_inputs),
            ("attachments", self.attachments),
            ("attachment files", self.attachment_files),
            ("messages", self.messages),
            ("letters", self.letters),
            ("notifications", self.notifications),
            ("DmfA declarations", self.dmfa_declarations),
            ("DmfA resolutions", self.dmfa_resolutions),
            ("escalations unlinked", self.escalations_unlinked),
        ] {
            s.push_str(&format!(
                "  {name:<22} {n:>8} {}\n",
                if self.dry_run { "to purge" } else { "purged" }
            ));
        }
        s.push_str(&format!(
            "  audit entries older than {} months: {} {}, {} kept (no signed checkpoint past the period covers them)\n",
            self.audit_months,
            self.audit_entries_removed,
            if self.dry_run { "to remove" } else { "removed" },
            self.audit_entries_past_period
        ));
        if let Some(seq) = self.audit_base_seq {
            s.push_str(&format!("  audit chain starts after entry {seq}\n"));
        }
        if !self.subjects.is_empty() {
            let ids: Vec<String> = self.subjects.iter().map(i64::to_string).collect();
            s.push_str(&format!(
                "  subjects (former person ids): {}\n",
                ids.join(", ")
            ));
        }
        if let Some(seq) = self.audit_seq {
            s.push_str(&format!("  audited as entry {seq}\n"));
        }
        s
    }
}

#[derive(Debug, Default)]
struct PersonPurge {
    person_links: u64,
    employments: u64,
    derogations: u64,
    requests: u64,
    engine_inputs: u64,
    attachments: u64,
    messages: u64,
    letters: u64,
    notifications: u64,
    dmfa_declarations: u64,
    dmfa_resolutions: u64,
    escalations_unlinked: u64,
}

impl PersonPurge {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "person_links": self.person_links,
            "employments": self.employments,
            "derogations": self.derogations,
            "requests": self.requests,
            "engine_inputs": self.engine_inputs,
            "attachments": self.attachments,
            "messages": self.messages,
            "letters": self.letters,
            "notifications": self.notifications,
            "dmfa_declarations": self.dmfa_declarations,
            "dmfa_resolutions": self.dmfa_resolutions,
            "escalations_unlinked": self.escalations_unlinked,
        })
    }
}

/// How a run is started.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub dry_run: bool,
    pub batch: u64,
    /// Record the run in the audit trail even when nothing was purged (a run by hand); the
    /// background job records only runs that purged something.
    pub audit_empty: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            dry_run: false,
            batch: DEFAULT_BATCH,
            audit_empty: true,
        }
    }
}

/// The moment before which a person's last activity must lie for their content to go.
pub fn cutoff(now: DateTime<Utc>, case_months: i32) -> Result<DateTime<Utc>> {
    let months =
        u32::try_from(case_months).map_err(|_| ServiceError::invalid("case_months", "positive"))?;
    now.checked_sub_months(Months::new(months))
        .ok_or_else(|| ServiceError::invalid("case_months", "too long"))
}

/// Runs retention once: purges every expired person, batch by batch.
pub async fn run(
    db: &Db,
    store: &Store,
    now: DateTime<Utc>,
    who: &Who,
    opts: &RunOptions,
) -> Result<Report> {
    let today = now.with_timezone(&chrono_tz::Europe::Brussels).date_naive();
    let setting = in_force(&db.reads, today).await?.ok_or_else(|| {
        ServiceError::refused(
            "retention_not_set",
            "no retention setting in force: the controller must fix one (art60 retention set)",
        )
    })?;
    let cutoff = cutoff(now, setting.case_months)?;
    let audit_cutoff = now
        .checked_sub_months(Months::new(
            u32::try_from(setting.audit_months).unwrap_or(0),
        ))
        .unwrap_or(now);
    let mut report = Report {
        dry_run: opts.dry_run,
        ran_at: now,
        setting_id: setting.id,
        case_months: setting.case_months,
        audit_months: setting.audit_months,
        cutoff,
        ..Default::default()
    };
    let cut = cut_audit(db, now, audit_cutoff, opts.dry_run).await?;
    report.audit_entries_removed = cut.removed;
    report.audit_base_seq = cut.base_seq;
    report.audit_entries_past_period = audit_entry::Entity::find()
        .filter(audit_entry::Column::At.lt(audit_cutoff))
        .filter(audit_entry::Column::Seq.gt(cut.base_seq.unwrap_or(0)))
        .count(&db.reads)
        .await?;
    let batch = opts.batch.max(1);
    let mut files: BTreeSet<String> = BTreeSet::new();
    // A dry run rolls back each batch, so it cannot move past the first one by deleting: it
    // pages by id instead.
    let mut after_id = 0i64;
    loop {
        let tx = db.begin_write().await?;
        let ids = claim(&tx.txn, cutoff, after_id, batch).await?;
        if ids.is_empty() {
            break;
        }
        for &pid in &ids {
            let p = purge_person(&tx.txn, pid, &mut files).await?;
            report.add(&p);
            report.subjects.push(pid);
            if !opts.dry_run {
                let seq = audit::append_chained(
                    &tx.txn,
                    now,
                    who,
                    Event {
                        action: "purge",
                        entity: "person",
                        entity_id: Some(pid),
                        person_id: Some(pid),
                        reason: Some(format!(
                            "retention: last activity before {} ({} months, setting {})",
                            cutoff.to_rfc3339(),
                            setting.case_months,
                            setting.id
                        )),
                        after: Some(p.json()),
                        ..Default::default()
                    },
                )
                .await?;
                purged_subject::ActiveModel {
                    person_id: Set(pid),
                    purged_at: Set(now),
                    run_seq: Set(seq),
                }
                .insert(&tx.txn)
                .await?;
            }
        }
        after_id = ids.iter().copied().max().unwrap_or(after_id);
        if opts.dry_run {
            tx.txn.rollback().await?;
        } else {
            tx.commit().await?;
        }
        if (ids.len() as u64) < batch {
            break;
        }
    }
    if !opts.dry_run {
        report.attachment_files = remove_files(db, store, &files).await?;
        if report.persons > 0 || report.audit_entries_removed > 0 || opts.audit_empty {
            let tx = db.begin_write().await?;
            let mut summary = serde_json::to_value(&report).unwrap_or_default();
            if let Some(o) = summary.as_object_mut() {
                o.remove("audit_seq");
            }
            report.audit_seq = Some(
                audit::append_chained(
                    &tx.txn,
                    now,
                    who,
                    Event {
                        action: "retention_run",
                        entity: "retention_setting",
                        entity_id: Some(setting.id),
                        after: Some(summary),
                        ..Default::default()
                    },
                )
                .await?,
            );
            tx.commit().await?;
        }
    }
    Ok(report)
}

struct Cut {
    removed: u64,
    base_seq: Option<i64>,
}

/// Removes the audit entries past `audit_cutoff` from the chain's start, up to the latest
/// checkpoint whose entry is past it and still holds the checkpoint's hash (signed by the key
/// the checkpoint names: which key to trust is `audit verify --public-key`'s check). The base
/// moves first, in its own transaction, and never back: entries at or before it are outside
/// the chain from then on, so a run stopped while deleting leaves a chain that verifies, and
/// the next run deletes the rest.
async fn cut_audit(
    db: &Db,
    now: DateTime<Utc>,
    audit_cutoff: DateTime<Utc>,
    dry_run: bool,
) -> Result<Cut> {
    use crate::audit_checkpoint::Checkpoint;
    use crate::db::{audit_base, audit_checkpoint};
    let current = audit::base(&db.conn).await?;
    let from = current.as_ref().map_or(0, |b| b.seq);
    // The candidates newest first; the first whose entry is past the period and unchanged.
    // Only checkpoints signed before the cutoff can name such an entry (an entry is never
    // later than the checkpoint that signs it): a server writing checkpoints often would
    // otherwise fill the bounded list with recent ones and hide the old.
    let candidates = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::Seq.gt(from))
        .filter(audit_checkpoint::Column::SignedAt.lt(audit_cutoff))
        .order_by_desc(audit_checkpoint::Column::Seq)
        .limit(64)
        .all(&db.reads)
        .await?;
    let mut chosen = None;
    for c in candidates.into_iter().map(Checkpoint::from) {
        let Some(e) = audit_entry::Entity::find_by_id(c.seq)
            .one(&db.reads)
            .await?
        else {
            continue;
        };
        if e.at < audit_cutoff && e.hash == c.hash && c.signed_by(&c.public_key) {
            chosen = Some(e);
            break;
        }
    }
    let base_seq = chosen.as_ref().map(|e| e.seq).or(current.map(|b| b.seq));
    let removable = |upto: i64| {
        audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.lte(upto))
            .count(&db.reads)
    };
    if dry_run {
        let removed = match base_seq {
            Some(s) => removable(s).await?,
            None => 0,
        };
        return Ok(Cut { removed, base_seq });
    }
    if let Some(e) = &chosen {
        let tx = db.begin_write().await?;
        let row = audit_base::ActiveModel {
            id: Set(1),
            seq: Set(e.seq),
            hash: Set(e.hash.clone()),
            at: Set(e.at),
            cut_at: Set(now),
        };
        // Only forward: a concurrent run that moved it further wins.
        match audit_base::Entity::find_by_id(1).one(&tx.txn).await? {
            None => {
                row.insert(&tx.txn).await?;
            }
            Some(b) if b.seq < e.seq => {
                row.update(&tx.txn).await?;
            }
            Some(_) => {}
        }
        tx.commit().await?;
    }
    let Some(upto) = base_seq else {
        return Ok(Cut {
            removed: 0,
            base_seq,
        });
    };
    // In slices, each its own short transaction: a long trail is not deleted under one lock.
    const SLICE: i64 = 10_000;
    let mut removed = 0;
    let mut lo = audit_entry::Entity::find()
        .select_only()
        .column_as(audit_entry::Column::Seq.min(), "m")
        .into_tuple::<Option<i64>>()
        .one(&db.reads)
        .await?
        .flatten()
        .unwrap_or(upto + 1);
    while lo <= upto {
        let hi = (lo + SLICE - 1).min(upto);
        let tx = db.begin_write().await?;
        removed += audit_entry::Entity::delete_many()
            .filter(audit_entry::Column::Seq.between(lo, hi))
            .exec(&tx.txn)
            .await?
            .rows_affected;
        tx.commit().await?;
        lo = hi + 1;
    }
    Ok(Cut { removed, base_seq })
}

/// Up to `batch` expired persons with an id above `after_id`, locked for this transaction.
/// Expired: created before the cutoff, no request waiting at ONEM (`sent`), and nothing about
/// them changed since the cutoff: no request (a decision changes it), message, employment,
/// CPAS link or DmfA import.
async fn claim<C: ConnectionTrait>(
    conn: &C,
    cutoff: DateTime<Utc>,
    after_id: i64,
    batch: u64,
) -> Result<Vec<i64>> {
    let backend = conn.get_database_backend();
    // SKIP LOCKED: two processes running retention take different persons and none waits.
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE OF p SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "SELECT p.id AS id FROM persons p \
         WHERE p.id > $1 AND p.created_at < $2 \
           AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.person_id = p.id \
                 AND (r.status = 'sent' OR r.updated_at >= $2)) \
           AND NOT EXISTS (SELECT 1 FROM messages m JOIN requests r ON m.request_id = r.id \
                 WHERE r.person_id = p.id AND m.created_at >= $2) \
           AND NOT EXISTS (SELECT 1 FROM employments e WHERE e.person_id = p.id \
                 AND e.created_at >= $2) \
           AND NOT EXISTS (SELECT 1 FROM person_links l WHERE l.person_id = p.id \
                 AND l.created_at >= $2) \
           AND NOT EXISTS (SELECT 1 FROM dmfa_declarations d WHERE d.person_id = p.id \
                 AND d.imported_at >= $2) \
         ORDER BY p.id LIMIT $3{lock}"
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                after_id.into(),
                cutoff.into(),
                i64::try_from(batch).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64>("", "id").map_err(ServiceError::from))
        .collect()
}

/// Deletes everything about one person inside `conn`'s transaction, children first.
async fn purge_person<C: ConnectionTrait>(
    conn: &C,
    pid: i64,
    files: &mut BTreeSet<String>,
) -> Result<PersonPurge> {
    let mut p = PersonPurge::default();
    let request_ids: Vec<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::PersonId.eq(pid))
        .into_tuple()
        .all(conn)
        .await?;
    let employment_ids: Vec<i64> = employment::Entity::find()
        .select_only()
        .column(employment::Column::Id)
        .filter(employment::Column::PersonId.eq(pid))
        .into_tuple()
        .all(conn)
        .await?;
    if !request_ids.is_empty() {
        let message_ids: Vec<i64> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .filter(message::Column::RequestId.is_in(request_ids.clone()))
            .into_tuple()
            .all(conn)
            .await?;
        if !message_ids.is_empty() {
            message_attachment::Entity::delete_many()
                .filter(message_attachment::Column::MessageId.is_in(message_ids.clone()))
                .exec(conn)
                .await?;
        }
        message_read::Entity::delete_many()
            .filter(message_read::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?;
        p.messages = message::Entity::delete_many()
            .filter(message::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        let paths: Vec<Option<String>> = attachment::Entity::find()
            .select_only()
            .column(attachment::Column::StoragePath)
            .filter(attachment::Column::RequestId.is_in(request_ids.clone()))
            .into_tuple()
            .all(conn)
            .await?;
        files.extend(paths.into_iter().flatten());
        p.attachments = attachment::Entity::delete_many()
            .filter(attachment::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        p.notifications = notification::Entity::delete_many()
            .filter(notification::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        p.letters = letter::Entity::delete_many()
            .filter(letter::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        p.dmfa_resolutions = dmfa_resolution::Entity::delete_many()
            .filter(dmfa_resolution::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        request_dmfa_review::Entity::delete_many()
            .filter(request_dmfa_review::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?;
        p.engine_inputs = request_engine_input::Entity::delete_many()
            .filter(request_engine_input::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        // The escalation record stays (ticket, pseudonym, pseudonymised text, status): only
        // its way back to the case goes.
        p.escalations_unlinked = escalation_link::Entity::delete_many()
            .filter(escalation_link::Column::RequestId.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        // Copies point at their parent: one statement removes the whole family at once.
        request::Entity::update_many()
            .col_expr(request::Column::ParentId, Expr::value(Option::<i64>::None))
            .filter(request::Column::Id.is_in(request_ids.clone()))
            .exec(conn)
            .await?;
        p.requests = request::Entity::delete_many()
            .filter(request::Column::Id.is_in(request_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
    }
    if !employment_ids.is_empty() {
        p.derogations = derogation::Entity::delete_many()
            .filter(derogation::Column::EmploymentId.is_in(employment_ids.clone()))
            .exec(conn)
            .await?
            .rows_affected;
        p.employments = employment::Entity::delete_many()
            .filter(employment::Column::Id.is_in(employment_ids))
            .exec(conn)
            .await?
            .rows_affected;
    }
    p.dmfa_declarations = dmfa_declaration::Entity::delete_many()
        .filter(dmfa_declaration::Column::PersonId.eq(pid))
        .exec(conn)
        .await?
        .rows_affected;
    p.person_links = person_link::Entity::delete_many()
        .filter(person_link::Column::PersonId.eq(pid))
        .exec(conn)
        .await?
        .rows_affected;
    person::Entity::delete_by_id(pid).exec(conn).await?;
    Ok(p)
}

/// Removes attachment files no remaining row refers to (files are named by content, so two
/// requests may share one).
async fn remove_files(db: &Db, store: &Store, files: &BTreeSet<String>) -> Result<u64> {
    let Store::Directory(dir) = store else {
        return Ok(0);
    };
    let mut removed = 0;
    for f in files {
        let still_used = attachment::Entity::find()
            .filter(attachment::Column::StoragePath.eq(f.as_str()))
            .count(&db.reads)
            .await?
            > 0;
        if still_used {
            continue;
        }
        match tokio::fs::remove_file(dir.join(f)).await {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ServiceError::Storage(format!(
                    "removing a purged attachment file: {e}"
                )));
            }
        }
    }
    Ok(removed)
}

/// Is a person id one a retention run purged?
pub async fn purged<C: ConnectionTrait>(conn: &C, person_id: i64) -> Result<bool> {
    Ok(purged_subject::Entity::find_by_id(person_id)
        .one(conn)
        .await?
        .is_some())
}
