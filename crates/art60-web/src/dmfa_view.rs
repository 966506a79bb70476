//! The DmfA part of the request page: one table per employer and period with its quarters
//! (declared, or counted by the "no interruption" rule and provisional), the conflicts with the
//! typed periods and how the CPAS settled each (with the forms to settle them while the request
//! may be edited), what the last calculation left out, and the notice when the DmfA changed
//! since. Also the translation of the engine's input codes.

use std::collections::BTreeMap;

use art60_dmfa::ConflictKind;
use art60_rules::input::{HistoryItem, Quarter, Source};
use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::db::Role;
use art60_service::dmfa::DmfaView;
use art60_service::dmfa_review::{self, Choice, ResolveInput};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, PageError};
use crate::form::Errors;
use crate::i18n::{Lang, date, t, t_args};
use crate::labels;

/// The translated reason of an engine or service refusal: the code's message when the code is
/// known, the English reason otherwise.
pub fn reason_text(lang: Lang, code: Option<&str>, reason: &str) -> String {
    if let Some(c) = code {
        let key = code_key(c);
        let text = t(lang, &key);
        if text != key {
            return text;
        }
    }
    reason.to_owned()
}

/// `end_before_start` → `input-code-end-before-start`.
pub fn code_key(code: &str) -> String {
    format!("input-code-{}", code.replace('_', "-"))
}

pub struct QuarterRow {
    pub quarter: String,
    pub days: String,
    pub status: String,
    pub declared: bool,
}

pub struct EmployerTable {
    pub caption: String,
    pub provisional: bool,
    pub rows: Vec<QuarterRow>,
}

pub struct ConflictLine {
    /// `conflict-{manual}-{dmfa}`: the anchor and the prefix of the form's ids.
    pub id: String,
    pub manual: usize,
    pub dmfa: usize,
    pub text: String,
    pub settled: Option<String>,
    pub error: Option<String>,
    pub justification_error: Option<String>,
}

pub struct DmfaSection {
    pub intro: String,
    pub tables: Vec<EmployerTable>,
    pub conflicts: Vec<ConflictLine>,
    pub can_resolve: bool,
    pub left_out: Vec<String>,
    pub change: Option<String>,
}

fn days_of(item: &HistoryItem, q: Quarter) -> Option<String> {
    let decl = item.quarters.iter().find(|d| d.quarter == q)?;
    let total: i64 = decl.lines.iter().map(|l| l.days.raw()).sum();
    Some(art60_rules::units::Hundredths(total).to_string())
}

fn kind_label(lang: Lang, k: ConflictKind) -> String {
    t(
        lang,
        match k {
            ConflictKind::Duplicate => "dmfa-conflict-duplicate",
            ConflictKind::OverlappingWork => "dmfa-conflict-overlapping-work",
            ConflictKind::AbsenceAlsoDeclared => "dmfa-conflict-absence-also-declared",
            ConflictKind::Contradiction => "dmfa-conflict-contradiction",
        },
    )
}

/// The section of the request page; `errors` holds the refusals of a send or a resolution
/// (`input.history[i]`, `just-{manual}-{dmfa}`).
pub fn section(lang: Lang, v: &DmfaView, can_resolve: bool, errors: &Errors) -> DmfaSection {
    let mut tables = Vec::new();
    for item in v.dmfa.iter().filter(|i| i.source == Source::Dmfa) {
        let employer = item.employer.clone().unwrap_or_default();
        let mut rows = Vec::new();
        let mut q = Quarter::of(item.start);
        let last = Quarter::of(item.end);
        while q.index() <= last.index() {
            let declared = days_of(item, q);
            rows.push(QuarterRow {
                quarter: q.to_string(),
                days: declared.clone().unwrap_or_else(|| "—".into()),
                status: t(
                    lang,
                    if declared.is_some() {
                        "dmfa-quarter-declared"
                    } else {
                        "dmfa-quarter-undeclared"
                    },
                ),
                declared: declared.is_some(),
            });
            q = q.next();
        }
        tables.push(EmployerTable {
            caption: t_args(
                lang,
                "dmfa-table-caption",
                &[
                    ("employer", employer),
                    ("start", date(item.start)),
                    ("end", date(item.end)),
                ],
            ),
            provisional: item.provisional || rows.iter().any(|r| !r.declared),
            rows,
        });
    }
    let conflicts = v
        .conflicts
        .iter()
        .map(|cv| {
            let c = &cv.conflict;
            let typed = v.typed.get(c.manual);
            let employer = v
                .dmfa
                .get(c.dmfa)
                .and_then(|d| d.employer.clone())
                .unwrap_or_default();
            let text = t_args(
                lang,
                "dmfa-conflict",
                &[
                    ("typed", (c.manual + 1).to_string()),
                    (
                        "kind",
                        typed
                            .map(|h| t(lang, &labels::period_kind(h.kind)))
                            .unwrap_or_default(),
                    ),
                    ("start", typed.map(|h| date(h.start)).unwrap_or_default()),
                    ("end", typed.map(|h| date(h.end)).unwrap_or_default()),
                    ("employer", employer),
                    ("what", kind_label(lang, c.kind)),
                    ("from", date(c.overlap_start)),
                    ("to", date(c.overlap_end)),
                ],
            );
            let settled = cv.resolution.as_ref().map(|r| {
                let date = date(r.decided_at.date_naive());
                match r.choice {
                    Choice::UseDmfa => t_args(lang, "dmfa-resolved-use", &[("date", date)]),
                    Choice::KeepTyped => t_args(
                        lang,
                        "dmfa-resolved-keep",
                        &[
                            ("date", date),
                            ("why", r.justification.clone().unwrap_or_default()),
                        ],
                    ),
                }
            });
            let id = format!("conflict-{}-{}", c.manual, c.dmfa);
            ConflictLine {
                error: (settled.is_none()
                    && errors.contains_key(&format!("input.history[{}]", c.manual)))
                .then(|| t(lang, "dmfa-unresolved")),
                justification_error: errors
                    .get(&format!("just-{}-{}", c.manual, c.dmfa))
                    .cloned(),
                id,
                manual: c.manual,
                dmfa: c.dmfa,
                text,
                settled,
            }
        })
        .collect();
    let left_out = v
        .left_out
        .iter()
        .map(|l| match l.source {
            Source::Dmfa => t_args(
                lang,
                "dmfa-left-out-dmfa",
                &[
                    ("employer", l.employer.clone().unwrap_or_default()),
                    ("from", date(l.from)),
                    ("to", date(l.to)),
                    ("why", l.justification.clone().unwrap_or_default()),
                ],
            ),
            _ => t_args(
                lang,
                "dmfa-left-out-manual",
                &[
                    ("index", (l.index + 1).to_string()),
                    ("from", date(l.from)),
                    ("to", date(l.to)),
                ],
            ),
        })
        .collect();
    let change = v.dmfa_changed.as_ref().map(|c| {
        let date = date(c.at.date_naive());
        match c.outcome.as_str() {
            "recalculated" => t_args(lang, "dmfa-changed-recalculated", &[("date", date)]),
            "newer_dmfa" => t_args(lang, "dmfa-changed-newer", &[("date", date)]),
            _ => t_args(
                lang,
                "dmfa-changed-not-recalculated",
                &[
                    ("date", date),
                    ("detail", c.detail.clone().unwrap_or_default()),
                ],
            ),
        }
    });
    DmfaSection {
        intro: t(
            lang,
            if tables.is_empty() {
                "dmfa-none"
            } else {
                "dmfa-intro"
            },
        ),
        tables,
        conflicts,
        can_resolve,
        left_out,
        change,
    }
}

/// The history the timeline draws: what the last calculation got (typed and DmfA periods
/// after the resolutions) once calculated, else the typed periods beside the DmfA ones.
pub fn timeline_history(v: &DmfaView, calculated: Option<Vec<HistoryItem>>) -> Vec<HistoryItem> {
    match calculated {
        Some(h) => h,
        None => v.typed.iter().chain(v.dmfa.iter()).cloned().collect(),
    }
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    manual: usize,
    dmfa: usize,
    #[serde(default)]
    choice: String,
    #[serde(default)]
    justification: String,
}

/// The CPAS settles one conflict from the request page (works without JavaScript).
pub async fn resolve_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let choice = match f.choice.as_str() {
        "keep_typed" => Choice::KeepTyped,
        _ => Choice::UseDmfa,
    };
    let input = ResolveInput {
        manual: f.manual,
        dmfa: f.dmfa,
        choice,
        justification: Some(f.justification.clone()),
    };
    match dmfa_review::resolve(&st.db, st.clock.now(), &actor, id, input).await {
        Ok(_) => Ok(crate::pages::with_flash(
            Redirect::to(&format!("/requests/{id}#conflict-{}-{}", f.manual, f.dmfa))
                .into_response(),
            "resolved",
        )),
        Err(ServiceError::Invalid(list)) => {
            let mut errors = BTreeMap::new();
            for fe in &list {
                let msg = if fe.field == "justification" {
                    crate::i18n::t_args(
                        ctx.lang,
                        "err-required",
                        &[("field", ctx.t("dmfa-justification"))],
                    )
                } else {
                    reason_text(ctx.lang, fe.code.as_deref(), &fe.reason)
                };
                errors.insert(format!("just-{}-{}", f.manual, f.dmfa), msg);
            }
            crate::pages::request_page_with_errors(
                &st,
                ctx,
                id,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_code_is_translated_in_every_language() {
        let mut codes: Vec<&str> = art60_rules::input::InputCode::ALL
            .iter()
            .map(|c| c.as_str())
            .collect();
        codes.push(art60_service::dmfa_review::UNRESOLVED);
        for lang in crate::i18n::LANGS {
            for c in &codes {
                let key = code_key(c);
                let text = t(lang, &key);
                assert_ne!(text, key, "{} lacks {key}", lang.code());
                assert_eq!(reason_text(lang, Some(c), "English"), text);
            }
        }
        assert_eq!(
            reason_text(Lang::Fr, Some("no_such_code"), "English"),
            "English"
        );
        assert_eq!(reason_text(Lang::Fr, None, "English"), "English");
        assert_eq!(
            reason_text(Lang::Nl, Some("end_before_start"), "end is before start"),
            "het einde ligt vóór het begin"
        );
    }
}
