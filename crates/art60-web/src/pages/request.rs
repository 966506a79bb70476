//! The request page (result, timeline, explanation, attachments and the actions of both
//! sides) and its printable answer.

use art60_rules::CalcRequest;
use art60_rules::result::CalcResult;
use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::attachments;
use art60_service::audit::ReadLog;
use art60_service::auth::Actor;
use art60_service::db::{CopyReason, Role, Status};
use art60_service::directory::{self};
use art60_service::persons::{self};
use art60_service::requests::{
    self, CopyInput, DecideInput, DecisionKind, DerogationInput, RequestView, ReturnInput,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::ctx::{Ctx, render};
use crate::form::{Errors, RequestForm};
use crate::labels;
use crate::summary::{Summary, summarise};
use crate::timeline::Marker;
use crate::widget::{Field, first_error};

use super::shared::*;

struct RequestInfo {
    id: i64,
    reference: String,
    version: i32,
    status: String,
    received: Option<String>,
    due: Option<String>,
    return_reason: Option<String>,
    contract: String,
    /// What the request says about the person beyond the record, one fact a line.
    person_facts: Vec<String>,
    history: Vec<(String, String, String)>,
    cpas: String,
    contact: String,
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    ctx: Ctx,
    r: RequestInfo,
    sum: Option<Summary>,
    show_steps: bool,
    notice: Option<String>,
    notice_class: &'static str,
    can_send: bool,
    can_edit: bool,
    can_attach: bool,
    /// (id, file name, size in KiB).
    attachments: Vec<(i64, String, i64)>,
    /// The "contact your office" section (`contact_thread.html`, included).
    thread: Option<crate::contact::ThreadFragment>,
    can_copy: bool,
    /// The answer letter (PDF): for a calculated request, to its CPAS and its office.
    can_letter: bool,
    can_decide: bool,
    can_derogate: bool,
    copy_reasons: Vec<(&'static str, String)>,
    errors: Errors,
    override_end: String,
    justification: String,
    reason: String,
    derogation_reason: String,
    /// Name, NISS and birth date of the person the request is about.
    person: Option<(String, String, String)>,
    dmfa: Option<crate::dmfa_view::DmfaSection>,
    /// Other requests of the CPAS for the same NISS and contract start (id, reference).
    duplicates: Vec<(i64, String)>,
}

impl RequestPage {
    /// A send refusal about typed period `i` (an unsettled DmfA conflict...).
    fn history_error(&self, i: &usize) -> Option<&String> {
        self.errors.get(&format!("input.history[{i}]"))
    }
    /// A field of the officer's forms; after a refusal the first one in error has the focus.
    fn input(&self, name: &str, label: &str, value: &str, kind: &str) -> Field {
        let focus = first_error(
            &self.errors,
            &["end_date", "justification", "reason", "derogation_reason"],
        );
        Field::new(self.ctx.lang, &self.errors, name, label, value)
            .kind(kind)
            .focus(focus)
    }
}

/// The engine request and the final result of a stored request, for the summary and the
/// timeline: after an override, the engine's result at ONEM's end date with the computed end
/// as the timeline's marker. The person's birth date is not needed for the picture: a fixed
/// stand-in is used, so the page does not read the person's record.
fn stored_calc(v: &RequestView, today: NaiveDate) -> Option<(CalcRequest, CalcResult, Marker)> {
    let computed: CalcResult = serde_json::from_value(v.result.clone()?).ok()?;
    let fixed = v
        .final_answer
        .result
        .clone()
        .and_then(|r| serde_json::from_value::<CalcResult>(r).ok());
    let (res, marker) = match (fixed, v.override_end_date) {
        (Some(f), _) => {
            let marker = computed
                .end_date()
                .map_or(Marker::None, Marker::ComputedEnd);
            (f, marker)
        }
        (None, Some(onem)) => (computed, Marker::OnemEnd(onem)),
        (None, None) => (computed, Marker::None),
    };
    let stand_in = NaiveDate::from_ymd_opt(1990, 1, 1)?;
    let req =
        requests::engine_request(&v.input, None, stand_in, v.received_on.unwrap_or(today)).ok()?;
    Some((req, res, marker))
}

/// The summary of a stored request's final answer with its standing in words.
async fn final_summary(
    st: &AppState,
    ctx: &Ctx,
    v: &RequestView,
    history: Option<Vec<art60_rules::input::HistoryItem>>,
) -> Option<Summary> {
    let today = st.clock.today_brussels();
    let (mut req, res, marker) = stored_calc(v, today)?;
    if let Some(h) = history {
        req.history = h;
    }
    let mut sum = summarise(&req, &res, ctx.lang, marker);
    let office = match v.office_id {
        Some(id) => directory::office_name(&st.db, id)
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        None => String::new(),
    };
    sum.standing = Some(crate::summary::standing(
        ctx.lang,
        &v.final_answer,
        &office,
        v.due_on,
    ));
    // Old and new rules side by side when the DA falls under other rules than the start
    // (issue 15 §3), from the stored engine input: the person's age decides the old rules.
    let computed = v
        .result
        .clone()
        .and_then(|r| serde_json::from_value::<CalcResult>(r).ok());
    if let (Some(c), Some(start)) = (computed, req.contract.as_ref().map(|k| k.start))
        && let Ok(Some(r)) =
            art60_service::impact::regimes_of_request(&st.db, v.id, start, &c).await
    {
        sum.regimes = Some(crate::summary::regimes_view(ctx.lang, &r));
    }
    Some(sum)
}

/// A date of the stored form (ISO) the way the reader writes it; anything else as it is.
fn form_date(iso: &str) -> String {
    iso.parse::<NaiveDate>()
        .map_or_else(|_| iso.to_string(), crate::i18n::date)
}

fn request_info(ctx: &Ctx, v: &RequestView, cpas: String) -> RequestInfo {
    let form = RequestForm::from_input(&v.input);
    let contract = format!(
        "{}: {} · {}: {} · Q {} / S {}",
        ctx.t("field-contract-start").trim_end_matches(" *"),
        form_date(&form.contract_start),
        ctx.t("field-days-per-week").trim_end_matches(" *"),
        form.days_per_week,
        form.weekly_hours,
        form.reference_hours
    );
    let contact = [
        Some(v.contact.name.clone()),
        Some(v.contact.email.clone()),
        v.contact.phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let label = |k: &str| ctx.t(k).trim_end_matches(" *").to_owned();
    let mut person_facts = Vec::new();
    if form.dock_worker_or_fisher {
        person_facts.push(label("field-dock-worker"));
    }
    if !form.career_start_date.is_empty() {
        person_facts.push(format!(
            "{}: {}",
            label("field-career-start"),
            form_date(&form.career_start_date)
        ));
    }
    if form.foreign_national {
        let permits = form
            .permits
            .iter()
            .map(|w| match w.end.as_str() {
                // A permit without an end date stays open.
                "" => format!("{} – …", form_date(&w.start)),
                end => format!("{} – {}", form_date(&w.start), form_date(end)),
            })
            .collect::<Vec<_>>();
        let permits = if permits.is_empty() {
            ctx.t("form-permits-none")
        } else {
            format!("{}: {}", label("form-permits"), permits.join(", "))
        };
        person_facts.push(format!("{} · {permits}", label("field-foreign-national")));
    }
    RequestInfo {
        person_facts,
        cpas,
        contact,
        id: v.id,
        reference: v.reference.clone(),
        version: v.version,
        status: ctx.t(&labels::key("status", v.status.as_str())),
        received: v.received_on.map(crate::i18n::date),
        due: v.due_on.map(crate::i18n::date),
        return_reason: v.return_reason.clone(),
        contract,
        history: form
            .history
            .iter()
            .map(|h| {
                let mut k = ctx.t(&labels::key("kind", &h.kind));
                if !h.country.is_empty() {
                    k = format!("{k} ({})", h.country);
                }
                (k, form_date(&h.start), form_date(&h.end))
            })
            .collect(),
    }
}

pub(crate) struct Extra {
    pub(crate) notice: Option<String>,
    pub(crate) notice_class: &'static str,
    pub(crate) errors: Errors,
    pub(crate) override_end: String,
    pub(crate) justification: String,
    pub(crate) reason: String,
    pub(crate) derogation_reason: String,
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            notice: None,
            notice_class: "ok",
            errors: Errors::new(),
            override_end: String::new(),
            justification: String::new(),
            reason: String::new(),
            derogation_reason: String::new(),
        }
    }
}

pub(crate) async fn request_page(
    st: &AppState,
    ctx: Ctx,
    id: i64,
    extra: Extra,
    status: StatusCode,
) -> PageResult {
    let actor = ctx.require()?.clone();
    // The page's three audited reads (the request, its person, the DmfA data) are recorded
    // in one transaction, whether the page could be built or not.
    let mut reads = ReadLog::new(st.clock.now(), actor.who());
    let fail = ctx.clone();
    let page = build_request_page(st, ctx, &actor, id, extra, &mut reads).await;
    reads.record(&st.db).await.map_err(|e| fail.fail(e))?;
    let mut resp = page?;
    *resp.status_mut() = status;
    Ok(resp)
}

async fn build_request_page(
    st: &AppState,
    ctx: Ctx,
    actor: &Actor,
    id: i64,
    extra: Extra,
    reads: &mut ReadLog,
) -> PageResult {
    // One read of the request, checked once; the sections below take it as it is.
    let r = requests::open_logged(&st.db, actor, id, reads)
        .await
        .map_err(|e| ctx.fail(e))?;
    let v = r.view();
    let worker = actor.role == Role::CpasWorker;
    let officer = actor.role == Role::OnemOfficer;
    // Who the request is about (an audited read of the person).
    let person = persons::get_in_case_logged(&st.db, actor, v.person_id, v.cpas_id, reads)
        .await
        .ok()
        .map(|p| {
            (
                format!("{} {}", p.last_name, p.first_name),
                p.niss,
                crate::i18n::date(p.birth_date),
            )
        });
    let dmfa_view = art60_service::dmfa::for_request_logged(&st.db, &r, reads)
        .await
        .map_err(|e| ctx.fail(e))?;
    let calculated = art60_service::dmfa_review::engine_history(&st.db.reads, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let history = crate::dmfa_view::timeline_history(&dmfa_view, calculated);
    let sum = final_summary(st, &ctx, &v, Some(history)).await;
    let dmfa = Some(crate::dmfa_view::section(
        ctx.lang,
        &dmfa_view,
        worker && matches!(v.status, Status::Draft | Status::Returned),
        &extra.errors,
    ));
    let attachments = attachments::list_of(&st.db, &r)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .map(|a| (a.id, a.file_name, (a.size + 1023) / 1024))
        .collect();
    let cpas = directory::cpas_name(&st.db, actor, v.cpas_id)
        .await
        .map_err(|e| ctx.fail(e))?
        .unwrap_or_default();
    let thread = crate::contact::thread_section(st, &ctx, actor, &r, reads)
        .await
        .map_err(|e| ctx.fail(e))?;
    let duplicates = requests::same_person_and_start(&st.db, actor, &r)
        .await
        .map_err(|e| ctx.fail(e))?;
    let page = RequestPage {
        duplicates,
        thread,
        r: request_info(&ctx, &v, cpas),
        sum,
        show_steps: true,
        notice: extra.notice,
        notice_class: extra.notice_class,
        can_send: worker && matches!(v.status, Status::Draft | Status::Returned),
        can_edit: worker && matches!(v.status, Status::Draft | Status::Returned),
        can_attach: worker && v.status != Status::Calculated,
        attachments,
        can_copy: worker && v.status == Status::Calculated,
        can_letter: v.status == Status::Calculated,
        can_decide: officer && v.status == Status::Sent,
        can_derogate: officer,
        copy_reasons: labels::COPY_REASONS
            .iter()
            .map(|c| (*c, ctx.t(&labels::key("copy-reason", c))))
            .collect(),
        errors: extra.errors,
        override_end: extra.override_end,
        justification: extra.justification,
        reason: extra.reason,
        derogation_reason: extra.derogation_reason,
        person,
        dmfa,
        ctx,
    };
    Ok(render(page.ctx.lang, &page))
}

/// The request page again after a refused DmfA resolution, with the errors in place.
pub(crate) async fn request_page_with_errors(
    st: &AppState,
    ctx: Ctx,
    id: i64,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let extra = Extra {
        notice: Some(ctx.t("form-errors-summary")),
        notice_class: "error",
        errors,
        ..Default::default()
    };
    request_page(st, ctx, id, extra, status).await
}

pub async fn request_get(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let extra = Extra {
        notice: notice_of(&ctx, ctx.flash.as_deref()),
        ..Default::default()
    };
    request_page(&st, ctx, id, extra, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    derogation_reason: String,
}

/// After a refused action: the page again, with the message and what was typed.
async fn refused(st: &AppState, ctx: Ctx, id: i64, f: &ActionForm, e: ServiceError) -> PageResult {
    let mut extra = Extra {
        override_end: f.end_date.clone(),
        justification: f.justification.clone(),
        reason: f.reason.clone(),
        derogation_reason: f.derogation_reason.clone(),
        ..Default::default()
    };
    let status = match &e {
        ServiceError::Stale { .. } => {
            extra.notice = Some(ctx.t("result-stale"));
            extra.notice_class = "error";
            StatusCode::CONFLICT
        }
        ServiceError::Invalid(list) => {
            for fe in list {
                // A send refused for the form or the DmfA (an unsettled conflict...): the
                // message goes next to the period it is about.
                if fe.field.starts_with("input.") || fe.field.starts_with("dmfa[") {
                    let text =
                        crate::dmfa_view::reason_text(ctx.lang, fe.code.as_deref(), &fe.reason);
                    extra.errors.entry(fe.field.clone()).or_insert(text);
                    continue;
                }
                let (field, label) = match fe.field.as_str() {
                    "end_date" => ("end_date", "field-override-end"),
                    "justification" => ("justification", "field-justification"),
                    "derogation_reason" => ("derogation_reason", "field-derogation-reason"),
                    _ => ("reason", "field-return-reason"),
                };
                let label = ctx.t(label).trim_end_matches(" *").to_owned();
                let msg = crate::i18n::t_args(ctx.lang, "err-required", &[("field", label)]);
                extra.errors.insert(field.to_owned(), msg);
            }
            extra.notice = Some(ctx.t("form-errors-summary"));
            extra.notice_class = "error";
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ServiceError::Refused { .. } => {
            extra.notice = refusal_message(&ctx, &e);
            extra.notice_class = "error";
            StatusCode::CONFLICT
        }
        _ => return Err(ctx.fail(e)),
    };
    request_page(st, ctx, id, extra, status).await
}

pub async fn request_send(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    ctx.check_csrf(&f.csrf)?;
    match requests::send(
        &st.db,
        st.clock.now(),
        st.clock.today_brussels(),
        &actor,
        id,
        f.version,
    )
    .await
    {
        Ok(_) => Ok(done(id, "sent")),
        Err(e) => refused(&st, ctx, id, &f, e).await,
    }
}

pub async fn request_decide(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::OnemOfficer)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let decision = if f.decision == "override" {
        DecisionKind::Override
    } else {
        DecisionKind::Confirm
    };
    let end_date = if decision == DecisionKind::Override {
        match NaiveDate::parse_from_str(f.end_date.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let e = ServiceError::invalid("end_date", "a date");
                return refused(&st, ctx, id, &f, e).await;
            }
        }
    } else {
        None
    };
    let input = DecideInput {
        decision,
        end_date,
        justification: Some(f.justification.clone()).filter(|s| !s.trim().is_empty()),
    };
    match requests::decide(&st.db, st.clock.now(), &actor, id, f.version, input).await {
        Ok(_) => Ok(done(id, "decided")),
        Err(e) => refused(&st, ctx, id, &f, e).await,
    }
}

pub async fn request_return(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::OnemOfficer)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let input = ReturnInput {
        reason: f.reason.clone(),
    };
    match requests::return_to_cpas(&st.db, st.clock.now(), &actor, id, f.version, input).await {
        Ok(_) => Ok(with_flash(
            Redirect::to("/queue").into_response(),
            "returned",
        )),
        Err(e) => refused(&st, ctx, id, &f, e).await,
    }
}

pub async fn request_derogation(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::OnemOfficer)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let v = requests::get(&st.db, st.clock.now(), &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let input = DerogationInput {
        reason: f.derogation_reason.clone(),
    };
    match requests::grant_derogation(&st.db, st.clock.now(), &actor, v.employment_id, input).await {
        Ok(_) => Ok(done(id, "derogation")),
        Err(ServiceError::Invalid(_)) => {
            // The service names its field `reason`; on this page that is the derogation's.
            let e = ServiceError::invalid("derogation_reason", "required");
            refused(&st, ctx, id, &f, e).await
        }
        Err(e) => refused(&st, ctx, id, &f, e).await,
    }
}

#[derive(Deserialize)]
pub struct CopyForm {
    #[serde(default)]
    csrf: String,
    reason: String,
}

pub async fn request_copy(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CopyForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let reason = match f.reason.as_str() {
        "event_impact" => CopyReason::EventImpact,
        _ => CopyReason::ContractChanged,
    };
    match requests::copy(&st.db, st.clock.now(), &actor, id, CopyInput { reason }).await {
        Ok(c) => Ok(Redirect::to(&format!("/requests/{}", c.id)).into_response()),
        // Outside the second-calculation window: no copy is made; say when it can be.
        Err(ServiceError::Refused {
            code: "outside_window",
            allowed_from,
            allowed_until,
            ..
        }) => {
            let notice = match (allowed_from, allowed_until) {
                (Some(from), Some(until)) => crate::i18n::t_args(
                    ctx.lang,
                    "refused-copy-window-later",
                    &[
                        ("from", crate::i18n::date(from)),
                        ("until", crate::i18n::date(until)),
                    ],
                ),
                _ => ctx.t("refused-copy-window-closed"),
            };
            let extra = Extra {
                notice: Some(notice),
                notice_class: "error",
                ..Extra::default()
            };
            request_page(&st, ctx, id, extra, StatusCode::CONFLICT).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    ctx: Ctx,
    org: String,
    person: Option<String>,
    reference: String,
    date: String,
    sum: Option<Summary>,
    show_steps: bool,
}

pub async fn request_print(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> PageResult {
    let actor = ctx.require()?.clone();
    let v = requests::get(&st.db, st.clock.now(), &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let today = st.clock.today_brussels();
    let sum = final_summary(&st, &ctx, &v, None).await;
    let cpas = directory::cpas_name(&st.db, &actor, v.cpas_id)
        .await
        .map_err(|e| ctx.fail(e))?
        .unwrap_or_default();
    let date = v
        .decided_at
        .map(|d| d.date_naive())
        .or(v.received_on)
        .map_or_else(|| crate::i18n::date(today), crate::i18n::date);
    // The CPAS's copy names the person (an audited read); ONEM sees the case by reference.
    let person = if actor.role == Role::CpasWorker {
        let p = persons::get_in_case(&st.db, st.clock.now(), &actor, v.person_id, v.cpas_id)
            .await
            .map_err(|e| ctx.fail(e))?;
        Some(format!("{}, {} ({})", p.last_name, p.first_name, p.niss))
    } else {
        None
    };
    let page = PrintPage {
        org: cpas,
        person,
        reference: v.reference.clone(),
        date,
        sum,
        show_steps: true,
        ctx,
    };
    Ok(render(page.ctx.lang, &page))
}

pub async fn attachment_upload(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut multipart: axum::extract::Multipart,
) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    // A broken multipart body is treated like a missing file.
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment").to_owned();
                if let Ok(bytes) = field.bytes().await {
                    file = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    ctx.check_csrf(&csrf)?;
    let (name, bytes) = file.unwrap_or_default();
    let res =
        attachments::upload(&st.db, &st.store, st.clock.now(), &actor, id, &name, bytes).await;
    match res {
        Ok(_) => Ok(done(id, "attached")),
        Err(ServiceError::Invalid(_)) => {
            let extra = Extra {
                notice: Some(ctx.t("attachment-refused")),
                notice_class: "error",
                ..Default::default()
            };
            request_page(&st, ctx, id, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => {
            let Some(notice) = refusal_message(&ctx, &e) else {
                return Err(ctx.fail(e));
            };
            let extra = Extra {
                notice: Some(notice),
                notice_class: "error",
                ..Default::default()
            };
            request_page(&st, ctx, id, extra, StatusCode::CONFLICT).await
        }
    }
}
