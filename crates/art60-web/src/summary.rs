//! The engine's result prepared for display: numbers, explanation steps and the timeline.

use art60_rules::CalcRequest;
use art60_rules::explain;
use art60_rules::result::{CalcResult, Outcome};

use crate::i18n::{Lang, t_args};
use crate::timeline;

#[derive(Debug, Clone)]
pub struct Summary {
    pub end_date: Option<String>,
    pub da: Option<String>,
    pub days_to_work: Option<u32>,
    pub no_stage: Option<String>,
    pub unreachable: Option<String>,
    pub assessed: bool,
    pub provisional: bool,
    pub manual_review: bool,
    /// The winning option: (article, counted, required).
    pub option: Option<(String, i64, i64)>,
    /// Each step translated, with its legal reference.
    pub steps: Vec<(String, Option<String>)>,
    pub svg: String,
}

/// `onem_end`: the end date ONEM set when it overrode the result (drawn on the timeline).
pub fn summarise(
    req: &CalcRequest,
    res: &CalcResult,
    lang: Lang,
    onem_end: Option<chrono::NaiveDate>,
) -> Summary {
    let (mut end_date, mut da, mut days, mut no_stage, mut unreachable, mut assessed) =
        (None, None, None, None, None, false);
    match &res.outcome {
        Outcome::Planned {
            end_date: e,
            first_benefit_date: d,
            days_to_work,
            ..
        } => {
            end_date = Some(e.to_string());
            da = Some(d.to_string());
            days = Some(*days_to_work);
        }
        Outcome::NoStageRequired { first_benefit_date } => {
            no_stage = Some(first_benefit_date.to_string());
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
    Summary {
        end_date,
        da,
        days_to_work: days,
        no_stage,
        unreachable,
        assessed,
        provisional: res.is_provisional(),
        manual_review: res.needs_manual_review(),
        option: res
            .winning_option
            .as_ref()
            .map(|o| (o.article.clone(), o.counted, o.required)),
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
        svg: timeline::render_with_override(req, res, lang, onem_end),
    }
}
