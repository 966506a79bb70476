//! Organisations and accounts: ONEM offices, CPAS (with their competent office), users.
//! Managed by administrators; readable in part by everyone signed in.

use art60_rules::Kbo;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::{Actor, PasswordCost, hash_password};
use crate::db::{Db, Federation, Language, Role, cpas, office, user};
use crate::error::{FieldError, Result, ServiceError};

fn require_admin(actor: &Actor) -> Result<()> {
    if actor.role == Role::Administrator {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("administrators only".into()))
    }
}

fn non_empty(errors: &mut Vec<FieldError>, field: &str, v: &str, max: usize) {
    if v.trim().is_empty() || v.len() > max {
        errors.push(FieldError::new(field, format!("1 to {max} characters")));
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficeView {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The area the office covers.
    pub area: Option<String>,
    /// Postal address on one line, parts separated by `, ` (street, postcode and town); the
    /// answer letter prints each part on its own line. `None` until entered.
    pub address: Option<String>,
    pub phone: String,
    /// All addresses as stored (`; ` between several).
    pub email: String,
    /// The same, one address per item.
    pub emails: Vec<String>,
    /// `false`: the address is still to be confirmed with ONEM (shown as such).
    pub email_confirmed: bool,
    /// The CPAS this office is competent for (the CPAS→office map).
    pub serves: Vec<ServedCpas>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServedCpas {
    pub id: i64,
    pub name: String,
}

impl From<office::Model> for OfficeView {
    fn from(m: office::Model) -> Self {
        OfficeView {
            id: m.id,
            code: m.code,
            name: m.name,
            area: m.area,
            address: m.address,
            phone: m.phone,
            emails: split_emails(&m.email),
            email: m.email,
            email_confirmed: m.email_confirmed,
            serves: Vec::new(),
        }
    }
}

fn split_emails(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One or more addresses separated by `;`, each a complete address (`crate::email`).
fn check_emails(errors: &mut Vec<FieldError>, field: &str, v: &str) {
    let parts = split_emails(v);
    let ok = !parts.is_empty() && v.len() <= 400 && parts.iter().all(|e| crate::email::is_valid(e));
    if !ok {
        errors.push(FieldError::new(
            field,
            "one or more e-mail addresses separated by ;",
        ));
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOffice {
    pub code: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    /// Postal address (street, postcode and town, separated by `, `).
    #[serde(default)]
    pub address: Option<String>,
}

/// Longest postal address kept: three lines of a letter's window envelope, generously.
const ADDRESS_MAX: usize = 300;

fn check_address(errors: &mut Vec<FieldError>, a: &str) {
    if a.len() > ADDRESS_MAX {
        errors.push(FieldError::new(
            "address",
            format!("at most {ADDRESS_MAX} characters"),
        ));
    }
}

/// Blank means none; inner whitespace runs become one space so the letter's lines are tidy.
fn clean_address(a: &str) -> Option<String> {
    let a = a.split_whitespace().collect::<Vec<_>>().join(" ");
    (!a.is_empty()).then_some(a)
}

/// The office directory is public (SPEC §1.5): anyone may read it, signed in or not.
pub async fn list_offices(db: &Db) -> Result<Vec<OfficeView>> {
    let all_cpas = cpas::Entity::find()
        .order_by_asc(cpas::Column::Name)
        .all(&db.reads)
        .await?;
    Ok(office::Entity::find()
        .order_by_asc(office::Column::Name)
        .all(&db.reads)
        .await?
        .into_iter()
        .map(|o| {
            let mut v = OfficeView::from(o);
            v.serves = all_cpas
                .iter()
                .filter(|c| c.office_id == v.id)
                .map(|c| ServedCpas {
                    id: c.id,
                    name: c.name.clone(),
                })
                .collect();
            v
        })
        .collect())
}

pub async fn create_office(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    input: NewOffice,
) -> Result<OfficeView> {
    require_admin(actor)?;
    let mut errors = Vec::new();
    non_empty(&mut errors, "code", &input.code, 40);
    non_empty(&mut errors, "name", &input.name, 200);
    non_empty(&mut errors, "phone", &input.phone, 40);
    check_emails(&mut errors, "email", &input.email);
    if let Some(a) = &input.address {
        check_address(&mut errors, a);
    }
    if office::Entity::find()
        .filter(office::Column::Code.eq(input.code.trim()))
        .one(&db.reads)
        .await?
        .is_some()
    {
        errors.push(FieldError::new("code", "already used"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let tx = db.begin_write().await?;
    let m = office::ActiveModel {
        code: Set(input.code.trim().to_owned()),
        name: Set(input.name.trim().to_owned()),
        phone: Set(input.phone.trim().to_owned()),
        email: Set(split_emails(&input.email).join("; ")),
        created_at: Set(now),
        area: Set(None),
        address: Set(input.address.as_deref().and_then(clean_address)),
        email_confirmed: Set(true),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    let view = OfficeView::from(m);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "create",
            entity: "office",
            entity_id: Some(view.id),
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// What an administrator may change on an office; absent fields stay. An empty `area`
/// clears it. Which CPAS an office serves is changed on the CPAS (`office_id`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// One or more addresses separated by `;`.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_confirmed: Option<bool>,
    /// Postal address; empty clears it.
    #[serde(default)]
    pub address: Option<String>,
}

pub async fn update_office(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    changes: OfficeChanges,
) -> Result<OfficeView> {
    require_admin(actor)?;
    let current = office::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("office"))?;
    let mut errors = Vec::new();
    if let Some(n) = &changes.name {
        non_empty(&mut errors, "name", n, 200);
    }
    if let Some(p) = &changes.phone {
        non_empty(&mut errors, "phone", p, 40);
    }
    if let Some(a) = &changes.area
        && a.len() > 200
    {
        errors.push(FieldError::new("area", "at most 200 characters"));
    }
    if let Some(e) = &changes.email {
        check_emails(&mut errors, "email", e);
    }
    if let Some(a) = &changes.address {
        check_address(&mut errors, a);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let before = serde_json::to_value(OfficeView::from(current.clone())).ok();
    let mut am: office::ActiveModel = current.into();
    if let Some(n) = changes.name {
        am.name = Set(n.trim().to_owned());
    }
    if let Some(a) = changes.area {
        let a = a.trim();
        am.area = Set((!a.is_empty()).then(|| a.to_owned()));
    }
    if let Some(p) = changes.phone {
        am.phone = Set(p.trim().to_owned());
    }
    if let Some(e) = changes.email {
        am.email = Set(split_emails(&e).join("; "));
    }
    if let Some(c) = changes.email_confirmed {
        am.email_confirmed = Set(c);
    }
    if let Some(a) = changes.address {
        am.address = Set(clean_address(&a));
    }
    let tx = db.begin_write().await?;
    let view = OfficeView::from(am.update(&tx.txn).await?);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "update",
            entity: "office",
            entity_id: Some(id),
            before,
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// SPEC §1.5 with its corrections (Namur and Brussels phone numbers swapped back, OCR letters
/// removed): code, name, area, phone, e-mail(s), e-mail confirmed. The areas are the
/// provinces the offices sit in ([I]: no source lists them); La Louvière's address is "to
/// confirm" in the source.
pub const SPEC_OFFICES: [(&str, &str, &str, &str, &str, bool); 9] = [
    (
        "nivelles",
        "Nivelles",
        "Brabant wallon",
        "+32 67 89 21 52",
        "admissibilite.nivelles@onem.be",
        true,
    ),
    (
        "charleroi",
        "Charleroi",
        "Hainaut",
        "+32 71 27 08 45",
        "admissibilite.charleroi@onem.be",
        true,
    ),
    (
        "mons",
        "Mons",
        "Hainaut",
        "+32 65 39 46 32",
        "admissibilite.mons@onem.be",
        true,
    ),
    (
        "la-louviere",
        "La Louvière",
        "Hainaut",
        "+32 64 23 62 78",
        "admissibilite.lalouviere@onem.be",
        false,
    ),
    (
        "liege",
        "Liège",
        "Liège",
        "+32 4 349 28 75",
        "admissibilite.liege@onem.be",
        true,
    ),
    (
        "verviers",
        "Verviers",
        "Liège",
        "+32 87 39 47 56",
        "admissibilite.verviers@onem.be",
        true,
    ),
    (
        "arlon",
        "Arlon",
        "Luxembourg",
        "+32 63 24 57 16",
        "admissibilite.arlon@onem.be",
        true,
    ),
    (
        "namur",
        "Namur",
        "Namur",
        "+32 81 23 50 82",
        "admissibilite.namur@onem.be",
        true,
    ),
    (
        "brussels",
        "Brussels",
        "Bruxelles-Capitale / Brussel-Hoofdstad",
        "+32 2 542 16 37",
        "toelaatbaarheid.brussel@rva.be; admissibilite.bruxelles@onem.be",
        true,
    ),
];

/// First start: fills an empty directory with [`SPEC_OFFICES`], audited as `who` (the
/// operator at start, or the administrator seeding the demo); returns the code → id map.
/// Does nothing when offices exist.
pub async fn seed_offices(
    db: &Db,
    now: DateTime<Utc>,
    who: &audit::Who,
) -> Result<std::collections::HashMap<&'static str, i64>> {
    use sea_orm::PaginatorTrait;
    let mut ids = std::collections::HashMap::new();
    let tx = db.begin_write().await?;
    if office::Entity::find().count(&tx.txn).await? > 0 {
        return Ok(ids);
    }
    for (code, name, area, phone, email, confirmed) in SPEC_OFFICES {
        let m = office::ActiveModel {
            code: Set(code.to_owned()),
            name: Set(name.to_owned()),
            phone: Set(phone.to_owned()),
            email: Set(email.to_owned()),
            created_at: Set(now),
            area: Set(Some(area.to_owned())),
            // SPEC §1.5 gives no postal addresses; administrators enter them.
            address: Set(None),
            email_confirmed: Set(confirmed),
            ..Default::default()
        }
        .insert(&tx.txn)
        .await?;
        let view = OfficeView::from(m);
        audit::append(
            &tx.txn,
            now,
            who,
            Event {
                action: "create",
                entity: "office",
                entity_id: Some(view.id),
                after: serde_json::to_value(&view).ok(),
                ..Default::default()
            },
        )
        .await?;
        ids.insert(code, view.id);
    }
    tx.commit().await?;
    Ok(ids)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CpasView {
    pub id: i64,
    /// Formatted `0xxx.xxx.xxx`.
    pub kbo: String,
    pub name: String,
    pub language: Language,
    pub federation: Federation,
    pub office_id: i64,
}

impl From<cpas::Model> for CpasView {
    fn from(m: cpas::Model) -> Self {
        let kbo = Kbo::parse(&m.kbo).map(|k| k.formatted()).unwrap_or(m.kbo);
        CpasView {
            id: m.id,
            kbo,
            name: m.name,
            language: m.language,
            federation: m.federation,
            office_id: m.office_id,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCpas {
    /// KBO/BCE number; check digits are verified.
    pub kbo: String,
    pub name: String,
    pub language: Language,
    pub federation: Federation,
    pub office_id: i64,
}

/// Administrators see all CPAS, officers those their office serves, workers their own.
pub async fn list_cpas(db: &Db, actor: &Actor) -> Result<Vec<CpasView>> {
    Ok(visible_cpas(actor)
        .order_by_asc(cpas::Column::Name)
        .all(&db.reads)
        .await?
        .into_iter()
        .map(CpasView::from)
        .collect())
}

/// The name of office `id` (the office directory is public: one row read, not the list).
pub async fn office_name(db: &Db, id: i64) -> Result<Option<String>> {
    Ok(office::Entity::find_by_id(id)
        .select_only()
        .column(office::Column::Name)
        .into_tuple()
        .one(&db.reads)
        .await?)
}

/// The name of CPAS `id` if `actor` sees it in [`list_cpas`] (one row read, not the list).
pub async fn cpas_name(db: &Db, actor: &Actor, id: i64) -> Result<Option<String>> {
    Ok(visible_cpas(actor)
        .filter(cpas::Column::Id.eq(id))
        .one(&db.reads)
        .await?
        .map(|c| c.name))
}

fn visible_cpas(actor: &Actor) -> sea_orm::Select<cpas::Entity> {
    let q = cpas::Entity::find();
    match actor.role {
        Role::Administrator | Role::OnemSpoc | Role::FederationSpoc | Role::Dpo => q,
        Role::OnemOfficer => q.filter(cpas::Column::OfficeId.eq(actor.office_id.unwrap_or(-1))),
        Role::CpasWorker | Role::AccessManager => {
            q.filter(cpas::Column::Id.eq(actor.cpas_id.unwrap_or(-1)))
        }
    }
}

/// The caller's own CPAS or ONEM office, as the portal's header names it: one row read by
/// its id (the lists above read every CPAS).
pub async fn own_organisation(db: &Db, actor: &Actor) -> Result<Option<OwnOrganisation>> {
    Ok(match (actor.role, actor.cpas_id, actor.office_id) {
        (Role::CpasWorker, Some(id), _) => {
            cpas::Entity::find_by_id(id)
                .one(&db.reads)
                .await?
                .map(|c| OwnOrganisation {
                    name: c.name,
                    cpas_language: Some(c.language),
                })
        }
        (Role::OnemOfficer, _, Some(id)) => office::Entity::find_by_id(id)
            .one(&db.reads)
            .await?
            .map(|o| OwnOrganisation {
                name: format!("ONEM {}", o.name),
                cpas_language: None,
            }),
        _ => None,
    })
}

/// See [`own_organisation`].
#[derive(Debug, Clone)]
pub struct OwnOrganisation {
    pub name: String,
    /// A CPAS's working language (the portal's default for its workers).
    pub cpas_language: Option<Language>,
}

pub async fn create_cpas(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    input: NewCpas,
) -> Result<CpasView> {
    require_admin(actor)?;
    let mut errors = Vec::new();
    let kbo = match Kbo::parse(&input.kbo) {
        Ok(k) => Some(k),
        Err(e) => {
            errors.push(FieldError::new("kbo", e.to_string()));
            None
        }
    };
    non_empty(&mut errors, "name", &input.name, 200);
    if office::Entity::find_by_id(input.office_id)
        .one(&db.reads)
        .await?
        .is_none()
    {
        errors.push(FieldError::new("office_id", "no such office"));
    }
    if let Some(k) = &kbo
        && cpas::Entity::find()
            .filter(cpas::Column::Kbo.eq(k.digits()))
            .one(&db.reads)
            .await?
            .is_some()
    {
        errors.push(FieldError::new("kbo", "a CPAS with this number exists"));
    }
    // One number, one place: a federated sign-in must not land in either of two.
    if let Some(k) = &kbo
        && crate::organisations::find(&db.reads, k).await?.is_some()
    {
        errors.push(FieldError::new(
            "kbo",
            "an organisation registered for federated sign-in has this number",
        ));
    }
    let (Some(kbo), true) = (kbo, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let tx = db.begin_write().await?;
    let m = cpas::ActiveModel {
        kbo: Set(kbo.digits()),
        name: Set(input.name.trim().to_owned()),
        language: Set(input.language),
        federation: Set(input.federation),
        office_id: Set(input.office_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    let view = CpasView::from(m);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "create",
            entity: "cpas",
            entity_id: Some(view.id),
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub cpas_id: Option<i64>,
    pub office_id: Option<i64>,
    pub federation: Option<Federation>,
    pub active: bool,
}

impl From<user::Model> for UserView {
    fn from(m: user::Model) -> Self {
        UserView {
            id: m.id,
            username: m.username,
            role: m.role,
            cpas_id: m.cpas_id,
            office_id: m.office_id,
            federation: m.federation,
            active: m.active,
        }
    }
}

#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub cpas_id: Option<i64>,
    #[serde(default)]
    pub office_id: Option<i64>,
    #[serde(default)]
    pub federation: Option<Federation>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

pub async fn list_users(db: &Db, actor: &Actor) -> Result<Vec<UserView>> {
    require_admin(actor)?;
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(&db.reads)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// Creates an account; the organisation must match the role.
pub async fn create_user(
    db: &Db,
    now: DateTime<Utc>,
    cost: PasswordCost,
    actor: Option<&Actor>,
    input: NewUser,
) -> Result<UserView> {
    // `None` is the bootstrap path (demo seeding, first administrator from the CLI).
    if let Some(a) = actor {
        require_admin(a)?;
    }
    let mut errors = Vec::new();
    non_empty(&mut errors, "username", &input.username, 100);
    if let Some(why) = crate::auth::password_problem(&input.password, &[&input.username]) {
        errors.push(FieldError::new("password", why));
    }
    let needs = |field: &str, present: bool, wanted: bool, errors: &mut Vec<FieldError>| {
        if present != wanted {
            errors.push(FieldError::new(
                field,
                if wanted {
                    format!("required for role {}", input.role)
                } else {
                    format!("not allowed for role {}", input.role)
                },
            ));
        }
    };
    needs(
        "cpas_id",
        input.cpas_id.is_some(),
        input.role == Role::CpasWorker,
        &mut errors,
    );
    needs(
        "office_id",
        input.office_id.is_some(),
        input.role == Role::OnemOfficer,
        &mut errors,
    );
    needs(
        "federation",
        input.federation.is_some(),
        input.role == Role::FederationSpoc,
        &mut errors,
    );
    if let Some(c) = input.cpas_id
        && cpas::Entity::find_by_id(c).one(&db.reads).await?.is_none()
    {
        errors.push(FieldError::new("cpas_id", "no such CPAS"));
    }
    if let Some(o) = input.office_id
        && office::Entity::find_by_id(o)
            .one(&db.reads)
            .await?
            .is_none()
    {
        errors.push(FieldError::new("office_id", "no such office"));
    }
    if user::Entity::find()
        .filter(user::Column::Username.eq(input.username.trim()))
        .one(&db.reads)
        .await?
        .is_some()
    {
        errors.push(FieldError::new("username", "already used"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let hash = hash_password(cost, &input.password)?;
    let tx = db.begin_write().await?;
    let m = user::ActiveModel {
        username: Set(input.username.trim().to_owned()),
        password_hash: Set(hash),
        role: Set(input.role),
        cpas_id: Set(input.cpas_id),
        office_id: Set(input.office_id),
        federation: Set(input.federation),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx.txn)
    .await?;
    let view = UserView::from(m);
    audit::append(
        &tx.txn,
        now,
        &actor.map(Actor::who).unwrap_or_default(),
        Event {
            action: "create",
            entity: "user",
            entity_id: Some(view.id),
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CpasChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub federation: Option<Federation>,
    /// The competent ONEM office (the CPAS→office map). Requests already sent stay in the
    /// queue they were sent to; the next sending goes to the new office.
    #[serde(default)]
    pub office_id: Option<i64>,
}

pub async fn update_cpas(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    changes: CpasChanges,
) -> Result<CpasView> {
    require_admin(actor)?;
    let current = cpas::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("cpas"))?;
    let mut errors = Vec::new();
    if let Some(n) = &changes.name {
        non_empty(&mut errors, "name", n, 200);
    }
    if let Some(o) = changes.office_id
        && office::Entity::find_by_id(o)
            .one(&db.reads)
            .await?
            .is_none()
    {
        errors.push(FieldError::new("office_id", "no such office"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let before = serde_json::to_value(CpasView::from(current.clone())).ok();
    let mut am: cpas::ActiveModel = current.into();
    if let Some(n) = changes.name {
        am.name = Set(n.trim().to_owned());
    }
    if let Some(l) = changes.language {
        am.language = Set(l);
    }
    if let Some(f) = changes.federation {
        am.federation = Set(f);
    }
    if let Some(o) = changes.office_id {
        am.office_id = Set(o);
    }
    let tx = db.begin_write().await?;
    let view = CpasView::from(am.update(&tx.txn).await?);
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "update",
            entity: "cpas",
            entity_id: Some(id),
            before,
            after: serde_json::to_value(&view).ok(),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    /// A deactivated account cannot sign in and its sessions and tokens stop working.
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChanges")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// `keep_cookie`: the caller's own session cookie, kept when they change their own password
/// (a password change ends every other session and token of the account).
pub async fn update_user(
    db: &Db,
    now: DateTime<Utc>,
    cost: PasswordCost,
    actor: &Actor,
    id: i64,
    changes: UserChanges,
    keep_cookie: Option<&str>,
) -> Result<UserView> {
    require_admin(actor)?;
    let current = user::Entity::find_by_id(id)
        .one(&db.reads)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if let Some(p) = &changes.password
        && let Some(why) = crate::auth::password_problem(p, &[&current.username])
    {
        return Err(ServiceError::invalid("password", why));
    }
    if changes.active == Some(false) && id == actor.user_id {
        return Err(ServiceError::invalid(
            "active",
            "you cannot deactivate your own account",
        ));
    }
    let before = serde_json::to_value(UserView::from(current.clone())).ok();
    let mut am: user::ActiveModel = current.into();
    if let Some(a) = changes.active {
        am.active = Set(a);
    }
    let password_changed = changes.password.is_some();
    if let Some(p) = changes.password {
        am.password_hash = Set(hash_password(cost, &p)?);
    }
    let tx = db.begin_write().await?;
    let view = UserView::from(am.update(&tx.txn).await?);
    let mut after = serde_json::json!({"user": view, "password_changed": password_changed});
    if password_changed {
        let keep = keep_cookie.filter(|_| id == actor.user_id);
        let (sessions, tokens) = crate::auth::revoke_credentials(&tx.txn, id, keep).await?;
        after["sessions_ended"] = sessions.into();
        after["tokens_revoked"] = tokens.into();
    }
    audit::append(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "update",
            entity: "user",
            entity_id: Some(id),
            before,
            after: Some(after),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // An account deactivated or its credentials revoked: no cached session may outlive it.
    db.credentials.invalidate();
    Ok(view)
}
