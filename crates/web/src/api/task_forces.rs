//! 一案一专班 / 领导包案: a case's task force with the 五定, its milestones, and the leader's
//! list of the cases they lead (我包的案).

use app::task_forces::{NewMember, NewMilestone, NewTaskForce};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{CaseId, MilestoneId, TaskForceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{IntoApi, TaskForceView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody};

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberRequest {
    pub unit_id: Option<i64>,
    /// The unit's duty in the task force (定责任).
    pub duty: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MilestoneRequest {
    pub title: Option<String>,
    /// The member unit responsible for it.
    pub unit_id: Option<i64>,
    /// RFC 3339, or a date (the end of that day, China time); in the future.
    pub due_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FormRequest {
    /// The leader at its head (定领导); the caller when absent (who must then be a leader).
    pub leader_id: Option<i64>,
    /// The plan (定方案).
    pub plan: Option<String>,
    /// Two units or more (定人员).
    #[serde(default)]
    pub members: Vec<MemberRequest>,
    /// The milestones with their deadlines (定时限).
    #[serde(default)]
    pub milestones: Vec<MilestoneRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DoneRequest {
    /// What was done.
    pub note: Option<String>,
}

/// The task forces I lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskForceList {
    pub items: Vec<TaskForceView>,
}

/// 组建专班: forms the task force of a case — for a red case by a centre's leader or
/// dispatcher with a leader at its head, for any other case only by the leader who leads it
/// (409 otherwise); one per case (409).
#[utoipa::path(post, path = "/api/v1/cases/{id}/task-force", tag = "task-forces", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = FormRequest,
    responses((status = 201, body = TaskForceView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn form(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<FormRequest>,
) -> Result<(StatusCode, Json<TaskForceView>), ApiError> {
    let new = NewTaskForce {
        leader_id: body.leader_id,
        plan: body.plan,
        members: body.members.into_iter().map(|m| NewMember { unit_id: m.unit_id, duty: m.duty }).collect(),
        milestones: body
            .milestones
            .into_iter()
            .map(|m| NewMilestone { title: m.title, unit_id: m.unit_id, due_at: m.due_at })
            .collect(),
    };
    let force = state.app.task_force_form(&viewer, id, new).await?;
    Ok((StatusCode::CREATED, Json(force.into_api())))
}

/// The task force of a case (404 when it has none).
#[utoipa::path(get, path = "/api/v1/cases/{id}/task-force", tag = "task-forces", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = TaskForceView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_case(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<TaskForceView>, ApiError> {
    let force = state.app.task_force_of_case(&viewer, id).await?;
    force.map(|f| Json(f.into_api())).ok_or_else(|| app::AppError::NotFound { what: TaskForceId::WHAT }.into())
}

/// 我包的案: the task forces I lead, newest first.
#[utoipa::path(get, path = "/api/v1/task-forces", tag = "task-forces", security(("bearer" = [])),
    responses((status = 200, body = TaskForceList), (status = 401, body = ErrorBody)))]
pub async fn led(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<TaskForceList>, ApiError> {
    Ok(Json(TaskForceList { items: state.app.task_forces_led(&viewer).await?.into_api() }))
}

/// The unit responsible marks a milestone done, with a note (403 for another unit, 409 once done).
#[utoipa::path(post, path = "/api/v1/task-forces/{id}/milestones/{milestone}/done", tag = "task-forces", security(("bearer" = [])),
    params(("id" = i64, Path), ("milestone" = i64, Path)), request_body = DoneRequest,
    responses((status = 200, body = TaskForceView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn milestone_done(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, milestone), _): InPath<(TaskForceId, MilestoneId)>,
    JsonBody(body): JsonBody<DoneRequest>,
) -> Result<Json<TaskForceView>, ApiError> {
    Ok(Json(state.app.milestone_done(&viewer, id, milestone, body.note.as_deref()).await?.into_api()))
}
