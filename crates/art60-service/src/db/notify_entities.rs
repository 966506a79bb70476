//! Entities of notifications, e-mail preferences and portal feedback (migration m0004).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What happened. Stored as text; the mail templates are keyed by [`NotificationKind::as_str`].
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
pub enum NotificationKind {
    /// The office received a sent request (to the CPAS).
    #[sea_orm(string_value = "received")]
    Received,
    /// ONEM published the calculation (to the CPAS).
    #[sea_orm(string_value = "calculated")]
    Calculated,
    /// ONEM returned the request, with its reason (to the CPAS).
    #[sea_orm(string_value = "returned")]
    Returned,
    /// A message in the request's thread (to the other side).
    #[sea_orm(string_value = "message_received")]
    MessageReceived,
    /// ONEM set another end date than the computed one (to the CPAS).
    #[sea_orm(string_value = "modified")]
    Modified,
    /// The answer is due tomorrow (to the office).
    #[sea_orm(string_value = "deadline_tomorrow")]
    DeadlineTomorrow,
    /// The answer is late (to the office).
    #[sea_orm(string_value = "overdue")]
    Overdue,
    /// A second calculation may be asked from today (to the CPAS).
    #[sea_orm(string_value = "window_opens")]
    WindowOpens,
    /// Last day to ask a second calculation (to the CPAS).
    #[sea_orm(string_value = "window_closes")]
    WindowCloses,
    /// A reform shortens the contract: a second calculation may be asked in the new window
    /// (to the CPAS, from an impact run, issue 15 §2).
    #[sea_orm(string_value = "reform_impact")]
    ReformImpact,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 10] = [
        NotificationKind::Received,
        NotificationKind::Calculated,
        NotificationKind::Modified,
        NotificationKind::Returned,
        NotificationKind::MessageReceived,
        NotificationKind::DeadlineTomorrow,
        NotificationKind::Overdue,
        NotificationKind::WindowOpens,
        NotificationKind::WindowCloses,
        NotificationKind::ReformImpact,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Received => "received",
            NotificationKind::Calculated => "calculated",
            NotificationKind::Modified => "modified",
            NotificationKind::Returned => "returned",
            NotificationKind::MessageReceived => "message_received",
            NotificationKind::DeadlineTomorrow => "deadline_tomorrow",
            NotificationKind::Overdue => "overdue",
            NotificationKind::WindowOpens => "window_opens",
            NotificationKind::WindowCloses => "window_closes",
            NotificationKind::ReformImpact => "reform_impact",
        }
    }
    pub fn parse(s: &str) -> Option<NotificationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
pub enum Channel {
    #[sea_orm(string_value = "portal")]
    Portal,
    #[sea_orm(string_value = "email")]
    Email,
}

/// E-mail rows: `pending` until sent (never dropped: failures are retried). Portal rows:
/// `unread` until read.
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
pub enum NotificationStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "unread")]
    Unread,
    #[sea_orm(string_value = "read")]
    Read,
    /// Not sent: the recipient removed their address, closed the account or turned the kind
    /// off before delivery.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

pub mod notification {
    use super::{Channel, NotificationKind, NotificationStatus};
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub recipient_id: i64,
        pub kind: NotificationKind,
        pub request_id: i64,
        pub occasion: String,
        pub channel: Channel,
        /// Reference, dates, reason: never a NISS or a name.
        pub payload: Json,
        pub status: NotificationStatus,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        /// A claimed e-mail: the worker that holds it and until when (a crashed worker's
        /// lease expires and another one retakes the row).
        pub locked_until: Option<DateTimeUtc>,
        pub locked_by: Option<String>,
        pub sent_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub read_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// A user's choice for one kind (no row: e-mail on).
pub mod notification_pref {
    use super::NotificationKind;
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_prefs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub kind: NotificationKind,
        pub email: bool,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// Feedback to the team running the portal, with the page it came from.
pub mod feedback {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feedback")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: Option<i64>,
        pub page: String,
        pub message: String,
        pub contact_email: Option<String>,
        pub created_at: DateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}
