//! The window queue (取号/叫号) of a centre's hall.

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

    /// 叫号: calls the next waiting ticket to `counter`, if any.
    pub async fn queue_call_next(&self, viewer: &Viewer, counter: &str) -> Result<Option<Ticket>> {
        Ok(self.store.queue_call_next(viewer, counter, self.now()).await?)
    }
}
