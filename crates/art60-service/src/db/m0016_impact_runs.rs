//! Migration m0016 (issue 15 §2): stored reform impact runs, so the portal and the API can
//! show a run again (filters, CSV) and notify from it without recomputing. The rows are one
//! JSON column, bounded by `impact_runs::MAX_STORED_ROWS`: a run is read whole or not at all,
//! and a rows table would only add joins. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0016ImpactRuns;

impl MigrationName for M0016ImpactRuns {
    fn name(&self) -> &str {
        "m0016_impact_runs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0016ImpactRuns {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("impact_runs")
                .col(big_pk_auto("id"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                // The parameter set's version the run recomputed under.
                .col(string("parameters"))
                .col(json_null("proposal"))
                .col(json("options"))
                .col(date("as_of"))
                .col(json("selection"))
                .col(json("summary"))
                .col(json("rows"))
                // More rows than kept: the summary still counts them all.
                .col(boolean("truncated"))
                .foreign_key(
                    ForeignKey::create()
                        .from("impact_runs", "created_by")
                        .to("users", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("impact_runs_created_by")
                .table("impact_runs")
                .col("created_by")
                .to_owned(),
        )
        .await
    }
}
