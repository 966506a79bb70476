//! The organisations other than the CPAS whose people sign in through the identity provider
//! (issue 14 §4, m0017): ONEM, the federations and the operator of the service, each known by
//! its KBO/BCE number, as a CPAS is by `cpas.kbo`. The operator registers them once with
//! `art60 organisation add` (audited); `--demo` registers ONEM's and demo numbers.
//!
//! What each kind's people may be (the role claim must name one of them):
//! - ONEM (one number for every office): `onem_officer`, whose office comes from the office
//!   claim, matched against the directory's office codes; `onem_spoc`, ONEM-wide.
//! - a federation: `federation_spoc` of that federation.
//! - the operator: `administrator`, `dpo`.
//! - a CPAS (not in this table): `cpas_worker`, `access_manager`.

use art60_rules::Kbo;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::audit::{self, Event, Who};
use crate::db::{Db, Federation, OrgKind, Role, cpas, organisation};
use crate::error::{FieldError, Result, ServiceError};

/// ONEM's KBO/BCE number (RVA/ONEM, one legal entity for all its unemployment offices): what
/// `--demo` registers. Not a number of the law, an identifier of the institution.
pub const ONEM_KBO: &str = "0206737484";

/// The roles a person of an organisation of `kind` may hold (`None`: a CPAS).
pub fn roles_of(kind: Option<OrgKind>) -> &'static [Role] {
    match kind {
        None => &[Role::CpasWorker, Role::AccessManager],
        Some(OrgKind::Onem) => &[Role::OnemOfficer, Role::OnemSpoc],
        Some(OrgKind::Federation) => &[Role::FederationSpoc],
        Some(OrgKind::Operator) => &[Role::Administrator, Role::Dpo],
    }
}

/// `art60 organisation add`.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub kbo: String,
    pub kind: OrgKind,
    /// Required for kind `federation` (and not `none`), refused otherwise.
    pub federation: Option<Federation>,
    pub name: String,
}

/// Registers an organisation, audited as `who`. Refuses a number that is not a valid KBO
/// number or already names a CPAS or an organisation: a number maps to one place only, or a
/// sign-in could land in either.
pub async fn register(
    db: &Db,
    now: DateTime<Utc>,
    who: &Who,
    input: NewOrganisation,
) -> Result<organisation::Model> {
    let mut errors = Vec::new();
    let kbo = match Kbo::parse(&input.kbo) {
        Ok(k) => Some(k),
        Err(e) => {
            errors.push(FieldError::new("kbo", e.to_string()));
            None
        }
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "1 to 200 characters"));
    }
    match (input.kind, input.federation) {
        (OrgKind::Federation, Some(f)) if f != Federation::None => {}
        (OrgKind::Federation, _) => errors.push(FieldError::new(
            "federation",
            "required for a federation (vvsg, brulocalis or uvcw)",
        )),
        (_, Some(_)) => errors.push(FieldError::new(
            "federation",
            "only for an organisation of kind federation",
        )),
        (_, None) => {}
    }
    if let Some(k) = &kbo {
        if cpas::Entity::find()
            .filter(cpas::Column::Kbo.eq(k.digits()))
            .one(&db.reads)
            .await?
            .is_some()
        {
            errors.push(FieldError::new(
                "kbo",
                "a CPAS of the directory has this number",
            ));
        }
        if find(&db.reads, k).await?.is_some() {
            errors.push(FieldError::new(
                "kbo",
                "an organisation with this number exists",
            ));
        }
    }
    let (Some(kbo), true) = (kbo, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let tx = db.begin_write().await?;
    let m = organisation::ActiveModel {
        kbo: Set(kbo.digits()),
        kind: Set(input.kind),
        federation: Set(input.federation),
        name: Set(name.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    audit::append(
        &tx.txn,
        now,
        who,
        Event {
            action: "create",
            entity: "organisation",
            entity_id: Some(m.id),
            after: Some(view(&m)),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

/// Removes a registration (its people can no longer sign in through the provider for the
/// first time; existing accounts are refused as of another organisation). Audited.
pub async fn remove(db: &Db, now: DateTime<Utc>, who: &Who, kbo: &str) -> Result<()> {
    let k = Kbo::parse(kbo)
        .map_err(|e| ServiceError::Invalid(vec![FieldError::new("kbo", e.to_string())]))?;
    let tx = db.begin_write().await?;
    let Some(m) = organisation::Entity::find()
        .filter(organisation::Column::Kbo.eq(k.digits()))
        .one(&tx.txn)
        .await?
    else {
        return Err(ServiceError::NotFound("organisation"));
    };
    organisation::Entity::delete_by_id(m.id)
        .exec(&tx.txn)
        .await?;
    audit::append(
        &tx.txn,
        now,
        who,
        Event {
            action: "delete",
            entity: "organisation",
            entity_id: Some(m.id),
            before: Some(view(&m)),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(db: &Db) -> Result<Vec<organisation::Model>> {
    Ok(organisation::Entity::find()
        .order_by_asc(organisation::Column::Kind)
        .order_by_asc(organisation::Column::Kbo)
        .all(&db.reads)
        .await?)
}

/// The organisation registered under `kbo`, if any.
pub async fn find<C: sea_orm::ConnectionTrait>(
    conn: &C,
    kbo: &Kbo,
) -> Result<Option<organisation::Model>> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Kbo.eq(kbo.digits()))
        .one(conn)
        .await?)
}

fn view(m: &organisation::Model) -> serde_json::Value {
    serde_json::json!({
        "kbo": m.kbo,
        "kind": m.kind,
        "federation": m.federation,
        "name": m.name,
    })
}
