//! Migration m0019 (issue 14 §5): where the audit chain starts once entries past their own
//! retention period are removed. The one row names the last removed entry (its position,
//! hash and time); `audit verify` starts after it and, given the signing key, accepts it only
//! when a signed checkpoint vouches for exactly that position and hash. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0019AuditBase;

impl MigrationName for M0019AuditBase {
    fn name(&self) -> &str {
        "m0019_audit_base"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0019AuditBase {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_base")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(string("hash"))
                .col(timestamp_with_time_zone("at"))
                .col(timestamp_with_time_zone("cut_at"))
                .to_owned(),
        )
        .await
    }
}
