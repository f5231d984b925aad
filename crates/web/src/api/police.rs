//! 移送公安 (人民调解法 art. 25): referring a red case to the police unit of its territory, the
//! police unit's acknowledgement, feedback and the criminal case that followed (民转刑). And the
//! other way, 警调对接: the disputes of 110 calls that need no police (警情) handed over to the
//! centre by a police unit's desk or system account, and what became of them.

use app::integration::Intake;
use app::police::PoliceStep;
use app::police_incidents::{Handover, PoliceIncident};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::case::CaseRegistration;
use domain::ids::{CaseId, PoliceReferralId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{IntoApi, PoliceReferralView, rfc3339};
use super::work_orders::number;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, JsonBytes, Permitted, gate, parse_json};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReferRequest {
    /// Why the dispute may turn into a crime (threats, violence, 同归于尽 …).
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PoliceTextRequest {
    /// What the police did, or the criminal case that followed (its reference and facts).
    pub text: Option<String>,
}

/// The referrals a viewer sees, newest first, with the territory's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliceReferralList {
    pub items: Vec<PoliceReferralView>,
    /// 防止民转刑: referred cases resolved with no criminal case recorded.
    pub prevented: i64,
    /// 民转刑: referred cases a criminal case followed.
    pub criminal: i64,
}

/// 移送公安: refers a red case to the police unit of its territory (the police unit whose
/// region is nearest above the case's); a unit handling the case or a centre that sees it.
/// 409 for a case that is not red, or while an earlier referral awaits the police's answer.
#[utoipa::path(post, path = "/api/v1/cases/{id}/police-referrals", tag = "police", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReferRequest,
    responses((status = 201, body = PoliceReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refer(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<ReferRequest>,
) -> Result<(StatusCode, Json<PoliceReferralView>), ApiError> {
    let referral = state.app.police_refer(&viewer, id, body.reason.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(referral.into_api())))
}

/// The police referrals of a case, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/police-referrals", tag = "police", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PoliceReferralView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_case(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<Vec<PoliceReferralView>>, ApiError> {
    Ok(Json(state.app.police_referrals_of_case(&viewer, id).await?.into_api()))
}

/// The referrals addressed to my unit or on cases of my territory, with the counts of
/// 防止民转刑 and 民转刑.
#[utoipa::path(get, path = "/api/v1/police-referrals", tag = "police", security(("bearer" = [])),
    responses((status = 200, body = PoliceReferralList), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<PoliceReferralList>, ApiError> {
    let list = state.app.police_referrals(&viewer).await?;
    Ok(Json(PoliceReferralList { items: list.items.into_api(), prevented: list.prevented, criminal: list.criminal }))
}

/// 签收: the police unit acknowledges the referral (409 when it has).
#[utoipa::path(post, path = "/api/v1/police-referrals/{id}/acknowledge", tag = "police", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PoliceReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<PoliceReferralId>,
) -> Result<Json<PoliceReferralView>, ApiError> {
    Ok(Json(state.app.police_referral_act(&viewer, id, PoliceStep::Acknowledge, None).await?.into_api()))
}

/// 反馈: the police unit answers with what it did (acknowledging, if it had not); once.
#[utoipa::path(post, path = "/api/v1/police-referrals/{id}/feedback", tag = "police", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PoliceTextRequest,
    responses((status = 200, body = PoliceReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feedback(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<PoliceReferralId>,
    JsonBody(body): JsonBody<PoliceTextRequest>,
) -> Result<Json<PoliceReferralView>, ApiError> {
    let referral = state.app.police_referral_act(&viewer, id, PoliceStep::Feedback, body.text.as_deref()).await?;
    Ok(Json(referral.into_api()))
}

/// 民转刑: the police unit records that a criminal case followed; the referral then counts as
/// 民转刑, never as 防止民转刑.
#[utoipa::path(post, path = "/api/v1/police-referrals/{id}/criminal-case", tag = "police", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PoliceTextRequest,
    responses((status = 200, body = PoliceReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn criminal_case(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<PoliceReferralId>,
    JsonBody(body): JsonBody<PoliceTextRequest>,
) -> Result<Json<PoliceReferralView>, ApiError> {
    let referral = state.app.police_referral_act(&viewer, id, PoliceStep::Criminal, body.text.as_deref()).await?;
    Ok(Json(referral.into_api()))
}

/// A 110 dispute as the police hand it over: the incident number, the officer who attended,
/// and the dispute as a registration — its time (`occurred_at`), place (`location`), parties
/// and description (its `channel` is always `police`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct IncidentRequest {
    /// 警情编号: the police unit's own number (at most 100 characters); one case per number.
    pub incident_number: Option<String>,
    /// 处警民警: the officer who attended (at most 100 characters).
    pub officer: Option<String>,
    #[serde(flatten)]
    pub registration: CaseRegistration,
}

/// What went back to the police once the case ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentResult {
    /// succeeded | failed | rejected
    pub outcome: String,
    /// The agreement reached (succeeded).
    pub agreement_summary: Option<String>,
    /// Why mediation failed, or why the centre did not take it on.
    pub reason: Option<String>,
}

/// A dispute the police handed over and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliceIncidentView {
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    /// The police unit that handed it over.
    pub unit_id: i64,
    pub unit_name: String,
    pub incident_number: String,
    pub officer: String,
    pub occurred_at: Option<String>,
    pub address: Option<String>,
    pub received_at: String,
    /// in_progress | succeeded | failed | rejected
    pub state: String,
    /// Once the case ended: what went back to the police (also as the webhook event
    /// `police_incident.result`).
    pub result: Option<IncidentResult>,
}

/// How many hand-overs stand at a state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateCount {
    pub state: String,
    pub count: i64,
}

/// A page of hand-overs, how many match, and the count at each state.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliceIncidentPageView {
    pub total: i64,
    pub counts: Vec<StateCount>,
    pub items: Vec<PoliceIncidentView>,
}

/// The list's filter and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// in_progress | succeeded | failed | rejected
    state: Option<String>,
    /// Page size (default 20, at most 100).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

pub(crate) fn incident_view(incident: PoliceIncident) -> PoliceIncidentView {
    let row = incident.row;
    let result = incident.state.ended().then(|| IncidentResult {
        outcome: incident.state.as_str().to_owned(),
        agreement_summary: incident.agreement_summary,
        reason: incident.reason,
    });
    PoliceIncidentView {
        case_id: row.case_id,
        case_number: row.case_number,
        case_status: row.case_status,
        unit_id: row.unit_id,
        unit_name: row.unit_name,
        incident_number: row.incident_number,
        officer: row.officer,
        occurred_at: row.occurred_at.map(rfc3339),
        address: row.address,
        received_at: rfc3339(row.received_at),
        state: incident.state.as_str().to_owned(),
        result,
    }
}

/// 警调对接: a police unit (its desk, or its system account by `X-Api-Key`) hands over a 110
/// dispute that needs no police: 201 with the hand-over, registered as a `police` case and
/// routed like any; the same `incident_number` from the same unit again answers 200 with the
/// same case, never a second. Only a police unit may (403).
#[utoipa::path(post, path = "/api/v1/police-incidents", tag = "police", security(("bearer" = []), ("api_key" = [])),
    request_body = IncidentRequest,
    responses((status = 201, body = PoliceIncidentView),
        (status = 200, description = "the incident already handed over under this number", body = PoliceIncidentView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hand_over(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CaseRegister>,
    JsonBytes(bytes): JsonBytes,
) -> Result<(StatusCode, Json<PoliceIncidentView>), ApiError> {
    let body: IncidentRequest = parse_json(&bytes)?;
    let handover = Handover { incident_number: body.incident_number, officer: body.officer };
    let (intake, incident) = state.app.police_incident_receive(&viewer, handover, body.registration).await?;
    let status = if intake == Intake::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(incident_view(incident))))
}

/// The hand-overs I follow — a police unit's own, a centre's of its scope — the newest first,
/// with the count at each state.
#[utoipa::path(get, path = "/api/v1/police-incidents", tag = "police", security(("bearer" = []), ("api_key" = [])),
    params(IncidentQuery),
    responses((status = 200, body = PoliceIncidentPageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn incidents(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::PoliceIncidents>,
    Query(query): Query<IncidentQuery>,
) -> Result<Json<PoliceIncidentPageView>, ApiError> {
    let limit = number("limit", query.limit.as_deref(), 1, app::police_incidents::PAGE_MAX, 20)?;
    let offset = number("offset", query.offset.as_deref(), 0, i64::MAX / 2, 0)?;
    let page = state.app.police_incidents(&viewer, query.state.as_deref(), limit, offset).await?;
    Ok(Json(PoliceIncidentPageView {
        total: page.total,
        counts: page.counts.into_iter().map(|(s, count)| StateCount { state: s.as_str().to_owned(), count }).collect(),
        items: page.items.into_iter().map(incident_view).collect(),
    }))
}

/// One hand-over (`id` is its case's id), with its result once the case ended.
#[utoipa::path(get, path = "/api/v1/police-incidents/{id}", tag = "police", security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PoliceIncidentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn incident(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::PoliceIncidents>,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<PoliceIncidentView>, ApiError> {
    Ok(Json(incident_view(state.app.police_incident(&viewer, id).await?)))
}
