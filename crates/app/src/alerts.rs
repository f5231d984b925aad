//! 预警: the early-warning alerts of the viewer's territory, opened by the correlation rules
//! (`store::alerts`) as cases are registered.

use domain::authz::{self, Permission, Resource};
use domain::validation::FieldError;
pub use store::alerts::AlertView;

use crate::{App, AppError, Result, Viewer};

/// The statuses an alert has.
const STATUSES: [&str; 2] = ["open", "closed"];

impl App {
    /// The alerts of a status (`open` when none is asked for) in the viewer's region, newest first.
    pub async fn alert_list(&self, viewer: &Viewer, status: Option<&str>) -> Result<Vec<AlertView>> {
        authz::may(viewer.role, Permission::AlertsRead, Resource::ANY)?;
        let status = status.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("open");
        if !STATUSES.contains(&status) {
            return Err(AppError::Invalid(vec![FieldError::not_one_of("status", &STATUSES.join(", "))]));
        }
        Ok(self.store.alert_list(viewer, status).await?)
    }
}
