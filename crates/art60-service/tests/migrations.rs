#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Data migrations on data written by the earlier schema. SQLite always; PostgreSQL when
//! ART60_TEST_DATABASE_URL is set.

mod common;

use art60_service::db::migration::Migrator;
use common::{Backend, backends};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;

/// A connection to an empty database (a file, or a fresh PostgreSQL schema), not migrated.
async fn empty(backend: Backend, dir: &tempfile::TempDir) -> (DatabaseConnection, Option<String>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
            (Database::connect(url).await.unwrap(), None)
        }
        Backend::Postgres => {
            let url = std::env::var("ART60_TEST_DATABASE_URL").unwrap();
            let schema = format!("m_{}", std::process::id()) + &format!("_{}", rand_suffix());
            let admin = Database::connect(url.clone()).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .unwrap();
            let mut opts = ConnectOptions::new(url);
            opts.max_connections(1)
                .set_schema_search_path(schema.clone());
            (Database::connect(opts).await.unwrap(), Some(schema))
        }
    }
}

fn rand_suffix() -> String {
    art60_service::auth::random_secret("")
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect()
}

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<Vec<String>> {
    let backend = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (0..)
                .map_while(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .map(|v| v.unwrap_or_else(|| "NULL".into()))
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn m0011_gives_each_cpas_its_own_record_and_dmfa() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (conn, schema) = empty(backend, &dir).await;
        Migrator::up(&conn, Some(10)).await.unwrap();
        // Before m0011: one person row shared by two CPAS, and two stored declarations: one
        // uploaded by a worker of CPAS 2, one by the operator (no user).
        for sql in [
            "INSERT INTO offices (id, code, name, phone, email, created_at) VALUES \
               (1, 'O1', 'Office', '02', 'o@example.invalid', '2024-01-01 00:00:00+00')",
            "INSERT INTO cpas (id, kbo, name, language, federation, office_id, created_at) VALUES \
               (1, '0212344876', 'A', 'fr', 'brulocalis', 1, '2024-01-01 00:00:00+00'), \
               (2, '0207500123', 'B', 'fr', 'brulocalis', 1, '2024-01-01 00:00:00+00')",
            "INSERT INTO users (id, username, password_hash, role, cpas_id, active, created_at) \
               VALUES (7, 'worker.b', 'x', 'cpas_worker', 2, true, '2024-01-01 00:00:00+00')",
            "INSERT INTO persons (id, niss, last_name, first_name, birth_date, created_at) VALUES \
               (1, '95031012341', 'Dupont', 'Marie', '1995-03-10', '2024-01-01 00:00:00+00')",
            "INSERT INTO person_links (person_id, cpas_id, created_at) VALUES \
               (1, 1, '2024-01-01 00:00:00+00'), (1, 2, '2024-01-02 00:00:00+00')",
            "INSERT INTO dmfa_declarations \
               (person_id, employer, quarter, declaration, imported_by, imported_at) VALUES \
               (1, '1:', '2023Q1', '{}', 7, '2024-01-03 00:00:00+00'), \
               (1, '1:', '2023Q2', '{}', NULL, '2024-01-03 00:00:00+00')",
        ] {
            conn.execute_unprepared(sql).await.unwrap();
        }
        Migrator::up(&conn, None).await.unwrap();
        assert_eq!(
            rows(
                &conn,
                "SELECT CAST(cpas_id AS TEXT), last_name, first_name, CAST(birth_date AS TEXT) \
                 FROM person_links ORDER BY cpas_id"
            )
            .await,
            [
                ["1", "Dupont", "Marie", "1995-03-10"],
                ["2", "Dupont", "Marie", "1995-03-10"]
            ],
            "each link keeps the names its CPAS was shown"
        );
        assert_eq!(
            rows(
                &conn,
                "SELECT quarter, CAST(cpas_id AS TEXT) FROM dmfa_declarations \
                 ORDER BY quarter, cpas_id"
            )
            .await,
            [["2023Q1", "2"], ["2023Q2", "1"], ["2023Q2", "2"]],
            "a worker's upload stays with its CPAS; the operator's serves every CPAS"
        );
        if let Some(s) = schema {
            conn.execute_unprepared(&format!("DROP SCHEMA {s} CASCADE"))
                .await
                .unwrap();
        }
    }
}
