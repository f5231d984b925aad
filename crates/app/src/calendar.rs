//! The official calendar and the clocks' policies, maintained by administrators; loading a
//! year or changing a policy recomputes every open case's deadlines.

use std::sync::Arc;

use domain::authz::{self, Permission, Resource};
use domain::calendar::YearCalendar;
use domain::clocks::PolicyRule;
pub use store::calendar::{CalendarYearView, ClockContext};

use crate::{App, Result, Viewer};

impl App {
    pub async fn clock_context(&self) -> Result<Arc<ClockContext>> {
        Ok(self.store.clock_context().await?)
    }

    pub async fn calendar_years(&self) -> Result<Vec<CalendarYearView>> {
        Ok(self.store.calendar_years().await?)
    }

    /// Loads or corrects a year; returns how many open cases had their deadlines recomputed.
    pub async fn calendar_put(&self, viewer: &Viewer, year: YearCalendar) -> Result<u64> {
        authz::may(viewer.role, Permission::CalendarManage, Resource::ANY)?;
        Ok(self.store.calendar_put(year, &viewer.username, self.now()).await?)
    }

    pub async fn clock_policies(&self) -> Result<Vec<PolicyRule>> {
        Ok(self.store.clock_policies().await?)
    }

    /// Replaces the policies; returns how many open cases had their deadlines recomputed.
    pub async fn clock_policies_replace(&self, viewer: &Viewer, rules: Vec<PolicyRule>) -> Result<u64> {
        authz::may(viewer.role, Permission::CalendarManage, Resource::ANY)?;
        Ok(self.store.clock_policies_replace(rules, self.now()).await?)
    }
}
