//! Entities of the "contact your office" threads and the SPOC escalations (migration
//! `m0003_contact`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an escalation stands (SPEC §1.6): the federation SPOC vets it, forwards it to the
/// ONEM SPOC or closes it with an outcome.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum EscalationStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "forwarded_to_onem")]
    ForwardedToOnem,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl EscalationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationStatus::Open => "open",
            EscalationStatus::ForwardedToOnem => "forwarded_to_onem",
            EscalationStatus::Closed => "closed",
        }
    }
}

impl std::fmt::Display for EscalationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message of a request's thread. Never changed nor deleted once written.
pub mod message {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i64,
        pub author_user_id: i64,
        /// The author's role and organisation when writing (`cpas:<id>`, `office:<id>`): an
        /// account moved later does not rewrite who said what.
        pub author_role: crate::db::Role,
        pub author_org: String,
        pub body: String,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// An attachment (in the `attachments` table) sent with a message.
pub mod message_attachment {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub attachment_id: i64,
        pub message_id: i64,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// How far one user has read one request's thread (messages with a higher id are unread).
pub mod message_read {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_reads")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i64,
        pub user_id: i64,
        pub last_read_id: i64,
        pub updated_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// A ticket escalated to the federation SPOC: no request id, reference, NISS or name here.
pub mod escalation {
    use super::EscalationStatus;
    use crate::db::Federation;
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "escalations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `ESC-YYYY-NNNNNN`, from the row id.
        #[sea_orm(unique)]
        pub ticket: String,
        /// Random; resolved to the request only through `escalation_links`.
        #[sea_orm(unique)]
        pub pseudonym: String,
        pub federation: Federation,
        pub cpas_id: i64,
        pub status: EscalationStatus,
        pub means_exhausted: bool,
        pub several_requests: bool,
        pub payment_delayed: bool,
        pub payment_delay_since: Date,
        /// What the thread showed when escalating: CPAS messages and their first/last day.
        pub contact_messages: i32,
        pub first_contact_on: Option<Date>,
        pub last_contact_on: Option<Date>,
        pub description: String,
        pub outcome: Option<String>,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub forwarded_by: Option<i64>,
        pub forwarded_at: Option<DateTimeUtc>,
        pub closed_by: Option<i64>,
        pub closed_at: Option<DateTimeUtc>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The pseudonym mapping: which request an escalation is about.
pub mod escalation_link {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "escalation_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub escalation_id: i64,
        pub request_id: i64,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
