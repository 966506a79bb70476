#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Snapshots of the explanation of every request in `examples/`, in English and French, so a
//! change in wording or in a number shows up in review.

use art60_rules::explain::{Lang, render};
use art60_rules::{CalcRequest, Options, ParamSet, calculate};

#[test]
fn explanations_of_the_examples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let req = CalcRequest::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let result = calculate(&req, &Options::default(), ParamSet::embedded()).unwrap();
        for lang in [Lang::En, Lang::Fr] {
            insta::assert_snapshot!(format!("{name}.{}", lang.code()), render(&result, lang));
        }
    }
}
