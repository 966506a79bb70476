//! Handlers of the reform impact runs (issue 15 §2).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::extract::{Caller, JsonBody};
use super::problem::{ApiError, Problem};
use crate::impact::Change;
use crate::impact_runs::{
    self, ImpactRunRows, ImpactRunView, NewImpactRun, NotifyOutcome, RowFilter,
};

type ApiResult<T> = Result<T, ApiError>;

#[utoipa::path(post, path = "/api/v1/impact-runs", tag = "impact", request_body = NewImpactRun,
    responses((status = 201, body = ImpactRunView, description = "Run and stored; read it again at /api/v1/impact-runs/{id}"),
        (status = 403, body = Problem), (status = 422, body = Problem, description = "A bad proposal (the field is `proposal.<its path>`), option (`options`) or status")))]
pub async fn create_run(
    State(st): State<AppState>,
    caller: Caller,
    body: JsonBody<NewImpactRun>,
) -> ApiResult<Response> {
    let run = impact_runs::create(
        &st.db,
        st.clock.now(),
        st.clock.today_brussels(),
        &caller.actor,
        &body.value,
    )
    .await?;
    let mut resp = (StatusCode::CREATED, Json(&run)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/impact-runs/{}", run.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

#[utoipa::path(get, path = "/api/v1/impact-runs", tag = "impact",
    responses((status = 200, body = Vec<ImpactRunView>, description = "The caller's runs, newest first (without rows)")))]
pub async fn list_runs(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ImpactRunView>>> {
    Ok(Json(impact_runs::list(&st.db, &caller.actor, 50).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunParams {
    /// Only rows that moved this way.
    pub change: Option<Change>,
    /// Only this CPAS's rows.
    pub cpas_id: Option<i64>,
    /// `csv` for the CSV report (also with `Accept: text/csv`).
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/impact-runs/{id}", tag = "impact", params(("id" = i64, Path), RunParams),
    responses((status = 200, description = "The run, its summary and its rows (JSON), or the rows as CSV",
            content((ImpactRunRows = "application/json"), (String = "text/csv"))),
        (status = 404, body = Problem, description = "No such run, or another user's")))]
pub async fn get_run(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(p): Query<RunParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let filter = RowFilter {
        change: p.change,
        cpas_id: p.cpas_id,
    };
    let run = impact_runs::get(&st.db, &caller.actor, id, &filter).await?;
    let wants_csv = match p.format.as_deref() {
        Some("csv") => true,
        Some("json") | None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
        Some(other) => {
            return Err(
                Problem::new(StatusCode::BAD_REQUEST, "bad_request", "Bad request")
                    .detail(format!("format: {other:?} is not csv or json"))
                    .into(),
            );
        }
    };
    if !wants_csv {
        return Ok(Json(run).into_response());
    }
    let body = impact_runs::csv(&run.rows)?;
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"impact-{id}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

#[utoipa::path(post, path = "/api/v1/impact-runs/{id}/notifications", tag = "impact", params(("id" = i64, Path)),
    responses((status = 200, body = NotifyOutcome, description = "The CPAS of each request that ends earlier invited to ask a second calculation; once per request and run"),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn notify_run(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<NotifyOutcome>> {
    Ok(Json(
        impact_runs::notify_cpas(
            &st.db,
            st.clock.now(),
            st.clock.today_brussels(),
            &caller.actor,
            id,
        )
        .await?,
    ))
}
