#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `art60 calc` from the outside: outputs, exit codes, batch behaviour.

use std::io::Write;
use std::process::{Command, Stdio};

fn art60(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_art60"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn plans_an_example_as_json_and_text() {
    let (code, out, _) = art60(&["calc", "examples/full-time.json"], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"]["kind"], "planned");
    assert_eq!(v["outcome"]["end_date"], "2027-11-29");
    assert_eq!(v["outcome"]["first_benefit_date"], "2027-11-30");
    let (code, out, _) = art60(
        &[
            "calc",
            "examples/full-time.json",
            "--format",
            "text",
            "--explain",
            "--lang",
            "nl",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("Contract end date:       2027-11-29"), "{out}");
    // The plain explanation first (issue 13 §2), then the steps; dates as readers write them.
    assert!(
        out.contains("Het contract kan eindigen op 29/11/2027. De persoon kan werkloosheidsuitkeringen aanvragen vanaf 30/11/2027"),
        "{out}"
    );
    assert!(out.contains("- Er zijn 312 dagen arbeid nodig"), "{out}");
    assert!(
        out.contains(" 1. Datum uitkeringsaanvraag 30/11/2027"),
        "{out}"
    );
}

#[test]
fn explanation_in_json_and_options_change_the_answer() {
    let (code, out, _) = art60(
        &[
            "calc",
            "examples/part-time.json",
            "--explain",
            "--option",
            "quarter_cap_method=average",
        ],
        None,
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["options"]["quarter_cap_method"], "average");
    assert_eq!(v["outcome"]["end_date"], "2027-12-04");
    assert!(v["explanation"].as_array().unwrap().len() > 5);
}

/// Issue 12: option values as SPEC §5 spells them, any capitalisation; the result records
/// the lower-case name.
#[test]
fn option_values_are_read_as_spec_spells_them() {
    let (code, out, err) = art60(
        &[
            "calc",
            "examples/part-time.json",
            "--option",
            "foreign_followup_6_months=apply_for_TN_BA_MK_ME",
            "--option",
            "quarter_cap_method=AVERAGE",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["options"]["foreign_followup_6_months"],
        "apply_for_tn_ba_mk_me"
    );
    assert_eq!(v["options"]["quarter_cap_method"], "average");
    assert_eq!(v["outcome"]["end_date"], "2027-12-04");
}

#[test]
fn bad_input_exits_2_and_names_the_field() {
    let req = r#"{"mode":"plan","today":"2026-11-20","person":{"birth_date":"1990-01-25"},
      "contract":{"start":"2026-12-01","days_per_week":5,"weekly_hours":40,"reference_hours":38}}"#;
    let (code, _, err) = art60(&["calc", "-"], Some(req));
    assert_eq!(code, 2);
    assert!(err.contains("contract.weekly_hours"), "{err}");
    // SPEC §3.7: a past job's regime without Q is refused on that field (issue 12).
    let req = r#"{"mode":"plan","today":"2026-11-20","person":{"birth_date":"1990-01-25"},
      "contract":{"start":"2026-12-01","days_per_week":5,"weekly_hours":38,"reference_hours":38},
      "history":[{"kind":"work","start":"2024-01-01","end":"2024-06-30","regime":{"days_per_week":5}}]}"#;
    let (code, _, err) = art60(&["calc", "-"], Some(req));
    assert_eq!(code, 2);
    assert!(err.contains("history[0].regime.weekly_hours"), "{err}");
    let (code, _, err) = art60(
        &["calc", "examples/full-time.json", "--option", "colour=blue"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn a_date_without_rules_exits_3() {
    let req = r#"{"mode":"assess","today":"2011-05-02","application_date":"2011-05-02","person":{"birth_date":"1980-01-25"}}"#;
    let (code, _, err) = art60(&["calc", "-"], Some(req));
    assert_eq!(code, 3);
    assert!(err.contains("no rule in force"), "{err}");
}

/// examples/full-time.json on one line, as a batch line.
fn full_time_line() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/full-time.json"
    ))
    .unwrap();
    serde_json::from_str::<serde_json::Value>(&text)
        .unwrap()
        .to_string()
}

/// `calc --batch -` on `input`: exit code, each output line as JSON, standard error.
fn batch(input: &str) -> (i32, Vec<serde_json::Value>, String) {
    let (code, out, err) = art60(&["calc", "--batch", "-"], Some(input));
    let lines = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (code, lines, err)
}

#[test]
fn batch_reports_bad_lines_and_keeps_the_rest() {
    let good = full_time_line();
    let input = format!("{good}\n{{\"mode\":\"plan\"}}\n\n{good}\n");
    let (code, lines, err) = batch(&input);
    assert_eq!(code, 2);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["outcome"]["end_date"], "2027-11-29");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"]["kind"], "invalid_input");
    assert_eq!(lines[2]["line"], 4);
    assert!(err.contains("3 requests, 2 computed, 1 refused"), "{err}");
}

#[test]
fn batch_numbers_lines_across_reads_and_line_ends() {
    let good = full_time_line();
    // More lines than one parallel step reads (8,192), "\r\n" ends, a blank line with spaces
    // and a last line without its end.
    let mut input = String::from("{\"mode\":\"plan\"}\r\n").repeat(8_200);
    input.push_str("  \r\n");
    input.push_str(&good);
    input.push_str("\r\n");
    input.push_str(&good);
    let (code, lines, err) = batch(&input);
    assert_eq!(code, 2, "{err}");
    assert_eq!(lines.len(), 8_202);
    assert_eq!(lines[8_191]["line"], 8_192);
    assert_eq!(lines[8_192]["line"], 8_193);
    assert_eq!(lines[8_199]["error"]["kind"], "invalid_input");
    assert_eq!(lines[8_200]["line"], 8_202);
    assert_eq!(lines[8_200]["outcome"]["end_date"], "2027-11-29");
    assert_eq!(lines[8_201]["line"], 8_203);
    assert_eq!(lines[8_201]["outcome"]["end_date"], "2027-11-29");
    assert!(
        err.contains("8202 requests, 2 computed, 8200 refused"),
        "{err}"
    );
}

#[test]
fn schema_describes_the_request() {
    let (code, out, _) = art60(&["calc", "--schema"], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["title"], "CalcRequest");
    assert!(v["properties"]["mode"].is_object());
    assert!(v["properties"]["history"].is_object());
}
