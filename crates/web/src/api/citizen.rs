//! The citizen portal's API (`/api/v1/citizen/…`): a code by SMS, sign-in, bringing a dispute,
//! following and rating one's own cases. Only a citizen token works here ([`CitizenAuth`]).

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use domain::case::CaseRegistration;
use domain::ids::{AgreementId, CaseId, EvidenceId, SessionId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{CitizenCase, CitizenCaseRow, CitizenProfile, EvidenceView, IntoApi, MediatorCandidate};
use super::mediation::{EvidenceQuery, evidence_response};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CitizenAuth, ClientAddr, InPath, JsonBody, bearer};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// A mainland mobile number.
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CitizenLoginRequest {
    pub phone: Option<String>,
    /// The 6-digit code from the SMS.
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenRef {
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenLoginResponse {
    /// Send as `Authorization: Bearer …`; it works only under `/api/v1/citizen/`.
    pub token: String,
    pub citizen: CitizenRef,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenCaseList {
    pub items: Vec<CitizenCaseRow>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingRequest {
    /// satisfied | basically_satisfied | dissatisfied ("dissatisfied" reopens the case)
    pub satisfaction: Option<String>,
    /// At most 500 characters.
    pub note: Option<String>,
}

/// Send a sign-in code by SMS (it lands in the outbox). The answer is the same whether the
/// phone is known or not; too many codes for a phone or from an address answer 429.
#[utoipa::path(post, path = "/api/v1/citizen/code", tag = "citizen", request_body = CodeRequest,
    responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    state.app.citizen_code_send(body.phone.as_deref(), &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sign in with the code: a citizen token. A wrong, used or expired code answers 401 and
/// counts toward the limit (429).
#[utoipa::path(post, path = "/api/v1/citizen/login", tag = "citizen", request_body = CitizenLoginRequest,
    responses((status = 200, body = CitizenLoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonBody(body): JsonBody<CitizenLoginRequest>,
) -> Result<Json<CitizenLoginResponse>, ApiError> {
    let (token, id) = state.app.citizen_login(body.phone.as_deref(), body.code.as_deref(), &client).await?;
    Ok(Json(CitizenLoginResponse { token, citizen: CitizenRef { id: id.get() } }))
}

/// End the citizen token.
#[utoipa::path(post, path = "/api/v1/citizen/logout", tag = "citizen", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    CitizenAuth(_citizen): CitizenAuth,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    state.app.citizen_logout(token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bring a dispute: the registration body of `POST /api/v1/cases` (its `channel` is ignored:
/// the case is `online`). The signed-in phone must be an applicant's.
#[utoipa::path(post, path = "/api/v1/citizen/cases", tag = "citizen", security(("bearer" = [])), request_body = CaseRegistration,
    responses((status = 201, body = CitizenCase), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    JsonBody(body): JsonBody<CaseRegistration>,
) -> Result<(StatusCode, Json<CitizenCase>), ApiError> {
    let case = state.app.citizen_case_register(&citizen, body).await?;
    Ok((StatusCode::CREATED, Json(case.into_api())))
}

/// The cases where the signed-in citizen is a party, and nothing else (newest first).
#[utoipa::path(get, path = "/api/v1/citizen/cases", tag = "citizen", security(("bearer" = [])),
    responses((status = 200, body = CitizenCaseList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
) -> Result<Json<CitizenCaseList>, ApiError> {
    Ok(Json(CitizenCaseList { items: state.app.citizen_cases(&citizen).await?.into_api() }))
}

/// One of the citizen's cases with its `timeline` in plain words and its `deadlines`; 404
/// for a case that is not theirs.
#[utoipa::path(get, path = "/api/v1/citizen/cases/{id}", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_case(&citizen, id).await?.into_api()))
}

/// The citizen's case a 解纷码 names (what its QR code opens); 404 when it names none of theirs.
#[utoipa::path(get, path = "/api/v1/citizen/tracking/{code}", tag = "citizen", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn by_tracking_code(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(code, _): InPath<String>,
) -> Result<Json<CitizenCase>, ApiError> {
    let id = state.app.citizen_case_by_tracking_code(&citizen, &code).await?;
    Ok(Json(state.app.citizen_case(&citizen, id).await?.into_api()))
}

/// Rate a concluded case; "dissatisfied" reopens it (the follow-up of the workflow). 409
/// before conclusion or once rated.
#[utoipa::path(post, path = "/api/v1/citizen/cases/{id}/rating", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RatingRequest,
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<RatingRequest>,
) -> Result<Json<CitizenCase>, ApiError> {
    let case = state.app.citizen_case_rate(&citizen, id, body.satisfaction.as_deref(), body.note.as_deref()).await?;
    Ok(Json(case.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EvidenceCommentRequest {
    /// 质证意见: at most 500 characters.
    pub text: Option<String>,
}

/// Add a photo or a document (PDF, PNG, JPEG; at most 10 MB) to one's case: the file is the
/// body, its type the `Content-Type`, its name `?name=`. Checked against its first bytes,
/// stored by SHA-256, the hash written into the case's history.
#[utoipa::path(post, path = "/api/v1/citizen/cases/{id}/evidence", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path), ("name" = Option<String>, Query)), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = EvidenceView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evidence_add(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
    Query(query): Query<EvidenceQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<EvidenceView>), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let bytes = axum::body::to_bytes(body, app::mediation::EVIDENCE_MAX_BYTES)
        .await
        .map_err(|_| app::mediation::evidence_too_large())?;
    let file = state.app.citizen_evidence_add(&citizen, id, query.name.as_deref(), content_type, &bytes).await?;
    Ok((StatusCode::CREATED, Json(file.into_api())))
}

/// One evidence file of one's case, as uploaded.
#[utoipa::path(get, path = "/api/v1/citizen/cases/{id}/evidence/{evidence_id}", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path), ("evidence_id" = i64, Path)),
    responses((status = 200, body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evidence_file(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath((id, evidence), _): InPath<(CaseId, EvidenceId)>,
) -> Result<Response, ApiError> {
    let (file, bytes) = state.app.citizen_evidence_file(&citizen, id, evidence).await?;
    Ok(evidence_response(file, bytes))
}

/// 质证: comment on an evidence file of one's case; the comment goes into the case's history
/// and shows under the file for every party.
#[utoipa::path(post, path = "/api/v1/citizen/cases/{id}/evidence/{evidence_id}/comments", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path), ("evidence_id" = i64, Path)), request_body = EvidenceCommentRequest,
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evidence_comment(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath((id, evidence), _): InPath<(CaseId, EvidenceId)>,
    JsonBody(body): JsonBody<EvidenceCommentRequest>,
) -> Result<Json<CitizenCase>, ApiError> {
    let case = state.app.citizen_evidence_comment(&citizen, id, evidence, body.text.as_deref()).await?;
    Ok(Json(case.into_api()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediatorOffers {
    /// The mediators the party may choose from, best suited first; empty once one is chosen.
    pub items: Vec<MediatorCandidate>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MediatorChoice {
    /// One of the offered mediators' `user_id`.
    pub user_id: Option<i64>,
}

/// 群众点单: the mediators offered for one's case, each with their profile (specialities,
/// languages, cases mediated and resolved, rating) and what speaks for them.
#[utoipa::path(get, path = "/api/v1/citizen/cases/{id}/mediators", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = MediatorOffers), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mediators(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<MediatorOffers>, ApiError> {
    Ok(Json(MediatorOffers { items: state.app.citizen_mediator_offers(&citizen, id).await?.into_api() }))
}

/// 群众点单: choose the mediator of one's case from those offered; 409 once one is chosen,
/// 422 for a mediator not offered.
#[utoipa::path(put, path = "/api/v1/citizen/cases/{id}/mediator", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = MediatorChoice,
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mediator_choose(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<MediatorChoice>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_mediator_choose(&citizen, id, body.user_id).await?.into_api()))
}

/// A party's own step at a session of their case: `rights` (the rights and duties notice
/// read), `consent` (to the mediator after the disclosure), `minutes` (the minutes
/// confirmed); each once (409 again), each in the case's history. 404 for a session of a case
/// that is not theirs.
#[utoipa::path(post, path = "/api/v1/citizen/sessions/{id}/{act}", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path), ("act" = String, Path, description = "rights | consent | minutes")),
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn session_act(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath((id, act), _): InPath<(SessionId, String)>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_session_act(&citizen, id, &act).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CitizenSignatureRequest {
    /// The handwritten signature as a PNG data URL (`data:image/png;base64,…`).
    pub signature: Option<String>,
}

/// Sign an agreement of one's case that was sent for signing: the sign-in by SMS code stands
/// for the link's code; 409 when it is not being signed, already signed or out of time.
#[utoipa::path(post, path = "/api/v1/citizen/agreements/{id}/signature", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CitizenSignatureRequest,
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn agreement_sign(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<AgreementId>,
    JsonBody(body): JsonBody<CitizenSignatureRequest>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_agreement_sign(&citizen, id, body.signature.as_deref()).await?.into_api()))
}

/// What the signed-in citizen has told of themselves: their phone (masked) and, after 实名认证,
/// their name and ID number (masked).
#[utoipa::path(get, path = "/api/v1/citizen/profile", tag = "citizen", security(("bearer" = [])),
    responses((status = 200, body = CitizenProfile), (status = 401, body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
) -> Result<Json<CitizenProfile>, ApiError> {
    Ok(Json(state.app.citizen_profile(&citizen).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RealNameRequest {
    pub name: Option<String>,
    /// 公民身份号码 (GB 11643, 18 characters, checked).
    pub id_number: Option<String>,
}

/// 实名认证: give one's name and ID number, kept encrypted. From then on every case where a
/// party has that ID number and that name is the citizen's too, whatever phone it was
/// registered with. Once (409 again); one ID number belongs to one citizen (409).
#[utoipa::path(post, path = "/api/v1/citizen/profile/real-name", tag = "citizen", security(("bearer" = [])),
    request_body = RealNameRequest,
    responses((status = 200, body = CitizenProfile), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn real_name(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    JsonBody(body): JsonBody<RealNameRequest>,
) -> Result<Json<CitizenProfile>, ApiError> {
    Ok(Json(state.app.citizen_real_name(&citizen, body.name.as_deref(), body.id_number.as_deref()).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefusalRequest {
    /// Why mediation is refused (at most 500 characters).
    pub reason: Option<String>,
}

/// 拒绝调解 (人民调解法 art. 17): the party expressly refuses mediation of their case. Recorded
/// in the history; scheduled sessions are cancelled and no other can be scheduled; the
/// handling unit concludes the case `refused`. 409 once the case is concluded or a party has
/// refused.
#[utoipa::path(post, path = "/api/v1/citizen/cases/{id}/refusal", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RefusalRequest,
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refuse(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<RefusalRequest>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_mediation_refuse(&citizen, id, body.reason.as_deref()).await?.into_api()))
}

/// Consent to the joint application for judicial confirmation (人民调解法 art. 33) of an
/// agreement in effect, within its 30 days; recorded once in the history, for the mediator to
/// file with the court. 409 when the agreement is not in effect, already filed, out of time,
/// or consented already; 403 for a third party.
#[utoipa::path(post, path = "/api/v1/citizen/agreements/{id}/confirmation-consent", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CitizenCase), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirmation_consent(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<AgreementId>,
) -> Result<Json<CitizenCase>, ApiError> {
    Ok(Json(state.app.citizen_confirmation_consent(&citizen, id).await?.into_api()))
}

/// 送达: the party's served copy of an agreement (PDF); the first download records the receipt
/// (送达回执) in the history. 409 when no copy was served on them.
#[utoipa::path(get, path = "/api/v1/citizen/agreements/{id}/served", tag = "citizen", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn served(
    State(state): State<AppState>,
    CitizenAuth(citizen): CitizenAuth,
    InPath(id, _): InPath<AgreementId>,
) -> Result<Response, ApiError> {
    let (bytes, number) = state.app.citizen_service_receive(&citizen, id).await?;
    Ok(super::mediation::pdf_response(bytes, &number))
}
