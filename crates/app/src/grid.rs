//! 网格化 (PRODUCT.md "Grid work"): the grid worker records a patrol of their grid and the
//! hazards found on it; they or the centres above resolve a hazard on the spot, escalate it,
//! register it as a dispute case (channel `grid`, through the one registration — the hazard is
//! claimed first, so two registrations at once make one case) or close it.

use chrono::NaiveDate;
use domain::case::{CaseRegistration, LocationInput};
use domain::grid::{self, HazardAction, HazardInput, HazardStatus, HazardStepInput, PatrolFinish, PatrolInput};
use domain::ids::{CaseId, HazardId, PatrolId};
use domain::msg;
pub use store::grid::{GridCoverage, HazardFilter, HazardStep, HazardView, Page, PatrolFilter, PatrolView};

use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};

/// The largest page of a list.
pub const MAX_PAGE_SIZE: i64 = 200;

/// A hazard with the steps the viewer may take on it now.
#[derive(Debug, Clone)]
pub struct Hazard {
    pub view: HazardView,
    pub actions: Vec<HazardAction>,
}

impl App {
    /// 日巡查: records a patrol of the worker's grid (or one named in their territory).
    pub async fn patrol_record(&self, viewer: &Viewer, input: PatrolInput) -> Result<PatrolView> {
        domain::authz::may_at_all(viewer.role, domain::authz::Permission::PatrolLog)?;
        let now = self.now();
        let patrol = input.validate(now)?;
        Ok(self.store.patrol_record(viewer, patrol, now).await?)
    }

    /// Ends one's own patrol with what was found.
    pub async fn patrol_finish(&self, viewer: &Viewer, id: PatrolId, input: PatrolFinish) -> Result<PatrolView> {
        let patrol = self.store.patrol(viewer, id.get()).await?;
        let end = input.validate(patrol.started_at, self.now())?;
        Ok(self.store.patrol_finish(viewer, id.get(), end).await?)
    }

    pub async fn patrol(&self, viewer: &Viewer, id: PatrolId) -> Result<PatrolView> {
        Ok(self.store.patrol(viewer, id.get()).await?)
    }

    pub async fn patrols(&self, viewer: &Viewer, filter: &PatrolFilter) -> Result<Page<PatrolView>> {
        Ok(self.store.patrols(viewer, filter).await?)
    }

    /// The grids of the territory with their patrols on `day` (today when absent, China time).
    pub async fn patrol_coverage(
        &self,
        viewer: &Viewer,
        day: Option<NaiveDate>,
    ) -> Result<(NaiveDate, Vec<GridCoverage>)> {
        let day = day.unwrap_or_else(|| grid::china_date(self.now()));
        Ok((day, self.store.patrol_coverage(viewer, day).await?))
    }

    /// 隐患上报: reports a hazard in a grid of the worker's territory.
    pub async fn hazard_report(&self, viewer: &Viewer, input: HazardInput) -> Result<Hazard> {
        domain::authz::may_at_all(viewer.role, domain::authz::Permission::HazardReport)?;
        let hazard = input.validate()?;
        let view = self.store.hazard_report(viewer, hazard, self.now()).await?;
        self.hazard(viewer, HazardId(view.id)).await
    }

    /// One hazard with its steps and what the viewer may do to it now.
    pub async fn hazard(&self, viewer: &Viewer, id: HazardId) -> Result<Hazard> {
        let view = self.store.hazard(viewer, id.get()).await?;
        let may = self.store.hazard_may_handle(viewer, &view).await.is_ok();
        let actions = match HazardStatus::parse(&view.status) {
            Some(status) if may => grid::available(status),
            _ => Vec::new(),
        };
        Ok(Hazard { view, actions })
    }

    pub async fn hazards(&self, viewer: &Viewer, filter: &HazardFilter) -> Result<Page<HazardView>> {
        Ok(self.store.hazards(viewer, filter).await?)
    }

    /// A step on a hazard: 就地化解, 上报, 关闭 with a note, or 转为案件 — registering a case
    /// from the `grid` channel with the hazard's description and place, then linking the two.
    pub async fn hazard_act(
        &self,
        viewer: &Viewer,
        id: HazardId,
        action: HazardAction,
        input: HazardStepInput,
    ) -> Result<Hazard> {
        domain::authz::may_at_all(viewer.role, domain::authz::Permission::HazardHandle)?;
        let hazard = self.store.hazard(viewer, id.get()).await?;
        self.store.hazard_may_handle(viewer, &hazard).await?;
        let from = HazardStatus::parse(&hazard.status).unwrap_or(HazardStatus::Open);
        let to = grid::next(from, action).ok_or_else(|| {
            AppError::conflict(
                "hazard_step_not_allowed",
                msg!("grid.step_not_allowed", status = domain::validation::Arg::code("hazard_status", from.as_str())),
            )
        })?;
        let note = grid::step_note(action, input.note.as_deref())?;
        self.store.hazard_step(viewer, id.get(), from, action, to, note, self.now()).await?;
        if action == HazardAction::Register {
            let registration = CaseRegistration {
                channel: Some("grid".to_owned()),
                description: Some(hazard.description.clone()),
                title: input.title,
                category: input.category,
                people_count: input.people_count,
                location: Some(LocationInput {
                    address: hazard.location.clone(),
                    region_code: Some(hazard.region_code.clone()),
                    grid_id: Some(hazard.grid_id.into()),
                    ..LocationInput::default()
                }),
                parties: input.parties,
                ..CaseRegistration::default()
            };
            match self.case_register(viewer, registration, WhenUnsure::RecordOther).await {
                Ok(registered) => {
                    self.store.hazard_link_case(viewer, id.get(), CaseId(registered.case.id), self.now()).await?;
                }
                Err(refused) => {
                    self.store.hazard_release(id.get(), from).await?;
                    return Err(refused);
                }
            }
        }
        self.hazard(viewer, id).await
    }
}
