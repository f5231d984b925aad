//! The organisation: regions, grids, units and users.

use domain::ids::{UnitId, UserId};
use domain::msg;
use domain::org::{RegionCode, Role, Scope, UnitKind};

use crate::sql::{args, from_row};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone)]
pub struct RegionView {
    /// 12-digit division code.
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    /// province | city | district | street | community
    pub level: String,
    pub parent_code: Option<String>,
}
from_row!(RegionView { code, name, short_name, level, parent_code });

#[derive(Debug, Clone)]
pub struct GridView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub community_code: String,
}
from_row!(GridView { id, code, name, community_code });

#[derive(Debug, Clone)]
pub struct UnitView {
    pub id: i64,
    pub name: String,
    /// centre | department | police | petition_office | court | mediation_committee | industry_mediation | brand_room
    pub kind: String,
    pub region_code: String,
    pub parent_id: Option<i64>,
    /// Space-separated category codes the unit handles as a sector unit (条).
    pub categories: String,
}
from_row!(UnitView { id, name, kind, region_code, parent_id, categories });

/// The shortest password a user may be given, wherever the user is created.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A region to create.
pub struct NewRegion<'a> {
    pub code: &'a RegionCode,
    pub name: &'a str,
    pub short_name: Option<&'a str>,
}

pub struct NewUnit<'a> {
    pub name: &'a str,
    pub kind: UnitKind,
    pub region_code: &'a RegionCode,
    pub parent_id: Option<i64>,
    pub categories: &'a [&'a str],
    /// For a grid station: its grid.
    pub grid_id: Option<i64>,
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

impl Store {
    pub async fn region_create(&self, region: NewRegion<'_>) -> Result<()> {
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
        let sql = "SELECT code, name, short_name, level, parent_code FROM regions ORDER BY code";
        self.fetch_all(sql, args![]).await
    }

    pub async fn region(&self, code: &RegionCode) -> Result<Option<RegionView>> {
        let sql = "SELECT code, name, short_name, level, parent_code FROM regions WHERE code = $1";
        self.fetch_optional(sql, args![code.as_str()]).await
    }

    pub async fn grid_create(&self, code: &str, name: &str, community: &RegionCode) -> Result<i64> {
        let sql = "INSERT INTO grids (code, name, community_code) VALUES ($1, $2, $3) RETURNING id";
        let (id,): (i64,) = self.fetch_one(sql, args![code, name, community.as_str()]).await?;
        self.bump_triage_version().await?;
        Ok(id)
    }

    pub async fn grids(&self) -> Result<Vec<GridView>> {
        let sql = "SELECT id, code, name, community_code FROM grids ORDER BY code";
        self.fetch_all(sql, args![]).await
    }

    pub async fn grid(&self, id: i64) -> Result<Option<GridView>> {
        let sql = "SELECT id, code, name, community_code FROM grids WHERE id = $1";
        self.fetch_optional(sql, args![id]).await
    }

    pub async fn unit_create(&self, unit: NewUnit<'_>) -> Result<i64> {
        let sql = "INSERT INTO units (name, kind, region_code, parent_id, categories, grid_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let categories = unit.categories.join(" ");
        let (id,): (i64,) = self
            .fetch_one(
                sql,
                args![
                    unit.name,
                    unit.kind.as_str(),
                    unit.region_code.as_str(),
                    unit.parent_id,
                    categories,
                    unit.grid_id
                ],
            )
            .await?;
        self.bump_triage_version().await?;
        Ok(id)
    }

    pub async fn units(&self) -> Result<Vec<UnitView>> {
        let sql = "SELECT id, name, kind, region_code, parent_id, categories FROM units ORDER BY region_code, id";
        self.fetch_all(sql, args![]).await
    }

    pub async fn unit(&self, id: i64) -> Result<Option<UnitView>> {
        let sql = "SELECT id, name, kind, region_code, parent_id, categories FROM units WHERE id = $1";
        self.fetch_optional(sql, args![id]).await
    }

    /// The governance centre (综治中心) of exactly this region, if there is one.
    pub async fn centre_of(&self, region: &RegionCode) -> Result<Option<UnitView>> {
        let sql = "SELECT id, name, kind, region_code, parent_id, categories FROM units WHERE kind = 'centre' AND region_code = $1 ORDER BY id LIMIT 1";
        self.fetch_optional(sql, args![region.as_str()]).await
    }

    /// Sets the telephone a centre prints on its receipts (受理回执).
    pub async fn unit_phone_set(&self, id: UnitId, phone: &str) -> Result<()> {
        let id = id.get();
        self.execute("UPDATE units SET phone = $1 WHERE id = $2", args![phone, id]).await?;
        Ok(())
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
        let username = username.trim();
        let valid_name = (3..=32).contains(&username.len())
            && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid_name {
            return Err(StoreError::invalid(domain::validation::FieldError::new(
                "username",
                "invalid_username",
                msg!("org.username_format"),
            )));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(StoreError::invalid(domain::validation::FieldError::new(
                "password",
                "too_short",
                msg!("field.password_too_short", min = MIN_PASSWORD_CHARS),
            )));
        }
        if self.unit(unit_id).await?.is_none() {
            return Err(StoreError::NotFound { what: "unit" });
        }
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

pub(crate) fn user_view(
    (id, username, display_name, role, unit_id): (i64, String, String, String, i64),
) -> Option<UserView> {
    Some(UserView { id, username, display_name, role: Role::parse(&role)?, unit_id })
}
