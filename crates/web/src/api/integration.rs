//! 系统对接: the accounts and API keys of other systems (administrators).

use app::integration::NewSystemAccount;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody};

/// A system account to create: another system (a court, a 12345 centre, a petition office, a
/// police station) at a unit, with what it may do.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SystemAccountRequest {
    /// Its name, e.g. "区法院调解平台".
    pub name: Option<String>,
    /// The unit it acts at (its data scope).
    pub unit_id: Option<i64>,
    /// What it may do: `case_register`.
    pub permissions: Option<Vec<String>>,
}

/// A new system account and its API key — shown this once; only its hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSystemAccount {
    pub id: i64,
    /// Send it as `X-Api-Key`.
    pub api_key: String,
}

/// A system account (never its key).
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemAccount {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub permissions: Vec<String>,
    pub created_at: String,
    /// When its key stopped working, if it did.
    pub revoked_at: Option<String>,
    /// How many calls it made (each is recorded).
    pub calls: i64,
}

/// One recorded call of a system account.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemCall {
    pub method: String,
    pub path: String,
    pub at: String,
}

/// Create a system account (administrators): 201 with its id and API key, shown this once.
#[utoipa::path(post, path = "/api/v1/system-accounts", tag = "integration", security(("bearer" = [])),
    request_body = SystemAccountRequest,
    responses((status = 201, body = CreatedSystemAccount), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<SystemAccountRequest>,
) -> Result<(StatusCode, Json<CreatedSystemAccount>), ApiError> {
    let new = NewSystemAccount { name: body.name, unit_id: body.unit_id, permissions: body.permissions };
    let (id, api_key) = state.app.system_account_create(&viewer, new).await?;
    Ok((StatusCode::CREATED, Json(CreatedSystemAccount { id, api_key })))
}

/// The system accounts (administrators), the newest first.
#[utoipa::path(get, path = "/api/v1/system-accounts", tag = "integration", security(("bearer" = [])),
    responses((status = 200, body = Vec<SystemAccount>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<Vec<SystemAccount>>, ApiError> {
    let accounts = state.app.system_accounts(&viewer).await?;
    Ok(Json(
        accounts
            .into_iter()
            .map(|a| SystemAccount {
                id: a.id,
                name: a.name,
                unit_id: a.unit_id,
                permissions: a.permissions,
                created_at: rfc3339(a.created_at),
                revoked_at: a.revoked_at.map(rfc3339),
                calls: a.calls,
            })
            .collect(),
    ))
}

/// The most recent calls of a system account (administrators), the newest first.
#[utoipa::path(get, path = "/api/v1/system-accounts/{id}/calls", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SystemCall>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn calls(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<i64>,
) -> Result<Json<Vec<SystemCall>>, ApiError> {
    let calls = state.app.system_account_calls(&viewer, id).await?;
    Ok(Json(calls.into_iter().map(|(method, path, at)| SystemCall { method, path, at: rfc3339(at) }).collect()))
}

/// Revoke a system account (administrators): its key never works again.
#[utoipa::path(post, path = "/api/v1/system-accounts/{id}/revoke", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.system_account_revoke(&viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
