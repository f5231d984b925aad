//! 风险复核 after the answer: this node's share of draining the risk queue
//! (`store::risk_queue`), which registrations and workflow steps fill in their own transactions.

pub use store::risk_queue::RiskDrain;

use crate::{App, Result};

impl App {
    /// Evaluates what is queued, batch after batch, as of now, while this node holds the queue's
    /// lease, then gives the lease back. Returns what it evaluated: nothing when the queue was
    /// empty or another node is draining it (that node takes what this one queued).
    pub async fn risk_queue_drain(&self) -> Result<RiskDrain> {
        let mut drained = RiskDrain::default();
        while let Some(batch) = self.store.risk_queue_drain(&self.node_id, self.now()).await? {
            if batch.rows == 0 {
                break;
            }
            drained.add(batch);
        }
        if drained.rows > 0 {
            self.store.risk_queue_release(&self.node_id).await?;
        }
        Ok(drained)
    }

    /// Resolves once a registration or a step of this node queued something since the last time.
    pub async fn risk_queue_queued(&self) {
        self.store.risk_queue_queued().await;
    }
}
