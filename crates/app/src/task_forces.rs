//! 一案一专班 / 领导包案: a case's task force with the 五定, its milestones marked done by the
//! units responsible, and the leader's own list of the cases they lead (我包的案).

use domain::ids::{CaseId, MilestoneId, TaskForceId};
pub use store::task_forces::{MilestoneView, NewMember, NewMilestone, NewTaskForce, TaskForceMember, TaskForceView};

use crate::{App, Result, Viewer};

impl App {
    /// Forms the task force of a case.
    pub async fn task_force_form(&self, viewer: &Viewer, case: CaseId, new: NewTaskForce) -> Result<TaskForceView> {
        Ok(self.store.task_force_form(viewer, case, new, self.now()).await?)
    }

    /// The task force of a case, if it has one.
    pub async fn task_force_of_case(&self, viewer: &Viewer, case: CaseId) -> Result<Option<TaskForceView>> {
        Ok(self.store.task_force_of_case(viewer, case, self.now()).await?)
    }

    /// 我包的案: the task forces the viewer leads.
    pub async fn task_forces_led(&self, viewer: &Viewer) -> Result<Vec<TaskForceView>> {
        Ok(self.store.task_forces_led(viewer, self.now()).await?)
    }

    /// The unit responsible marks a milestone done, with a note.
    pub async fn milestone_done(
        &self,
        viewer: &Viewer,
        task_force: TaskForceId,
        milestone: MilestoneId,
        note: Option<&str>,
    ) -> Result<TaskForceView> {
        Ok(self.store.milestone_done(viewer, task_force.get(), milestone.get(), note, self.now()).await?)
    }
}
