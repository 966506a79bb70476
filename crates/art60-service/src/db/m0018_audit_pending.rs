//! Migration m0018 (issue 16 §1): entries written by a transaction wait here until a group
//! append chains them. A business transaction inserts its entry as a plain row (no lock on
//! `audit_head`), so concurrent transactions no longer queue behind each other's commit; one
//! short transaction then chains every waiting row (see `audit::chain_pending`). The columns
//! are those of `audit_log` without the chain's (seq, prev_hash, hash). Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0018AuditPending;

impl MigrationName for M0018AuditPending {
    fn name(&self) -> &str {
        "m0018_audit_pending"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0018AuditPending {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_pending")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("actor_user_id"))
                .col(string_null("actor_role"))
                .col(string_null("actor_org"))
                .col(string("action"))
                .col(string("entity"))
                .col(big_integer_null("entity_id"))
                .col(big_integer_null("person_id"))
                .col(text_null("reason"))
                .col(json_null("before"))
                .col(json_null("after"))
                .to_owned(),
        )
        .await
    }
}
