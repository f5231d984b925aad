//! Mediation sessions, a party's refusal, and the choice of mediator.

use app::Viewer;
use app::sessions::{CalendarQuery, PartyAct};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::ids::{CaseId, SessionId, UserId};
use domain::validation::FieldError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{CaseMediator, CaseView, IntoApi, SessionCalendar, SessionInput, SessionView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, gate};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    /// First day, YYYY-MM-DD.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive; at most 62 days in all).
    to: Option<String>,
    /// Only the mediators of this unit.
    unit: Option<String>,
    /// Only this mediator (a user id).
    mediator: Option<String>,
}

/// 调解日程: the sessions of a period the viewer may see — a mediator their own, a handling
/// unit those of its cases, a centre every one in its scope — with the period's days as the
/// official calendar has them.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "mediation", security(("bearer" = [])), params(CalendarParams),
    responses((status = 200, body = SessionCalendar), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calendar(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::SessionsRead>,
    Query(query): Query<CalendarParams>,
) -> Result<Json<SessionCalendar>, ApiError> {
    let query = CalendarQuery::parse(
        query.from.as_deref(),
        query.to.as_deref(),
        query.unit.as_deref(),
        query.mediator.as_deref(),
    )
    .map_err(ApiError::invalid)?;
    Ok(Json(state.app.sessions_calendar(&viewer, &query).await?.into_api()))
}

/// A case's mediation sessions.
#[utoipa::path(get, path = "/api/v1/cases/{id}/sessions", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    Ok(Json(state.app.sessions(&viewer, case).await?.into_api()))
}

/// Schedule a session in person (`place`) or by video (`link`), with the mediator's
/// conflict-of-interest disclosure.
#[utoipa::path(post, path = "/api/v1/cases/{id}/sessions", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = SessionInput,
    responses((status = 201, body = SessionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
    JsonBody(body): JsonBody<SessionInput>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.session_schedule(&viewer, case, body.into()).await?.into_api())))
}

/// What a party does at a session, by path: `rights` (acknowledged the rights-and-duties
/// notice), `consent` (to the mediator after the disclosure), `minutes` (confirmed them).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/parties/{index}/{act}", tag = "mediation", security(("bearer" = [])),
    params(("id" = i64, Path), ("index" = usize, Path), ("act" = String, Path, description = "rights | consent | minutes")),
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn party_act(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, index, act), _): InPath<(SessionId, String, String)>,
) -> Result<Json<SessionView>, ApiError> {
    Ok(Json(record_party_act(&state, &viewer, id, &index, &act).await?.into_api()))
}

/// A party's act at a session (shared by the API and the UI).
pub async fn record_party_act(
    state: &AppState,
    viewer: &Viewer,
    id: SessionId,
    index: &str,
    act: &str,
) -> Result<app::sessions::SessionView, ApiError> {
    let index = index.parse().map_err(|_| ApiError::not_found("party"))?;
    let act = match act {
        "rights" => PartyAct::AcknowledgeRights,
        "consent" => PartyAct::Consent,
        "minutes" => PartyAct::ConfirmMinutes,
        _ => return Err(ApiError::not_found("act")),
    };
    Ok(state.app.session_party_act(viewer, id, index, act).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MinutesRequest {
    pub minutes: Option<String>,
}

/// Record the minutes (调解笔录); the parties then confirm them.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/minutes", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = MinutesRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn minutes(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<SessionId>,
    JsonBody(body): JsonBody<MinutesRequest>,
) -> Result<Json<SessionView>, ApiError> {
    Ok(Json(state.app.session_minutes(&viewer, id, body.minutes.as_deref().unwrap_or_default()).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefusalRequest {
    pub party_index: Option<usize>,
    pub reason: Option<String>,
}

/// A party refuses mediation (人民调解法 art. 17): the case is concluded `refused`, scheduled
/// sessions are cancelled, and the summary tells the other routes (art. 26).
#[utoipa::path(post, path = "/api/v1/cases/{id}/refusal", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = RefusalRequest,
    responses((status = 200, body = CaseView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refusal(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
    JsonBody(body): JsonBody<RefusalRequest>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(refuse(&state, &viewer, case, body).await?.into_api()))
}

/// A refusal (shared by the API and the UI).
pub async fn refuse(
    state: &AppState,
    viewer: &Viewer,
    case: CaseId,
    body: RefusalRequest,
) -> Result<app::cases::CaseView, ApiError> {
    Ok(state.app.mediation_refuse(viewer, case, body.party_index, body.reason.as_deref()).await?)
}

/// The case's mediator, if one was chosen.
#[utoipa::path(get, path = "/api/v1/cases/{id}/mediator", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Option<CaseMediator>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mediator(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Option<CaseMediator>>, ApiError> {
    Ok(Json(state.app.case_mediator(&viewer, case).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    pub user_id: Option<i64>,
    /// centre | party (the party's own choice, 群众点单)
    pub chosen_by: Option<String>,
    /// Required when the mediator is changed.
    pub reason: Option<String>,
}

/// Choose the case's mediator, or change them on request (with a reason).
#[utoipa::path(put, path = "/api/v1/cases/{id}/mediator", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = AssignRequest,
    responses((status = 200, body = CaseMediator), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::MediatorChoose>,
    InPath(case, _): InPath<CaseId>,
    JsonBody(body): JsonBody<AssignRequest>,
) -> Result<Json<CaseMediator>, ApiError> {
    let user = body.user_id.ok_or_else(|| ApiError::field(FieldError::required("user_id")))?;
    let chosen_by = body.chosen_by.as_deref().unwrap_or("centre");
    Ok(Json(state.app.case_mediator_assign(&viewer, case, UserId(user), chosen_by, body.reason).await?.into_api()))
}
