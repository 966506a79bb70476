//! The request form: a new request, the simulation while typing, the NISS check, and the
//! editing of a draft, a returned request or a copy.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::attachments;
use art60_service::db::{Role, Status};
use art60_service::persons::{self, NewEmployment, NewPerson};
use art60_service::requests::{self, NewRequest, RequestView};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;

use crate::ctx::{Ctx, PageError, render};
use crate::fields::{Fields, Upload};
use crate::form::{self, Errors, RequestForm};
use crate::i18n::Lang;
use crate::labels;
use crate::summary::{Summary, summarise};
use crate::timeline::Marker;
use crate::widget::Field;

use super::request::{Extra, request_page};
use super::shared::*;

#[derive(Template)]
#[template(path = "request_form.html")]
struct FormPage {
    ctx: Ctx,
    f: RequestForm,
    errors: Errors,
    /// The simulation of the form as typed (`sim.html`, included; the same fragment htmx
    /// fetches from `/simulate`).
    message: Option<String>,
    sum: Option<Summary>,
    show_steps: bool,
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
        "add_permit" if !f.permits.is_empty() => format!("w{}_start", f.permits.len() - 1),
        a if a.starts_with("remove_admission:") => "add-admission".into(),
        a if a.starts_with("remove_permit:") => "add-permit".into(),
        a if a.starts_with("remove_history:") => "add-history".into(),
        a if a.starts_with("remove_absence:") => "add-absence".into(),
        _ => String::new(),
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
    /// The person's birth date, as the reader writes dates.
    birth: String,
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
    ) -> Field {
        Field::new(self.ctx.lang, &self.errors, name.as_ref(), label, value)
            .kind(kind)
            .hint(self.ctx.lang, hint)
            .focus(&self.focus)
    }
    /// A drop-down of `(code, label)` pairs.
    fn choice(
        &self,
        name: impl AsRef<str>,
        label: &str,
        options: Vec<(String, String)>,
        value: &str,
        hint: &str,
    ) -> Field {
        self.input(name, label, value, "text", Some(hint))
            .options(options)
    }
    fn tick(&self, name: impl AsRef<str>, label: &str, checked: &bool) -> Field {
        self.input(name, label, "yes", "text", None)
            .checked(*checked)
    }
    /// A checkbox with a hint under it.
    fn tick_hint(&self, name: &str, label: &str, checked: &bool, hint: &str) -> Field {
        self.tick(name, label, checked)
            .hint(self.ctx.lang, Some(hint))
    }
    fn autofocus(&self, id: &str) -> &'static str {
        if self.focus == id { " autofocus" } else { "" }
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
    /// The kind of row `i` of the past periods (`h`) or the absences (`a`).
    fn select(&self, i: impl std::fmt::Display, prefix: char, field: &str, value: &str) -> Field {
        let (codes, catalog): (&[&str], &str) = if prefix == 'h' {
            (&labels::PERIOD_KINDS, "kind")
        } else {
            (&labels::ABSENCE_KINDS, "absence")
        };
        let options = codes
            .iter()
            .map(|c| (c.to_string(), self.ctx.t(&labels::key(catalog, c))))
            .collect::<Vec<_>>();
        self.input(
            self.row_name(prefix, i, field),
            "field-kind",
            value,
            "text",
            None,
        )
        .options(options)
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
    let mut resp = render(
        lang,
        &FormPage {
            ctx,
            f,
            errors,
            message: sim.message,
            sum: sim.sum,
            show_steps: sim.show_steps,
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
    let p = persons::get_in_case(&st.db, st.clock.now(), actor, v.person_id, v.cpas_id)
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
        birth: crate::i18n::date(p.birth_date),
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
