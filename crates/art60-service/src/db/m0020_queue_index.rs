//! Migration m0020 (issue 16 §1): the queue's index holds every column a queue page shows,
//! so a page is read from the index alone. A request row keeps its form (`input`, often
//! several kilobytes) before `late_request`, `received_on`, `due_on` and `version`: on
//! SQLite, reaching those columns walked each row's overflow pages, and on PostgreSQL a page
//! visited 51 heap rows. Replaces `requests_queue`, whose leading columns it keeps (the
//! queries that used it use this one).

use sea_orm_migration::prelude::*;

pub struct M0020QueueIndex;

impl MigrationName for M0020QueueIndex {
    fn name(&self) -> &str {
        "m0020_queue_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0020QueueIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("requests_queue_page")
                .table("requests")
                .col("office_id")
                .col("status")
                .col("due_on")
                .col("id")
                .col("reference")
                .col("cpas_id")
                .col("received_on")
                .col("late_request")
                .col("version")
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("requests_queue")
                .table("requests")
                .to_owned(),
        )
        .await
    }
}
