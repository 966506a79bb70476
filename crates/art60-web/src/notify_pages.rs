//! Pages of notifications, account settings, support/feedback, the FAQ and the
//! administrator's office directory.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::db::{NotificationKind, Role, UiLanguage};
use art60_service::directory::{self, CpasChanges, CpasView, OfficeChanges, OfficeView};
use art60_service::error::FieldError;
use art60_service::notify::{self, SettingsInput};
use art60_service::support::{self, FeedbackView, NewFeedback};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, PageError, render};
use crate::i18n::{self, Lang};

type PageResult = Result<Response, PageError>;
type Pairs = Vec<(String, String)>;

fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn ui_language(code: &str) -> Option<UiLanguage> {
    match code {
        "fr" => Some(UiLanguage::Fr),
        "nl" => Some(UiLanguage::Nl),
        "de" => Some(UiLanguage::De),
        "en" => Some(UiLanguage::En),
        _ => None,
    }
}

/// The language switch of a signed-in user also saves the choice to the account (with the
/// session's CSRF token; without it only the cookie changes).
pub async fn save_language(st: &AppState, ctx: &Ctx, lang: Lang, csrf: &str) {
    if let Some(a) = &ctx.actor
        && !ctx.csrf.is_empty()
        && csrf == ctx.csrf
        && let Some(l) = ui_language(lang.code())
        && let Err(e) = notify::set_language(&st.db, st.clock.now(), a, l).await
    {
        tracing::warn!(error = %e, "saving the language to the account failed");
    }
}

// ---------- notifications ----------

struct Row {
    id: i64,
    request_id: i64,
    reference: String,
    what: String,
    date: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: Ctx,
    items: Vec<Row>,
}

fn kind_label(ctx: &Ctx, k: NotificationKind) -> String {
    ctx.t(&format!("notif-kind-{}", k.as_str()))
}

pub async fn notifications_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.require()?.clone();
    let list = notify::inbox(&st.db, &actor, 100)
        .await
        .map_err(|e| ctx.fail(e))?;
    let items = list
        .into_iter()
        .map(|n| Row {
            id: n.id,
            request_id: n.request_id,
            reference: n.payload["reference"].as_str().unwrap_or("").to_owned(),
            what: kind_label(&ctx, n.kind),
            date: crate::i18n::date_time(n.created_at),
            read: n.read,
        })
        .collect();
    let lang = ctx.lang;
    Ok(render(lang, &NotificationsPage { ctx, items }))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn notification_read(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    let actor = ctx.require()?.clone();
    ctx.check_csrf(&f.csrf)?;
    notify::mark_read(&st.db, st.clock.now(), &actor, Some(id))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to("/notifications").into_response())
}

pub async fn notifications_read_all(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    let actor = ctx.require()?.clone();
    ctx.check_csrf(&f.csrf)?;
    notify::mark_read(&st.db, st.clock.now(), &actor, None)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to("/notifications").into_response())
}

// ---------- account ----------

struct KindRow {
    code: &'static str,
    label: String,
    on: bool,
}

struct LangOption {
    code: &'static str,
    name: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: Ctx,
    saved: bool,
    language_default: bool,
    languages: Vec<LangOption>,
    email: String,
    email_error: Option<String>,
    kinds: Vec<KindRow>,
}

fn account_page(
    ctx: Ctx,
    language: Option<UiLanguage>,
    email: String,
    off: &[NotificationKind],
    saved: bool,
    email_error: Option<String>,
) -> Response {
    let languages = i18n::LANGS
        .iter()
        .map(|l| LangOption {
            code: l.code(),
            name: i18n::native_name(*l),
            selected: language.is_some_and(|x| x.as_str() == l.code()),
        })
        .collect();
    let kinds = NotificationKind::ALL
        .into_iter()
        .map(|k| KindRow {
            code: k.as_str(),
            label: kind_label(&ctx, k),
            on: !off.contains(&k),
        })
        .collect();
    let lang = ctx.lang;
    let status = if email_error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut resp = render(
        lang,
        &AccountPage {
            ctx,
            saved,
            language_default: language.is_none(),
            languages,
            email,
            email_error,
            kinds,
        },
    );
    if resp.status().is_success() {
        *resp.status_mut() = status;
    }
    resp
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn account_get(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let actor = ctx.require()?.clone();
    let s = notify::settings(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?;
    let off: Vec<NotificationKind> = s
        .emails
        .iter()
        .filter(|c| !c.email)
        .map(|c| c.kind)
        .collect();
    Ok(account_page(
        ctx,
        s.language,
        s.email.unwrap_or_default(),
        &off,
        q.saved.is_some(),
        None,
    ))
}

pub async fn account_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let actor = ctx.require()?.clone();
    ctx.check_csrf(field(&pairs, "csrf"))?;
    let language = ui_language(field(&pairs, "language"));
    let email = field(&pairs, "email").trim().to_owned();
    let off: Vec<NotificationKind> = NotificationKind::ALL
        .into_iter()
        .filter(|k| field(&pairs, &format!("mail_{}", k.as_str())) != "on")
        .collect();
    let input = SettingsInput {
        language,
        email: Some(email.clone()),
        email_off: off.clone(),
    };
    match notify::update_settings(&st.db, st.clock.now(), &actor, input).await {
        Ok(_) => Ok(Redirect::to("/account?saved=1").into_response()),
        Err(ServiceError::Invalid(_)) => {
            let msg = ctx.t("err-notify-email");
            Ok(account_page(ctx, language, email, &off, false, Some(msg)))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------- support ----------

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    ctx: Ctx,
    sent: bool,
    message: String,
    page: String,
    contact_email: String,
    message_error: Option<String>,
    page_error: Option<String>,
    contact_error: Option<String>,
}

#[derive(Deserialize)]
pub struct FromQuery {
    #[serde(default)]
    from: Option<String>,
}

/// Only a path of this portal (never another site, never a query that could hold data).
fn portal_path(p: &str) -> String {
    let p = p.split(['?', '#']).next().unwrap_or("/");
    if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.len() <= 300 {
        p.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn support_get(ctx: Ctx, Query(q): Query<FromQuery>) -> Response {
    let page = portal_path(q.from.as_deref().unwrap_or("/"));
    let lang = ctx.lang;
    render(
        lang,
        &SupportPage {
            ctx,
            sent: false,
            message: String::new(),
            page,
            contact_email: String::new(),
            message_error: None,
            page_error: None,
            contact_error: None,
        },
    )
}

pub async fn support_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    // Signed in, the form must carry the session's token; anonymous feedback (a sign-in
    // problem) has no session to protect.
    if ctx.signed_in() {
        ctx.check_csrf(field(&pairs, "csrf"))?;
    }
    let input = NewFeedback {
        message: field(&pairs, "message").to_owned(),
        page: field(&pairs, "page").trim().to_owned(),
        contact_email: Some(field(&pairs, "contact_email").to_owned()),
    };
    let (message, page, contact_email) = (
        input.message.clone(),
        input.page.clone(),
        field(&pairs, "contact_email").to_owned(),
    );
    let lang = ctx.lang;
    match support::submit(&st.db, st.clock.now(), ctx.actor.as_ref(), input).await {
        Ok(_) => Ok(render(
            lang,
            &SupportPage {
                ctx,
                sent: true,
                message: String::new(),
                page: portal_path(&page),
                contact_email: String::new(),
                message_error: None,
                page_error: None,
                contact_error: None,
            },
        )),
        Err(ServiceError::Invalid(errors)) => {
            let pick = |name: &str, f: &dyn Fn(&FieldError) -> &'static str| {
                errors.iter().find(|e| e.field == name).map(|e| ctx.t(f(e)))
            };
            let message_error = pick("message", &|e| {
                if e.reason.contains("NISS") {
                    "err-support-niss"
                } else {
                    "err-support-message"
                }
            });
            let page_error = pick("page", &|_| "err-support-page");
            let contact_error = pick("contact_email", &|_| "err-notify-email");
            let mut resp = render(
                lang,
                &SupportPage {
                    ctx,
                    sent: false,
                    message,
                    page,
                    contact_email,
                    message_error,
                    page_error,
                    contact_error,
                },
            );
            if resp.status().is_success() {
                *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(resp)
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "feedback_list.html")]
struct FeedbackPage {
    ctx: Ctx,
    items: Vec<FeedbackView>,
}

pub async fn feedback_list(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = ctx.require_role(Role::Administrator)?.clone();
    let items = support::list(&st.db, st.clock.now(), &actor, 200)
        .await
        .map_err(|e| ctx.fail(e))?;
    let lang = ctx.lang;
    Ok(render(lang, &FeedbackPage { ctx, items }))
}

// ---------- FAQ ----------

struct FaqItem {
    id: &'static str,
    question: String,
    answer: String,
}

#[derive(Template)]
#[template(path = "faq.html")]
struct FaqPage {
    ctx: Ctx,
    items: Vec<FaqItem>,
}

/// SPEC §1.3, §1.4 and §1.6 in the user's language.
pub const FAQ_KEYS: [&str; 7] = [
    "statuses",
    "modify",
    "deadline",
    "second",
    "contact",
    "support",
    "notifications",
];

pub async fn faq(ctx: Ctx) -> Response {
    let items = FAQ_KEYS
        .into_iter()
        .map(|id| FaqItem {
            id,
            question: ctx.t(&format!("faq-q-{id}")),
            answer: ctx.t(&format!("faq-a-{id}")),
        })
        .collect();
    let lang = ctx.lang;
    render(lang, &FaqPage { ctx, items })
}

// ---------- the administrator's directory ----------

#[derive(Template)]
#[template(path = "admin_offices.html")]
struct AdminOfficesPage {
    ctx: Ctx,
    offices: Vec<OfficeView>,
    cpas: Vec<CpasView>,
    notice: Option<String>,
    notice_class: &'static str,
    /// Which sign-in methods this installation offers (`--no-local-passwords`, `--oidc-*`).
    signin: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn admin_offices(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let actor = ctx.require_role(Role::Administrator)?.clone();
    let offices = directory::list_offices(&st.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let cpas = directory::list_cpas(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?;
    let (notice, notice_class) = match q.done.as_deref() {
        Some("saved") => (Some(ctx.t("admin-office-saved")), "ok"),
        Some("invalid") => (Some(ctx.t("admin-office-invalid")), "error"),
        _ => (None, "ok"),
    };
    let on_off = |on: bool| ctx.t(if on { "admin-on" } else { "admin-off" });
    let signin = crate::i18n::t_args(
        ctx.lang,
        "admin-signin-methods",
        &[
            ("password", on_off(!st.settings.passwords_off)),
            ("oidc", on_off(st.settings.oidc.is_some())),
        ],
    );
    let lang = ctx.lang;
    Ok(render(
        lang,
        &AdminOfficesPage {
            ctx,
            offices,
            cpas,
            notice,
            notice_class,
            signin,
        },
    ))
}

pub async fn admin_office_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let actor = ctx.require_role(Role::Administrator)?.clone();
    ctx.check_csrf(field(&pairs, "csrf"))?;
    let changes = OfficeChanges {
        name: Some(field(&pairs, "name").to_owned()),
        area: Some(field(&pairs, "area").to_owned()),
        phone: Some(field(&pairs, "phone").to_owned()),
        email: Some(field(&pairs, "email").to_owned()),
        email_confirmed: Some(field(&pairs, "email_confirmed") == "on"),
        address: Some(field(&pairs, "address").to_owned()),
    };
    match directory::update_office(&st.db, st.clock.now(), &actor, id, changes).await {
        Ok(_) => Ok(Redirect::to("/admin/offices?done=saved").into_response()),
        Err(ServiceError::Invalid(_)) => {
            Ok(Redirect::to("/admin/offices?done=invalid").into_response())
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub async fn admin_cpas_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Pairs>,
) -> PageResult {
    let actor = ctx.require_role(Role::Administrator)?.clone();
    ctx.check_csrf(field(&pairs, "csrf"))?;
    let Ok(office_id) = field(&pairs, "office_id").parse::<i64>() else {
        return Ok(Redirect::to("/admin/offices?done=invalid").into_response());
    };
    let changes = CpasChanges {
        office_id: Some(office_id),
        ..Default::default()
    };
    match directory::update_cpas(&st.db, st.clock.now(), &actor, id, changes).await {
        Ok(_) => Ok(Redirect::to("/admin/offices?done=saved").into_response()),
        Err(ServiceError::Invalid(_)) => {
            Ok(Redirect::to("/admin/offices?done=invalid").into_response())
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys built at run time (kind labels, FAQ entries) exist in every language.
    #[test]
    fn dynamic_keys_exist_in_every_language() {
        for lang in i18n::LANGS {
            let mut keys: Vec<String> = NotificationKind::ALL
                .iter()
                .map(|k| format!("notif-kind-{}", k.as_str()))
                .collect();
            for id in FAQ_KEYS {
                keys.push(format!("faq-q-{id}"));
                keys.push(format!("faq-a-{id}"));
            }
            for k in keys {
                assert_ne!(i18n::t(lang, &k), k, "{} lacks {k}", lang.code());
            }
        }
    }

    #[test]
    fn support_keeps_only_a_path_of_the_portal() {
        assert_eq!(portal_path("/queue?status=sent"), "/queue");
        assert_eq!(portal_path("//evil.example/x"), "/");
        assert_eq!(portal_path("https://evil.example"), "/");
    }
}
