//! 联席研判: a centre convenes the weekly joint assessment meeting of its territory with its
//! agenda generated from the latest risk list, the open alerts and the new red cases; it writes
//! the minutes and decides who does what by when; each unit acknowledges its task and reports it
//! done, and the centre follows every decision's state.

use domain::ids::{JointDecisionId, JointMeetingId};
pub use store::joint_meetings::{
    AgendaItemView, DecisionAction, JointDecisionView, JointMeetingSummary, JointMeetingView, JointParticipant,
    MinutesInput, NewDecision, NewJointMeeting,
};

use crate::{App, Result, Viewer};

impl App {
    /// Convenes a meeting of the viewer's centre over a region of its territory; its agenda is
    /// generated now.
    pub async fn joint_meeting_convene(&self, viewer: &Viewer, new: NewJointMeeting) -> Result<JointMeetingView> {
        Ok(self.store.joint_meeting_convene(viewer, new, self.now()).await?)
    }

    /// A meeting with its agenda, minutes and decisions.
    pub async fn joint_meeting(&self, viewer: &Viewer, id: JointMeetingId) -> Result<JointMeetingView> {
        Ok(self.store.joint_meeting(viewer, id.get(), self.now()).await?)
    }

    /// The meetings the viewer sees, newest first: a page of `limit` from `offset`, and how many.
    pub async fn joint_meetings(
        &self,
        viewer: &Viewer,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<JointMeetingSummary>)> {
        Ok(self.store.joint_meetings(viewer, limit, offset, self.now()).await?)
    }

    /// Writes the minutes of a draft meeting and, with `hold`, fixes them.
    pub async fn joint_meeting_minutes(
        &self,
        viewer: &Viewer,
        id: JointMeetingId,
        input: MinutesInput,
    ) -> Result<JointMeetingView> {
        Ok(self.store.joint_meeting_minutes(viewer, id.get(), input, self.now()).await?)
    }

    /// Records a decision on an agenda item: a task for a unit with a deadline.
    pub async fn joint_decision_add(
        &self,
        viewer: &Viewer,
        id: JointMeetingId,
        new: NewDecision,
    ) -> Result<JointMeetingView> {
        Ok(self.store.joint_decision_add(viewer, id.get(), new, self.now()).await?)
    }

    /// 签收 or 办结反馈 by the unit a decision is assigned to.
    pub async fn joint_decision_act(
        &self,
        viewer: &Viewer,
        id: JointMeetingId,
        decision: JointDecisionId,
        action: DecisionAction,
        text: Option<&str>,
    ) -> Result<JointMeetingView> {
        Ok(self.store.joint_decision_act(viewer, id.get(), decision.get(), action, text, self.now()).await?)
    }

    /// The decisions assigned to the viewer's unit and not done yet.
    pub async fn joint_decisions_assigned(&self, viewer: &Viewer) -> Result<Vec<JointDecisionView>> {
        Ok(self.store.joint_decisions_assigned(viewer, self.now()).await?)
    }
}
