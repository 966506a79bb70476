//! Issue 13 §4, "a form that can say every situation": every field of the engine's input (the
//! JSON Schema that `art60 calc --schema` prints) is either something the portal's request
//! form can set, or an exception listed below with its reason. A new engine field that the
//! CPAS can know therefore fails this test until the form can enter it (or until someone
//! writes down why it cannot).
//!
//! The form side is measured, not declared: filled forms go through the form's own parsing
//! and checks (`RequestForm::from_pairs`, `form::check`), and the fields of the engine input
//! they produce are what the form can set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use art60_rules::CalcRequest;
use art60_web::form::{self, Errors, RequestForm};
use art60_web::i18n::Lang;
use serde_json::Value;

/// Why the form does not set an engine field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Set by the service or the engine itself, never typed.
    Internal,
    /// Only the DmfA import (or a C4) provides it: declared quarters and their lines.
    Dmfa,
    /// ONEM's knowledge or decision, not the CPAS's.
    Onem,
}

/// Engine paths (`history[].abroad.country`) the form does not set, and why.
const EXCEPTIONS: &[(&str, Why, &str)] = &[
    (
        "mode",
        Why::Internal,
        "the portal always asks the CPAS question (plan)",
    ),
    (
        "today",
        Why::Internal,
        "the service's clock (Europe/Brussels)",
    ),
    (
        "application_date",
        Why::Internal,
        "assess mode only (ONEM's question); the portal plans",
    ),
    (
        "contract.end",
        Why::Internal,
        "assess mode only: the plan computes the end",
    ),
    (
        "history[].quarters[].quarter",
        Why::Dmfa,
        "declared quarters come from the DmfA import",
    ),
    (
        "history[].quarters[].lines[].category",
        Why::Dmfa,
        "DmfA service lines, mapped by the import",
    ),
    (
        "history[].quarters[].lines[].days",
        Why::Dmfa,
        "DmfA ServiceNbrDays",
    ),
    (
        "history[].quarters[].lines[].hours",
        Why::Dmfa,
        "DmfA ServiceNbrHours",
    ),
    (
        "history[].quarters[].lines[].service_code",
        Why::Dmfa,
        "the DmfA service code, for the explanation",
    ),
    (
        "history[].quarters[].lines[].paid_with_unemployment_contribution",
        Why::Dmfa,
        "read from the DmfA lines of codes 5 and 13",
    ),
    (
        "history[].source",
        Why::Dmfa,
        "set by the import (manual for typed periods)",
    ),
    (
        "history[].provisional",
        Why::Dmfa,
        "set by the import for quarters not declared yet",
    ),
    (
        "history[].abroad.officer_decision",
        Why::Onem,
        "the ONEM officer decides whether a foreign period counts (SPEC §3.9.1)",
    ),
    (
        "last_paid_unemployment.day",
        Why::Onem,
        "ONEM's payment records (old art. 42)",
    ),
    (
        "last_paid_unemployment.agr_month",
        Why::Onem,
        "ONEM's payment records (income guarantee)",
    ),
    (
        "current_right_until",
        Why::Onem,
        "ONEM's record of the right running (new art. 42)",
    ),
    (
        "career.days",
        Why::Onem,
        "ONEM counts the whole career for the duration of the right",
    ),
    (
        "career.used_days",
        Why::Onem,
        "days ONEM already used for an earlier right",
    ),
    (
        "career.full_transition_allowance",
        Why::Onem,
        "ONEM's payment records",
    ),
];

/// The leaf fields of a JSON Schema, as paths: `a.b`, arrays as `[]`, an externally tagged
/// enum's variants as fields (`contract.pay.monthly`).
fn schema_paths(root: &Value, node: &Value, path: &str, out: &mut BTreeSet<String>, depth: u32) {
    assert!(depth < 40, "schema too deep at {path}");
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return schema_paths(root, &root["$defs"][name], path, out, depth + 1);
    }
    let mut branched = false;
    for key in ["anyOf", "oneOf", "allOf"] {
        for sub in node
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            branched = true;
            schema_paths(root, sub, path, out, depth + 1);
        }
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let p = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            schema_paths(root, sub, &p, out, depth + 1);
        }
        return;
    }
    if let Some(items) = node.get("items") {
        return schema_paths(root, items, &format!("{path}[]"), out, depth + 1);
    }
    let null_only = node.get("type") == Some(&Value::from("null"));
    if !branched && !null_only && !path.is_empty() {
        out.insert(path.to_owned());
    }
}

/// The leaf fields of a JSON value, in the same notation.
fn value_paths(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, sub) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                value_paths(sub, &p, out);
            }
        }
        Value::Array(a) => {
            for sub in a {
                value_paths(sub, &format!("{path}[]"), out);
            }
        }
        _ => {
            out.insert(path.to_owned());
        }
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Filled forms that between them use every field of the form (and every variant of a choice
/// that becomes a different engine field).
fn filled_forms() -> Vec<Vec<(String, String)>> {
    let person = [
        ("niss", "90012500179"),
        ("last_name", "Test"),
        ("first_name", "Eve"),
        ("birth_date", "1990-01-25"),
        ("contact_name", "Service insertion"),
        ("contact_email", "insertion@cpas.example"),
        ("contract_start", "2026-12-01"),
        ("days_per_week", "5"),
        ("weekly_hours", "19"),
        ("reference_hours", "38"),
    ];
    let rows = [
        ("h0_kind", "work"),
        ("h0_start", "2020-01-01"),
        ("h0_end", "2020-06-30"),
        ("h0_employer", "Entreprise A"),
        ("h0_days", "4"),
        ("h0_hours", "24"),
        ("h0_ref_hours", "38"),
        ("h0_pay_kind", "monthly"),
        ("h0_pay_amount", "1200"),
        ("h0_job_category", "teacher"),
        ("h0_weekdays", "mon"),
        ("h0_weekdays", "tue"),
        ("h0_weekdays", "thu"),
        ("h0_weekdays", "fri"),
        ("h1_kind", "foreign_work"),
        ("h1_start", "2021-01-01"),
        ("h1_end", "2021-12-31"),
        ("h1_country", "FR"),
        ("h1_frontier_worker", "yes"),
        ("h1_posted", "yes"),
        ("h1_ssom", "yes"),
        ("h2_kind", "child_raising"),
        ("h2_start", "2022-01-01"),
        ("h2_end", "2022-12-31"),
        ("h2_child_birth_date", "2021-12-20"),
        ("h2_child_disabled", "yes"),
        ("a0_kind", "insured_sickness"),
        ("a0_start", "2027-01-04"),
        ("a0_end", "2027-01-08"),
        ("p0_application_date", "2019-03-01"),
        ("p0_first_paid_day", "2019-03-04"),
        ("p0_article", "art30"),
    ];
    let mut monthly: Vec<_> = person.iter().chain(rows.iter()).copied().collect();
    monthly.extend([
        ("dock_worker_or_fisher", "yes"),
        ("career_start_date", "2019-09-01"),
        ("foreign_national", "yes"),
        ("w0_start", "2019-06-01"),
        ("w0_end", "2020-12-31"),
        ("w1_start", "2021-01-01"),
        ("pay_kind", "monthly"),
        ("pay_amount", "1100"),
        ("weekdays", "tue"),
        ("weekdays", "wed"),
        ("weekdays", "thu"),
        ("weekdays", "fri"),
        ("weekdays", "sat"),
    ]);
    let mut hourly: Vec<_> = person.to_vec();
    hourly.extend([
        ("pay_kind", "hourly"),
        ("pay_amount", "14,20"),
        ("h0_kind", "work"),
        ("h0_start", "2020-01-01"),
        ("h0_end", "2020-06-30"),
        ("h0_pay_kind", "hourly"),
        ("h0_pay_amount", "13,10"),
    ]);
    vec![pairs(&monthly), pairs(&hourly)]
}

/// What the form can set: the engine input of the filled forms, with the NISS and birth date
/// the service adds from the person record (`requests::engine_request`); and the engine's
/// refusals of those inputs (a situation the form cannot say properly).
fn form_paths() -> (BTreeSet<String>, Vec<String>) {
    let mut out = BTreeSet::new();
    let mut refused = Vec::new();
    for p in filled_forms() {
        let f = RequestForm::from_pairs(&p);
        let mut errors = Errors::new();
        let checked = form::check(&f, Lang::Fr, true, &mut errors);
        assert!(errors.is_empty(), "the filled form is refused: {errors:?}");
        // The engine accepts what the form produced: the fields are read, not ignored.
        if let Err(e) = art60_service::requests::engine_request(
            &checked.input,
            checked.niss,
            checked.birth_date.unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        ) {
            refused.push(format!("{e:?}"));
        }
        value_paths(&checked.input, "", &mut out);
    }
    // The service writes these from the person record (the form's person fields).
    out.insert("person.niss".into());
    out.insert("person.birth_date".into());
    (out, refused)
}

#[test]
fn the_form_can_set_every_field_the_cpas_can_know() {
    let schema = serde_json::to_value(schemars::schema_for!(CalcRequest)).unwrap();
    let mut engine = BTreeSet::new();
    schema_paths(&schema, &schema, "", &mut engine, 0);
    // The walk found the engine's fields (a broken walk would make the test pass vacuously).
    for known in [
        "person.birth_date",
        "contract.weekly_hours",
        "history[].kind",
        "history[].abroad.country",
        "contract.pay.monthly",
        "previous_admissions[].article",
    ] {
        assert!(engine.contains(known), "{known} not found in {engine:?}");
    }
    let (form, refused) = form_paths();
    let excepted: BTreeSet<&str> = EXCEPTIONS.iter().map(|(p, _, _)| *p).collect();
    let missing: Vec<&String> = engine
        .iter()
        .filter(|p| !form.contains(*p) && !excepted.contains(p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the engine takes these fields but the request form cannot set them (add them to the \
         form, or to EXCEPTIONS with the reason): {missing:#?}"
    );
    assert!(
        refused.is_empty(),
        "the engine refuses what the filled form gives: {refused:#?}"
    );
    // The list stays honest: no exception for a field the form sets or the engine dropped.
    for (p, why, reason) in EXCEPTIONS {
        assert!(!reason.is_empty(), "{p}: say why");
        assert!(
            engine.contains(*p),
            "{p} ({why:?}) is no longer an engine field"
        );
        assert!(
            !form.contains(*p),
            "{p} is excepted ({why:?}) but the form sets it"
        );
    }
    // Nothing the form sends is unknown to the engine.
    let stray: Vec<&String> = form.iter().filter(|p| !engine.contains(*p)).collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// Every field name the filled forms post is one the request form's template shows.
#[test]
fn the_template_shows_every_field_the_test_fills() {
    let template = include_str!("../templates/request_form.html");
    for form in filled_forms() {
        for (name, _) in form {
            // Row fields are named in the template by their tail (`row_name('h', i, "end")`).
            let tail = match name.split_once('_') {
                Some((head, tail))
                    if head.len() > 1 && head[1..].chars().all(|c| c.is_ascii_digit()) =>
                {
                    tail.to_owned()
                }
                _ => name.clone(),
            };
            assert!(
                template.contains(&format!("\"{tail}\"")),
                "the template has no field {name}"
            );
        }
    }
}
