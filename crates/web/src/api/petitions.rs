//! 信访转办 (issue 18): a petition office's system account (or the centre's staff for it) sends
//! petitions with the office's reference; the centre accepts, objects, transfers on, extends
//! once, replies and records 复查/复核 requests within the 信访工作条例's limits, and the office
//! hears of each step through its webhooks (`petition.*`).

use app::integration::Intake;
use app::petitions::Petition;
use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use domain::case::CaseRegistration;
use domain::ids::CaseId;
use domain::petition::Command;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::rfc3339;
use super::work_orders::number;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, JsonBytes, Permitted, SystemAuth, api_key, gate, parse_json};

/// Who sends a petition: a petition office's system account (`X-Api-Key`) or a signed-in user.
pub enum Sender {
    System(app::integration::SystemCaller),
    Staff(app::Viewer),
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if api_key(&parts.headers).is_some() {
            let SystemAuth(caller) = SystemAuth::from_request_parts(parts, state).await?;
            return Ok(Sender::System(caller));
        }
        let Auth(viewer) = Auth::from_request_parts(parts, state).await?;
        Ok(Sender::Staff(viewer))
    }
}

/// A petition transfer (信访转办): the petition office's reference and the day it received the
/// petition, with the petitioner (the applicant party) and the facts and request (`description`)
/// as a registration (its `channel` is always `petition`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PetitionRequest {
    /// The petition office (staff only; a system account is its own sender).
    pub sender: Option<String>,
    /// The petition office's number of the petition (at most 100 characters): one petition per
    /// number and sender.
    pub reference: Option<String>,
    /// The day the petition office received it (YYYY-MM-DD).
    pub office_received_on: Option<String>,
    #[serde(flatten)]
    pub registration: CaseRegistration,
}

/// One statutory clock of a petition.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionClockView {
    /// accept | object | handle | review_request | review_reply | recheck_request | recheck_reply
    pub clock: String,
    pub due_at: String,
    pub stopped_at: Option<String>,
    /// not_started | running | overdue | met | missed
    pub state: domain::clocks::ClockState,
}

/// A petition, its stage and its clocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionView {
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    pub sender: String,
    pub reference: String,
    pub petitioner: String,
    /// The facts and the request.
    pub request: String,
    pub office_received_on: String,
    pub received_at: String,
    /// received | accepted | objected | transferred | replied | reviewing | reviewed | rechecking | rechecked
    pub stage: String,
    /// 受理或转送 by (15 days).
    pub accept_by: String,
    /// 提出异议 by (5 working days).
    pub object_by: String,
    /// 信访处理意见书 by (60 days of acceptance, plus the extension).
    pub handle_by: Option<String>,
    pub extension_days: i64,
    /// Why it was extended: what the petitioner is told.
    pub extension_reason: Option<String>,
    /// The organ it was transferred on to.
    pub transfer_to: Option<String>,
    /// Why it was objected to or transferred.
    pub reason: Option<String>,
    pub reply: Option<String>,
    pub review_reply: Option<String>,
    pub recheck_reply: Option<String>,
    pub clocks: Vec<PetitionClockView>,
    /// Whether a duty of the centre's is past its day.
    pub overdue: bool,
}

/// A page of petitions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionPageView {
    pub total: i64,
    pub items: Vec<PetitionView>,
}

/// The list's filter and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One stage (received, accepted, …).
    stage: Option<String>,
    /// Page size (default 20, at most 100).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

/// A step's input: `reason` (object, transfer, extend), `transfer_to` (transfer), `days`
/// (extend, 1–30, once), `text` (reply).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StepRequest {
    pub reason: Option<String>,
    pub transfer_to: Option<String>,
    pub days: Option<i64>,
    pub text: Option<String>,
}

pub(crate) fn view(petition: Petition) -> PetitionView {
    let row = petition.row;
    PetitionView {
        case_id: row.case_id,
        case_number: row.case_number,
        case_status: row.case_status,
        sender: row.sender,
        reference: row.reference,
        petitioner: row.petitioner,
        request: row.request,
        office_received_on: row.office_received_on,
        received_at: rfc3339(row.received_at),
        stage: petition.stage.as_str().to_owned(),
        accept_by: rfc3339(row.accept_by),
        object_by: rfc3339(row.object_by),
        handle_by: row.handle_by.map(rfc3339),
        extension_days: row.extension_days,
        extension_reason: row.extension_reason,
        transfer_to: row.transfer_to,
        reason: row.reason,
        reply: row.reply,
        review_reply: row.review_reply,
        recheck_reply: row.recheck_reply,
        clocks: petition
            .clocks
            .into_iter()
            .map(|c| PetitionClockView {
                clock: c.clock.as_str().to_owned(),
                due_at: rfc3339(c.due_at),
                stopped_at: c.stopped_at.map(rfc3339),
                state: c.state,
            })
            .collect(),
        overdue: petition.overdue,
    }
}

/// The command an action names with its input; None for an action that does not exist.
pub(crate) fn command(
    action: &str,
    reason: Option<&str>,
    to: Option<&str>,
    days: Option<i64>,
    text: Option<&str>,
) -> Option<Command> {
    let text_of = |v: Option<&str>| v.unwrap_or_default().to_owned();
    Some(match action {
        "accept" => Command::Accept,
        "object" => Command::Object { reason: text_of(reason) },
        "transfer" => Command::Transfer { to: text_of(to), reason: text_of(reason) },
        "extend" => Command::Extend { days: days.unwrap_or(0), reason: text_of(reason) },
        "reply" => Command::Reply { text: text_of(text) },
        "review-request" => Command::RequestReview,
        _ => return None,
    })
}

/// Send a petition transfer (信访转办) — a petition office's system account (`X-Api-Key`,
/// granted `case_register`) or the centre's staff: 201 with the petition, registered as a
/// `petition` case with its clocks; the same `reference` from the same sender again answers 200
/// with the same petition, never a second case.
#[utoipa::path(post, path = "/api/v1/petitions", tag = "integration", security(("api_key" = []), ("bearer" = [])),
    request_body = PetitionRequest,
    responses((status = 201, body = PetitionView), (status = 200, description = "the petition already sent under this `reference`", body = PetitionView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    sender: Sender,
    JsonBytes(bytes): JsonBytes,
) -> Result<(StatusCode, Json<PetitionView>), ApiError> {
    let body: PetitionRequest = parse_json(&bytes)?;
    let transfer = app::petitions::Transfer {
        sender: body.sender,
        reference: body.reference,
        office_received_on: body.office_received_on,
    };
    let (intake, petition) = match sender {
        Sender::System(caller) => state.app.petition_receive_system(&caller, transfer, body.registration).await?,
        Sender::Staff(viewer) => state.app.petition_enter(&viewer, transfer, body.registration).await?,
    };
    let status = if intake == Intake::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(view(petition))))
}

/// The petitions of the viewer's scope, the newest first, with their count.
#[utoipa::path(get, path = "/api/v1/petitions", tag = "integration", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = PetitionPageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Petitions>,
    Query(query): Query<ListQuery>,
) -> Result<Json<PetitionPageView>, ApiError> {
    let limit = number("limit", query.limit.as_deref(), 1, app::petitions::PAGE_MAX, 20)?;
    let offset = number("offset", query.offset.as_deref(), 0, i64::MAX / 2, 0)?;
    let page = state.app.petitions(&viewer, query.stage.as_deref(), limit, offset).await?;
    Ok(Json(PetitionPageView { total: page.total, items: page.items.into_iter().map(view).collect() }))
}

/// The petition of a case (`id` is the case's id).
#[utoipa::path(get, path = "/api/v1/petitions/{id}", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PetitionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Petitions>,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<PetitionView>, ApiError> {
    Ok(Json(view(state.app.petition(&viewer, id).await?)))
}

/// One step on a petition: `accept` (受理), `object` (not within remit, back to the petition
/// office, within 5 working days, with a `reason`), `transfer` (on to `transfer_to`, with a
/// `reason`), `extend` (once, `days` 1–30 with the `reason` the petitioner is told), `reply`
/// (the 信访处理意见书, or the answer to a 复查/复核, `text`), `review-request` (the
/// petitioner asks for 复查, then 复核, within 30 days of the reply). 422 by field and 409 when
/// not now, with nothing changed.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/{action}", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path), ("action" = String, Path, description = "accept | object | transfer | extend | reply | review-request")),
    request_body = StepRequest,
    responses((status = 200, body = PetitionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Petitions>,
    InPath((id, action), _): InPath<(CaseId, String)>,
    JsonBody(body): JsonBody<StepRequest>,
) -> Result<Json<PetitionView>, ApiError> {
    let command =
        command(&action, body.reason.as_deref(), body.transfer_to.as_deref(), body.days, body.text.as_deref())
            .ok_or_else(|| ApiError::not_found("petition"))?;
    Ok(Json(view(state.app.petition_act(&viewer, id, command).await?)))
}
