//! Demonstration DmfA data: a fictitious person of the first demo CPAS whose employer declared
//! three quarters of full-time work, still running (the quarters after the last declaration
//! are counted by the "no interruption" rule, provisionally), and a draft request that types a
//! part of that job again: a conflict to settle before sending.

use art60_dmfa::model::{ContractType, JointCommittee};
use art60_dmfa::{Employer, Occupation, PersonDeclaration, Service, WorkerRecord};
use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

use crate::auth::Actor;
use crate::db::Db;
use crate::dmfa::{self, Importer};
use crate::error::{Result, ServiceError};
use crate::persons::{self, NewEmployment, NewPerson};
use crate::requests::{self, NewRequest};

/// A fictitious employer (ONSS number only).
const EMPLOYER_NOSS: u32 = 1_234_567;

fn declaration(niss: art60_rules::Niss, q: Quarter, job_start: NaiveDate) -> PersonDeclaration {
    PersonDeclaration {
        form: 1,
        form_created: None,
        refused_parts: 0,
        quarter: q,
        employer: Employer {
            noss: EMPLOYER_NOSS,
            company: None,
        },
        niss,
        sequence: 1,
        worker_records: vec![WorkerRecord {
            employer_class: 0,
            worker_code: 495,
            quarter_start: q.start(),
            quarter_end: q.end(),
            occupations: vec![Occupation {
                sequence: 1,
                start: Some(job_start),
                end: None,
                joint_committee: JointCommittee::none(),
                days_per_week: Hundredths::whole(5),
                contract_type: ContractType::FullTime,
                reference_hours: Some(Hundredths::whole(38)),
                worker_status: None,
                mean_hours: Some(Hundredths::whole(38)),
                days_justification: None,
                services: vec![Service {
                    sequence: 1,
                    code: 1,
                    days: Hundredths::whole(60),
                    hours: None,
                }],
                remunerations: vec![],
            }],
        }],
    }
}

/// Seeds the person, the draft and the declarations (stored as an operator import).
pub async fn seed(db: &Db, now: DateTime<Utc>, worker: &Actor) -> Result<()> {
    let today = now.date_naive();
    let birth = NaiveDate::from_ymd_opt(1990, 6, 15).unwrap_or(NaiveDate::MIN);
    let niss = art60_dmfa::synth::make_niss(birth, 31)
        .ok_or_else(|| ServiceError::Storage("demo NISS".into()))?;
    let (p, _) = persons::register(
        db,
        now,
        worker,
        NewPerson {
            niss: niss.expose(),
            last_name: "Déclarée".into(),
            first_name: "Emma".into(),
            birth_date: birth,
        },
    )
    .await?;
    let start = today + Duration::days(60);
    let emp = persons::create_employment(
        db,
        now,
        worker,
        NewEmployment {
            person_id: p.id,
            contract_start: start,
        },
    )
    .await?;
    // Declared: the three quarters before the last one (the last is not declared yet).
    let last_declared = Quarter::of(today).prev().prev();
    let first = last_declared.prev().prev();
    let typed_end = first.next().end();
    requests::create(
        db,
        now,
        today,
        worker,
        NewRequest {
            employment_id: emp.id,
            input: json!({
                "contract": {"start": start, "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
                "history": [{"kind": "work", "start": first.start(), "end": typed_end}],
            }),
            contact_name: "Service insertion".into(),
            contact_email: "insertion@cpas.example".into(),
            contact_phone: None,
        },
    )
    .await?;
    let decls = [first, first.next(), last_declared]
        .into_iter()
        .map(|q| declaration(niss, q, first.start()))
        .collect();
    dmfa::store_read(db, now, Importer::Operator, decls, vec![], None).await?;
    Ok(())
}
