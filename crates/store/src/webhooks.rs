//! Webhooks (issue 18): subscriptions of system accounts to case events and their durable
//! outbox. A pass turns the case events a subscription has not seen yet — in its account's
//! data scope, in the order `(at, case_id, seq)` — into deliveries (one per subscription and
//! event, its idempotency key unique), then the sender claims the due ones one by one, so
//! that several nodes never send one delivery at once, and records each answer.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::ids::UserId;

use crate::cases::scope_condition;
use crate::sql::{args, from_row};
use crate::webhooks_admin::{admin_action_record, webhook_live};
use crate::{Result, Store, StoreError, from_ms, to_ms};

/// The event names a subscription may ask for.
pub const EVENTS: &[&str] = &[
    "case.registered",
    "case.status_changed",
    "case.concluded",
    "case.followed_up",
    "case.agreement_effective",
    "work_order.signed",
    "work_order.returned",
    "petition.accepted",
    "petition.objected",
    "petition.transferred",
    "petition.extended",
    "petition.replied",
    "petition.review_requested",
    "referral.result",
    "police_incident.result",
];

/// The workflow steps that change a case's status (every step but a contact, a note and an
/// extension).
const STATUS_STEPS: &[&str] = &[
    "accept",
    "reject",
    "dispatch",
    "sign",
    "return",
    "escalate",
    "transfer",
    "conclude",
    "follow_up",
    "reopen",
    "archive",
];

/// The names a case event is delivered under, the most specific first; none for events no
/// one subscribes to. `referral.result` — what goes back to a court (诉调对接) — is delivered
/// only for the cases it referred.
pub fn event_names(action: &str) -> Vec<&'static str> {
    match action {
        "registered" => vec!["case.registered"],
        "conclude" => vec!["referral.result", "case.concluded", "case.status_changed"],
        "referral_declined" => vec!["referral.result"],
        "follow_up" => vec!["case.followed_up", "case.status_changed"],
        "work_order_signed" => vec!["work_order.signed"],
        "work_order_returned" => vec!["work_order.returned"],
        "agreement_effective" => vec!["case.agreement_effective"],
        "petition_accepted" => vec!["petition.accepted"],
        "petition_objected" => vec!["petition.objected"],
        "petition_transferred" => vec!["petition.transferred"],
        "petition_extended" => vec!["petition.extended"],
        "petition_replied" => vec!["petition.replied"],
        "petition_review_requested" => vec!["petition.review_requested"],
        a if STATUS_STEPS.contains(&a) => vec!["case.status_changed"],
        _ => Vec::new(),
    }
}

/// The most attempts of one delivery; after the last failure it is given up (and can be
/// replayed).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a node holds a claimed delivery before another may send it.
const CLAIM: Duration = Duration::seconds(120);
/// How many case events one pass turns into deliveries per subscription.
const SCAN_BATCH: i64 = 500;

/// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min … doubling, at most 6 hours.
pub fn backoff(attempts: i64) -> Duration {
    let seconds = 30_i64.saturating_mul(1_i64 << attempts.clamp(0, 20).saturating_sub(1).max(0));
    Duration::seconds(seconds.min(6 * 3600))
}

/// A subscription as its account sees it (never its secret).
#[derive(Debug, Clone)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Deliveries waiting to be sent or retried.
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
    /// False while the centre's administrators have it disabled: its deliveries queue and wait.
    pub active: bool,
}

/// One delivery in the log.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub id: i64,
    pub event_key: String,
    pub event: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub next_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// A delivery claimed for sending: where, what, and the secret to sign it with.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub event_key: String,
    pub event: String,
    pub body: String,
    pub attempts: i64,
}

/// `(at, case_id, seq, action, number, status, external_ref, data, referral, court case number,
/// incident_number)` of a case event to deliver; the reference is the case's own or, for a 12345
/// order, the hotline's, for a petition the office's, for a police hand-over its incident
/// number; the referral `(id, court case number)` when a court referred the case.
type EventRow =
    (i64, i64, i64, String, String, String, Option<String>, String, Option<i64>, Option<String>, Option<String>);

/// `(id, url, events, created_at, pending, delivered, failed, disabled_at)` of a subscription.
type WebhookRow = (i64, String, String, i64, i64, i64, i64, Option<i64>);

from_row!(
    DeliveryView { id, event_key, event, attempts, last_status, last_error },
    time { created_at, next_at, delivered_at, failed_at }
);

/// The columns of [`DeliveryView`], in a query of `webhook_deliveries`.
pub(crate) const DELIVERY_COLUMNS: &str =
    "id, event_key, event, attempts, created_at, next_at, delivered_at, failed_at, last_status, last_error";

/// Who acts on a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookActor {
    /// The system account it belongs to (by the account's id).
    Account(i64),
    /// An administrator of the centre (by their user id): the act is recorded.
    Admin(i64),
}

/// What a replay sends again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// One delivery, whatever became of it.
    One(i64),
    /// Every delivery of the subscription that failed and is not delivered.
    Failing,
}

/// What goes back to the court that referred a case: declined with the centre's reason; on
/// success the agreement in effect (its terms, its PDF, and the agreement with its judicial
/// confirmation package); on failure the reason in words (the outcome's label and the
/// conclusion's summary, as the court reads them, with the outcome's code as `case_outcome`)
/// and the undisputed facts with the electronic case file for filing.
async fn referral_result(
    tx: &mut crate::sql::Tx,
    id: Option<i64>,
    court_case_number: Option<String>,
    case_id: i64,
    action: &str,
    data: &serde_json::Value,
) -> Result<serde_json::Value> {
    let mut result = serde_json::json!({"id": id, "court_case_number": court_case_number});
    if action == "referral_declined" {
        result["outcome"] = "declined".into();
        result["reason"] = data["reason"].clone();
        return Ok(result);
    }
    if data["outcome"] == "resolved" {
        let agreement: Option<(i64, String)> = tx
            .fetch_optional(
                "SELECT id, content FROM agreements WHERE case_id = $1 AND status = 'effective' ORDER BY id DESC LIMIT 1",
                args![case_id],
            )
            .await?;
        result["outcome"] = "succeeded".into();
        result["agreement"] = match agreement {
            Some((id, content)) => serde_json::json!({
                "id": id,
                "content": serde_json::from_str::<serde_json::Value>(&content).unwrap_or_default(),
                "pdf": format!("/api/v1/agreements/{id}/pdf"),
                "confirmation": format!("/api/v1/agreements/{id}"),
            }),
            None => serde_json::Value::Null,
        };
    } else {
        result["outcome"] = "failed".into();
        // The court reads the reason in words; the outcome's code stays beside it.
        let outcome = data["outcome"].as_str().and_then(domain::case::Outcome::parse);
        result["reason"] = domain::referral::failure_reason(outcome, data["summary"].as_str()).into();
        result["case_outcome"] = data["outcome"].clone();
        result["undisputed_facts"] = data["summary"].clone();
        result["case_file"] = format!("/api/v1/cases/{case_id}/file").into();
    }
    Ok(result)
}

impl Store {
    /// Subscribes `url` to `events` for the account `account_id`: its id and its secret, shown
    /// this once. Only events from now on are delivered.
    pub async fn webhook_create(
        &self,
        account_id: i64,
        url: &str,
        events: &[String],
        now: DateTime<Utc>,
    ) -> Result<(i64, String)> {
        let secret = format!("whsec_{}", URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>()));
        let (id,): (i64,) = self
            .fetch_one(
                "INSERT INTO webhooks (account_id, url, events, secret, created_at, cursor_at, cursor_case, cursor_seq)
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 0) RETURNING id",
                args![account_id, url, events.join(","), self.crypto.encrypt(&secret), to_ms(now), to_ms(now) - 1],
            )
            .await?;
        Ok((id, secret))
    }

    /// The account's live subscriptions, the newest first, with their deliveries counted.
    pub async fn webhooks(&self, account_id: i64) -> Result<Vec<WebhookView>> {
        let rows: Vec<WebhookRow> = self
            .fetch_all(
                "SELECT w.id, w.url, w.events, w.created_at,
                        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.delivered_at IS NULL AND d.failed_at IS NULL),
                        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.delivered_at IS NOT NULL),
                        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.failed_at IS NOT NULL),
                        w.disabled_at
                 FROM webhooks w WHERE w.account_id = $1 AND w.deleted_at IS NULL ORDER BY w.id DESC",
                args![account_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, url, events, created_at, pending, delivered, failed, disabled_at)| WebhookView {
                id,
                url,
                events: events.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
                created_at: from_ms(created_at),
                pending,
                delivered,
                failed,
                active: disabled_at.is_none(),
            })
            .collect())
    }

    /// Ends a subscription of the account: nothing more is queued or sent for it.
    pub async fn webhook_delete(&self, account_id: i64, id: i64, now: DateTime<Utc>) -> Result<()> {
        let changed = self
            .execute(
                "UPDATE webhooks SET deleted_at = $1 WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL",
                args![to_ms(now), id, account_id],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "webhook" });
        }
        Ok(())
    }

    /// The latest deliveries of one of the account's subscriptions, the newest first.
    pub async fn webhook_deliveries(&self, account_id: i64, id: i64, limit: i64) -> Result<Vec<DeliveryView>> {
        self.webhook_owned(account_id, id).await?;
        self.fetch_all(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2"
            ),
            args![id, limit],
        )
        .await
    }

    /// Sends deliveries of a subscription again (a replay): due now, with a fresh count of
    /// attempts and the same idempotency key. The account replays its own subscription's; an
    /// administrator any live subscription's, and the act is recorded. Answers how many were
    /// queued again.
    pub async fn webhook_replay(&self, actor: WebhookActor, id: i64, which: Replay, now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.begin().await?;
        webhook_live(&mut tx, actor, id).await?;
        let reset = "UPDATE webhook_deliveries SET next_at = $1, attempts = 0, delivered_at = NULL, failed_at = NULL, claimed_until = NULL";
        let replayed = match which {
            Replay::One(delivery) => {
                let changed = tx
                    .execute(&format!("{reset} WHERE id = $2 AND webhook_id = $3"), args![to_ms(now), delivery, id])
                    .await?;
                if changed == 0 {
                    return Err(StoreError::NotFound { what: "webhook_delivery" });
                }
                changed
            }
            Replay::Failing => {
                tx.execute(
                    &format!("{reset} WHERE webhook_id = $2 AND delivered_at IS NULL AND attempts > 0"),
                    args![to_ms(now), id],
                )
                .await?
            }
        };
        if let WebhookActor::Admin(user_id) = actor {
            let (action, delivery) = match which {
                Replay::One(delivery) => ("replay", Some(delivery)),
                Replay::Failing => ("replay_failing", None),
            };
            admin_action_record(&mut tx, id, user_id, action, delivery, replayed as i64, now).await?;
        }
        tx.commit().await?;
        Ok(replayed)
    }

    async fn webhook_owned(&self, account_id: i64, id: i64) -> Result<()> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                "SELECT id FROM webhooks WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL",
                args![id, account_id],
            )
            .await?;
        row.map(|_| ()).ok_or(StoreError::NotFound { what: "webhook" })
    }

    /// Turns the case events each live subscription has not seen into deliveries: those in its
    /// account's scope whose names it subscribed to. Safe to run at once on several nodes (an
    /// event's delivery is inserted once; the cursor only moves forward). Answers how many
    /// deliveries were queued.
    pub async fn webhooks_enqueue(&self, now: DateTime<Utc>) -> Result<usize> {
        let hooks: Vec<(i64, i64, String, i64, i64, i64)> = self
            .fetch_all(
                "SELECT w.id, a.user_id, w.events, w.cursor_at, w.cursor_case, w.cursor_seq
                 FROM webhooks w JOIN system_accounts a ON a.id = w.account_id
                 WHERE w.deleted_at IS NULL AND a.revoked_at IS NULL ORDER BY w.id",
                args![],
            )
            .await?;
        let mut queued = 0;
        for (hook, user_id, events, mut at, mut case, mut seq) in hooks {
            let viewer = self.viewer(UserId(user_id)).await?;
            let wanted: Vec<&str> = events.split(',').collect();
            loop {
                let mut args = Vec::new();
                let scope = scope_condition(&viewer, 1, &mut args);
                let n = args.len();
                args.extend(args![at, case, seq, SCAN_BATCH, viewer.unit_id]);
                // A court follows the cases it referred, and a police unit the disputes it handed
                // over, wherever they were routed.
                let sql = format!(
                    "SELECT e.at, e.case_id, e.seq, e.action, c.number, c.status,
                       COALESCE(c.external_ref, wo.external_ref, pe.reference, pi.incident_number), e.data,
                       rf.id, rf.court_case_number, pi.incident_number
                     FROM case_events e JOIN cases c ON c.id = e.case_id LEFT JOIN work_orders wo ON wo.case_id = e.case_id
                       LEFT JOIN petitions pe ON pe.case_id = e.case_id LEFT JOIN referrals rf ON rf.case_id = e.case_id
                       LEFT JOIN police_incidents pi ON pi.case_id = e.case_id
                     WHERE (e.at > ${a} OR (e.at = ${a} AND (e.case_id > ${c} OR (e.case_id = ${c} AND e.seq > ${s}))))
                       AND ({scope} OR rf.court_unit_id = ${u} OR pi.unit_id = ${u})
                     ORDER BY e.at, e.case_id, e.seq LIMIT ${l}",
                    a = n + 1,
                    c = n + 2,
                    s = n + 3,
                    l = n + 4,
                    u = n + 5
                );
                let rows: Vec<EventRow> = self.fetch_all(&sql, args).await?;
                let Some(last) = rows.last() else { break };
                (at, case, seq) = (last.0, last.1, last.2);
                let full = rows.len() as i64 == SCAN_BATCH;
                let mut tx = self.begin().await?;
                for (
                    event_at,
                    case_id,
                    event_seq,
                    action,
                    number,
                    status,
                    external_ref,
                    data,
                    referral,
                    court_number,
                    incident,
                ) in rows
                {
                    let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
                    // The end of a police hand-over is its result, before any other name.
                    let result = incident.as_ref().and_then(|_| domain::police_incident::result(&action, &data));
                    let names: Vec<&str> =
                        result.iter().map(|_| "police_incident.result").chain(event_names(&action)).collect();
                    let deliverable =
                        |n: &&&str| wanted.contains(n) && (**n != "referral.result" || referral.is_some());
                    let Some(name) = names.iter().find(deliverable) else { continue };
                    let key = format!("case-{case_id}-{event_seq}");
                    let mut body = serde_json::json!({
                        "id": key,
                        "event": name,
                        "action": action,
                        "at": crate::rfc3339(event_at),
                        "case": {"id": case_id, "number": number, "status": status, "external_ref": external_ref},
                    });
                    if name.starts_with("work_order.") {
                        body["reason"] = data["reason"].clone();
                    }
                    if name.starts_with("petition.") {
                        // What the petition office is told: the reason of an objection, a
                        // transfer or the extension, the reply, the new limit.
                        body["petition"] = data.clone();
                    }
                    if let (Some(mut result), true) = (result.clone(), *name == "police_incident.result") {
                        // What the police are told: the incident, the outcome, the agreement
                        // reached or the reason it was not.
                        result["incident_number"] = incident.clone().into();
                        body["police_incident"] = result;
                    }
                    if *name == "referral.result" {
                        body["referral"] =
                            referral_result(&mut tx, referral, court_number, case_id, &action, &data).await?;
                    }
                    let body = body.to_string();
                    queued += tx
                        .execute(
                            "INSERT INTO webhook_deliveries (webhook_id, event_key, event, body, created_at, next_at)
                             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
                            args![hook, key, *name, body, to_ms(now)],
                        )
                        .await? as usize;
                }
                tx.execute(
                    "UPDATE webhooks SET cursor_at = $1, cursor_case = $2, cursor_seq = $3
                     WHERE id = $4 AND (cursor_at < $1 OR (cursor_at = $1 AND (cursor_case < $2 OR (cursor_case = $2 AND cursor_seq < $3))))",
                    args![at, case, seq, hook],
                )
                .await?;
                tx.commit().await?;
                if !full {
                    break;
                }
            }
        }
        Ok(queued)
    }

    /// Claims the next due delivery of a live subscription (one node sends it), if any.
    pub async fn webhook_delivery_claim(&self, now: DateTime<Utc>) -> Result<Option<DueDelivery>> {
        loop {
            let row: Option<(i64, String, String, String, String, String, i64)> = self
                .fetch_optional(
                    "SELECT d.id, w.url, w.secret, d.event_key, d.event, d.body, d.attempts
                     FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                     WHERE d.next_at <= $1 AND d.delivered_at IS NULL AND d.failed_at IS NULL
                       AND (d.claimed_until IS NULL OR d.claimed_until < $1) AND w.deleted_at IS NULL AND w.disabled_at IS NULL
                     ORDER BY d.next_at, d.id LIMIT 1",
                    args![to_ms(now)],
                )
                .await?;
            let Some((id, url, secret, event_key, event, body, attempts)) = row else { return Ok(None) };
            let claimed = self
                .execute(
                    "UPDATE webhook_deliveries SET claimed_until = $1
                     WHERE id = $2 AND delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < $3)",
                    args![to_ms(now + CLAIM), id, to_ms(now)],
                )
                .await?;
            if claimed == 1 {
                let secret = self.crypto.decrypt(&secret)?;
                return Ok(Some(DueDelivery { id, url, secret, event_key, event, body, attempts }));
            }
        }
    }

    /// Records the answer to a delivery: delivered on 2xx; otherwise due again after the
    /// backoff, or given up after [`MAX_ATTEMPTS`].
    pub async fn webhook_delivery_done(
        &self,
        id: i64,
        status: Option<u16>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let (attempts,): (i64,) =
            self.fetch_one("SELECT attempts + 1 FROM webhook_deliveries WHERE id = $1", args![id]).await?;
        let status = status.map(i64::from);
        let error = error.map(|e| e.chars().take(500).collect::<String>());
        if ok {
            self.execute(
                "UPDATE webhook_deliveries SET attempts = $1, delivered_at = $2, claimed_until = NULL, last_status = $3, last_error = NULL WHERE id = $4",
                args![attempts, to_ms(now), status, id],
            )
            .await?;
        } else if attempts >= MAX_ATTEMPTS {
            self.execute(
                "UPDATE webhook_deliveries SET attempts = $1, failed_at = $2, claimed_until = NULL, last_status = $3, last_error = $4 WHERE id = $5",
                args![attempts, to_ms(now), status, error, id],
            )
            .await?;
        } else {
            self.execute(
                "UPDATE webhook_deliveries SET attempts = $1, next_at = $2, claimed_until = NULL, last_status = $3, last_error = $4 WHERE id = $5",
                args![attempts, to_ms(now + backoff(attempts)), status, error, id],
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(30), Duration::hours(6));
    }

    #[test]
    fn a_conclusion_is_a_status_change_too_and_a_note_is_nothing() {
        assert_eq!(event_names("conclude"), ["referral.result", "case.concluded", "case.status_changed"]);
        assert_eq!(event_names("accept"), ["case.status_changed"]);
        assert!(event_names("note").is_empty());
        assert_eq!(event_names("follow_up"), ["case.followed_up", "case.status_changed"]);
        assert_eq!(event_names("work_order_returned"), ["work_order.returned"]);
    }
}
