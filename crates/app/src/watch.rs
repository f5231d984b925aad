//! 重点人员 (issue 16): the centres put people who need attention on the register of their
//! territory — by hand, or from the computed register of people whose disputes colour them —
//! with a colour and a visit schedule; the grid workers of the person's grid visit and record
//! what they found; a visit that escalates turns the person red and opens an alert for the
//! centre. Every look at the register is recorded.

use domain::authz::{self, Permission};
use domain::ids::WatchedPersonId;
use domain::watch::{ReleaseInput, ScheduleInput, VisitInput, WatchInput};
pub use store::watch::{WatchCounts, WatchEvent, WatchFilter, WatchView};

use crate::{App, Result, Viewer};

impl App {
    /// 列管: puts a person on the register of the viewer's territory.
    pub async fn watch_enter(&self, viewer: &Viewer, input: WatchInput) -> Result<WatchView> {
        authz::may_at_all(viewer.role, Permission::PeopleWatchManage)?;
        let now = self.now();
        let entry = input.validate(domain::grid::china_date(now))?;
        Ok(self.store.watch_enter(viewer, entry, now).await?)
    }

    /// A page of the register (the look recorded).
    pub async fn watch_list(&self, viewer: &Viewer, filter: &WatchFilter) -> Result<crate::grid::Page<WatchView>> {
        Ok(self.store.watch_list(viewer, filter, self.now()).await?)
    }

    /// One entry with its history (the look recorded).
    pub async fn watch_get(&self, viewer: &Viewer, id: WatchedPersonId) -> Result<WatchView> {
        Ok(self.store.watch_get(viewer, id.get(), self.now()).await?)
    }

    /// 走访: records a visit.
    pub async fn watch_visit(&self, viewer: &Viewer, id: WatchedPersonId, input: VisitInput) -> Result<WatchView> {
        authz::may_at_all(viewer.role, Permission::PeopleVisit)?;
        let now = self.now();
        let visit = input.validate(now)?;
        Ok(self.store.watch_visit(viewer, id.get(), visit, now).await?)
    }

    /// Changes an entry's colour and visit schedule.
    pub async fn watch_schedule(
        &self,
        viewer: &Viewer,
        id: WatchedPersonId,
        input: ScheduleInput,
    ) -> Result<WatchView> {
        authz::may_at_all(viewer.role, Permission::PeopleWatchManage)?;
        let schedule = input.validate()?;
        Ok(self.store.watch_schedule(viewer, id.get(), schedule, self.now()).await?)
    }

    /// 解除列管: releases an entry with the reason.
    pub async fn watch_release(&self, viewer: &Viewer, id: WatchedPersonId, input: ReleaseInput) -> Result<WatchView> {
        authz::may_at_all(viewer.role, Permission::PeopleWatchManage)?;
        let reason = input.validate()?;
        Ok(self.store.watch_release(viewer, id.get(), reason, self.now()).await?)
    }

    /// The register's counts for the workbench; `None` for a viewer who neither reads the
    /// register nor visits.
    pub async fn watch_counts(&self, viewer: &Viewer) -> Result<Option<WatchCounts>> {
        let reads = [Permission::PeopleRiskRead, Permission::PeopleVisit]
            .iter()
            .any(|p| authz::grant(viewer.role, *p).is_some());
        if !reads {
            return Ok(None);
        }
        Ok(Some(self.store.watch_counts(viewer, self.now()).await?))
    }
}
