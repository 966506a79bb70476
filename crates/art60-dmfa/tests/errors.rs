//! Bad input: every problem is reported with line, column and element path; bad records are
//! left out and listed, good ones are still read; malformed XML stops the reader.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use art60_dmfa::{Dropped, ParseError, Problem, parse_bytes};

fn sample() -> String {
    std::fs::read_to_string(format!(
        "{}/../../../shared/data/dmfa/DmfAOriginal_20223_1_Corrected.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Replaces the n-th (0-based) occurrence of `from`.
fn replace_nth(s: &str, from: &str, to: &str, n: usize) -> String {
    let (i, _) = s.match_indices(from).nth(n).expect("occurrence");
    format!("{}{}{}", &s[..i], to, &s[i + from.len()..])
}

fn line_of(s: &str, needle: &str) -> u64 {
    s[..s.find(needle).unwrap()].matches('\n').count() as u64 + 1
}

#[test]
fn out_of_range_value_drops_only_that_worker_record() {
    let x = replace_nth(
        &sample(),
        "<WorkingDaysSystem>500<",
        "<WorkingDaysSystem>701<",
        0,
    );
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert_eq!(p.rejected.len(), 1);
    let e = &p.rejected[0];
    assert_eq!(
        e.problem,
        Problem::OutOfRange {
            zone: "WorkingDaysSystem",
            value: "701".into(),
            min: 0,
            max: 700
        }
    );
    assert_eq!(e.location.line, line_of(&x, "<WorkingDaysSystem>701<"));
    assert_eq!(
        e.location.column, 26,
        "five tabs and the start tag come before the value"
    );
    assert!(
        e.location
            .path
            .ends_with("NaturalPerson[1]/WorkerRecord[1]/Occupation[1]/WorkingDaysSystem")
    );
    assert!(matches!(
        e.dropped,
        Dropped::WorkerRecord {
            worker_record: 1,
            ..
        }
    ));
    assert_eq!(p.persons.len(), 7);
    assert!(p.persons[0].worker_records.is_empty());
    assert_eq!(p.persons[2].worker_records.len(), 1);
    assert!(e.to_string().starts_with(&format!(
        "line {}, column 26, /DmfAOriginal/Form[1]/",
        e.location.line
    )));
}

#[test]
fn missing_mandatory_zone_is_named() {
    let x = replace_nth(&sample(), "<ContractType>0</ContractType>", "", 0);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(
        p.rejected[0].problem,
        Problem::MissingZone {
            zone: "ContractType"
        }
    );
    assert!(
        p.rejected[0]
            .location
            .path
            .ends_with("/WorkerRecord[1]/Occupation[1]")
    );
    assert_eq!(
        p.persons
            .iter()
            .filter(|p| !p.worker_records.is_empty())
            .count(),
        6
    );
}

#[test]
fn bad_inss_drops_the_person_and_is_never_echoed() {
    let x = replace_nth(&sample(), "<INSS>77101500172<", "<INSS>77101500173<", 0);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert_eq!(p.persons.len(), 6);
    let e = &p.rejected[0];
    assert!(matches!(e.problem, Problem::InvalidInss { .. }));
    assert_eq!(e.dropped, Dropped::Person { person: None });
    let shown = format!("{e} {e:?} {}", serde_json::to_string(e).unwrap());
    assert!(!shown.contains("7710150017"), "{shown}");
}

#[test]
fn bad_quarter_skips_the_whole_form_and_says_how_many_persons() {
    let x = sample().replace("<Quarter>20223</Quarter>", "<Quarter>20225</Quarter>");
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(p.persons.is_empty());
    assert_eq!(p.rejected.len(), 2);
    assert!(matches!(
        p.rejected[0].problem,
        Problem::InvalidValue {
            zone: "Quarter",
            ..
        }
    ));
    assert_eq!(p.rejected[1].problem, Problem::FormSkipped { persons: 7 });
    assert_eq!(p.rejected[1].dropped, Dropped::Form { form: 1 });
}

#[test]
fn service_code_outside_its_validity() {
    // Code 77 (force majeure) ended in 2022Q2; the sample is 2022Q3.
    let x = replace_nth(&sample(), "<ServiceCode>005<", "<ServiceCode>077<", 0);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert_eq!(
        p.rejected[0].problem,
        Problem::ServiceCodeNotValid {
            code: 77,
            quarter: "2022Q3".parse().unwrap()
        }
    );
    assert!(
        p.rejected[0]
            .location
            .path
            .ends_with("/Service[2]/ServiceCode")
    );
}

#[test]
fn non_numeric_and_bad_dates() {
    let x = replace_nth(&sample(), "<ServiceNbrDays>100<", "<ServiceNbrDays>1O0<", 0);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(
        matches!(&p.rejected[0].problem, Problem::OutOfRange { zone: "ServiceNbrDays", value, .. } if value == "1O0")
    );
    let x = replace_nth(&sample(), "2005-10-01", "2005-02-30", 0);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(matches!(
        &p.rejected[0].problem,
        Problem::InvalidValue {
            zone: "OccupationStartingDate",
            ..
        }
    ));
}

#[test]
fn xml_whitespace_and_leading_zeros_are_accepted() {
    let x = replace_nth(
        &sample(),
        "<ServiceNbrDays>06600<",
        "<ServiceNbrDays>\n 0006600 \n<",
        0,
    );
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(p.rejected.is_empty());
    assert_eq!(
        p.persons[0].worker_records[0].occupations[0].services[0]
            .days
            .raw(),
        6600
    );
}

#[test]
fn malformed_xml_stops_with_a_location() {
    let x = replace_nth(&sample(), "</ServiceNbrDays>", "</ServiceNbrDay>", 1);
    let err = parse_bytes(x.as_bytes()).unwrap_err();
    let ParseError::Malformed { location, message } = &err else {
        panic!("{err}")
    };
    assert_eq!(location.line, line_of(&x, "</ServiceNbrDay>"), "{message}");
    assert!(
        location.path.contains("NaturalPerson[3]"),
        "{}",
        location.path
    );
}

#[test]
fn not_a_dmfa_and_truncated_and_empty() {
    let e =
        parse_bytes(b"<?xml version=\"1.0\"?>\n<Invoice><Total>1</Total></Invoice>").unwrap_err();
    assert!(
        matches!(e, ParseError::NotDmfa { ref root, .. } if root == "Invoice"),
        "{e}"
    );
    let s = sample();
    let e = parse_bytes(&s.as_bytes()[..s.len() / 2]).unwrap_err();
    assert!(
        matches!(
            e,
            ParseError::Truncated { .. } | ParseError::Malformed { .. }
        ),
        "{e}"
    );
    assert!(matches!(
        parse_bytes(b"").unwrap_err(),
        ParseError::NotDmfa { .. }
    ));
    assert!(matches!(
        parse_bytes(b"   \n").unwrap_err(),
        ParseError::NotDmfa { .. }
    ));
}

#[test]
fn doctype_entities_are_not_expanded() {
    // A custom entity in a zone stays unresolved and the zone is rejected: no XXE, no expansion.
    let x = sample()
        .replacen(
            "<DmfAOriginal",
            "<!DOCTYPE DmfAOriginal [<!ENTITY big \"9\">]>\n<DmfAOriginal",
            1,
        )
        .replacen("<ServiceNbrDays>06600<", "<ServiceNbrDays>&big;<", 1);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(
        matches!(&p.rejected[0].problem, Problem::OutOfRange { value, .. } if value == "&big;")
    );
}

/// Line and column stay exact on large files, including a bad value that starts just before,
/// on, or just after a 64 KiB chunk boundary of the reader.
#[test]
fn locations_exact_across_chunk_boundaries() {
    let mut base = Vec::new();
    let opts = art60_dmfa::synth::SynthOptions {
        workers: 120,
        seed: 3,
        persons_per_form: 50,
    };
    art60_dmfa::synth::write_synthetic(&mut base, &opts).unwrap();
    let base = String::from_utf8(base).unwrap();
    assert!(base.len() > 3 * 65536);
    let tag = "<ServiceNbrDays>";
    let mut cases = 0;
    for boundary in [65536usize, 2 * 65536, 3 * 65536] {
        // The last service line well before the boundary, moved (by padding whitespace before
        // it, which the XSD allows between elements) so that its value starts at boundary + delta.
        let i = base[..boundary - 100].rfind(tag).unwrap();
        for delta in [-40i64, -17, -1, 0, 1, 2, 17] {
            let value_at = (boundary as i64 + delta) as usize;
            let natural = i + tag.len();
            let pad = value_at - natural;
            let mut x = String::with_capacity(base.len() + pad);
            x.push_str(&base[..i]);
            x.extend(std::iter::repeat_n(' ', pad));
            x.push_str(tag);
            let rest = &base[i + tag.len()..];
            let close = rest.find('<').unwrap();
            x.push_str("12x45");
            x.push_str(&rest[close..]);
            assert_eq!(&x[value_at..value_at + 5], "12x45");
            let expect_line = x[..value_at].matches('\n').count() as u64 + 1;
            let expect_col = (value_at - x[..value_at].rfind('\n').map_or(0, |n| n + 1)) as u64 + 1;
            let p = parse_bytes(x.as_bytes()).unwrap();
            assert_eq!(p.rejected.len(), 1, "boundary {boundary} delta {delta}");
            let loc = &p.rejected[0].location;
            assert_eq!(
                (loc.line, loc.column),
                (expect_line, expect_col),
                "boundary {boundary} delta {delta}"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 21);
}

#[test]
fn employer_must_be_identified_and_quarter_within_engine_range() {
    let x = sample().replace("<NOSSRegistrationNbr>199999934<", "<NOSSRegistrationNbr>0<");
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(p.persons.is_empty());
    assert!(matches!(
        p.rejected[0].problem,
        Problem::InvalidValue {
            zone: "NOSSRegistrationNbr",
            ..
        }
    ));
    assert!(
        p.rejected[0]
            .location
            .path
            .ends_with("/EmployerDeclaration")
    );
    assert_eq!(p.rejected[1].problem, Problem::FormSkipped { persons: 7 });
    // NOSS 0 with a valid enterprise number is fine.
    let x = x.replace("<CompanyID>0<", "<CompanyID>0207446772<");
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.persons[0].employer.to_string(), "KBO 0207.446.772");
    // A quarter the engine cannot handle.
    let x = sample().replace("<Quarter>20223<", "<Quarter>21511<");
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(matches!(
        p.rejected[0].problem,
        Problem::InvalidValue {
            zone: "Quarter",
            ..
        }
    ));
}

#[test]
fn a_bad_service_line_drops_only_that_line() {
    // Out of range days on the first service line: the line goes, its record stays.
    let x = replace_nth(&sample(), "<ServiceNbrDays>", "<ServiceNbrDays>99999", 0);
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
    let e = &p.rejected[0];
    assert!(matches!(
        e.dropped,
        Dropped::ServiceLine {
            worker_record: 1,
            occupation: 1,
            line: 1,
            ..
        }
    ));
    let first = &p.persons[0];
    assert_eq!(first.refused_parts, 1);
    assert_eq!(first.worker_records.len(), 1);
    let clean = parse_bytes(sample().as_bytes()).unwrap();
    let before = &clean.persons[0].worker_records[0].occupations[0];
    let after = &first.worker_records[0].occupations[0];
    assert_eq!(after.services.len() + 1, before.services.len());
    assert_eq!(after.remunerations, before.remunerations);
    assert_eq!(clean.persons[0].refused_parts, 0);
}

#[test]
fn a_bad_form_creation_date_skips_the_form() {
    let x = replace_nth(
        &sample(),
        "<FormCreationDate>2022-08-11<",
        "<FormCreationDate>2022-13-11<",
        0,
    );
    let p = parse_bytes(x.as_bytes()).unwrap();
    assert!(p.persons.is_empty());
    assert!(matches!(
        p.rejected[0].problem,
        Problem::InvalidValue {
            zone: "FormCreationDate",
            ..
        }
    ));
}
