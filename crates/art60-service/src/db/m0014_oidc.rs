//! Migration m0014 (issue 14 §4): federated sign-in. An account signed in through the
//! organisations' identity provider is found again by its issuer and subject (`sub`), which
//! never change, rather than by a user name the provider may reuse. Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0014Oidc;

impl MigrationName for M0014Oidc {
    fn name(&self) -> &str {
        "m0014_oidc"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0014Oidc {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("users")
                .add_column(string_null("oidc_issuer"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("users")
                .add_column(string_null("oidc_subject"))
                .to_owned(),
        )
        .await?;
        // One account per identity: two first sign-ins at once cannot both create one.
        m.create_index(
            Index::create()
                .name("users_oidc_identity")
                .table("users")
                .col("oidc_issuer")
                .col("oidc_subject")
                .unique()
                .to_owned(),
        )
        .await
    }
}
