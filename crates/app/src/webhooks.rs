//! Webhooks (issue 18): a system account subscribes a URL of its own to case events in its
//! scope; the scheduler queues and sends the deliveries (`jobs::webhooks`), each signed with
//! the subscription's secret. The centre's administrators see every subscription and its
//! delivery log, replay deliveries and disable or enable a subscription (`WebhooksManage`).

use domain::authz::{self, Permission, Resource};
use domain::msg;
use domain::validation::{Checker, FieldError};
pub use store::grid::Page;
use store::webhooks::WebhookActor;
pub use store::webhooks::{DeliveryView, DueDelivery, EVENTS, Replay, WebhookView};
pub use store::webhooks_admin::{DeliveryState, WebhookAdminAction, WebhookAdminView, WebhookFilter, WebhookState};

use crate::integration::SystemCaller;
use crate::{App, AppError, Result, Viewer};

/// Who asks for a replay: the subscription's own system, or an administrator of the centre.
#[derive(Debug, Clone, Copy)]
pub enum Replayer<'a> {
    System(&'a SystemCaller),
    Admin(&'a Viewer),
}

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

    /// Sends deliveries of a subscription again at the next pass (a replay), with the same
    /// idempotency key: the system its own subscription's, an administrator any live one's
    /// (recorded). Answers how many were queued again.
    pub async fn webhook_replay(&self, by: Replayer<'_>, id: i64, which: Replay) -> Result<u64> {
        let actor = match by {
            Replayer::System(caller) => WebhookActor::Account(caller.account_id),
            Replayer::Admin(viewer) => {
                authz::may(viewer.role, Permission::WebhooksManage, Resource::ANY)?;
                tracing::info!(webhook = id, ?which, by = %viewer.username, "webhook deliveries replayed by an administrator");
                WebhookActor::Admin(viewer.user_id)
            }
        };
        Ok(self.store.webhook_replay(actor, id, which, self.now()).await?)
    }

    /// Every system account's subscriptions (admin), the newest first, with their deliveries
    /// counted.
    pub async fn webhooks_all(&self, viewer: &Viewer, filter: &WebhookFilter) -> Result<Page<WebhookAdminView>> {
        authz::may(viewer.role, Permission::WebhooksManage, Resource::ANY)?;
        Ok(self.store.webhooks_all(filter).await?)
    }

    /// One subscription (admin).
    pub async fn webhook_admin(&self, viewer: &Viewer, id: i64) -> Result<WebhookAdminView> {
        authz::may(viewer.role, Permission::WebhooksManage, Resource::ANY)?;
        Ok(self.store.webhook_admin(id).await?)
    }

    /// A page of a subscription's delivery log (admin), the newest first.
    pub async fn webhook_log(
        &self,
        viewer: &Viewer,
        id: i64,
        state: Option<DeliveryState>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<DeliveryView>> {
        authz::may(viewer.role, Permission::WebhooksManage, Resource::ANY)?;
        Ok(self.store.webhook_log(id, state, limit, offset).await?)
    }

    /// What administrators did to a subscription, the newest first.
    pub async fn webhook_admin_actions(&self, viewer: &Viewer, id: i64) -> Result<Vec<WebhookAdminAction>> {
        authz::may(viewer.role, Permission::WebhooksManage, Resource::ANY)?;
        Ok(self.store.webhook_admin_actions(id, 50).await?)
    }

    /// Disables a subscription (its deliveries queue and wait) or enables it again (admin).
    pub async fn webhook_active_set(&self, viewer: &Viewer, id: i64, active: bool) -> Result<()> {
        authz::may(viewer.role, Permission::WebhooksManage, Resource::ANY)?;
        tracing::info!(webhook = id, active, by = %viewer.username, "webhook subscription switched by an administrator");
        Ok(self.store.webhook_active_set(viewer.user_id, id, active, self.now()).await?)
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
