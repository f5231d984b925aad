//! The statistics of DOMAIN.md §5.4 for a region and a period.

use chrono::NaiveDate;
use domain::org::RegionCode;
use domain::stats::Summary;

use crate::{App, Result, Viewer};

impl App {
    /// The figures of `region` (by default the viewer's) from `from` to `to`, inclusive;
    /// a region outside the viewer's scope is refused.
    pub async fn stats_summary(
        &self,
        viewer: &Viewer,
        region: Option<RegionCode>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Summary> {
        Ok(self.store.stats_summary(viewer, region, from, to).await?)
    }
}
