//! SeaORM entities. Enumerations are typed (`DeriveActiveEnum`, stored as text) so a row can
//! only hold a status, role or language the workflow knows.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(#[sea_orm(string_value = $s)] $variant,)+
        }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s,)+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// SPEC §1.2; `dpo`: the data protection officer (SPEC §9), who reads the audit trail
    /// and produces a data subject's access export, and sees no case otherwise.
    /// `access_manager` (issue 14 §4) grants and withdraws the roles of its own
    /// organisation's users.
    Role {
        CpasWorker = "cpas_worker",
        OnemOfficer = "onem_officer",
        FederationSpoc = "federation_spoc",
        OnemSpoc = "onem_spoc",
        Administrator = "administrator",
        Dpo = "dpo",
        AccessManager = "access_manager",
    }
);

text_enum!(
    /// SPEC §1.4.
    Status {
        Draft = "draft",
        Sent = "sent",
        Returned = "returned",
        Calculated = "calculated",
    }
);

text_enum!(
    /// The two reasons SPEC §1.3.7 allows for a modification copy.
    CopyReason {
        ContractChanged = "contract_changed",
        EventImpact = "event_impact",
    }
);

text_enum!(
    Language {
        Fr = "fr",
        Nl = "nl",
        De = "de",
    }
);

text_enum!(
    /// A user's own language setting: the portal's four languages (mails use it too).
    UiLanguage {
        Fr = "fr",
        Nl = "nl",
        De = "de",
        En = "en",
    }
);

text_enum!(
    /// SPEC §1.6; `none` for German-speaking CPAS, which have no listed federation address.
    Federation {
        Vvsg = "vvsg",
        Brulocalis = "brulocalis",
        Uvcw = "uvcw",
        None = "none",
    }
);

text_enum!(
    /// What a registered organisation (m0017) is, for federated sign-in: which roles its
    /// people may hold. CPAS are not here (their number is `cpas.kbo`).
    OrgKind {
        Onem = "onem",
        Federation = "federation",
        Operator = "operator",
    }
);

text_enum!(
    /// How ONEM answered a calculated request.
    Decision {
        Confirmed = "confirmed",
        Overridden = "overridden",
    }
);

pub mod office {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "offices")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub phone: String,
        /// One address, or several separated by `; `.
        pub email: String,
        pub created_at: DateTimeUtc,
        /// The area the office covers (free text, shown in the directory).
        pub area: Option<String>,
        /// `false` while the address still has to be confirmed with ONEM (SPEC §1.5).
        pub email_confirmed: bool,
        /// Postal address, lines separated by `, ` (m0008); `None` until an administrator
        /// enters it.
        pub address: Option<String>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod cpas {
    use super::{Federation, Language};
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cpas")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Ten digits, checked with `Kbo::parse` before it gets here.
        #[sea_orm(unique)]
        pub kbo: String,
        pub name: String,
        pub language: Language,
        pub federation: Federation,
        pub office_id: i64,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user {
    use super::{Federation, Role, UiLanguage};
    use sea_orm::entity::prelude::*;
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub username: String,
        pub password_hash: String,
        pub role: Role,
        pub cpas_id: Option<i64>,
        pub office_id: Option<i64>,
        pub federation: Option<Federation>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        /// The account's language (portal and mails); `None`: the CPAS's, else the browser's.
        pub language: Option<UiLanguage>,
        /// Where notification e-mails go; `None`: portal notifications only.
        pub email: Option<String>,
        /// For an account made by a federated sign-in (m0014): the identity provider and the
        /// subject it gave; the account is found again by this pair, never by name.
        pub oidc_issuer: Option<String>,
        pub oidc_subject: Option<String>,
    }
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("User")
                .field("id", &self.id)
                .field("role", &self.role)
                .finish_non_exhaustive()
        }
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// SHA-256 of the cookie value: a database leak does not hand out live sessions.
        #[sea_orm(unique)]
        pub token_hash: String,
        pub user_id: i64,
        pub csrf_token: String,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        /// A federated session's ID token (m0017), the `id_token_hint` of the sign-out at
        /// the provider; `None` for a password session.
        pub oidc_id_token: Option<String>,
    }
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Session")
                .field("id", &self.id)
                .field("user_id", &self.user_id)
                .finish_non_exhaustive()
        }
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::user::Entity",
            from = "Column::UserId",
            to = "super::user::Column::Id"
        )]
        User,
    }
    impl Related<super::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_token {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub token_hash: String,
        /// The account the token acts as (a `cpas_worker` of `cpas_id`).
        pub user_id: i64,
        pub cpas_id: i64,
        pub label: String,
        pub revoked: bool,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::user::Entity",
            from = "Column::UserId",
            to = "super::user::Column::Id"
        )]
        User,
    }
    impl Related<super::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_attempt {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub username: String,
        pub success: bool,
        pub at: DateTimeUtc,
        /// The client's address (m0009); `None` when unknown.
        pub source: Option<String>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod person {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "persons")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Eleven digits, checked with `Niss::parse`; unique across all CPAS.
        #[sea_orm(unique)]
        pub niss: String,
        /// The name the first CPAS typed. Never shown: every view reads the name of the
        /// viewing CPAS's link (`persons::as_seen_by`).
        pub last_name: String,
        pub first_name: String,
        pub birth_date: Date,
        pub created_at: DateTimeUtc,
    }
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Person")
                .field("id", &self.id)
                .finish_non_exhaustive()
        }
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// Which CPAS follow a person: the person row (NISS, birth date) is shared, visibility is per
/// link, and so is the name (m0011): each CPAS sees the name it typed, never another's.
pub mod person_link {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person_links")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub person_id: i64,
        pub cpas_id: i64,
        pub created_at: DateTimeUtc,
        /// The name this CPAS registered (`None` only on rows m0011 could not fill).
        pub last_name: Option<String>,
        pub first_name: Option<String>,
        /// The birth date this CPAS typed: the NISS's own when it encodes one.
        pub birth_date: Option<Date>,
    }
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("PersonLink")
                .field("id", &self.id)
                .field("person_id", &self.person_id)
                .field("cpas_id", &self.cpas_id)
                .finish_non_exhaustive()
        }
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod employment {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "employments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub person_id: i64,
        pub cpas_id: i64,
        pub contract_start: Date,
        /// Calculations beyond the legal maximum that ONEM allowed (one per derogation).
        pub derogations: i32,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod request {
    use super::{CopyReason, Decision, Status};
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "requests")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub reference: String,
        pub employment_id: i64,
        pub person_id: i64,
        pub cpas_id: i64,
        /// The office competent when the request was last sent (the queue it sits in).
        pub office_id: Option<i64>,
        pub status: Status,
        pub parent_id: Option<i64>,
        pub copy_reason: Option<CopyReason>,
        /// The CPAS form: contract, history, admissions (the engine input minus person/today).
        pub input: Json,
        pub contact_name: String,
        pub contact_email: String,
        pub contact_phone: Option<String>,
        pub late_request: bool,
        pub received_on: Option<Date>,
        pub due_on: Option<Date>,
        pub sent_at: Option<DateTimeUtc>,
        /// The whole engine result (outcome, trace, options, parameters, engine version).
        pub result: Option<Json>,
        pub engine_version: Option<String>,
        pub end_date: Option<Date>,
        pub first_benefit_date: Option<Date>,
        pub days_to_work: Option<i32>,
        pub provisional: Option<bool>,
        pub return_reason: Option<String>,
        pub decision: Option<Decision>,
        pub decision_justification: Option<String>,
        pub override_end_date: Option<Date>,
        /// The engine's answer at `override_end_date` (DA, days to work, explanation).
        pub final_result: Option<Json>,
        pub decided_by: Option<i64>,
        pub decided_at: Option<DateTimeUtc>,
        /// Optimistic concurrency: bumped on every change, exposed as the ETag.
        pub version: i32,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod derogation {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "derogations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub employment_id: i64,
        pub granted_by: i64,
        pub reason: String,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attachment {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i64,
        pub file_name: String,
        /// Sniffed from the bytes, never taken from the client.
        pub media_type: String,
        pub size: i64,
        pub sha256: String,
        pub content: Option<Vec<u8>>,
        pub storage_path: Option<String>,
        pub uploaded_by: i64,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_entry {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        /// Position in the chain (1, 2, ...), assigned under the `audit_head` row lock.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: DateTimeUtc,
        pub actor_user_id: Option<i64>,
        pub actor_role: Option<String>,
        pub actor_org: Option<String>,
        pub action: String,
        pub entity: String,
        pub entity_id: Option<i64>,
        pub person_id: Option<i64>,
        pub reason: Option<String>,
        pub before: Option<Json>,
        pub after: Option<Json>,
        pub prev_hash: String,
        pub hash: String,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// An entry written by a committed transaction, not yet chained (m0018).
pub mod audit_pending {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_pending")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub actor_user_id: Option<i64>,
        pub actor_role: Option<String>,
        pub actor_org: Option<String>,
        pub action: String,
        pub entity: String,
        pub entity_id: Option<i64>,
        pub person_id: Option<i64>,
        pub reason: Option<String>,
        pub before: Option<Json>,
        pub after: Option<Json>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// Where the chain starts after entries past their period were removed (m0019): the last
/// removed entry. No row: the chain starts at the genesis hash.
pub mod audit_base {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_base")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
        pub at: DateTimeUtc,
        pub cut_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_head {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
        /// The last entry's time (m0010): the next one is never earlier.
        pub at: Option<DateTimeUtc>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub key: String,
        pub route: String,
        pub body_sha256: String,
        pub status: i32,
        pub response: String,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// One imported DmfA declaration of one person for one employer and quarter (the parsed
/// `PersonDeclaration` as JSON; it holds the NISS: storage only, never logged).
pub mod dmfa_declaration {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dmfa_declarations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub person_id: i64,
        /// `noss:kbo` (kbo empty when not declared).
        pub employer: String,
        /// `2024Q3`.
        pub quarter: String,
        pub declaration: Json,
        pub imported_by: Option<i64>,
        pub imported_at: DateTimeUtc,
        /// The CPAS for which it was stored (m0011): only that CPAS's requests read it.
        pub cpas_id: Option<i64>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// The exact engine input a request was last sent with (typed and DmfA periods).
pub mod request_engine_input {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "request_engine_inputs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: i64,
        pub input: Json,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_checkpoint {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_checkpoints")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub seq: i64,
        pub hash: String,
        pub signed_at: DateTimeUtc,
        pub public_key: String,
        pub signature: String,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// A stored reform impact run (issue 15 §2), read by its creator only.
pub mod impact_run {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "impact_runs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub parameters: String,
        pub proposal: Option<Json>,
        pub options: Json,
        pub as_of: Date,
        pub selection: Json,
        pub summary: Json,
        pub rows: Json,
        pub truncated: bool,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// An organisation other than a CPAS whose people sign in through the identity provider
/// (m0017): ONEM, a federation, the operator.
pub mod organisation {
    use super::{Federation, OrgKind};
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organisations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Ten digits, checked with `Kbo::parse` before it gets here.
        #[sea_orm(unique)]
        pub kbo: String,
        pub kind: OrgKind,
        /// Set for kind `federation` only.
        pub federation: Option<Federation>,
        pub name: String,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
