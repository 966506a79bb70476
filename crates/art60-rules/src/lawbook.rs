//! The law book (issue 12 part E): what the engine applies at one benefit application date
//! (DA), article by article in the order of `src/law/`, for a reader who does not read Rust.
//!
//! Each article says the rule in plain words, the parameters in force at the date with their
//! values, validity and legal reference ([`ParamSet::entries_at`]), the policy options that
//! touch it with their default and choices (read from [`Options`] through serde and schemars),
//! and the worked examples (SPEC §8) and tests that check it. The texts are data, one file per
//! language (`lawbook/*.toml`), with the legal references written the reader's way (AR/AM in
//! French, KB/MB in Dutch, KE/ME in German, RD/MD in English). Pure: no I/O.
//!
//! The tests (`tests/lawbook.rs`) fail when an article file of `src/law/` has no entry here,
//! when a parameter key is in no article, or when a rendered book leaves a value out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::explain::Lang;
use crate::options::Options;
use crate::params::{EntryInForce, ParamEntry, ParamError, ParamSet, RegimeId};

/// What the engine applies under one article, apart from the words: the SPEC section, the
/// parameters it uses, the option names (top level of [`Options`]; a nested option brings all
/// its parts), the worked example IDs of SPEC §8 and the names of the tests that check the
/// article without an example ID.
///
/// A parameter is a top-level key of `params/belgium.toml` (all its values), or a key and a
/// field (`stage.bands`: that field only, as the book names values: `stage.art32` brings
/// `art32.min_age`...). Several fields of one key are shown as one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Article {
    /// The stem of the article's file in `src/law/`.
    pub key: &'static str,
    pub spec: &'static str,
    pub params: &'static [&'static str],
    pub options: &'static [&'static str],
    pub examples: &'static [&'static str],
    pub tests: &'static [&'static str],
}

/// The articles in the order of `src/law/` (the order `law::assess_at` calls them, SPEC §3).
pub const ARTICLES: [Article; 16] = [
    Article {
        key: "facts",
        spec: "§3.14",
        params: &[
            "counting.default_days_per_week",
            "counting.default_reference_hours",
        ],
        options: &["art60_contribution_check"],
        examples: &[],
        tests: &[
            "history_periods_must_end_before_the_contract",
            "bad_input_names_the_field",
        ],
    },
    Article {
        key: "regime",
        spec: "§3.1",
        params: &["regime"],
        options: &[],
        examples: &["EX02", "E2"],
        tests: &[
            "da_crossing_2026_03_01_switches_the_requirement",
            "no_rule_in_force_is_an_error",
        ],
    },
    Article {
        key: "readmission",
        spec: "§3.2",
        params: &["art42"],
        options: &["art60_is_reemployment_programme", "extension_unit"],
        examples: &["EX35", "EX36", "EX37", "EX38", "EX39"],
        tests: &[
            "art212_flagged_when_still_readmissible_under_the_old_art42",
            "a_last_paid_day_after_the_contract_start_readmits_on_that_day",
        ],
    },
    Article {
        key: "status",
        spec: "§3.3 1-4, 6",
        params: &[
            "reference_wage",
            "counting.status_job_days_one_week",
            "counting.status_job_days_four_weeks",
            "art33_access.half_allowances_full_week",
        ],
        options: &["status_min_job_length"],
        examples: &["EX17", "EX18", "EX19", "EX22", "EX34"],
        tests: &[
            "a_part_timer_with_pay_before_any_reference_wage_gets_the_safer_status_and_a_flag",
        ],
    },
    Article {
        key: "route_art33",
        spec: "§3.3 4-5",
        params: &[
            "art33_access.min_hours",
            "art33_access.reference_fraction",
            "art33_access.min_job_days",
            "art33_access.lookback_months",
            "stage.art33_extra_months",
            "stage.fulltime_art33_fraction",
        ],
        options: &[],
        examples: &["EX20", "EX21", "EX31", "EX32", "EX34"],
        tests: &["part_time_below_art33_hours_is_unreachable_with_the_reason"],
    },
    Article {
        key: "bands_art30",
        spec: "§3.4",
        params: &[
            "stage.bands",
            "stage.older_bands_allowed",
            "covid_2021_extension",
        ],
        options: &["reference_start_month_end"],
        examples: &["EX01", "EX02", "E2", "EX28"],
        tests: &["age_crossing_36_raises_the_old_requirement"],
    },
    Article {
        key: "past_career_art32",
        spec: "§3.11",
        params: &["stage.art32"],
        options: &[],
        examples: &["EX33"],
        tests: &["art32_for_a_career_begun_inside_the_ten_years"],
    },
    Article {
        key: "extensions",
        spec: "§3.5.1-2",
        params: &["extensions"],
        options: &["extension_unit"],
        examples: &["EX04", "EX05", "EX08", "EX09"],
        tests: &[
            "insured_sickness_counts_in_the_old_regime_and_extends_in_the_new",
            "an_extending_event_never_shrinks_the_reference_period",
        ],
    },
    Article {
        key: "cutoff",
        spec: "§3.5.3",
        params: &["stage.prior_admission_cutoff"],
        options: &[
            "prior_admission_kinds",
            "prior_admission_scope",
            "prior_admission_anchor",
        ],
        examples: &["EX-2"],
        tests: &[],
    },
    Article {
        key: "categories_art38",
        spec: "§3.6",
        params: &["categories", "unpaid_cap.r6_days_per_year", "rmmmg"],
        options: &["open_assimilations"],
        examples: &[],
        tests: &[
            "codes_5_and_13_count_only_when_paid_with_the_unemployment_contribution",
            "pay_below_the_rmmmg_goes_to_the_officer",
            "insured_sickness_counts_in_the_old_regime_and_extends_in_the_new",
            "unpaid_leave_old_regime_within_12_days_a_year",
        ],
    },
    Article {
        key: "counting_am7",
        spec: "§3.7, §3.8",
        params: &["counting.full_quarter", "counting.half_day_factor"],
        options: &["quarter_cap_method", "rounding_mode"],
        examples: &["EX11", "EX12", "EX13", "EX14", "E8", "EX26", "EX31"],
        tests: &[
            "a_whole_quarter_counts_78_only_without_interruption",
            "method_a_caps_declared_jobs_at_their_r6_days",
            "method_a_does_not_cap_weekend_teams",
            "teachers_piece_rate_and_sports_workers_go_to_the_officer",
        ],
    },
    Article {
        key: "undeclared_am7",
        spec: "§3.6 (scheme 3)",
        params: &["unpaid_cap.completion_tolerance_days"],
        options: &["undeclared_completion"],
        examples: &["EX15", "EX16"],
        tests: &["scheme3_completion_stays_within_the_yearly_cap_and_the_old_regime"],
    },
    Article {
        key: "no_interruption",
        spec: "§3.10",
        params: &[],
        options: &[],
        examples: &["E6"],
        tests: &[
            "typed_periods_in_quarters_without_dmfa_yet_are_provisional",
            "no_interruption_fills_only_quarters_that_cannot_be_declared_yet",
        ],
    },
    Article {
        key: "contract_art60",
        spec: "§3.12, §3.14",
        params: &["counting.max_scan_months"],
        options: &["art60_contribution_check", "quarter_cap_method"],
        examples: &["EX01", "EX24", "EX25", "EX26", "EX28", "EX31", "EX32"],
        tests: &["the_plan_is_the_first_feasible_date"],
    },
    Article {
        key: "foreign",
        spec: "§3.9",
        params: &["foreign", "permit_gap_days"],
        options: &["foreign_followup_6_months", "morocco_convention"],
        examples: &["EX23", "E10"],
        tests: &[
            "q9_morocco_defaults_to_manual_review",
            "the_foreign_follow_up_does_not_count_declared_temporary_unemployment",
            "a_permit_gap_and_the_officers_decision_on_foreign_periods",
        ],
    },
    Article {
        key: "right_duration_art114",
        spec: "§3.13",
        params: &["right", "interruption_days"],
        options: &["art33_duration_units"],
        examples: &["D-1", "D-2", "D-3", "D-4", "D-5", "D-6", "D-7", "EX-1"],
        tests: &[
            "career_years_for_the_unlimited_right_are_days_over_312",
            "a_fresh_right_after_an_interruption_of_28_days",
        ],
    },
];

/// Parameters of the case service, not of the calculation: shown in the book's annex.
pub const ANNEX_PARAMS: &[&str] = &["procedure"];

/// The words around the content, per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Between a label and its value: ": ", or " : " in French.
    pub colon: String,
    pub title: String,
    /// `{date}`: the DA the book is written for.
    pub intro: String,
    pub regime_old: String,
    pub regime_new: String,
    pub regime_none: String,
    pub param_set: String,
    pub contents: String,
    pub reference: String,
    pub spec: String,
    pub parameters: String,
    pub no_parameters: String,
    pub no_rule: String,
    /// `{from}`.
    pub valid_from: String,
    /// `{from}`, `{to}`.
    pub valid_from_to: String,
    pub name: String,
    pub value: String,
    pub options: String,
    pub no_options: String,
    pub option: String,
    /// The column of what an option decides.
    pub what: String,
    pub default: String,
    pub choices: String,
    pub examples: String,
    pub no_examples: String,
    pub tests: String,
    pub annex_title: String,
    pub annex_intro: String,
}

/// One article's words: `rule` always applies; `old` / `new` add what the regime in force on
/// the DA applies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleText {
    title: String,
    reference: String,
    rule: String,
    #[serde(default)]
    old: Option<String>,
    #[serde(default)]
    new: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    labels: Labels,
    /// What each option decides, by its dotted name (`open_assimilations.code_51`).
    options: BTreeMap<String, String>,
    articles: BTreeMap<String, ArticleText>,
}

const SOURCES: [(Lang, &str); 4] = [
    (Lang::En, include_str!("../lawbook/en.toml")),
    (Lang::Fr, include_str!("../lawbook/fr.toml")),
    (Lang::Nl, include_str!("../lawbook/nl.toml")),
    (Lang::De, include_str!("../lawbook/de.toml")),
];

fn catalogs() -> &'static BTreeMap<&'static str, Result<Catalog, String>> {
    static C: OnceLock<BTreeMap<&'static str, Result<Catalog, String>>> = OnceLock::new();
    C.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(l, src)| {
                (
                    l.code(),
                    toml::from_str::<Catalog>(src).map_err(|e| e.to_string()),
                )
            })
            .collect()
    })
}

fn catalog(lang: Lang) -> Result<&'static Catalog, LawBookError> {
    match catalogs().get(lang.code()) {
        Some(Ok(c)) => Ok(c),
        Some(Err(e)) => Err(LawBookError::Texts {
            lang: lang.code(),
            reason: e.clone(),
        }),
        None => Err(LawBookError::Texts {
            lang: lang.code(),
            reason: "no text file".into(),
        }),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LawBookError {
    /// The embedded texts of a language do not parse or lack an entry (a build defect: the
    /// test suite reads every language).
    #[error("law book texts ({lang}): {reason}")]
    Texts { lang: &'static str, reason: String },
    #[error(transparent)]
    Params(#[from] ParamError),
}

/// A policy option as the book shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionView {
    /// Dotted for a nested option: `open_assimilations.code_51`.
    pub name: String,
    pub description: String,
    pub default: String,
    pub choices: Vec<String>,
}

/// One article at the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleView {
    pub number: usize,
    pub key: &'static str,
    pub title: String,
    pub reference: String,
    pub spec: &'static str,
    /// The rule, then what the regime in force adds.
    pub rule: Vec<String>,
    pub params: Vec<ParamView>,
    pub options: Vec<OptionView>,
    pub examples: &'static [&'static str],
    pub tests: &'static [&'static str],
}

/// A parameter key at the date, with its validity already in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamView {
    pub key: String,
    /// "in force from ... to ...", or "no rule in force on that date".
    pub validity: String,
    pub in_force: Option<EntryInForce>,
}

/// The whole book at one date, in one language; rendered as text or Markdown here and as
/// HTML by the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LawBook {
    pub at: NaiveDate,
    pub lang: Lang,
    pub labels: Labels,
    pub intro: String,
    pub regime: Option<RegimeId>,
    pub regime_text: String,
    pub param_set: String,
    pub articles: Vec<ArticleView>,
    pub annex: Vec<ParamView>,
}

/// The options' names, defaults and choices, flattened to dotted names
/// (`open_assimilations.code_51`), sorted by name.
pub fn option_views() -> Vec<(String, String, Vec<String>)> {
    let defaults = serde_json::to_value(Options::default()).unwrap_or_default();
    let schema = schemars::schema_for!(Options);
    let schema = schema.as_value();
    let mut out = Vec::new();
    if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
        for (name, prop) in props {
            walk_option(schema, name, prop, defaults.get(name), &mut out);
        }
    }
    out
}

fn resolve<'a>(root: &'a serde_json::Value, v: &'a serde_json::Value) -> &'a serde_json::Value {
    v.get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| root.get("$defs")?.get(name))
        .unwrap_or(v)
}

fn walk_option(
    root: &serde_json::Value,
    name: &str,
    prop: &serde_json::Value,
    default: Option<&serde_json::Value>,
    out: &mut Vec<(String, String, Vec<String>)>,
) {
    let def = resolve(root, prop);
    if let Some(props) = def.get("properties").and_then(|p| p.as_object()) {
        for (k, p) in props {
            walk_option(
                root,
                &format!("{name}.{k}"),
                p,
                default.and_then(|d| d.get(k)),
                out,
            );
        }
        return;
    }
    let mut choices = Vec::new();
    collect_choices(root, def, &mut choices);
    let default = match default {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    // SPEC §5 lists the default first; schemars groups undocumented variants first.
    if let Some(i) = choices.iter().position(|c| *c == default) {
        let d = choices.remove(i);
        choices.insert(0, d);
    }
    out.push((name.to_string(), default, choices));
}

fn collect_choices(root: &serde_json::Value, v: &serde_json::Value, out: &mut Vec<String>) {
    let v = resolve(root, v);
    let text = |x: &serde_json::Value| x.as_str().map_or_else(|| x.to_string(), str::to_owned);
    if let Some(c) = v.get("const") {
        out.push(text(c));
    }
    if let Some(list) = v.get("enum").and_then(|e| e.as_array()) {
        out.extend(list.iter().map(text));
    }
    for key in ["oneOf", "anyOf"] {
        for x in v.get(key).and_then(|e| e.as_array()).into_iter().flatten() {
            collect_choices(root, x, out);
        }
    }
    if v.get("type").and_then(|t| t.as_str()) == Some("boolean") {
        out.extend(["false".to_string(), "true".to_string()]);
    }
}

fn validity(l: &Labels, e: Option<&EntryInForce>) -> String {
    match e {
        None => l.no_rule.clone(),
        Some(EntryInForce { from, to: None, .. }) => {
            l.valid_from.replace("{from}", &from.to_string())
        }
        Some(EntryInForce {
            from, to: Some(to), ..
        }) => l
            .valid_from_to
            .replace("{from}", &from.to_string())
            .replace("{to}", &to.to_string()),
    }
}

fn param_view(l: &Labels, e: &ParamEntry) -> ParamView {
    ParamView {
        key: e.key.clone(),
        validity: validity(l, e.in_force.as_ref()),
        in_force: e.in_force.clone(),
    }
}

/// Whether the value `name` of a parameter entry is one the selector `field` picks: the
/// field itself, a part of it (`art32.min_age`) or an element of it (`bands[2]`).
pub fn selects(field: &str, name: &str) -> bool {
    name.strip_prefix(field)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The parameters of one article at the date: one entry per key, in the order the article
/// first names each key, with only the values its selectors pick.
fn article_params(l: &Labels, entries: &[ParamEntry], selectors: &[&str]) -> Vec<ParamView> {
    let mut keys: Vec<(&str, Vec<&str>)> = Vec::new();
    for sel in selectors {
        let (key, field) = match sel.split_once('.') {
            Some((k, f)) => (k, Some(f)),
            None => (*sel, None),
        };
        let pos = match keys.iter().position(|(k, _)| *k == key) {
            Some(p) => p,
            None => {
                keys.push((key, Vec::new()));
                keys.len() - 1
            }
        };
        // An empty list of fields means the whole key.
        if let (Some(f), Some((_, fields))) = (field, keys.get_mut(pos)) {
            fields.push(f);
        }
    }
    keys.into_iter()
        .map(|(key, fields)| {
            let mut e = entries
                .iter()
                .find(|e| e.key == key)
                .cloned()
                .unwrap_or_else(|| ParamEntry {
                    key: key.to_string(),
                    in_force: None,
                });
            if let Some(inf) = &mut e.in_force
                && !fields.is_empty()
            {
                inf.values
                    .retain(|(name, _)| fields.iter().any(|f| selects(f, name)));
            }
            param_view(l, &e)
        })
        .collect()
}

/// The law book the engine applies to a benefit application dated `at`.
pub fn book(params: &ParamSet, at: NaiveDate, lang: Lang) -> Result<LawBook, LawBookError> {
    let cat = catalog(lang)?;
    let l = &cat.labels;
    let entries = params.entries_at(at)?;
    let entry = |key: &str| entries.iter().find(|e| e.key == key);
    let regime = params.regime_at(at).ok().map(|r| r.value.id);
    let options = option_views();
    let missing = |what: String| LawBookError::Texts {
        lang: lang.code(),
        reason: format!("no text for {what}"),
    };
    let mut articles = Vec::with_capacity(ARTICLES.len());
    for (i, a) in ARTICLES.iter().enumerate() {
        let t = cat
            .articles
            .get(a.key)
            .ok_or_else(|| missing(format!("article {}", a.key)))?;
        let mut rule = vec![t.rule.clone()];
        rule.extend(match regime {
            Some(RegimeId::Old) => t.old.clone(),
            Some(RegimeId::New) => t.new.clone(),
            None => None,
        });
        let mut opts = Vec::new();
        for name in a.options {
            for (full, default, choices) in &options {
                let part_of = full
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
                if part_of {
                    opts.push(OptionView {
                        name: full.clone(),
                        description: cat
                            .options
                            .get(full)
                            .cloned()
                            .ok_or_else(|| missing(format!("option {full}")))?,
                        default: default.clone(),
                        choices: choices.clone(),
                    });
                }
            }
        }
        articles.push(ArticleView {
            number: i + 1,
            key: a.key,
            title: t.title.clone(),
            reference: t.reference.clone(),
            spec: a.spec,
            rule,
            params: article_params(l, &entries, a.params),
            options: opts,
            examples: a.examples,
            tests: a.tests,
        });
    }
    let annex = ANNEX_PARAMS
        .iter()
        .filter_map(|k| entry(k))
        .map(|e| param_view(l, e))
        .collect();
    Ok(LawBook {
        at,
        lang,
        labels: l.clone(),
        intro: l.intro.replace("{date}", &at.to_string()),
        regime,
        regime_text: match regime {
            Some(RegimeId::Old) => l.regime_old.clone(),
            Some(RegimeId::New) => l.regime_new.clone(),
            None => l.regime_none.clone(),
        },
        param_set: format!("{}{}{} {}", l.param_set, l.colon, params.id, params.version),
        articles,
        annex,
    })
}

/// Wraps `text` at `width` characters, every line indented by `indent` spaces.
fn wrap(out: &mut String, text: &str, indent: usize, width: usize) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(out, "{:indent$}{line}", "");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
}

const WIDTH: usize = 100;

fn params_text(out: &mut String, l: &Labels, params: &[ParamView]) {
    for p in params {
        match &p.in_force {
            None => {
                let _ = writeln!(out, "     {}{}{}", p.key, l.colon, p.validity);
            }
            Some(e) => {
                let _ = writeln!(out, "     {} ({})", p.key, p.validity);
                wrap(
                    out,
                    &format!("{}{}{}", l.reference, l.colon, e.reference),
                    7,
                    WIDTH,
                );
                for (name, value) in &e.values {
                    wrap(out, &format!("{name} = {value}"), 7, WIDTH);
                }
            }
        }
    }
}

/// The book as plain text (the `art60 law` command).
pub fn render_text(b: &LawBook) -> String {
    let l = &b.labels;
    let mut out = String::new();
    let _ = writeln!(out, "{}", l.title.to_uppercase());
    wrap(&mut out, &b.intro, 0, WIDTH);
    wrap(&mut out, &b.regime_text, 0, WIDTH);
    let _ = writeln!(out, "{}", b.param_set);
    for a in &b.articles {
        let _ = writeln!(out);
        let _ = writeln!(out, "{:>2}. {}", a.number, a.title);
        wrap(
            &mut out,
            &format!(
                "{}{}{} · {}{}{}",
                l.reference, l.colon, a.reference, l.spec, l.colon, a.spec
            ),
            4,
            WIDTH,
        );
        for r in &a.rule {
            wrap(&mut out, r, 4, WIDTH);
        }
        if a.params.is_empty() {
            let _ = writeln!(out, "    {}{}{}", l.parameters, l.colon, l.no_parameters);
        } else {
            let _ = writeln!(out, "    {}{}", l.parameters, l.colon.trim_end());
            params_text(&mut out, l, &a.params);
        }
        if a.options.is_empty() {
            let _ = writeln!(out, "    {}{}{}", l.options, l.colon, l.no_options);
        } else {
            let _ = writeln!(out, "    {}{}", l.options, l.colon.trim_end());
            for o in &a.options {
                let _ = writeln!(
                    out,
                    "     {} = {} ({}{}{})",
                    o.name,
                    o.default,
                    l.choices,
                    l.colon,
                    o.choices.join(" | ")
                );
                wrap(&mut out, &o.description, 7, WIDTH);
            }
        }
        let examples = if a.examples.is_empty() {
            l.no_examples.clone()
        } else {
            a.examples.join(", ")
        };
        wrap(
            &mut out,
            &format!("{}{}{examples}", l.examples, l.colon),
            4,
            WIDTH,
        );
        if !a.tests.is_empty() {
            wrap(
                &mut out,
                &format!("{}{}{}", l.tests, l.colon, a.tests.join(", ")),
                4,
                WIDTH,
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", l.annex_title);
    wrap(&mut out, &l.annex_intro, 4, WIDTH);
    params_text(&mut out, l, &b.annex);
    out
}

/// A table cell: no line break, no column separator.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn params_markdown(out: &mut String, l: &Labels, params: &[ParamView]) {
    for p in params {
        match &p.in_force {
            None => {
                let _ = writeln!(out, "- `{}`{}{}", p.key, l.colon, p.validity);
            }
            Some(e) => {
                let _ = writeln!(
                    out,
                    "\n`{}`, {}. {}{}{}\n",
                    p.key, p.validity, l.reference, l.colon, e.reference
                );
                let _ = writeln!(out, "| {} | {} |\n|---|---|", l.name, l.value);
                for (name, value) in &e.values {
                    let _ = writeln!(out, "| `{}` | {} |", cell(name), cell(value));
                }
            }
        }
    }
}

/// The book as Markdown (`art60 law --format markdown`).
pub fn render_markdown(b: &LawBook) -> String {
    let l = &b.labels;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}\n\n{}\n\n{}\n\n{}",
        l.title, b.intro, b.regime_text, b.param_set
    );
    for a in &b.articles {
        let _ = writeln!(out, "\n## {}. {}\n", a.number, a.title);
        let _ = writeln!(
            out,
            "{}{}{} · {}{}SPEC {}\n",
            l.reference, l.colon, a.reference, l.spec, l.colon, a.spec
        );
        let _ = writeln!(out, "{}", a.rule.join(" "));
        let _ = writeln!(out, "\n### {}\n", l.parameters);
        if a.params.is_empty() {
            let _ = writeln!(out, "{}", l.no_parameters);
        }
        params_markdown(&mut out, l, &a.params);
        let _ = writeln!(out, "\n### {}\n", l.options);
        if a.options.is_empty() {
            let _ = writeln!(out, "{}", l.no_options);
        } else {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |\n|---|---|---|---|",
                l.option, l.default, l.choices, l.what
            );
            for o in &a.options {
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {} |",
                    o.name,
                    o.default,
                    cell(&o.choices.join(", ")),
                    cell(&o.description)
                );
            }
        }
        let _ = writeln!(out, "\n### {}\n", l.examples);
        if a.examples.is_empty() {
            let _ = writeln!(out, "{}", l.no_examples);
        } else {
            let _ = writeln!(out, "{}", a.examples.join(", "));
        }
        if !a.tests.is_empty() {
            let _ = writeln!(
                out,
                "\n{}{}{}",
                l.tests,
                l.colon,
                a.tests
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let _ = writeln!(out, "\n## {}\n\n{}", l.annex_title, l.annex_intro);
    params_markdown(&mut out, l, &b.annex);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC-level check of the texts: the four languages name the same articles (exactly those
    /// of [`ARTICLES`]) and the same options (exactly those of [`Options`]), and no text is
    /// empty. Each regime-specific text exists in all languages or in none.
    #[test]
    fn four_languages_same_keys_no_empty_text() {
        let parsed: Vec<(Lang, Catalog)> = SOURCES
            .iter()
            .map(|(l, src)| {
                let c: Catalog = toml::from_str(src).unwrap_or_else(|e| panic!("{l:?}: {e}"));
                (*l, c)
            })
            .collect();
        let keys: Vec<&str> = ARTICLES.iter().map(|a| a.key).collect();
        let mut option_names: Vec<String> = option_views().into_iter().map(|o| o.0).collect();
        option_names.sort();
        let en = &parsed[0].1;
        for (lang, c) in &parsed {
            let mut have: Vec<&str> = c.articles.keys().map(String::as_str).collect();
            let mut want = keys.clone();
            have.sort_unstable();
            want.sort_unstable();
            assert_eq!(have, want, "{lang:?}: articles");
            let names: Vec<String> = c.options.keys().cloned().collect();
            assert_eq!(names, option_names, "{lang:?}: options");
            for (k, t) in &c.articles {
                for (what, s) in [
                    ("title", &t.title),
                    ("reference", &t.reference),
                    ("rule", &t.rule),
                ] {
                    assert!(!s.trim().is_empty(), "{lang:?} {k}: empty {what}");
                }
                let e = &en.articles[k];
                assert_eq!(t.old.is_some(), e.old.is_some(), "{lang:?} {k}: old");
                assert_eq!(t.new.is_some(), e.new.is_some(), "{lang:?} {k}: new");
                for s in t.old.iter().chain(&t.new) {
                    assert!(!s.trim().is_empty(), "{lang:?} {k}: empty regime text");
                }
            }
            for (k, s) in &c.options {
                assert!(!s.trim().is_empty(), "{lang:?} option {k}: empty");
            }
            let labels = serde_json::to_value(&c.labels).unwrap();
            for (k, v) in labels.as_object().unwrap() {
                assert!(
                    !v.as_str().unwrap_or("").trim().is_empty(),
                    "{lang:?} label {k}: empty"
                );
            }
            assert!(c.labels.intro.contains("{date}"), "{lang:?}: intro");
            assert!(c.labels.valid_from.contains("{from}"), "{lang:?}");
            assert!(
                c.labels.valid_from_to.contains("{from}")
                    && c.labels.valid_from_to.contains("{to}"),
                "{lang:?}"
            );
        }
    }

    /// The legal references are written the reader's way: the decrees' abbreviations of each
    /// language, never another language's.
    #[test]
    fn references_in_the_readers_abbreviations() {
        let expect = [
            (
                Lang::En,
                ["RD ", "MD ", "Programme Law"],
                ["AR ", "KB ", "KE "],
            ),
            (
                Lang::Fr,
                ["AR ", "AM ", "Loi-programme"],
                ["RD ", "KB ", "KE "],
            ),
            (
                Lang::Nl,
                ["KB ", "MB ", "Programmawet"],
                ["AR ", "RD ", "KE "],
            ),
            (
                Lang::De,
                ["KE ", "ME ", "Programmgesetz"],
                ["AR ", "KB ", "RD "],
            ),
        ];
        for (lang, want, never) in expect {
            let c = catalog(lang).unwrap();
            let all: String = c
                .articles
                .values()
                .map(|t| format!("{} ", t.reference))
                .collect();
            for w in want {
                assert!(all.contains(w), "{lang:?}: no {w:?} in the references");
            }
            for n in never {
                assert!(!all.contains(n), "{lang:?}: {n:?} in the references");
            }
        }
    }

    #[test]
    fn options_carry_their_spec_default_and_choices() {
        let v = option_views();
        let find = |n: &str| v.iter().find(|o| o.0 == n).unwrap();
        assert_eq!(
            find("quarter_cap_method").2,
            ["per_quarter".to_string(), "average".to_string()]
        );
        assert_eq!(find("quarter_cap_method").1, "per_quarter");
        assert_eq!(find("art60_is_reemployment_programme").1, "false");
        assert_eq!(
            find("art60_is_reemployment_programme").2,
            ["false".to_string(), "true".to_string()]
        );
        assert_eq!(find("open_assimilations.codes_23_4_73").1, "exclude");
        assert_eq!(find("open_assimilations.code_51").2.len(), 4);
        assert_eq!(find("morocco_convention").2.len(), 3);
    }
}
