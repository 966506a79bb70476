//! Property tests: generated declarations parse back to exactly what was generated; arbitrary
//! bytes and mutated samples never make the reader panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad setup

use art60_dmfa::model::{
    ContractType, Employer, JointCommittee, Occupation, PersonDeclaration, Remuneration, Service,
    WorkerRecord,
};
use art60_dmfa::synth::{DmfaWriter, default_form_created, make_kbo, make_niss};
use art60_dmfa::{Item, parse_bytes};
use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use chrono::NaiveDate;
use proptest::prelude::*;

/// Codes valid in every quarter since 2003Q1 and still valid (Annex 8).
const ALWAYS_VALID: [u16; 25] = [
    1, 2, 3, 4, 5, 10, 11, 12, 13, 20, 21, 22, 24, 25, 26, 30, 50, 51, 52, 60, 61, 70, 71, 72, 73,
];

fn date() -> impl Strategy<Value = NaiveDate> {
    (0u64..20_000).prop_map(|d| NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(d))
}

fn service() -> impl Strategy<Value = Service> {
    (
        1u8..=99,
        proptest::sample::select(&ALWAYS_VALID[..]),
        1i64..=36_600,
        proptest::option::of(1i64..=9_999_999),
    )
        .prop_map(|(sequence, code, days, hours)| Service {
            sequence,
            code,
            days: Hundredths(days),
            hours: hours.map(Hundredths),
        })
}

fn remun() -> impl Strategy<Value = Remuneration> {
    (1u8..=99, 0u16..=999, 0u64..=99_999_999_999).prop_map(|(sequence, code, amount_cents)| {
        Remuneration {
            sequence,
            code,
            amount_cents,
        }
    })
}

fn occupation() -> impl Strategy<Value = Occupation> {
    (
        (
            1u8..=99,
            proptest::option::of(date()),
            proptest::option::of(0u64..400),
        ),
        "[0-9]{3}(\\.[0-9]{2}(\\.[0-9]{2})?)?",
        (0i64..=700, any::<bool>(), proptest::option::of(1i64..=6000)),
        (
            proptest::option::of("[A-Z]{1,2}"),
            proptest::option::of(0i64..=6000),
        ),
        proptest::option::of(1u8..=8),
        proptest::collection::vec(service(), 0..4),
        proptest::collection::vec(remun(), 0..3),
    )
        .prop_map(
            |((sequence, start, len), jc, (r, pt, s), (ws, q), dj, services, remunerations)| {
                Occupation {
                    sequence,
                    start,
                    // An end only after a start (the reader rejects an end before the start).
                    end: start.zip(len).map(|(s, l)| s + chrono::Days::new(l)),
                    joint_committee: JointCommittee::parse(&jc).unwrap(),
                    days_per_week: Hundredths(r),
                    contract_type: if pt {
                        ContractType::PartTime
                    } else {
                        ContractType::FullTime
                    },
                    reference_hours: s.map(Hundredths),
                    worker_status: ws,
                    mean_hours: q.map(Hundredths),
                    days_justification: dj,
                    services,
                    remunerations,
                }
            },
        )
}

type Form = (Quarter, Employer, Vec<PersonDeclaration>);

fn form() -> impl Strategy<Value = Form> {
    let quarter = (2004i32..2030, 1u8..=4).prop_map(|(year, q)| Quarter { year, q });
    // NOSS 0 is only valid with an enterprise number.
    let employer = (
        0u32..=199_999_934,
        proptest::option::of(200_000u32..19_999_999),
    )
        .prop_map(|(noss, k)| Employer {
            noss,
            company: k.or((noss == 0).then_some(2_074_467)).and_then(make_kbo),
        });
    let record = (
        0u16..=999,
        0u16..=999,
        proptest::collection::vec(occupation(), 0..3),
    );
    let person = (date(), 1u32..=997, proptest::collection::vec(record, 1..3));
    (quarter, employer, proptest::collection::vec(person, 1..4)).prop_map(|(q, e, ps)| {
        let persons = ps
            .into_iter()
            .enumerate()
            .map(|(i, (birth, seq, records))| PersonDeclaration {
                form: 0,
                form_created: Some(default_form_created(q)),
                refused_parts: 0,
                quarter: q,
                employer: e,
                niss: make_niss(birth, seq).unwrap(),
                sequence: i as u32 + 1,
                worker_records: records
                    .into_iter()
                    .map(|(ec, wc, occupations)| WorkerRecord {
                        employer_class: ec,
                        worker_code: wc,
                        quarter_start: q.start(),
                        quarter_end: q.end(),
                        occupations,
                    })
                    .collect(),
            })
            .collect();
        (q, e, persons)
    })
}

fn write(forms: &[Form]) -> Vec<u8> {
    let mut w = DmfaWriter::new(Vec::new()).unwrap();
    for (q, e, ps) in forms {
        w.begin_form(*q, *e).unwrap();
        for p in ps {
            w.person(p).unwrap();
        }
        w.end_form().unwrap();
    }
    w.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_declarations_parse_back(forms in proptest::collection::vec(form(), 1..4)) {
        let xml = write(&forms);
        let parsed = parse_bytes(&xml).unwrap();
        prop_assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
        let expected: Vec<PersonDeclaration> = forms
            .iter()
            .enumerate()
            .flat_map(|(i, (_, _, ps))| {
                ps.iter().map(move |p| PersonDeclaration { form: i as u32 + 1, ..p.clone() })
            })
            .collect();
        prop_assert_eq!(parsed.persons, expected);
        prop_assert_eq!(parsed.stats.bytes, xml.len() as u64);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = parse_bytes(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic_and_report_everything(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8)
    ) {
        let mut x = std::fs::read(format!(
            "{}/../../../shared/data/dmfa/DmfAOriginal_2Quarters.xml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        for (at, op, byte) in edits {
            let i = at.index(x.len());
            match op {
                0 => x[i] = byte,
                1 => { x.remove(i); }
                _ => x.insert(i, byte),
            }
        }
        // Stream it: whatever happens, the reader ends (no panic, no endless loop).
        let reader = art60_dmfa::DmfaReader::new(&x[..]).unwrap();
        let mut n = 0;
        for item in reader {
            match item {
                Ok(Item::Person(_)) | Ok(Item::Rejected(_)) => n += 1,
                Err(_) => break,
            }
            prop_assert!(n < 100_000);
        }
    }
}
