//! 三色三单: a centre issues the numbered risk list of its territory (weekly by the scheduler,
//! or on demand), the units an item is assigned to acknowledge it and report the measures
//! taken, and the centre closes it or sends it back (退回) with a reason. Also the register of
//! people who need attention (重点人员).
//!
//! The centre closes or sends back an item only once a report is in (409 before). An item sent
//! back is back on its units' workbench with the reason, to be reported on again by a new
//! closing day (the closing time by colour, counted afresh from the send back); the report it
//! answered stays in the record.

use chrono::Datelike;
use domain::authz::{self, Permission, Resource};
use domain::case::Risk;
use domain::ids::{RiskItemId, RiskListId};
use domain::msg;
use domain::org::RegionCode;
use domain::validation::{Checker, FieldError};
pub use store::risk_lists::{
    AssignedItem, ItemAction, PersonRisk, RiskItemEvent, RiskItemView, RiskListSummary, RiskListView,
};

use crate::{App, AppError, Result, Viewer};

/// The longest report or closing note, in characters.
const TEXT_MAX: usize = 5000;
/// The longest reason for sending an item back, in characters.
const REASON_MAX: usize = 2000;

impl App {
    /// Issues the risk list of `region` (in the viewer's territory) for the viewer's centre now.
    pub async fn risk_list_issue(&self, viewer: &Viewer, region: Option<&str>) -> Result<RiskListView> {
        authz::may(viewer.role, Permission::RiskListManage, Resource::OWN)?;
        let region = region.map(str::trim).unwrap_or_default();
        if region.is_empty() {
            return Err(AppError::Invalid(vec![FieldError::required("region")]));
        }
        let code = RegionCode::parse(region)
            .map_err(|e| AppError::Invalid(vec![FieldError::new("region", "invalid_code", e.message())]))?;
        if !viewer.scope.covers_region(&code) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "region",
                "outside_scope",
                msg!("risk_list.region_outside"),
            )]));
        }
        let now = self.now();
        let id = self.store.risk_list_issue(viewer.unit_id, &code, Some(viewer.user_id), None, now).await?;
        let id = id.ok_or(AppError::NotFound { what: RiskListId::WHAT })?;
        Ok(self.store.risk_list(viewer, id, now).await?)
    }

    /// The weekly pass: each centre's list of its territory for this ISO week, once.
    pub async fn risk_lists_weekly(&self) -> Result<usize> {
        let now = self.now();
        let week = now.with_timezone(&domain::china_time()).iso_week();
        let week = format!("{}-W{:02}", week.year(), week.week());
        let mut issued = 0;
        for (unit_id, region) in self.store.risk_list_centres().await? {
            let Ok(code) = RegionCode::parse(&region) else { continue };
            if self.store.risk_list_issue(unit_id, &code, None, Some(week.clone()), now).await?.is_some() {
                issued += 1;
            }
        }
        Ok(issued)
    }

    /// A list with its items, for the centres of its territory and the units it assigns items to.
    pub async fn risk_list(&self, viewer: &Viewer, id: RiskListId) -> Result<RiskListView> {
        Ok(self.store.risk_list(viewer, id.get(), self.now()).await?)
    }

    /// The lists the viewer sees, newest first: a page of `limit` from `offset`, and how many.
    pub async fn risk_lists(&self, viewer: &Viewer, limit: i64, offset: i64) -> Result<(i64, Vec<RiskListSummary>)> {
        Ok(self.store.risk_lists(viewer, limit, offset, self.now()).await?)
    }

    /// 签收, 反馈, 销号 or 退回 on an item: reporting and closing need a text (up to
    /// [`TEXT_MAX`] characters, field `text`), sending back a reason (up to [`REASON_MAX`],
    /// field `reason`), given as `text`.
    pub async fn risk_item_act(
        &self,
        viewer: &Viewer,
        list: RiskListId,
        item: RiskItemId,
        action: ItemAction,
        text: Option<&str>,
    ) -> Result<RiskListView> {
        let mut c = Checker::default();
        let text = match action {
            ItemAction::Acknowledge => None,
            ItemAction::Report | ItemAction::Close => c.required_text("text", text, TEXT_MAX),
            ItemAction::SendBack => c.required_text("reason", text, REASON_MAX),
        };
        c.into_result()?;
        Ok(self.store.risk_item_act(viewer, list.get(), item.get(), action, text, self.now()).await?)
    }

    /// The items assigned to the viewer's unit that wait on it (to acknowledge, to report on,
    /// sent back), those sent back first: at most `limit`, for the workbench.
    pub async fn risk_items_assigned(&self, viewer: &Viewer, limit: i64) -> Result<Vec<AssignedItem>> {
        Ok(self.store.risk_items_assigned(viewer, limit, self.now()).await?)
    }

    /// 重点人员: the people of the viewer's territory who need attention, of one colour or all;
    /// every read is recorded.
    pub async fn people_risk(&self, viewer: &Viewer, colour: Option<&str>) -> Result<Vec<PersonRisk>> {
        authz::may(viewer.role, Permission::PeopleRiskRead, Resource::ANY)?;
        let colour = match colour.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => match Risk::parse(c) {
                Some(risk) if risk != Risk::None => Some(risk),
                _ => return Err(AppError::Invalid(vec![FieldError::not_one_of("colour", "red, orange, yellow")])),
            },
        };
        Ok(self.store.people_risk(viewer, colour, self.now()).await?)
    }
}
