//! The answer letter as a PDF (issue 13 §3), `GET /requests/{id}/letter.pdf`, and the page
//! that checks a letter's verification code, `/verify` and `/verify/{code}`.
//!
//! The case service issues the letter (status, visibility, code, audit); the letter crate
//! typesets it. This module only gathers the letter's data in the CPAS's language and runs
//! typst off the async threads.

use std::time::Instant;

use art60_letter::{Answer, Letter, Office, Person, Regime, SecondCalculation, Standing};
use art60_rules::explain;
use art60_rules::result::CalcResult;
use art60_service::ServiceError;
use art60_service::api::{AppState, Problem};
use art60_service::db::Language;
use art60_service::letters::{self, Content, Issued, Verification};
use art60_service::requests::{self, Standing as ServiceStanding};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use chrono_tz::Europe::Brussels;
use serde::Deserialize;

use crate::ctx::{Ctx, ErrorKind, PageError, render};
use crate::i18n::{Lang, date};
use crate::labels;

/// The trace steps whose legal references make the letter's "provision applied" line: the
/// rules that apply, the worker's status, the answer, and any caveat.
const BASIS_STEPS: [&str; 6] = ["regime.", "status.", "plan.", "fixed.", "assess.", "flag."];

fn reader(l: Language) -> Lang {
    match l {
        Language::Fr => Lang::Fr,
        Language::Nl => Lang::Nl,
        Language::De => Lang::De,
    }
}

fn standing(s: ServiceStanding) -> Standing {
    match s {
        ServiceStanding::Simulation => Standing::Simulation,
        ServiceStanding::AwaitingOnem => Standing::AwaitingOnem,
        ServiceStanding::Returned => Standing::Returned,
        ServiceStanding::Confirmed => Standing::Confirmed,
        ServiceStanding::Modified => Standing::Modified,
    }
}

/// The plain explanation's summary (its answer and its reasons, without the arithmetic) and
/// the articles the calculation applied, in the reader's language. `render_step` writes a
/// step's reference in the reader's abbreviations as a trailing ` [ref]`: that is taken.
fn explanation(result: Option<&serde_json::Value>, lang: Lang) -> (Vec<String>, Vec<String>) {
    let Some(res) = result.and_then(|r| serde_json::from_value::<CalcResult>(r.clone()).ok())
    else {
        return (vec![], vec![]);
    };
    let plain = explain::plain(&res, lang);
    let sentences = std::iter::once(plain.answer).chain(plain.why).collect();
    let mut articles: Vec<String> = Vec::new();
    for step in res
        .trace
        .iter()
        .filter(|s| s.article.is_some())
        .filter(|s| BASIS_STEPS.iter().any(|p| s.key.starts_with(p)))
    {
        let text = explain::render_step(step, lang);
        if let Some(at) = text.rfind(" [")
            && text.ends_with(']')
        {
            let a = text[at + 2..text.len() - 1].to_owned();
            if !articles.contains(&a) {
                articles.push(a);
            }
        }
    }
    (sentences, articles)
}

/// The portal's own address for the verification page: the configured public address
/// (`--base-url`) when there is one, else the request's `Host` (plain http only on a loopback
/// host, as the demo runs). The configured one wins so that a proxy's or client's `Host`
/// cannot decide what a letter prints.
fn verify_url(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(base) = public_url {
        return format!("{base}/verify");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(h) => {
            let local =
                h.starts_with("localhost") || h.starts_with("127.") || h.starts_with("[::1]");
            let scheme = if local { "http" } else { "https" };
            format!("{scheme}://{h}/verify")
        }
        None => "/verify".to_owned(),
    }
}

/// What the letter prints, from the issued letter: the request's final answer, its office
/// and CPAS from the directory, the person, and the procedure figures of the rules' data.
pub fn letter_data(issued: &Issued, verify_url: String) -> Letter {
    let lang = reader(issued.cpas.language);
    let v = &issued.request;
    let f = &v.final_answer;
    let stand_in = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN);
    let today = issued.issued_at.with_timezone(&Brussels).date_naive();
    // The form as the engine reads it (errors cannot happen on a calculated request; the
    // contract lines are then left out rather than the letter refused).
    let contract =
        requests::engine_request(&v.input, None, stand_in, v.received_on.unwrap_or(today))
            .ok()
            .and_then(|r| r.contract);
    let decision_date = f
        .decided_at
        .map(|d| d.with_timezone(&Brussels).date_naive())
        .unwrap_or(today);
    // After an override the engine's result at ONEM's date explains the final answer.
    let (sentences, articles) = explanation(f.result.as_ref().or(v.result.as_ref()), lang);
    let p = requests::procedure();
    let window = f.end_date.map(|end| {
        (
            end - Duration::days(i64::from(p.second_calc_window_start_days)),
            end - Duration::days(i64::from(p.second_calc_window_end_days)),
        )
    });
    Letter {
        lang,
        office: Office {
            name: issued.office.name.clone(),
            address: issued.office.address.clone(),
            email: issued.office.email.clone(),
            phone: issued.office.phone.clone(),
        },
        cpas_name: issued.cpas.name.clone(),
        reference: v.reference.clone(),
        decision_date,
        received_on: v.received_on,
        person: Person {
            last_name: issued.person.last_name.clone(),
            first_name: issued.person.first_name.clone(),
            niss: issued.person.niss.clone(),
        },
        contract_start: contract.as_ref().map(|c| c.start),
        regime: contract.as_ref().map(|c| Regime {
            weekly_hours: c.regime.weekly_hours,
            reference_hours: c.regime.reference_hours,
            days_per_week: c.regime.days_per_week,
        }),
        answer: Answer {
            standing: standing(f.standing),
            end_date: f.end_date,
            first_benefit_date: f.first_benefit_date,
            days_to_work: f.days_to_work.and_then(|d| u32::try_from(d).ok()),
            computed_end_date: f.computed_end_date,
            reason: f.reason.clone(),
        },
        explanation: sentences,
        articles,
        second_calculation: SecondCalculation {
            window,
            start_days: p.second_calc_window_start_days,
            end_days: p.second_calc_window_end_days,
            max_calculations: p.max_calculations,
        },
        code: issued.code.clone(),
        verify_url,
    }
}

/// `GET /requests/{id}/letter.pdf`: a new letter (and code) for a calculated request the
/// user sees; another status answers 409 problem+json, an unseen request 404.
pub async fn letter_pdf(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let actor = match ctx.require() {
        Ok(a) => a.clone(),
        Err(e) => return e.into_response(),
    };
    let issued = match letters::issue(&st.db, st.clock.now(), &actor, id).await {
        Ok(i) => i,
        Err(e @ ServiceError::Refused { .. }) => return Problem::from(e).into_response(),
        Err(e) => return ctx.fail(e).into_response(),
    };
    let letter = letter_data(
        &issued,
        verify_url(st.settings.public_url.as_deref(), &headers),
    );
    let started = Instant::now();
    // typst lays out synchronously (tens of milliseconds): off the async worker threads.
    let pdf = tokio::task::spawn_blocking(move || art60_letter::render(&letter)).await;
    let bytes = match pdf {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            // The error names the template or export problem, never a letter's content.
            tracing::error!(error = %e, request_id = id, "letter rendering failed");
            return ctx.error(ErrorKind::Internal).into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, request_id = id, "letter rendering task failed");
            return ctx.error(ErrorKind::Internal).into_response();
        }
    };
    tracing::info!(
        request_id = id,
        letter_id = issued.letter_id,
        bytes = bytes.len(),
        render_ms = started.elapsed().as_millis() as u64,
        "letter issued"
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    // The reference is `A60-YYYY-NNNNNN`: a safe file name, and no personal data in it.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"{}.pdf\"",
        issued.request.reference
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // It names a person: never kept by a shared cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// One line of the verification page: the letter's value and the stored answer's now.
struct Row {
    label: String,
    letter: String,
    current: String,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    ctx: Ctx,
    code: String,
    /// `None`: the form alone.
    result: Option<VerifyResult>,
}

struct VerifyResult {
    current: bool,
    message: String,
    request_id: i64,
    reference: String,
    issued: String,
    rows: Vec<Row>,
}

fn content_rows(ctx: &Ctx, letter: &Content, now: &Content) -> Vec<Row> {
    let d = |x: Option<NaiveDate>| x.map(date).unwrap_or_else(|| "–".to_owned());
    let decided = |c: &Content| {
        c.decided_at
            .map(|t| date(t.with_timezone(&Brussels).date_naive()))
            .unwrap_or_else(|| "–".to_owned())
    };
    let days = |c: &Content| {
        c.days_to_work
            .map(|n| n.to_string())
            .unwrap_or_else(|| "–".to_owned())
    };
    vec![
        Row {
            label: ctx.t("verify-decision-date"),
            letter: decided(letter),
            current: decided(now),
        },
        Row {
            label: ctx.t("verify-standing"),
            letter: ctx.t(&labels::key("verify-standing", &letter.standing)),
            current: ctx.t(&labels::key("verify-standing", &now.standing)),
        },
        Row {
            label: ctx.t("result-end-date"),
            letter: d(letter.end_date),
            current: d(now.end_date),
        },
        Row {
            label: ctx.t("result-da"),
            letter: d(letter.first_benefit_date),
            current: d(now.first_benefit_date),
        },
        Row {
            label: ctx.t("result-days-to-work"),
            letter: days(letter),
            current: days(now),
        },
    ]
}

fn verify_result(ctx: &Ctx, v: &Verification) -> VerifyResult {
    let message = match (&v.superseded_by, v.matches) {
        (Some(r), _) => ctx.t1("verify-superseded", "reference", r),
        (None, false) => ctx.t("verify-changed"),
        (None, true) => ctx.t("verify-current"),
    };
    VerifyResult {
        current: v.still_current(),
        message,
        request_id: v.current.request_id,
        reference: v.letter.reference.clone(),
        issued: date(v.issued_at.with_timezone(&Brussels).date_naive()),
        rows: content_rows(ctx, &v.letter, &v.current),
    }
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /verify`: the form; with `?code=` (the form's submission) the code's page.
pub async fn verify_form(ctx: Ctx, Query(q): Query<VerifyQuery>) -> Result<Response, PageError> {
    ctx.require()?;
    if let Some(code) = q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        // The page of a code has its own address (bookmarkable); an unreadable code is
        // "not found" there like an unknown one.
        let path: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !path.is_empty() {
            return Ok(Redirect::to(&format!("/verify/{path}")).into_response());
        }
        return Err(ctx.error(ErrorKind::NotFound));
    }
    let page = VerifyPage {
        ctx,
        code: String::new(),
        result: None,
    };
    Ok(render(page.ctx.lang, &page))
}

/// `GET /verify/{code}`: whether the letter still matches the stored answer, for a user of
/// the request's CPAS or office (others: 404); audited by the service.
pub async fn verify_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let actor = ctx.require()?.clone();
    let v = letters::verify(&st.db, st.clock.now(), &actor, &code)
        .await
        .map_err(|e| ctx.fail(e))?;
    let result = verify_result(&ctx, &v);
    let page = VerifyPage {
        code: v.code.clone(),
        result: Some(result),
        ctx,
    };
    Ok(render(page.ctx.lang, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_address_follows_the_host() {
        let mut h = HeaderMap::new();
        assert_eq!(verify_url(None, &h), "/verify");
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8060"));
        assert_eq!(verify_url(None, &h), "http://127.0.0.1:8060/verify");
        h.insert(header::HOST, HeaderValue::from_static("cpas.example.be"));
        assert_eq!(verify_url(None, &h), "https://cpas.example.be/verify");
        h.insert(header::HOST, HeaderValue::from_static("evil.example/x?y"));
        assert_eq!(verify_url(None, &h), "/verify");
    }

    #[test]
    fn the_configured_public_address_wins_over_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("evil.example"));
        assert_eq!(
            verify_url(Some("https://art60.example.be"), &h),
            "https://art60.example.be/verify"
        );
    }
}
