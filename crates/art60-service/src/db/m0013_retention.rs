//! Migration m0013 (issue 14 §5, SPEC §9): the retention setting the controller fixes (dated:
//! each row applies from `valid_from` until the next one) and the tombstones of the persons
//! a retention run purged. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0013Retention;

impl MigrationName for M0013Retention {
    fn name(&self) -> &str {
        "m0013_retention"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013Retention {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("retention_settings")
                .col(big_pk_auto("id"))
                .col(date("valid_from"))
                // Case content is kept this many months after the person's last activity.
                .col(integer("case_months"))
                // Audit entries are kept this many months (their own period).
                .col(integer("audit_months"))
                .col(text_null("note"))
                .col(big_integer_null("set_by"))
                .col(timestamp_with_time_zone("set_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("retention_settings_valid_from")
                .table("retention_settings")
                .col("valid_from")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("purged_subjects")
                // The purged person's former id: the only name the audit trail ever gave them.
                .col(big_integer("person_id").primary_key())
                .col(timestamp_with_time_zone("purged_at"))
                // The audit entry of the run that purged them.
                .col(big_integer("run_seq"))
                .to_owned(),
        )
        .await
    }
}
