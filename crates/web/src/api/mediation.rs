//! Mediation to agreement: drafting, signing by one-time link and code, the mediator's
//! signature and the seal, the PDF, electronic service, judicial confirmation, performance,
//! evidence, mediator suggestions and the SMS outbox.

use app::Viewer;
use app::mediation::AgreementInput;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::{AgreementId, CaseId, EvidenceId, UnitId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{AgreementView, EvidenceView, IntoApi, MediatorCandidate, OutboxMessage, SigningView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, AuthOrGranted, InPath, JsonBody, Permitted, gate};

/// The site's own address as the client reached it, for links sent by SMS.
pub fn site(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A signing link as the SMS carries it.
pub fn signing_link(headers: &HeaderMap) -> impl Fn(&str) -> String {
    signing_link_on(site(headers))
}

/// A signing link on `site` (the address the browser reached the site at).
pub fn signing_link_on(site: String) -> impl Fn(&str) -> String {
    move |token: &str| format!("{site}/sign/{token}")
}

/// A service link (电子送达) as the SMS carries it.
pub fn service_link(headers: &HeaderMap) -> impl Fn(&str) -> String {
    let site = site(headers);
    move |token: &str| format!("{site}/served/{token}")
}

pub fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    let disposition = format!("inline; filename=\"{name}.pdf\"");
    ([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

/// Draft the mediation agreement of a case (人民调解法 art. 29). An oral agreement (`form:
/// oral`) is recorded by the mediator and takes effect at once (arts. 28, 30).
#[utoipa::path(post, path = "/api/v1/cases/{id}/agreements", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = AgreementInput,
    responses((status = 201, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Mediate>,
    InPath(case, _): InPath<CaseId>,
    JsonBody(body): JsonBody<AgreementInput>,
) -> Result<(StatusCode, Json<AgreementView>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.agreement_draft(&viewer, case, body).await?.into_api())))
}

/// The agreements of a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/agreements", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AgreementView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_case(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    Ok(Json(state.app.agreements_of_case(&viewer, case).await?.into_api()))
}

/// The agreement, its signatures and `effective_at`, its service, confirmation and performance
/// — also for the referring court's system account (granted `referrals_read`) by `X-Api-Key`.
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "mediation", security(("bearer" = []), ("api_key" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    AuthOrGranted(viewer, _): AuthOrGranted<gate::ReferralsRead>,
    InPath(id, _): InPath<AgreementId>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_get(&viewer, id).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevisionRequest {
    /// The revision last read: a stale one is refused (409).
    pub revision: Option<i64>,
    #[serde(flatten)]
    pub agreement: AgreementInput,
}

/// Edit a draft.
#[utoipa::path(put, path = "/api/v1/agreements/{id}", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = RevisionRequest,
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Mediate>,
    InPath(id, _): InPath<AgreementId>,
    JsonBody(body): JsonBody<RevisionRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_revise(&viewer, id, body.revision, body.agreement).await?.into_api()))
}

/// Send the draft for signing: each party gets a one-time link and a verification code by SMS.
/// Agreements on personal status must be signed on paper (409).
#[utoipa::path(post, path = "/api/v1/agreements/{id}/signing", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_signing(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<AgreementId>,
    headers: HeaderMap,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_signing_start(&viewer, id, signing_link(&headers)).await?.into_api()))
}

/// Send one party a new signing link and code by SMS (the old ones stop working): at most 3
/// times per party, 60 s apart — sooner is 429 with `Retry-After`, past the third 409. The
/// delivery of each party's SMS is the agreement's `signing_sms`.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/parties/{index}/resend", tag = "mediation", security(("bearer" = [])),
    params(("id" = i64, Path), ("index" = usize, Path, description = "the party's place among the agreement's parties, from 0")),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody, headers(("Retry-After" = i64, description = "seconds until a resend is allowed")))))]
pub async fn resend(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Mediate>,
    InPath((id, index), _): InPath<(AgreementId, String)>,
    headers: HeaderMap,
) -> Result<Json<AgreementView>, ApiError> {
    let index = index.parse().map_err(|_| ApiError::not_found("party"))?;
    Ok(Json(state.app.agreement_signing_resend(&viewer, id, index, signing_link(&headers)).await?.into_api()))
}

/// The links of the parties yet to sign, to pass on another way than SMS (the codes still go
/// only by SMS).
#[utoipa::path(get, path = "/api/v1/agreements/{id}/signing-links", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SigningLink>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn signing_links(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Mediate>,
    InPath(id, _): InPath<AgreementId>,
    headers: HeaderMap,
) -> Result<Json<Vec<SigningLink>>, ApiError> {
    let links = state.app.agreement_signing_links(&viewer, id, signing_link(&headers)).await?;
    Ok(Json(links.into_iter().map(|(party_index, url)| SigningLink { party_index, url }).collect()))
}

/// A party's current signing link.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningLink {
    pub party_index: usize,
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignatureRequest {
    /// The handwritten signature: `data:image/png;base64,…`
    pub signature: Option<String>,
    /// The verification code from the SMS (party signatures).
    pub code: Option<String>,
}

/// The mediator signs.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/mediator-signature", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = SignatureRequest,
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mediator_sign(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::AgreementMediatorSign>,
    InPath(id, _): InPath<AgreementId>,
    JsonBody(body): JsonBody<SignatureRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_mediator_sign(&viewer, id, body.signature.as_deref()).await?.into_api()))
}

/// Apply the committee's electronic seal: the agreement takes effect at the last signature or
/// the seal; its PDF copies are fixed and their hashes recorded.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/seal", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn seal(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<AgreementId>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_seal(&viewer, id).await?.into_api()))
}

/// Record a written agreement signed on paper (required for personal relations, Electronic
/// Signature Law art. 3): it takes effect now; its copies are fixed.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/paper-signed", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn paper_signed(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<AgreementId>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_paper_signed(&viewer, id).await?.into_api()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CopyQuery {
    /// archive (default) | party-0 | party-1 …
    copy: Option<String>,
}

/// The agreement as `application/pdf`: the copies fixed when it took effect, or the draft —
/// also for the referring court's system account (granted `referrals_read`) by `X-Api-Key`.
#[utoipa::path(get, path = "/api/v1/agreements/{id}/pdf", tag = "mediation", security(("bearer" = []), ("api_key" = [])), params(("id" = i64, Path), CopyQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    AuthOrGranted(viewer, _): AuthOrGranted<gate::ReferralsRead>,
    InPath(id, _): InPath<AgreementId>,
    Query(query): Query<CopyQuery>,
) -> Result<Response, ApiError> {
    let copy = query.copy.unwrap_or_else(|| "archive".to_owned());
    let (bytes, name) = state.app.agreement_pdf(&viewer, id, &copy).await?;
    Ok(pdf_response(bytes, &name))
}

/// Serve the effective agreement on every party (电子送达): a link to their copy by SMS;
/// opening it records the receipt.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/service", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn serve(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<AgreementId>,
    headers: HeaderMap,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(state.app.agreement_serve(&viewer, id, service_link(&headers)).await?.into_api()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmationRequest {
    /// The parties applying (indexes into `parties`): both sides must (art. 33).
    pub applicants: Option<Vec<usize>>,
    /// The court; by default the basic-level court of the case's area.
    pub court_unit_id: Option<i64>,
}

/// The parties' joint application for judicial confirmation, within 30 days of `effective_at`.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/confirmation", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = ConfirmationRequest,
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply_confirmation(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Mediate>,
    InPath(id, _): InPath<AgreementId>,
    JsonBody(body): JsonBody<ConfirmationRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(
        state.app.confirmation_apply(&viewer, id, body.applicants, body.court_unit_id.map(UnitId)).await?.into_api(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RulingRequest {
    /// confirmed | rejected
    pub decision: Option<String>,
    /// Required when rejected.
    pub reasons: Option<String>,
}

/// The court rules: the agreement confirmed (enforceable), or rejected with reasons.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/ruling", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = RulingRequest,
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ruling(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::ConfirmationRule>,
    InPath(id, _): InPath<AgreementId>,
    JsonBody(body): JsonBody<RulingRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    Ok(Json(
        state.app.confirmation_rule(&viewer, id, body.decision.as_deref(), body.reasons.as_deref()).await?.into_api(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PerformanceRequest {
    /// The term's index.
    pub term: Option<usize>,
    /// performed | breached
    pub status: Option<String>,
    pub note: Option<String>,
}

/// Record performance of a term (履行) or its breach.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/performance", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = PerformanceRequest,
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn performance(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::Mediate>,
    InPath(id, _): InPath<AgreementId>,
    JsonBody(body): JsonBody<PerformanceRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    let (status, note) = (body.status.as_deref(), body.note.as_deref());
    Ok(Json(state.app.performance_record(&viewer, id, body.term, status, note).await?.into_api()))
}

/// What a signing link shows its party (no sign-in: the link is the credential).
#[utoipa::path(get, path = "/api/v1/sign/{token}", tag = "mediation", params(("token" = String, Path)),
    responses((status = 200, body = SigningView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn signing_view(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<SigningView>, ApiError> {
    Ok(Json(state.app.signing_view(&token).await?.into_api()))
}

/// A party signs through their one-time link with the code from the SMS and a handwritten
/// signature. A wrong code, an expired link or a second signature is refused.
#[utoipa::path(post, path = "/api/v1/sign/{token}", tag = "mediation", params(("token" = String, Path)), request_body = SignatureRequest,
    responses((status = 200, body = SigningView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(body): JsonBody<SignatureRequest>,
) -> Result<Json<SigningView>, ApiError> {
    Ok(Json(
        state.app.agreement_sign_by_link(&token, body.code.as_deref(), body.signature.as_deref()).await?.into_api(),
    ))
}

/// A party opens their delivered copy: the receipt is recorded, the PDF shown.
pub async fn served(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, ApiError> {
    let (bytes, number) = state.app.service_open(&token).await?;
    Ok(pdf_response(bytes, &number))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// The file's name.
    pub name: Option<String>,
}

/// Upload evidence: the request body is the file (PDF, PNG or JPEG, at most 10 MiB),
/// `Content-Type` its type; its SHA-256 goes into the case history.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path), EvidenceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = EvidenceView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evidence_upload(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
    Query(query): Query<EvidenceQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<EvidenceView>), ApiError> {
    Ok((StatusCode::CREATED, Json(evidence_add(&state, &viewer, case, query, &headers, body).await?.into_api())))
}

/// Reads an uploaded evidence file (at most [`app::mediation::EVIDENCE_MAX_BYTES`]) and adds
/// it to the case (shared by the API and the UI).
pub async fn evidence_add(
    state: &AppState,
    viewer: &Viewer,
    case: CaseId,
    query: EvidenceQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<app::mediation::EvidenceView, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let bytes = axum::body::to_bytes(body, app::mediation::EVIDENCE_MAX_BYTES)
        .await
        .map_err(|_| app::mediation::evidence_too_large())?;
    Ok(state.app.evidence_add(viewer, case, query.name.as_deref(), content_type, &bytes).await?)
}

/// A case's evidence files.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EvidenceView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evidence_list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Vec<EvidenceView>>, ApiError> {
    Ok(Json(state.app.evidence_list(&viewer, case).await?.into_api()))
}

/// One evidence file, as uploaded (its content checked against its SHA-256).
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{evidence_id}", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path), ("evidence_id" = i64, Path)),
    responses((status = 200, body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evidence_file(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((case, evidence), _): InPath<(CaseId, EvidenceId)>,
) -> Result<Response, ApiError> {
    evidence_download(&state, &viewer, case, evidence).await
}

/// The evidence file's bytes with its type (shared by the API and the UI).
pub async fn evidence_download(
    state: &AppState,
    viewer: &Viewer,
    case: CaseId,
    evidence: EvidenceId,
) -> Result<Response, ApiError> {
    let (file, bytes) = state.app.evidence_file(viewer, case, evidence).await?;
    Ok(evidence_response(file, bytes))
}

/// An evidence file as a download (never shown inside our origin).
pub fn evidence_response(file: app::mediation::EvidenceView, bytes: Vec<u8>) -> Response {
    let disposition = attachment(&file.name, &file.content_type);
    ([(header::CONTENT_TYPE, file.content_type), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
}

/// `Content-Disposition: attachment` for an uploaded file: the browser saves it rather than
/// showing it in our origin. The name the uploader gave travels only percent-encoded
/// (RFC 6266 `filename*`); the plain `filename` is a safe ASCII stand-in.
fn attachment(name: &str, content_type: &str) -> String {
    let extension = match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "bin",
    };
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"evidence.{extension}\"; filename*=UTF-8''{encoded}")
}

/// Mediators for the case, best first, each with the reasons (speciality, region, load, rating).
#[utoipa::path(get, path = "/api/v1/cases/{id}/mediators", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MediatorCandidate>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mediators(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Vec<MediatorCandidate>>, ApiError> {
    Ok(Json(state.app.mediator_suggestions(&viewer, case).await?.into_api()))
}

/// The SMS outbox (administrators): what the built-in gateway kept, or what a real one sent.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "mediation", security(("bearer" = [])),
    responses((status = 200, body = Vec<OutboxMessage>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn outbox(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    Ok(Json(state.app.outbox(&viewer, 200).await?.into_api()))
}
