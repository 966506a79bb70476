//! The explanation trace: the steps a calculation writes, with stable keys and values, for
//! the renderer ([`super::render`]) and the API.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::result::{Alternative, Flag, OptionEval, Outcome, RightDuration, Step, StepValues};
use crate::units::Fixed4;

/// An explanation step.
pub(crate) fn step(
    key: &'static str,
    article: Option<Cow<'static, str>>,
    values: StepValues,
) -> Step {
    Step {
        key: Cow::Borrowed(key),
        article,
        values,
    }
}

/// The article of a step, when it is written in the code.
pub(crate) fn art(article: &'static str) -> Option<Cow<'static, str>> {
    Some(Cow::Borrowed(article))
}

/// What the explanation trace is written from.
pub(crate) struct Explained<'e> {
    pub steps: Vec<Step>,
    /// The winning option, unless the person is re-admitted (no window to explain).
    pub winning: Option<&'e OptionEval>,
    pub readmitted: bool,
    pub options: &'e [OptionEval],
    pub outcome: &'e Outcome,
    pub no_stage: Option<&'e str>,
    pub alternative: Option<&'e Alternative>,
    pub right: Option<&'e RightDuration>,
    pub provisional: &'e [Flag],
    pub review: &'e [Flag],
    /// The history's periods, to say what each counted and, when nothing, why.
    pub periods: &'e [Period],
}

/// A period of the history as the explanation names it.
pub(crate) struct Period {
    /// `history[i]`.
    pub label: Cow<'static, str>,
    /// The period kind's code (`work`, `insured_sickness`...).
    pub kind: &'static str,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The explanation trace of a finished calculation, after the evaluation's own steps.
pub(crate) fn explain(x: Explained<'_>) -> Vec<Step> {
    let Explained {
        mut steps,
        winning,
        readmitted,
        options,
        outcome,
        no_stage,
        alternative,
        right,
        provisional,
        review,
        periods,
    } = x;
    // The steps below at once, not one growth step after another (their count is bounded
    // by what they are written from).
    steps.reserve(
        8 + options.len()
            + periods.len()
            + provisional.len()
            + review.len()
            + winning.map_or(0, |w| w.window.extensions.len() + w.quarters.len()),
    );
    if let Some(w) = winning {
        steps.push(step("window.base", Some(w.article.clone()),
            values!("option": &w.id, "months": w.window.months, "start": w.window.base_start, "end": w.window.end)));
        for x in &w.window.extensions {
            steps.push(step("window.extended", art("AR art. 30 al. 3"),
                values!("kind": x.kind, "event_start": x.event_start, "event_end": x.event_end,
                       "length_days": x.length_days, "start_before": x.start_before, "start_after": x.start_after)));
        }
        if let Some(c) = w.window.cutoff {
            steps.push(step(
                "window.cutoff",
                art("AR art. 30 al. 2"),
                values!("admission": c, "start": w.window.start),
            ));
        }
        // Issue 13: say why a period counted nothing. The start once extended, before any
        // cut-off, tells a period before the window from one before an earlier admission.
        let extended = w
            .window
            .extensions
            .iter()
            .map(|x| x.start_after)
            .fold(w.window.base_start, NaiveDate::min);
        for p in periods {
            // The kind is static text: borrowed into the step, not copied.
            let kind = &Cow::Borrowed(p.kind);
            let (label, start, end) = (&p.label, p.start, p.end);
            if end < w.window.start {
                let (key, article, from) = if w.window.cutoff.is_some() && end >= extended {
                    (
                        "period.before_admission",
                        "AR art. 30 al. 2",
                        w.window.start,
                    )
                } else {
                    ("period.before_window", "AR art. 30", extended)
                };
                steps.push(step(key, art(article),
                    values!("period": label, "kind": kind, "start": start, "end": end, "window_start": from)));
                continue;
            }
            if start > w.window.end {
                continue;
            }
            // What the period brought to the winning option, quarter by quarter, and whether
            // a quarter cap cut it.
            let mut counted = Fixed4::ZERO;
            let mut capped = false;
            for q in &w.quarters {
                let mut here = false;
                for part in q.parts.iter().filter(|x| x.job == *label) {
                    counted += part.value;
                    here = true;
                }
                capped |= here && q.cap.is_some_and(|c| q.raw > c);
            }
            if counted > Fixed4::ZERO {
                steps.push(step(
                    "period.counted",
                    art("AM art. 7, 8"),
                    values!("period": label, "kind": kind, "start": start, "end": end,
                           "counted": counted, "capped": capped,
                           "partial": start < w.window.start, "window_start": w.window.start),
                ));
            } else if !w
                .window
                .extensions
                .iter()
                .any(|x| x.event == label.as_ref())
            {
                // Neither counted nor extending: not work and not a day the law assimilates
                // in this regime (an extension says so in its own step).
                steps.push(step(
                    "period.not_counted",
                    art("AR art. 38"),
                    values!("period": label, "kind": kind, "start": start, "end": end),
                ));
            }
        }
        for q in w.quarters.iter().filter(|q| !q.parts.is_empty()) {
            // The parts in one readable string; the structured rows are in the option.
            let mut parts = String::with_capacity(24 * q.parts.len());
            for (i, p) in q.parts.iter().enumerate() {
                // "job formula value", joined by " + " (pushed: no formatting machinery).
                if i > 0 {
                    parts.push_str(" + ");
                }
                parts.push_str(&p.job);
                parts.push(' ');
                parts.push_str(&p.formula);
                parts.push(' ');
                p.value.push_to(&mut parts);
            }
            steps.push(step("count.quarter", art("AM art. 7, 8"),
                values!("quarter": q.quarter, "raw": q.raw, "cap": q.cap, "result": q.result, "parts": parts)));
        }
        steps.push(step("count.total", art("AM art. 7"),
            values!("option": &w.id, "unit": w.unit, "exact": w.counted_exact, "counted": w.counted, "required": w.required, "met": w.met)));
        if let Some(a) = &w.art32 {
            steps.push(step("art32.past", art("AR art. 32"),
                values!("past_start": a.past_start, "past_end": a.past_end, "past_days": a.past_days, "past_required": a.past_required, "condition": &a.condition)));
        }
    }
    for o in options {
        steps.push(step("option.evaluated", Some(o.article.clone()),
            values!("option": &o.id, "unit": o.unit, "required": o.required, "counted": o.counted, "met": o.met)));
    }
    match outcome {
        Outcome::Planned {
            end_date,
            first_benefit_date,
            days_to_work,
            contract_contribution,
        } => {
            steps.push(step("plan.end_date", art("AR art. 30; L. 08/07/1976 art. 60 §7"),
                values!("end_date": end_date, "first_benefit_date": first_benefit_date,
                       "days_to_work": days_to_work, "contract_contribution": contract_contribution)));
        }
        Outcome::Fixed {
            end_date,
            first_benefit_date,
            days_to_work,
            contract_contribution,
            admissible,
        } => {
            steps.push(step(
                "fixed.end_date",
                art("L. 08/07/1976 art. 60 §7; AR art. 30"),
                values!("end_date": end_date, "first_benefit_date": first_benefit_date,
                       "days_to_work": days_to_work, "contract_contribution": contract_contribution,
                       "admissible": admissible),
            ));
        }
        Outcome::NoStageRequired { first_benefit_date } => {
            let article = if readmitted {
                "AR art. 42"
            } else {
                "AR art. 30, 33"
            };
            steps.push(step(
                "plan.no_stage_required",
                art(article),
                values!("first_benefit_date": first_benefit_date, "reason": no_stage),
            ));
        }
        Outcome::Assessed {
            application_date,
            admissible,
        } => {
            steps.push(step(
                "assess.result",
                None,
                values!("application_date": application_date, "admissible": admissible),
            ));
        }
        Outcome::Unreachable {
            best_counted,
            required,
            reason,
            scanned_until,
        } => {
            steps.push(step("plan.unreachable", None, values!("best_counted": best_counted, "required": required, "reason": reason, "scanned_until": scanned_until)));
        }
    }
    if let Some(a) = alternative {
        steps.push(step(
            "plan.alternative_method",
            art("AM art. 7"),
            values!("method": a.method, "end_date": a.end_date, "safe_end_date": a.safe_end_date),
        ));
    }
    if let Some(r) = right {
        steps.push(step("right.duration", art("AR art. 114; AM art. 70"),
            values!("career_days": r.career_days, "available_days": r.available_days, "extra_months": r.extra_months,
                   "months": r.months, "from": r.from, "until": r.until, "unlimited": r.unlimited)));
    }
    for f in provisional {
        steps.push(step(
            "flag.provisional",
            None,
            values!("key": &f.key, "detail": &f.detail),
        ));
    }
    for f in review {
        steps.push(step(
            "flag.manual_review",
            None,
            values!("key": &f.key, "detail": &f.detail),
        ));
    }
    steps
}
