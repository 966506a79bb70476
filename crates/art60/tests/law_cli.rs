#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `art60 law` from the outside: the law book at a date, in a language and a format.

use std::process::Command;

fn art60(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_art60"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn prints_the_book_of_a_date_in_each_language() {
    let (code, out, _) = art60(&["law", "--at", "2025-06-01", "--lang", "fr"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("LE LIVRE DE LA LOI"), "{out}");
    assert!(out.contains(" 1. Les faits"), "{out}");
    assert!(out.contains("16. Durée du droit"), "{out}");
    assert!(out.contains("monthly = 1994.18"));
    assert!(out.contains("right : aucune règle en vigueur à cette date"));
    for (lang, title) in [
        ("en", "THE LAW BOOK"),
        ("nl", "HET WETBOEK VAN DE REKENMOTOR"),
        ("de", "DAS GESETZBUCH DER BERECHNUNG"),
    ] {
        let (code, out, _) = art60(&["law", "--at", "2026-06-01", "--lang", lang]);
        assert_eq!(code, 0, "{lang}");
        assert!(out.starts_with(title), "{lang}: {out}");
        assert!(out.contains("base_months = 12"), "{lang}: right in force");
    }
}

#[test]
fn markdown_and_json() {
    let (code, out, _) = art60(&["law", "--at", "2026-06-01", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# The law book"));
    assert!(out.contains("## 6. The requirement: days to prove and the reference period"));
    assert!(out.contains("| `bands[1]` | days: 312; min_age: 0; months: 36 |"));
    let (code, out, _) = art60(&["law", "--at", "2026-06-01", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["articles"].as_array().unwrap().len(), 16);
    assert_eq!(v["regime"], "new");
    assert_eq!(v["articles"][0]["key"], "facts");
}

#[test]
fn bad_arguments_are_refused() {
    let (code, _, err) = art60(&["law", "--lang", "es"]);
    assert_eq!(code, 1);
    assert!(err.contains("--lang"), "{err}");
    let (code, _, err) = art60(&["law", "--at", "2026-02-30"]);
    assert_eq!(code, 2, "clap refuses a date that is not one: {err}");
    // Without --at: today's book.
    let (code, out, _) = art60(&["law"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("THE LAW BOOK"));
}
