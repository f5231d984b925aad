//! The centre's view of the webhooks (issue 18): every subscription of every system account
//! with its deliveries counted by state, one subscription's delivery log, and what an
//! administrator does to a subscription — replay (in `webhooks`), disable, enable —, each act
//! recorded in `webhook_admin_actions` in the transaction that does it.

use chrono::{DateTime, Utc};
use domain::msg;

use crate::grid::Page;
use crate::sql::{Tx, args, from_row};
use crate::webhooks::{DELIVERY_COLUMNS, DeliveryView, WebhookActor};
use crate::{Result, Store, StoreError, to_ms};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Answered with 2xx.
    Delivered,
    /// Tried and not delivered: waiting for its next attempt, or given up after the last.
    Failing,
    /// Queued (or replayed) and not tried yet.
    Waiting,
}

impl DeliveryState {
    pub const ALL: &'static [DeliveryState] =
        &[DeliveryState::Failing, DeliveryState::Waiting, DeliveryState::Delivered];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failing => "failing",
            DeliveryState::Waiting => "waiting",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_str() == code)
    }

    /// The state of a delivery as read.
    pub fn of(delivery: &DeliveryView) -> Self {
        match (delivery.delivered_at, delivery.attempts) {
            (Some(_), _) => DeliveryState::Delivered,
            (None, 0) => DeliveryState::Waiting,
            (None, _) => DeliveryState::Failing,
        }
    }

    /// The condition on a `webhook_deliveries d` row.
    fn condition(self) -> &'static str {
        match self {
            DeliveryState::Delivered => "d.delivered_at IS NOT NULL",
            DeliveryState::Failing => "d.delivered_at IS NULL AND d.attempts > 0",
            DeliveryState::Waiting => "d.delivered_at IS NULL AND d.attempts = 0",
        }
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    /// Its deliveries are sent.
    Active,
    /// Disabled by an administrator: its deliveries queue and wait.
    Disabled,
    /// Ended by its account: nothing more is queued or sent.
    Ended,
    /// Live, with at least one delivery failing.
    Failing,
}

impl WebhookState {
    pub const ALL: &'static [WebhookState] =
        &[WebhookState::Active, WebhookState::Failing, WebhookState::Disabled, WebhookState::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookState::Active => "active",
            WebhookState::Disabled => "disabled",
            WebhookState::Ended => "ended",
            WebhookState::Failing => "failing",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_str() == code)
    }

    /// The condition on a `webhooks w` row.
    fn condition(self) -> String {
        match self {
            WebhookState::Active => "w.deleted_at IS NULL AND w.disabled_at IS NULL".to_owned(),
            WebhookState::Disabled => "w.deleted_at IS NULL AND w.disabled_at IS NOT NULL".to_owned(),
            WebhookState::Ended => "w.deleted_at IS NOT NULL".to_owned(),
            WebhookState::Failing => format!(
                "w.deleted_at IS NULL AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND {})",
                DeliveryState::Failing.condition()
            ),
        }
    }
}

/// A subscription as the centre's administrators see it (never its secret).
#[derive(Debug, Clone)]
pub struct WebhookAdminView {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub unit_name: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub account_revoked_at: Option<DateTime<Utc>>,
    pub delivered: i64,
    pub failing: i64,
    pub waiting: i64,
    /// The error of the latest delivery still failing.
    pub last_error: Option<String>,
}

impl WebhookAdminView {
    pub fn state(&self) -> WebhookState {
        match (self.deleted_at, self.disabled_at) {
            (Some(_), _) => WebhookState::Ended,
            (None, Some(_)) => WebhookState::Disabled,
            (None, None) if self.failing > 0 => WebhookState::Failing,
            (None, None) => WebhookState::Active,
        }
    }
}

/// The row a query of [`WebhookAdminView`] answers: the events as stored.
struct AdminRow {
    id: i64,
    account_id: i64,
    account_name: String,
    unit_name: String,
    url: String,
    events: String,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    account_revoked_at: Option<DateTime<Utc>>,
    delivered: i64,
    failing: i64,
    waiting: i64,
    last_error: Option<String>,
}

from_row!(
    AdminRow { id, account_id, account_name, unit_name, url, events, delivered, failing, waiting, last_error },
    time { created_at, disabled_at, deleted_at, account_revoked_at }
);

impl From<AdminRow> for WebhookAdminView {
    fn from(row: AdminRow) -> Self {
        WebhookAdminView {
            id: row.id,
            account_id: row.account_id,
            account_name: row.account_name,
            unit_name: row.unit_name,
            url: row.url,
            events: row.events.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            deleted_at: row.deleted_at,
            account_revoked_at: row.account_revoked_at,
            delivered: row.delivered,
            failing: row.failing,
            waiting: row.waiting,
            last_error: row.last_error,
        }
    }
}

/// Which subscriptions to list.
#[derive(Debug, Clone, Default)]
pub struct WebhookFilter {
    pub account_id: Option<i64>,
    pub state: Option<WebhookState>,
    pub limit: i64,
    pub offset: i64,
}

/// An administrator's act on a subscription, as recorded.
#[derive(Debug, Clone)]
pub struct WebhookAdminAction {
    /// `replay`, `replay_failing`, `disable` or `enable`.
    pub action: String,
    pub user_name: String,
    pub delivery_key: Option<String>,
    /// How many deliveries a replay queued again.
    pub deliveries: i64,
    pub at: DateTime<Utc>,
}

from_row!(WebhookAdminAction { action, user_name, delivery_key, deliveries }, time { at });

/// The subscriptions' columns with their deliveries counted, from `webhooks w`.
fn admin_select() -> String {
    let count = |state: DeliveryState| {
        format!("(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND {})", state.condition())
    };
    format!(
        "SELECT w.id, a.id AS account_id, a.name AS account_name, u.name AS unit_name, w.url, w.events, w.created_at,
                w.disabled_at, w.deleted_at, a.revoked_at AS account_revoked_at,
                {} AS delivered, {} AS failing, {} AS waiting,
                (SELECT d.last_error FROM webhook_deliveries d WHERE d.webhook_id = w.id AND {} AND d.last_error IS NOT NULL
                 ORDER BY d.id DESC LIMIT 1) AS last_error
         FROM webhooks w JOIN system_accounts a ON a.id = w.account_id JOIN units u ON u.id = a.unit_id",
        count(DeliveryState::Delivered),
        count(DeliveryState::Failing),
        count(DeliveryState::Waiting),
        DeliveryState::Failing.condition(),
    )
}

impl Store {
    /// Every subscription of every system account that the filter keeps, the newest first,
    /// and how many it keeps in all.
    pub async fn webhooks_all(&self, filter: &WebhookFilter) -> Result<Page<WebhookAdminView>> {
        let state = filter.state.map_or_else(|| "1 = 1".to_owned(), WebhookState::condition);
        let conditions = format!("($1 IS NULL OR w.account_id = $1) AND {state}");
        let (total,): (i64,) = self
            .fetch_one(&format!("SELECT COUNT(*) FROM webhooks w WHERE {conditions}"), args![filter.account_id])
            .await?;
        let rows: Vec<AdminRow> = self
            .fetch_all(
                &format!("{} WHERE {conditions} ORDER BY w.id DESC LIMIT $2 OFFSET $3", admin_select()),
                args![filter.account_id, filter.limit, filter.offset],
            )
            .await?;
        Ok(Page { items: rows.into_iter().map(WebhookAdminView::from).collect(), total })
    }

    /// One subscription as administrators see it.
    pub async fn webhook_admin(&self, id: i64) -> Result<WebhookAdminView> {
        let row: Option<AdminRow> =
            self.fetch_optional(&format!("{} WHERE w.id = $1", admin_select()), args![id]).await?;
        row.map(WebhookAdminView::from).ok_or(StoreError::NotFound { what: "webhook" })
    }

    /// A page of a subscription's delivery log in `state` (any when `None`), the newest first.
    pub async fn webhook_log(
        &self,
        id: i64,
        state: Option<DeliveryState>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<DeliveryView>> {
        let state = state.map_or("1 = 1", DeliveryState::condition);
        let (total,): (i64,) = self
            .fetch_one(
                &format!("SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = $1 AND {state}"),
                args![id],
            )
            .await?;
        let items = self
            .fetch_all(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.webhook_id = $1 AND {state}
                     ORDER BY d.id DESC LIMIT $2 OFFSET $3"
                ),
                args![id, limit, offset],
            )
            .await?;
        Ok(Page { items, total })
    }

    /// The latest acts of administrators on a subscription, the newest first.
    pub async fn webhook_admin_actions(&self, id: i64, limit: i64) -> Result<Vec<WebhookAdminAction>> {
        self.fetch_all(
            "SELECT x.action, u.display_name AS user_name, d.event_key AS delivery_key, x.deliveries, x.at
             FROM webhook_admin_actions x JOIN users u ON u.id = x.user_id
             LEFT JOIN webhook_deliveries d ON d.id = x.delivery_id
             WHERE x.webhook_id = $1 ORDER BY x.id DESC LIMIT $2",
            args![id, limit],
        )
        .await
    }

    /// Disables (its deliveries wait) or enables a live subscription, recording who did it.
    /// Asking for the state it is in changes nothing.
    pub async fn webhook_active_set(&self, user_id: i64, id: i64, active: bool, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        webhook_live(&mut tx, WebhookActor::Admin(user_id), id).await?;
        let changed = if active {
            tx.execute("UPDATE webhooks SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL", args![id])
                .await?
        } else {
            tx.execute(
                "UPDATE webhooks SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
                args![to_ms(now), id],
            )
            .await?
        };
        if changed == 1 {
            let action = if active { "enable" } else { "disable" };
            admin_action_record(&mut tx, id, user_id, action, None, 0, now).await?;
        }
        tx.commit().await
    }
}

/// That the subscription exists for `actor` and is not ended: another account's is not found;
/// for an administrator, an ended one is a conflict.
pub(crate) async fn webhook_live(tx: &mut Tx, actor: WebhookActor, id: i64) -> Result<()> {
    let row: Option<(i64, Option<i64>)> =
        tx.fetch_optional_for_update("SELECT account_id, deleted_at FROM webhooks WHERE id = $1", args![id]).await?;
    match (actor, row) {
        (WebhookActor::Account(account), Some((owner, None))) if owner == account => Ok(()),
        (WebhookActor::Admin(_), Some((_, None))) => Ok(()),
        (WebhookActor::Admin(_), Some((_, Some(_)))) => {
            Err(StoreError::conflict("webhook_ended", msg!("webhook.ended")))
        }
        _ => Err(StoreError::NotFound { what: "webhook" }),
    }
}

/// Records an administrator's act on a subscription.
pub(crate) async fn admin_action_record(
    tx: &mut Tx,
    webhook_id: i64,
    user_id: i64,
    action: &str,
    delivery_id: Option<i64>,
    deliveries: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO webhook_admin_actions (webhook_id, user_id, action, delivery_id, deliveries, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![webhook_id, user_id, action, delivery_id, deliveries, to_ms(now)],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(attempts: i64, delivered: bool, given_up: bool) -> DeliveryView {
        let at = crate::from_ms(0);
        DeliveryView {
            id: 1,
            event_key: "case-1-1".into(),
            event: "case.registered".into(),
            attempts,
            created_at: at,
            next_at: Some(at),
            delivered_at: delivered.then_some(at),
            failed_at: given_up.then_some(at),
            last_status: None,
            last_error: None,
        }
    }

    #[test]
    fn a_delivery_tried_and_not_delivered_is_failing_whether_retried_or_given_up() {
        assert_eq!(DeliveryState::of(&delivery(0, false, false)), DeliveryState::Waiting);
        assert_eq!(DeliveryState::of(&delivery(1, false, false)), DeliveryState::Failing);
        assert_eq!(DeliveryState::of(&delivery(10, false, true)), DeliveryState::Failing);
        assert_eq!(DeliveryState::of(&delivery(2, true, false)), DeliveryState::Delivered);
    }

    #[test]
    fn states_parse_from_their_codes_and_nothing_else() {
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(*state));
        }
        for state in WebhookState::ALL {
            assert_eq!(WebhookState::parse(state.as_str()), Some(*state));
        }
        assert_eq!(DeliveryState::parse("given_up"), None);
        assert_eq!(WebhookState::parse("deleted"), None);
    }
}
