//! Migration m0011 (issue 14 §1, cross-CPAS disclosure): a CPAS's view of a person is its
//! own. The name (and birth date) each CPAS typed lives on its link (the shared person row
//! keeps the NISS that identifies the person), and a DmfA declaration belongs to the CPAS for
//! which it was stored, so that nothing another CPAS typed or imported comes back.
//!
//! Existing data: every link gets the names and birth date of the shared row (what that CPAS was shown until
//! now); a declaration imported by a CPAS worker belongs to that worker's CPAS; one imported
//! by the operator, an officer or an administrator is copied to every CPAS that follows the
//! person (each of them could see it until now, so nothing new is disclosed).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0011PersonNames;

impl MigrationName for M0011PersonNames {
    fn name(&self) -> &str {
        "m0011_person_names"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0011PersonNames {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("person_links")
                .add_column(string_null("last_name"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("person_links")
                .add_column(string_null("first_name"))
                .to_owned(),
        )
        .await?;
        // A NISS that does not encode the birth date (bis numbers with an unknown date) leaves
        // the date to what each CPAS typed.
        m.alter_table(
            Table::alter()
                .table("person_links")
                .add_column(date_null("birth_date"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("dmfa_declarations")
                .add_column(big_integer_null("cpas_id"))
                .to_owned(),
        )
        .await?;
        // The old key (person, employer, quarter) would refuse the per-CPAS copies below.
        m.drop_index(
            Index::drop()
                .name("dmfa_declarations_key")
                .table("dmfa_declarations")
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Portable SQL (SQLite and PostgreSQL): correlated subqueries, no UPDATE ... FROM.
        for sql in [
            "UPDATE person_links SET \
               last_name = (SELECT p.last_name FROM persons p WHERE p.id = person_links.person_id), \
               first_name = (SELECT p.first_name FROM persons p WHERE p.id = person_links.person_id), \
               birth_date = (SELECT p.birth_date FROM persons p WHERE p.id = person_links.person_id)",
            "UPDATE dmfa_declarations SET cpas_id = \
               (SELECT u.cpas_id FROM users u WHERE u.id = dmfa_declarations.imported_by \
                 AND u.role = 'cpas_worker')",
            "INSERT INTO dmfa_declarations \
               (person_id, employer, quarter, declaration, imported_by, imported_at, cpas_id) \
             SELECT d.person_id, d.employer, d.quarter, d.declaration, d.imported_by, \
                    d.imported_at, l.cpas_id \
               FROM dmfa_declarations d JOIN person_links l ON l.person_id = d.person_id \
              WHERE d.cpas_id IS NULL",
            "DELETE FROM dmfa_declarations WHERE cpas_id IS NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }
        m.create_index(
            Index::create()
                .name("dmfa_declarations_cpas_key")
                .table("dmfa_declarations")
                .col("person_id")
                .col("cpas_id")
                .col("employer")
                .col("quarter")
                .unique()
                .to_owned(),
        )
        .await
    }
}
