//! Triage at intake: the preview while a clerk types, and the rules, catalogue and examples
//! that administrators (and, for examples, dispatchers) maintain.

pub use ::triage::TriageRules;
pub use ::triage::address::ParsedAddress;
pub use ::triage::routing::CatalogueEntry;
use domain::authz::{self, Permission, Resource};
use domain::case::{CaseRegistration, Category};
use domain::ids::UnitId;
use domain::org::RegionCode;
pub use store::triage::{CategorySuggestion, Triage, WhenUnsure};

use crate::{App, AppError, Result, Viewer};

impl App {
    /// The triage of a draft registration without registering it: category, risk, place,
    /// route and emergency, as the intake window shows them while the clerk types.
    pub async fn triage_preview(&self, viewer: &Viewer, registration: CaseRegistration) -> Result<Triage> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let now = self.now();
        let new = registration.validate(now)?;
        let region = self.registering_region(viewer).await?;
        Ok(self.store.triage_preview(&new, &region, now).await?)
    }

    /// The region of the viewer's unit: where a case registered by them is registered.
    pub(crate) async fn registering_region(&self, viewer: &Viewer) -> Result<RegionCode> {
        let unit = self.unit(UnitId(viewer.unit_id)).await?;
        RegionCode::parse(&unit.region_code)
            .map_err(|e| AppError::Internal(format!("unit {} has a bad region code: {e}", unit.id)))
    }

    pub async fn triage_rules(&self) -> Result<TriageRules> {
        Ok(self.store.triage_rules().await?)
    }

    pub async fn triage_rules_put(&self, viewer: &Viewer, rules: TriageRules) -> Result<TriageRules> {
        authz::may(viewer.role, Permission::TriageManage, Resource::ANY)?;
        self.store.triage_rules_put(rules, &viewer.username, self.now()).await?;
        self.triage_rules().await
    }

    pub async fn routing_catalogue(&self) -> Result<Vec<CatalogueEntry>> {
        Ok(self.store.routing_catalogue().await?)
    }

    pub async fn routing_catalogue_put(
        &self,
        viewer: &Viewer,
        entries: Vec<CatalogueEntry>,
    ) -> Result<Vec<CatalogueEntry>> {
        authz::may(viewer.role, Permission::TriageManage, Resource::ANY)?;
        self.store.routing_catalogue_put(entries).await?;
        self.routing_catalogue().await
    }

    /// Replaces the catalogue's lines for one category (the admin page's table of it).
    pub async fn routing_catalogue_category_put(
        &self,
        viewer: &Viewer,
        category: Category,
        entries: Vec<CatalogueEntry>,
    ) -> Result<()> {
        authz::may(viewer.role, Permission::TriageManage, Resource::ANY)?;
        Ok(self.store.routing_catalogue_category_put(category, entries).await?)
    }

    /// Adds a labelled example; the classifier retrains with it.
    pub async fn triage_example_add(&self, viewer: &Viewer, category: Category, text: &str) -> Result<i64> {
        authz::may(viewer.role, Permission::TriageExampleAdd, Resource::ANY)?;
        Ok(self.store.triage_example_add(category, text, &viewer.username, self.now()).await?)
    }

    /// An address as province, city, district, street and community.
    pub async fn address_parse(&self, text: &str) -> Result<ParsedAddress> {
        Ok(self.store.address_parse(text).await?)
    }
}
