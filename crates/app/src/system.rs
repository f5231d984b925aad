//! What runs with no one signed in: the scheduler's passes (the supervision ladder, the
//! agreements' reminders, the SMS outbox, the daily audit checkpoint), each taking only `now`, safe to run twice and on
//! several nodes at once.

pub use store::audit::Checkpoint;
pub use store::supervision::SweepReport;

use crate::{App, Result};
use domain::ids::MessageId;

impl App {
    /// One pass of the supervision ladder, holding the sweep's lease as this node.
    /// Files the cases that have no marks for the figures yet (a database from before them).
    pub async fn figures_catch_up(&self) -> Result<u64> {
        Ok(self.store.figures_catch_up().await?)
    }

    pub async fn supervision_sweep_due(&self) -> Result<SweepReport> {
        let report = self.store.supervision_sweep(&self.node_id, self.now()).await?;
        self.live_notices_issued(&report.issued).await;
        Ok(report)
    }

    /// The reminders due now (terms falling due, the confirmation window's last week), each once.
    pub async fn agreement_reminders_due(&self) -> Result<u64> {
        Ok(self.store.agreement_reminders(self.now()).await?)
    }

    /// The daily checkpoint of every case's history (`store::audit`): yesterday's (China
    /// time) once it has settled, unless taken and published by this node already.
    pub async fn audit_checkpoint_due(&self) -> Result<Option<Checkpoint>> {
        Ok(self.store.audit_checkpoint(self.now(), &self.root_log).await?)
    }

    /// Forgets login attempts whose window has passed.
    pub async fn login_attempts_prune(&self) -> Result<u64> {
        Ok(self.store.login_attempts_prune(self.now()).await?)
    }

    /// Messages waiting for the gateway: id, phone, text.
    pub async fn outbox_pending(&self, limit: i64) -> Result<Vec<(MessageId, String, String)>> {
        let pending = self.store.outbox_pending(limit).await?;
        Ok(pending.into_iter().map(|(id, phone, text)| (MessageId(id), phone, text)).collect())
    }

    /// Claims a message for this node (`pending → sending`); false if another node has it.
    pub async fn outbox_claim(&self, id: MessageId) -> Result<bool> {
        Ok(self.store.outbox_claim(id).await?)
    }

    /// Records what the gateway did with a message: `sent`, `kept` or `failed`.
    pub async fn outbox_mark(&self, id: MessageId, status: &str) -> Result<()> {
        Ok(self.store.outbox_mark(id, status, self.now()).await?)
    }
}
