//! Entities of m0013: the dated retention setting and the purged persons' tombstones.

/// One retention setting, in force from `valid_from` until the next row's date.
pub mod retention_setting {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "retention_settings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub valid_from: Date,
        pub case_months: i32,
        pub audit_months: i32,
        pub note: Option<String>,
        pub set_by: Option<i64>,
        pub set_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// A person whose case content a retention run deleted. The id is kept only so that the
/// audit trail's `person_id` reads as "purged subject" and is never given to anyone else.
pub mod purged_subject {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "purged_subjects")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: i64,
        pub purged_at: DateTimeUtc,
        pub run_seq: i64,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
