//! The organisation: regions, grids, units and users; maintained by administrators.

use domain::authz::{self, Permission, Resource};
use domain::ids::{GridId, UnitId, UserId};
use domain::msg;
use domain::org::{RegionCode, Role};
use domain::validation::FieldError;
use store::org::new_user_faults;
pub use store::org::{
    GridFilter, GridPage, GridView, MIN_PASSWORD_CHARS, NewRegion, NewUnit, RegionFilter, RegionPage, RegionView,
    UnitView, UserAccount, UserFilter, UserPage, UserUpdate, UserView,
};

/// A staff user to create, as the form gives it: what is missing is named, with every other
/// fault, at once.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Option<Role>,
    pub unit_id: Option<i64>,
    pub password: &'a str,
}

use crate::{App, AppError, Result, Viewer};

impl App {
    pub async fn units(&self) -> Result<Vec<UnitView>> {
        Ok(self.store.units().await?)
    }

    pub async fn unit(&self, id: UnitId) -> Result<UnitView> {
        self.store.unit(id).await?.ok_or(AppError::NotFound { what: "unit" })
    }

    pub async fn regions(&self) -> Result<Vec<RegionView>> {
        Ok(self.store.regions().await?)
    }

    pub async fn grids(&self) -> Result<Vec<GridView>> {
        Ok(self.store.grids().await?)
    }

    pub async fn users(&self) -> Result<Vec<UserView>> {
        Ok(self.store.users().await?)
    }

    /// The viewer as a user (name, role, unit).
    pub async fn user_me(&self, viewer: &Viewer) -> Result<UserView> {
        let users = self.store.users().await?;
        users.into_iter().find(|u| u.id == viewer.user_id).ok_or(AppError::NotFound { what: "user" })
    }

    pub async fn region_create(&self, viewer: &Viewer, region: NewRegion<'_>) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.region_create(region).await?)
    }

    /// A page of regions, filtered (administrators).
    pub async fn regions_page(&self, viewer: &Viewer, filter: &RegionFilter) -> Result<RegionPage> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.regions_page(filter).await?)
    }

    pub async fn region(&self, viewer: &Viewer, code: &RegionCode) -> Result<RegionView> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        self.store.region(code).await?.ok_or(AppError::NotFound { what: "region" })
    }

    /// Renames a region; its code (and so its parent) stays.
    pub async fn region_update(
        &self,
        viewer: &Viewer,
        code: &RegionCode,
        name: &str,
        short_name: Option<&str>,
    ) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.region_update(code, name, short_name).await?)
    }

    /// Enables or disables a region; one that anything open depends on is not disabled.
    pub async fn region_active_set(&self, viewer: &Viewer, code: &RegionCode, active: bool) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.region_active_set(code, active).await?)
    }

    /// A page of grids, filtered (administrators).
    pub async fn grids_page(&self, viewer: &Viewer, filter: &GridFilter) -> Result<GridPage> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.grids_page(filter).await?)
    }

    pub async fn grid(&self, viewer: &Viewer, id: GridId) -> Result<GridView> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        self.store.grid(id.get()).await?.ok_or(AppError::NotFound { what: "grid" })
    }

    /// Renames a grid; its code and community stay.
    pub async fn grid_update(&self, viewer: &Viewer, id: GridId, name: &str) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.grid_update(id.get(), name).await?)
    }

    /// Enables or disables a grid; one with open cases or an active unit is not disabled.
    pub async fn grid_active_set(&self, viewer: &Viewer, id: GridId, active: bool) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.grid_active_set(id.get(), active).await?)
    }

    pub async fn grid_create(&self, viewer: &Viewer, code: &str, name: &str, community: &RegionCode) -> Result<i64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.grid_create(code, name, community).await?)
    }

    pub async fn unit_create(&self, viewer: &Viewer, unit: NewUnit<'_>) -> Result<i64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.unit_create(unit).await?)
    }

    /// Creates a staff user; every fault of the form at once (a citizen is no staff user).
    pub async fn user_create(&self, viewer: &Viewer, user: NewUser<'_>) -> Result<i64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        let mut errors = new_user_faults(user.username, user.display_name, user.password);
        let role = user.role.filter(|r| *r != Role::Citizen);
        match (user.role, role) {
            (None, _) => errors.push(FieldError::required("role")),
            (Some(_), None) => errors.push(FieldError::not_one_of("role", &staff_roles())),
            _ => {}
        }
        if user.unit_id.is_none() {
            errors.push(FieldError::required("unit_id"));
        }
        let (Some(role), Some(unit_id), true) = (role, user.unit_id, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let (username, display_name, password) = (user.username, user.display_name, user.password);
        Ok(self.store.user_create(username, display_name, role, UnitId(unit_id), password, self.now()).await?)
    }

    /// A page of users, filtered (administrators).
    pub async fn users_page(&self, viewer: &Viewer, filter: &UserFilter) -> Result<UserPage> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.users_page(filter).await?)
    }

    /// One user with whether they may sign in (administrators).
    pub async fn user_account(&self, viewer: &Viewer, id: UserId) -> Result<UserAccount> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        self.store.user_account(id).await?.ok_or(AppError::NotFound { what: "user" })
    }

    /// Changes a user's name, role and unit. Administrators may not take the administrator's
    /// role from themselves: the deployment would be left without one who can give it back.
    pub async fn user_update(&self, viewer: &Viewer, id: UserId, update: UserUpdate<'_>) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        if id == UserId(viewer.user_id) && update.role != viewer.role {
            return Err(AppError::conflict("own_account", msg!("org.own_role")));
        }
        if update.role == Role::Citizen {
            return Err(AppError::field(FieldError::not_one_of("role", &staff_roles())));
        }
        Ok(self.store.user_update(viewer, id, update).await?)
    }

    /// Enables or disables a user; a disabled user cannot sign in and is signed out
    /// everywhere. Nobody disables themselves.
    pub async fn user_active_set(&self, viewer: &Viewer, id: UserId, active: bool) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        if id == UserId(viewer.user_id) && !active {
            return Err(AppError::conflict("own_account", msg!("org.own_disable")));
        }
        Ok(self.store.user_active_set(viewer, id, active, self.now()).await?)
    }

    /// Gives a user a new password (the one rule: `MIN_PASSWORD_CHARS`); they are signed out.
    pub async fn user_password_reset(&self, viewer: &Viewer, id: UserId, password: &str) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.user_password_reset(viewer, id.get(), password, self.now()).await?)
    }

    /// Every signed-in user changes their own password: the current one, and the new one twice.
    /// Their other sessions end; `keep_token`, the one they use, goes on.
    pub async fn password_change(
        &self,
        viewer: &Viewer,
        current: &str,
        new: &str,
        again: &str,
        keep_token: &str,
    ) -> Result<()> {
        let mut errors = Vec::new();
        for (field, value) in [("current_password", current), ("new_password", new), ("new_password_again", again)] {
            if value.is_empty() {
                errors.push(FieldError::required(field));
            }
        }
        if errors.is_empty() && new != again {
            errors.push(FieldError::new("new_password_again", "mismatch", msg!("org.passwords_differ")));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(self.store.user_password_change(viewer, current, new, keep_token, self.now()).await?)
    }

    /// Changes a unit's name, kind, region, parent, categories and grid.
    pub async fn unit_update(&self, viewer: &Viewer, id: UnitId, unit: NewUnit<'_>) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.unit_update(viewer, id, unit).await?)
    }

    /// Enables or disables a unit; one with active users is not disabled.
    pub async fn unit_active_set(&self, viewer: &Viewer, id: UnitId, active: bool) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.unit_active_set(viewer, id, active).await?)
    }
}

/// The roles a staff user may have, `a | b | c`: every role but the citizen's, who signs in by
/// phone and is never created here.
fn staff_roles() -> String {
    Role::ALL.iter().filter(|r| **r != Role::Citizen).map(|r| r.as_str()).collect::<Vec<_>>().join(" | ")
}
