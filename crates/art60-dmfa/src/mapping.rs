//! From DmfA declarations to the engine's history: one `HistoryItem` (kind `Work`, source `Dmfa`)
//! per employer and occupation, with its declared quarters and one line per service code.
//!
//! The mapping does not decide what counts: it classifies each service code into the SPEC §3.6
//! category (data table) and lets the engine apply the regime's rules. What it cannot map is
//! reported as a [`Note`], never dropped silently.

use std::collections::BTreeMap;

use art60_rules::Niss;
use art60_rules::input::{
    ContributionPaid, DayCategory, DeclaredLine, HistoryItem, PeriodKind, Quarter,
    QuarterDeclaration, Source, WorkRegime,
};
use art60_rules::units::Hundredths;
use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::{MappingParams, ServiceCodes, TableError};
use crate::model::{ContractType, Employer, Occupation, PersonDeclaration, WorkerRecord};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryOptions {
    /// Start of the art. 60 contract being planned: the history ends the day before, and an
    /// occupation still running at its last declared quarter is extended up to that day (the
    /// engine fills the undeclared quarters with the "no interruption" rule, provisionally).
    pub contract_start: Option<NaiveDate>,
    /// The day of the calculation: an occupation is extended only over quarters whose DmfA
    /// cannot exist yet on that day (SPEC §3.10, §7); `None` extends as far as the contract.
    pub today: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Declared data left out of the history on purpose (students, occupations without work).
    Excluded,
    /// Kept, but an officer must look at it.
    ManualReview,
    /// Kept, but the result depends on quarters not declared yet.
    Provisional,
    /// For the explanation only.
    Info,
}

/// Something the officer should know about the mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarter: Option<Quarter>,
    pub message: String,
}

/// The DmfA part of one person's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonHistory {
    pub items: Vec<HistoryItem>,
    pub notes: Vec<Note>,
    /// Quarters for which at least one declaration of the person was read.
    pub declared_quarters: Vec<Quarter>,
}

/// One job as the engine sees it: same employer, same worker line, same occupation data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct JobKey {
    employer: Employer,
    employer_class: u16,
    worker_code: u16,
    start: Option<NaiveDate>,
    days_per_week: i64,
    mean_hours: Option<i64>,
    reference_hours: Option<i64>,
    contract_type: ContractType,
    joint_committee: String,
}

struct QuarterPart {
    start: NaiveDate,
    end: NaiveDate,
    ongoing: bool,
    lines: Vec<DeclaredLine>,
}

struct Job {
    quarters: BTreeMap<Quarter, QuarterPart>,
    provisional: bool,
}

fn day_before(d: NaiveDate) -> NaiveDate {
    d.pred_opt().unwrap_or(d)
}

/// Builds the DmfA history of `niss` from every declaration read for that person (in import
/// order: a later declaration of the same job and quarter replaces the earlier one).
pub fn to_history<'a>(
    niss: Niss,
    declarations: impl IntoIterator<Item = &'a PersonDeclaration>,
    opts: &HistoryOptions,
) -> Result<PersonHistory, TableError> {
    let codes = ServiceCodes::embedded()?;
    let params = MappingParams::embedded()?;
    let mut notes = Vec::new();
    let mut jobs: BTreeMap<JobKey, Job> = BTreeMap::new();
    let mut declared = std::collections::BTreeSet::new();

    // A later declaration of the same employer and quarter replaces the earlier one as a whole
    // (a correction may change the occupation data, hence the job, so replacing per job would
    // count both versions).
    let mine: Vec<&PersonDeclaration> = declarations
        .into_iter()
        .filter(|p| p.niss == niss)
        .collect();
    let mut last: BTreeMap<(Employer, Quarter), usize> = BTreeMap::new();
    for (i, p) in mine.iter().enumerate() {
        if last.insert((p.employer, p.quarter), i).is_some() {
            notes.push(Note {
                kind: NoteKind::Info,
                employer: Some(p.employer.to_string()),
                quarter: Some(p.quarter),
                message: "declared again: the later declaration replaces the earlier one".into(),
            });
        }
    }
    for (from, p) in mine.iter().copied().enumerate() {
        if last.get(&(p.employer, p.quarter)) != Some(&from) {
            continue;
        }
        declared.insert(p.quarter);
        let emp = p.employer.to_string();
        for wr in &p.worker_records {
            if params.student_worker_codes.values.contains(&wr.worker_code) {
                notes.push(Note {
                    kind: NoteKind::Excluded,
                    employer: Some(emp.clone()),
                    quarter: Some(p.quarter),
                    message: format!(
                        "worker code {:03} (student, solidarity contribution only) never counts ({})",
                        wr.worker_code, params.student_worker_codes.reference
                    ),
                });
                continue;
            }
            for occ in &wr.occupations {
                add_occupation(&mut jobs, &mut notes, p, wr, occ, &emp, codes, params);
            }
        }
    }

    let mut items = Vec::new();
    for (key, job) in jobs {
        if let Some(item) = build_item(&key, job, opts, params, &mut notes) {
            items.push(item);
        }
    }
    items.sort_by_key(|i| (i.start, i.end));
    notes.sort_by_key(|a| (a.quarter, a.kind));
    Ok(PersonHistory {
        items,
        notes,
        declared_quarters: declared.into_iter().collect(),
    })
}

#[allow(clippy::too_many_arguments)]
fn add_occupation(
    jobs: &mut BTreeMap<JobKey, Job>,
    notes: &mut Vec<Note>,
    p: &PersonDeclaration,
    wr: &WorkerRecord,
    occ: &Occupation,
    emp: &str,
    codes: &ServiceCodes,
    params: &MappingParams,
) {
    let note = |kind, message: String| Note {
        kind,
        employer: Some(emp.to_string()),
        quarter: Some(p.quarter),
        message,
    };
    let start = occ
        .start
        .map_or(wr.quarter_start, |s| s.max(wr.quarter_start));
    let end = occ.end.map_or(wr.quarter_end, |e| e.min(wr.quarter_end));
    if end < start {
        notes.push(note(
            NoteKind::ManualReview,
            format!(
                "occupation {} lies outside its quarter ({}..{}): left out",
                occ.sequence, wr.quarter_start, wr.quarter_end
            ),
        ));
        return;
    }
    let mut provisional = false;
    if occ
        .remunerations
        .iter()
        .any(|r| params.notice_indemnity_remun_codes.values.contains(&r.code))
    {
        provisional = true;
        notes.push(note(
            NoteKind::ManualReview,
            format!(
                "occupation {} carries a notice indemnity (remuneration code 3): the period may lie after the work ended ({})",
                occ.sequence, params.notice_indemnity_remun_codes.reference
            ),
        ));
    }
    if occ.worker_status.as_deref() == Some("TW") {
        notes.push(note(
            NoteKind::Info,
            format!(
                "occupation {} has WorkerStatus TW: an art. 60 §7 contract (Flemish Region, SPEC §7)",
                occ.sequence
            ),
        ));
    }
    let mut lines = Vec::with_capacity(occ.services.len());
    for s in &occ.services {
        let category = codes.category(s.code);
        if category == DayCategory::Unknown {
            notes.push(note(
                NoteKind::ManualReview,
                format!(
                    "service code {} has no documented treatment (SPEC §7): counted as zero until an officer decides",
                    s.code
                ),
            ));
        }
        lines.push(DeclaredLine {
            category,
            days: s.days,
            hours: s.hours,
            service_code: Some(s.code),
            // The occupation's service lines do not say whether codes 5 and 13 bore the
            // unemployment contribution (SPEC §5 Q6): the officer is asked.
            paid_with_unemployment_contribution: ContributionPaid::Unknown,
        });
    }
    let key = JobKey {
        employer: p.employer,
        employer_class: wr.employer_class,
        worker_code: wr.worker_code,
        start: occ.start,
        days_per_week: occ.days_per_week.raw(),
        mean_hours: occ.mean_hours.map(Hundredths::raw),
        reference_hours: occ.reference_hours.map(Hundredths::raw),
        contract_type: occ.contract_type,
        joint_committee: occ.joint_committee.as_str().to_string(),
    };
    let job = jobs.entry(key).or_insert_with(|| Job {
        quarters: BTreeMap::new(),
        provisional: false,
    });
    job.provisional |= provisional;
    let part = QuarterPart {
        start,
        end,
        ongoing: occ.end.is_none(),
        lines,
    };
    match job.quarters.get_mut(&p.quarter) {
        // Two occupation lines with the same data in one declaration (e.g. differing only in a
        // zone the engine does not use): one job, all lines kept.
        Some(existing) => {
            existing.start = existing.start.min(part.start);
            existing.end = existing.end.max(part.end);
            existing.ongoing |= part.ongoing;
            existing.lines.extend(part.lines);
        }
        None => {
            job.quarters.insert(p.quarter, part);
        }
    }
}

fn build_item(
    key: &JobKey,
    job: Job,
    opts: &HistoryOptions,
    params: &MappingParams,
    notes: &mut Vec<Note>,
) -> Option<HistoryItem> {
    let emp = key.employer.to_string();
    let first_q = *job.quarters.keys().next()?;
    let note = |kind, quarter: Option<Quarter>, message: String| Note {
        kind,
        employer: Some(emp.clone()),
        quarter,
        message,
    };

    // Regime R, Q, S.
    let mut r = key.days_per_week;
    if r == 0 {
        notes.push(note(
            NoteKind::Excluded,
            Some(first_q),
            "WorkingDaysSystem 0 (complete career break or no work owed): no work days".into(),
        ));
        return None;
    }
    if r < 100 {
        notes.push(note(
            NoteKind::ManualReview,
            Some(first_q),
            format!(
                "WorkingDaysSystem {} is below one day a week: R = {} used ({})",
                Hundredths(r),
                Hundredths(params.days_per_week_if_wrong.value),
                params.days_per_week_if_wrong.reference
            ),
        ));
        r = params.days_per_week_if_wrong.value;
    }
    let s = match key.reference_hours {
        Some(s) => s,
        None => {
            notes.push(note(
                NoteKind::Info,
                Some(first_q),
                format!(
                    "RefMeanWorkingHours not declared: S = {} ({})",
                    Hundredths(params.reference_hours_if_unknown.value),
                    params.reference_hours_if_unknown.reference
                ),
            ));
            params.reference_hours_if_unknown.value
        }
    };
    let q = match (key.mean_hours, key.contract_type) {
        (Some(q), _) => q,
        (None, ContractType::FullTime) => s,
        (None, ContractType::PartTime) => {
            notes.push(note(
                NoteKind::ManualReview,
                Some(first_q),
                "part-time occupation without MeanWorkingHours (Q): left out, Q is needed to count it"
                    .into(),
            ));
            return None;
        }
    };
    if q == 0 {
        notes.push(note(
            NoteKind::Excluded,
            Some(first_q),
            "MeanWorkingHours 0 (no work owed): no work days".into(),
        ));
        return None;
    }
    let q = if q > s {
        notes.push(note(
            NoteKind::Info,
            Some(first_q),
            format!(
                "MeanWorkingHours {} above RefMeanWorkingHours {}: taken as full time",
                Hundredths(q),
                Hundredths(s)
            ),
        ));
        s
    } else {
        q
    };
    let regime = WorkRegime {
        days_per_week: Hundredths(r),
        weekly_hours: Hundredths(q),
        reference_hours: Hundredths(s),
    };

    // Keep only what lies before the contract.
    let mut quarters = job.quarters;
    if let Some(cs) = opts.contract_start {
        let after: Vec<Quarter> = quarters
            .iter()
            .filter(|(_, p)| p.start >= cs)
            .map(|(q, _)| *q)
            .collect();
        for q in after {
            quarters.remove(&q);
            notes.push(note(
                NoteKind::Info,
                Some(q),
                "declared on or after the contract start: not part of the history before the contract"
                    .into(),
            ));
        }
    }
    let (&last_q, last) = quarters.iter().next_back()?;
    let (&first_q, first) = quarters.iter().next()?;
    let start = first.start;
    let mut end = last.end;
    let mut provisional = job.provisional;

    if let Some(s) = key.start
        && s < first_q.start()
    {
        notes.push(note(
            NoteKind::Info,
            Some(first_q),
            format!(
                "occupation began on {s}, before the first imported quarter: earlier quarters need their own declarations"
            ),
        ));
    }

    // Quarters missing between the first and the last declared one.
    let mut q = first_q.next();
    while q < last_q {
        if !quarters.contains_key(&q) {
            provisional = true;
            notes.push(note(
                NoteKind::Provisional,
                Some(q),
                "no declaration imported for this quarter: the engine applies the \"no interruption\" rule until it is imported".into(),
            ));
        }
        q = q.next();
    }

    let pending_from = opts.today.map(Quarter::first_pending_on);
    if last.ongoing
        && let (Some(cs), Some(pending)) = (opts.contract_start, pending_from)
        && last_q.next() < pending
        && day_before(cs) > end
    {
        // The DmfA of the quarters after the last one imported should exist: they are not
        // filled (the engine counts an older gap as nothing), the officer imports or checks.
        notes.push(note(
            NoteKind::ManualReview,
            Some(last_q.next()),
            format!(
                "the occupation was still running at the end of {last_q}, but no declaration was imported from {} although it should exist: those quarters count nothing until they are imported",
                last_q.next()
            ),
        ));
    } else if last.ongoing
        && let Some(cs) = opts.contract_start
    {
        let before = day_before(cs);
        if before > end {
            end = before;
            provisional = true;
            notes.push(note(
                NoteKind::Provisional,
                Some(last_q.next()),
                format!(
                    "the occupation was still running at the end of {last_q}: extended to {before}; the quarters from {} are not declared yet, the engine fills them with the \"no interruption\" rule and a later import replaces them",
                    last_q.next()
                ),
            ));
        }
    }
    if let Some(cs) = opts.contract_start
        && end >= cs
    {
        end = day_before(cs);
    }

    Some(HistoryItem {
        kind: PeriodKind::Work,
        start,
        end,
        regime: Some(regime),
        weekdays: None,
        quarters: quarters
            .into_iter()
            .map(|(quarter, p)| QuarterDeclaration {
                quarter,
                lines: p.lines,
            })
            .collect(),
        employer: Some(emp),
        source: Source::Dmfa,
        provisional,
        ..HistoryItem::default()
    })
}
