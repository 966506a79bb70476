//! Small HTML builders for form fields, so every field gets the same accessible markup:
//! a label, an optional hint, the error next to it, `aria-describedby` linking both.

use crate::form::Errors;
use crate::i18n::{Lang, t};

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn described(name: &str, hint: bool, error: bool) -> String {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{name}-hint"));
    }
    if error {
        ids.push(format!("{name}-err"));
    }
    if ids.is_empty() {
        String::new()
    } else {
        format!(r#" aria-describedby="{}""#, ids.join(" "))
    }
}

fn messages(lang: Lang, name: &str, hint: Option<&str>, error: Option<&String>) -> String {
    let mut s = String::new();
    if let Some(h) = hint {
        s.push_str(&format!(
            r#"<p class="hint" id="{name}-hint">{}</p>"#,
            esc(&t(lang, h))
        ));
    }
    if let Some(e) = error {
        s.push_str(&format!(
            r#"<p class="field-error" id="{name}-err">{}</p>"#,
            esc(e)
        ));
    }
    s
}

/// An input. `kind` is an HTML input type, or `decimal` (text with a decimal keyboard).
pub fn input(
    lang: Lang,
    errors: &Errors,
    name: &str,
    label_key: &str,
    value: &str,
    kind: &str,
    hint: Option<&str>,
) -> String {
    let error = errors.get(name);
    let (ty, extra) = match kind {
        "decimal" => ("text", r#" inputmode="decimal""#),
        "date" => ("date", ""),
        "email" => ("email", r#" autocomplete="email""#),
        "tel" => ("tel", r#" autocomplete="tel""#),
        _ => ("text", ""),
    };
    let niss_check = if name == "niss" {
        r##" hx-post="/check/niss" hx-trigger="input changed delay:300ms, blur" hx-target="#niss-check" hx-include="[name=csrf],[name=birth_date]" hx-disabled-elt="unset""##
    } else {
        ""
    };
    format!(
        r#"<label for="{name}">{}</label><input id="{name}" name="{name}" type="{ty}" value="{}"{extra}{}{}{niss_check}>{}"#,
        esc(&t(lang, label_key)),
        esc(value),
        described(name, hint.is_some(), error.is_some()),
        if error.is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        messages(lang, name, hint, error)
    )
}

pub fn textarea(lang: Lang, errors: &Errors, name: &str, label_key: &str, value: &str) -> String {
    let error = errors.get(name);
    format!(
        r#"<label for="{name}">{}</label><textarea id="{name}" name="{name}" rows="3" cols="60"{}{}>{}</textarea>{}"#,
        esc(&t(lang, label_key)),
        described(name, false, error.is_some()),
        if error.is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        esc(value),
        messages(lang, name, None, error)
    )
}

/// A drop-down of translated codes (`prefix` names the catalog keys).
pub fn select(
    lang: Lang,
    errors: &Errors,
    name: &str,
    label_key: &str,
    value: &str,
    codes: &[&str],
    prefix: &str,
) -> String {
    let error = errors.get(name);
    let mut opts = String::new();
    for c in codes {
        opts.push_str(&format!(
            r#"<option value="{c}"{}>{}</option>"#,
            if *c == value { " selected" } else { "" },
            esc(&t(lang, &crate::labels::key(prefix, c)))
        ));
    }
    format!(
        r#"<label for="{name}">{}</label><select id="{name}" name="{name}"{}{}>{opts}</select>{}"#,
        esc(&t(lang, label_key)),
        described(name, false, error.is_some()),
        if error.is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        messages(lang, name, None, error)
    )
}
