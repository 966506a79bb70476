//! Who is asking and in which language: resolved once per request from the session cookie,
//! the language cookie, the CPAS's language and `Accept-Language`.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::api::extract::cookie_value;
use art60_service::auth::{self, Actor, SESSION_COOKIE};
use art60_service::db::{Language, Role};
use art60_service::directory;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::i18n::{self, LANG_COOKIE, Lang, t, t_args};

/// The page context every template gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub actor: Option<Actor>,
    /// The session's CSRF token (empty before login); forms echo it in a hidden field.
    pub csrf: String,
    /// The CPAS or office name of the signed-in user.
    pub org: String,
    /// The path of this page (no query: queries may carry filters only, never personal data).
    pub path: String,
    /// A one-time message code left by the previous action (`sent`, `decided`...).
    pub flash: Option<String>,
    /// Unread portal notifications of the signed-in user (shown in the header).
    pub unread: u64,
}

/// Cookie carrying a message code across the redirect after an action, cleared once shown
/// (so a reload does not repeat "sent" and the address stays clean).
pub const FLASH_COOKIE: &str = "art60_flash";

fn service_lang(l: Language) -> Lang {
    match l {
        Language::Fr => Lang::Fr,
        Language::Nl => Lang::Nl,
        Language::De => Lang::De,
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let session = match cookie_value(&parts.headers, SESSION_COOKIE) {
            Some(c) => auth::session_user(&st.db, st.clock.now(), c).await.ok(),
            None => None,
        };
        let mut org = String::new();
        let mut cpas_lang = None;
        let mut account_lang = None;
        let mut unread = 0;
        let mut csrf = String::new();
        let mut actor = None;
        if let Some(s) = session {
            // Signed in, the account's language setting decides (the cookie is for anonymous
            // pages); the unread count feeds the header.
            account_lang = s.language.and_then(|l| Lang::parse(l.as_str()));
            unread = art60_service::notify::unread_count(&st.db, s.actor.user_id)
                .await
                .unwrap_or(0);
            if let Ok(Some(o)) = directory::own_organisation(&st.db, &s.actor).await {
                cpas_lang = o.cpas_language.map(service_lang);
                org = o.name;
            }
            csrf = s.csrf_token;
            actor = Some(s.actor);
        }
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let choice = cookie_value(&parts.headers, LANG_COOKIE);
        let flash = cookie_value(&parts.headers, FLASH_COOKIE)
            .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase()))
            .map(str::to_owned);
        let lang = match account_lang {
            Some(l) => l,
            None => i18n::negotiate(choice, cpas_lang, accept),
        };
        Ok(Ctx {
            flash,
            unread,
            lang,
            actor,
            csrf,
            org,
            path: parts.uri.path().to_owned(),
        })
    }
}

impl Ctx {
    /// Nobody signed in, nothing known but the language.
    pub fn anonymous(lang: Lang) -> Ctx {
        Ctx {
            lang,
            actor: None,
            csrf: String::new(),
            org: String::new(),
            path: "/".into(),
            flash: None,
            unread: 0,
        }
    }
    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }
    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        t_args(self.lang, key, &[(name, value.to_string())])
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    pub fn langs(&self) -> Vec<(&'static str, &'static str, bool)> {
        i18n::LANGS
            .iter()
            .map(|l| (l.code(), i18n::native_name(*l), *l == self.lang))
            .collect()
    }
    pub fn is_worker(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.role == Role::CpasWorker)
    }
    pub fn is_officer(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.role == Role::OnemOfficer)
    }
    /// CPAS workers and both SPOCs have escalation pages.
    pub fn sees_escalations(&self) -> bool {
        self.actor.as_ref().is_some_and(|a| {
            matches!(
                a.role,
                Role::CpasWorker | Role::FederationSpoc | Role::OnemSpoc
            )
        })
    }
    pub fn is_access_manager(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.role == Role::AccessManager)
    }

    /// The reform impact page: CPAS workers, officers, the ONEM SPOC and administrators.
    pub fn sees_impact(&self) -> bool {
        self.actor.as_ref().is_some_and(|a| {
            matches!(
                a.role,
                Role::CpasWorker | Role::OnemOfficer | Role::OnemSpoc | Role::Administrator
            )
        })
    }
    pub fn is_admin(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.role == Role::Administrator)
    }
    pub fn is_dpo(&self) -> bool {
        self.actor.as_ref().is_some_and(|a| a.role == Role::Dpo)
    }
    pub fn signed_in(&self) -> bool {
        self.actor.is_some()
    }
    pub fn who(&self) -> String {
        self.t1("logged-in-as", "name", &self.org)
    }
    /// The signed-in actor, or a redirect to the login page.
    pub fn require(&self) -> Result<&Actor, PageError> {
        self.actor.as_ref().ok_or(PageError {
            kind: ErrorKind::Login,
            lang: self.lang,
            ctx: None,
        })
    }
    pub fn require_role(&self, role: Role) -> Result<&Actor, PageError> {
        let a = self.require()?;
        if a.role == role {
            Ok(a)
        } else {
            Err(self.error(ErrorKind::Forbidden))
        }
    }
    /// An error page for this request, with the signed-in user's menu.
    pub fn error(&self, kind: ErrorKind) -> PageError {
        PageError {
            kind,
            lang: self.lang,
            ctx: Some(Box::new(self.clone())),
        }
    }
    /// Maps a service refusal that no form shows next to a field.
    pub fn fail(&self, e: ServiceError) -> PageError {
        let kind = match e {
            ServiceError::Unauthenticated => ErrorKind::Login,
            ServiceError::NotFound(_) => ErrorKind::NotFound,
            ServiceError::Forbidden(_) => ErrorKind::Forbidden,
            ServiceError::Invalid(list) => {
                // Only the field names: a reason could quote what was typed.
                let fields: Vec<&str> = list.iter().map(|f| f.field.as_str()).collect();
                tracing::error!(?fields, "portal page refused input it has no form for");
                ErrorKind::Internal
            }
            other => {
                // Storage, engine and workflow errors carry codes and field paths, no person data.
                tracing::error!(error = %other, "portal page failed");
                ErrorKind::Internal
            }
        };
        self.error(kind)
    }
    /// Refuses a form whose hidden token is not the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if !self.csrf.is_empty() && sent == self.csrf {
            Ok(())
        } else {
            Err(self.error(ErrorKind::Csrf))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Login,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    Forbidden,
    Csrf,
    Internal,
}

/// Marks an error page drawn without the request's context (no menu).
#[derive(Debug, Clone, Copy)]
pub struct AnonymousError(pub ErrorKind);

/// A page that could not be shown: rendered as a translated error page, with the menu of
/// the signed-in user when the request's context is known.
#[derive(Debug)]
pub struct PageError {
    pub kind: ErrorKind,
    pub lang: Lang,
    pub ctx: Option<Box<Ctx>>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    title: String,
    text: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self.kind {
            ErrorKind::Login => return Redirect::to("/login").into_response(),
            ErrorKind::BadRequest => (StatusCode::BAD_REQUEST, "error-400-title", "error-400-text"),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "error-404-title", "error-404-text"),
            ErrorKind::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "error-405-title",
                "error-405-text",
            ),
            ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "error-403-title", "error-403-text"),
            ErrorKind::Csrf => (StatusCode::FORBIDDEN, "error-403-title", "error-csrf"),
            ErrorKind::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-500-title",
                "error-500-text",
            ),
        };
        // Without the request's context (a page that failed to render) the page is
        // anonymous; it says so, so that `html_errors` can draw it again with the menu.
        let anonymous = self.ctx.is_none();
        let ctx = match self.ctx {
            Some(c) => *c,
            None => Ctx::anonymous(self.lang),
        };
        let page = ErrorPage {
            title: t(self.lang, title),
            text: t(self.lang, text),
            ctx,
        };
        let mut resp = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, t(self.lang, title)).into_response(),
        };
        if anonymous {
            resp.extensions_mut().insert(AnonymousError(self.kind));
        }
        resp
    }
}

/// Renders a template, or the 500 page.
pub fn render<T: Template>(lang: Lang, tpl: &T) -> Response {
    match tpl.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            PageError {
                kind: ErrorKind::Internal,
                lang,
                ctx: None,
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(resp: Response) -> String {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// A value that cannot be written, as a failing part of a page would be.
    struct Broken;

    impl std::fmt::Display for Broken {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }

    #[derive(Template)]
    #[template(source = "<p>{{ part }}</p>", ext = "html")]
    struct BrokenPage {
        part: Broken,
    }

    /// A page that fails to render is the 500 page, not an empty or half page.
    #[tokio::test]
    async fn a_render_error_is_the_500_page() {
        let resp = render(Lang::Nl, &BrokenPage { part: Broken });
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // Marked, so that `html_errors` draws it again with the signed-in menu.
        assert!(matches!(
            resp.extensions().get::<AnonymousError>(),
            Some(AnonymousError(ErrorKind::Internal))
        ));
        assert!(body(resp).await.contains("<html lang=\"nl\">"));
    }

    #[tokio::test]
    async fn error_pages_have_their_status_and_language() {
        for (kind, status, lang, text) in [
            (
                ErrorKind::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
                Lang::De,
                "Etwas ist schiefgelaufen",
            ),
            (
                ErrorKind::NotFound,
                StatusCode::NOT_FOUND,
                Lang::Nl,
                "Pagina niet gevonden",
            ),
            (
                ErrorKind::Forbidden,
                StatusCode::FORBIDDEN,
                Lang::Fr,
                "Accès refusé",
            ),
            (
                ErrorKind::Csrf,
                StatusCode::FORBIDDEN,
                Lang::En,
                "did not come from this site",
            ),
        ] {
            let resp = PageError {
                kind,
                lang,
                ctx: None,
            }
            .into_response();
            assert_eq!(resp.status(), status);
            let html = body(resp).await;
            assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
            assert!(html.contains(text), "{text}");
        }
        let resp = PageError {
            kind: ErrorKind::Login,
            lang: Lang::Fr,
            ctx: None,
        }
        .into_response();
        assert_eq!(resp.headers()[header::LOCATION], "/login");
    }
}
