//! 地点风险: the colour of the grids, communities and streets of the viewer's territory, kept
//! current by every event of their cases (`store::place_risk`) and by the nightly pass.

use domain::authz::{self, Permission, Resource};
use domain::case::Risk;
use domain::validation::FieldError;
pub use store::place_risk::PlaceRiskView;

use crate::{App, AppError, Result, Viewer};

/// The China hour from which the nightly pass runs.
const NIGHTLY_HOUR: u32 = 2;

impl App {
    /// The coloured places of the viewer's territory (of one colour, if asked), reddest first.
    pub async fn place_risk_list(&self, viewer: &Viewer, colour: Option<&str>) -> Result<Vec<PlaceRiskView>> {
        authz::may(viewer.role, Permission::AlertsRead, Resource::ANY)?;
        let colour = match colour.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => match Risk::parse(c).filter(|r| *r != Risk::None) {
                Some(risk) => Some(risk),
                None => return Err(AppError::Invalid(vec![FieldError::not_one_of("colour", "red, orange, yellow")])),
            },
        };
        Ok(self.store.place_risk_list(viewer, colour).await?)
    }

    /// The nightly pass, once per China day from [`NIGHTLY_HOUR`]: recounts the open cases'
    /// dues of the command screen and re-evaluates every place. Returns how many places it
    /// evaluated (0 when not due or already run).
    pub async fn place_risk_nightly_due(&self) -> Result<usize> {
        use chrono::Timelike;
        let now = self.now();
        let local = now.with_timezone(&domain::china_time());
        if local.hour() < NIGHTLY_HOUR {
            return Ok(0);
        }
        if !self.store.place_risk_claim_day(&local.date_naive().to_string(), now).await? {
            return Ok(0);
        }
        self.store.open_dues_recount().await?;
        self.place_risk_nightly().await
    }

    /// Re-evaluates every place now (the nightly pass, and `fengqiao bench`).
    pub async fn place_risk_nightly(&self) -> Result<usize> {
        Ok(self.store.place_risk_nightly(self.now()).await?)
    }
}
