//! Sign-in methods and the access manager's handlers (issue 14 §4).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::extract::{Caller, JsonBody};
use super::problem::{ApiError, Problem};
use crate::directory::UserView;
use crate::org_access::{self, RoleGrant};

type ApiResult<T> = Result<T, ApiError>;

/// How one signs in here (what the sign-in page offers).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInMethods {
    /// `false`: an administrator turned local passwords off (`--no-local-passwords`);
    /// `POST /api/v1/auth/login` answers 403.
    pub password: bool,
    /// Sign-in through the organisations' identity provider, at `/auth/oidc/login`.
    pub oidc: bool,
}

#[utoipa::path(get, path = "/api/v1/auth/methods", tag = "auth", security(),
    responses((status = 200, body = SignInMethods, description = "The sign-in methods this installation offers")))]
pub async fn sign_in_methods(State(st): State<AppState>) -> Json<SignInMethods> {
    Json(SignInMethods {
        password: !st.settings.passwords_off,
        oidc: st.settings.oidc.is_some(),
    })
}

#[utoipa::path(get, path = "/api/v1/organisation/users", tag = "directory",
    responses((status = 200, body = Vec<UserView>, description = "The users of the access manager's own CPAS"), (status = 401, body = Problem), (status = 403, body = Problem, description = "Not an access manager")))]
pub async fn list_org_users(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(org_access::list_users(&st.db, &caller.actor).await?))
}

#[utoipa::path(put, path = "/api/v1/organisation/users/{id}/role", tag = "directory", params(("id" = i64, Path)), request_body = RoleGrant,
    responses((status = 200, body = UserView, description = "Role granted, account active (audited)"), (status = 401, body = Problem), (status = 403, body = Problem, description = "Not an access manager, or a user of another organisation"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn grant_org_role(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<RoleGrant>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(
        org_access::grant_role(&st.db, st.clock.now(), &caller.actor, id, body.value).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/organisation/users/{id}/role", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = UserView, description = "Role withdrawn: account inactive, sessions ended, tokens revoked (audited)"), (status = 401, body = Problem), (status = 403, body = Problem, description = "Not an access manager, or a user of another organisation"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn withdraw_org_role(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(
        org_access::withdraw_role(&st.db, st.clock.now(), &caller.actor, id).await?,
    ))
}
