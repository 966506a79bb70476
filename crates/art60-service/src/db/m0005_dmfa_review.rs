//! Migration m0005: how the CPAS settled each conflict between a typed period and the DmfA
//! (`dmfa_resolutions`), and per request what its last calculation left out and whether the
//! DmfA changed since (`request_dmfa_reviews`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0005DmfaReview;

impl MigrationName for M0005DmfaReview {
    fn name(&self) -> &str {
        "m0005_dmfa_review"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005DmfaReview {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("dmfa_resolutions")
                .col(big_pk_auto("id"))
                .col(big_integer("request_id"))
                // The typed period by content (SHA-256 of its JSON): editing it reopens the
                // conflict; the DmfA period by employer and first day.
                .col(string("typed_key"))
                .col(string("dmfa_key"))
                .col(string("choice"))
                .col(text_null("justification"))
                .col(big_integer("decided_by"))
                .col(timestamp_with_time_zone("decided_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("dmfa_resolutions", "request_id")
                        .to("requests", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("dmfa_resolutions_key")
                .table("dmfa_resolutions")
                .col("request_id")
                .col("typed_key")
                .col("dmfa_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("request_dmfa_reviews")
                .col(big_integer("request_id").primary_key())
                .col(json("left_out"))
                .col(timestamp_with_time_zone("calculated_at"))
                .col(timestamp_with_time_zone_null("dmfa_changed_at"))
                .col(string_null("change_outcome"))
                .col(text_null("change_detail"))
                .foreign_key(
                    ForeignKey::create()
                        .from("request_dmfa_reviews", "request_id")
                        .to("requests", "id"),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
