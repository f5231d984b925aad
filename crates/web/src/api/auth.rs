//! Sign in, who am I, sign out.

use app::auth::TokenKind;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use domain::validation::Checker;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{IntoApi, UserView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, ClientAddr, JsonBody, bearer};

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer …`.
    pub token: String,
    pub user: UserView,
}

/// Sign in with a username and password; repeated failures are slowed down (429).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let mut c = Checker::default();
    let username = c.required_text("username", body.username.as_deref(), 64);
    let password = c.required_text("password", body.password.as_deref(), 1024);
    c.into_result().map_err(ApiError::invalid)?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::unauthorized());
    };
    let (token, user) = state.app.login(&username, &password, &client, TokenKind::Bearer).await?;
    Ok(Json(LoginResponse { token, user: user.into_api() }))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<UserView>, ApiError> {
    let users = state.app.users().await?;
    users.into_iter().find(|u| u.id == viewer.user_id).map(|u| Json(u.into_api())).ok_or_else(ApiError::unauthorized)
}

/// End the token: it never works again.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Auth(_viewer): Auth,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    state.app.logout(token).await?;
    Ok(StatusCode::NO_CONTENT)
}
