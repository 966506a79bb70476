//! The portal's pages: thin handlers that call the case service's functions with the
//! signed-in actor and render askama templates.

use std::collections::BTreeMap;

use art60_rules::CalcRequest;
use art60_rules::result::CalcResult;
use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::api::extract::cookie_value;
use art60_service::attachments;
use art60_service::auth::{self, SESSION_COOKIE, SESSION_HOURS};
use art60_service::db::{CopyReason, Role, Status};
use art60_service::directory::{self, OfficeView};
use art60_service::persons::{self, NewEmployment, NewPerson, PageRequest};
use art60_service::queue;
use art60_service::requests::{
    self, CopyInput, DecideInput, DecisionKind, DerogationInput, NewRequest, RequestView,
    ReturnInput,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use crate::ctx::{Ctx, PageError, render};
use crate::fields::{Fields, Upload};
use crate::form::{self, Errors, RequestForm};
use crate::html;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::labels;
use crate::summary::{Summary, summarise};
use crate::timeline::Marker;

type PageResult = Result<Response, PageError>;

fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Where a signed-in user starts.
pub async fn home(ctx: Ctx) -> Response {
    match ctx.actor.as_ref().map(|a| a.role) {
        Some(Role::CpasWorker) => Redirect::to("/dashboard").into_response(),
        Some(Role::OnemOfficer) => Redirect::to("/queue").into_response(),
        Some(Role::FederationSpoc | Role::OnemSpoc) => Redirect::to("/escalations").into_response(),
        Some(_) => Redirect::to("/directory").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

// ---------- language ----------

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// Only a path of this site (not `//host`): the switch cannot be used as an open redirect.
fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

pub async fn set_lang(State(st): State<AppState>, ctx: Ctx, Form(f): Form<LangForm>) -> Response {
    let lang = Lang::parse(&f.lang).unwrap_or(Lang::Fr);
    crate::notify_pages::save_language(&st, &ctx, lang, &f.csrf).await;
    let code = lang.code();
    // The language code is not a secret and not personal data; a year is a convenient memory.
    let cookie = format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000");
    with_cookie(Redirect::to(local_path(&f.next)).into_response(), &cookie)
}

// ---------- login ----------

/// Pre-session CSRF for the login form: a random value in a cookie and in the form
/// (double submit), so another site cannot sign a victim into an attacker's account.
const LOGIN_COOKIE: &str = "art60_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    token: String,
    username: String,
    error: Option<String>,
}

fn login_page(ctx: Ctx, username: String, error: Option<String>, status: StatusCode) -> Response {
    let token = auth::random_secret("");
    let cookie = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    let lang = ctx.lang;
    let page = LoginPage {
        ctx,
        token,
        username,
        error,
    };
    let mut resp = render(lang, &page);
    *resp.status_mut() = status;
    with_cookie(resp, &cookie)
}

pub async fn login_form(ctx: Ctx) -> Response {
    if ctx.signed_in() {
        return home(ctx).await;
    }
    login_page(ctx, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
}

pub async fn login(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || expected != f.csrf {
        let msg = ctx.t("login-expired");
        return login_page(ctx, f.username, Some(msg), StatusCode::FORBIDDEN);
    }
    match auth::login(
        &st.db,
        st.clock.now(),
        st.password_cost,
        f.username.trim(),
        &f.password,
    )
    .await
    {
        Ok(s) => {
            let target = match s.actor.role {
                Role::CpasWorker => "/dashboard",
                Role::OnemOfficer => "/queue",
                Role::FederationSpoc | Role::OnemSpoc => "/escalations",
                _ => "/directory",
            };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
                s.cookie,
                SESSION_HOURS * 3600
            );
            let resp = with_cookie(Redirect::to(target).into_response(), &cookie);
            with_cookie(resp, &format!("{LOGIN_COOKIE}=; Path=/login; Max-Age=0"))
        }
        Err(ServiceError::TooManyAttempts { .. }) => {
            let msg = ctx.t("login-too-many");
            login_page(ctx, f.username, Some(msg), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(ServiceError::Unauthenticated) => {
            let msg = ctx.t("login-failed");
            login_page(ctx, f.username, Some(msg), StatusCode::UNAUTHORIZED)
        }
        Err(e) => ctx.fail(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    ctx.require()?;
    ctx.check_csrf(&f.csrf)?;
    if let Some(c) = cookie_value(&headers, SESSION_COOKIE) {
        auth::logout(&st.db, c).await.map_err(|e| ctx.fail(e))?;
    }
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    ))
}

// ---------- directory ----------

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    ctx: Ctx,
    offices: Vec<OfficeView>,
}

pub async fn directory_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let offices = directory::list_offices(&st.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let lang = ctx.lang;
    Ok(render(lang, &DirectoryPage { ctx, offices }))
}

// ---------- dashboard ----------

struct DashRow {
    id: i64,
    reference: String,
    unread: i64,
    contract_start: String,
    received: String,
    due: String,
    end_date: String,
    /// What the CPAS does next with it, in words.
    next: String,
}

struct DashGroup {
    label: String,
    rows: Vec<DashRow>,
}

struct WindowRow {
    id: i64,
    reference: String,
    end_date: NaiveDate,
    from: NaiveDate,
    until: NaiveDate,
    class: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    groups: Vec<DashGroup>,
    windows: Vec<WindowRow>,
    notice: Option<String>,
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(crate::i18n::date).unwrap_or_else(|| "—".into())
}

/// How many days ahead "about to open" looks.
const WINDOW_LOOKAHEAD_DAYS: i64 = 14;

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    cpas: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

fn notice_of(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    match done? {
        "sent" => Some(ctx.t("result-sent-ok")),
        "saved" => Some(ctx.t("result-saved-ok")),
        "attached" => Some(ctx.t("attachment-added")),
        "decided" => Some(ctx.t("decide-done")),
        "returned" => Some(ctx.t("returned-done")),
        "derogation" => Some(ctx.t("derogation-done")),
        "resolved" => Some(ctx.t("dmfa-resolved-ok")),
        "messagesent" => Some(ctx.t("contact-sent")),
        _ => None,
    }
}

pub async fn dashboard(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    // The dashboard is the CPAS's; anyone else signed in goes to their own start page (the
    // officer to the queue) instead of a refusal.
    if ctx
        .actor
        .as_ref()
        .is_some_and(|a| a.role != Role::CpasWorker)
    {
        return Ok(home(ctx).await);
    }
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    let page = PageRequest::parse(None, Some(PageRequest::MAX)).map_err(|e| ctx.fail(e))?;
    let list = requests::list(&st.db, &actor, None, page)
        .await
        .map_err(|e| ctx.fail(e))?;
    let today = st.clock.today_brussels();
    let ids: Vec<i64> = list.items.iter().map(|r| r.id).collect();
    let unread = art60_service::messages::unread_counts(&st.db, &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let proc_ = requests::procedure();
    let employments: Vec<i64> = list.items.iter().map(|r| r.employment_id).collect();
    let starts = requests::contract_starts(&st.db, &employments)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut groups = Vec::new();
    for code in labels::STATUSES {
        let rows: Vec<DashRow> = list
            .items
            .iter()
            .filter(|r| r.status.as_str() == code)
            .map(|r| DashRow {
                id: r.id,
                unread: unread.get(&r.id).copied().unwrap_or(0),
                reference: r.reference.clone(),
                contract_start: opt_date(starts.get(&r.employment_id).copied()),
                received: opt_date(r.received_on),
                due: opt_date(r.due_on),
                end_date: opt_date(r.final_end_date),
                next: ctx.t(&labels::key("next", code)),
            })
            .collect();
        if !rows.is_empty() {
            groups.push(DashGroup {
                label: ctx.t(&labels::key("status", code)),
                rows,
            });
        }
    }
    let mut windows = Vec::new();
    for r in list.items.iter().filter(|r| r.status == Status::Calculated) {
        // The window runs before the end that holds: ONEM's when it set one.
        let Some(end) = r.final_end_date else {
            continue;
        };
        let from = end - Duration::days(i64::from(proc_.second_calc_window_start_days));
        let until = end - Duration::days(i64::from(proc_.second_calc_window_end_days));
        let (class, key) = if from <= today && today <= until {
            ("due-soon", "window-open")
        } else if today < from && (from - today).num_days() <= WINDOW_LOOKAHEAD_DAYS {
            ("on-time", "window-soon")
        } else {
            continue;
        };
        windows.push(WindowRow {
            id: r.id,
            reference: r.reference.clone(),
            end_date: end,
            from,
            until,
            class,
            label: ctx.t(key),
        });
    }
    let notice = notice_of(&ctx, ctx.flash.as_deref());
    let lang = ctx.lang;
    Ok(render(
        lang,
        &DashboardPage {
            ctx,
            groups,
            windows,
            notice,
        },
    ))
}

// ---------- new request ----------

#[derive(Template)]
#[template(path = "request_form.html")]
struct FormPage {
    ctx: Ctx,
    f: RequestForm,
    errors: Errors,
    sim_html: String,
    editing: Option<EditInfo>,
    notice: Option<String>,
    /// The element that gets `autofocus` after a row was added or removed, or after errors,
    /// so keyboard and screen-reader users continue where they acted (htmx honours it after
    /// a swap, browsers on a full page load).
    focus: String,
}

fn focus_after(f: &RequestForm, errors: &Errors) -> String {
    if !errors.is_empty() {
        return "error-summary".into();
    }
    match f.action.as_str() {
        "add_history" if !f.history.is_empty() => format!("h{}_kind", f.history.len() - 1),
        "add_absence" if !f.absences.is_empty() => format!("a{}_kind", f.absences.len() - 1),
        "add_admission" if !f.admissions.is_empty() => {
            format!("p{}_application_date", f.admissions.len() - 1)
        }
        a if a.starts_with("remove_admission:") => "add-admission".into(),
        a if a.starts_with("remove_history:") => "add-history".into(),
        a if a.starts_with("remove_absence:") => "add-absence".into(),
        _ => String::new(),
    }
}

fn with_autofocus(html: String, name: &str, focus: &str) -> String {
    if !focus.is_empty() && name == focus {
        html.replacen(
            &format!(r#" id="{name}""#),
            &format!(r#" autofocus id="{name}""#),
            1,
        )
    } else {
        html
    }
}

/// The request being edited (a draft, a returned request or a modification copy).
#[derive(Debug, Clone)]
struct EditInfo {
    id: i64,
    version: i32,
    reference: String,
    /// "Last, First (NISS)" as read (audited) from the person record.
    person: String,
    /// Why ONEM sent the request back, kept in view while the CPAS corrects it.
    return_reason: Option<String>,
}

// Askama passes some arguments by reference and others by value: the helpers take both.
impl FormPage {
    fn input(
        &self,
        name: impl AsRef<str>,
        label: &str,
        value: &str,
        kind: &str,
        hint: Option<&str>,
    ) -> String {
        let name = name.as_ref();
        let html = html::input(self.ctx.lang, &self.errors, name, label, value, kind, hint);
        with_autofocus(html, name, &self.focus)
    }
    fn autofocus(&self, id: &str) -> &'static str {
        if self.focus == id { " autofocus" } else { "" }
    }
    fn focus_attr(&self, id: impl AsRef<str>) -> &'static str {
        self.autofocus(id.as_ref())
    }
    /// The error shown next to field `name`, for the template's own fields.
    fn err(&self, name: impl AsRef<str>) -> Option<&String> {
        self.errors.get(name.as_ref())
    }
    /// The ids that describe field `name` (its hint, its error), for `aria-describedby`.
    fn described_by(&self, name: impl AsRef<str>, hint_key: &str) -> String {
        let name = name.as_ref();
        let mut ids = Vec::new();
        if !hint_key.is_empty() {
            ids.push(format!("{name}-hint"));
        }
        if self.errors.contains_key(name) {
            ids.push(format!("{name}-err"));
        }
        ids.join(" ")
    }
    // The template's macros get their arguments by reference: these compare through it.
    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
    fn is_empty(&self, s: &str) -> bool {
        s.is_empty()
    }
    fn is_true(&self, b: &bool) -> bool {
        *b
    }
    /// The countries of the work-abroad list, in the reader's language, a blank choice first.
    fn country_options(&self, current: &str) -> Vec<(String, String)> {
        let mut v = vec![(String::new(), self.ctx.t("country-choose"))];
        v.extend(crate::countries::options(self.ctx.lang, current));
        v
    }
    fn pay_options(&self) -> Vec<(String, String)> {
        form::PAY_KINDS
            .iter()
            .map(|k| {
                let label = if k.is_empty() {
                    self.ctx.t("pay-none")
                } else {
                    self.ctx.t(&labels::key("pay", k))
                };
                (k.to_string(), label)
            })
            .collect()
    }
    fn weekday_options(&self) -> Vec<(String, String)> {
        form::WEEKDAYS
            .iter()
            .map(|k| (k.to_string(), self.ctx.t(&labels::key("weekday", k))))
            .collect()
    }
    fn job_category_options(&self) -> Vec<(String, String)> {
        form::JOB_CATEGORIES
            .iter()
            .map(|k| (k.to_string(), self.ctx.t(&labels::key("job-category", k))))
            .collect()
    }
    /// A job's category as the drop-down shows it: empty (not given) is ordinary.
    fn or_ordinary<'a>(&self, category: &'a str) -> &'a str {
        if category.is_empty() {
            "ordinary"
        } else {
            category
        }
    }
    fn article_options(&self) -> Vec<(String, String)> {
        form::ADMISSION_ARTICLES
            .iter()
            .map(|k| (k.to_string(), self.ctx.t(&labels::key("admission", k))))
            .collect()
    }
    fn action(&self) -> String {
        match &self.editing {
            Some(e) => format!("/requests/{}/edit", e.id),
            None => "/requests/new".into(),
        }
    }
    fn row_name(&self, prefix: char, i: impl std::fmt::Display, field: &str) -> String {
        format!("{prefix}{i}_{field}")
    }
    fn select(&self, i: impl std::fmt::Display, prefix: char, field: &str, value: &str) -> String {
        let name = self.row_name(prefix, i, field);
        let html = self.select_html(prefix, &name, value);
        with_autofocus(html, &name, &self.focus)
    }
    fn select_html(&self, prefix: char, name: &str, value: &str) -> String {
        if prefix == 'h' {
            html::select(
                self.ctx.lang,
                &self.errors,
                name,
                "field-kind",
                value,
                &labels::PERIOD_KINDS,
                "kind",
            )
        } else {
            html::select(
                self.ctx.lang,
                &self.errors,
                name,
                "field-kind",
                value,
                &labels::ABSENCE_KINDS,
                "absence",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "sim.html")]
struct SimFragment {
    ctx: Ctx,
    message: Option<String>,
    sum: Option<Summary>,
    show_steps: bool,
}

/// Runs the engine on the form as typed (nothing stored, nothing sent).
fn simulate_form(ctx: &Ctx, f: &RequestForm, today: NaiveDate) -> SimFragment {
    let mut errors = Errors::new();
    let checked = form::check(f, ctx.lang, false, &mut errors);
    let frag = |message: Option<String>, sum: Option<Summary>| SimFragment {
        ctx: ctx.clone(),
        message,
        sum,
        show_steps: false,
    };
    let Some(birth) = checked.birth_date else {
        return frag(Some(ctx.t("sim-empty")), None);
    };
    if checked.input.get("contract").is_none() {
        return frag(Some(ctx.t("sim-empty")), None);
    }
    if let Some(first) = errors.values().next() {
        return frag(Some(ctx.t1("sim-failed", "reason", first)), None);
    }
    let req = match requests::engine_request(&checked.input, None, birth, today) {
        Ok(r) => r,
        Err(e) => {
            return frag(
                Some(ctx.t1("sim-failed", "reason", refusal_text(ctx.lang, &e))),
                None,
            );
        }
    };
    match art60_rules::calculate(
        &req,
        &art60_rules::Options::default(),
        art60_rules::ParamSet::embedded(),
    ) {
        Ok(res) => frag(None, Some(summarise(&req, &res, ctx.lang, Marker::None))),
        Err(art60_rules::CalcError::InvalidInput(i)) => {
            let mut errors = Errors::new();
            form::add_refusal(
                &mut errors,
                ctx.lang,
                &i.path,
                Some(i.code.as_str()),
                &i.reason,
                "err-engine",
            );
            let reason = errors.into_values().next().unwrap_or_default();
            frag(Some(ctx.t1("sim-failed", "reason", reason)), None)
        }
        Err(e) => frag(Some(ctx.t1("sim-failed", "reason", e)), None),
    }
}

/// The first field refusal of a service error, translated around the engine's reason.
fn refusal_text(lang: Lang, e: &ServiceError) -> String {
    match e {
        ServiceError::Invalid(list) => {
            let mut errors = Errors::new();
            for fe in list {
                form::add_refusal(
                    &mut errors,
                    lang,
                    &fe.field,
                    fe.code.as_deref(),
                    &fe.reason,
                    "err-engine",
                );
            }
            errors.into_values().next().unwrap_or_default()
        }
        other => other.to_string(),
    }
}

fn form_page(
    ctx: Ctx,
    f: RequestForm,
    errors: Errors,
    today: NaiveDate,
    status: StatusCode,
) -> Response {
    form_page_with(ctx, f, errors, today, status, None, None)
}

fn form_page_with(
    ctx: Ctx,
    f: RequestForm,
    errors: Errors,
    today: NaiveDate,
    status: StatusCode,
    editing: Option<EditInfo>,
    notice: Option<String>,
) -> Response {
    let lang = ctx.lang;
    let focus = focus_after(&f, &errors);
    let sim = simulate_form(&ctx, &f, today);
    let sim_html = sim.render().unwrap_or_default();
    let mut resp = render(
        lang,
        &FormPage {
            ctx,
            f,
            errors,
            sim_html,
            editing,
            notice,
            focus,
        },
    );
    *resp.status_mut() = status;
    resp
}

pub async fn new_request_form(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    let today = st.clock.today_brussels();
    let mut f = RequestForm::blank();
    // The contact starts as the account's: the one it gave on its latest request, else the
    // account's own e-mail address (accounts have no personal name besides the login).
    match requests::last_contact(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?
    {
        Some(c) => {
            f.contact_name = c.name;
            f.contact_email = c.email;
            f.contact_phone = c.phone.unwrap_or_default();
        }
        None => {
            let settings = art60_service::notify::settings(&st.db, &actor)
                .await
                .map_err(|e| ctx.fail(e))?;
            f.contact_email = settings.email.unwrap_or_default();
        }
    }
    Ok(form_page(ctx, f, Errors::new(), today, StatusCode::OK))
}

pub async fn simulate(
    State(st): State<AppState>,
    ctx: Ctx,
    Fields { pairs, .. }: Fields,
) -> PageResult {
    ctx.require_role(Role::CpasWorker)?;
    let mut f = RequestForm::from_pairs(&pairs);
    ctx.check_csrf(&f.csrf)?;
    f.prefill_birth_date();
    let frag = simulate_form(&ctx, &f, st.clock.today_brussels());
    Ok(render(ctx.lang, &frag))
}

#[derive(Template)]
#[template(path = "niss_check.html")]
struct NissCheck {
    ok: Option<String>,
    error: Option<String>,
    /// The birth date the NISS encodes, when the form's birth date is still empty: sent as
    /// an out-of-band swap of the birth date field.
    birth: Option<NaiveDate>,
}

/// The NISS as typed (htmx, while typing): valid or not, and the birth date it encodes.
pub async fn check_niss(ctx: Ctx, Fields { pairs, .. }: Fields) -> PageResult {
    ctx.require()?;
    let f = RequestForm::from_pairs(&pairs);
    ctx.check_csrf(&f.csrf)?;
    let v = f.niss.trim();
    let mut page = NissCheck {
        ok: None,
        error: None,
        birth: None,
    };
    match art60_rules::Niss::parse(v) {
        _ if v.is_empty() => {}
        Ok(n) => {
            page.ok = Some(ctx.t("niss-valid"));
            page.birth = n.birth_date().filter(|_| f.birth_date.trim().is_empty());
        }
        Err(_) => {
            let label = ctx.t("field-niss").trim_end_matches(" *").to_owned();
            page.error = Some(crate::i18n::t_args(
                ctx.lang,
                "err-niss",
                &[("field", label)],
            ));
        }
    }
    Ok(render(ctx.lang, &page))
}

fn service_errors(errors: &mut Errors, lang: Lang, e: &ServiceError) -> bool {
    if let ServiceError::Invalid(list) = e {
        for fe in list {
            let key = if fe.field.starts_with("input") || fe.field.starts_with("person") {
                "err-engine"
            } else {
                "err-service"
            };
            form::add_refusal(errors, lang, &fe.field, fe.code.as_deref(), &fe.reason, key);
        }
        true
    } else {
        false
    }
}

/// A translated message for a workflow refusal (the service's reason is English).
fn refusal_message(ctx: &Ctx, e: &ServiceError) -> Option<String> {
    let ServiceError::Refused {
        code,
        allowed_from,
        allowed_until,
        ..
    } = e
    else {
        return None;
    };
    Some(match (*code, allowed_from, allowed_until) {
        ("outside_window", Some(from), Some(until)) => crate::i18n::t_args(
            ctx.lang,
            "refused-window-later",
            &[("from", from.to_string()), ("until", until.to_string())],
        ),
        ("outside_window", ..) => ctx.t("refused-window-closed"),
        ("calculation_limit", ..) => ctx.t("refused-calculation-limit"),
        _ => ctx.t("refused-wrong-status"),
    })
}

/// A redirect after success; for htmx a full navigation (`HX-Redirect`), so the address bar
/// shows the new page.
fn go_to(headers: &HeaderMap, to: &str, flash: &str) -> Response {
    let resp = if headers.contains_key("hx-request")
        && let Ok(v) = HeaderValue::from_str(to)
    {
        let mut resp = StatusCode::OK.into_response();
        resp.headers_mut().insert("hx-redirect", v);
        resp
    } else {
        Redirect::to(to).into_response()
    };
    with_flash(resp, flash)
}

pub(crate) fn with_flash(resp: Response, code: &str) -> Response {
    if code.is_empty() {
        return resp;
    }
    with_cookie(
        resp,
        &format!(
            "{}={code}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120",
            crate::ctx::FLASH_COOKIE
        ),
    )
}

pub async fn new_request_post(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Fields { pairs, files }: Fields,
) -> PageResult {
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    let mut f = RequestForm::from_pairs(&pairs);
    ctx.check_csrf(&f.csrf)?;
    f.prefill_birth_date();
    let today = st.clock.today_brussels();
    if f.apply_row_action() || f.action == "simulate" || (f.action != "save" && f.action != "send")
    {
        return Ok(form_page(ctx, f, Errors::new(), today, StatusCode::OK));
    }
    let mut errors = Errors::new();
    let checked = form::check(&f, ctx.lang, true, &mut errors);
    if let Some(birth) = checked.birth_date
        && errors.is_empty()
        && let Err(e) = requests::engine_request(&checked.input, checked.niss, birth, today)
    {
        service_errors(&mut errors, ctx.lang, &e);
    }
    let (Some(birth), true) = (checked.birth_date, errors.is_empty()) else {
        return Ok(form_page(
            ctx,
            f,
            errors,
            today,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let Some(contract_start) = form::parse_contract_start(&f) else {
        return Ok(form_page(
            ctx,
            f,
            errors,
            today,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let now = st.clock.now();
    let person = persons::register(
        &st.db,
        now,
        &actor,
        NewPerson {
            niss: f.niss.trim().to_owned(),
            last_name: f.last_name.trim().to_owned(),
            first_name: f.first_name.trim().to_owned(),
            birth_date: birth,
        },
    )
    .await;
    let person = match person {
        Ok((p, _)) => p,
        Err(e) => {
            if service_errors(&mut errors, ctx.lang, &e) {
                return Ok(form_page(
                    ctx,
                    f,
                    errors,
                    today,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ));
            }
            return Err(ctx.fail(e));
        }
    };
    let emp = persons::create_employment(
        &st.db,
        now,
        &actor,
        NewEmployment {
            person_id: person.id,
            contract_start,
        },
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    let created = requests::create(
        &st.db,
        now,
        today,
        &actor,
        NewRequest {
            employment_id: emp.id,
            input: checked.input,
            contact_name: f.contact_name.trim().to_owned(),
            contact_email: f.contact_email.trim().to_owned(),
            contact_phone: Some(f.contact_phone.trim().to_owned()).filter(|s| !s.is_empty()),
        },
    )
    .await;
    let r = match created {
        Ok(r) => r,
        Err(e) => {
            if service_errors(&mut errors, ctx.lang, &e) {
                return Ok(form_page(
                    ctx,
                    f,
                    errors,
                    today,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ));
            }
            return Err(ctx.fail(e));
        }
    };
    if let Some(refused) = attach_all(&st, &ctx, r.id, files).await? {
        return Ok(refused);
    }
    if f.action == "send" {
        requests::send(&st.db, now, today, &actor, r.id, Some(r.version))
            .await
            .map_err(|e| ctx.fail(e))?;
        return Ok(go_to(&headers, &format!("/requests/{}", r.id), "sent"));
    }
    Ok(go_to(&headers, &format!("/requests/{}", r.id), "saved"))
}

/// Stores the files chosen in the form. On a refused file the request stays a saved draft and
/// its page says which file was refused (the request is not sent).
async fn attach_all(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    files: Vec<Upload>,
) -> Result<Option<Response>, PageError> {
    let actor = ctx.require()?.clone();
    for (name, bytes) in files {
        let res =
            attachments::upload(&st.db, &st.store, st.clock.now(), &actor, id, &name, bytes).await;
        match res {
            Ok(_) => {}
            Err(ServiceError::Invalid(_)) => {
                let extra = Extra {
                    notice: Some(format!("{} ({name})", ctx.t("attachment-refused"))),
                    notice_class: "error",
                    ..Default::default()
                };
                let page =
                    request_page(st, ctx.clone(), id, extra, StatusCode::UNPROCESSABLE_ENTITY)
                        .await?;
                return Ok(Some(page));
            }
            Err(e) => return Err(ctx.fail(e)),
        }
    }
    Ok(None)
}

// ---------- request page ----------

struct RequestInfo {
    id: i64,
    reference: String,
    version: i32,
    status: String,
    received: Option<String>,
    due: Option<String>,
    return_reason: Option<String>,
    contract: String,
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
    /// The "contact your office" section, rendered by `contact`.
    contact: String,
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
    fn input(
        &self,
        name: &str,
        label: &str,
        value: &str,
        kind: &str,
        hint: Option<&str>,
    ) -> String {
        html::input(self.ctx.lang, &self.errors, name, label, value, kind, hint)
    }
    fn textarea(&self, name: &str, label: &str, value: &str) -> String {
        html::textarea(self.ctx.lang, &self.errors, name, label, value)
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
        Some(id) => directory::list_offices(&st.db)
            .await
            .ok()
            .and_then(|all| all.into_iter().find(|o| o.id == id))
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    sum.standing = Some(crate::summary::standing(
        ctx.lang,
        &v.final_answer,
        &office,
        v.due_on,
    ));
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
    RequestInfo {
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

struct Extra {
    notice: Option<String>,
    notice_class: &'static str,
    errors: Errors,
    override_end: String,
    justification: String,
    reason: String,
    derogation_reason: String,
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

async fn request_page(
    st: &AppState,
    ctx: Ctx,
    id: i64,
    extra: Extra,
    status: StatusCode,
) -> PageResult {
    let actor = ctx.require()?.clone();
    let v = requests::get(&st.db, st.clock.now(), &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let worker = actor.role == Role::CpasWorker;
    let officer = actor.role == Role::OnemOfficer;
    let now = st.clock.now();
    // Who the request is about (an audited read of the person).
    let person = persons::get(&st.db, now, &actor, v.person_id)
        .await
        .ok()
        .map(|p| {
            (
                format!("{} {}", p.last_name, p.first_name),
                p.niss,
                crate::i18n::date(p.birth_date),
            )
        });
    let dmfa_view = art60_service::dmfa::for_request(&st.db, now, &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let calculated = art60_service::dmfa_review::engine_history(&st.db.conn, id)
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
    let attachments = attachments::list(&st.db, &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .map(|a| (a.id, a.file_name, (a.size + 1023) / 1024))
        .collect();
    let cpas = directory::list_cpas(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .find(|c| c.id == v.cpas_id)
        .map(|c| c.name)
        .unwrap_or_default();
    let contact = crate::contact::thread_section(st, &ctx, &actor, &v).await;
    let duplicates = requests::same_person_and_start(&st.db, &actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let page = RequestPage {
        duplicates,
        contact,
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
    let mut resp = render(page.ctx.lang, &page);
    *resp.status_mut() = status;
    Ok(resp)
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

fn done(id: i64, what: &str) -> Response {
    with_flash(
        Redirect::to(&format!("/requests/{id}")).into_response(),
        what,
    )
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

// ---------- print ----------

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
    let cpas = directory::list_cpas(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .find(|c| c.id == v.cpas_id)
        .map(|c| c.name)
        .unwrap_or_default();
    let date = v
        .decided_at
        .map(|d| d.date_naive())
        .or(v.received_on)
        .map_or_else(|| crate::i18n::date(today), crate::i18n::date);
    // The CPAS's copy names the person (an audited read); ONEM sees the case by reference.
    let person = if actor.role == Role::CpasWorker {
        let p = persons::get(&st.db, st.clock.now(), &actor, v.person_id)
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

// ---------- queue ----------

struct QueueRow {
    id: i64,
    reference: String,
    unread: i64,
    cpas: String,
    received: String,
    due: String,
    class: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    ctx: Ctx,
    items: Vec<QueueRow>,
    cpas_options: Vec<(i64, String, bool)>,
    urgency_options: Vec<(&'static str, String, bool)>,
    status_options: Vec<(&'static str, String, bool)>,
    notice: Option<String>,
}

pub async fn queue_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let actor = ctx.require_role(Role::OnemOfficer)?.clone();
    let today = st.clock.today_brussels();
    let page = queue::list(&st.db, today, &actor, None, Some(PageRequest::MAX))
        .await
        .map_err(|e| ctx.fail(e))?;
    let names: BTreeMap<i64, String> = directory::list_cpas(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let cpas_filter: Option<i64> = q.cpas.as_deref().and_then(|s| s.parse().ok());
    let urgency_filter = q
        .urgency
        .as_deref()
        .filter(|u| labels::URGENCIES.contains(u));
    // The queue proper is what waits for an answer (sent); the other statuses come from the
    // office's request list, without deadline badges.
    let status_filter = q
        .status
        .as_deref()
        .filter(|s| ["returned", "calculated"].contains(s));
    let items: Vec<QueueRow> = if let Some(status) = status_filter {
        let status = if status == "returned" {
            Status::Returned
        } else {
            Status::Calculated
        };
        let pr = PageRequest::parse(None, Some(PageRequest::MAX)).map_err(|e| ctx.fail(e))?;
        requests::list(&st.db, &actor, Some(status), pr)
            .await
            .map_err(|e| ctx.fail(e))?
            .items
            .into_iter()
            .filter(|r| cpas_filter.is_none_or(|c| c == r.cpas_id))
            .map(|r| QueueRow {
                id: r.id,
                unread: 0,
                reference: r.reference,
                cpas: names.get(&r.cpas_id).cloned().unwrap_or_default(),
                received: opt_date(r.received_on),
                due: opt_date(r.due_on),
                class: "none",
                label: ctx.t(&labels::key("status", status.as_str())),
            })
            .collect()
    } else {
        page.items
            .into_iter()
            .filter(|i| cpas_filter.is_none_or(|c| c == i.cpas_id))
            .map(|i| {
                let code = labels::code(&i.urgency);
                (i, code)
            })
            .filter(|(_, code)| urgency_filter.is_none_or(|u| u == code))
            .map(|(i, code)| QueueRow {
                id: i.id,
                unread: 0,
                reference: i.reference,
                cpas: names.get(&i.cpas_id).cloned().unwrap_or_default(),
                received: i.received_on.to_string(),
                due: i.due_on.to_string(),
                class: match code.as_str() {
                    "overdue" => "overdue",
                    "due_soon" => "due-soon",
                    _ => "on-time",
                },
                label: ctx.t(&labels::key("urgency", &code)),
            })
            .collect()
    };
    let mut items = items;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let unread = art60_service::messages::unread_counts(&st.db, &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    for i in &mut items {
        i.unread = unread.get(&i.id).copied().unwrap_or(0);
    }
    let page = QueuePage {
        cpas_options: names
            .iter()
            .map(|(id, n)| (*id, n.clone(), cpas_filter == Some(*id)))
            .collect(),
        urgency_options: labels::URGENCIES
            .iter()
            .map(|u| {
                (
                    *u,
                    ctx.t(&labels::key("urgency", u)),
                    urgency_filter == Some(*u),
                )
            })
            .collect(),
        status_options: ["sent", "returned", "calculated"]
            .iter()
            .map(|c| {
                let selected = status_filter.map_or(*c == "sent", |s| s == *c);
                (*c, ctx.t(&labels::key("status", c)), selected)
            })
            .collect(),
        notice: notice_of(&ctx, ctx.flash.as_deref()),
        items,
        ctx,
    };
    Ok(render(page.ctx.lang, &page))
}

// ---------- edit a draft, a returned request or a copy ----------

/// The request and its person, with the form filled from the stored input.
async fn load_for_edit(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(RequestView, EditInfo, RequestForm), PageError> {
    let actor = ctx.require_role(Role::CpasWorker)?;
    let v = requests::get(&st.db, st.clock.now(), actor, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    if !matches!(v.status, Status::Draft | Status::Returned) {
        return Err(ctx.error(crate::ctx::ErrorKind::Forbidden));
    }
    let p = persons::get(&st.db, st.clock.now(), actor, v.person_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut f = RequestForm::from_input(&v.input);
    f.niss = p.niss.clone();
    f.last_name = p.last_name.clone();
    f.first_name = p.first_name.clone();
    f.birth_date = p.birth_date.to_string();
    f.contact_name = v.contact.name.clone();
    f.contact_email = v.contact.email.clone();
    f.contact_phone = v.contact.phone.clone().unwrap_or_default();
    let info = EditInfo {
        id: v.id,
        version: v.version,
        reference: v.reference.clone(),
        person: format!("{}, {} ({})", p.last_name, p.first_name, p.niss),
        return_reason: (v.status == Status::Returned)
            .then(|| v.return_reason.clone())
            .flatten(),
    };
    Ok((v, info, f))
}

pub async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let (_, info, f) = load_for_edit(&st, &ctx, id).await?;
    let today = st.clock.today_brussels();
    Ok(form_page_with(
        ctx,
        f,
        Errors::new(),
        today,
        StatusCode::OK,
        Some(info),
        None,
    ))
}

pub async fn edit_post(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Fields { pairs, files }: Fields,
) -> PageResult {
    let posted = RequestForm::from_pairs(&pairs);
    ctx.check_csrf(&posted.csrf)?;
    let (_, mut info, stored) = load_for_edit(&st, &ctx, id).await?;
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    // The person is not edited here: its fields come from the record, not from the post.
    let mut f = posted;
    f.niss = stored.niss;
    f.last_name = stored.last_name;
    f.first_name = stored.first_name;
    f.birth_date = stored.birth_date;
    let today = st.clock.today_brussels();
    let posted_version: Option<i32> = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok());
    if let Some(v) = posted_version {
        // Keep the version the user started from, so a concurrent change is detected.
        info.version = v;
    }
    if f.apply_row_action() || (f.action != "save" && f.action != "send") {
        return Ok(form_page_with(
            ctx,
            f,
            Errors::new(),
            today,
            StatusCode::OK,
            Some(info),
            None,
        ));
    }
    let mut errors = Errors::new();
    let checked = form::check(&f, ctx.lang, true, &mut errors);
    if !errors.is_empty() {
        return Ok(form_page_with(
            ctx,
            f,
            errors,
            today,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(info),
            None,
        ));
    }
    let now = st.clock.now();
    let changes = requests::RequestChanges {
        input: Some(checked.input),
        contact_name: Some(f.contact_name.trim().to_owned()),
        contact_email: Some(f.contact_email.trim().to_owned()),
        contact_phone: Some(f.contact_phone.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let updated =
        requests::update(&st.db, now, today, &actor, id, Some(info.version), changes).await;
    let v = match updated {
        Ok(v) => v,
        Err(ServiceError::Stale { current }) => {
            let notice = Some(ctx.t("result-stale"));
            info.version = current;
            return Ok(form_page_with(
                ctx,
                f,
                errors,
                today,
                StatusCode::CONFLICT,
                Some(info),
                notice,
            ));
        }
        Err(e) => {
            if service_errors(&mut errors, ctx.lang, &e) {
                return Ok(form_page_with(
                    ctx,
                    f,
                    errors,
                    today,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(info),
                    None,
                ));
            }
            return Err(ctx.fail(e));
        }
    };
    if let Some(refused) = attach_all(&st, &ctx, id, files).await? {
        return Ok(refused);
    }
    if f.action == "send" {
        if let Err(e) = requests::send(&st.db, now, today, &actor, id, Some(v.version)).await {
            // The changes are saved; the request page says why it was not sent.
            let Some(notice) = refusal_message(&ctx, &e) else {
                return Err(ctx.fail(e));
            };
            let extra = Extra {
                notice: Some(notice),
                notice_class: "error",
                ..Default::default()
            };
            return request_page(&st, ctx, id, extra, StatusCode::CONFLICT).await;
        }
        return Ok(go_to(&headers, &format!("/requests/{id}"), "sent"));
    }
    Ok(go_to(&headers, &format!("/requests/{id}"), "saved"))
}

// ---------- attachments ----------

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
