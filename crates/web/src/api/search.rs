//! Full-text search over the cases in the caller's scope.

use axum::Json;
use axum::extract::{Query, State};
use domain::validation::{Checker, FieldError, Message};
use search::SearchScope;
use serde::Deserialize;
use store::Viewer;
use store::cases::CaseList;
use utoipa::IntoParams;

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
            FieldError::new(
                field,
                "out_of_range",
                Message::new(
                    format!("{field} 应为 0 到 {max} 之间的整数"),
                    format!("{field} must be a whole number from 0 to {max}"),
                ),
            )
        }),
    };
    let limit = c.check(number("limit", query.limit.as_deref(), 20, 100));
    let offset = c.check(number("offset", query.offset.as_deref(), 0, search::COUNT_LIMIT));
    c.into_result().map_err(ApiError::invalid)?;
    let (Some(q), Some(limit), Some(offset)) = (q, limit, offset) else { return Err(ApiError::invalid(Vec::new())) };
    Ok(Json(search_cases(&state, &viewer, &q, limit as i64, offset as i64).await?))
}

/// The cases in the viewer's scope matching `q`, best first (shared by the API and the UI).
pub async fn search_cases(
    state: &AppState,
    viewer: &Viewer,
    q: &str,
    limit: i64,
    offset: i64,
) -> Result<CaseList, ApiError> {
    state.search.catch_up(&state.store).await.map_err(search_failed)?;
    let scope = SearchScope { region_prefix: viewer.scope.region.significant().to_owned(), unit_id: viewer.unit_id };
    // Ranking is CPU work: it runs on the blocking pool, not on the threads that serve requests.
    let (ids, total, total_capped) = state
        .search
        .search_blocking(q.to_owned(), scope, limit.max(0) as usize, offset.max(0) as usize)
        .await
        .map_err(search_failed)?;
    let items = state.store.case_rows_by_ids(viewer, &ids).await?;
    Ok(CaseList { items, total: total as i64, total_capped })
}

fn search_failed(error: search::SearchError) -> ApiError {
    match error {
        search::SearchError::Store(e) => e.into(),
        other => store::StoreError::Setup(other.to_string()).into(),
    }
}
