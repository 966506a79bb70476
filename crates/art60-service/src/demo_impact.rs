//! Demonstration data for the reform impact (issue 15): contracts sized in May 2025, before
//! the reform of 2026-03-01 was published, for people over 36 (468 days in 33 months then).
//! Under the rules in force today they reach the requirement earlier (312 days in 36 months
//! from a DA on 2026-03-01), so `art60 impact` and the portal's impact page show a real
//! difference on the demo database.
//!
//! "Sized before the reform" is reproduced with the parameter set as it stood then
//! (`proposal::before`: today's embedded set without the entries that start on or after the
//! reform date, the last earlier entry of each parameter left open-ended). The stored answer
//! carries that set's version (`…-before-20260301`), so the demo never passes it off as
//! today's.

use art60_rules::params::ParamSet;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use crate::auth::Actor;
use crate::db::{Db, request, request_engine_input};
use crate::error::{Result, ServiceError};
use crate::persons::{self, NewEmployment, NewPerson};
use crate::requests::{self, DecideInput, DecisionKind, NewRequest};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// One confirmed request per person below, for the workers' CPAS in turn.
pub async fn seed(db: &Db, workers: &[Actor], officers: &[Actor]) -> Result<()> {
    let reform = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or(NaiveDate::MIN);
    let before = art60_rules::proposal::before(ParamSet::embedded(), reform)
        .map_err(|e| ServiceError::Storage(format!("parameter set before the reform: {e}")))?;
    // Fictitious people over 36, each with six months of full-time work before the contract.
    let people = [
        ("84041212348", "Avant", "Fabienne", "1984-04-12"),
        ("79092324511", "Vroeger", "Gert", "1979-09-23"),
        ("82010536748", "Früher", "Hanna", "1982-01-05"),
    ];
    let sent_at = at(2025, 5, 20);
    let decided_at = sent_at + Duration::days(3);
    let start = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap_or(NaiveDate::MIN);
    for (i, (niss, last, first, birth)) in people.iter().enumerate() {
        let (Some(worker), Some(officer)) = (
            workers.get(i % workers.len().max(1)),
            officers.get(i % officers.len().max(1)),
        ) else {
            return Ok(());
        };
        let (p, _) = persons::register(
            db,
            sent_at,
            worker,
            NewPerson {
                niss: (*niss).into(),
                last_name: (*last).into(),
                first_name: (*first).into(),
                birth_date: birth.parse().unwrap_or(NaiveDate::MIN),
            },
        )
        .await?;
        let emp = persons::create_employment(
            db,
            sent_at,
            worker,
            NewEmployment {
                person_id: p.id,
                contract_start: start,
            },
        )
        .await?;
        let r = requests::create(
            db,
            sent_at,
            sent_at.date_naive(),
            worker,
            NewRequest {
                employment_id: emp.id,
                input: json!({
                    "contract": {"start": start, "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
                    "history": [{"kind": "work", "start": "2024-07-01", "end": "2024-12-31"}],
                }),
                contact_name: "Service insertion".into(),
                contact_email: "insertion@cpas.example".into(),
                contact_phone: None,
            },
        )
        .await?;
        let s = requests::send(
            db,
            sent_at,
            sent_at.date_naive(),
            worker,
            r.id,
            Some(r.version),
        )
        .await?;
        // The answer as the engine gave it then, under the rules then known.
        let input = request_engine_input::Entity::find_by_id(s.id)
            .one(&db.reads)
            .await?
            .ok_or(ServiceError::NotFound("engine input"))?;
        let req: art60_rules::CalcRequest = serde_json::from_value(input.input)
            .map_err(|e| ServiceError::Storage(format!("engine input: {e}")))?;
        let then = crate::engine::run_under(&req, &before)
            .map_err(|e| ServiceError::Storage(format!("demo sizing: {e}")))?;
        let row = request::Entity::find_by_id(s.id)
            .one(&db.reads)
            .await?
            .ok_or(ServiceError::NotFound("request"))?;
        let mut am: request::ActiveModel = row.into();
        am.result = Set(Some(then.result));
        am.engine_version = Set(Some(then.engine_version));
        am.end_date = Set(then.end_date);
        am.first_benefit_date = Set(then.first_benefit_date);
        am.days_to_work = Set(then
            .days_to_work
            .map(|d| i32::try_from(d).unwrap_or(i32::MAX)));
        am.provisional = Set(Some(then.provisional));
        am.update(&db.conn).await?;
        requests::decide(
            db,
            decided_at,
            officer,
            s.id,
            Some(s.version),
            DecideInput {
                decision: DecisionKind::Confirm,
                end_date: None,
                justification: None,
            },
        )
        .await?;
    }
    Ok(())
}
