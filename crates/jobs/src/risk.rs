//! 风险复核: this node's worker of the risk queue. What a registration or a workflow step
//! touches — the correlation rules on its respondents and people, the colour of its places — is
//! evaluated here, after the answer: at once when this node queues something, and every
//! [`POLL`] for what other nodes queued (or left when they stopped). Batches coalesce: a subject
//! or a place is evaluated once per batch however many queued cases touch it.

use std::time::Duration;

use app::App;

/// How often the worker looks at the queue without being woken.
pub const POLL: Duration = Duration::from_secs(1);

/// Starts this node's worker.
pub fn spawn(app: App) {
    tokio::spawn(async move {
        loop {
            match app.risk_queue_drain().await {
                Ok(drained) if drained.rows > 0 => tracing::debug!(
                    rows = drained.rows,
                    subjects = drained.subjects,
                    places = drained.places,
                    raised = drained.raised,
                    "risk evaluated"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "evaluating the queued risk failed"),
            }
            // Woken by this node's next registration or step, or polling.
            let _ = tokio::time::timeout(POLL, app.risk_queue_queued()).await;
        }
    });
}
