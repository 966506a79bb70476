//! Readable explanation of a result's trace, in English, French, Dutch or German. Each step
//! key has a template per language (`explain/*.toml`); values that are words (yes/no, regime,
//! event kinds) are translated too. A unit test fails when a key or a word is missing.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::result::{CalcResult, Step, StepValue};

/// A language the explanation is available in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Fr,
    Nl,
    De,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::Nl, Lang::De];
    pub fn parse(s: &str) -> Option<Lang> {
        match s.get(..2)?.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "nl" => Some(Lang::Nl),
            "de" => Some(Lang::De),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Nl => "nl",
            Lang::De => "de",
        }
    }
}

/// Every step key the engine emits.
pub const KEYS: &[&str] = &[
    "regime.selected",
    "precheck.art42_old",
    "precheck.art42_new",
    "status.full_time",
    "status.assimilated_full_time",
    "status.voluntary_part_time",
    "status.assimilated_full_time_assumed",
    "status.voluntary_part_time_assumed",
    "route.art33_access",
    "window.base",
    "window.extended",
    "window.cutoff",
    "period.before_window",
    "period.before_admission",
    "period.counted",
    "period.not_counted",
    "count.quarter",
    "count.total",
    "art32.past",
    "option.evaluated",
    "plan.end_date",
    "fixed.end_date",
    "plan.no_stage_required",
    "assess.result",
    "plan.unreachable",
    "plan.alternative_method",
    "right.duration",
    "flag.provisional",
    "flag.manual_review",
];

#[derive(Debug, Deserialize)]
pub(crate) struct Catalog {
    #[serde(default)]
    words: BTreeMap<String, String>,
    /// The legal references the reader's way (`AR` → `KB` in Dutch...), word by word.
    #[serde(default)]
    references: BTreeMap<String, String>,
    #[serde(flatten)]
    templates: BTreeMap<String, toml::Value>,
}

const SOURCES: [(Lang, &str); 4] = [
    (Lang::En, include_str!("../../explain/en.toml")),
    (Lang::Fr, include_str!("../../explain/fr.toml")),
    (Lang::Nl, include_str!("../../explain/nl.toml")),
    (Lang::De, include_str!("../../explain/de.toml")),
];

/// `f` applied to the language's catalog (the word list, the references); the empty string
/// when the catalog is missing (a unit test makes sure none is).
pub(crate) fn with_catalog(lang: Lang, f: impl FnOnce(&Catalog) -> String) -> String {
    catalogs().get(lang.code()).map(f).unwrap_or_default()
}

fn catalogs() -> &'static BTreeMap<&'static str, Catalog> {
    static C: OnceLock<BTreeMap<&'static str, Catalog>> = OnceLock::new();
    C.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(l, src)| toml::from_str::<Catalog>(src).ok().map(|c| (l.code(), c)))
            .collect()
    })
}

pub(crate) fn word<'a>(cat: &'a Catalog, w: &'a str) -> &'a str {
    cat.words.get(w).map_or(w, String::as_str)
}

/// Translates the engine's labels inside a text: `history[2]` (the third period), `contract`,
/// `contract.absences[0]`, flag keys and other listed words; everything else stays.
pub(crate) fn localise_text(cat: &Catalog, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for (i, token) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let indexed = |prefix: &str| {
            token
                .strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|n| n.parse::<usize>().ok())
        };
        if let Some(n) = indexed("history[") {
            out.push_str(&format!("{} {}", word(cat, "period"), n + 1));
        } else if let Some(n) = indexed("contract.absences[") {
            out.push_str(&format!("{} {}", word(cat, "absence"), n + 1));
        } else if token.contains('.') && token.parse::<f64>().is_ok() {
            // A decimal inside a text (a quarter's formula): the reader's separator too.
            out.push_str(&decimal(cat, token));
        } else {
            out.push_str(word(cat, token));
        }
    }
    out
}

fn step_value_text(cat: &Catalog, v: &StepValue) -> String {
    match v {
        StepValue::Null => word(cat, "none").to_string(),
        StepValue::Bool(b) => word(cat, if *b { "true" } else { "false" }).to_string(),
        // A stored result holds its dates as text: written the reader's way all the same.
        StepValue::Text(s) => match s.parse::<chrono::NaiveDate>() {
            Ok(d) if s.len() == 10 => super::plain::date_text(d),
            _ => localise_text(cat, s),
        },
        StepValue::Date(d) => super::plain::date_text(*d),
        StepValue::Quarter(q) => q.to_string(),
        StepValue::Int(i) => i.to_string(),
        // Numbers as written in the JSON result, with the language's decimal separator.
        StepValue::Float(_) | StepValue::Fixed(_) | StepValue::Hours(_) => {
            decimal(cat, &v.to_json().to_string())
        }
        StepValue::Json(j) => value_text(cat, j),
    }
}

/// `68.4` with the catalog's decimal separator (`[words] decimal_separator`).
fn decimal(cat: &Catalog, n: &str) -> String {
    match cat.words.get("decimal_separator") {
        Some(sep) => n.replace('.', sep),
        None => n.to_string(),
    }
}

fn value_text(cat: &Catalog, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => word(cat, "none").to_string(),
        serde_json::Value::Bool(b) => word(cat, if *b { "true" } else { "false" }).to_string(),
        serde_json::Value::String(s) => localise_text(cat, s),
        serde_json::Value::Number(n) => decimal(cat, &n.to_string()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                serde_json::Value::Object(m) => m
                    .iter()
                    .map(|(_, x)| value_text(cat, x))
                    .collect::<Vec<_>>()
                    .join(" "),
                x => value_text(cat, x),
            })
            .collect::<Vec<_>>()
            .join(" + "),
        serde_json::Value::Object(_) => v.to_string(),
    }
}

/// One step as a sentence.
pub fn render_step(step: &Step, lang: Lang) -> String {
    let Some(cat) = catalogs().get(lang.code()) else {
        return step.key.to_string();
    };
    let Some(template) = cat
        .templates
        .get(step.key.as_ref())
        .and_then(|t| t.as_str())
    else {
        return step.key.to_string();
    };
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match step.values.get(name) {
                    Some(v) => out.push_str(&step_value_text(cat, v)),
                    None => out.push_str(word(cat, "none")),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if let Some(a) = &step.article {
        out.push_str(" [");
        out.push_str(&localise_reference(cat, a));
        out.push(']');
    }
    out
}

/// A legal reference in the reader's abbreviations: each word the language's `references`
/// table names is replaced (`AR art. 30 al. 3` → `KB art. 30 lid 3`), punctuation kept.
pub(crate) fn localise_reference(cat: &Catalog, reference: &str) -> String {
    if cat.references.is_empty() {
        return reference.to_string();
    }
    reference
        .split(' ')
        .map(|token| {
            let core = token.trim_end_matches([',', ';', ')']);
            let (lead, core) = match core.strip_prefix('(') {
                Some(c) => ("(", c),
                None => ("", core),
            };
            match cat.references.get(core) {
                Some(r) => format!("{lead}{r}{}", &token[lead.len() + core.len()..]),
                None => token.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The whole explanation, one numbered line per step.
pub fn render(result: &CalcResult, lang: Lang) -> String {
    result
        .trace
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{:>2}. {}\n", i + 1, render_step(s, lang)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_and_word() {
        let en = &catalogs()["en"];
        for (lang, src) in SOURCES {
            let c: Catalog = toml::from_str(src).unwrap_or_else(|e| panic!("{lang:?}: {e}"));
            for k in KEYS {
                assert!(
                    c.templates.get(*k).and_then(|t| t.as_str()).is_some(),
                    "{lang:?} lacks {k}"
                );
            }
            for w in en.words.keys() {
                assert!(c.words.contains_key(w), "{lang:?} lacks word {w}");
            }
            assert_eq!(c.templates.len(), KEYS.len(), "{lang:?} has unknown keys");
        }
    }

    #[test]
    fn legal_references_read_the_readers_way() {
        // Issue 13: in Dutch and German the references stayed French (AR, AM, al.).
        let cats = catalogs();
        let r = |lang: &str, s: &str| localise_reference(&cats[lang], s);
        assert_eq!(r("nl", "AR art. 30 al. 3"), "KB art. 30 lid 3");
        assert_eq!(
            r("de", "AR art. 28 §2, 29 §4; AM art. 5"),
            "KE Art. 28 §2, 29 §4; ME Art. 5"
        );
        assert_eq!(
            r("en", "AR art. 42; Loi-programme 2025-07-18 art. 212"),
            "RD art. 42; Programme Law 2025-07-18 art. 212"
        );
        assert_eq!(
            r(
                "nl",
                "AR 25/11/1991 art. 30 al. 1 (Loi-programme 2025-07-18)"
            ),
            "KB 25/11/1991 art. 30 lid 1 (Programmawet 2025-07-18)"
        );
        assert_eq!(r("fr", "AR art. 30 al. 3"), "AR art. 30 al. 3");
    }

    #[test]
    fn regime_and_counts_read_grammatically() {
        // Issue 13: "de van 2026 regels", "312 von 312 Tage".
        let regime = Step {
            key: "regime.selected".into(),
            article: None,
            values: crate::result::StepValues(vec![
                (
                    "application_date".into(),
                    StepValue::Text("2027-01-04".into()),
                ),
                ("regime".into(), StepValue::Text("new".into())),
                ("age".into(), StepValue::Int(30)),
            ]),
        };
        assert!(render_step(&regime, Lang::Nl).contains("de regels van 2026 zijn"));
        let option = Step {
            key: "option.evaluated".into(),
            article: None,
            values: crate::result::StepValues(vec![
                ("option".into(), StepValue::Text("art30_band0".into())),
                ("unit".into(), StepValue::Text("days".into())),
                ("required".into(), StepValue::Int(312)),
                ("counted".into(), StepValue::Int(312)),
                ("met".into(), StepValue::Bool(true)),
            ]),
        };
        assert!(render_step(&option, Lang::De).contains("312 Tage gezählt, 312 erforderlich"));
    }

    #[test]
    fn placeholders_are_filled_and_words_translated() {
        let step = Step {
            key: "assess.result".into(),
            article: None,
            values: crate::result::StepValues(vec![
                (
                    "application_date".into(),
                    StepValue::Date(chrono::NaiveDate::from_ymd_opt(2026, 5, 4).unwrap()),
                ),
                ("admissible".into(), StepValue::Bool(true)),
            ]),
        };
        assert_eq!(
            render_step(&step, Lang::Fr),
            "Le 04/05/2026, la personne est admissible : oui."
        );
        assert_eq!(
            render_step(&step, Lang::Nl),
            "Op 04/05/2026 is de persoon toelaatbaar: ja."
        );
    }
}
