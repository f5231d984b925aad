//! The official calendar and the clock policies.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Duration;
use domain::calendar::{Day, YearCalendar, parse_date as date};
use domain::clocks::PolicyRule;
use domain::msg;
use domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{CalendarYearView, IntoApi};
use crate::AppState;
use crate::error::{ApiError, ErrorBody, localise};
use crate::extract::{Auth, JsonBody, Permitted, gate};

/// The longest span `days` answers at once.
const MAX_SPAN_DAYS: i64 = 3 * 366;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// First day, YYYY-MM-DD.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive).
    to: Option<String>,
}

/// Every day from `from` to `to`: working day or not, and the festival's name on holiday rest days.
#[utoipa::path(get, path = "/api/v1/calendar/days", tag = "calendar", params(DaysQuery),
    responses((status = 200, body = Vec<Day>), (status = 422, body = ErrorBody)))]
pub async fn days(State(state): State<AppState>, Query(query): Query<DaysQuery>) -> Result<Json<Vec<Day>>, ApiError> {
    let from = date("from", query.from.as_deref()).map_err(ApiError::field)?;
    let to = date("to", query.to.as_deref()).map_err(ApiError::field)?;
    if to < from || (to - from).num_days() > MAX_SPAN_DAYS {
        return Err(ApiError::field(FieldError::new(
            "to",
            "invalid_range",
            msg!("calendar.span_invalid", days = MAX_SPAN_DAYS),
        )));
    }
    let context = state.app.clock_context().await?;
    let calendar = &context.calendar;
    let days = (0..=(to - from).num_days()).map(|i| calendar.day(from + Duration::days(i))).collect();
    Ok(Json(days))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddQuery {
    /// The start day (not counted), YYYY-MM-DD.
    from: Option<String>,
    /// How many working days, 0 to 3650.
    days: Option<String>,
}

/// The Nth working day after `from`, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddWorkingDays {
    pub date: String,
    /// A year on the way has no official calendar loaded: weekends only were counted.
    pub provisional: bool,
    pub missing_years: Vec<i32>,
    pub explanation: String,
}

/// The Nth working day after `from` (the start day not counted; DOMAIN.md §2.3).
#[utoipa::path(get, path = "/api/v1/calendar/add-working-days", tag = "calendar", params(AddQuery),
    responses((status = 200, body = AddWorkingDays), (status = 422, body = ErrorBody)))]
pub async fn add_working_days(
    State(state): State<AppState>,
    Query(query): Query<AddQuery>,
) -> Result<Json<AddWorkingDays>, ApiError> {
    let from = date("from", query.from.as_deref()).map_err(ApiError::field)?;
    let days =
        query.days.as_deref().map(str::trim).and_then(|d| d.parse::<u32>().ok()).filter(|d| *d <= 3650).ok_or_else(
            || {
                ApiError::field(FieldError::new(
                    "days",
                    "out_of_range",
                    msg!("field.whole_number_between", min = 0, max = 3650),
                ))
            },
        )?;
    let context = state.app.clock_context().await?;
    let calendar = &context.calendar;
    let r = calendar.add_working_days(from, days);
    Ok(Json(AddWorkingDays {
        date: r.date.to_string(),
        provisional: r.provisional,
        missing_years: r.missing_years,
        explanation: localise(&r.explanation),
    }))
}

/// The loaded years.
#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "calendar", responses((status = 200, body = Vec<CalendarYearView>)))]
pub async fn years(State(state): State<AppState>) -> Result<Json<Vec<CalendarYearView>>, ApiError> {
    Ok(Json(state.app.calendar_years().await?.into_api()))
}

/// The answer to loading a year or replacing the policies.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recomputed {
    /// How many open cases had their deadlines recomputed.
    pub recomputed_cases: u64,
}

/// Load or correct a year's calendar (administrators); every open deadline is recomputed.
#[utoipa::path(put, path = "/api/v1/calendar/years/{year}", tag = "calendar", security(("bearer" = [])), params(("year" = i32, Path)), request_body = YearCalendar,
    responses((status = 200, body = Recomputed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_year(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CalendarManage>,
    Path(year): Path<String>,
    JsonBody(body): JsonBody<YearCalendar>,
) -> Result<Json<Recomputed>, ApiError> {
    if year.parse::<i32>().ok() != Some(body.year) {
        return Err(ApiError::field(FieldError::new("year", "mismatch", msg!("calendar.year_mismatch"))));
    }
    let recomputed_cases = state.app.calendar_put(&viewer, body).await?;
    Ok(Json(Recomputed { recomputed_cases }))
}

/// The clock policies: time limits per category, channel and risk colour (the most specific wins).
#[utoipa::path(get, path = "/api/v1/clock-policies", tag = "calendar", security(("bearer" = [])),
    responses((status = 200, body = Vec<PolicyRule>), (status = 401, body = ErrorBody)))]
pub async fn policies(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Json<Vec<PolicyRule>>, ApiError> {
    Ok(Json(state.app.clock_policies().await?))
}

/// Replace the clock policies (administrators); every open deadline is recomputed.
#[utoipa::path(put, path = "/api/v1/clock-policies", tag = "calendar", security(("bearer" = [])), request_body = Vec<PolicyRule>,
    responses((status = 200, body = Recomputed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_policies(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CalendarManage>,
    JsonBody(body): JsonBody<Vec<PolicyRule>>,
) -> Result<Json<Recomputed>, ApiError> {
    let recomputed_cases = state.app.clock_policies_replace(&viewer, body).await?;
    Ok(Json(Recomputed { recomputed_cases }))
}
