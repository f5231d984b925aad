//! The organisation: regions, grids, units and users.

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::Category;
use domain::contact::Phone;
use domain::ids::{UnitId, UserId};
use domain::msg;
use domain::org::{RegionCode, RegionLevel, Role, Scope, UnitKind};
use domain::validation::FieldError;

use crate::sql::{args, from_row};
use crate::{Result, Store, StoreError, Viewer, to_ms};

#[derive(Debug, Clone)]
pub struct RegionView {
    /// 12-digit division code.
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    /// province | city | district | street | community
    pub level: String,
    pub parent_code: Option<String>,
    /// A disabled region stays in every history, but is offered in no picker.
    pub active: bool,
}
from_row!(RegionView { code, name, short_name, level, parent_code, active });

/// The columns of [`RegionView`].
const REGION_COLUMNS: &str = "code, name, short_name, level, parent_code, active";

#[derive(Debug, Clone)]
pub struct GridView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub community_code: String,
    /// A disabled grid stays in every history, but is offered in no picker.
    pub active: bool,
}
from_row!(GridView { id, code, name, community_code, active });

/// The columns of [`GridView`].
const GRID_COLUMNS: &str = "id, code, name, community_code, active";

#[derive(Debug, Clone)]
pub struct UnitView {
    pub id: i64,
    /// 单位代码: the deployment's own code for the unit, by which an import file names it.
    pub code: Option<String>,
    pub name: String,
    /// centre | department | police | petition_office | court | mediation_committee | industry_mediation | brand_room
    pub kind: String,
    pub region_code: String,
    pub parent_id: Option<i64>,
    /// Space-separated category codes the unit handles as a sector unit (条).
    pub categories: String,
    /// A disabled unit keeps its cases and its name in every history, but is offered in no
    /// picker, takes no users and is routed nothing new.
    pub active: bool,
    /// For a grid station: its grid.
    pub grid_id: Option<i64>,
    /// The telephone the public calls, printed on the receipts of the cases it handles.
    pub phone: Option<String>,
}
from_row!(UnitView { id, code, name, kind, region_code, parent_id, categories, active, grid_id, phone });

/// The columns of [`UnitView`].
const UNIT_COLUMNS: &str = "id, code, name, kind, region_code, parent_id, categories, active, grid_id, phone";

/// The shortest password a user may be given, wherever the user is created.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A region to create.
pub struct NewRegion<'a> {
    pub code: &'a RegionCode,
    pub name: &'a str,
    pub short_name: Option<&'a str>,
}

pub struct NewUnit<'a> {
    /// The unit's code, if it is given one.
    pub code: Option<&'a str>,
    pub name: &'a str,
    pub kind: UnitKind,
    pub region_code: &'a RegionCode,
    pub parent_id: Option<i64>,
    pub categories: &'a [&'a str],
    /// For a grid station: its grid.
    pub grid_id: Option<i64>,
    /// The telephone the public calls (a landline or a mobile), as written.
    pub phone: Option<&'a str>,
}

impl NewUnit<'_> {
    /// The telephone as written, none when left blank.
    fn phone(&self) -> Option<&str> {
        self.phone.map(str::trim).filter(|p| !p.is_empty())
    }

    /// The code as written, none when left blank.
    fn code(&self) -> Option<&str> {
        self.code.map(str::trim).filter(|c| !c.is_empty())
    }
}

/// A user as stored, without the password hash.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: i64,
}

/// A user as administrators see it: with whether the account may sign in.
#[derive(Debug, Clone)]
pub struct UserAccount {
    pub user: UserView,
    pub active: bool,
}

/// Which users a page of the user list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub unit_id: Option<i64>,
    pub role: Option<Role>,
    /// Part of the name or the username, in any case.
    pub words: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A page of users and how many match in all.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub items: Vec<UserAccount>,
    pub total: i64,
}

/// What an administrator may change of a user; the username stays.
pub struct UserUpdate<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub unit_id: i64,
}

/// Which regions a page of the region list shows.
#[derive(Debug, Clone, Default)]
pub struct RegionFilter {
    pub level: Option<RegionLevel>,
    /// Part of the name or the code.
    pub words: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A page of regions and how many match in all.
#[derive(Debug, Clone)]
pub struct RegionPage {
    pub items: Vec<RegionView>,
    pub total: i64,
}

/// Which grids a page of the grid list shows.
#[derive(Debug, Clone, Default)]
pub struct GridFilter {
    pub community: Option<RegionCode>,
    /// Part of the name or the code.
    pub words: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A page of grids and how many match in all.
#[derive(Debug, Clone)]
pub struct GridPage {
    pub items: Vec<GridView>,
    pub total: i64,
}

/// A case still being worked on (a concluded one awaits its follow-up).
const OPEN_CASE: &str = "status IN ('registered', 'accepted', 'dispatched', 'in_progress', 'concluded')";

/// Refuses to disable what open cases, active units, regions or grids still depend on, saying
/// how many of each.
fn in_use(cases: i64, units: i64, regions: i64, grids: i64) -> Result<()> {
    if cases + units + regions + grids == 0 {
        return Ok(());
    }
    Err(StoreError::conflict(
        "in_use",
        msg!("org.in_use", cases = cases, units = units, regions = regions, grids = grids),
    ))
}

/// The longest display name of a user or name of a unit.
const NAME_MAX_CHARS: usize = 100;

/// The one password rule, wherever a password is set.
fn password_check(field: &str, password: &str) -> Result<()> {
    match password_fault(field, password) {
        Some(fault) => Err(StoreError::invalid(fault)),
        None => Ok(()),
    }
}

fn password_fault(field: &str, password: &str) -> Option<FieldError> {
    (password.chars().count() < MIN_PASSWORD_CHARS)
        .then(|| FieldError::new(field, "too_short", msg!("field.password_too_short", min = MIN_PASSWORD_CHARS)))
}

/// Every fault of a new user's own fields at once: username, name and password (the unit is
/// checked against the database when the user is written).
pub fn new_user_faults(username: &str, display_name: &str, password: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    errors.extend(username_fault("username", username));
    name_check(&mut errors, "display_name", display_name);
    errors.extend(password_fault("password", password));
    errors
}

/// A username is 3 to 32 letters, digits, `_`, `-` or `.`.
pub(crate) fn username_fault(field: &str, username: &str) -> Option<FieldError> {
    let username = username.trim();
    let valid = (3..=32).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    (!valid).then(|| FieldError::new(field, "invalid_username", msg!("org.username_format")))
}

/// A name that is given and not too long.
fn name_check(errors: &mut Vec<FieldError>, field: &str, name: &str) {
    errors.extend(name_fault(field, name));
}

pub(crate) fn name_fault(field: &str, name: &str) -> Option<FieldError> {
    if name.trim().is_empty() {
        Some(FieldError::required(field))
    } else if name.chars().count() > NAME_MAX_CHARS {
        Some(FieldError::too_long(field, NAME_MAX_CHARS))
    } else {
        None
    }
}

/// A telephone the public calls: a mobile or a landline.
pub(crate) fn phone_fault(field: &str, phone: &str) -> Option<FieldError> {
    Phone::parse(phone).is_err().then(|| FieldError::new(field, "invalid_phone", msg!("org.phone_invalid")))
}

/// `LIKE` pattern for text containing `words` (their own `%` and `_` taken literally).
fn containing(words: &str) -> String {
    let escaped = words.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    pub async fn region_create(&self, region: NewRegion<'_>) -> Result<()> {
        let mut errors = Vec::new();
        name_check(&mut errors, "name", region.name);
        if self.region(region.code).await?.is_some() {
            errors.push(FieldError::new("region_code", "taken", msg!("org.region_taken")));
        }
        if let Some(parent) = region.code.parent()
            && self.region(&parent).await?.is_none()
        {
            let parent = parent.significant().to_owned();
            errors.push(FieldError::new(
                "region_code",
                "no_parent",
                msg!("org.region_without_parent", parent = parent),
            ));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let level = serde_json::to_value(region.code.level()).unwrap_or_default();
        let parent = region.code.parent().map(|p| p.to_string());
        self.execute(
            "INSERT INTO regions (code, name, short_name, level, parent_code) VALUES ($1, $2, $3, $4, $5)",
            args![region.code.as_str(), region.name, region.short_name, level.as_str().unwrap_or_default(), parent],
        )
        .await?;
        self.bump_triage_version().await
    }

    pub async fn regions(&self) -> Result<Vec<RegionView>> {
        let sql = format!("SELECT {REGION_COLUMNS} FROM regions ORDER BY code");
        self.fetch_all(&sql, args![]).await
    }

    pub async fn region(&self, code: &RegionCode) -> Result<Option<RegionView>> {
        let sql = format!("SELECT {REGION_COLUMNS} FROM regions WHERE code = $1");
        self.fetch_optional(&sql, args![code.as_str()]).await
    }

    /// A page of regions matching `filter`, by code, with how many match in all.
    pub async fn regions_page(&self, filter: &RegionFilter) -> Result<RegionPage> {
        let conditions = "($1 IS NULL OR level = $1) AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\' OR code LIKE $2 ESCAPE '\\')";
        let level = filter.level.map(RegionLevel::as_str);
        let words = filter.words.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(containing);
        let count = format!("SELECT COUNT(*) FROM regions WHERE {conditions}");
        let (total,): (i64,) = self.fetch_one(&count, args![level, words.clone()]).await?;
        let sql = format!("SELECT {REGION_COLUMNS} FROM regions WHERE {conditions} ORDER BY code LIMIT $3 OFFSET $4");
        let items = self.fetch_all(&sql, args![level, words, filter.limit, filter.offset]).await?;
        Ok(RegionPage { items, total })
    }

    /// Renames a region. Its code, and so its parent, never changes: the code is the region's
    /// place in the national division (GB/T 2260 and the statistical codes beneath), which
    /// cases, units, grids and the codes of the regions below it carry.
    pub async fn region_update(&self, code: &RegionCode, name: &str, short_name: Option<&str>) -> Result<()> {
        let mut errors = Vec::new();
        name_check(&mut errors, "name", name);
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let short_name = short_name.map(str::trim).filter(|s| !s.is_empty());
        let sql = "UPDATE regions SET name = $1, short_name = $2 WHERE code = $3";
        if self.execute(sql, args![name.trim(), short_name, code.as_str()]).await? == 0 {
            return Err(StoreError::NotFound { what: "region" });
        }
        self.bump_triage_version().await
    }

    /// Enables or disables a region. It is disabled only when nothing open depends on it:
    /// no open case in it or below it, no active unit, region below or grid in it.
    pub async fn region_active_set(&self, code: &RegionCode, active: bool) -> Result<()> {
        if !active {
            let (low, high) = code.subtree_range();
            let sql = format!(
                "SELECT (SELECT COUNT(*) FROM cases WHERE region_code BETWEEN $1 AND $2 AND {OPEN_CASE}),
                        (SELECT COUNT(*) FROM units WHERE region_code BETWEEN $1 AND $2 AND active),
                        (SELECT COUNT(*) FROM regions WHERE parent_code = $3 AND active),
                        (SELECT COUNT(*) FROM grids WHERE community_code = $3 AND active)"
            );
            let (cases, units, regions, grids): (i64, i64, i64, i64) =
                self.fetch_one(&sql, args![low, high, code.as_str()]).await?;
            in_use(cases, units, regions, grids)?;
        }
        let sql = "UPDATE regions SET active = $1 WHERE code = $2";
        if self.execute(sql, args![active, code.as_str()]).await? == 0 {
            return Err(StoreError::NotFound { what: "region" });
        }
        self.bump_triage_version().await
    }

    /// The boundaries drawn for the command screen's map under `parent`: of its active child
    /// regions, or of a community's active grids (their polygons), each as (code, name, stored
    /// GeoJSON geometry or ring) — only those that have one.
    pub async fn boundaries_under(&self, parent: &RegionCode) -> Result<Vec<(String, String, String, String)>> {
        let sql = "SELECT code, COALESCE(short_name, name), boundary, 'region' FROM regions
                    WHERE parent_code = $1 AND active AND boundary IS NOT NULL
                   UNION ALL
                   SELECT code, name, polygon, 'grid' FROM grids
                    WHERE community_code = $1 AND active AND polygon IS NOT NULL
                   ORDER BY 1";
        self.fetch_all(sql, args![parent.as_str()]).await
    }

    /// Records the boundaries of regions (code, GeoJSON geometry), all or none.
    pub async fn region_boundaries_set(&self, boundaries: &[(String, String)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for (code, boundary) in boundaries {
            tx.execute("UPDATE regions SET boundary = $1 WHERE code = $2", args![boundary.as_str(), code.as_str()])
                .await?;
        }
        tx.commit().await
    }

    /// Records the polygons of grids (code, ring as JSON), all or none: triage finds a case's
    /// grid by them from now on.
    pub async fn grid_polygons_set(&self, polygons: &[(String, String)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for (code, ring) in polygons {
            tx.execute("UPDATE grids SET polygon = $1 WHERE code = $2", args![ring.as_str(), code.as_str()]).await?;
        }
        tx.commit().await?;
        self.bump_triage_version().await
    }

    /// Removes the boundaries of the regions under `parent`: the map falls back to the schematic.
    pub async fn region_boundaries_clear(&self, parent: &RegionCode) -> Result<u64> {
        self.execute(
            "UPDATE regions SET boundary = NULL WHERE parent_code = $1 AND boundary IS NOT NULL",
            args![parent.as_str()],
        )
        .await
    }

    pub async fn grid_create(&self, code: &str, name: &str, community: &RegionCode) -> Result<i64> {
        let mut errors = Vec::new();
        name_check(&mut errors, "grid_code", code);
        name_check(&mut errors, "name", name);
        if self.region(community).await?.is_none_or(|r| r.level != "community") {
            errors.push(FieldError::new("community", "unknown_region", msg!("org.no_such_region")));
        }
        let taken: Option<(i64,)> = self.fetch_optional("SELECT id FROM grids WHERE code = $1", args![code]).await?;
        if taken.is_some() {
            errors.push(FieldError::new("grid_code", "taken", msg!("org.grid_taken")));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let sql = "INSERT INTO grids (code, name, community_code) VALUES ($1, $2, $3) RETURNING id";
        let (id,): (i64,) = self.fetch_one(sql, args![code, name, community.as_str()]).await?;
        self.bump_triage_version().await?;
        Ok(id)
    }

    pub async fn grids(&self) -> Result<Vec<GridView>> {
        let sql = format!("SELECT {GRID_COLUMNS} FROM grids ORDER BY code");
        self.fetch_all(&sql, args![]).await
    }

    pub async fn grid(&self, id: i64) -> Result<Option<GridView>> {
        let sql = format!("SELECT {GRID_COLUMNS} FROM grids WHERE id = $1");
        self.fetch_optional(&sql, args![id]).await
    }

    /// A page of grids matching `filter`, by code, with how many match in all.
    pub async fn grids_page(&self, filter: &GridFilter) -> Result<GridPage> {
        let conditions = "($1 IS NULL OR community_code = $1) AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\' OR code LIKE $2 ESCAPE '\\')";
        let community = filter.community.as_ref().map(|c| c.as_str().to_owned());
        let words = filter.words.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(containing);
        let count = format!("SELECT COUNT(*) FROM grids WHERE {conditions}");
        let (total,): (i64,) = self.fetch_one(&count, args![community.clone(), words.clone()]).await?;
        let sql = format!("SELECT {GRID_COLUMNS} FROM grids WHERE {conditions} ORDER BY code LIMIT $3 OFFSET $4");
        let items = self.fetch_all(&sql, args![community, words, filter.limit, filter.offset]).await?;
        Ok(GridPage { items, total })
    }

    /// Renames a grid. Its code and community never change: the code is the community's code
    /// and a serial, and cases located in the grid keep pointing at it.
    pub async fn grid_update(&self, id: i64, name: &str) -> Result<()> {
        let mut errors = Vec::new();
        name_check(&mut errors, "name", name);
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        if self.execute("UPDATE grids SET name = $1 WHERE id = $2", args![name.trim(), id]).await? == 0 {
            return Err(StoreError::NotFound { what: "grid" });
        }
        Ok(())
    }

    /// Enables or disables a grid; disabled only when no open case lies in it and no active
    /// unit (a grid station) serves it.
    pub async fn grid_active_set(&self, id: i64, active: bool) -> Result<()> {
        if !active {
            let sql = format!(
                "SELECT (SELECT COUNT(*) FROM cases WHERE grid_id = $1 AND {OPEN_CASE}),
                        (SELECT COUNT(*) FROM units WHERE grid_id = $1 AND active)"
            );
            let (cases, units): (i64, i64) = self.fetch_one(&sql, args![id]).await?;
            in_use(cases, units, 0, 0)?;
        }
        if self.execute("UPDATE grids SET active = $1 WHERE id = $2", args![active, id]).await? == 0 {
            return Err(StoreError::NotFound { what: "grid" });
        }
        self.bump_triage_version().await
    }

    pub async fn unit_create(&self, unit: NewUnit<'_>) -> Result<i64> {
        self.unit_check(&unit, None).await?;
        let sql = "INSERT INTO units (name, kind, region_code, parent_id, categories, grid_id, phone, code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let categories = unit.categories.join(" ");
        let (id,): (i64,) = self
            .fetch_one(
                sql,
                args![
                    unit.name.trim(),
                    unit.kind.as_str(),
                    unit.region_code.as_str(),
                    unit.parent_id,
                    categories,
                    unit.grid_id,
                    unit.phone(),
                    unit.code()
                ],
            )
            .await?;
        self.bump_triage_version().await?;
        Ok(id)
    }

    pub async fn units(&self) -> Result<Vec<UnitView>> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY region_code, id");
        self.fetch_all(&sql, args![]).await
    }

    pub async fn unit(&self, id: UnitId) -> Result<Option<UnitView>> {
        let id = id.get();
        let sql = format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1");
        self.fetch_optional(&sql, args![id]).await
    }

    /// The governance centre (综治中心) of exactly this region, if there is one.
    pub async fn centre_of(&self, region: &RegionCode) -> Result<Option<UnitView>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE kind = 'centre' AND active AND region_code = $1 ORDER BY id LIMIT 1"
        );
        self.fetch_optional(&sql, args![region.as_str()]).await
    }

    /// Creates a staff user; the password is hashed with argon2id.
    pub async fn user_create(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        unit_id: UnitId,
        password: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        let unit_id = unit_id.get();
        let errors = new_user_faults(username, display_name, password);
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let (username, display_name) = (username.trim(), display_name.trim());
        self.unit_open_for_users(unit_id).await?;
        let hash = crate::auth::hash_password(password)?;
        let sql = "INSERT INTO users (username, display_name, role, unit_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let inserted: Result<(i64,)> =
            self.fetch_one(sql, args![username, display_name, role.as_str(), unit_id, hash, crate::to_ms(now)]).await;
        match inserted {
            Ok((id,)) => Ok(id),
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                Err(StoreError::conflict("username_taken", msg!("org.username_taken", username = username)))
            }
            Err(e) => Err(e),
        }
    }

    /// A page of users matching `filter`, the active first, by username.
    pub async fn users_page(&self, filter: &UserFilter) -> Result<UserPage> {
        // Staff only: the portal's account (`@portal`) and the system accounts' users
        // (`system:N`, managed under /admin/systems) are no one to administer here.
        let conditions = "username NOT LIKE '@%' AND username NOT LIKE 'system:%'
             AND ($1 IS NULL OR unit_id = $1) AND ($2 IS NULL OR role = $2)
             AND ($3 IS NULL OR LOWER(display_name) LIKE $3 ESCAPE '\\' OR LOWER(username) LIKE $3 ESCAPE '\\')";
        let role = filter.role.map(Role::as_str);
        let words = filter.words.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(containing);
        let (total,): (i64,) = self
            .fetch_one(
                &format!("SELECT COUNT(*) FROM users WHERE {conditions}"),
                args![filter.unit_id, role, words.clone()],
            )
            .await?;
        let rows: Vec<AccountRow> = self
            .fetch_all(
                &format!(
                    "SELECT id, username, display_name, role, unit_id, active FROM users WHERE {conditions}
                     ORDER BY active DESC, username LIMIT $4 OFFSET $5"
                ),
                args![filter.unit_id, role, words, filter.limit, filter.offset],
            )
            .await?;
        Ok(UserPage { items: rows.into_iter().filter_map(account).collect(), total })
    }

    /// One user as administrators see it.
    pub async fn user_account(&self, id: UserId) -> Result<Option<UserAccount>> {
        let id = id.get();
        let sql = "SELECT id, username, display_name, role, unit_id, active FROM users WHERE id = $1";
        let row: Option<AccountRow> = self.fetch_optional(sql, args![id]).await?;
        Ok(row.and_then(account))
    }

    /// Changes a user's name, role and unit (administrators only).
    pub async fn user_update(&self, viewer: &Viewer, id: UserId, update: UserUpdate<'_>) -> Result<()> {
        let id = id.get();
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        let mut errors = Vec::new();
        name_check(&mut errors, "display_name", update.display_name);
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let current = self.user_account(UserId(id)).await?.ok_or(StoreError::NotFound { what: "user" })?;
        if current.user.unit_id != update.unit_id {
            self.unit_open_for_users(update.unit_id).await?;
        }
        self.execute(
            "UPDATE users SET display_name = $1, role = $2, unit_id = $3 WHERE id = $4",
            args![update.display_name.trim(), update.role.as_str(), update.unit_id, id],
        )
        .await?;
        Ok(())
    }

    /// Enables or disables a user (administrators only). A disabled user cannot sign in, and
    /// every session and token they hold ends now.
    pub async fn user_active_set(&self, viewer: &Viewer, id: UserId, active: bool, now: DateTime<Utc>) -> Result<()> {
        let id = id.get();
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        let mut tx = self.begin().await?;
        let changed = tx.execute("UPDATE users SET active = $1 WHERE id = $2", args![active, id]).await?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "user" });
        }
        if !active {
            tx.execute(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                args![to_ms(now), id],
            )
            .await?;
        }
        tx.commit().await
    }

    /// Gives a user a new password (administrators only); the user's sessions and tokens end,
    /// so whoever knew the old one is signed out.
    pub async fn user_password_reset(
        &self,
        viewer: &Viewer,
        id: i64,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        password_check("password", password)?;
        self.password_set(id, password, None, now).await
    }

    /// The viewer changes their own password, proving the current one; their other sessions
    /// and tokens end, the one they use (`keep_token`) goes on.
    pub async fn user_password_change(
        &self,
        viewer: &Viewer,
        current: &str,
        new: &str,
        keep_token: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (stored,): (String,) = self
            .fetch_optional("SELECT password_hash FROM users WHERE id = $1 AND active", args![viewer.user_id])
            .await?
            .ok_or(StoreError::NotFound { what: "user" })?;
        if !crate::auth::password_matches(current, &stored).await {
            return Err(StoreError::invalid(FieldError::new(
                "current_password",
                "wrong_password",
                msg!("org.password_wrong"),
            )));
        }
        password_check("new_password", new)?;
        self.password_set(viewer.user_id, new, Some(keep_token), now).await
    }

    async fn password_set(&self, id: i64, password: &str, keep_token: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        let hash = crate::auth::hash_password(password)?;
        let kept = keep_token.map(crate::auth::token_hash);
        let mut tx = self.begin().await?;
        let changed = tx.execute("UPDATE users SET password_hash = $1 WHERE id = $2", args![hash, id]).await?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "user" });
        }
        tx.execute(
            "UPDATE auth_tokens SET revoked_at = $1
             WHERE user_id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR token_hash <> $3)",
            args![to_ms(now), id, kept],
        )
        .await?;
        tx.commit().await
    }

    /// Changes a unit's fields (administrators only).
    pub async fn unit_update(&self, viewer: &Viewer, id: UnitId, unit: NewUnit<'_>) -> Result<()> {
        let id = id.get();
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        if self.unit(UnitId(id)).await?.is_none() {
            return Err(StoreError::NotFound { what: "unit" });
        }
        self.unit_check(&unit, Some(id)).await?;
        self.execute(
            "UPDATE units SET name = $1, kind = $2, region_code = $3, parent_id = $4, categories = $5, grid_id = $6, phone = $7, code = $8 WHERE id = $9",
            args![
                unit.name.trim(),
                unit.kind.as_str(),
                unit.region_code.as_str(),
                unit.parent_id,
                unit.categories.join(" "),
                unit.grid_id,
                unit.phone(),
                unit.code(),
                id
            ],
        )
        .await?;
        self.bump_triage_version().await
    }

    /// Enables or disables a unit (administrators only). A unit is disabled only once no active
    /// user belongs to it, so that nobody works for a unit that takes no cases.
    pub async fn unit_active_set(&self, viewer: &Viewer, id: UnitId, active: bool) -> Result<()> {
        let id = id.get();
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        if !active {
            let (users,): (i64,) =
                self.fetch_one("SELECT COUNT(*) FROM users WHERE unit_id = $1 AND active", args![id]).await?;
            if users > 0 {
                return Err(StoreError::conflict("unit_has_users", msg!("org.unit_has_users", count = users)));
            }
        }
        let changed = self.execute("UPDATE units SET active = $1 WHERE id = $2", args![active, id]).await?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "unit" });
        }
        self.bump_triage_version().await
    }

    /// Every fault of a unit's fields at once: name, region, parent, categories, grid.
    async fn unit_check(&self, unit: &NewUnit<'_>, id: Option<i64>) -> Result<()> {
        let mut errors = Vec::new();
        name_check(&mut errors, "name", unit.name);
        if self.region(unit.region_code).await?.is_none() {
            errors.push(FieldError::new("region_code", "unknown_region", msg!("org.no_such_region")));
        }
        if let Some(parent) = unit.parent_id {
            if Some(parent) == id {
                errors.push(FieldError::new("parent_id", "own_parent", msg!("org.own_parent")));
            } else if self.unit(UnitId(parent)).await?.is_none() {
                errors.push(FieldError::new("parent_id", "unknown_unit", msg!("field.no_such_unit", id = parent)));
            }
        }
        if let Some(code) = unit.categories.iter().find(|c| Category::parse(c).is_none()) {
            errors.push(FieldError::new("categories", "invalid_code", msg!("org.no_such_category", code = *code)));
        }
        if let Some(grid) = unit.grid_id
            && self.grid(grid).await?.is_none()
        {
            errors.push(FieldError::new("grid_id", "unknown_grid", msg!("org.no_such_grid")));
        }
        errors.extend(unit.phone().and_then(|phone| phone_fault("phone", phone)));
        if let Some(code) = unit.code() {
            match domain::import::unit_code_fault("unit_code", code) {
                Some(fault) => errors.push(fault),
                None => {
                    let sql = "SELECT id FROM units WHERE code = $1";
                    let holder: Option<(i64,)> = self.fetch_optional(sql, args![code]).await?;
                    if holder.is_some_and(|(holder,)| Some(holder) != id) {
                        errors.push(FieldError::new("unit_code", "taken", msg!("org.unit_code_taken", code = code)));
                    }
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(StoreError::Invalid(errors)) }
    }

    /// A unit that may be chosen — to hold a user, to receive a case, in the routing
    /// catalogue: one that exists and is not disabled. Otherwise the fault, named as `field`.
    pub(crate) async fn unit_choosable(&self, unit_id: i64, field: String) -> Result<Option<FieldError>> {
        Ok(match self.unit(UnitId(unit_id)).await? {
            Some(unit) if unit.active => None,
            Some(_) => Some(FieldError::new(field, "unit_disabled", msg!("org.unit_disabled"))),
            None => Some(FieldError::new(field, "unknown_unit", msg!("field.no_such_unit", id = unit_id))),
        })
    }

    /// A unit a user may be put in.
    pub(crate) async fn unit_open_for_users(&self, unit_id: i64) -> Result<()> {
        match self.unit_choosable(unit_id, "unit_id".to_owned()).await? {
            Some(fault) => Err(StoreError::invalid(fault)),
            None => Ok(()),
        }
    }

    pub async fn users(&self) -> Result<Vec<UserView>> {
        let sql = "SELECT id, username, display_name, role, unit_id FROM users ORDER BY id";
        let rows: Vec<(i64, String, String, String, i64)> = self.fetch_all(sql, args![]).await?;
        Ok(rows.into_iter().filter_map(user_view).collect())
    }

    /// The viewer for a user: their role and the scope their unit's region gives.
    pub async fn viewer(&self, user_id: UserId) -> Result<crate::Viewer> {
        let user_id = user_id.get();
        let sql = "SELECT u.username, u.role, u.unit_id, n.region_code FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1 AND u.active";
        let row: Option<(String, String, i64, String)> = self.fetch_optional(sql, args![user_id]).await?;
        let (username, role, unit_id, region) = row.ok_or(StoreError::NotFound { what: "user" })?;
        let role =
            Role::parse(&role).ok_or(StoreError::Setup(format!("user {username} has an unknown role {role}")))?;
        let region = RegionCode::parse(&region)
            .map_err(|e| StoreError::Setup(format!("unit {unit_id} has a bad region: {e}")))?;
        Ok(crate::Viewer { user_id, username, role, unit_id, scope: Scope { region, unit_id } })
    }
}

type AccountRow = (i64, String, String, String, i64, bool);

fn account((id, username, display_name, role, unit_id, active): AccountRow) -> Option<UserAccount> {
    Some(UserAccount { user: user_view((id, username, display_name, role, unit_id))?, active })
}

pub(crate) fn user_view(
    (id, username, display_name, role, unit_id): (i64, String, String, String, i64),
) -> Option<UserView> {
    Some(UserView { id, username, display_name, role: Role::parse(&role)?, unit_id })
}
