//! Legal help: statute articles for a question in plain Chinese. Public, like the `/law` page:
//! a citizen in the hall or on the portal asks without an account.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{IntoApi, LawSearchResult};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LawQuery {
    /// The question, in plain words (老板拖欠工资怎么办), at most 200 characters. Required.
    q: Option<String>,
    /// How many articles, 1 to 20 (default 10).
    limit: Option<String>,
}

/// The statute articles in force that best answer a question, best first:
/// `{items: [{law, article, text, score}]}`. No sign-in needed (public legal help); the
/// statutes are those imported with `fengqiao law import`.
#[utoipa::path(get, path = "/api/v1/law/search", tag = "law", params(LawQuery),
    responses((status = 200, body = LawSearchResult), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Query(query): Query<LawQuery>,
) -> Result<Json<LawSearchResult>, ApiError> {
    let items = state.app.law_search(query.q.as_deref(), query.limit.as_deref()).await?.into_api();
    Ok(Json(LawSearchResult { items }))
}
