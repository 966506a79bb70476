//! Migration m0009: where a sign-in attempt came from (issue 14 §1), so that throttling can
//! count per source and per source and account, not only per account. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0009LoginSource;

impl MigrationName for M0009LoginSource {
    fn name(&self) -> &str {
        "m0009_login_source"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009LoginSource {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("login_attempts")
                .add_column(string_null("source"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("login_attempts_source_at")
                .table("login_attempts")
                .col("source")
                .col("at")
                .to_owned(),
        )
        .await
    }
}
