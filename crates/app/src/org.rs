//! The organisation: regions, grids, units and users; maintained by administrators.

use domain::authz::{self, Permission, Resource};
use domain::ids::UnitId;
use domain::org::{RegionCode, Role};
pub use store::org::{GridView, NewRegion, NewUnit, RegionView, UnitView, UserView};

use crate::{App, AppError, Result, Viewer};

impl App {
    pub async fn units(&self) -> Result<Vec<UnitView>> {
        Ok(self.store.units().await?)
    }

    pub async fn unit(&self, id: i64) -> Result<UnitView> {
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

    pub async fn grid_create(&self, viewer: &Viewer, code: &str, name: &str, community: &RegionCode) -> Result<i64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.grid_create(code, name, community).await?)
    }

    pub async fn unit_create(&self, viewer: &Viewer, unit: NewUnit<'_>) -> Result<i64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.unit_create(unit).await?)
    }

    pub async fn user_create(
        &self,
        viewer: &Viewer,
        username: &str,
        display_name: &str,
        role: Role,
        unit_id: UnitId,
        password: &str,
    ) -> Result<i64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.user_create(username, display_name, role, unit_id, password, self.now()).await?)
    }
}
