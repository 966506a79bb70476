#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `art60 audit verify` on a real database file: intact, then tampered.

use std::process::Command;

use art60_service::Db;
use art60_service::auth::PasswordCost;
use art60_service::db::Role;
use art60_service::directory::{self, NewUser};
use chrono::Utc;
use sea_orm::ConnectionTrait;

/// `n` audited writes: administrator accounts `admin0`, `admin1`...
async fn add_admins(db: &Db, n: usize) {
    for i in 0..n {
        directory::create_user(
            db,
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
}

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
        add_admins(&db, 4).await;
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

fn art60(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_art60"))
        .args(args)
        .env_remove("ART60_DATABASE_URL")
        .env_remove("ART60_AUDIT_KEY")
        .env_remove("ART60_AUDIT_PUBLIC_KEY")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Issue 14 §1: deleting the last entries and rewriting `audit_head` passed `audit verify`;
/// a checkpoint signed with a key outside the database shows the cut tail, and a checkpoint
/// file outside the database shows it even when the checkpoint rows are deleted too.
#[test]
fn a_signed_checkpoint_reveals_a_cut_tail() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let key = dir.path().join("audit.key");
    let file = dir.path().join("checkpoints.jsonl");
    let (code, public) = art60(&["audit", "keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let public = public.trim().to_owned();
    // The secret file is its owner's only, and keygen refuses to overwrite it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        art60(&["audit", "keygen", "--out", key.to_str().unwrap()]).0,
        Some(1)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        add_admins(&db, 5).await;
    });
    let (code, out) = art60(&[
        "audit",
        "checkpoint",
        "--database-url",
        &url,
        "--key-file",
        key.to_str().unwrap(),
        "--checkpoint-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("5 entries"), "{out}");
    let verify_with = |extra: &[&str]| {
        let mut args = vec![
            "audit",
            "verify",
            "--database-url",
            &url,
            "--public-key",
            &public,
        ];
        args.extend_from_slice(extra);
        art60(&args)
    };
    let (code, out) = verify_with(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("holds"), "{out}");

    // Cut the tail and make the head point at the new last entry.
    rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        db.conn
            .execute_unprepared("DELETE FROM audit_log WHERE seq > 3")
            .await
            .unwrap();
        db.conn
            .execute_unprepared(
                "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)",
            )
            .await
            .unwrap();
    });
    // The chain alone cannot tell...
    let (code, out) = verify(&url);
    assert_eq!(code, Some(0), "{out}");
    // ...the checkpoint can.
    let (code, out) = verify_with(&[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("tail cut"), "{out}");
    assert!(out.contains("signed 5 entries, the chain has 3"), "{out}");

    // Deleting the checkpoints too: not verified from the database alone, still a cut tail
    // against the file kept outside it.
    rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        db.conn
            .execute_unprepared("DELETE FROM audit_checkpoints")
            .await
            .unwrap();
    });
    let (code, out) = verify_with(&[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("no checkpoint signed by this key"), "{out}");
    let (code, out) = verify_with(&["--checkpoint-file", file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("tail cut"), "{out}");
}

/// Issue 14 §1: copying the SQLite file without its `-wal` gave a malformed database;
/// `art60 backup` copies the live database consistently, and the copy verifies.
#[test]
fn backup_makes_a_consistent_copy_of_a_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let out = dir.path().join("copy.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The database stays open (its WAL not checkpointed) while the backup runs.
    let db = rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        add_admins(&db, 3).await;
        db
    });
    let (code, text) = art60(&[
        "backup",
        "--database-url",
        &url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("audit trail intact: 3 entries"), "{text}");
    // The copy is a database of its own with every entry.
    let copy_url = format!("sqlite://{}?mode=rwc", out.display());
    let (code, text) = verify(&copy_url);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("intact: 3 entries"), "{text}");
    // Never over an existing file.
    let (code, _) = art60(&[
        "backup",
        "--database-url",
        &url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    drop(db);
}
