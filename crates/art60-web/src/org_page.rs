//! The access manager's page (issue 14 §4): its own CPAS's users, a role to grant or the
//! role to withdraw. The rules and the audit are `org_access`'s.

use art60_service::ServiceError;
use art60_service::api::AppState;
use art60_service::db::Role;
use art60_service::directory::UserView;
use art60_service::org_access::{self, RoleGrant};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, PageError, render};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    ctx: Ctx,
    users: Vec<UserView>,
    me: i64,
    notice: Option<String>,
    notice_class: &'static str,
}

impl OrganisationPage {
    fn role_label(&self, role: &Role) -> String {
        self.ctx.t(match role {
            Role::AccessManager => "org-role-access-manager",
            _ => "org-role-cpas-worker",
        })
    }
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

pub async fn organisation_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<Done>,
) -> PageResult {
    let actor = ctx.require_role(Role::AccessManager)?.clone();
    let users = org_access::list_users(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?;
    let (notice, notice_class) = match q.done.as_deref() {
        Some("granted") => (Some(ctx.t("org-granted")), "ok"),
        Some("withdrawn") => (Some(ctx.t("org-withdrawn")), "ok"),
        Some("invalid") => (Some(ctx.t("org-invalid")), "error"),
        _ => (None, "ok"),
    };
    let lang = ctx.lang;
    Ok(render(
        lang,
        &OrganisationPage {
            ctx,
            users,
            me: actor.user_id,
            notice,
            notice_class,
        },
    ))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    /// `grant` or `withdraw`.
    action: String,
    #[serde(default)]
    role: String,
}

pub async fn organisation_post(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    let actor = ctx.require_role(Role::AccessManager)?.clone();
    ctx.check_csrf(&f.csrf)?;
    let now = st.clock.now();
    let result = match f.action.as_str() {
        "withdraw" => org_access::withdraw_role(&st.db, now, &actor, id)
            .await
            .map(|_| "withdrawn"),
        _ => {
            let role = match f.role.as_str() {
                "access_manager" => Role::AccessManager,
                _ => Role::CpasWorker,
            };
            org_access::grant_role(&st.db, now, &actor, id, RoleGrant { role })
                .await
                .map(|_| "granted")
        }
    };
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/organisation?done={done}")).into_response()),
        Err(ServiceError::Invalid(_)) => {
            Ok(Redirect::to("/organisation?done=invalid").into_response())
        }
        Err(e) => Err(ctx.fail(e)),
    }
}
