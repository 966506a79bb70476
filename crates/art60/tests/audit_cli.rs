#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `art60 audit verify` on a real database file: intact, then tampered.

use std::process::Command;

use art60_service::Db;
use art60_service::auth::PasswordCost;
use art60_service::db::Role;
use art60_service::directory::{self, NewUser};
use chrono::Utc;
use sea_orm::ConnectionTrait;

fn verify(url: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_art60"))
        .args(["audit", "verify", "--database-url", url])
        .env_remove("ART60_DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn audit_verify_reports_the_first_broken_entry() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        for i in 0..4 {
            directory::create_user(
                &db,
                Utc::now(),
                PasswordCost::minimal_for_tests(),
                None,
                NewUser {
                    username: format!("admin{i}"),
                    password: "a long enough password".into(),
                    role: Role::Administrator,
                    cpas_id: None,
                    office_id: None,
                    federation: None,
                },
            )
            .await
            .unwrap();
        }
    });
    let (code, out) = verify(&url);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("intact: 4 entries"), "{out}");
    rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        db.conn
            .execute_unprepared("UPDATE audit_log SET actor_role = 'administrator' WHERE seq = 3")
            .await
            .unwrap();
    });
    let (code, out) = verify(&url);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("BROKEN at entry 3"), "{out}");
}
