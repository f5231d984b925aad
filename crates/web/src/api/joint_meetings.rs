//! 联席研判: the centres' joint assessment meetings — convened with a generated agenda, their
//! minutes, their decisions, and the units' acknowledgement and report of each decision.

use app::joint_meetings::{DecisionAction, MinutesInput, NewDecision, NewJointMeeting};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::ids::{JointDecisionId, JointMeetingId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{IntoApi, JointMeetingPage, JointMeetingView};
use super::work_orders::number;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, gate};

/// The largest page of meetings.
const PAGE_MAX: i64 = 100;

#[derive(Debug, Deserialize, ToSchema)]
pub struct JointConveneRequest {
    /// The 12-digit code of a region of the centre's territory.
    pub region: Option<String>,
    /// The meeting's date, YYYY-MM-DD; today when absent.
    pub held_on: Option<String>,
    /// The units taking part (the departments stationed at the centre).
    #[serde(default)]
    pub participant_unit_ids: Vec<i64>,
}

/// 联席研判会: convenes a meeting of my centre over a region of its territory. Its agenda is
/// generated now: the open items of the centre's latest risk list of the region, the open
/// alerts no item carries, and the red cases registered since the centre's last meeting (the
/// last seven days for a first meeting), the reddest first.
#[utoipa::path(post, path = "/api/v1/joint-meetings", tag = "joint-meetings", security(("bearer" = [])), request_body = JointConveneRequest,
    responses((status = 201, body = JointMeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn convene(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::JointMeetingManage>,
    JsonBody(body): JsonBody<JointConveneRequest>,
) -> Result<(StatusCode, Json<JointMeetingView>), ApiError> {
    let new =
        NewJointMeeting { region: body.region, held_on: body.held_on, participant_unit_ids: body.participant_unit_ids };
    let meeting = state.app.joint_meeting_convene(&viewer, new).await?;
    Ok((StatusCode::CREATED, Json(meeting.into_api())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size (default 20, at most 100).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

/// The meetings I see, newest first, with their count: the territory's for its centres, else
/// those my unit takes part in or is assigned a decision of.
#[utoipa::path(get, path = "/api/v1/joint-meetings", tag = "joint-meetings", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = JointMeetingPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<ListQuery>,
) -> Result<Json<JointMeetingPage>, ApiError> {
    let limit = number("limit", query.limit.as_deref(), 1, PAGE_MAX, 20)?;
    let offset = number("offset", query.offset.as_deref(), 0, i64::MAX / 2, 0)?;
    let (total, items) = state.app.joint_meetings(&viewer, limit, offset).await?;
    Ok(Json(JointMeetingPage { total, items: items.into_api() }))
}

/// A meeting with its agenda, minutes and the state of every decision.
#[utoipa::path(get, path = "/api/v1/joint-meetings/{id}", tag = "joint-meetings", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = JointMeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<JointMeetingId>,
) -> Result<Json<JointMeetingView>, ApiError> {
    Ok(Json(state.app.joint_meeting(&viewer, id).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JointItemMinutesRequest {
    /// An item of the meeting's agenda.
    pub item_id: Option<i64>,
    /// What the meeting said of it (blank clears it).
    pub discussion: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JointMinutesRequest {
    /// The meeting's minutes; kept as they are when absent.
    pub meeting_minutes: Option<String>,
    /// Each item's discussion.
    #[serde(default)]
    pub agenda: Vec<JointItemMinutesRequest>,
    /// Mark the meeting held: its minutes (which must then be written) are fixed.
    #[serde(default)]
    pub hold: bool,
}

/// 会议纪要: the convening centre writes the minutes of a draft meeting and, with `hold`, fixes
/// them (409 once held).
#[utoipa::path(post, path = "/api/v1/joint-meetings/{id}/minutes", tag = "joint-meetings", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = JointMinutesRequest,
    responses((status = 200, body = JointMeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn minutes(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::JointMeetingManage>,
    InPath(id, _): InPath<JointMeetingId>,
    JsonBody(body): JsonBody<JointMinutesRequest>,
) -> Result<Json<JointMeetingView>, ApiError> {
    let input = MinutesInput {
        meeting_minutes: body.meeting_minutes,
        agenda: body.agenda.into_iter().map(|a| (a.item_id, a.discussion)).collect(),
        hold: body.hold,
    };
    Ok(Json(state.app.joint_meeting_minutes(&viewer, id, input).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JointDecisionRequest {
    /// The agenda item decided on.
    pub item_id: Option<i64>,
    /// The unit that does it.
    pub unit_id: Option<i64>,
    /// What it is to do.
    pub task: Option<String>,
    /// RFC 3339, or a date (the end of that day, China time); in the future.
    pub due_at: Option<String>,
}

/// 交办: the convening centre records a decision on an agenda item of a draft meeting — a task
/// for a unit with a deadline, which the unit then sees among its work.
#[utoipa::path(post, path = "/api/v1/joint-meetings/{id}/decisions", tag = "joint-meetings", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = JointDecisionRequest,
    responses((status = 201, body = JointMeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::JointMeetingManage>,
    InPath(id, _): InPath<JointMeetingId>,
    JsonBody(body): JsonBody<JointDecisionRequest>,
) -> Result<(StatusCode, Json<JointMeetingView>), ApiError> {
    let new = NewDecision { item_id: body.item_id, unit_id: body.unit_id, task: body.task, due_at: body.due_at };
    let meeting = state.app.joint_decision_add(&viewer, id, new).await?;
    Ok((StatusCode::CREATED, Json(meeting.into_api())))
}

/// 签收: the unit a decision is assigned to acknowledges it (409 when it already has).
#[utoipa::path(post, path = "/api/v1/joint-meetings/{id}/decisions/{decision}/acknowledge", tag = "joint-meetings", security(("bearer" = [])),
    params(("id" = i64, Path), ("decision" = i64, Path)),
    responses((status = 200, body = JointMeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, decision), _): InPath<(JointMeetingId, JointDecisionId)>,
) -> Result<Json<JointMeetingView>, ApiError> {
    let meeting = state.app.joint_decision_act(&viewer, id, decision, DecisionAction::Acknowledge, None).await?;
    Ok(Json(meeting.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JointReportRequest {
    /// What was done.
    pub text: Option<String>,
}

/// 办结反馈: the unit a decision is assigned to reports it done with what was done
/// (acknowledging it if it had not; 409 when reported already).
#[utoipa::path(post, path = "/api/v1/joint-meetings/{id}/decisions/{decision}/report", tag = "joint-meetings", security(("bearer" = [])),
    params(("id" = i64, Path), ("decision" = i64, Path)), request_body = JointReportRequest,
    responses((status = 200, body = JointMeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, decision), _): InPath<(JointMeetingId, JointDecisionId)>,
    JsonBody(body): JsonBody<JointReportRequest>,
) -> Result<Json<JointMeetingView>, ApiError> {
    let meeting =
        state.app.joint_decision_act(&viewer, id, decision, DecisionAction::Report, body.text.as_deref()).await?;
    Ok(Json(meeting.into_api()))
}
