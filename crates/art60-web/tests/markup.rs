//! Issue 13 §6: the markup is in the templates. Fields are drawn by the macros of
//! `templates/fields.html`, not built as strings in Rust; `|safe` is left for the timeline's
//! server-drawn SVG only; rendering errors are not hidden.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use axum::http::StatusCode;
use common::{Browser, csrf, portal};

fn read_dir(dir: &Path, ext: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(read_dir(&path, ext));
        } else if path.extension().is_some_and(|x| x == ext) {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn safe_is_only_used_for_the_timeline_svg() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut uses = Vec::new();
    for (path, text) in read_dir(&dir, "html") {
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("|safe") {
                let before = rest[..i].trim_end();
                if !before.ends_with("s.svg") {
                    uses.push(format!("{path}:{}: {line}", n + 1));
                }
                rest = &rest[i + 5..];
            }
        }
    }
    assert!(uses.is_empty(), "|safe outside the timeline: {uses:#?}");
}

#[test]
fn no_field_markup_is_built_in_rust() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert!(!src.join("html.rs").exists(), "html.rs is gone");
    let mut found = Vec::new();
    for (path, text) in read_dir(&src, "rs") {
        for tag in [
            "<label",
            "<input",
            "<select",
            "<textarea",
            "<option",
            "<p class",
            "<form",
        ] {
            if text.contains(tag) {
                found.push(format!("{path}: {tag}"));
            }
        }
        for hidden in ["with_autofocus", "render().unwrap_or"] {
            if text.contains(hidden) {
                found.push(format!("{path}: {hidden}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The fields drawn by the macros are markup, not text: nothing comes out escaped twice, and
/// the field in error after a refused post has its error linked and the focus.
#[tokio::test]
async fn fields_are_markup_with_their_errors_linked() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let r = b.get(&p, "/requests/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("&lt;"), "escaped markup in the form");
    assert!(r.body.contains(r#"<label for="niss">"#));
    assert!(r.body.contains(r#"aria-describedby="niss-hint""#));
    assert!(r.body.contains(r#"hx-post="/check/niss""#));
    assert!(r.body.contains(r#"<section id="simulation""#));
    // The officer's override without a date: the date field is in error and has the focus.
    let mut o = Browser::default();
    o.login(&p, "onem.namur").await;
    let queue = o.get(&p, "/queue").await;
    let id = queue
        .body
        .split(r#"href="/requests/"#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let page = o.get(&p, &format!("/requests/{id}")).await;
    assert!(
        !page.body.contains("&lt;"),
        "escaped markup on the request page"
    );
    let token = csrf(&page.body);
    let r = o
        .post(
            &p,
            &format!("/requests/{id}/decide"),
            &[
                ("csrf", &token),
                ("decision", "override"),
                ("end_date", ""),
                ("justification", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(
            r#"<input autofocus id="end_date" name="end_date" type="date" value="" aria-describedby="end_date-err" aria-invalid="true">"#
        ),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(r#"<p class="field-error" id="end_date-err">"#)
    );
}
