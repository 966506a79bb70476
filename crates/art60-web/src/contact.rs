//! Portal pages of the "contact your office" thread (on the request page), the escalation
//! form, and the escalation pages of the CPAS, the federation SPOC and the ONEM SPOC. The
//! SPOC pages show only what the service's pseudonymised views hold.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::audit::ReadLog;
use art60_service::auth::Actor;
use art60_service::db::{EscalationStatus, Role};
use art60_service::escalations::{self, EscalationView, NewEscalation, Preview};
use art60_service::messages::{self, NewAttachment};
use art60_service::requests::{self, RequestView, Visible};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::ctx::{Ctx, PageError, render};
use crate::fields::Fields;
use crate::form::Errors;
use crate::i18n::t_args;
use crate::widget::{Field, first_error};

type PageResult = Result<Response, PageError>;

fn local_time(at: DateTime<Utc>) -> String {
    crate::i18n::date_time(at)
}

fn flash_redirect(to: &str, code: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={code}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120",
        crate::ctx::FLASH_COOKIE
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

// ---------- the thread ----------

pub(crate) struct Msg {
    pub(crate) author: String,
    pub(crate) org: String,
    pub(crate) at: String,
    pub(crate) body: String,
    pub(crate) unread: bool,
    /// (attachment id, file name, KiB).
    pub(crate) files: Vec<(i64, String, i64)>,
}

/// The "contact your office" section, drawn by `contact_thread.html` (included by the request
/// page and the contact page under the name `th`).
pub(crate) struct ThreadFragment {
    /// The section's heading: the CPAS contacts its office, the office exchanges with the CPAS.
    pub(crate) title: String,
    pub(crate) id: i64,
    pub(crate) open: bool,
    pub(crate) messages: Vec<Msg>,
    pub(crate) unread: i64,
    pub(crate) body: String,
    pub(crate) errors: Errors,
    pub(crate) can_escalate: bool,
    /// (ticket, status label).
    pub(crate) escalations: Vec<(String, String)>,
    pub(crate) lang: crate::i18n::Lang,
}

impl ThreadFragment {
    pub(crate) fn body_field(&self) -> Field {
        Field::new(
            self.lang,
            &self.errors,
            "body",
            "contact-field-body",
            &self.body,
        )
        .focus(first_error(&self.errors, &["body"]))
    }
    pub(crate) fn file_error(&self) -> Option<&String> {
        self.errors.get("attachment")
    }
}

fn status_label(ctx: &Ctx, s: EscalationStatus) -> String {
    ctx.t(&format!("esc-status-{}", s.as_str().replace('_', "-")))
}

/// The thread section of a request page; shows the thread and then marks it read (what was
/// unread when the page was drawn keeps its marker on this page only).
async fn thread_fragment(
    st: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    r: &Visible,
    reads: &mut ReadLog,
    body: String,
    errors: Errors,
) -> Result<ThreadFragment, ServiceError> {
    let open = r.sent();
    let (messages, unread) = if open {
        let th = messages::list_logged(&st.db, actor, r, reads).await?;
        if th.unread > 0 {
            messages::mark_read(&st.db, st.clock.now(), actor, r.id(), None).await?;
        }
        let list = th
            .messages
            .into_iter()
            .map(|m| Msg {
                author: m.author_username,
                org: m.author_org_name,
                at: local_time(m.created_at),
                body: m.body,
                unread: m.unread,
                files: m
                    .attachments
                    .into_iter()
                    .map(|a| (a.id, a.file_name, (a.size + 1023) / 1024))
                    .collect(),
            })
            .collect();
        (list, th.unread)
    } else {
        (Vec::new(), 0)
    };
    let escalations = escalations::on_visible(&st.db, r)
        .await?
        .into_iter()
        .map(|e| (e.ticket, status_label(ctx, e.status)))
        .collect();
    Ok(ThreadFragment {
        title: ctx.t(if actor.role == Role::OnemOfficer {
            "contact-title-onem"
        } else {
            "contact-title"
        }),
        lang: ctx.lang,
        id: r.id(),
        open,
        messages,
        unread,
        body,
        errors,
        can_escalate: open && actor.role == Role::CpasWorker,
        escalations,
    })
}

/// The "contact your office" section for the request page (none for roles without one); the
/// thread's audited read goes into the page's `reads`.
pub(crate) async fn thread_section(
    st: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    r: &Visible,
    reads: &mut ReadLog,
) -> Result<Option<ThreadFragment>, ServiceError> {
    if !matches!(actor.role, Role::CpasWorker | Role::OnemOfficer) {
        return Ok(None);
    }
    thread_fragment(st, ctx, actor, r, reads, String::new(), Errors::new())
        .await
        .map(Some)
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    ctx: Ctx,
    reference: String,
    request_id: i64,
    title: String,
    thread: Option<ThreadFragment>,
}

async fn contact_page(
    st: &AppState,
    ctx: Ctx,
    id: i64,
    body: String,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let actor = ctx.require()?.clone();
    // The request and its thread: two audited reads, recorded together whether the page
    // could be built or not.
    let mut reads = ReadLog::new(st.clock.now(), actor.who());
    let built = async {
        let r = requests::open_logged(&st.db, &actor, id, &mut reads).await?;
        let frag = thread_fragment(st, &ctx, &actor, &r, &mut reads, body, errors).await?;
        Ok::<_, ServiceError>((r, frag))
    }
    .await;
    reads.record(&st.db).await.map_err(|e| ctx.fail(e))?;
    let (r, frag) = built.map_err(|e| ctx.fail(e))?;
    let lang = ctx.lang;
    let page = ContactPage {
        ctx,
        reference: r.reference().to_owned(),
        request_id: r.id(),
        title: frag.title.clone(),
        thread: Some(frag),
    };
    let mut resp = render(lang, &page);
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn contact_get(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    contact_page(&st, ctx, id, String::new(), Errors::new(), StatusCode::OK).await
}

pub async fn message_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Fields { pairs, files }: Fields,
) -> PageResult {
    let actor = ctx.require()?.clone();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    ctx.check_csrf(&get("csrf"))?;
    let body = get("body");
    let attachment = files
        .into_iter()
        .next()
        .map(|(file_name, bytes)| NewAttachment { file_name, bytes });
    match messages::post(
        &st.db,
        &st.store,
        st.clock.now(),
        &actor,
        id,
        &body,
        attachment,
    )
    .await
    {
        Ok(_) => Ok(flash_redirect(
            &format!("/requests/{id}#contact"),
            "messagesent",
        )),
        Err(ServiceError::Invalid(list)) => {
            let mut errors = Errors::new();
            for fe in list {
                let (field, key) = match fe.field.as_str() {
                    "attachment" => ("attachment", "attachment-refused"),
                    _ if fe.reason.contains("NISS") => ("body", "contact-err-niss"),
                    _ => ("body", "contact-err-body"),
                };
                errors.insert(field.to_owned(), ctx.t(key));
            }
            contact_page(&st, ctx, id, body, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------- escalation form ----------

#[derive(Template)]
#[template(path = "escalate.html")]
struct EscalatePage {
    ctx: Ctx,
    request_id: i64,
    reference: String,
    p: Preview,
    no_federation: bool,
    contact_days: String,
    means_exhausted: bool,
    several_requests: bool,
    payment_delayed: bool,
    since: String,
    description: String,
    errors: Errors,
    notice: Option<String>,
}

impl EscalatePage {
    fn err(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
    fn field(&self, name: &str, label: &str, value: &str) -> Field {
        Field::new(self.ctx.lang, &self.errors, name, label, value).focus(first_error(
            &self.errors,
            &["payment_delay_since", "description"],
        ))
    }
    fn date_input(&self) -> Field {
        self.field("payment_delay_since", "esc-field-since", &self.since)
            .kind("date")
    }
    fn since_hint(&self) -> String {
        self.ctx.t1(
            "esc-since-hint",
            "date",
            crate::i18n::date(self.p.delayed_since_before),
        )
    }
    fn textarea(&self) -> Field {
        self.field("description", "esc-field-description", &self.description)
    }
}

#[derive(Deserialize, Default)]
pub struct EscalateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    means_exhausted: Option<String>,
    #[serde(default)]
    several_requests: Option<String>,
    #[serde(default)]
    payment_delayed: Option<String>,
    #[serde(default)]
    payment_delay_since: String,
    #[serde(default)]
    description: String,
}

async fn escalate_page(
    st: &AppState,
    ctx: Ctx,
    id: i64,
    f: EscalateForm,
    errors: Errors,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    let v = art60_service::requests::get(&st.db, st.clock.now(), &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let p = escalations::preview(&st.db, st.clock.today_brussels(), &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let contact_days = p
        .contacts
        .days
        .iter()
        .map(|d| crate::i18n::date(*d))
        .collect::<Vec<_>>()
        .join(", ");
    let lang = ctx.lang;
    let page = EscalatePage {
        no_federation: p.federation == art60_service::db::Federation::None,
        contact_days,
        request_id: id,
        reference: v.reference,
        means_exhausted: f.means_exhausted.is_some(),
        several_requests: f.several_requests.is_some(),
        payment_delayed: f.payment_delayed.is_some(),
        since: f.payment_delay_since,
        description: f.description,
        errors,
        notice,
        p,
        ctx,
    };
    let mut resp = render(lang, &page);
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn escalate_get(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    escalate_page(
        &st,
        ctx,
        id,
        EscalateForm::default(),
        Errors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The translated reason for one refused escalation field.
fn escalation_error(ctx: &Ctx, field: &str, reason: &str, p: Option<&Preview>) -> String {
    match field {
        "federation" => ctx.t("esc-err-federation"),
        "request_id" => ctx.t("esc-err-not-sent"),
        "means_exhausted" => ctx.t("esc-err-means"),
        "several_requests" if reason.contains("thread shows") => {
            let (count, days, min) = p.map_or((0, 0, 2), |p| {
                (
                    p.contacts.cpas_messages,
                    p.contacts.days.len(),
                    p.min_contact_days,
                )
            });
            t_args(
                ctx.lang,
                "esc-err-contacts",
                &[
                    ("count", count.to_string()),
                    ("days", days.to_string()),
                    ("min", min.to_string()),
                ],
            )
        }
        "several_requests" => ctx.t("esc-err-several"),
        "payment_delayed" => ctx.t("esc-err-payment"),
        "payment_delay_since" => match p {
            Some(p) if reason.contains("more than one month") => ctx.t1(
                "esc-err-since-recent",
                "date",
                crate::i18n::date(p.delayed_since_before),
            ),
            _ => ctx.t("esc-err-since-missing"),
        },
        _ if reason.contains("NISS") => ctx.t("esc-err-niss"),
        _ if reason.contains("name") => ctx.t("esc-err-name"),
        _ if reason.contains("reference") => ctx.t("esc-err-reference"),
        _ => ctx.t("esc-err-text"),
    }
}

pub async fn escalate_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<EscalateForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let since = NaiveDate::parse_from_str(f.payment_delay_since.trim(), "%Y-%m-%d").ok();
    let input = NewEscalation {
        request_id: id,
        means_exhausted: f.means_exhausted.is_some(),
        several_requests: f.several_requests.is_some(),
        payment_delayed: f.payment_delayed.is_some(),
        payment_delay_since: since,
        description: f.description.clone(),
    };
    let today = st.clock.today_brussels();
    match escalations::create(&st.db, st.clock.now(), today, &actor, input).await {
        Ok(v) => Ok(flash_redirect(
            &format!("/escalations/{}", v.id),
            "escalated",
        )),
        Err(ServiceError::Invalid(list)) => {
            let p = escalations::preview(&st.db, today, &actor, id).await.ok();
            let mut errors = Errors::new();
            for fe in &list {
                errors
                    .entry(fe.field.clone())
                    .or_insert_with(|| escalation_error(&ctx, &fe.field, &fe.reason, p.as_ref()));
            }
            let notice = Some(ctx.t("esc-refused"));
            escalate_page(
                &st,
                ctx,
                id,
                f,
                errors,
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ServiceError::Refused { .. }) => {
            let notice = Some(ctx.t("esc-err-pending"));
            escalate_page(&st, ctx, id, f, Errors::new(), notice, StatusCode::CONFLICT).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------- escalation lists and tickets ----------

struct Row {
    id: i64,
    ticket: String,
    pseudonym: String,
    cpas: String,
    status: String,
    created: String,
    /// The CPAS's own link to its case (empty for a SPOC).
    case_id: i64,
    case_ref: String,
}

#[derive(Template)]
#[template(path = "escalations.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<Row>,
    is_worker: bool,
}

fn may_list(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::CpasWorker | Role::FederationSpoc | Role::OnemSpoc
    )
}

pub async fn list_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.require()?.clone();
    if !may_list(&actor) {
        return Err(ctx.error(crate::ctx::ErrorKind::Forbidden));
    }
    let list = escalations::list(&st.db, st.clock.now(), &actor)
        .await
        .map_err(|e| ctx.fail(e))?;
    let rows = list
        .into_iter()
        .map(|e| Row {
            id: e.id,
            status: status_label(&ctx, e.status),
            created: local_time(e.created_at),
            case_id: e.case.as_ref().map_or(0, |c| c.request_id),
            case_ref: e.case.map(|c| c.reference).unwrap_or_default(),
            ticket: e.ticket,
            pseudonym: e.pseudonym,
            cpas: e.cpas_name,
        })
        .collect();
    let lang = ctx.lang;
    let page = ListPage {
        is_worker: actor.role == Role::CpasWorker,
        rows,
        ctx,
    };
    Ok(render(lang, &page))
}

#[derive(Template)]
#[template(path = "escalation.html")]
struct TicketPage {
    ctx: Ctx,
    e: EscalationView,
    status: String,
    federation: String,
    created: String,
    forwarded: Option<String>,
    closed: Option<String>,
    can_forward: bool,
    can_close: bool,
    can_open: bool,
    outcome: String,
    reason: String,
    errors: Errors,
    notice: Option<String>,
}

impl TicketPage {
    fn field(&self, name: &str, label: &str, value: &str) -> Field {
        Field::new(self.ctx.lang, &self.errors, name, label, value)
            .focus(first_error(&self.errors, &["outcome", "reason"]))
    }
    fn outcome_input(&self) -> Field {
        self.field("outcome", "esc-field-outcome", &self.outcome)
    }
    fn reason_input(&self) -> Field {
        self.field("reason", "esc-field-open-reason", &self.reason)
    }
}

fn notice_of(ctx: &Ctx) -> Option<String> {
    match ctx.flash.as_deref()? {
        "escalated" => Some(ctx.t("esc-created")),
        "forwarded" => Some(ctx.t("esc-forwarded")),
        "closed" => Some(ctx.t("esc-closed")),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn ticket_page(
    st: &AppState,
    ctx: Ctx,
    id: i64,
    outcome: String,
    reason: String,
    errors: Errors,
    notice: Option<String>,
    status: StatusCode,
) -> PageResult {
    let actor = ctx.require()?.clone();
    if !may_list(&actor) {
        return Err(ctx.error(crate::ctx::ErrorKind::Forbidden));
    }
    let e = escalations::get(&st.db, st.clock.now(), &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let fed = actor.role == Role::FederationSpoc;
    let lang = ctx.lang;
    let page = TicketPage {
        status: status_label(&ctx, e.status),
        federation: ctx.t(&format!("esc-federation-{}", e.federation.as_str())),
        created: local_time(e.created_at),
        forwarded: e.forwarded_at.map(local_time),
        closed: e.closed_at.map(local_time),
        can_forward: fed && e.status == EscalationStatus::Open,
        can_close: fed && e.status != EscalationStatus::Closed,
        can_open: actor.role == Role::OnemSpoc,
        outcome,
        reason,
        errors,
        notice: notice.or_else(|| notice_of(&ctx)),
        e,
        ctx,
    };
    let mut resp = render(lang, &page);
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn ticket_get(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    ticket_page(
        &st,
        ctx,
        id,
        String::new(),
        String::new(),
        Errors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reason: String,
}

pub async fn forward_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<TicketForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::FederationSpoc)?.clone();
    ctx.check_csrf(&f.csrf)?;
    match escalations::forward(&st.db, st.clock.now(), &actor, id).await {
        Ok(_) => Ok(flash_redirect(&format!("/escalations/{id}"), "forwarded")),
        Err(ServiceError::Refused { .. }) => {
            let notice = Some(ctx.t("refused-wrong-status"));
            ticket_page(
                &st,
                ctx,
                id,
                String::new(),
                String::new(),
                Errors::new(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub async fn close_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<TicketForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::FederationSpoc)?.clone();
    ctx.check_csrf(&f.csrf)?;
    match escalations::close(&st.db, st.clock.now(), &actor, id, &f.outcome).await {
        Ok(_) => Ok(flash_redirect(&format!("/escalations/{id}"), "closed")),
        Err(ServiceError::Invalid(list)) => {
            let mut errors = Errors::new();
            for fe in &list {
                errors.insert(
                    "outcome".to_owned(),
                    escalation_error(&ctx, "outcome", &fe.reason, None),
                );
            }
            ticket_page(
                &st,
                ctx,
                id,
                f.outcome,
                String::new(),
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ServiceError::Refused { .. }) => {
            let notice = Some(ctx.t("refused-wrong-status"));
            ticket_page(
                &st,
                ctx,
                id,
                f.outcome,
                String::new(),
                Errors::new(),
                notice,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "spoc_case.html")]
struct CasePage {
    ctx: Ctx,
    ticket: String,
    escalation_id: i64,
    r: RequestView,
    status: String,
}

/// The ONEM SPOC opens the case behind a pseudonym: the reason is required and recorded.
/// The page is the answer to the POST (a reason never travels in an address).
pub async fn open_case_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<TicketForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::OnemSpoc)?.clone();
    ctx.check_csrf(&f.csrf)?;
    match escalations::open_case(&st.db, st.clock.now(), &actor, id, Some(&f.reason)).await {
        Ok(r) => {
            let e = escalations::get(&st.db, st.clock.now(), &actor, id)
                .await
                .map_err(|e| ctx.fail(e))?;
            let lang = ctx.lang;
            let page = CasePage {
                status: ctx.t(&crate::labels::key("status", r.status.as_str())),
                ticket: e.ticket,
                escalation_id: id,
                r,
                ctx,
            };
            Ok(render(lang, &page))
        }
        Err(ServiceError::Invalid(_)) => {
            let mut errors = Errors::new();
            errors.insert("reason".to_owned(), ctx.t("esc-err-reason"));
            ticket_page(
                &st,
                ctx,
                id,
                String::new(),
                f.reason,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}
