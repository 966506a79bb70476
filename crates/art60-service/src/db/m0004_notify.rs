//! Notifications (an outbox read by the scheduler), e-mail preferences, the user's language
//! and e-mail address, portal feedback, and the editable parts of the office directory.
//! Additive only: SQLite adds one column per `ALTER TABLE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0004Notify;

impl MigrationName for M0004Notify {
    fn name(&self) -> &str {
        "m0004_notify"
    }
}

fn fk(from_table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, col)
        .to(to, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Notify {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [string_null("language"), string_null("email")] {
            m.alter_table(Table::alter().table("users").add_column(col).to_owned())
                .await?;
        }
        for col in [
            string_null("area"),
            boolean("email_confirmed").default(true).to_owned(),
        ] {
            m.alter_table(Table::alter().table("offices").add_column(col).to_owned())
                .await?;
        }
        m.create_table(
            Table::create()
                .table("notifications")
                .col(big_pk_auto("id"))
                .col(big_integer("recipient_id"))
                .col(string("kind"))
                .col(big_integer("request_id"))
                // What makes this occurrence distinct: the request version of an event, the
                // date of a deadline or window, the message id.
                .col(string("occasion"))
                .col(string("channel"))
                .col(json("payload"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(string_null("locked_by"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("read_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("notifications", "recipient_id", "users"))
                .foreign_key(&mut fk("notifications", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        // Recorded once, however many processes generate it (INSERT ... ON CONFLICT DO NOTHING).
        m.create_index(
            Index::create()
                .name("notifications_once")
                .table("notifications")
                .col("recipient_id")
                .col("kind")
                .col("request_id")
                .col("occasion")
                .col("channel")
                .unique()
                .to_owned(),
        )
        .await?;
        // The delivery worker's scan: due e-mails.
        m.create_index(
            Index::create()
                .name("notifications_due")
                .table("notifications")
                .col("channel")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("notifications_inbox")
                .table("notifications")
                .col("recipient_id")
                .col("channel")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("notification_prefs")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string("kind"))
                .col(boolean("email"))
                .foreign_key(&mut fk("notification_prefs", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("notification_prefs_unique")
                .table("notification_prefs")
                .col("user_id")
                .col("kind")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("feedback")
                .col(big_pk_auto("id"))
                .col(big_integer_null("user_id"))
                .col(string("page"))
                .col(text("message"))
                .col(string_null("contact_email"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("feedback", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
