//! Migration m0008: an ONEM office's postal address (issue 13 §3: the answer letter's sender
//! block). Optional: SPEC §1.5 lists no addresses, so administrators enter them; a letter
//! from an office without one prints name, telephone and e-mail only. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0008OfficeAddress;

impl MigrationName for M0008OfficeAddress {
    fn name(&self) -> &str {
        "m0008_office_address"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0008OfficeAddress {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("offices")
                .add_column(string_null("address"))
                .to_owned(),
        )
        .await
    }
}
