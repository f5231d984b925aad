//! 移送公安 (人民调解法 art. 25): referring a red case to the police unit of its territory, the
//! police unit's acknowledgement, feedback and the criminal case that followed (民转刑).

use app::police::PoliceStep;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{CaseId, PoliceReferralId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{IntoApi, PoliceReferralView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody};

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
