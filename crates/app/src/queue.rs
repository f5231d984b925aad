//! The window queue (取号/叫号) of a centre's hall.

use domain::authz::{self, Permission, Resource};
pub use store::queue::{QueueBoard, Ticket};

use crate::{App, Result, Viewer};

impl App {
    pub async fn queue_board(&self, viewer: &Viewer) -> Result<QueueBoard> {
        Ok(self.store.queue_board(viewer, self.now()).await?)
    }

    /// 取号: the next ticket of the viewer's centre today.
    pub async fn queue_take(&self, viewer: &Viewer) -> Result<Ticket> {
        Ok(self.store.queue_take(viewer, self.now()).await?)
    }

    /// 叫号: calls the next waiting ticket to `counter`, if any (the window's clerk, who
    /// registers what the visitor brings).
    pub async fn queue_call_next(&self, viewer: &Viewer, counter: &str) -> Result<Option<Ticket>> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        Ok(self.store.queue_call_next(viewer, counter, self.now()).await?)
    }

    /// 重复叫号: calls again the ticket the clerk called last, so that the hall screen says it
    /// once more; `None` when the clerk has none called.
    pub async fn queue_recall(&self, viewer: &Viewer) -> Result<Option<Ticket>> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        Ok(self.store.queue_recall(viewer, self.now()).await?)
    }
}
