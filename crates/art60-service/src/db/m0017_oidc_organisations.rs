//! Migration m0017 (issue 14 §4): federated sign-in for everyone, not only CPAS users.
//!
//! - `organisations`: the KBO/BCE numbers of the organisations other than the CPAS whose
//!   people sign in through the identity provider: ONEM (one number for all its offices; the
//!   officer's office comes from another claim), each federation (its SPOCs) and the operator
//!   of the service (administrators, DPO). CPAS keep their number in `cpas.kbo`.
//! - `sessions.oidc_id_token`: the ID token a federated session was opened with, sent back
//!   to the provider as `id_token_hint` when the user signs out (RP-initiated logout).
//!
//! Additive.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0017OidcOrganisations;

impl MigrationName for M0017OidcOrganisations {
    fn name(&self) -> &str {
        "m0017_oidc_organisations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0017OidcOrganisations {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("organisations")
                .col(big_pk_auto("id"))
                // Ten digits, checked with `Kbo::parse`; one organisation per number.
                .col(string_uniq("kbo"))
                // `onem`, `federation` or `operator`.
                .col(string("kind"))
                // The federation, for kind `federation` only.
                .col(string_null("federation"))
                .col(string("name"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("sessions")
                .add_column(text_null("oidc_id_token"))
                .to_owned(),
        )
        .await
    }
}
