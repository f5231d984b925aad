//! Webhooks (issue 18): another system subscribes a URL of its own to case events with its API
//! key; deliveries carry `X-Fengqiao-Signature: sha256=HEX` (HMAC-SHA256 of the raw body with
//! the subscription's secret) and `X-Fengqiao-Delivery` (the idempotency key). The centre's
//! administrators see every system's subscriptions and logs under `/api/v1/webhook-subscriptions`,
//! replay deliveries and disable or enable a subscription (`WebhooksManage`).

use app::integration::SystemCaller;
use app::webhooks::{DeliveryState, DeliveryView, NewWebhook, Replay, Replayer, WebhookFilter, WebhookState};
use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::rfc3339;
use super::work_orders::number;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, SystemAuth, api_key, gate};

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
    /// the `reason` of a return), `petition.accepted`, `petition.objected`,
    /// `petition.transferred`, `petition.extended`, `petition.replied`,
    /// `petition.review_requested` (these carry the step's data as `petition`: the reason,
    /// the organ, the days and the new limit, the reply).
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
    /// False while the centre's administrators have disabled it: deliveries queue and wait
    /// until it is enabled again.
    pub active: bool,
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
                active: w.active,
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
    Ok(Json(log.into_iter().map(delivery).collect()))
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

/// A subscription as the centre's administrators see it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSubscription {
    pub id: i64,
    /// The system account it belongs to, and that account's unit.
    pub account_id: i64,
    pub account_name: String,
    pub unit_name: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
    /// `active`, `failing` (live, with deliveries failing), `disabled` (by an administrator:
    /// its deliveries queue and wait) or `ended` (by its system).
    pub state: String,
    pub disabled_at: Option<String>,
    pub ended_at: Option<String>,
    pub delivered: i64,
    /// Deliveries tried and not delivered: waiting for a retry, or given up.
    pub failing: i64,
    /// Deliveries queued (or replayed) and not tried yet.
    pub waiting: i64,
    /// The error of the latest delivery still failing.
    pub last_error: Option<String>,
}

/// A page of subscriptions and how many match in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSubscriptionPage {
    pub total: i64,
    pub items: Vec<WebhookSubscription>,
}

/// A page of a delivery log and how many match in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub total: i64,
    pub items: Vec<Delivery>,
}

/// How many deliveries a replay queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    pub replayed: u64,
}

/// Whether the subscription's deliveries are sent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActiveRequest {
    pub active: Option<bool>,
}

/// The subscriptions' filter and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// A system account's id.
    account: Option<String>,
    /// active | failing | disabled | ended
    state: Option<String>,
    /// Page size (default 50, at most 200).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

/// The delivery log's filter and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// failing | waiting | delivered
    state: Option<String>,
    /// Page size (default 50, at most 200).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

/// The most rows one page of the administrators' lists holds.
const PAGE_MAX: i64 = 200;

/// A filter's code, refused by its field when it names nothing of `parse`.
fn code<T>(field: &str, value: Option<&str>, parse: fn(&str) -> Option<T>, codes: &str) -> Result<Option<T>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v).map(Some).ok_or_else(|| ApiError::invalid(vec![FieldError::not_one_of(field, codes)])),
    }
}

fn delivery(d: DeliveryView) -> Delivery {
    Delivery {
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
    }
}

/// Every system account's subscriptions (administrators), the newest first, with their
/// deliveries counted by state; `account` and `state` combine.
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions", tag = "integration", security(("bearer" = [])),
    params(SubscriptionQuery),
    responses((status = 200, body = WebhookSubscriptionPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn subscriptions(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WebhooksManage>,
    Query(query): Query<SubscriptionQuery>,
) -> Result<Json<WebhookSubscriptionPage>, ApiError> {
    let account_id = match query.account.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(account) => Some(number("account", Some(account), 1, i64::MAX / 2, 1)?),
    };
    let filter = WebhookFilter {
        account_id,
        state: code("state", query.state.as_deref(), WebhookState::parse, "active | failing | disabled | ended")?,
        limit: number("limit", query.limit.as_deref(), 1, PAGE_MAX, 50)?,
        offset: number("offset", query.offset.as_deref(), 0, i64::MAX / 2, 0)?,
    };
    let page = state.app.webhooks_all(&viewer, &filter).await?;
    let items = page
        .items
        .into_iter()
        .map(|w| WebhookSubscription {
            state: w.state().as_str().to_owned(),
            id: w.id,
            account_id: w.account_id,
            account_name: w.account_name,
            unit_name: w.unit_name,
            url: w.url,
            events: w.events,
            created_at: rfc3339(w.created_at),
            disabled_at: w.disabled_at.map(rfc3339),
            ended_at: w.deleted_at.map(rfc3339),
            delivered: w.delivered,
            failing: w.failing,
            waiting: w.waiting,
            last_error: w.last_error,
        })
        .collect();
    Ok(Json(WebhookSubscriptionPage { total: page.total, items }))
}

/// A subscription's delivery log (administrators), the newest first, by state.
#[utoipa::path(get, path = "/api/v1/webhook-subscriptions/{id}/deliveries", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path), LogQuery),
    responses((status = 200, body = DeliveryPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscription_deliveries(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WebhooksManage>,
    InPath(id, _): InPath<i64>,
    Query(query): Query<LogQuery>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let which = code("state", query.state.as_deref(), DeliveryState::parse, "failing | waiting | delivered")?;
    let limit = number("limit", query.limit.as_deref(), 1, PAGE_MAX, 50)?;
    let offset = number("offset", query.offset.as_deref(), 0, i64::MAX / 2, 0)?;
    state.app.webhook_admin(&viewer, id).await?;
    let page = state.app.webhook_log(&viewer, id, which, limit, offset).await?;
    Ok(Json(DeliveryPage { total: page.total, items: page.items.into_iter().map(delivery).collect() }))
}

/// Replay a delivery (administrators; recorded): sent again at the next pass, with the same
/// idempotency key. 409 once its system ended the subscription.
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions/{id}/deliveries/{delivery}/replay", tag = "integration",
    security(("bearer" = [])),
    params(("id" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 202, body = Replayed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn subscription_replay(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WebhooksManage>,
    InPath((id, one), _): InPath<(i64, i64)>,
) -> Result<(StatusCode, Json<Replayed>), ApiError> {
    let replayed = state.app.webhook_replay(Replayer::Admin(&viewer), id, Replay::One(one)).await?;
    Ok((StatusCode::ACCEPTED, Json(Replayed { replayed })))
}

/// Replay every failing delivery of a subscription (administrators; recorded).
#[utoipa::path(post, path = "/api/v1/webhook-subscriptions/{id}/replay-failing", tag = "integration",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 202, body = Replayed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn subscription_replay_failing(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WebhooksManage>,
    InPath(id, _): InPath<i64>,
) -> Result<(StatusCode, Json<Replayed>), ApiError> {
    let replayed = state.app.webhook_replay(Replayer::Admin(&viewer), id, Replay::Failing).await?;
    Ok((StatusCode::ACCEPTED, Json(Replayed { replayed })))
}

/// Disable a subscription (its deliveries queue and wait) or enable it again (administrators;
/// recorded). 409 once its system ended it.
#[utoipa::path(put, path = "/api/v1/webhook-subscriptions/{id}/active", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = ActiveRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscription_active(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WebhooksManage>,
    InPath(id, _): InPath<i64>,
    JsonBody(body): JsonBody<ActiveRequest>,
) -> Result<StatusCode, ApiError> {
    let active = body.active.ok_or_else(|| ApiError::invalid(vec![FieldError::required("active")]))?;
    state.app.webhook_active_set(&viewer, id, active).await?;
    Ok(StatusCode::NO_CONTENT)
}
