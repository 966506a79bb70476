//! Entities of migrations m0005 (DmfA conflict resolutions, per-request DmfA review state)
//! and m0007 (answer letters).

/// How the CPAS settled one conflict between a typed period and a DmfA period.
pub mod dmfa_resolution {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dmfa_resolutions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub request_id: i64,
        pub typed_key: String,
        pub dmfa_key: String,
        /// `use_dmfa` or `keep_typed`.
        pub choice: String,
        pub justification: Option<String>,
        pub decided_by: i64,
        pub decided_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// What a request's last calculation left out, and whether the DmfA changed since.
pub mod request_dmfa_review {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "request_dmfa_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: i64,
        /// `Vec<dmfa_review::LeftOut>`.
        pub left_out: Json,
        pub calculated_at: DateTimeUtc,
        pub dmfa_changed_at: Option<DateTimeUtc>,
        /// `recalculated`, `not_recalculated` (sent request), `newer_dmfa` (calculated request).
        pub change_outcome: Option<String>,
        /// Why it could not be recalculated (English, no personal data).
        pub change_detail: Option<String>,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// An answer letter issued (migration m0007): its verification code and what it stated.
pub mod letter {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "letters")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// 12 Crockford base32 characters, without the dashes it is printed with.
        #[sea_orm(unique)]
        pub code: String,
        pub request_id: i64,
        pub request_version: i32,
        /// The final answer as the letter printed it (`letters::Content`), canonical JSON.
        pub content: Json,
        pub content_sha256: String,
        pub issued_at: DateTimeUtc,
        pub issued_by: i64,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
