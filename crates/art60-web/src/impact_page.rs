//! "Impact d'une réforme" (issue 15 §2): run a reform proposal over the cases one may see,
//! read its summary, a chart of the differences and the rows, download CSV, and (officers and
//! the ONEM SPOC) invite the CPAS to ask a second calculation.

use std::collections::BTreeMap;

use art60_service::api::AppState;
use art60_service::auth::Actor;
use art60_service::db::{Role, Status};
use art60_service::impact::{Change, ImpactRow, Tally};
use art60_service::impact_runs::{self, ImpactRunView, NewImpactRun, RowFilter};
use art60_service::{ServiceError, directory, persons};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, ErrorKind, PageError, render};

type PageResult = Result<Response, PageError>;

/// Rows drawn on the page; the CSV has them all.
const SHOWN_ROWS: usize = 500;

fn allowed(ctx: &Ctx) -> Result<Actor, PageError> {
    let a = ctx.require()?;
    if matches!(
        a.role,
        Role::CpasWorker | Role::OnemOfficer | Role::OnemSpoc | Role::Administrator
    ) {
        Ok(a.clone())
    } else {
        Err(ctx.error(ErrorKind::Forbidden))
    }
}

struct RunLine {
    id: i64,
    created: String,
    proposal: String,
    requests: u64,
    earlier: u64,
}

#[derive(Template)]
#[template(path = "impact.html")]
struct ImpactForm {
    ctx: Ctx,
    examples: Vec<(&'static str, bool)>,
    text: String,
    options: String,
    as_of: String,
    statuses: Vec<(&'static str, String, bool)>,
    errors: Vec<(String, String)>,
    runs: Vec<RunLine>,
}

const STATUSES: [(&str, Status); 4] = [
    ("sent", Status::Sent),
    ("calculated", Status::Calculated),
    ("returned", Status::Returned),
    ("draft", Status::Draft),
];

fn proposal_name(run: &ImpactRunView) -> String {
    run.proposal
        .as_ref()
        .and_then(|p| p["id"].as_str())
        .map(str::to_owned)
        .unwrap_or_default()
}

async fn form_page(
    st: &AppState,
    ctx: Ctx,
    actor: &Actor,
    input: &FormInput,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> PageResult {
    let runs = impact_runs::list(&st.db, actor, 20)
        .await
        .map_err(|e| ctx.fail(e))?
        .iter()
        .map(|r| RunLine {
            id: r.id,
            created: crate::i18n::date_time(r.created_at),
            proposal: proposal_name(r),
            requests: r.summary.requests,
            earlier: r.summary.total.earlier,
        })
        .collect();
    let page = ImpactForm {
        examples: impact_runs::EXAMPLES
            .iter()
            .map(|(n, _)| (*n, input.example == *n))
            .collect(),
        text: input.text.clone(),
        options: input.options.clone(),
        as_of: input.as_of.clone(),
        statuses: STATUSES
            .iter()
            .map(|(c, _)| {
                let on = if input.statuses.is_empty() {
                    *c == "sent" || *c == "calculated"
                } else {
                    input.statuses.iter().any(|s| s == c)
                };
                (*c, ctx.t(&format!("status-{c}")), on)
            })
            .collect(),
        errors,
        runs,
        ctx,
    };
    let mut resp = render(page.ctx.lang, &page);
    *resp.status_mut() = status;
    Ok(resp)
}

#[derive(Default)]
struct FormInput {
    csrf: String,
    example: String,
    text: String,
    file: String,
    options: String,
    as_of: String,
    statuses: Vec<String>,
}

pub async fn impact_form(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let actor = allowed(&ctx)?;
    form_page(
        &st,
        ctx,
        &actor,
        &FormInput::default(),
        vec![],
        StatusCode::OK,
    )
    .await
}

pub async fn impact_post(
    State(st): State<AppState>,
    ctx: Ctx,
    mut multipart: Multipart,
) -> PageResult {
    let actor = allowed(&ctx)?;
    let mut f = FormInput::default();
    // A broken multipart body reads as an empty form.
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => f.csrf = value,
            "example" => f.example = value,
            "proposal_text" => f.text = value,
            "proposal_file" => f.file = value,
            "options" => f.options = value,
            "as_of" => f.as_of = value,
            "status" => f.statuses.push(value),
            _ => {}
        }
    }
    ctx.check_csrf(&f.csrf)?;
    // The uploaded file first, then the pasted text, then the example picked.
    let proposal = [f.file.trim(), f.text.trim()]
        .into_iter()
        .find(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            impact_runs::EXAMPLES
                .iter()
                .find(|(n, _)| *n == f.example)
                .map(|(_, t)| (*t).to_owned())
        });
    let mut errors = Vec::new();
    let as_of = match f.as_of.trim() {
        "" => None,
        s => match s.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(("as_of".to_owned(), ctx.t("impact-bad-date")));
                None
            }
        },
    };
    let statuses: Vec<Status> = STATUSES
        .iter()
        .filter(|(c, _)| f.statuses.iter().any(|s| s == c))
        .map(|(_, s)| *s)
        .collect();
    let input = NewImpactRun {
        proposal,
        options: f
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        as_of,
        statuses: Some(statuses),
        cpas_id: None,
        office_id: None,
    };
    if errors.is_empty() {
        match impact_runs::create(
            &st.db,
            st.clock.now(),
            st.clock.today_brussels(),
            &actor,
            &input,
        )
        .await
        {
            Ok(run) => return Ok(Redirect::to(&format!("/impact/{}", run.id)).into_response()),
            // The reasons name a proposal's path or an option: no person data.
            Err(ServiceError::Invalid(list)) => {
                errors.extend(list.into_iter().map(|e| (e.field, e.reason)));
            }
            Err(e) => return Err(ctx.fail(e)),
        }
    }
    if f.text.trim().is_empty() && !f.file.trim().is_empty() {
        f.text = f.file.clone();
    }
    form_page(
        &st,
        ctx,
        &actor,
        &f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// One bar of the chart.
struct Bar {
    label: String,
    count: usize,
    x: usize,
    y: usize,
    h: usize,
    class: &'static str,
}

/// Working-day difference ranges: (lowest, highest, label).
const BUCKETS: [(i64, i64, &str); 9] = [
    (i64::MIN, -61, "≤ −61"),
    (-60, -41, "−60…−41"),
    (-40, -21, "−40…−21"),
    (-20, -1, "−20…−1"),
    (0, 0, "0"),
    (1, 20, "1…20"),
    (21, 40, "21…40"),
    (41, 60, "41…60"),
    (61, i64::MAX, "≥ 61"),
];

const CHART_H: usize = 160;
const BAR_W: usize = 56;
const GAP: usize = 8;

fn bars(rows: &[ImpactRow]) -> Vec<Bar> {
    let counts: Vec<usize> = BUCKETS
        .iter()
        .map(|(lo, hi, _)| {
            rows.iter()
                .filter_map(|r| r.diff_working_days)
                .filter(|d| d >= lo && d <= hi)
                .count()
        })
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    BUCKETS
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, ((lo, hi, label), count))| {
            let h = count * CHART_H / max;
            Bar {
                label: (*label).to_owned(),
                count,
                x: i * (BAR_W + GAP),
                y: CHART_H - h + 20,
                h,
                class: if *hi < 0 {
                    "earlier"
                } else if *lo > 0 {
                    "later"
                } else {
                    "same"
                },
            }
        })
        .collect()
}

struct Line {
    request_id: i64,
    reference: String,
    name: String,
    cpas: String,
    contract_start: String,
    end_before: String,
    end_after: String,
    da_after: String,
    change: String,
    diff_days: String,
    diff_working_days: String,
    why: String,
}

struct TallyLine {
    name: String,
    t: Tally,
}

#[derive(Template)]
#[template(path = "impact_run.html")]
struct RunPage {
    ctx: Ctx,
    id: i64,
    created: String,
    parameters: String,
    proposal: String,
    changes: Vec<String>,
    options: String,
    as_of: String,
    total: Tally,
    requests: u64,
    by_cpas: Vec<TallyLine>,
    bars: Vec<Bar>,
    chart_w: usize,
    lines: Vec<Line>,
    more: usize,
    truncated: bool,
    change_options: Vec<(&'static str, String, bool)>,
    cpas_options: Vec<(i64, String, bool)>,
    csv_link: String,
    may_notify: bool,
    notified: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct RunQuery {
    #[serde(default)]
    change: Option<String>,
    #[serde(default)]
    cpas: Option<String>,
    #[serde(default)]
    notified: Option<u64>,
    #[serde(default)]
    already: Option<u64>,
    #[serde(default)]
    passed: Option<u64>,
}

const CHANGES: [(&str, Change); 4] = [
    ("earlier", Change::Earlier),
    ("later", Change::Later),
    ("unchanged", Change::Unchanged),
    ("not_computable", Change::NotComputable),
];

fn filter_of(q: &RunQuery) -> RowFilter {
    RowFilter {
        change: q
            .change
            .as_deref()
            .and_then(|c| CHANGES.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)),
        cpas_id: q.cpas.as_deref().and_then(|c| c.parse().ok()),
    }
}

/// Why a row changed, for the reader: the first step of the explanation that differs, in
/// their language, or why the request could not be recomputed.
fn why_text(ctx: &Ctx, r: &ImpactRow) -> String {
    if let Some(reason) = &r.reason {
        // A request never sent is the common reason (drafts); the others name an input
        // error and stay as the engine wrote them.
        return if reason == art60_service::impact::NEVER_SENT {
            ctx.t("impact-reason-never-sent")
        } else {
            reason.clone()
        };
    }
    match (&r.first_difference_step, &r.first_difference) {
        (Some(step), _) => art60_rules::explain::render_step(step, ctx.lang),
        (None, Some(key)) if key == "outcome" => ctx.t("impact-reason-outcome"),
        (None, Some(key)) => key.clone(),
        (None, None) => String::new(),
    }
}

/// A line of the proposal's summary (`proposal::Summary::changes`: "KEY from DATE" or "KEY
/// ended on DATE") in the reader's language, the date as dates are written on the portal.
fn change_text(ctx: &Ctx, c: &str) -> String {
    let parsed = |sep: &str| {
        c.split_once(sep)
            .and_then(|(k, d)| Some((k, d.parse::<chrono::NaiveDate>().ok()?)))
    };
    let args = |k: &str, d| [("key", k.to_owned()), ("date", crate::i18n::date(d))];
    if let Some((k, d)) = parsed(" from ") {
        crate::i18n::t_args(ctx.lang, "impact-change-from", &args(k, d))
    } else if let Some((k, d)) = parsed(" ended on ") {
        crate::i18n::t_args(ctx.lang, "impact-change-ended", &args(k, d))
    } else {
        c.to_owned()
    }
}

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map(crate::i18n::date).unwrap_or_else(|| "—".into())
}

fn num(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

pub async fn impact_run(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RunQuery>,
) -> PageResult {
    let actor = allowed(&ctx)?;
    let filter = filter_of(&q);
    let all = impact_runs::get(&st.db, &actor, id, &RowFilter::default())
        .await
        .map_err(|e| ctx.fail(e))?;
    let cpas_names: BTreeMap<i64, String> = directory::list_cpas(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let chart = bars(&all.rows);
    let kept: Vec<&ImpactRow> = all.rows.iter().filter(|r| filter.keeps(r)).collect();
    let more = kept.len().saturating_sub(SHOWN_ROWS);
    let shown: Vec<&ImpactRow> = kept.into_iter().take(SHOWN_ROWS).collect();
    let ids: Vec<i64> = shown.iter().map(|r| r.request_id).collect();
    // Names only of the requests this user may read (the cases' rule), an audited read.
    let names = persons::names_for_requests(&st.db, st.clock.now(), &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let lines = shown
        .iter()
        .map(|r| {
            let after = r.after.as_ref();
            Line {
                request_id: r.request_id,
                reference: r.reference.clone(),
                name: names.get(&r.request_id).cloned().unwrap_or_default(),
                cpas: cpas_names
                    .get(&r.cpas_id)
                    .cloned()
                    .unwrap_or_else(|| r.cpas_id.to_string()),
                contract_start: opt_date(r.contract_start),
                end_before: opt_date(r.before.end_date),
                end_after: opt_date(after.and_then(|a| a.end_date)),
                da_after: opt_date(after.and_then(|a| a.first_benefit_date)),
                change: ctx.t(&format!(
                    "impact-change-{}",
                    CHANGES
                        .iter()
                        .find(|(_, c)| *c == r.change)
                        .map_or("unchanged", |(k, _)| *k)
                )),
                diff_days: num(r.diff_days),
                diff_working_days: num(r.diff_working_days),
                why: why_text(&ctx, r),
            }
        })
        .collect();
    let run = all.run;
    let mut csv_link = format!("/impact/{id}/csv");
    let mut sep = '?';
    if let Some(c) = &q.change {
        csv_link.push_str(&format!("{sep}change={}", code_only(c)));
        sep = '&';
    }
    if let Some(c) = filter.cpas_id {
        csv_link.push_str(&format!("{sep}cpas={c}"));
    }
    let notified = q.notified.map(|n| {
        crate::i18n::t_args(
            ctx.lang,
            "impact-notified",
            &[
                ("count", n.to_string()),
                ("already", q.already.unwrap_or(0).to_string()),
                ("passed", q.passed.unwrap_or(0).to_string()),
            ],
        )
    });
    let page = RunPage {
        id,
        created: crate::i18n::date_time(run.created_at),
        parameters: run.parameters.clone(),
        proposal: proposal_name(&run),
        changes: run
            .proposal
            .as_ref()
            .and_then(|p| p["changes"].as_array())
            .map(|c| {
                c.iter()
                    .filter_map(|v| v.as_str().map(|c| change_text(&ctx, c)))
                    .collect()
            })
            .unwrap_or_default(),
        options: run.options.join(", "),
        as_of: crate::i18n::date(run.as_of),
        total: run.summary.total.clone(),
        requests: run.summary.requests,
        by_cpas: run
            .summary
            .by_cpas
            .iter()
            .map(|(id, t)| TallyLine {
                name: cpas_names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string()),
                t: t.clone(),
            })
            .collect(),
        chart_w: BUCKETS.len() * (BAR_W + GAP),
        bars: chart,
        lines,
        more,
        truncated: run.truncated,
        change_options: CHANGES
            .iter()
            .map(|(k, _)| {
                (
                    *k,
                    ctx.t(&format!("impact-change-{k}")),
                    q.change.as_deref() == Some(*k),
                )
            })
            .collect(),
        cpas_options: run
            .summary
            .by_cpas
            .keys()
            .map(|id| {
                (
                    *id,
                    cpas_names
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| id.to_string()),
                    filter.cpas_id == Some(*id),
                )
            })
            .collect(),
        csv_link,
        may_notify: matches!(actor.role, Role::OnemOfficer | Role::OnemSpoc)
            && run.summary.total.earlier > 0,
        notified,
        ctx,
    };
    Ok(render(page.ctx.lang, &page))
}

/// A change code as it may appear in a link (the codes are ASCII words): anything else dropped.
fn code_only(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

pub async fn impact_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RunQuery>,
) -> PageResult {
    let actor = allowed(&ctx)?;
    let run = impact_runs::get(&st.db, &actor, id, &filter_of(&q))
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = impact_runs::csv(&run.rows).map_err(|e| ctx.fail(e))?;
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

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn impact_notify(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    let actor = allowed(&ctx)?;
    ctx.check_csrf(&f.csrf)?;
    let out = impact_runs::notify_cpas(
        &st.db,
        st.clock.now(),
        st.clock.today_brussels(),
        &actor,
        id,
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to(&format!(
        "/impact/{id}?notified={}&already={}&passed={}",
        out.notified, out.already, out.window_passed
    ))
    .into_response())
}
