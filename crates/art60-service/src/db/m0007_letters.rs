//! Migration m0007: the answer letters issued (issue 13 §3), each with its verification code
//! and the SHA-256 of what it stated, so `/verify/{code}` can tell whether the stored answer
//! still says the same. Additive: one new table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0007Letters;

impl MigrationName for M0007Letters {
    fn name(&self) -> &str {
        "m0007_letters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007Letters {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("letters")
                .col(big_pk_auto("id"))
                // 12 characters of Crockford base32, stored without the dashes.
                .col(string_uniq("code"))
                .col(big_integer("request_id"))
                .col(integer("request_version"))
                // The final answer the letter printed (canonical JSON) and its SHA-256.
                .col(json("content"))
                .col(string("content_sha256"))
                .col(timestamp_with_time_zone("issued_at"))
                .col(big_integer("issued_by"))
                .foreign_key(
                    ForeignKey::create()
                        .from("letters", "request_id")
                        .to("requests", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("letters", "issued_by")
                        .to("users", "id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("letters_request")
                .table("letters")
                .col("request_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
