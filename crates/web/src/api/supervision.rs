//! Deadlines, the supervision ladder's notices, and the work lists of a unit.

use app::cases::CaseFilter;
use app::supervision::{ManualNotice, NoticeFilter};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::clocks::NoticeKind;
use domain::ids::{CaseId, NoticeId, UnitId};
use domain::validation::Checker;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{CaseList, DeadlineView, IntoApi, NoticeCount, NoticeView, SweepReport};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, gate};

/// The four clocks of a case, each with "why this date".
#[utoipa::path(get, path = "/api/v1/cases/{id}/deadlines", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DeadlineView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deadlines(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Vec<DeadlineView>>, ApiError> {
    Ok(Json(state.app.case_deadlines(&viewer, case).await?.into_api()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// reminder | warning | order
    kind: Option<String>,
    case_id: Option<String>,
    /// true: only notices to my unit not yet replied to.
    awaiting_reply: Option<bool>,
}

/// Notices to, copied to or issued by my unit, and those on cases in my region.
#[utoipa::path(get, path = "/api/v1/notices", tag = "supervision", security(("bearer" = [])), params(NoticeQuery),
    responses((status = 200, body = Vec<NoticeView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn notices(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<NoticeQuery>,
) -> Result<Json<Vec<NoticeView>>, ApiError> {
    let mut c = Checker::default();
    let kind = c.code::<NoticeKind>("kind", query.kind.as_deref(), false);
    let case_id = query
        .case_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .and_then(|v| c.check(domain::case::parse_id("case_id", &serde_json::json!(v))));
    c.into_result().map_err(ApiError::invalid)?;
    let filter = NoticeFilter {
        kind,
        case_id,
        awaiting_reply: query.awaiting_reply.unwrap_or(false),
        limit: None,
        ..NoticeFilter::default()
    };
    Ok(Json(state.app.notices(&viewer, &filter).await?.into_api()))
}

/// 签收: acknowledge a notice to my unit.
#[utoipa::path(post, path = "/api/v1/notices/{id}/acknowledge", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = NoticeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(notice, _): InPath<NoticeId>,
) -> Result<Json<NoticeView>, ApiError> {
    Ok(Json(state.app.notice_acknowledge(&viewer, notice).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyRequest {
    /// The written reply.
    pub text: Option<String>,
}

/// 书面回复: reply in writing to a notice to my unit (once).
#[utoipa::path(post, path = "/api/v1/notices/{id}/reply", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)), request_body = ReplyRequest,
    responses((status = 200, body = NoticeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::NoticeReply>,
    InPath(notice, _): InPath<NoticeId>,
    JsonBody(body): JsonBody<ReplyRequest>,
) -> Result<Json<NoticeView>, ApiError> {
    Ok(Json(state.app.notice_reply(&viewer, notice, body.text.as_deref()).await?.into_api()))
}

/// Notices per unit in my region, by kind, with those awaiting a reply.
#[utoipa::path(get, path = "/api/v1/notices/counts", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = Vec<NoticeCount>), (status = 401, body = ErrorBody)))]
pub async fn counts(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<Vec<NoticeCount>>, ApiError> {
    Ok(Json(state.app.notice_counts(&viewer).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// reminder | warning | order (the default: a 督办令)
    pub kind: Option<String>,
    /// The reason and what is asked (督办事由).
    pub text: Option<String>,
    /// Working days the unit has to reply in writing (1–30, default 3), counted on the
    /// official calendar after the day of issue.
    pub working_days: Option<i64>,
    /// The recipient; by default the unit handling the case.
    #[schema(value_type = Option<String>)]
    pub unit_id: Option<serde_json::Value>,
}

/// 人工督办: a leader, or a dispatcher of a centre above the unit responsible, issues a notice
/// by hand. It reaches the unit like the ladder's (marked `manual`, with the issuer), enters
/// the case's history, and awaits the unit's written reply by `due_at`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notices", tag = "supervision", security(("bearer" = [])), params(("id" = i64, Path)), request_body = IssueRequest,
    responses((status = 201, body = NoticeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::NoticeIssue>,
    InPath(case, _): InPath<CaseId>,
    JsonBody(body): JsonBody<IssueRequest>,
) -> Result<(StatusCode, Json<NoticeView>), ApiError> {
    let notice = ManualNotice::parse(body.kind.as_deref(), body.text.as_deref(), body.working_days);
    let mut c = Checker::default();
    let unit = body.unit_id.as_ref().and_then(|v| c.check(domain::case::parse_id("unit_id", v)));
    let notice = match (notice, c.into_result()) {
        (Ok(notice), Ok(())) => notice,
        (notice, unit) => {
            return Err(ApiError::invalid(notice.err().into_iter().chain(unit.err()).flatten().collect()));
        }
    };
    let notice = state.app.notice_issue(&viewer, case, notice, unit.map(UnitId)).await?;
    Ok((StatusCode::CREATED, Json(notice.into_api())))
}

/// Run one sweep of the supervision ladder now (it also runs every minute on its own).
#[utoipa::path(post, path = "/api/v1/supervision/sweep", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = SweepReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sweep(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<SweepReport>, ApiError> {
    Ok(Json(state.app.supervision_sweep(&viewer).await?.into_api()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkQuery {
    /// For `due-soon`: the horizon in hours (default 24).
    hours: Option<i64>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// My unit's open cases (`open`), those due within hours (`due-soon`), those past a running
/// deadline (`overdue`).
#[utoipa::path(get, path = "/api/v1/work/{list}", tag = "supervision", security(("bearer" = [])), params(("list" = String, Path, description = "open | due-soon | overdue"), WorkQuery),
    responses((status = 200, body = CaseList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn work(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(list): Path<String>,
    Query(query): Query<WorkQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let mut filter = CaseFilter {
        mine: Some(viewer.unit_id),
        limit: query.limit.unwrap_or(50).clamp(1, app::cases::MAX_PAGE_SIZE),
        offset: query.offset.unwrap_or(0).max(0),
        ..CaseFilter::default()
    };
    match list.as_str() {
        "open" => {}
        "due-soon" => filter.due_within_hours = Some(query.hours.unwrap_or(24).clamp(1, 24 * 30)),
        "overdue" => filter.overdue = Some(true),
        _ => return Err(ApiError::not_found("work list")),
    }
    Ok(Json(state.app.case_list(&viewer, &filter).await?.into_api()))
}

/// Notices to my unit awaiting a written reply.
#[utoipa::path(get, path = "/api/v1/work/notices", tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = Vec<NoticeView>), (status = 401, body = ErrorBody)))]
pub async fn work_notices(
    State(state): State<AppState>,
    Auth(viewer): Auth,
) -> Result<Json<Vec<NoticeView>>, ApiError> {
    Ok(Json(
        state.app.notices(&viewer, &NoticeFilter { awaiting_reply: true, ..NoticeFilter::default() }).await?.into_api(),
    ))
}
