//! Mediation to agreement: drafting, signing by one-time link and code, the mediator's
//! signature and the seal, the PDF, electronic service, judicial confirmation, performance,
//! evidence, mediator suggestions and the SMS outbox.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use domain::mediation::{AgreementInput, MediatorCandidate};
use domain::validation::{Checker, FieldError, Message};
use serde::Deserialize;
use store::Viewer;
use store::mediation::{AgreementView, EvidenceView, NewEvidence, OutboxMessage, SigningView};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::documents;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, JsonBody, path_id};

/// The largest evidence file accepted.
pub const EVIDENCE_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The largest handwritten signature image accepted.
pub const SIGNATURE_MAX_BYTES: usize = 512 * 1024;
/// Evidence types accepted, with the first bytes each must start with.
const EVIDENCE_TYPES: &[(&str, &[u8])] =
    &[("application/pdf", b"%PDF-"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff")];

/// The site's own address as the client reached it, for links sent by SMS.
pub fn site(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    let disposition = format!("inline; filename=\"{name}.pdf\"");
    ([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

/// A handwritten signature sent as a PNG data URL; stored by its hash.
pub fn signature_image(state: &AppState, data_url: Option<&str>) -> Result<String, ApiError> {
    let bad =
        |zh: &str, en: &str| ApiError::field(FieldError::new("signature", "invalid_signature", Message::new(zh, en)));
    let data_url = data_url
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::field(FieldError::required("signature")))?;
    let encoded = data_url
        .strip_prefix("data:image/png;base64,")
        .ok_or_else(|| bad("签名应为手写签名图片（PNG）", "signature must be a PNG data URL"))?;
    if encoded.len() > SIGNATURE_MAX_BYTES * 4 / 3 + 4 {
        return Err(bad("签名图片过大", "the signature image is too large"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| bad("签名图片无法读取", "the signature image cannot be read"))?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(bad("签名应为 PNG 图片", "the signature must be a PNG image"));
    }
    Ok(state.blobs.put(&bytes)?)
}

/// Draft the mediation agreement of a case (人民调解法 art. 29). An oral agreement (`form:
/// oral`) is recorded by the mediator and takes effect at once (arts. 28, 30).
#[utoipa::path(post, path = "/api/v1/cases/{id}/agreements", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)), request_body = AgreementInput,
    responses((status = 201, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<AgreementInput>,
) -> Result<(StatusCode, Json<AgreementView>), ApiError> {
    let case = path_id(&case, "case")?;
    Ok((StatusCode::CREATED, Json(draft(&state, &viewer, case, body).await?)))
}

/// Drafts an agreement (shared by the API and the UI).
pub async fn draft(
    state: &AppState,
    viewer: &Viewer,
    case: i64,
    body: AgreementInput,
) -> Result<AgreementView, ApiError> {
    let description = state.store.case_get(viewer, case, None, state.now()).await?.description;
    let (content, form) = body.validate(&description).map_err(ApiError::invalid)?;
    let view = state.store.agreement_create(viewer, case, content, form, state.now()).await?;
    documents::fix_copies(state, &view).await?;
    Ok(state.store.agreement_get(viewer, view.id).await?)
}

/// The agreements of a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/agreements", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AgreementView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_case(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(case): Path<String>,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    let case = path_id(&case, "case")?;
    Ok(Json(state.store.agreements_of_case(&viewer, case).await?))
}

/// The agreement, its signatures and `effective_at`, its service, confirmation and performance.
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(state.store.agreement_get(&viewer, id).await?))
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
    Auth(viewer): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RevisionRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(revise(&state, &viewer, id, body).await?))
}

/// Edits a draft (shared by the API and the UI).
pub async fn revise(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    body: RevisionRequest,
) -> Result<AgreementView, ApiError> {
    let current = state.store.agreement_get(viewer, id).await?;
    let revision = body.revision.ok_or_else(|| ApiError::field(FieldError::required("revision")))?;
    let (content, _) = body.agreement.validate(&current.content.facts).map_err(ApiError::invalid)?;
    Ok(state.store.agreement_update(viewer, id, content, revision, state.now()).await?)
}

/// Send the draft for signing: each party gets a one-time link and a verification code by SMS.
/// Agreements on personal status must be signed on paper (409).
#[utoipa::path(post, path = "/api/v1/agreements/{id}/signing", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_signing(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    let site = site(&headers);
    let link = |token: &str| format!("{site}/sign/{token}");
    Ok(Json(state.store.agreement_start_signing(&viewer, id, link, state.now()).await?))
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
    Auth(viewer): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SignatureRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(mediator_signature(&state, &viewer, id, body.signature.as_deref()).await?))
}

/// The mediator's signature (shared by the API and the UI).
pub async fn mediator_signature(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    signature: Option<&str>,
) -> Result<AgreementView, ApiError> {
    state.store.agreement_get(viewer, id).await?;
    let signature = signature_image(state, signature)?;
    Ok(state.store.agreement_mediator_sign(viewer, id, &signature, state.now()).await?)
}

/// Apply the committee's electronic seal: the agreement takes effect at the last signature or
/// the seal; its PDF copies are fixed and their hashes recorded.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/seal", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn seal(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(apply_seal(&state, &viewer, id).await?))
}

/// Seals, then fixes the copies (shared by the API and the UI).
pub async fn apply_seal(state: &AppState, viewer: &Viewer, id: i64) -> Result<AgreementView, ApiError> {
    let view = state.store.agreement_seal(viewer, id, state.now()).await?;
    documents::fix_copies(state, &view).await?;
    Ok(state.store.agreement_get(viewer, id).await?)
}

/// Record a written agreement signed on paper (required for personal relations, Electronic
/// Signature Law art. 3): it takes effect now; its copies are fixed.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/paper-signed", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn paper_signed(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(record_paper_signing(&state, &viewer, id).await?))
}

/// Paper signing, then the copies (shared by the API and the UI).
pub async fn record_paper_signing(state: &AppState, viewer: &Viewer, id: i64) -> Result<AgreementView, ApiError> {
    let view = state.store.agreement_paper_signed(viewer, id, state.now()).await?;
    documents::fix_copies(state, &view).await?;
    Ok(state.store.agreement_get(viewer, id).await?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CopyQuery {
    /// archive (default) | party-0 | party-1 …
    copy: Option<String>,
}

/// The agreement as `application/pdf`: the copies fixed when it took effect, or the draft.
#[utoipa::path(get, path = "/api/v1/agreements/{id}/pdf", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path), CopyQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
    Query(query): Query<CopyQuery>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "agreement")?;
    let view = state.store.agreement_get(&viewer, id).await?;
    let copy = query.copy.unwrap_or_else(|| "archive".to_owned());
    let bytes = documents::pdf(&state, &view, &copy).await?;
    Ok(pdf_response(bytes, &format!("{}-{copy}", view.case_number)))
}

/// Serve the effective agreement on every party (电子送达): a link to their copy by SMS;
/// opening it records the receipt.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/service", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn serve(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    let site = site(&headers);
    let link = |token: &str| format!("{site}/served/{token}");
    Ok(Json(state.store.agreement_serve(&viewer, id, link, state.now()).await?))
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
    Auth(viewer): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ConfirmationRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(apply(&state, &viewer, id, body).await?))
}

/// The joint application (shared by the API and the UI).
pub async fn apply(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    body: ConfirmationRequest,
) -> Result<AgreementView, ApiError> {
    let applicants = body.applicants.ok_or_else(|| ApiError::field(FieldError::required("applicants")))?;
    Ok(state.store.confirmation_apply(viewer, id, &applicants, body.court_unit_id, state.now()).await?)
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
    Auth(viewer): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RulingRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(rule(&state, &viewer, id, body).await?))
}

/// The court's ruling (shared by the API and the UI).
pub async fn rule(state: &AppState, viewer: &Viewer, id: i64, body: RulingRequest) -> Result<AgreementView, ApiError> {
    let mut c = Checker::default();
    let decision = c.required_text("decision", body.decision.as_deref(), 16);
    let reasons = c.optional_text("reasons", body.reasons.as_deref(), 5000);
    let confirmed = match decision.as_deref() {
        Some("confirmed") => Some(true),
        Some("rejected") => Some(false),
        Some(_) => {
            c.push(FieldError::not_one_of("decision", "confirmed | rejected"));
            None
        }
        None => None,
    };
    c.into_result().map_err(ApiError::invalid)?;
    let confirmed = confirmed.ok_or_else(|| ApiError::invalid(Vec::new()))?;
    Ok(state.store.confirmation_rule(viewer, id, confirmed, reasons, state.now()).await?)
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
    Auth(viewer): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PerformanceRequest>,
) -> Result<Json<AgreementView>, ApiError> {
    let id = path_id(&id, "agreement")?;
    Ok(Json(record_performance(&state, &viewer, id, body).await?))
}

/// Performance of a term (shared by the API and the UI).
pub async fn record_performance(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    body: PerformanceRequest,
) -> Result<AgreementView, ApiError> {
    let mut c = Checker::default();
    if body.term.is_none() {
        c.push(FieldError::required("term"));
    }
    let performed = match body.status.as_deref().map(str::trim) {
        Some("performed") => Some(true),
        Some("breached") => Some(false),
        Some(_) => {
            c.push(FieldError::not_one_of("status", "performed | breached"));
            None
        }
        None => {
            c.push(FieldError::required("status"));
            None
        }
    };
    let note = c.optional_text("note", body.note.as_deref(), 2000);
    c.into_result().map_err(ApiError::invalid)?;
    let (Some(term), Some(performed)) = (body.term, performed) else { return Err(ApiError::invalid(Vec::new())) };
    Ok(state.store.performance_record(viewer, id, term, performed, note, state.now()).await?)
}

/// What a signing link shows its party (no sign-in: the link is the credential).
#[utoipa::path(get, path = "/api/v1/sign/{token}", tag = "mediation", params(("token" = String, Path)),
    responses((status = 200, body = SigningView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn signing_view(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<SigningView>, ApiError> {
    Ok(Json(state.store.signing_view(&token, state.now()).await?))
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
    Ok(Json(sign_with(&state, &token, body.code.as_deref(), body.signature.as_deref()).await?))
}

/// Signing by link, shared by the API and the signing page.
pub async fn sign_with(
    state: &AppState,
    token: &str,
    code: Option<&str>,
    signature: Option<&str>,
) -> Result<SigningView, ApiError> {
    let view = state.store.signing_view(token, state.now()).await?;
    if view.signed_at.is_some() {
        return Err(store::StoreError::conflict(
            "already_signed",
            "您已签署过该协议，不能重复签署",
            "you have already signed this agreement",
        )
        .into());
    }
    let mut c = Checker::default();
    let code = c.required_text("code", code, 12);
    c.into_result().map_err(ApiError::invalid)?;
    let signature = signature_image(state, signature)?;
    Ok(state.store.sign_by_link(token, code.as_deref().unwrap_or_default(), &signature, state.now()).await?)
}

/// A party opens their delivered copy: the receipt is recorded, the PDF shown.
pub async fn served(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, ApiError> {
    let (document, number) = state.store.service_open(&token, state.now()).await?;
    Ok(pdf_response(state.blobs.get(&document)?, &number))
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
    Path(case): Path<String>,
    Query(query): Query<EvidenceQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<EvidenceView>), ApiError> {
    let case = path_id(&case, "case")?;
    Ok((StatusCode::CREATED, Json(store_evidence(&state, &viewer, case, query, &headers, body).await?)))
}

/// Checks an evidence file's type, content and size, stores it by hash and records it
/// (shared by the API and the UI).
pub async fn store_evidence(
    state: &AppState,
    viewer: &Viewer,
    case: i64,
    query: EvidenceQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<EvidenceView, ApiError> {
    state.store.case_get(viewer, case, None, state.now()).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let content_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some((_, magic)) = EVIDENCE_TYPES.iter().find(|(t, _)| *t == content_type) else {
        let accepted: Vec<&str> = EVIDENCE_TYPES.iter().map(|(t, _)| *t).collect();
        return Err(ApiError::field(FieldError::new(
            "content_type",
            "forbidden_type",
            Message::new(
                format!("不接受此类文件（{content_type}），可上传：{}", accepted.join("、")),
                format!("files of type {content_type:?} are not accepted; accepted: {}", accepted.join(", ")),
            ),
        )));
    };
    let bytes = axum::body::to_bytes(body, EVIDENCE_MAX_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("证据文件超过 {} MB 的上限", EVIDENCE_MAX_BYTES / 1024 / 1024),
            format!("the evidence file exceeds {} MB", EVIDENCE_MAX_BYTES / 1024 / 1024),
        )
    })?;
    if bytes.is_empty() || !bytes.starts_with(magic) {
        return Err(ApiError::field(FieldError::new(
            "content_type",
            "content_mismatch",
            Message::new("文件内容与声明的类型不符", "the file's content does not match its declared type"),
        )));
    }
    let name = query.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("evidence");
    if name.chars().count() > 200 {
        return Err(ApiError::field(FieldError::too_long("name", 200)));
    }
    let sha = state.blobs.put(&bytes)?;
    let file = NewEvidence { name, content_type: &content_type, size: bytes.len() as i64, sha256: &sha };
    Ok(state.store.evidence_add(viewer, case, file, state.now()).await?)
}

/// A case's evidence files.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EvidenceView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evidence_list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(case): Path<String>,
) -> Result<Json<Vec<EvidenceView>>, ApiError> {
    let case = path_id(&case, "case")?;
    Ok(Json(state.store.evidence_list(&viewer, case).await?))
}

/// One evidence file, as uploaded (its content checked against its SHA-256).
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{evidence_id}", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path), ("evidence_id" = i64, Path)),
    responses((status = 200, body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evidence_file(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path((case, evidence)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    evidence_download(&state, &viewer, &case, &evidence).await
}

/// The evidence file's bytes with its type (shared by the API and the UI).
pub async fn evidence_download(
    state: &AppState,
    viewer: &Viewer,
    case: &str,
    evidence: &str,
) -> Result<Response, ApiError> {
    let case = path_id(case, "case")?;
    let evidence = path_id(evidence, "evidence")?;
    let file = state.store.evidence_get(viewer, case, evidence).await?;
    let bytes = state.blobs.get(&file.sha256)?;
    Ok(([(header::CONTENT_TYPE, file.content_type)], bytes).into_response())
}

/// Mediators for the case, best first, each with the reasons (speciality, region, load, rating).
#[utoipa::path(get, path = "/api/v1/cases/{id}/mediators", tag = "mediation", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MediatorCandidate>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mediators(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(case): Path<String>,
) -> Result<Json<Vec<MediatorCandidate>>, ApiError> {
    let case = path_id(&case, "case")?;
    Ok(Json(state.store.mediator_suggestions(&viewer, case).await?))
}

/// The SMS outbox (administrators): what the built-in gateway kept, or what a real one sent.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "mediation", security(("bearer" = [])),
    responses((status = 200, body = Vec<OutboxMessage>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn outbox(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    Ok(Json(state.store.outbox(&viewer, 200).await?))
}
