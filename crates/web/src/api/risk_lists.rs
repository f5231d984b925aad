//! 三色三单: the centres' risk lists, their items' acknowledgement, report, closing and send
//! back, and the register of people who need attention.

use app::risk_lists::ItemAction;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::ids::{RiskItemId, RiskListId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{IntoApi, PeopleRiskList, RiskListView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, gate};

#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// The 12-digit code of a region in the centre's territory.
    pub region: Option<String>,
}

/// Issues the centre's risk list of a region now: an item for each open red, orange and yellow
/// case and each open alert, assigned to the units handling them (the weekly pass issues one
/// too).
#[utoipa::path(post, path = "/api/v1/risk-lists", tag = "risk-lists", security(("bearer" = [])), request_body = IssueRequest,
    responses((status = 201, body = RiskListView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::RiskListManage>,
    JsonBody(body): JsonBody<IssueRequest>,
) -> Result<(StatusCode, Json<RiskListView>), ApiError> {
    let list = state.app.risk_list_issue(&viewer, body.region.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(list.into_api())))
}

/// A risk list with its items and their record.
#[utoipa::path(get, path = "/api/v1/risk-lists/{id}", tag = "risk-lists", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RiskListView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<RiskListId>,
) -> Result<Json<RiskListView>, ApiError> {
    Ok(Json(state.app.risk_list(&viewer, id).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TextRequest {
    /// The measures taken (稳控, visits, mediation) or the grounds for closing.
    pub text: Option<String>,
}

/// 签收: a unit the item is assigned to acknowledges it.
#[utoipa::path(post, path = "/api/v1/risk-lists/{id}/items/{item}/acknowledge", tag = "risk-lists", security(("bearer" = [])),
    params(("id" = i64, Path), ("item" = i64, Path)),
    responses((status = 200, body = RiskListView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, item), _): InPath<(RiskListId, RiskItemId)>,
) -> Result<Json<RiskListView>, ApiError> {
    Ok(Json(state.app.risk_item_act(&viewer, id, item, ItemAction::Acknowledge, None).await?.into_api()))
}

/// 反馈: a unit the item is assigned to reports the measures taken (acknowledging it if it had not).
#[utoipa::path(post, path = "/api/v1/risk-lists/{id}/items/{item}/report", tag = "risk-lists", security(("bearer" = [])),
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = TextRequest,
    responses((status = 200, body = RiskListView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, item), _): InPath<(RiskListId, RiskItemId)>,
    JsonBody(body): JsonBody<TextRequest>,
) -> Result<Json<RiskListView>, ApiError> {
    let list = state.app.risk_item_act(&viewer, id, item, ItemAction::Report, body.text.as_deref()).await?;
    Ok(Json(list.into_api()))
}

/// 销号: the issuing centre closes an item once its units have reported (409 before).
#[utoipa::path(post, path = "/api/v1/risk-lists/{id}/items/{item}/close", tag = "risk-lists", security(("bearer" = [])),
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = TextRequest,
    responses((status = 200, body = RiskListView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, item), _): InPath<(RiskListId, RiskItemId)>,
    JsonBody(body): JsonBody<TextRequest>,
) -> Result<Json<RiskListView>, ApiError> {
    let list = state.app.risk_item_act(&viewer, id, item, ItemAction::Close, body.text.as_deref()).await?;
    Ok(Json(list.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendBackRequest {
    /// Why the report is not good enough (up to 2000 characters): the units read it with the item.
    pub reason: Option<String>,
}

/// 退回: the issuing centre sends a reported item back to its units with the reason; the item
/// waits on them again (`sent_back`), to be reported on and closed by a new `close_by` (the
/// closing time by colour, counted from today). 409 unless the item is reported.
#[utoipa::path(post, path = "/api/v1/risk-lists/{id}/items/{item}/send-back", tag = "risk-lists", security(("bearer" = [])),
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = SendBackRequest,
    responses((status = 200, body = RiskListView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send_back(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, item), _): InPath<(RiskListId, RiskItemId)>,
    JsonBody(body): JsonBody<SendBackRequest>,
) -> Result<Json<RiskListView>, ApiError> {
    let list = state.app.risk_item_act(&viewer, id, item, ItemAction::SendBack, body.reason.as_deref()).await?;
    Ok(Json(list.into_api()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// red | orange | yellow; all three when absent.
    colour: Option<String>,
}

/// 重点人员: the people of my territory who need attention, with their colour and reasons
/// from their cases; every read is recorded.
#[utoipa::path(get, path = "/api/v1/people/risk", tag = "risk-lists", security(("bearer" = [])), params(PeopleQuery),
    responses((status = 200, body = PeopleRiskList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn people(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<PeopleQuery>,
) -> Result<Json<PeopleRiskList>, ApiError> {
    let items = state.app.people_risk(&viewer, query.colour.as_deref()).await?.into_api();
    Ok(Json(PeopleRiskList { items }))
}
