//! The organisation: units, regions, grids.

use axum::Json;
use axum::extract::State;

use super::dto::{GridView, IntoApi, RegionView, UnitView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Auth;

/// Every unit of the deployment.
#[utoipa::path(get, path = "/api/v1/units", tag = "organisation", security(("bearer" = [])),
    responses((status = 200, body = Vec<UnitView>), (status = 401, body = ErrorBody)))]
pub async fn units(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Json<Vec<UnitView>>, ApiError> {
    Ok(Json(state.app.units().await?.into_api()))
}

/// Every region, with 12-digit division codes, parents first.
#[utoipa::path(get, path = "/api/v1/regions", tag = "organisation", security(("bearer" = [])),
    responses((status = 200, body = Vec<RegionView>), (status = 401, body = ErrorBody)))]
pub async fn regions(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Json<Vec<RegionView>>, ApiError> {
    Ok(Json(state.app.regions().await?.into_api()))
}

/// Every grid (网格) under the communities.
#[utoipa::path(get, path = "/api/v1/grids", tag = "organisation", security(("bearer" = [])),
    responses((status = 200, body = Vec<GridView>), (status = 401, body = ErrorBody)))]
pub async fn grids(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Json<Vec<GridView>>, ApiError> {
    Ok(Json(state.app.grids().await?.into_api()))
}
