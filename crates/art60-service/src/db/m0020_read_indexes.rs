//! Migration m0020 (issue 16 §1): indexes for the reads of the queue and the request page.
//!
//! - `requests_queue_page` holds every column a queue page shows, so a page is read from the
//!   index alone. A request row keeps its form (`input`, often several kilobytes) before
//!   `late_request`, `received_on`, `due_on` and `version`: on SQLite, reaching those columns
//!   walked each row's overflow pages, and on PostgreSQL a page visited 51 heap rows. It
//!   replaces `requests_queue`, whose leading columns it keeps.
//! - The request page looks up the person's other requests (the person in a case, the DmfA
//!   review, the duplicate warning) by person and by employment, and the employments of a
//!   person, and the request's attachments: without these indexes each was a scan of every
//!   request of the CPAS (or of every employment, every attachment), growing with the CPAS.

use sea_orm_migration::prelude::*;

pub struct M0020ReadIndexes;

impl MigrationName for M0020ReadIndexes {
    fn name(&self) -> &str {
        "m0020_read_indexes"
    }
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0020ReadIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let queue = [
            "office_id",
            "status",
            "due_on",
            "id",
            "reference",
            "cpas_id",
            "received_on",
            "late_request",
            "version",
        ];
        m.create_index(index("requests_queue_page", "requests", &queue))
            .await?;
        m.drop_index(
            Index::drop()
                .name("requests_queue")
                .table("requests")
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "requests_person",
            "requests",
            &["person_id", "cpas_id"],
        ))
        .await?;
        m.create_index(index("requests_employment", "requests", &["employment_id"]))
            .await?;
        m.create_index(index(
            "employments_person",
            "employments",
            &["person_id", "cpas_id"],
        ))
        .await?;
        m.create_index(index("attachments_request", "attachments", &["request_id"]))
            .await
    }
}
