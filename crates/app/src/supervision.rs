//! Deadlines and the supervision ladder: each case's clocks, the notices (提醒函, 预警单,
//! 督办令) with their acknowledgements and replies, and the sweep that issues them.

use domain::authz::{self, Permission, Resource};
pub use domain::clocks::Deadline;
pub use domain::clocks::ManualNotice;
use domain::ids::{CaseId, NoticeId, UnitId};
use domain::validation::Checker;
pub use store::supervision::{AwaitingNotices, AwaitingSubject, NoticeCount, NoticeFilter, NoticeView, SweepReport};

use crate::{App, Result, Viewer};

impl App {
    /// The case's clocks with their due times and how each was reckoned (a message, for the
    /// reader's language).
    pub async fn case_deadlines(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<Deadline>> {
        Ok(self.store.case_deadlines(viewer, case_id, self.now()).await?)
    }

    pub async fn notices(&self, viewer: &Viewer, filter: &NoticeFilter) -> Result<Vec<NoticeView>> {
        Ok(self.store.notices(viewer, filter).await?)
    }

    /// How many notices the filter finds, for a list's count and paging.
    pub async fn notices_count(&self, viewer: &Viewer, filter: &NoticeFilter) -> Result<i64> {
        Ok(self.store.notices_count(viewer, filter).await?)
    }

    /// How many notices to the viewer's unit await a reply.
    pub async fn notices_awaiting_count(&self, viewer: &Viewer) -> Result<i64> {
        Ok(self.store.notices_awaiting_count(viewer).await?)
    }

    /// The notices awaiting the viewer's unit's reply, one line per case or watched person (at
    /// most `limit`), with the number of cases and of people.
    pub async fn notices_awaiting_by_subject(&self, viewer: &Viewer, limit: i64) -> Result<AwaitingNotices> {
        Ok(self.store.notices_awaiting_by_subject(viewer, limit).await?)
    }

    pub async fn notice_counts(&self, viewer: &Viewer) -> Result<Vec<NoticeCount>> {
        Ok(self.store.notice_counts(viewer).await?)
    }

    /// 签收: the recipient unit acknowledges a notice.
    pub async fn notice_acknowledge(&self, viewer: &Viewer, id: NoticeId) -> Result<NoticeView> {
        Ok(self.store.notice_acknowledge(viewer, id, self.now()).await?)
    }

    /// 回复: the recipient unit replies in writing — some words, at most 5 000 characters,
    /// whether they come from the API or a form.
    pub async fn notice_reply(&self, viewer: &Viewer, id: NoticeId, text: Option<&str>) -> Result<NoticeView> {
        let mut c = Checker::default();
        let text = c.required_text("text", text, 5000);
        c.into_result()?;
        Ok(self.store.notice_reply(viewer, id, text.unwrap_or_default(), self.now()).await?)
    }

    /// 人工督办: a leader, or a dispatcher of a centre above the unit, issues a notice by hand;
    /// the recipient defaults to the unit responsible now, and must reply in writing by the
    /// end of the notice's working days.
    pub async fn notice_issue(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        notice: ManualNotice,
        unit_id: Option<UnitId>,
    ) -> Result<NoticeView> {
        authz::may_at_all(viewer.role, Permission::NoticeIssue)?;
        let issued = self.store.notice_issue_manual(viewer, case_id, notice, unit_id, self.now()).await?;
        self.live_notices_issued(&[issued.id]).await;
        Ok(issued)
    }

    /// Whether the viewer may issue a notice by hand on the case now: what the case page offers.
    pub async fn notice_issue_allowed(&self, viewer: &Viewer, case_id: CaseId) -> Result<bool> {
        if !authz::has(viewer.role, Permission::NoticeIssue) {
            return Ok(false);
        }
        Ok(self.store.notice_issue_allowed(viewer, case_id).await?)
    }

    /// One sweep of the ladder now (it also runs every minute on its own).
    pub async fn supervision_sweep(&self, viewer: &Viewer) -> Result<SweepReport> {
        authz::may(viewer.role, Permission::SweepRun, Resource::ANY)?;
        self.supervision_sweep_due().await
    }
}
