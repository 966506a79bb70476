//! Migration m0006: the engine's answer at the end date ONEM set when it overrode a result
//! (`requests.final_result`), so the final end, DA and days to work are the engine's too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0006Final;

impl MigrationName for M0006Final {
    fn name(&self) -> &str {
        "m0006_final"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006Final {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("requests")
                .add_column(json_null("final_result"))
                .to_owned(),
        )
        .await
    }
}
