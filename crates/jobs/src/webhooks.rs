//! Webhook deliveries: each pass queues the case events the subscriptions have not seen
//! (`App::webhooks_enqueue`), then sends what is due, one claimed delivery at a time, signed
//! with the subscription's secret. A failure (no answer, or one other than 2xx) is retried
//! with backoff. This crate speaks no HTTP: the binary hands in a [`WebhookSender`].

use std::future::Future;
use std::pin::Pin;

use app::App;

/// The most deliveries one pass sends.
const BATCH: usize = 200;

/// What posts a delivery: `POST url` with these headers and this body as
/// `application/json`; answers the HTTP status, or why there was none.
pub trait WebhookSender: Send + Sync {
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(&'static str, String)],
        body: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>>;
}

/// Queues and sends; answers how many deliveries were attempted. A training deployment only
/// queues: its deliveries show in the log and never leave.
pub async fn deliver(app: &App, sender: &dyn WebhookSender) -> anyhow::Result<usize> {
    app.webhooks_enqueue().await?;
    if app.is_training() {
        return Ok(0);
    }
    let mut attempted = 0;
    while attempted < BATCH {
        let Some((delivery, signature)) = app.webhook_delivery_claim().await? else { break };
        let headers = [
            ("X-Fengqiao-Signature", signature),
            ("X-Fengqiao-Event", delivery.event.clone()),
            // The idempotency key: the same for every attempt of one delivery.
            ("X-Fengqiao-Delivery", delivery.event_key.clone()),
            ("X-Fengqiao-Attempt", (delivery.attempts + 1).to_string()),
        ];
        let answer = sender.post(&delivery.url, &headers, &delivery.body).await;
        let (status, error) = match &answer {
            Ok(status) if (200..300).contains(status) => (Some(*status), None),
            Ok(status) => (Some(*status), Some(format!("HTTP {status}"))),
            Err(e) => (None, Some(e.clone())),
        };
        if let Some(error) = &error {
            tracing::warn!(delivery = delivery.id, url = %delivery.url, error = %error, "webhook delivery failed");
        }
        app.webhook_delivery_done(delivery.id, status, error.as_deref()).await?;
        attempted += 1;
    }
    Ok(attempted)
}
