#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Snapshots of the explanation of every request in `examples/`: the step-by-step rendering
//! in English and French, the plain explanation (issue 13 §2) in all four languages, so a
//! change in wording or in a number shows up in review. And the stored-result fixtures: results
//! as stored by an earlier engine version must keep rendering in every language.

use art60_rules::explain::{Lang, plain, render};
use art60_rules::{CalcRequest, CalcResult, Options, ParamSet, calculate};

fn examples() -> Vec<(String, CalcRequest)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let req = CalcRequest::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            (name, req)
        })
        .collect()
}

#[test]
fn explanations_of_the_examples() {
    for (name, req) in examples() {
        let result = calculate(&req, &Options::default(), ParamSet::embedded()).unwrap();
        for lang in [Lang::En, Lang::Fr] {
            insta::assert_snapshot!(format!("{name}.{}", lang.code()), render(&result, lang));
        }
    }
}

fn plain_text(result: &CalcResult, lang: Lang) -> String {
    let p = plain(result, lang);
    let mut out = format!("{}\n\n", p.answer);
    for w in &p.why {
        out.push_str(&format!("- {w}\n"));
    }
    out
}

#[test]
fn plain_explanations_of_the_examples_in_every_language() {
    for (name, req) in examples() {
        let result = calculate(&req, &Options::default(), ParamSet::embedded()).unwrap();
        for lang in Lang::ALL {
            insta::assert_snapshot!(
                format!("plain.{name}.{}", lang.code()),
                plain_text(&result, lang)
            );
        }
    }
}

/// Nothing of the machinery may show in a rendered explanation.
fn assert_readable(text: &str, what: &str) {
    for leak in [
        "answer-",
        "why-",
        "unit-word",
        "days-word",
        "length-",
        "{",
        "}",
        "history[",
        "contract.absences[",
    ] {
        assert!(!text.contains(leak), "{what}: {leak:?} in {text}");
    }
}

const STORED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stored");

/// Results as stored today (`ART60_WRITE_FIXTURES=1` writes them once; they are then kept as
/// they are, so a later change of the result's shape or of the explanation that breaks a
/// stored answer fails here).
#[test]
fn stored_results_keep_rendering_in_every_language() {
    if std::env::var_os("ART60_WRITE_FIXTURES").is_some() {
        std::fs::create_dir_all(STORED).unwrap();
        for (name, req) in examples() {
            let result = calculate(&req, &Options::default(), ParamSet::embedded()).unwrap();
            let path = format!("{STORED}/{name}.json");
            if !std::path::Path::new(&path).exists() {
                std::fs::write(path, serde_json::to_string_pretty(&result).unwrap()).unwrap();
            }
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(STORED)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    for path in files {
        let what = path.file_name().unwrap().to_string_lossy().to_string();
        let stored: CalcResult =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(!stored.trace.is_empty(), "{what}");
        for lang in Lang::ALL {
            let p = plain(&stored, lang);
            assert!(!p.answer.is_empty());
            assert_readable(&p.answer, &what);
            assert!(p.why.len() >= 2, "{what} {lang:?}: {:?}", p.why);
            for w in &p.why {
                assert_readable(w, &what);
            }
            assert_eq!(p.arithmetic.len(), stored.trace.len());
            for (line, step) in p.arithmetic.iter().zip(&stored.trace) {
                assert_ne!(line, step.key.as_ref(), "{what} {lang:?}: no template");
                assert!(!line.contains('{'), "{what} {lang:?}: {line}");
            }
        }
    }
}
