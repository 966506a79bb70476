//! The explanation in plain language (issue 13 §2): first the answer in one sentence, then why,
//! in short sentences a social worker reads without training: which rules apply and why, what
//! is required, the window and what extended it, what each period of the history counted and,
//! when nothing, why, what the contract brings. The step-by-step arithmetic stays available
//! ([`Plain::arithmetic`]).
//!
//! Built only from the result's stable step keys and values and its outcome, so a result
//! stored by an earlier engine version still renders: a sentence whose step is missing is left
//! out. The wording is in Fluent catalogs (`explain/plain/*.ftl`) whose plural selectors give
//! "1 jour" and "2 jours"; dates are written dd/mm/yyyy and decimals with the language's
//! separator.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Months, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::render::{Lang, localise_reference, localise_text, render_step, with_catalog, word};
use crate::result::{CalcResult, Outcome, Step, StepValue, Unit, variant_name};

/// A result explained: the answer, the reasons, and the arithmetic behind them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plain {
    /// The answer in one or two sentences.
    pub answer: String,
    /// Why: one short sentence per reason, in reading order.
    pub why: Vec<String>,
    /// Every step of the calculation, one line each (quarter by quarter).
    pub arithmetic: Vec<String>,
}

const SOURCES: [(Lang, &str); 4] = [
    (Lang::En, include_str!("../../explain/plain/en.ftl")),
    (Lang::Fr, include_str!("../../explain/plain/fr.ftl")),
    (Lang::Nl, include_str!("../../explain/plain/nl.ftl")),
    (Lang::De, include_str!("../../explain/plain/de.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static BTreeMap<&'static str, Bundle> {
    static B: OnceLock<BTreeMap<&'static str, Bundle>> = OnceLock::new();
    B.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(lang, src)| {
                // A catalog that does not parse is left out; a unit test makes sure none is.
                let res = FluentResource::try_new((*src).to_string()).ok()?;
                let id = lang.code().parse().ok()?;
                let mut b = FluentBundle::new_concurrent(vec![id]);
                b.set_use_isolating(false);
                b.add_resource(res).ok()?;
                Some((lang.code(), b))
            })
            .collect()
    })
}

/// Named arguments of a message: text, or a number (selects the plural).
enum Arg {
    T(String),
    N(f64),
}

fn msg(lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
    let Some(b) = bundles().get(lang.code()) else {
        return id.to_string();
    };
    let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
        return id.to_string();
    };
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        match v {
            Arg::T(s) => fa.set(*k, FluentValue::from(s.clone())),
            Arg::N(n) => fa.set(*k, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    b.format_pattern(pattern, Some(&fa), &mut errors)
        .into_owned()
}

/// A date as Belgian readers write it: 02/12/2026.
pub fn date_text(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A count with the language's decimal separator (68,4 in French, Dutch and German).
pub fn number_text(lang: Lang, x: f64) -> String {
    let s = if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match lang {
        Lang::En => s,
        _ => s.replace('.', ","),
    }
}

fn value<'a>(s: &'a Step, k: &str) -> Option<&'a StepValue> {
    s.values.get(k)
}

/// A date value, typed or as read back from a stored result (text).
fn date_of(v: Option<&StepValue>) -> Option<NaiveDate> {
    match v? {
        StepValue::Date(d) => Some(*d),
        StepValue::Text(t) => t.parse().ok(),
        StepValue::Json(serde_json::Value::String(t)) => t.parse().ok(),
        _ => None,
    }
}

fn num_of(v: Option<&StepValue>) -> Option<f64> {
    match v?.to_json() {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(t) => t.parse().ok(),
        _ => None,
    }
}

fn bool_of(v: Option<&StepValue>) -> Option<bool> {
    match v? {
        StepValue::Bool(b) => Some(*b),
        StepValue::Json(serde_json::Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn text_of(v: Option<&StepValue>) -> Option<String> {
    match v? {
        StepValue::Text(t) => Some(t.to_string()),
        StepValue::Json(serde_json::Value::String(t)) => Some(t.clone()),
        _ => None,
    }
}

fn yes(b: bool) -> Arg {
    Arg::T(if b { "yes" } else { "no" }.into())
}

fn d(v: NaiveDate) -> Arg {
    Arg::T(date_text(v))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Years, months and days from `a` to `b` (`a` ≤ `b`), in words: "2 ans et 6 mois".
fn length_text(lang: Lang, a: NaiveDate, b: NaiveDate) -> String {
    let mut months = 0u32;
    while a
        .checked_add_months(Months::new(months + 1))
        .is_some_and(|x| x <= b)
    {
        months += 1;
    }
    let after = a.checked_add_months(Months::new(months)).unwrap_or(a);
    let days = (b - after).num_days();
    let mut parts = Vec::new();
    if months / 12 > 0 {
        parts.push(msg(
            lang,
            "length-years",
            &[("n", Arg::N(f64::from(months / 12)))],
        ));
    }
    if !months.is_multiple_of(12) {
        parts.push(msg(
            lang,
            "length-months",
            &[("n", Arg::N(f64::from(months % 12)))],
        ));
    }
    if days > 0 || parts.is_empty() {
        parts.push(msg(lang, "length-days", &[("n", Arg::N(days as f64))]));
    }
    let and = msg(lang, "length-and", &[]);
    match parts.len() {
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} {and} {last}", parts.join(", "))
        }
    }
}

/// The reference of a sentence, the reader's way, in brackets.
fn cite(lang: Lang, article: Option<&str>) -> String {
    match article {
        Some(a) => format!(" ({})", with_catalog(lang, |c| localise_reference(c, a))),
        None => String::new(),
    }
}

fn unit_code(u: Unit) -> &'static str {
    variant_name(&u).unwrap_or("days")
}

/// The unit's word for `n` ("jour", "jours", "demi-journées"), by the catalog's plural rule.
fn unit_word(lang: Lang, unit: &str, n: f64) -> Arg {
    Arg::T(msg(
        lang,
        "unit-word",
        &[("unit", Arg::T(unit.into())), ("n", Arg::N(n))],
    ))
}

fn days_word(lang: Lang, n: f64) -> Arg {
    Arg::T(msg(lang, "days-word", &[("n", Arg::N(n))]))
}

/// The explanation of `result` in `lang`.
pub fn plain(result: &CalcResult, lang: Lang) -> Plain {
    Plain {
        answer: answer(result, lang),
        why: why(result, lang),
        arithmetic: result.trace.iter().map(|s| render_step(s, lang)).collect(),
    }
}

fn answer(r: &CalcResult, lang: Lang) -> String {
    match &r.outcome {
        Outcome::Planned {
            end_date,
            first_benefit_date,
            days_to_work,
            ..
        } => msg(
            lang,
            "answer-planned",
            &[
                ("end", d(*end_date)),
                ("da", d(*first_benefit_date)),
                ("days", Arg::N(f64::from(*days_to_work))),
                ("days_word", days_word(lang, f64::from(*days_to_work))),
            ],
        ),
        Outcome::Fixed {
            end_date,
            first_benefit_date,
            days_to_work,
            admissible,
            ..
        } => {
            let mut s = msg(
                lang,
                "answer-fixed",
                &[
                    ("end", d(*end_date)),
                    ("da", d(*first_benefit_date)),
                    ("days", Arg::N(f64::from(*days_to_work))),
                    ("days_word", days_word(lang, f64::from(*days_to_work))),
                ],
            );
            if !admissible {
                s.push(' ');
                s.push_str(&msg(lang, "answer-fixed-not-admissible", &[]));
            }
            s
        }
        Outcome::NoStageRequired { first_benefit_date } => {
            msg(lang, "answer-no-stage", &[("da", d(*first_benefit_date))])
        }
        Outcome::Assessed {
            application_date,
            admissible,
        } => msg(
            lang,
            "answer-assessed",
            &[
                ("da", d(*application_date)),
                ("admissible", yes(*admissible)),
            ],
        ),
        Outcome::Unreachable {
            best_counted,
            required,
            scanned_until,
            ..
        } => {
            let unit = r.winning_option.as_ref().map_or(Unit::Days, |o| o.unit);
            msg(
                lang,
                "answer-unreachable",
                &[
                    ("until", d(*scanned_until)),
                    ("best", Arg::T(number_text(lang, *best_counted as f64))),
                    (
                        "best_unit",
                        unit_word(lang, unit_code(unit), *best_counted as f64),
                    ),
                    ("required", Arg::T(number_text(lang, *required as f64))),
                ],
            )
        }
    }
}

fn why(r: &CalcResult, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let step = |key: &str| r.trace.iter().find(|s| s.key == key);
    // Which rules, and why: the DA decides.
    if let Some(s) = step("regime.selected") {
        let regime = text_of(value(s, "regime")).unwrap_or_default();
        let da = date_of(value(s, "application_date"));
        let from = date_of(value(s, "rules_from"));
        let to = date_of(value(s, "rules_to"));
        let da_arg = Arg::T(da.map(date_text).unwrap_or_default());
        out.push(match (regime.as_str(), from, to) {
            ("new", Some(f), _) => msg(lang, "why-rules-new", &[("from", d(f)), ("da", da_arg)]),
            ("old", _, Some(t)) => msg(
                lang,
                "why-rules-old",
                &[("until", d(t.succ_opt().unwrap_or(t))), ("da", da_arg)],
            ),
            _ => msg(
                lang,
                "why-rules-undated",
                &[
                    (
                        "regime",
                        Arg::T(with_catalog(lang, |c| word(c, &regime).to_string())),
                    ),
                    ("da", da_arg),
                ],
            ),
        });
    }
    // No stage (re-admission, or already met): no window to explain.
    let readmitted = r.no_stage_required.is_some();
    if readmitted {
        let reason = r.no_stage_required.clone().unwrap_or_default();
        out.push(msg(lang, "why-no-stage", &[("reason", Arg::T(reason))]));
    }
    if let Some(w) = r.winning_option.as_ref().filter(|_| !readmitted) {
        let regime = r
            .regime
            .and_then(|x| variant_name(&x))
            .unwrap_or("new")
            .to_string();
        out.push(format!(
            "{}{}",
            msg(
                lang,
                "why-required",
                &[
                    ("regime", Arg::T(regime)),
                    (
                        "age",
                        Arg::T(r.age.map(|a| a.to_string()).unwrap_or_default())
                    ),
                    ("required", Arg::T(number_text(lang, w.required as f64))),
                    (
                        "required_unit",
                        unit_word(lang, unit_code(w.unit), w.required as f64)
                    ),
                    ("months", Arg::T(w.window.months.to_string())),
                ],
            ),
            cite(lang, Some(w.article.as_ref()))
        ));
        let win = &w.window;
        out.push(msg(
            lang,
            "why-window",
            &[
                ("months", Arg::T(win.months.to_string())),
                ("start", d(win.base_start)),
                ("end", d(win.end)),
            ],
        ));
        for x in &win.extensions {
            let kind = variant_name(&x.kind).unwrap_or("other");
            let kind = with_catalog(lang, |c| capitalise(word(c, kind)));
            out.push(format!(
                "{}{}",
                msg(
                    lang,
                    "why-extension",
                    &[
                        ("kind", Arg::T(kind)),
                        ("from", d(x.event_start)),
                        ("to", d(x.event_end)),
                        (
                            "length",
                            Arg::T(length_text(lang, x.start_after, x.start_before))
                        ),
                    ],
                ),
                cite(lang, Some("AR art. 30 al. 3"))
            ));
        }
        let extended_start = win
            .extensions
            .iter()
            .map(|x| x.start_after)
            .fold(win.base_start, NaiveDate::min);
        if !win.extensions.is_empty() {
            out.push(msg(
                lang,
                "why-window-extended",
                &[("start", d(extended_start)), ("end", d(win.end))],
            ));
        }
        if let Some(c) = win.cutoff {
            out.push(format!(
                "{}{}",
                msg(
                    lang,
                    "why-cutoff",
                    &[("admission", d(c)), ("start", d(win.start))]
                ),
                cite(lang, Some("AR art. 30 al. 2"))
            ));
        }
        // Each period of the history: what it counted and, when nothing, why.
        for s in &r.trace {
            let id = match s.key.as_ref() {
                "period.counted" => "why-period-counted",
                "period.before_window" => "why-period-before-window",
                "period.before_admission" => "why-period-before-admission",
                "period.not_counted" => "why-period-not-counted",
                _ => continue,
            };
            let name = text_of(value(s, "period")).unwrap_or_default();
            let name = with_catalog(lang, |c| capitalise(&localise_text(c, &name)));
            let kind = text_of(value(s, "kind"))
                .map(|k| with_catalog(lang, |c| word(c, &k).to_string()))
                .unwrap_or_default();
            let counted = num_of(value(s, "counted")).unwrap_or(0.0);
            let mut sentence = msg(
                lang,
                id,
                &[
                    ("period", Arg::T(name)),
                    ("kind", Arg::T(kind)),
                    (
                        "from",
                        Arg::T(
                            date_of(value(s, "start"))
                                .map(date_text)
                                .unwrap_or_default(),
                        ),
                    ),
                    (
                        "to",
                        Arg::T(date_of(value(s, "end")).map(date_text).unwrap_or_default()),
                    ),
                    (
                        "window_start",
                        Arg::T(
                            date_of(value(s, "window_start"))
                                .map(date_text)
                                .unwrap_or_default(),
                        ),
                    ),
                    ("counted", Arg::T(number_text(lang, counted))),
                    ("counted_unit", unit_word(lang, unit_code(w.unit), counted)),
                    ("capped", yes(bool_of(value(s, "capped")).unwrap_or(false))),
                    (
                        "partial",
                        yes(bool_of(value(s, "partial")).unwrap_or(false)),
                    ),
                ],
            );
            if id == "why-period-not-counted" {
                sentence.push_str(&cite(lang, s.article.as_deref()));
            }
            out.push(sentence);
        }
        if let Outcome::Planned {
            contract_contribution,
            days_to_work,
            ..
        }
        | Outcome::Fixed {
            contract_contribution,
            days_to_work,
            ..
        } = r.outcome
        {
            // Counted days are Monday-to-Saturday days: say so when they differ from the
            // working days the answer gave.
            let converted =
                w.unit == Unit::Days && contract_contribution != i64::from(days_to_work);
            out.push(msg(
                lang,
                "why-contract",
                &[
                    (
                        "contribution",
                        Arg::T(number_text(lang, contract_contribution as f64)),
                    ),
                    (
                        "contribution_unit",
                        unit_word(lang, unit_code(w.unit), contract_contribution as f64),
                    ),
                    ("converted", yes(converted)),
                    ("days", Arg::T(days_to_work.to_string())),
                ],
            ));
        }
        out.push(msg(
            lang,
            "why-total",
            &[
                ("counted", Arg::T(number_text(lang, w.counted as f64))),
                (
                    "counted_unit",
                    unit_word(lang, unit_code(w.unit), w.counted as f64),
                ),
                ("required", Arg::T(number_text(lang, w.required as f64))),
            ],
        ));
    }
    if let (Some(a), Some(end)) = (&r.alternative, r.end_date())
        && let Some(other) = a.end_date.filter(|o| *o != end)
    {
        out.push(msg(lang, "why-alternative", &[("end", d(other))]));
        if let Some(safe) = a.safe_end_date.filter(|s| *s != end) {
            out.push(msg(lang, "why-alternative-safe", &[("safe", d(safe))]));
        }
    }
    if let Some(x) = &r.right {
        out.push(format!(
            "{}{}",
            msg(
                lang,
                "why-right",
                &[
                    ("unlimited", yes(x.unlimited)),
                    ("months", Arg::T(x.months.to_string())),
                    ("from", d(x.from)),
                    ("until", Arg::T(x.until.map(date_text).unwrap_or_default())),
                ],
            ),
            cite(lang, Some("AR art. 114"))
        ));
    }
    // The flags, in the words of their own steps (what to check and why).
    for s in r
        .trace
        .iter()
        .filter(|s| matches!(s.key.as_ref(), "flag.provisional" | "flag.manual_review"))
    {
        out.push(render_step(s, lang));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_parses_and_has_every_message() {
        let en = FluentResource::try_new(SOURCES[0].1.to_string()).unwrap();
        let ids: Vec<String> = en
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect();
        assert!(ids.len() > 20);
        for (lang, src) in SOURCES {
            let res = FluentResource::try_new(src.to_string())
                .unwrap_or_else(|(_, e)| panic!("{lang:?}: {e:?}"));
            assert!(bundles().contains_key(lang.code()), "{lang:?}");
            let mine: Vec<String> = res
                .entries()
                .filter_map(|e| match e {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                    _ => None,
                })
                .collect();
            assert_eq!(
                mine, ids,
                "{lang:?} has the same messages in the same order"
            );
        }
    }

    #[test]
    fn plurals_and_numbers_read_the_readers_way() {
        assert_eq!(number_text(Lang::Fr, 68.4), "68,4");
        assert_eq!(number_text(Lang::En, 68.4), "68.4");
        assert_eq!(number_text(Lang::De, 312.0), "312");
        let a = NaiveDate::from_ymd_opt(2021, 8, 17).unwrap();
        let b = NaiveDate::from_ymd_opt(2024, 2, 17).unwrap();
        assert_eq!(length_text(Lang::Fr, a, b), "2 ans et 6 mois");
        assert_eq!(length_text(Lang::Nl, a, b), "2 jaar en 6 maanden");
        assert_eq!(length_text(Lang::De, a, b), "2 Jahre und 6 Monate");
        let c = NaiveDate::from_ymd_opt(2023, 8, 17).unwrap();
        let e = NaiveDate::from_ymd_opt(2024, 2, 12).unwrap();
        assert_eq!(length_text(Lang::Fr, c, e), "5 mois et 26 jours");
        assert_eq!(
            length_text(Lang::En, c, c.succ_opt().unwrap()),
            "1 day",
            "one day, singular"
        );
        assert_eq!(
            length_text(Lang::De, c, c.checked_add_months(Months::new(13)).unwrap()),
            "1 Jahr und 1 Monat"
        );
    }
}
