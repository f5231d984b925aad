//! Webhooks (issue 18): another system subscribes a URL of its own to case events with its API
//! key; deliveries carry `X-Fengqiao-Signature: sha256=HEX` (HMAC-SHA256 of the raw body with
//! the subscription's secret) and `X-Fengqiao-Delivery` (the idempotency key).

use app::integration::SystemCaller;
use app::webhooks::{NewWebhook, Replay, Replayer};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, SystemAuth, api_key};

/// The system account calling with its API key; a person's token is refused (403), no
/// credentials at all are 401.
pub struct Subscriber(SystemCaller);

impl FromRequestParts<AppState> for Subscriber {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if api_key(&parts.headers).is_some() {
            let SystemAuth(caller) = SystemAuth::from_request_parts(parts, state).await?;
            return Ok(Subscriber(caller));
        }
        Auth::from_request_parts(parts, state).await?;
        Err(state.app.webhooks_staff_refused().into())
    }
}

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WebhookRequest {
    /// Where deliveries are POSTed: an absolute http(s) URL.
    pub url: Option<String>,
    /// Any of `case.registered`, `case.status_changed`, `case.concluded`, `case.followed_up`,
    /// `case.agreement_effective`, `work_order.signed`, `work_order.returned` (these two carry
    /// the `reason` of a return).
    pub events: Option<Vec<String>>,
}

/// A new subscription and its secret — shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub id: i64,
    /// The key of the HMAC-SHA256 in `X-Fengqiao-Signature`.
    pub secret: String,
}

/// A subscription (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
    /// Deliveries waiting to be sent or retried.
    pub pending: i64,
    pub delivered: i64,
    /// Deliveries given up after the last retry (they can be replayed).
    pub failed: i64,
}

/// One delivery of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// The idempotency key (`X-Fengqiao-Delivery`), the same for every attempt.
    pub key: String,
    pub event: String,
    pub attempts: i64,
    pub created_at: String,
    /// When it is tried next, while it is pending.
    pub next_at: Option<String>,
    pub delivered_at: Option<String>,
    pub failed_at: Option<String>,
    /// The last HTTP status answered, if any.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

/// Subscribe a URL to case events (a system account, `X-Api-Key`): 201 with its id and secret.
/// Events of cases in the account's scope are delivered from now on, at least once, signed,
/// retried with backoff (30 s doubling, up to 6 h, 10 attempts).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "integration", security(("api_key" = [])),
    request_body = WebhookRequest,
    responses((status = 201, body = CreatedWebhook), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Subscriber(caller): Subscriber,
    JsonBody(body): JsonBody<WebhookRequest>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let new = NewWebhook { url: body.url, events: body.events };
    let (id, secret) = state.app.webhook_create(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(CreatedWebhook { id, secret })))
}

/// The calling system's subscriptions, the newest first.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "integration", security(("api_key" = [])),
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Subscriber(caller): Subscriber,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    let hooks = state.app.webhooks(&caller).await?;
    Ok(Json(
        hooks
            .into_iter()
            .map(|w| Webhook {
                id: w.id,
                url: w.url,
                events: w.events,
                created_at: rfc3339(w.created_at),
                pending: w.pending,
                delivered: w.delivered,
                failed: w.failed,
            })
            .collect(),
    ))
}

/// End a subscription of the calling system: nothing more is sent for it.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "integration", security(("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Subscriber(caller): Subscriber,
    InPath(id, _): InPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.webhook_delete(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log of a subscription, the newest first (200 at most).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "integration", security(("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Delivery>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Subscriber(caller): Subscriber,
    InPath(id, _): InPath<i64>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let log = state.app.webhook_deliveries(&caller, id).await?;
    Ok(Json(
        log.into_iter()
            .map(|d| Delivery {
                id: d.id,
                key: d.event_key,
                event: d.event,
                attempts: d.attempts,
                created_at: rfc3339(d.created_at),
                next_at: d.next_at.map(rfc3339),
                delivered_at: d.delivered_at.map(rfc3339),
                failed_at: d.failed_at.map(rfc3339),
                last_status: d.last_status,
                last_error: d.last_error,
            })
            .collect(),
    ))
}

/// Replay a delivery: it is sent again at the next pass, with the same idempotency key.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/replay", tag = "integration",
    security(("api_key" = [])),
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 202), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    Subscriber(caller): Subscriber,
    InPath((id, delivery), _): InPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state.app.webhook_replay(Replayer::System(&caller), id, Replay::One(delivery)).await?;
    Ok(StatusCode::ACCEPTED)
}
