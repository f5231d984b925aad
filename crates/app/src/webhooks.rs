//! Webhooks (issue 18): a system account subscribes a URL of its own to case events in its
//! scope; the scheduler queues and sends the deliveries (`jobs::webhooks`), each signed with
//! the subscription's secret.

use domain::msg;
use domain::validation::{Checker, FieldError};
pub use store::webhooks::{DeliveryView, DueDelivery, EVENTS, WebhookView};

use crate::integration::SystemCaller;
use crate::{App, AppError, Result};

/// A subscription to create, as the client sends it.
#[derive(Debug, Default)]
pub struct NewWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
}

const URL_MAX: usize = 500;

/// Whether `url` is an absolute http(s) URL with a host and nothing odd in it.
fn url_ok(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !host.starts_with(':') && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl App {
    /// The answer to a person (a bearer token) asking for webhooks: they are for system
    /// accounts, whose key names the subscriber.
    pub fn webhooks_staff_refused(&self) -> AppError {
        AppError::Forbidden { message: msg!("webhook.system_only") }
    }

    /// Subscribes a URL of the calling system to case events: its id and secret, shown once.
    pub async fn webhook_create(&self, caller: &SystemCaller, new: NewWebhook) -> Result<(i64, String)> {
        let mut c = Checker::default();
        let url = c.required_text("url", new.url.as_deref(), URL_MAX);
        if let Some(url) = &url
            && !url_ok(url)
        {
            c.push(FieldError::new("url", "invalid", msg!("webhook.url_invalid", value = url.clone())));
        }
        let mut events = Vec::new();
        match new.events.as_deref() {
            None => c.push(FieldError::required("events")),
            Some([]) => c.push(FieldError::new("events", "empty", msg!("webhook.events_empty"))),
            Some(list) => {
                for (i, event) in list.iter().enumerate() {
                    match EVENTS.iter().find(|known| **known == event.trim()) {
                        Some(known) => events.push((*known).to_owned()),
                        None => c.push(FieldError::new(
                            format!("events[{i}]"),
                            "unknown",
                            msg!("webhook.event_unknown", value = event.clone(), known = EVENTS.join(", ")),
                        )),
                    }
                }
            }
        }
        c.into_result()?;
        events.sort();
        events.dedup();
        let url = url.unwrap_or_default();
        Ok(self.store.webhook_create(caller.account_id, &url, &events, self.now()).await?)
    }

    /// The calling system's subscriptions.
    pub async fn webhooks(&self, caller: &SystemCaller) -> Result<Vec<WebhookView>> {
        Ok(self.store.webhooks(caller.account_id).await?)
    }

    /// Ends one of the calling system's subscriptions (another's is not found).
    pub async fn webhook_delete(&self, caller: &SystemCaller, id: i64) -> Result<()> {
        Ok(self.store.webhook_delete(caller.account_id, id, self.now()).await?)
    }

    /// The delivery log of one of the calling system's subscriptions, the newest first.
    pub async fn webhook_deliveries(&self, caller: &SystemCaller, id: i64) -> Result<Vec<DeliveryView>> {
        Ok(self.store.webhook_deliveries(caller.account_id, id, 200).await?)
    }

    /// Sends a delivery again at the next pass (a replay).
    pub async fn webhook_replay(&self, caller: &SystemCaller, id: i64, delivery: i64) -> Result<()> {
        Ok(self.store.webhook_replay(caller.account_id, id, delivery, self.now()).await?)
    }

    /// Queues a delivery for each case event a subscription has not seen (the scheduler).
    pub async fn webhooks_enqueue(&self) -> Result<usize> {
        Ok(self.store.webhooks_enqueue(self.now()).await?)
    }

    /// Claims the next due delivery, signed: the delivery and its `X-Fengqiao-Signature`.
    pub async fn webhook_delivery_claim(&self) -> Result<Option<(DueDelivery, String)>> {
        Ok(self.store.webhook_delivery_claim(self.now()).await?.map(|d| {
            let signature = store::crypto::webhook_signature(&d.secret, d.body.as_bytes());
            (d, signature)
        }))
    }

    /// Records the answer to a delivery (`status`, or the error that kept it from arriving).
    pub async fn webhook_delivery_done(&self, id: i64, status: Option<u16>, error: Option<&str>) -> Result<()> {
        Ok(self.store.webhook_delivery_done(id, status, error, self.now()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::url_ok;

    #[test]
    fn only_absolute_http_urls_with_a_host_are_taken() {
        assert!(url_ok("https://court.example/hooks?x=1"));
        assert!(url_ok("http://127.0.0.1:8080/"));
        assert!(!url_ok("ftp://court.example/"));
        assert!(!url_ok("https:///path"));
        assert!(!url_ok("http://a b/"));
        assert!(!url_ok("court.example"));
    }
}
