//! The official-shaped samples in ../shared/data/dmfa parse, and what is extracted is checked
//! field by field against the files (values transcribed from the XML, see the data README).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use art60_dmfa::model::{ContractType, PersonDeclaration};
use art60_dmfa::{Dropped, Problem, parse_file};
use art60_rules::units::Hundredths;
use chrono::NaiveDate;

const DIR: &str = "../../../shared/data/dmfa";

fn path(f: &str) -> String {
    format!("{}/{DIR}/{f}", env!("CARGO_MANIFEST_DIR"))
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn by_inss<'a>(ps: &'a [PersonDeclaration], inss: &str) -> &'a PersonDeclaration {
    ps.iter().find(|p| p.niss.expose() == inss).unwrap()
}

#[test]
fn corrected_2022q3_every_field() {
    let p = parse_file(path("DmfAOriginal_20223_1_Corrected.xml")).unwrap();
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.stats.forms, 1);
    assert_eq!(p.stats.natural_persons, 7);
    assert_eq!(p.stats.worker_records, 7);
    assert_eq!(p.persons.len(), 7);
    for x in &p.persons {
        assert_eq!(x.quarter.to_string(), "2022Q3");
        assert_eq!(x.employer.noss, 199_999_934);
        assert_eq!(x.employer.company, None);
        assert_eq!(x.form, 1);
        let wr = &x.worker_records[0];
        assert_eq!(
            (wr.quarter_start, wr.quarter_end),
            (d("2022-07-01"), d("2022-09-30"))
        );
    }
    let seqs: Vec<u32> = p.persons.iter().map(|x| x.sequence).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6, 7]);

    // #1: 77101500172, class 001, worker 675, occupation 01 from 2005-10-01, PC 999, R 5, full
    // time, Q = S = 38 h, one service line 001 of 066.00 days without hours, remuns 002 and 001.
    let w1 = by_inss(&p.persons, "77101500172");
    let wr = &w1.worker_records[0];
    assert_eq!((wr.employer_class, wr.worker_code), (1, 675));
    let o = &wr.occupations[0];
    assert_eq!(o.sequence, 1);
    assert_eq!(o.start, Some(d("2005-10-01")));
    assert_eq!(o.end, None);
    assert_eq!(o.joint_committee.as_str(), "999");
    assert_eq!(o.days_per_week, Hundredths(500));
    assert_eq!(o.contract_type, ContractType::FullTime);
    assert_eq!(o.reference_hours, Some(Hundredths(3800)));
    assert_eq!(o.mean_hours, Some(Hundredths(3800)));
    assert_eq!(o.worker_status, None);
    assert_eq!(o.days_justification, None);
    assert_eq!(o.services.len(), 1);
    assert_eq!(
        (
            o.services[0].sequence,
            o.services[0].code,
            o.services[0].days,
            o.services[0].hours
        ),
        (1, 1, Hundredths(6600), None)
    );
    let remuns: Vec<(u8, u16, u64)> = o
        .remunerations
        .iter()
        .map(|r| (r.sequence, r.code, r.amount_cents))
        .collect();
    assert_eq!(remuns, vec![(2, 2, 99_999), (1, 1, 999_999)]);

    // #2: 78101500193, R 0, Q 0, S 38, no service line.
    let o = &by_inss(&p.persons, "78101500193").worker_records[0].occupations[0];
    assert_eq!(o.start, Some(d("2012-07-01")));
    assert_eq!(o.days_per_week, Hundredths(0));
    assert_eq!(o.mean_hours, Some(Hundredths(0)));
    assert_eq!(o.reference_hours, Some(Hundredths(3800)));
    assert!(o.services.is_empty());

    // #3: 67011500190, worker 015, occupation 99, PC 000, R 7, part-time, S = Q = 48 h, A1,
    // DaysJustification 1; services 001 (64 days, 99999.99 h) and 005 (1 day, 5 h).
    let w3 = by_inss(&p.persons, "67011500190");
    assert_eq!(w3.worker_records[0].worker_code, 15);
    let o = &w3.worker_records[0].occupations[0];
    assert_eq!(o.sequence, 99);
    assert_eq!(o.start, Some(d("2007-10-01")));
    assert_eq!(o.joint_committee.as_str(), "000");
    assert_eq!(o.days_per_week, Hundredths(700));
    assert_eq!(o.contract_type, ContractType::PartTime);
    assert_eq!(o.reference_hours, Some(Hundredths(4800)));
    assert_eq!(o.mean_hours, Some(Hundredths(4800)));
    assert_eq!(o.worker_status.as_deref(), Some("A1"));
    assert_eq!(o.days_justification, Some(1));
    let sv: Vec<_> = o
        .services
        .iter()
        .map(|s| (s.code, s.days, s.hours))
        .collect();
    assert_eq!(
        sv,
        vec![
            (1, Hundredths(6400), Some(Hundredths(9_999_999))),
            (5, Hundredths(100), Some(Hundredths(500)))
        ]
    );

    // #4: 67101500156, class 000, one line 001 of 366.00 days (the XSD maximum).
    let w4 = by_inss(&p.persons, "67101500156");
    assert_eq!(w4.worker_records[0].employer_class, 0);
    let s = &w4.worker_records[0].occupations[0].services;
    assert_eq!((s[0].code, s[0].days), (1, Hundredths(36600)));

    // #5: 98010112171, student 841, no occupation (StudentContribution instead).
    let w5 = by_inss(&p.persons, "98010112171");
    assert_eq!(w5.worker_records[0].worker_code, 841);
    assert!(w5.worker_records[0].occupations.is_empty());

    // #6: 78101512170, worker code 010 in the corrected file, occupation from 2015-02-01.
    let w6 = by_inss(&p.persons, "78101512170");
    assert_eq!(w6.worker_records[0].worker_code, 10);
    assert_eq!(
        w6.worker_records[0].occupations[0].start,
        Some(d("2015-02-01"))
    );

    // #7: 97010100173, class 050, R 7, 48 h, one line 001 of 64 days, no hours.
    let w7 = by_inss(&p.persons, "97010100173");
    assert_eq!(w7.worker_records[0].employer_class, 50);
    let o = &w7.worker_records[0].occupations[0];
    assert_eq!(o.start, Some(d("2020-10-01")));
    assert_eq!(
        (o.services[0].code, o.services[0].days, o.services[0].hours),
        (1, Hundredths(6400), None)
    );
}

/// The uncorrected declaration uses service code 999, which is not in Annex 8: those two
/// service lines are reported with their line, path and code; the rest of their worker records
/// (the other lines, the occupation) and the other persons are imported (issue 14: one bad line
/// no longer costs the worker's whole record).
#[test]
fn uncorrected_code_999_rejected_with_location_others_kept() {
    let p = parse_file(path("DmfAOriginal_20222_1.xml")).unwrap();
    assert_eq!(p.persons.len(), 7, "persons stay; only their bad line goes");
    assert_eq!(p.rejected.len(), 2);
    let e = &p.rejected[0];
    assert_eq!(e.problem, Problem::UnknownServiceCode { code: 999 });
    assert_eq!((e.location.line, e.location.column), (193, 21));
    assert_eq!(
        e.location.path,
        "/DmfAOriginal/Form[1]/EmployerDeclaration/NaturalPerson[3]/WorkerRecord[1]/Occupation[1]/Service[1]/ServiceCode"
    );
    assert_eq!(
        e.dropped,
        Dropped::ServiceLine {
            person: Some("67.**.**-***.90".into()),
            worker_record: 1,
            occupation: 1,
            line: 1,
            code: Some(999),
        }
    );
    assert_eq!(p.rejected[1].location.line, 303);
    // The valid line 2 (code 005, 1 day) of the same occupation is kept, and nothing else of
    // the record is lost.
    let p3 = by_inss(&p.persons, "67011500190");
    assert_eq!(p3.refused_parts, 1);
    assert_eq!(p3.worker_records.len(), 1);
    let occ = &p3.worker_records[0].occupations[0];
    assert_eq!(
        occ.services
            .iter()
            .map(|s| (s.code, s.days))
            .collect::<Vec<_>>(),
        vec![(5, Hundredths(100))]
    );
    // Person 4's only line was the bad one: the record and its occupation stay, without lines.
    let p4 = by_inss(&p.persons, "67101500156");
    assert_eq!(p4.refused_parts, 1);
    assert_eq!(p4.worker_records.len(), 1);
    assert!(p4.worker_records[0].occupations[0].services.is_empty());
    assert_eq!(by_inss(&p.persons, "77101500172").refused_parts, 0);
    // The form's creation (FormCreationDate, FormCreationHour) orders declarations.
    assert_eq!(
        p3.form_created,
        Some(d("2022-05-12").and_hms_opt(8, 45, 0).unwrap())
    );
    // The good lines of that file are the same as in the corrected one, quarter 2022Q2.
    let w1 = by_inss(&p.persons, "77101500172");
    assert_eq!(w1.quarter.to_string(), "2022Q2");
    assert_eq!(
        w1.worker_records[0].occupations[0].services[0].days,
        Hundredths(6600)
    );
    assert_eq!(w1.worker_records[0].quarter_start, d("2022-04-01"));
    // Worker code 676 before correction.
    assert_eq!(
        by_inss(&p.persons, "78101512170").worker_records[0].worker_code,
        676
    );
}

/// Extra id/parent attributes (not in the XSD) do not disturb the reader.
#[test]
fn linked_file_with_extra_attributes() {
    let p = parse_file(path("DmfAOriginal_20223_1_Linked.xml")).unwrap();
    assert_eq!(p.persons.len(), 7);
    assert_eq!(p.rejected.len(), 2);
    assert!(
        p.rejected
            .iter()
            .all(|e| e.problem == Problem::UnknownServiceCode { code: 999 })
    );
    assert_eq!(p.persons[0].quarter.to_string(), "2022Q3");
}

#[test]
fn two_quarters_two_forms() {
    let p = parse_file(path("DmfAOriginal_2Quarters.xml")).unwrap();
    assert_eq!(p.stats.forms, 2);
    assert_eq!(p.persons.len(), 14);
    assert_eq!(p.rejected.len(), 4);
    let quarters: Vec<String> = p
        .persons
        .iter()
        .map(|x| format!("{}/{}", x.form, x.quarter))
        .collect();
    assert_eq!(&quarters[..1], &["1/2022Q2".to_string()]);
    assert_eq!(&quarters[7..8], &["2/2022Q3".to_string()]);
    assert!(
        p.rejected[2]
            .location
            .path
            .starts_with("/DmfAOriginal/Form[2]/")
    );
    // The first form matches DmfAOriginal_20222_1.xml element for element.
    let single = parse_file(path("DmfAOriginal_20222_1.xml")).unwrap();
    assert_eq!(p.persons[..7], single.persons[..]);
}

/// What the service stores (JSON) reads back to the same declarations; a bad joint committee
/// or NISS in stored JSON is refused, not trusted.
#[test]
fn declarations_round_trip_through_json_storage() {
    let p = parse_file(path("DmfAOriginal_20223_1_Corrected.xml")).unwrap();
    let json = serde_json::to_string(&p.persons).unwrap();
    let back: Vec<PersonDeclaration> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p.persons);
    let bad = json.replacen("\"999\"", "\"99x\"", 1);
    assert!(serde_json::from_str::<Vec<PersonDeclaration>>(&bad).is_err());
    let bad = json.replacen("77101500172", "77101500173", 1);
    assert!(serde_json::from_str::<Vec<PersonDeclaration>>(&bad).is_err());
}
