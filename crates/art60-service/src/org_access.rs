//! An organisation's access manager (issue 14 §4): grants and withdraws the roles of its
//! own CPAS's users, as the organisation's access manager does at the social-security
//! portal. Withdrawing deactivates the account and ends its sessions and tokens, so a
//! federated sign-in is refused until a role is granted again. Every change is audited.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Actor;
use crate::db::{Db, Role, user};
use crate::directory::UserView;
use crate::error::{Result, ServiceError};

/// The roles an access manager may grant: those of a CPAS's users.
pub const GRANTABLE: [Role; 2] = [Role::CpasWorker, Role::AccessManager];

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    /// `cpas_worker` or `access_manager`.
    pub role: Role,
}

/// The access manager's CPAS, or 403 for anyone else.
fn managed_cpas(actor: &Actor) -> Result<i64> {
    match (actor.role, actor.cpas_id) {
        (Role::AccessManager, Some(c)) => Ok(c),
        _ => Err(ServiceError::Forbidden(
            "only an organisation's access manager manages its users' roles".into(),
        )),
    }
}

/// The users of the access manager's own CPAS, active or not.
pub async fn list_users(db: &Db, actor: &Actor) -> Result<Vec<UserView>> {
    let cpas_id = managed_cpas(actor)?;
    Ok(user::Entity::find()
        .filter(user::Column::CpasId.eq(cpas_id))
        .order_by_asc(user::Column::Username)
        .all(&db.reads)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// Loads `user_id` under the write transaction; 403 when it belongs to another organisation.
async fn own_user<C: sea_orm::ConnectionTrait>(
    conn: &C,
    cpas_id: i64,
    user_id: i64,
) -> Result<user::Model> {
    let u = user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if u.cpas_id != Some(cpas_id) || !GRANTABLE.contains(&u.role) {
        return Err(ServiceError::Forbidden(
            "this user belongs to another organisation".into(),
        ));
    }
    Ok(u)
}

/// Gives `user_id` the role `grant.role` and (re)activates the account.
pub async fn grant_role(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: i64,
    grant: RoleGrant,
) -> Result<UserView> {
    let cpas_id = managed_cpas(actor)?;
    if !GRANTABLE.contains(&grant.role) {
        return Err(ServiceError::invalid(
            "role",
            "an access manager grants cpas_worker or access_manager",
        ));
    }
    if user_id == actor.user_id {
        return Err(ServiceError::invalid(
            "role",
            "another access manager of your organisation changes your own role",
        ));
    }
    let tx = db.begin_write().await?;
    let current = own_user(&tx.txn, cpas_id, user_id).await?;
    let before = serde_json::to_value(UserView::from(current.clone())).ok();
    let mut am: user::ActiveModel = current.into();
    am.role = Set(grant.role);
    am.active = Set(true);
    let view = UserView::from(am.update(&tx.txn).await?);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "grant_role",
            entity: "user",
            entity_id: Some(user_id),
            before,
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // The user's role or status changed: their sessions and tokens must see it now.
    db.credentials.invalidate();
    Ok(view)
}

/// Withdraws `user_id`'s role: the account is deactivated, its sessions end and its API
/// tokens are revoked.
pub async fn withdraw_role(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: i64,
) -> Result<UserView> {
    let cpas_id = managed_cpas(actor)?;
    if user_id == actor.user_id {
        return Err(ServiceError::invalid(
            "user",
            "you cannot withdraw your own role",
        ));
    }
    let tx = db.begin_write().await?;
    let current = own_user(&tx.txn, cpas_id, user_id).await?;
    let before = serde_json::to_value(UserView::from(current.clone())).ok();
    let mut am: user::ActiveModel = current.into();
    am.active = Set(false);
    let view = UserView::from(am.update(&tx.txn).await?);
    let (sessions, tokens) = crate::auth::revoke_credentials(&tx.txn, user_id, None).await?;
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "withdraw_role",
            entity: "user",
            entity_id: Some(user_id),
            before,
            after: Some(serde_json::json!({
                "user": view, "sessions_ended": sessions, "tokens_revoked": tokens,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // The user's role or status changed: their sessions and tokens must see it now.
    db.credentials.invalidate();
    Ok(view)
}
