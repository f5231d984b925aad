//! Full-text search over the cases in the caller's scope.

use axum::Json;
use axum::extract::{Query, State};
use domain::msg;
use domain::validation::{Checker, FieldError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{CaseList, IntoApi};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Auth;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find in the title and description (Chinese is segmented), or a case number.
    q: Option<String>,
    /// At most 100 (default 20).
    limit: Option<String>,
    offset: Option<String>,
}

/// Cases in the caller's scope matching the words, best first: `{items, total}`.
#[utoipa::path(get, path = "/api/v1/search/cases", tag = "cases", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = CaseList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cases(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<SearchQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let mut c = Checker::default();
    let q = c.required_text("q", query.q.as_deref(), 200);
    let number = |field: &'static str, value: Option<&str>, default: usize, max: usize| match value
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
            FieldError::new(field, "out_of_range", msg!("field.whole_number_between", min = 0, max = max))
        }),
    };
    let limit = c.check(number("limit", query.limit.as_deref(), 20, 100));
    let offset = c.check(number("offset", query.offset.as_deref(), 0, app::cases::SEARCH_COUNT_LIMIT));
    c.into_result().map_err(ApiError::invalid)?;
    let (Some(q), Some(limit), Some(offset)) = (q, limit, offset) else { return Err(ApiError::invalid(Vec::new())) };
    Ok(Json(state.app.cases_search(&viewer, &q, limit, offset).await?.into_api()))
}
