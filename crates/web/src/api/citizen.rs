//! The citizen portal's API (`/api/v1/citizen/…`): a code by SMS, sign-in, bringing a dispute,
//! following and rating one's own cases. Only a citizen token works here ([`CitizenAuth`]).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::case::CaseRegistration;
use domain::ids::CaseId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{CitizenCase, CitizenCaseRow, IntoApi};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CitizenAuth, ClientAddr, InPath, JsonBody, bearer};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// A mainland mobile number.
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CitizenLoginRequest {
    pub phone: Option<String>,
    /// The 6-digit code from the SMS.
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenRef {
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenLoginResponse {
    /// Send as `Authorization: Bearer …`; it works only under `/api/v1/citizen/`.
    pub token: String,
    pub citizen: CitizenRef,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenCaseList {
    pub items: Vec<CitizenCaseRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// satisfied | basically_satisfied | dissatisfied ("dissatisfied" reopens the case)
    pub satisfaction: Option<String>,
    /// At most 500 characters.
    pub note: Option<String>,
}

/// Send a sign-in code by SMS (it lands in the outbox). The answer is the same whether the
/// phone is known or not; too many codes for a phone or from an address answer 429.
#[utoipa::path(post, path = "/api/v1/citizen/code", tag = "citizen", request_body = CodeRequest,
    responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    state.app.citizen_code_send(body.phone.as_deref(), &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sign in with the code: a citizen token. A wrong, used or expired code answers 401 and
/// counts toward the limit (429).
#[utoipa::path(post, path = "/api/v1/citizen/login", tag = "citizen", request_body = CitizenLoginRequest,
    responses((status = 200, body = CitizenLoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<CitizenLoginRequest>,
) -> Result<Json<CitizenLoginResponse>, ApiError> {
    let (token, id) = state.app.citizen_login(body.phone.as_deref(), body.code.as_deref(), &client).await?;
    Ok(Json(CitizenLoginResponse { token, citizen: CitizenRef { id: id.get() } }))
}

/// End the citizen token.
#[utoipa::path(post, path = "/api/v1/citizen/logout", tag = "citizen", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    CitizenAuth(_citizen): CitizenAuth,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    state.app.citizen_logout(token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bring a dispute: the registration body of `POST /api/v1/cases` (its `channel` is ignored:
/// the case is `online`). The signed-in phone must be an applicant's.
#[utoipa::path(post, path = "/api/v1/citizen/cases", tag = "citizen", security(("bearer" = [])), request_body = CaseRegistration,
    responses((status = 201, body = CitizenCase), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    JsonBody(body): JsonBody<CaseRegistration>,
) -> Result<(StatusCode, Json<CitizenCase>), ApiError> {
    let case = state.app.citizen_case_register(&citizen, body).await?;
    Ok((StatusCode::CREATED, Json(case.into_api())))
}

/// The cases where the signed-in citizen is a party, and nothing else (newest first).
#[utoipa::path(get, path = "/api/v1/citizen/cases", tag = "citizen", security(("bearer" = [])),
    responses((status = 200, body = CitizenCaseList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
) -> Result<Json<CitizenCaseList>, ApiError> {
    Ok(Json(CitizenCaseList { items: state.app.citizen_cases(&citizen).await?.into_api() }))
}

/// One of the citizen's cases with its `timeline` in plain words and its `deadlines`; 404
/// for a case that is not theirs.
#[utoipa::path(get, path = "/api/v1/citizen/cases/{id}", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_case(&citizen, id).await?.into_api()))
}

/// The citizen's case a 解纷码 names (what its QR code opens); 404 when it names none of theirs.
#[utoipa::path(get, path = "/api/v1/citizen/tracking/{code}", tag = "citizen", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn by_tracking_code(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(code, _): InPath<String>,
) -> Result<Json<CitizenCase>, ApiError> {
    let id = state.app.citizen_case_by_tracking_code(&citizen, &code).await?;
    Ok(Json(state.app.citizen_case(&citizen, id).await?.into_api()))
}

/// Rate a concluded case; "dissatisfied" reopens it (the follow-up of the workflow). 409
/// before conclusion or once rated.
#[utoipa::path(post, path = "/api/v1/citizen/cases/{id}/rating", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RatingRequest,
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<RatingRequest>,
) -> Result<Json<CitizenCase>, ApiError> {
    let case = state.app.citizen_case_rate(&citizen, id, body.satisfaction.as_deref(), body.note.as_deref()).await?;
    Ok(Json(case.into_api()))
}
