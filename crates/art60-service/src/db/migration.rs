//! Schema migrations. Only additive, portable changes (SQLite's ALTER TABLE is limited), so
//! the same migration runs on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Initial),
            Box::new(M0002Dmfa),
            Box::new(super::m0003_contact::M0003Contact),
            Box::new(super::m0004_notify::M0004Notify),
            Box::new(super::m0005_dmfa_review::M0005DmfaReview),
            Box::new(super::m0006_final::M0006Final),
            Box::new(super::m0007_letters::M0007Letters),
            Box::new(super::m0008_office_address::M0008OfficeAddress),
            Box::new(super::m0009_login_source::M0009LoginSource),
            Box::new(super::m0010_audit_checkpoints::M0010AuditCheckpoints),
            Box::new(super::m0011_person_names::M0011PersonNames),
            Box::new(super::m0013_retention::M0013Retention),
            Box::new(super::m0014_oidc::M0014Oidc),
            Box::new(super::m0016_impact_runs::M0016ImpactRuns),
            Box::new(super::m0017_oidc_organisations::M0017OidcOrganisations),
            Box::new(super::m0018_audit_pending::M0018AuditPending),
            Box::new(super::m0019_audit_base::M0019AuditBase),
            Box::new(super::m0020_read_indexes::M0020ReadIndexes),
        ]
    }
}

struct M0001Initial;

impl MigrationName for M0001Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

fn fk(from_table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, col)
        .to(to, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("offices")
                .col(big_pk_auto("id"))
                .col(string_uniq("code"))
                .col(string("name"))
                .col(string("phone"))
                .col(string("email"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("cpas")
                .col(big_pk_auto("id"))
                .col(string_uniq("kbo"))
                .col(string("name"))
                .col(string("language"))
                .col(string("federation"))
                .col(big_integer("office_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("cpas", "office_id", "offices"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_uniq("username"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(big_integer_null("cpas_id"))
                .col(big_integer_null("office_id"))
                .col(string_null("federation"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("users", "cpas_id", "cpas"))
                .foreign_key(&mut fk("users", "office_id", "offices"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sessions")
                .col(big_pk_auto("id"))
                .col(string_uniq("token_hash"))
                .col(big_integer("user_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("sessions", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(string_uniq("token_hash"))
                .col(big_integer("user_id"))
                .col(big_integer("cpas_id"))
                .col(string("label"))
                .col(boolean("revoked"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("api_tokens", "user_id", "users"))
                .foreign_key(&mut fk("api_tokens", "cpas_id", "cpas"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("login_attempts")
                .col(big_pk_auto("id"))
                .col(string("username"))
                .col(boolean("success"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("login_attempts_user_at")
                .table("login_attempts")
                .col("username")
                .col("at")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("persons")
                .col(big_pk_auto("id"))
                .col(string_uniq("niss"))
                .col(string("last_name"))
                .col(string("first_name"))
                .col(date("birth_date"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("person_links")
                .col(big_pk_auto("id"))
                .col(big_integer("person_id"))
                .col(big_integer("cpas_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("person_links", "person_id", "persons"))
                .foreign_key(&mut fk("person_links", "cpas_id", "cpas"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("person_links_unique")
                .table("person_links")
                .col("person_id")
                .col("cpas_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("employments")
                .col(big_pk_auto("id"))
                .col(big_integer("person_id"))
                .col(big_integer("cpas_id"))
                .col(date("contract_start"))
                .col(integer("derogations"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("employments", "person_id", "persons"))
                .foreign_key(&mut fk("employments", "cpas_id", "cpas"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("requests")
                .col(big_pk_auto("id"))
                .col(string_uniq("reference"))
                .col(big_integer("employment_id"))
                .col(big_integer("person_id"))
                .col(big_integer("cpas_id"))
                .col(big_integer_null("office_id"))
                .col(string("status"))
                .col(big_integer_null("parent_id"))
                .col(string_null("copy_reason"))
                .col(json("input"))
                .col(string("contact_name"))
                .col(string("contact_email"))
                .col(string_null("contact_phone"))
                .col(boolean("late_request"))
                .col(date_null("received_on"))
                .col(date_null("due_on"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(json_null("result"))
                .col(string_null("engine_version"))
                .col(date_null("end_date"))
                .col(date_null("first_benefit_date"))
                .col(integer_null("days_to_work"))
                .col(boolean_null("provisional"))
                .col(text_null("return_reason"))
                .col(string_null("decision"))
                .col(text_null("decision_justification"))
                .col(date_null("override_end_date"))
                .col(big_integer_null("decided_by"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(integer("version"))
                .col(big_integer("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("requests", "employment_id", "employments"))
                .foreign_key(&mut fk("requests", "person_id", "persons"))
                .foreign_key(&mut fk("requests", "cpas_id", "cpas"))
                .foreign_key(&mut fk("requests", "office_id", "offices"))
                .foreign_key(&mut fk("requests", "parent_id", "requests"))
                .to_owned(),
        )
        .await?;
        // The ONEM queue: one office's sent requests by deadline.
        m.create_index(
            Index::create()
                .name("requests_queue")
                .table("requests")
                .col("office_id")
                .col("status")
                .col("due_on")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("requests_cpas")
                .table("requests")
                .col("cpas_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("derogations")
                .col(big_pk_auto("id"))
                .col(big_integer("employment_id"))
                .col(big_integer("granted_by"))
                .col(text("reason"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("derogations", "employment_id", "employments"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("attachments")
                .col(big_pk_auto("id"))
                .col(big_integer("request_id"))
                .col(string("file_name"))
                .col(string("media_type"))
                .col(big_integer("size"))
                .col(string("sha256"))
                .col(blob_null("content"))
                .col(string_null("storage_path"))
                .col(big_integer("uploaded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("attachments", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_integer("seq").primary_key())
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
                .col(string("prev_hash"))
                .col(string("hash"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_head")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(string("hash"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string("key"))
                .col(string("route"))
                .col(string("body_sha256"))
                .col(integer("status"))
                .col(text("response"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_unique")
                .table("idempotency_keys")
                .col("user_id")
                .col("key")
                .unique()
                .to_owned(),
        )
        .await?;
        // The chain starts from a fixed genesis hash so the first entry is checked too.
        let genesis = super::chain::GENESIS;
        m.exec_stmt(
            Query::insert()
                .into_table("audit_head")
                .columns(["id", "seq", "hash"])
                .values_panic([1.into(), 0i64.into(), genesis.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

/// Imported DmfA declarations (one row per person, employer and quarter: a later import of the
/// same key replaces the row) and the engine input each sent request was calculated from.
struct M0002Dmfa;

impl MigrationName for M0002Dmfa {
    fn name(&self) -> &str {
        "m0002_dmfa"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Dmfa {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("dmfa_declarations")
                .col(big_pk_auto("id"))
                .col(big_integer("person_id"))
                .col(string("employer"))
                .col(string("quarter"))
                .col(json("declaration"))
                .col(big_integer_null("imported_by"))
                .col(timestamp_with_time_zone("imported_at"))
                .foreign_key(&mut fk("dmfa_declarations", "person_id", "persons"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("dmfa_declarations_key")
                .table("dmfa_declarations")
                .col("person_id")
                .col("employer")
                .col("quarter")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("request_engine_inputs")
                .col(big_integer("request_id").primary_key())
                .col(json("input"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("request_engine_inputs", "request_id", "requests"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
