//! Demonstration data for `art60 serve --demo`: the ONEM offices of SPEC §1.5, three CPAS
//! (French, Dutch and German speaking), one account per role, and requests in every status.
//! All persons are fictitious; their NISS carry valid check digits.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;

use crate::auth::{Actor, PasswordCost, hash_password, random_secret};
use crate::db::{CopyReason, Db, Federation, Language, OrgKind, Role, user};
use crate::directory::{self, NewCpas, NewUser};
use crate::error::Result;
use crate::persons::{self, NewEmployment, NewPerson};
use crate::requests::{self, CopyInput, DecideInput, DecisionKind, NewRequest, ReturnInput};

/// A demo account and its password (printed once at start).
#[derive(Debug, Clone)]
pub struct Credential {
    pub username: String,
    pub role: Role,
    pub password: String,
}

/// Seeds an empty database; on an already seeded one, gives the demo accounts new passwords.
pub async fn seed(db: &Db, now: DateTime<Utc>, cost: PasswordCost) -> Result<Vec<Credential>> {
    // Offices alone may have been filled by a first start without --demo.
    if user::Entity::find().count(&db.reads).await? > 0 {
        return reset_passwords(db, cost).await;
    }
    let mut creds = Vec::new();
    let mut account = |username: &str, role: Role| {
        let password = random_secret("").chars().take(16).collect::<String>();
        creds.push(Credential {
            username: username.to_owned(),
            role,
            password: password.clone(),
        });
        password
    };
    let admin_pw = account("admin", Role::Administrator);
    let admin_view = directory::create_user(
        db,
        now,
        cost,
        None,
        NewUser {
            username: "admin".into(),
            password: admin_pw,
            role: Role::Administrator,
            cpas_id: None,
            office_id: None,
            federation: None,
        },
    )
    .await?;
    let admin = Actor {
        user_id: admin_view.id,
        role: Role::Administrator,
        cpas_id: None,
        office_id: None,
        federation: None,
    };
    let office_ids = directory::seed_offices(db, now, &admin.who()).await?;
    let office = |code: &str| office_ids.get(code).copied().unwrap_or_default();
    let cpas_list = [
        (
            "0207353138",
            "CPAS de Namur",
            Language::Fr,
            Federation::Uvcw,
            "namur",
            "cpas.namur",
        ),
        (
            "0212415647",
            "OCMW Brussel",
            Language::Nl,
            Federation::Brulocalis,
            "brussels",
            "ocmw.brussel",
        ),
        (
            "0207521305",
            "ÖSHZ Eupen",
            Language::De,
            Federation::None,
            "verviers",
            "oeshz.eupen",
        ),
    ];
    let mut workers = Vec::new();
    for (kbo, name, language, federation, office_code, username) in cpas_list {
        let c = directory::create_cpas(
            db,
            now,
            &admin,
            NewCpas {
                kbo: kbo.into(),
                name: name.into(),
                language,
                federation,
                office_id: office(office_code),
            },
        )
        .await?;
        let pw = account(username, Role::CpasWorker);
        let u = directory::create_user(
            db,
            now,
            cost,
            Some(&admin),
            NewUser {
                username: username.into(),
                password: pw,
                role: Role::CpasWorker,
                cpas_id: Some(c.id),
                office_id: None,
                federation: None,
            },
        )
        .await?;
        workers.push(Actor {
            user_id: u.id,
            role: Role::CpasWorker,
            cpas_id: Some(c.id),
            office_id: None,
            federation: None,
        });
    }
    let mut officers = Vec::new();
    for (username, office_code) in [
        ("onem.namur", "namur"),
        ("onem.brussels", "brussels"),
        ("onem.verviers", "verviers"),
    ] {
        let pw = account(username, Role::OnemOfficer);
        let u = directory::create_user(
            db,
            now,
            cost,
            Some(&admin),
            NewUser {
                username: username.into(),
                password: pw,
                role: Role::OnemOfficer,
                cpas_id: None,
                office_id: Some(office(office_code)),
                federation: None,
            },
        )
        .await?;
        officers.push(Actor {
            user_id: u.id,
            role: Role::OnemOfficer,
            cpas_id: None,
            office_id: Some(office(office_code)),
            federation: None,
        });
    }
    for (username, role, federation) in [
        ("spoc.uvcw", Role::FederationSpoc, Some(Federation::Uvcw)),
        ("spoc.onem", Role::OnemSpoc, None),
        ("dpo", Role::Dpo, None),
    ] {
        let pw = account(username, role);
        directory::create_user(
            db,
            now,
            cost,
            Some(&admin),
            NewUser {
                username: username.into(),
                password: pw,
                role,
                cpas_id: None,
                office_id: None,
                federation,
            },
        )
        .await?;
    }
    // Federated sign-in (issue 14 §4): ONEM's real number, and fictitious ones (valid check
    // digits, a range no Belgian organisation is known to use) for the federations and the
    // operator; production registers the real ones with `art60 organisation add`.
    for (kbo, kind, federation, name) in [
        (
            crate::organisations::ONEM_KBO,
            OrgKind::Onem,
            None,
            "ONEM / RVA / LfA",
        ),
        (
            "0999000129",
            OrgKind::Federation,
            Some(Federation::Uvcw),
            "UVCW (demo number)",
        ),
        (
            "0999000228",
            OrgKind::Federation,
            Some(Federation::Vvsg),
            "VVSG (demo number)",
        ),
        (
            "0999000327",
            OrgKind::Federation,
            Some(Federation::Brulocalis),
            "Brulocalis (demo number)",
        ),
        (
            "0999000426",
            OrgKind::Operator,
            None,
            "Operator (demo number)",
        ),
    ] {
        crate::organisations::register(
            db,
            now,
            &admin.who(),
            crate::organisations::NewOrganisation {
                kbo: kbo.into(),
                kind,
                federation,
                name: name.into(),
            },
        )
        .await?;
    }
    let today = now.date_naive();
    // (NISS, last name, first name, birth date): fictitious people.
    let people = [
        ("95031012341", "Demo", "Alice", "1995-03-10"),
        ("88110204772", "Voorbeeld", "Bram", "1988-11-02"),
        ("03051701290", "Beispiel", "Clara", "2003-05-17"),
        ("70011503324", "Exemple", "Didier", "1970-01-15"),
    ];
    for (i, (niss, last, first, birth)) in people.iter().enumerate() {
        let worker = &workers[i % workers.len()];
        let officer = &officers[i % officers.len()];
        let (p, _) = persons::register(
            db,
            now,
            worker,
            NewPerson {
                niss: (*niss).into(),
                last_name: (*last).into(),
                first_name: (*first).into(),
                birth_date: birth.parse().unwrap_or(NaiveDate::MIN),
            },
        )
        .await?;
        let start = today + Duration::days(30 + 7 * i as i64);
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
        let new = |start: NaiveDate| NewRequest {
            employment_id: emp.id,
            input: json!({"contract": {"start": start, "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}}),
            contact_name: "Service insertion".into(),
            contact_email: "insertion@cpas.example".into(),
            contact_phone: None,
        };
        let r = requests::create(db, now, today, worker, new(start)).await?;
        match i {
            // A draft only.
            0 => {}
            // Sent 8 days ago: overdue in the queue.
            1 => {
                let past = now - Duration::days(8);
                requests::send(db, past, past.date_naive(), worker, r.id, Some(r.version)).await?;
            }
            // Sent, then returned by ONEM.
            2 => {
                let s = requests::send(db, now, today, worker, r.id, Some(r.version)).await?;
                requests::return_to_cpas(
                    db,
                    now,
                    officer,
                    s.id,
                    Some(s.version),
                    ReturnInput {
                        reason: "The periods abroad lack their U1 attestation.".into(),
                    },
                )
                .await?;
            }
            // Calculated and confirmed, with a copy in draft for a changed contract (a second
            // calculation for events may only be asked 30 to 15 days before the end).
            _ => {
                let s = requests::send(db, now, today, worker, r.id, Some(r.version)).await?;
                let c = requests::decide(
                    db,
                    now,
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
                requests::copy(
                    db,
                    now,
                    worker,
                    c.id,
                    CopyInput {
                        reason: CopyReason::ContractChanged,
                    },
                )
                .await?;
            }
        }
        // One more sent request per CPAS so each queue has something due.
        let r2 = requests::create(db, now, today, worker, new(start)).await?;
        requests::send(db, now, today, worker, r2.id, Some(r2.version)).await?;
        if i == 0 {
            crate::demo_contact::seed(db, now, worker, officer, new(start), new(start)).await?;
        }
    }
    if let Some(w) = workers.first() {
        crate::demo_dmfa::seed(db, now, w).await?;
    }
    crate::demo_impact::seed(db, &workers, &officers).await?;
    Ok(creds)
}

async fn reset_passwords(db: &Db, cost: PasswordCost) -> Result<Vec<Credential>> {
    let names = [
        "admin",
        "cpas.namur",
        "ocmw.brussel",
        "oeshz.eupen",
        "onem.namur",
        "onem.brussels",
        "onem.verviers",
        "spoc.uvcw",
        "spoc.onem",
        "dpo",
    ];
    let mut out = Vec::new();
    for u in user::Entity::find()
        .filter(user::Column::Username.is_in(names))
        .all(&db.reads)
        .await?
    {
        let password = random_secret("").chars().take(16).collect::<String>();
        let mut am: user::ActiveModel = u.clone().into();
        am.password_hash = Set(hash_password(cost, &password)?);
        am.update(&db.conn).await?;
        // The previous start's password is gone: so are its sessions and tokens.
        crate::auth::revoke_credentials(&db.reads, u.id, None).await?;
        db.credentials.invalidate();
        out.push(Credential {
            username: u.username,
            role: u.role,
            password,
        });
    }
    Ok(out)
}
