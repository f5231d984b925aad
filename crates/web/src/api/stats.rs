//! The statistics summary (DOMAIN.md §5.4; definitions in `domain::stats`).

use axum::Json;
use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate};
use domain::msg;
use domain::org::RegionCode;
use domain::stats::Summary;
use domain::validation::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Auth;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// A region code (6 or 12 digits) in the caller's scope; default the caller's region.
    region: Option<String>,
    /// First day, YYYY-MM-DD; default 1 January of the current year.
    from: Option<String>,
    /// Last day (inclusive), YYYY-MM-DD; default today.
    to: Option<String>,
}

fn day(field: &str, value: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| ApiError::field(FieldError::new(field, "invalid_date", msg!("field.not_a_date")))),
    }
}

/// The headline figures of a region and period: received, concluded, resolved, resolution
/// rate, mediation success rate, on-time rate, average handling working days, amount involved,
/// satisfaction rate, first-time-right routing rate, and cases by category, channel and colour.
/// Served from daily rollups kept with every event.
#[utoipa::path(get, path = "/api/v1/stats/summary", tag = "statistics", security(("bearer" = [])), params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<SummaryQuery>,
) -> Result<Json<Summary>, ApiError> {
    let today = state.now().with_timezone(&domain::china_time()).date_naive();
    let new_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let from = day("from", query.from.as_deref(), new_year)?;
    let to = day("to", query.to.as_deref(), today)?;
    if to < from {
        return Err(ApiError::field(FieldError::new("to", "invalid_range", msg!("stats.to_before_from"))));
    }
    let region = match query.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => Some(RegionCode::parse(code).map_err(|e| {
            ApiError::field(FieldError::new(
                "region",
                "invalid_region_code",
                msg!("region_code.invalid", reason = e.message()),
            ))
        })?),
        None => None,
    };
    Ok(Json(state.app.stats_summary(&viewer, region, from, to).await?))
}
