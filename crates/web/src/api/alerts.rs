//! 预警: the early-warning alerts of the viewer's territory, and the colours of its places.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{AlertList, IntoApi, PlaceRiskList};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Auth;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// open (the default) | closed
    status: Option<String>,
}

/// The alerts the correlation rules opened in my territory, each with the cases behind it.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", security(("bearer" = [])), params(AlertQuery),
    responses((status = 200, body = AlertList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<AlertQuery>,
) -> Result<Json<AlertList>, ApiError> {
    let items = state.app.alert_list(&viewer, query.status.as_deref()).await?.into_api();
    Ok(Json(AlertList { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceRiskQuery {
    /// red | orange | yellow; every coloured place when absent
    colour: Option<String>,
}

/// 地点风险: the grids, communities and streets of my territory that carry a colour, reddest first.
#[utoipa::path(get, path = "/api/v1/places/risk", tag = "alerts", security(("bearer" = [])), params(PlaceRiskQuery),
    responses((status = 200, body = PlaceRiskList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn places(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<PlaceRiskQuery>,
) -> Result<Json<PlaceRiskList>, ApiError> {
    let items = state.app.place_risk_list(&viewer, query.colour.as_deref()).await?.into_api();
    Ok(Json(PlaceRiskList { items }))
}
