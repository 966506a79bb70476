//! The engine's result prepared for display: the final answer and its standing, numbers,
//! explanation steps and the timeline.

use art60_rules::CalcRequest;
use art60_rules::explain;
use art60_rules::result::{CalcResult, Outcome};
use art60_service::requests::{FinalAnswer, Standing};
use chrono::NaiveDate;

use crate::i18n::{Lang, date, t, t_args};
use crate::timeline::{self, Marker};

#[derive(Debug, Clone)]
pub struct Summary {
    /// Where the answer stands, in one sentence (simulation, awaiting ONEM, confirmed...).
    pub standing: Option<String>,
    pub end_date: Option<String>,
    pub da: Option<String>,
    pub days_to_work: Option<u32>,
    /// After an override: the engine's own end date, replaced by ONEM's.
    pub computed_end: Option<String>,
    /// After an override: the rules do not make the person admissible on the final DA.
    pub not_admissible: bool,
    pub no_stage: Option<String>,
    pub unreachable: Option<String>,
    pub assessed: bool,
    pub provisional: bool,
    pub manual_review: bool,
    /// The winning option: (article, counted, required).
    pub option: Option<(String, i64, i64)>,
    /// The answer in one sentence, then why (the plain explanation, issue 13 §2).
    pub answer: String,
    pub why: Vec<String>,
    /// Each step translated, with its legal reference (the arithmetic, in a `<details>`).
    pub steps: Vec<(String, Option<String>)>,
    pub svg: String,
    /// Old and new rules side by side, when the DA falls under other rules than the start.
    pub regimes: Option<RegimesView>,
}

/// [`art60_service::impact::Regimes`] as the page shows it: a row per figure, both columns.
#[derive(Debug, Clone)]
pub struct RegimesView {
    /// (label, under the rules of the start had they continued, under the rules that apply).
    pub rows: Vec<(String, String, String)>,
    /// Why the rules that apply do.
    pub reason: String,
    /// The answer on record was sized under other parameters (named), before today's.
    pub stale: Option<String>,
}

/// The side-by-side view of `r` in `lang`.
pub fn regimes_view(lang: Lang, r: &art60_service::impact::Regimes) -> RegimesView {
    let dash = || "—".to_string();
    let d = |x: Option<NaiveDate>| x.map_or_else(dash, date);
    let n = |x: Option<i64>| x.map_or_else(dash, |v| v.to_string());
    let old = r.earlier_rules.as_ref();
    let rows = vec![
        (
            t(lang, "result-end-date"),
            d(old.and_then(|a| a.end_date)),
            d(r.applying.end_date),
        ),
        (
            t(lang, "result-da"),
            d(old.and_then(|a| a.first_benefit_date)),
            d(r.applying.first_benefit_date),
        ),
        (
            t(lang, "result-days-to-work"),
            n(old.and_then(|a| a.days_to_work)),
            n(r.applying.days_to_work),
        ),
        (
            t(lang, "result-required"),
            n(old.and_then(|a| a.requirement)),
            n(r.applying.requirement),
        ),
    ];
    RegimesView {
        rows,
        reason: t_args(
            lang,
            "result-regimes-reason",
            &[("da", date(r.da)), ("reform", date(r.reform))],
        ),
        stale: r
            .held_parameters
            .as_ref()
            .map(|v| t_args(lang, "result-regimes-stale", &[("version", v.clone())])),
    }
}

/// The answer where it stands: `office` is the name of the request's ONEM office.
pub fn standing(lang: Lang, f: &FinalAnswer, office: &str, due: Option<NaiveDate>) -> String {
    let on = f
        .decided_at
        .map(|d| date(d.with_timezone(&chrono_tz::Europe::Brussels).date_naive()))
        .unwrap_or_default();
    let reason = f.reason.clone().unwrap_or_default();
    match f.standing {
        Standing::Simulation => t(lang, "standing-simulation"),
        Standing::AwaitingOnem => t_args(
            lang,
            "standing-awaiting",
            &[("due", due.map(date).unwrap_or_default())],
        ),
        Standing::Returned => t_args(lang, "standing-returned", &[("reason", reason)]),
        Standing::Confirmed => t_args(
            lang,
            "standing-confirmed",
            &[("date", on), ("office", office.to_owned())],
        ),
        Standing::Modified => t_args(
            lang,
            "standing-modified",
            &[
                ("date", on),
                ("office", office.to_owned()),
                ("reason", reason),
            ],
        ),
    }
}

/// `marker`: a second end date drawn on the timeline (the computed end after an override).
pub fn summarise(req: &CalcRequest, res: &CalcResult, lang: Lang, marker: Marker) -> Summary {
    let (mut end_date, mut da, mut days, mut no_stage, mut unreachable, mut assessed) =
        (None, None, None, None, None, false);
    let mut not_admissible = false;
    match &res.outcome {
        Outcome::Planned {
            end_date: e,
            first_benefit_date: d,
            days_to_work,
            ..
        } => {
            end_date = Some(date(*e));
            da = Some(date(*d));
            days = Some(*days_to_work);
        }
        Outcome::Fixed {
            end_date: e,
            first_benefit_date: d,
            days_to_work,
            admissible,
            ..
        } => {
            end_date = Some(date(*e));
            da = Some(date(*d));
            days = Some(*days_to_work);
            not_admissible = !admissible;
        }
        Outcome::NoStageRequired { first_benefit_date } => {
            no_stage = Some(date(*first_benefit_date));
        }
        Outcome::Unreachable {
            best_counted,
            required,
            ..
        } => {
            unreachable = Some(t_args(
                lang,
                "result-unreachable",
                &[
                    ("counted", best_counted.to_string()),
                    ("required", required.to_string()),
                ],
            ));
        }
        Outcome::Assessed { .. } => assessed = true,
    }
    let computed_end = match marker {
        Marker::ComputedEnd(d) => Some(date(d)),
        _ => None,
    };
    let plain = explain::plain(res, lang);
    Summary {
        regimes: None,
        answer: plain.answer,
        why: plain.why,
        standing: None,
        end_date,
        da,
        days_to_work: days,
        computed_end,
        not_admissible,
        no_stage,
        unreachable,
        assessed,
        provisional: res.is_provisional(),
        manual_review: res.needs_manual_review(),
        option: res
            .winning_option
            .as_ref()
            .map(|o| (o.article.to_string(), o.counted, o.required)),
        steps: res
            .trace
            .iter()
            .map(|s| {
                (
                    explain::render_step(s, lang),
                    s.article.as_deref().map(str::to_string),
                )
            })
            .collect(),
        svg: timeline::render_with_marker(req, res, lang, marker),
    }
}
