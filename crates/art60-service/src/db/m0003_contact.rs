//! "Contact your office" threads and SPOC escalations (SPEC §1.3 item 8, §1.6).
//!
//! The escalation's link to its request lives in its own table (`escalation_links`): the
//! pseudonymised SPOC views read `escalations` only, so no query of theirs can reach the case.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0003Contact;

impl MigrationName for M0003Contact {
    fn name(&self) -> &str {
        "m0003_contact"
    }
}

fn fk(from_table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, col)
        .to(to, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Contact {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("messages")
                .col(big_pk_auto("id"))
                .col(big_integer("request_id"))
                .col(big_integer("author_user_id"))
                .col(string("author_role"))
                .col(string("author_org"))
                .col(text("body"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("messages", "request_id", "requests"))
                .foreign_key(&mut fk("messages", "author_user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("messages_request")
                .table("messages")
                .col("request_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("message_attachments")
                .col(big_integer("attachment_id").primary_key())
                .col(big_integer("message_id"))
                .foreign_key(&mut fk(
                    "message_attachments",
                    "attachment_id",
                    "attachments",
                ))
                .foreign_key(&mut fk("message_attachments", "message_id", "messages"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("message_reads")
                .col(big_pk_auto("id"))
                .col(big_integer("request_id"))
                .col(big_integer("user_id"))
                .col(big_integer("last_read_id"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("message_reads", "request_id", "requests"))
                .foreign_key(&mut fk("message_reads", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("message_reads_unique")
                .table("message_reads")
                .col("request_id")
                .col("user_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("escalations")
                .col(big_pk_auto("id"))
                .col(string_uniq("ticket"))
                .col(string_uniq("pseudonym"))
                .col(string("federation"))
                .col(big_integer("cpas_id"))
                .col(string("status"))
                .col(boolean("means_exhausted"))
                .col(boolean("several_requests"))
                .col(boolean("payment_delayed"))
                .col(date("payment_delay_since"))
                .col(integer("contact_messages"))
                .col(date_null("first_contact_on"))
                .col(date_null("last_contact_on"))
                .col(text("description"))
                .col(text_null("outcome"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(big_integer_null("forwarded_by"))
                .col(timestamp_with_time_zone_null("forwarded_at"))
                .col(big_integer_null("closed_by"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .foreign_key(&mut fk("escalations", "cpas_id", "cpas"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("escalations_federation")
                .table("escalations")
                .col("federation")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("escalation_links")
                .col(big_integer("escalation_id").primary_key())
                .col(big_integer("request_id"))
                .foreign_key(&mut fk("escalation_links", "escalation_id", "escalations"))
                .foreign_key(&mut fk("escalation_links", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("escalation_links_request")
                .table("escalation_links")
                .col("request_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
