//! API of DmfA conflict resolution: the CPAS settles a conflict between a typed period and the
//! DmfA before sending.

use axum::Json;
use axum::extract::{Path, State};

use super::AppState;
use super::extract::{Caller, JsonBody};
use super::problem::{ApiError, Problem};
use crate::dmfa::DmfaView;
use crate::dmfa_review::{self, ResolveInput};

type ApiResult<T> = Result<T, ApiError>;

/// Settles one conflict of the request's DmfA view (`manual` and `dmfa` as listed there):
/// `use_dmfa` leaves the typed period out for the overlapping quarters, `keep_typed` (with a
/// mandatory `justification`) leaves the overlapping DmfA quarters out. A CPAS worker of the
/// request's CPAS, while the request is a draft or returned. Answers the updated DmfA view.
#[utoipa::path(post, path = "/api/v1/requests/{id}/dmfa/resolutions", tag = "dmfa",
    params(("id" = i64, Path)), request_body = ResolveInput,
    responses((status = 200, body = DmfaView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn resolve_conflict(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: JsonBody<ResolveInput>,
) -> ApiResult<Json<DmfaView>> {
    Ok(Json(
        dmfa_review::resolve(&st.db, st.clock.now(), &caller.actor, id, body.value).await?,
    ))
}
