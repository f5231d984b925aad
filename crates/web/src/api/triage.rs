//! Triage administration and previews: risk and level rules, the routing catalogue, training
//! examples, address lookup, and the whole triage of a draft registration.

use app::triage::TriageRules;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::case::{CaseRegistration, Category};
use domain::validation::Checker;
use serde::{Deserialize, Serialize};
use triage::address::ParsedAddress;
use triage::routing::CatalogueEntry;
use utoipa::{IntoParams, ToSchema};

use super::dto::{IntoApi, Triage};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, JsonBody, Permitted, gate};

/// The risk rules (word lists, thresholds) and the level rules of routing.
#[utoipa::path(get, path = "/api/v1/triage/rules", tag = "triage", security(("bearer" = [])),
    responses((status = 200, body = TriageRules), (status = 401, body = ErrorBody)))]
pub async fn rules(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Json<TriageRules>, ApiError> {
    Ok(Json(state.app.triage_rules().await?))
}

/// Replace the rules (administrators). Every node picks them up at its next registration.
#[utoipa::path(put, path = "/api/v1/triage/rules", tag = "triage", security(("bearer" = [])), request_body = TriageRules,
    responses((status = 200, body = TriageRules), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::TriageManage>,
    JsonBody(body): JsonBody<TriageRules>,
) -> Result<Json<TriageRules>, ApiError> {
    Ok(Json(state.app.triage_rules_put(&viewer, body).await?))
}

/// The responsibility catalogue (派单目录): which unit leads or assists for which category where.
#[utoipa::path(get, path = "/api/v1/routing/catalogue", tag = "triage", security(("bearer" = [])),
    responses((status = 200, body = Vec<CatalogueEntry>), (status = 401, body = ErrorBody)))]
pub async fn catalogue(
    State(state): State<AppState>,
    Auth(_viewer): Auth,
) -> Result<Json<Vec<CatalogueEntry>>, ApiError> {
    Ok(Json(state.app.routing_catalogue().await?))
}

/// Replace the catalogue (administrators).
#[utoipa::path(put, path = "/api/v1/routing/catalogue", tag = "triage", security(("bearer" = [])), request_body = Vec<CatalogueEntry>,
    responses((status = 200, body = Vec<CatalogueEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_catalogue(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::TriageManage>,
    JsonBody(body): JsonBody<Vec<CatalogueEntry>>,
) -> Result<Json<Vec<CatalogueEntry>>, ApiError> {
    Ok(Json(state.app.routing_catalogue_put(&viewer, body).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExampleRequest {
    /// A category code.
    pub category: Option<String>,
    /// A dispute description labelled with it.
    pub text: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExampleAdded {
    pub id: i64,
}

/// Add a labelled example (administrators and dispatchers); the classifier retrains with it.
#[utoipa::path(post, path = "/api/v1/triage/examples", tag = "triage", security(("bearer" = [])), request_body = ExampleRequest,
    responses((status = 201, body = ExampleAdded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_example(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::TriageExampleAdd>,
    JsonBody(body): JsonBody<ExampleRequest>,
) -> Result<(StatusCode, Json<ExampleAdded>), ApiError> {
    let mut c = Checker::default();
    let category = c.code::<Category>("category", body.category.as_deref(), true);
    let text = c.required_text("text", body.text.as_deref(), 2000);
    c.into_result().map_err(ApiError::invalid)?;
    let (Some(category), Some(text)) = (category, text) else { return Err(ApiError::invalid(Vec::new())) };
    let id = state.app.triage_example_add(&viewer, category, &text).await?;
    Ok((StatusCode::CREATED, Json(ExampleAdded { id })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddressQuery {
    /// A Chinese address, full or partial ("城关区张掖路", "张掖路").
    q: Option<String>,
}

/// Parse an address into province, city, district, street and community.
#[utoipa::path(get, path = "/api/v1/triage/address", tag = "triage", security(("bearer" = [])), params(AddressQuery),
    responses((status = 200, body = ParsedAddress), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn address(
    State(state): State<AppState>,
    Auth(_viewer): Auth,
    Query(query): Query<AddressQuery>,
) -> Result<Json<ParsedAddress>, ApiError> {
    let mut c = Checker::default();
    let q = c.required_text("q", query.q.as_deref(), 300);
    c.into_result().map_err(ApiError::invalid)?;
    Ok(Json(state.app.address_parse(&q.unwrap_or_default()).await?))
}

/// The triage of a draft registration — category, risk, place, route, emergency — without
/// registering it: what the intake window shows while the clerk types.
#[utoipa::path(post, path = "/api/v1/triage/preview", tag = "triage", security(("bearer" = [])), request_body = CaseRegistration,
    responses((status = 200, body = Triage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CaseRegister>,
    JsonBody(body): JsonBody<CaseRegistration>,
) -> Result<Json<Triage>, ApiError> {
    Ok(Json(state.app.triage_preview(&viewer, body).await?.into_api()))
}
