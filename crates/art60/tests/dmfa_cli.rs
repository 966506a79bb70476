#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `art60 dmfa import FILE` on a real database file: stores the declarations of a person with
//! an open request, skips the others, replaces on a second import; the audit trail verifies.

use std::process::Command;

use art60_service::Db;
use art60_service::auth::{Actor, PasswordCost};
use art60_service::db::{Federation, Language, Role};
use art60_service::directory::{self, NewCpas, NewOffice, NewUser};
use art60_service::persons::{self, NewEmployment, NewPerson};
use art60_service::requests::{self, NewRequest};
use chrono::Utc;
use serde_json::json;

fn sample() -> String {
    format!(
        "{}/../../../shared/data/dmfa/DmfAOriginal_20222_1.xml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn import(url: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_art60"))
        .args(["dmfa", "import", &sample(), "--database-url", url])
        .env_remove("ART60_DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_stores_known_persons_and_replaces_on_reimport() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let person_id = rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        let now = Utc::now();
        let cost = PasswordCost::minimal_for_tests();
        let admin = directory::create_user(
            &db,
            now,
            cost,
            None,
            NewUser {
                username: "admin".into(),
                password: "a long enough password".into(),
                role: Role::Administrator,
                cpas_id: None,
                office_id: None,
                federation: None,
            },
        )
        .await
        .unwrap();
        let admin = Actor {
            user_id: admin.id,
            role: Role::Administrator,
            cpas_id: None,
            office_id: None,
            federation: None,
        };
        let o = directory::create_office(
            &db,
            now,
            &admin,
            NewOffice {
                code: "namur".into(),
                name: "Namur".into(),
                phone: "+32 2 000 00 00".into(),
                email: "namur@onem.example".into(),
                address: None,
            },
        )
        .await
        .unwrap();
        let c = directory::create_cpas(
            &db,
            now,
            &admin,
            NewCpas {
                kbo: "0207353138".into(),
                name: "CPAS Namur".into(),
                language: Language::Fr,
                federation: Federation::Uvcw,
                office_id: o.id,
            },
        )
        .await
        .unwrap();
        let w = directory::create_user(
            &db,
            now,
            cost,
            Some(&admin),
            NewUser {
                username: "worker".into(),
                password: "a long enough password".into(),
                role: Role::CpasWorker,
                cpas_id: Some(c.id),
                office_id: None,
                federation: None,
            },
        )
        .await
        .unwrap();
        let worker = Actor {
            user_id: w.id,
            role: Role::CpasWorker,
            cpas_id: Some(c.id),
            office_id: None,
            federation: None,
        };
        let (p, _) = persons::register(
            &db,
            now,
            &worker,
            NewPerson {
                niss: "77101500172".into(),
                last_name: "Test".into(),
                first_name: "Declared".into(),
                birth_date: "1977-10-15".parse().unwrap(),
            },
        )
        .await
        .unwrap();
        let e = persons::create_employment(
            &db,
            now,
            &worker,
            NewEmployment {
                person_id: p.id,
                contract_start: "2030-07-01".parse().unwrap(),
            },
        )
        .await
        .unwrap();
        requests::create(
            &db,
            now,
            now.date_naive(),
            &worker,
            NewRequest {
                employment_id: e.id,
                input: json!({"contract": {"start": "2030-07-01", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}}),
                contact_name: "Service insertion".into(),
                contact_email: "insertion@cpas.example".into(),
                contact_phone: None,
            },
        )
        .await
        .unwrap();
        p.id
    });

    // The sample has rejected records: exit 2, but the valid ones are stored.
    let (code, out, err) = import(&url);
    assert_eq!(code, Some(2), "{out}");
    // Each rejected line is listed with where it is and what was left out (issue 14).
    assert!(
        err.contains("rejected: line 193, column 21, /DmfAOriginal/Form[1]/EmployerDeclaration/NaturalPerson[3]/WorkerRecord[1]/Occupation[1]/Service[1]/ServiceCode: service code 999 is not in ONSS Annex 8; service line 1 (code 999) of occupation 1, worker record 1 of 67.**.**-***.90 left out"),
        "{err}"
    );
    assert!(out.contains("2 rejected record(s) or line(s)"), "{out}");
    assert!(out.contains("for 1 person(s)"), "{out}");
    assert!(out.contains(" 0 replaced"), "{out}");
    let stored = rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        art60_service::dmfa::declarations(&db.conn, person_id)
            .await
            .unwrap()
            .len()
    });
    assert!(stored >= 1);
    let (_, out, _) = import(&url);
    assert!(
        out.contains(&format!("stored 0 new and {stored} replaced")),
        "{out}"
    );
    let v = rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        art60_service::audit::verify(&db.conn).await.unwrap()
    });
    assert_eq!(v.first_broken, None);
}
