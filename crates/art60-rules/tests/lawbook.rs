#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The law book (issue 12 part E): every article file has an entry, every parameter is shown
//! with its values, every option and example it names exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use art60_rules::ParamSet;
use art60_rules::explain::Lang;
use art60_rules::lawbook::{self, ANNEX_PARAMS, ARTICLES};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The articles in the order `law::assess_at` calls them (SPEC §3), as issue 12 lays out
/// `src/law/`.
const LAW_FILES: [&str; 16] = [
    "facts",
    "regime",
    "readmission",
    "status",
    "route_art33",
    "bands_art30",
    "past_career_art32",
    "extensions",
    "cutoff",
    "categories_art38",
    "counting_am7",
    "undeclared_am7",
    "no_interruption",
    "contract_art60",
    "foreign",
    "right_duration_art114",
];

/// Every `src/law/*.rs` file but `mod.rs` has an entry in the book, and every entry a file.
/// The book's keys also equal the fixed list above, in its order. `src/law/` is being
/// created by the split of the engine (issue 12 part A): until it exists only the fixed list
/// is compared; from then on the directory is read at test time, so a new article file without
/// an entry fails here.
#[test]
fn every_law_file_has_an_entry_in_the_book() {
    let keys: Vec<&str> = ARTICLES.iter().map(|a| a.key).collect();
    assert_eq!(keys, LAW_FILES);
    let dir = crate_dir().join("src/law");
    if !dir.is_dir() {
        return;
    }
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .filter(|s| s != "mod")
        .collect();
    let book: BTreeSet<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let no_entry: Vec<_> = files.difference(&book).collect();
    let no_file: Vec<_> = book.difference(&files).collect();
    assert!(
        no_entry.is_empty() && no_file.is_empty(),
        "src/law files without an entry in the law book: {no_entry:?}; entries without a file: {no_file:?}"
    );
}

/// Whitespace-insensitive: the text renderer wraps long lines at spaces.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every top-level parameter key is placed in an article (or the annex, for the case
/// service's procedure), every key and field an article names exists, and every dated entry
/// of every key is shown, with its validity, reference and each of its values (each picked by
/// at least one article), in the book written for a date where it is in force, in every
/// language and both renderings.
#[test]
fn every_parameter_is_in_an_article_and_shown_with_its_values() {
    let p = ParamSet::embedded();
    let keys: BTreeSet<String> = p
        .entries_at(d("2026-06-01"))
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    let placed: BTreeSet<String> = ARTICLES
        .iter()
        .flat_map(|a| a.params.iter())
        .chain(ANNEX_PARAMS)
        .map(|k| k.split('.').next().unwrap().to_owned())
        .collect();
    let unplaced: Vec<_> = keys.difference(&placed).collect();
    assert!(
        unplaced.is_empty(),
        "parameters in no article of the law book: {unplaced:?}"
    );
    let unknown: Vec<_> = placed.difference(&keys).collect();
    assert!(unknown.is_empty(), "unknown parameter keys: {unknown:?}");
    let entries = p.all_entries().unwrap();
    assert!(entries.len() >= keys.len());
    // A field an article names exists in at least one entry of its key.
    for a in ARTICLES {
        for sel in a.params {
            if let Some((key, field)) = sel.split_once('.') {
                assert!(
                    entries.iter().any(|(k, e)| k == key
                        && e.values.iter().any(|(n, _)| lawbook::selects(field, n))),
                    "{}: {sel} selects no value",
                    a.key
                );
            }
        }
    }
    for lang in Lang::ALL {
        for (key, e) in &entries {
            let b = lawbook::book(p, e.from, lang).unwrap();
            let text = squash(&lawbook::render_text(&b));
            let validity = match e.to {
                Some(to) => b
                    .labels
                    .valid_from_to
                    .replace("{from}", &e.from.to_string())
                    .replace("{to}", &to.to_string()),
                None => b.labels.valid_from.replace("{from}", &e.from.to_string()),
            };
            let head = squash(&format!("{key} ({validity})"));
            assert!(text.contains(&head), "{lang:?} {}: {head}", e.from);
            assert!(
                text.contains(&squash(&e.reference)),
                "{lang:?} {key}: reference"
            );
            assert!(!e.values.is_empty(), "{key} from {} has no value", e.from);
            for (name, value) in &e.values {
                let line = squash(&format!("{name} = {value}"));
                assert!(text.contains(&line), "{lang:?} {key} {}: {line}", e.from);
            }
            let md = squash(&lawbook::render_markdown(&b));
            for (name, value) in &e.values {
                assert!(
                    md.contains(&squash(&format!(
                        "| `{name}` | {} |",
                        value.replace('|', "\\|")
                    ))),
                    "{lang:?} markdown {key}: {name}"
                );
            }
        }
    }
}

/// A key with no entry in force on the date is shown as such, not dropped and not an error.
#[test]
fn a_parameter_without_an_entry_in_force_says_so() {
    let p = ParamSet::embedded();
    let b = lawbook::book(p, d("2025-06-01"), Lang::En).unwrap();
    let right = b
        .articles
        .iter()
        .find(|a| a.key == "right_duration_art114")
        .unwrap();
    assert_eq!(right.params[0].key, "right");
    assert!(right.params[0].in_force.is_none());
    assert!(lawbook::render_text(&b).contains("right: no rule in force on that date"));
    // Before 2012-11-01 no regime is in force: the book says the engine refuses.
    let b = lawbook::book(p, d("2012-10-31"), Lang::Fr).unwrap();
    assert!(b.regime.is_none());
    assert!(lawbook::render_text(&b).contains("Aucun régime n'est en vigueur"));
    assert!(
        b.articles
            .iter()
            .all(|a| a.params.iter().all(|p| p.in_force.is_none()))
    );
}

/// Every option named in the book exists, and every option of SPEC §5 is in an article.
#[test]
fn every_option_is_in_an_article() {
    let top: BTreeSet<String> = lawbook::option_views()
        .into_iter()
        .map(|o| o.0.split('.').next().unwrap().to_owned())
        .collect();
    let named: BTreeSet<String> = ARTICLES
        .iter()
        .flat_map(|a| a.options.iter())
        .map(|o| (*o).to_owned())
        .collect();
    assert_eq!(named, top);
    assert_eq!(top.len(), 15);
}

fn sources(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "lawbook.rs")
        {
            out.push_str(&std::fs::read_to_string(&p).unwrap().to_lowercase());
            out.push('\n');
        }
    }
}

/// `id` occurs as a word: not followed by a digit (`e1` is not `e10`) nor preceded by a
/// letter or digit.
fn mentions(hay: &str, id: &str) -> bool {
    hay.match_indices(id).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + id.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// The worked examples and tests the book cites exist in the test code (tests/ or the unit
/// tests beside each article in src/; the law book's own files, which name them all, left
/// out): `EX24` as written or as `ex24_` in a test name, `EX-1` as `ex_1`.
#[test]
fn cited_examples_and_tests_exist() {
    let mut hay = String::new();
    sources(&crate_dir().join("tests"), &mut hay);
    sources(&crate_dir().join("src"), &mut hay);
    for a in ARTICLES {
        for id in a.examples {
            let id = id.to_lowercase();
            assert!(
                mentions(&hay, &id) || mentions(&hay, &id.replace('-', "_")),
                "{}: example {id} is tested nowhere",
                a.key
            );
        }
        for t in a.tests {
            assert!(
                hay.contains(&format!("fn {t}(")),
                "{}: no test named {t}",
                a.key
            );
        }
    }
}

/// The rule follows the regime in force on the date.
#[test]
fn the_rule_follows_the_regime_of_the_date() {
    let p = ParamSet::embedded();
    let old = lawbook::book(p, d("2025-06-01"), Lang::En).unwrap();
    let new = lawbook::book(p, d("2026-06-01"), Lang::En).unwrap();
    let bands = |b: &lawbook::LawBook| {
        b.articles
            .iter()
            .find(|a| a.key == "bands_art30")
            .unwrap()
            .rule
            .join(" ")
    };
    assert!(bands(&old).contains("21 months"));
    assert!(bands(&new).contains("36 months at every age"));
    let values = |b: &lawbook::LawBook, article: usize| {
        let p = &b.articles[article].params[0];
        assert_eq!(p.key, "stage");
        p.in_force.as_ref().unwrap().values.clone()
    };
    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    // Art. 30 shows the bands only; art. 32 its own figures, a dash once it is repealed.
    assert_eq!(
        values(&old, 5),
        [
            pair("bands[1]", "days: 312; min_age: 0; months: 21"),
            pair("bands[2]", "days: 468; min_age: 36; months: 33"),
            pair("bands[3]", "days: 624; min_age: 50; months: 42"),
            pair("older_bands_allowed", "true"),
        ]
    );
    assert!(values(&old, 6).contains(&pair("art32.past_days_half", "1560")));
    assert!(values(&old, 6).contains(&pair("art32.two_thirds", "2/3")));
    assert_eq!(values(&new, 6), [pair("art32", "—")]);
}

#[test]
fn snapshot_fr_2025_06_01() {
    let b = lawbook::book(ParamSet::embedded(), d("2025-06-01"), Lang::Fr).unwrap();
    insta::assert_snapshot!(lawbook::render_text(&b));
}

#[test]
fn snapshot_fr_2026_06_01() {
    let b = lawbook::book(ParamSet::embedded(), d("2026-06-01"), Lang::Fr).unwrap();
    insta::assert_snapshot!(lawbook::render_text(&b));
}
