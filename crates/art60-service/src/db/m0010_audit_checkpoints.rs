//! Migration m0010 (issue 14 §1): signed checkpoints of the audit chain's head, so a cut
//! tail shows even when `audit_head` was rewritten; and the head's time, so an entry's `at`
//! is never earlier than its predecessor's. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0010AuditCheckpoints;

impl MigrationName for M0010AuditCheckpoints {
    fn name(&self) -> &str {
        "m0010_audit_checkpoints"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0010AuditCheckpoints {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_head")
                .add_column(timestamp_with_time_zone_null("at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_checkpoints")
                .col(big_pk_auto("id"))
                // The head signed: how many entries and the last one's hash.
                .col(big_integer("seq"))
                .col(string("hash"))
                .col(timestamp_with_time_zone("signed_at"))
                // Base64 of the ed25519 public key and of the signature.
                .col(string("public_key"))
                .col(string("signature"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("audit_checkpoints_seq")
                .table("audit_checkpoints")
                .col("seq")
                .to_owned(),
        )
        .await
    }
}
