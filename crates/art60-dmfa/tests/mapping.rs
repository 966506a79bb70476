//! DmfA declarations to engine history: one work item per employer and occupation, quarters and
//! lines as declared, and a note for everything that is left out, defaulted or provisional.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use art60_dmfa::model::{
    ContractType, Employer, JointCommittee, Occupation, PersonDeclaration, Remuneration, Service,
    WorkerRecord,
};
use art60_dmfa::synth::make_niss;
use art60_dmfa::{HistoryOptions, NoteKind, parse_file, to_history};
use art60_rules::Niss;
use art60_rules::input::{CalcRequest, DayCategory, PeriodKind, Quarter, Source, WorkRegime};
use art60_rules::units::Hundredths;
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn q(s: &str) -> Quarter {
    s.parse().unwrap()
}
fn sample(f: &str) -> Vec<PersonDeclaration> {
    parse_file(format!(
        "{}/../../../shared/data/dmfa/{f}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .persons
}
fn niss(s: &str) -> Niss {
    Niss::parse(s).unwrap()
}
fn opts(cs: Option<&str>) -> HistoryOptions {
    HistoryOptions {
        contract_start: cs.map(d),
        today: None,
    }
}

fn occ(
    start: &str,
    end: Option<&str>,
    r: i64,
    q: Option<i64>,
    s: Option<i64>,
    ct: ContractType,
    services: &[(u16, i64, Option<i64>)],
) -> Occupation {
    Occupation {
        sequence: 1,
        start: Some(d(start)),
        end: end.map(d),
        joint_committee: JointCommittee::parse("200").unwrap(),
        days_per_week: Hundredths(r),
        contract_type: ct,
        reference_hours: s.map(Hundredths),
        worker_status: None,
        mean_hours: q.map(Hundredths),
        days_justification: None,
        services: services
            .iter()
            .enumerate()
            .map(|(i, &(code, days, hours))| Service {
                sequence: i as u8 + 1,
                code,
                days: Hundredths(days),
                hours: hours.map(Hundredths),
            })
            .collect(),
        remunerations: vec![],
    }
}

fn decl(
    n: Niss,
    quarter: &str,
    worker_code: u16,
    occupations: Vec<Occupation>,
) -> PersonDeclaration {
    let qq = q(quarter);
    PersonDeclaration {
        form: 1,
        form_created: None,
        refused_parts: 0,
        quarter: qq,
        employer: Employer {
            noss: 1234567,
            company: None,
        },
        niss: n,
        sequence: 1,
        worker_records: vec![WorkerRecord {
            employer_class: 0,
            worker_code,
            quarter_start: qq.start(),
            quarter_end: qq.end(),
            occupations,
        }],
    }
}

fn person() -> Niss {
    make_niss(d("1990-05-17"), 123).unwrap()
}

#[test]
fn sample_full_timer_extended_to_the_contract_start() {
    let ps = sample("DmfAOriginal_20223_1_Corrected.xml");
    let h = to_history(niss("77101500172"), &ps, &opts(Some("2023-01-01"))).unwrap();
    assert_eq!(h.items.len(), 1);
    let it = &h.items[0];
    assert_eq!(it.kind, PeriodKind::Work);
    assert_eq!(it.source, Source::Dmfa);
    assert_eq!((it.start, it.end), (d("2022-07-01"), d("2022-12-31")));
    assert_eq!(it.regime, Some(WorkRegime::full_time_5()));
    assert_eq!(it.employer.as_deref(), Some("ONSS 199999934"));
    assert!(it.provisional);
    assert_eq!(it.quarters.len(), 1);
    assert_eq!(it.quarters[0].quarter, q("2022Q3"));
    let l = it.quarters[0].lines[0];
    assert_eq!(
        (l.category, l.days, l.hours, l.service_code),
        (DayCategory::EffectiveWork, Hundredths(6600), None, Some(1))
    );
    let kinds: Vec<NoteKind> = h.notes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoteKind::Info, NoteKind::Provisional]);
    assert!(h.notes[1].message.contains("2022Q4"));
    assert_eq!(h.declared_quarters, vec![q("2022Q3")]);

    // Without a contract start the item ends with the declared quarter and is not provisional.
    let h = to_history(niss("77101500172"), &ps, &opts(None)).unwrap();
    assert_eq!(h.items[0].end, d("2022-09-30"));
    assert!(!h.items[0].provisional);
}

#[test]
fn sample_part_timer_and_educational_leave() {
    let ps = sample("DmfAOriginal_20223_1_Corrected.xml");
    let h = to_history(niss("67011500190"), &ps, &opts(None)).unwrap();
    let it = &h.items[0];
    assert_eq!(
        it.regime,
        Some(WorkRegime {
            days_per_week: Hundredths(700),
            weekly_hours: Hundredths(4800),
            reference_hours: Hundredths(4800)
        })
    );
    let cats: Vec<_> = it.quarters[0]
        .lines
        .iter()
        .map(|l| (l.service_code, l.category))
        .collect();
    assert_eq!(
        cats,
        vec![
            (Some(1), DayCategory::EffectiveWork),
            (Some(5), DayCategory::EducationalLeave)
        ]
    );
}

#[test]
fn sample_career_break_and_student_are_excluded_with_a_reason() {
    let ps = sample("DmfAOriginal_20223_1_Corrected.xml");
    let h = to_history(niss("78101500193"), &ps, &opts(None)).unwrap();
    assert!(h.items.is_empty());
    assert_eq!(h.notes.len(), 1);
    assert_eq!(h.notes[0].kind, NoteKind::Excluded);
    assert!(h.notes[0].message.contains("WorkingDaysSystem 0"));

    let h = to_history(niss("98010112171"), &ps, &opts(None)).unwrap();
    assert!(h.items.is_empty());
    assert_eq!(h.notes[0].kind, NoteKind::Excluded);
    assert!(h.notes[0].message.contains("841"));
}

#[test]
fn two_quarters_of_one_job_make_one_item() {
    let mut ps = sample("DmfAOriginal_20222_1.xml");
    ps.extend(sample("DmfAOriginal_20223_1_Corrected.xml"));
    let h = to_history(niss("97010100173"), &ps, &opts(None)).unwrap();
    assert_eq!(h.items.len(), 1);
    let it = &h.items[0];
    assert_eq!((it.start, it.end), (d("2022-04-01"), d("2022-09-30")));
    let qs: Vec<_> = it.quarters.iter().map(|x| x.quarter).collect();
    assert_eq!(qs, vec![q("2022Q2"), q("2022Q3")]);
    assert!(!it.provisional);
}

#[test]
fn missing_quarter_between_two_declared_is_provisional() {
    let n = person();
    let o = || {
        occ(
            "2020-01-01",
            None,
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 6500, None)],
        )
    };
    let ps = vec![
        decl(n, "2023Q1", 15, vec![o()]),
        decl(n, "2023Q3", 15, vec![o()]),
    ];
    let h = to_history(n, &ps, &opts(None)).unwrap();
    assert_eq!(h.items.len(), 1);
    assert!(h.items[0].provisional);
    let prov: Vec<_> = h
        .notes
        .iter()
        .filter(|x| x.kind == NoteKind::Provisional)
        .map(|x| x.quarter)
        .collect();
    assert_eq!(prov, vec![Some(q("2023Q2"))]);
    assert_eq!(h.items[0].quarters.len(), 2, "no quarter is fabricated");
}

#[test]
fn contract_start_clips_and_drops_later_quarters() {
    let n = person();
    let o = || {
        occ(
            "2020-01-01",
            None,
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 6500, None)],
        )
    };
    let ps = vec![
        decl(n, "2023Q1", 15, vec![o()]),
        decl(n, "2023Q2", 15, vec![o()]),
        decl(n, "2023Q3", 15, vec![o()]),
    ];
    let h = to_history(n, &ps, &opts(Some("2023-05-15"))).unwrap();
    let it = &h.items[0];
    assert_eq!((it.start, it.end), (d("2023-01-01"), d("2023-05-14")));
    assert_eq!(
        it.quarters.iter().map(|x| x.quarter).collect::<Vec<_>>(),
        vec![q("2023Q1"), q("2023Q2")]
    );
    assert!(
        h.notes
            .iter()
            .any(|x| x.quarter == Some(q("2023Q3")) && x.kind == NoteKind::Info)
    );
    // Everything on or after the contract start: no item at all.
    let h = to_history(n, &ps, &opts(Some("2022-12-01"))).unwrap();
    assert!(h.items.is_empty());
}

#[test]
fn a_running_occupation_is_not_extended_over_quarters_whose_dmfa_should_exist() {
    // SPEC §3.10 and §7 (issue 12): only 2022Q3 is declared; on 2024-12-15 the DmfA of 2022Q4
    // to 2024Q3 should exist, so the occupation is not filled up to a 2025 contract (before:
    // extended to 2024-12-31, nine quarters filled); the officer is told.
    let ps = sample("DmfAOriginal_20223_1_Corrected.xml");
    let o = HistoryOptions {
        contract_start: Some(d("2025-01-01")),
        today: Some(d("2024-12-15")),
    };
    let h = to_history(niss("77101500172"), &ps, &o).unwrap();
    assert_eq!(h.items[0].end, d("2022-09-30"));
    let review = h
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::ManualReview)
        .unwrap();
    assert_eq!(review.quarter, Some(q("2022Q4")));
    // While 2022Q4 cannot be declared yet (2023-01-20), it is filled as before.
    let o = HistoryOptions {
        contract_start: Some(d("2023-02-01")),
        today: Some(d("2023-01-20")),
    };
    let h = to_history(niss("77101500172"), &ps, &o).unwrap();
    assert_eq!(h.items[0].end, d("2023-01-31"));
}

#[test]
fn ended_occupation_is_not_extended() {
    let n = person();
    let ps = vec![decl(
        n,
        "2023Q1",
        15,
        vec![occ(
            "2022-06-01",
            Some("2023-02-10"),
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 2900, None)],
        )],
    )];
    let h = to_history(n, &ps, &opts(Some("2024-01-01"))).unwrap();
    assert_eq!(
        (h.items[0].start, h.items[0].end),
        (d("2023-01-01"), d("2023-02-10"))
    );
    assert!(!h.items[0].provisional);
}

#[test]
fn manual_review_cases() {
    let n = person();
    // Code 15 (holidays paid in the flexi wage) has no documented treatment.
    let mut o = occ(
        "2020-01-01",
        None,
        500,
        Some(3800),
        Some(3800),
        ContractType::FullTime,
        &[(1, 6000, None), (15, 500, None)],
    );
    // Notice indemnity.
    o.remunerations.push(Remuneration {
        sequence: 1,
        code: 3,
        amount_cents: 100,
    });
    let h = to_history(n, &[decl(n, "2023Q1", 15, vec![o])], &opts(None)).unwrap();
    let it = &h.items[0];
    assert_eq!(it.quarters[0].lines[1].category, DayCategory::Unknown);
    assert!(it.provisional);
    let reviews: Vec<_> = h
        .notes
        .iter()
        .filter(|x| x.kind == NoteKind::ManualReview)
        .map(|x| x.message.clone())
        .collect();
    assert_eq!(reviews.len(), 2, "{reviews:?}");
    assert!(reviews.iter().any(|m| m.contains("code 3")));
    assert!(reviews.iter().any(|m| m.contains("service code 15")));
}

#[test]
fn regime_defaults_come_from_the_data_file() {
    let n = person();
    // No S: 38 h from data/mapping.toml. Part-time Q 19 h.
    let o = occ(
        "2020-01-01",
        None,
        250,
        Some(1900),
        None,
        ContractType::PartTime,
        &[(1, 3200, Some(24700))],
    );
    let h = to_history(n, &[decl(n, "2023Q1", 15, vec![o])], &opts(None)).unwrap();
    assert_eq!(
        h.items[0].regime,
        Some(WorkRegime {
            days_per_week: Hundredths(250),
            weekly_hours: Hundredths(1900),
            reference_hours: Hundredths(3800)
        })
    );
    assert!(h.notes.iter().any(|x| x.message.contains("S = 38")));
    // Part-time without Q cannot be counted: left out, flagged.
    let o = occ(
        "2020-01-01",
        None,
        250,
        None,
        Some(3800),
        ContractType::PartTime,
        &[(1, 3200, Some(24700))],
    );
    let h = to_history(n, &[decl(n, "2023Q1", 15, vec![o])], &opts(None)).unwrap();
    assert!(h.items.is_empty());
    assert_eq!(h.notes[0].kind, NoteKind::ManualReview);
    // R below one day a week: R = 5 from the data file, flagged.
    let o = occ(
        "2020-01-01",
        None,
        50,
        Some(3800),
        Some(3800),
        ContractType::FullTime,
        &[(1, 100, None)],
    );
    let h = to_history(n, &[decl(n, "2023Q1", 15, vec![o])], &opts(None)).unwrap();
    assert_eq!(h.items[0].regime.unwrap().days_per_week, Hundredths(500));
}

#[test]
fn later_declaration_of_the_same_quarter_replaces_the_earlier() {
    let n = person();
    let a = decl(
        n,
        "2023Q1",
        15,
        vec![occ(
            "2020-01-01",
            None,
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 6000, None)],
        )],
    );
    let b = decl(
        n,
        "2023Q1",
        15,
        vec![occ(
            "2020-01-01",
            None,
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 6400, None)],
        )],
    );
    let h = to_history(n, &[a, b], &opts(None)).unwrap();
    assert_eq!(h.items.len(), 1);
    assert_eq!(h.items[0].quarters[0].lines[0].days, Hundredths(6400));
    assert!(h.notes.iter().any(|x| x.message.contains("replaces")));
}

#[test]
fn other_people_are_ignored_and_the_engine_accepts_the_result() {
    let n = person();
    let other = make_niss(d("1985-01-02"), 5).unwrap();
    let o = || {
        occ(
            "2020-01-01",
            None,
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 6500, None), (50, 200, None)],
        )
    };
    let ps = vec![
        decl(n, "2023Q1", 15, vec![o()]),
        decl(other, "2023Q2", 15, vec![o()]),
    ];
    let h = to_history(n, &ps, &opts(Some("2023-10-02"))).unwrap();
    assert_eq!(h.items.len(), 1);
    assert_eq!(h.declared_quarters, vec![q("2023Q1")]);
    let json = serde_json::json!({
        "mode": "plan",
        "today": "2023-09-15",
        "person": { "niss": n.expose(), "birth_date": "1990-05-17" },
        "contract": { "start": "2023-10-02", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38 },
        "history": h.items,
    });
    let req = CalcRequest::parse(&json.to_string()).unwrap();
    assert_eq!(req.history.len(), 1);
    assert_eq!(
        req.history[0].quarters[0].lines[1].category,
        DayCategory::InsuredSickness
    );
}

#[test]
fn art60_occupation_in_flanders_is_named() {
    let n = person();
    let mut o = occ(
        "2023-01-09",
        None,
        500,
        Some(3800),
        Some(3800),
        ContractType::FullTime,
        &[(1, 5500, None)],
    );
    o.worker_status = Some("TW".into());
    let h = to_history(n, &[decl(n, "2023Q1", 15, vec![o])], &opts(None)).unwrap();
    assert_eq!(
        h.items.len(),
        1,
        "still work: the engine counts art. 60 days as ordinary days"
    );
    assert!(
        h.notes
            .iter()
            .any(|x| x.kind == NoteKind::Info && x.message.contains("art. 60 §7"))
    );
}

#[test]
fn identical_occupation_lines_in_one_declaration_are_both_kept() {
    let n = person();
    let a = occ(
        "2020-01-01",
        None,
        500,
        Some(3800),
        Some(3800),
        ContractType::FullTime,
        &[(1, 3000, None)],
    );
    let mut b = occ(
        "2020-01-01",
        None,
        500,
        Some(3800),
        Some(3800),
        ContractType::FullTime,
        &[(2, 500, None)],
    );
    b.sequence = 2;
    let h = to_history(n, &[decl(n, "2023Q1", 15, vec![a, b])], &opts(None)).unwrap();
    assert_eq!(h.items.len(), 1);
    let codes: Vec<_> = h.items[0].quarters[0]
        .lines
        .iter()
        .map(|l| (l.service_code, l.days))
        .collect();
    assert_eq!(
        codes,
        vec![(Some(1), Hundredths(3000)), (Some(2), Hundredths(500))]
    );
    assert!(!h.notes.iter().any(|x| x.message.contains("replaces")));
}

#[test]
fn a_correction_that_changes_the_regime_replaces_the_whole_quarter() {
    let n = person();
    let first = decl(
        n,
        "2023Q1",
        15,
        vec![occ(
            "2020-01-01",
            None,
            500,
            Some(3800),
            Some(3800),
            ContractType::FullTime,
            &[(1, 6000, None)],
        )],
    );
    // The corrected declaration says part-time 19/38: another job key, same employer and quarter.
    let corrected = decl(
        n,
        "2023Q1",
        15,
        vec![occ(
            "2020-01-01",
            None,
            500,
            Some(1900),
            Some(3800),
            ContractType::PartTime,
            &[(1, 6000, Some(24700))],
        )],
    );
    let h = to_history(n, &[first, corrected], &opts(None)).unwrap();
    assert_eq!(
        h.items.len(),
        1,
        "the first version must not be counted as well"
    );
    assert_eq!(h.items[0].regime.unwrap().weekly_hours, Hundredths(1900));
    assert!(h.notes.iter().any(|x| x.message.contains("replaces")));
}
