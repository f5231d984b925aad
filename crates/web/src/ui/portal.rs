//! 群众端 `/portal`: the citizen's own pages, phone first — sign in by phone and a code from
//! the SMS, bring a dispute, follow one's cases (timeline in plain words, who handles it,
//! deadlines, 解纷码), rate the result. The citizen's token sits in its own cookie
//! (`fq_citizen`), never in a staff session's; every form carries the double-submit token.

use std::collections::BTreeMap;

use app::AppError;
use app::citizens::{Citizen, CitizenCase, CitizenCaseRow, CitizenProfile};
use app::mediation::MediatorCandidate;
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::case::{CaseRegistration, LocationInput, PartyInput};
use domain::ids::{AgreementId, CaseId, EvidenceId, SessionId};
use domain::msg;
use domain::validation::Message;
use serde::{Deserialize, Serialize};

use super::cases::UnitNames;
use super::i18n::T;
use super::qr;
use super::session::{CSRF_FIELD, FormData, cookie, public_form_ok, public_form_token, read_form};
use super::{UiError, current_ui_lang, render};
use crate::AppState;
use crate::api::mediation::{evidence_response, site};
use crate::error::ApiError;
use crate::extract::ClientAddr;

pub const CITIZEN_COOKIE: &str = "fq_citizen";

/// Each field's error, in the page's language, by the field's name in the form.
type FieldErrors = BTreeMap<String, String>;

#[derive(Template)]
#[template(path = "portal_signin.html")]
struct SignInPage {
    t: T,
    csrf: String,
    phone: String,
    code_sent: bool,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "portal_cases.html")]
struct CasesPage {
    t: T,
    csrf: String,
    cases: Vec<CitizenCaseRow>,
    real_named: bool,
}

#[derive(Template)]
#[template(path = "portal_case.html")]
struct CasePage {
    t: T,
    csrf: String,
    case: CitizenCase,
    /// 点单: the mediators the party may choose from (none once one is chosen).
    offers: Vec<MediatorCandidate>,
    /// The 解纷码 as a QR code (inline SVG).
    tracking_qr: String,
    /// Just sent from the dispute form: the draft kept on the phone can go.
    draft_sent: bool,
    errors: FieldErrors,
}

impl CasePage {
    /// The party's next step on this case, as a label and the part of the page it is in: the
    /// phone shows it first.
    fn next_step(&self) -> Option<(&'static str, String)> {
        let case = &self.case;
        if let Some(a) = case.agreements.iter().find(|a| a.may_sign) {
            return Some(("签署调解协议", format!("agreement-{}", a.id)));
        }
        if let Some(a) = case.agreements.iter().find(|a| a.served_at.is_some() && a.received_at.is_none()) {
            return Some(("查收调解协议书", format!("agreement-{}", a.id)));
        }
        let pending = |s: &&app::citizens::CitizenSession| {
            s.status == "scheduled" && (!s.rights_acknowledged || !s.consented)
                || s.minutes.is_some() && !s.minutes_confirmed
        };
        if let Some(s) = case.sessions.iter().find(pending) {
            return Some(("确认调解安排", format!("session-{}", s.id)));
        }
        if !self.offers.is_empty() {
            return Some(("选择调解员", "mediator".into()));
        }
        if let Some(a) = case.agreements.iter().find(|a| a.may_consent_confirmation) {
            return Some(("是否申请司法确认", format!("agreement-{}", a.id)));
        }
        (case.case.status.as_str() == "concluded").then(|| ("评价办理结果", "rating".into()))
    }
}

/// What the dispute form holds, as typed.
#[derive(Default)]
struct Draft {
    name: String,
    phone: String,
    respondent: String,
    respondent_phone: String,
    description: String,
    address: String,
    amount: String,
    people_count: String,
}

impl Draft {
    fn of(form: &FormData) -> Self {
        let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
        Draft {
            name: text("name"),
            phone: text("phone"),
            respondent: text("respondent"),
            respondent_phone: text("respondent_phone"),
            description: text("description"),
            address: text("address"),
            amount: text("amount"),
            people_count: text("people_count"),
        }
    }

    /// The registration the form stands for: the citizen as applicant, the other side (when
    /// named) as respondent.
    fn registration(&self) -> CaseRegistration {
        let some = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
        let mut parties = vec![PartyInput {
            role: Some("applicant".into()),
            name: some(&self.name),
            phone: some(&self.phone),
            ..PartyInput::default()
        }];
        if !self.respondent.is_empty() {
            parties.push(PartyInput {
                role: Some("respondent".into()),
                name: some(&self.respondent),
                phone: some(&self.respondent_phone),
                ..PartyInput::default()
            });
        }
        let people_count = match self.people_count.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) if self.people_count.is_empty() => None,
            Err(_) => Some(0),
        };
        CaseRegistration {
            description: some(&self.description),
            amount: some(&self.amount).map(serde_json::Value::String),
            people_count,
            location: Some(LocationInput { address: some(&self.address), ..LocationInput::default() }),
            parties: Some(parties),
            ..CaseRegistration::default()
        }
    }
}

#[derive(Template)]
#[template(path = "portal_new.html")]
struct NewPage {
    t: T,
    csrf: String,
    draft: Draft,
    errors: FieldErrors,
}

fn t() -> T {
    T { lang: current_ui_lang() }
}

/// Renders a portal page with a fresh form token (and its cookie).
fn page(status: StatusCode, build: impl FnOnce(String) -> Response) -> Response {
    let (csrf, cookie) = public_form_token();
    let mut response = build(csrf);
    *response.status_mut() = status;
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// The errors of a refused request by field: each field's message, or the whole message
/// under `fallback` when no field is named.
fn field_errors(error: &ApiError, fallback: &str) -> FieldErrors {
    let t = t();
    let mut errors = FieldErrors::new();
    for field in &error.fields {
        errors.insert(form_field(&field.field).to_owned(), t.msg(&field.message()));
    }
    if errors.is_empty() {
        errors.insert(fallback.to_owned(), t.msg(&error.message));
    }
    errors
}

/// The dispute form's field that a registration error names.
fn form_field(path: &str) -> &str {
    match path {
        f if f.starts_with("parties[0].phone") => "phone",
        f if f.starts_with("parties[0].name") => "name",
        f if f.starts_with("parties[1].phone") => "respondent_phone",
        f if f.starts_with("parties[1]") => "respondent",
        "location.address" => "address",
        "parties" => "phone",
        other => other,
    }
}

/// The form of a portal POST, refused unless it carries the token of the page it came from.
fn posted_form(headers: &HeaderMap, body: &Bytes) -> Result<FormData, UiError> {
    let form = FormData::parse(body).unwrap_or_default();
    if public_form_ok(headers, &form) { Ok(form) } else { Err(UiError::Csrf) }
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<Citizen> {
    let token = cookie(headers, CITIZEN_COOKIE)?;
    state.app.citizen_of_token(token).await.ok().flatten()
}

/// The signed-in citizen of a portal page; anyone else is sent to the sign-in form.
pub struct SignedIn(Citizen);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        signed_in(state, &parts.headers).await.map(SignedIn).ok_or_else(|| Redirect::to("/portal").into_response())
    }
}

/// A portal form posted by a signed-in citizen, refused (403) unless it carries the token of
/// the page it came from; anyone not signed in is sent to the sign-in form.
pub struct CitizenForm {
    citizen: Citizen,
    form: FormData,
}

impl FromRequest<AppState> for CitizenForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let headers = parts.headers.clone();
        let form = read_form(Request::from_parts(parts, body)).await.map_err(IntoResponse::into_response)?;
        if !public_form_ok(&headers, &form) {
            return Err(UiError::Csrf.into_response());
        }
        let citizen = signed_in(state, &headers).await.ok_or_else(|| Redirect::to("/portal").into_response())?;
        Ok(CitizenForm { citizen, form })
    }
}

/// An id from the path; a malformed one is a page not found.
fn path_id<I: std::str::FromStr>(text: &str, what: &'static str) -> Result<I, UiError> {
    text.parse().map_err(|_| UiError::Failed(ApiError::not_found(what)))
}

fn sign_in_page(status: StatusCode, phone: String, code_sent: bool, errors: FieldErrors) -> Response {
    page(status, |csrf| render(StatusCode::OK, &SignInPage { t: t(), csrf, phone, code_sent, errors }, false))
}

/// `/portal`: one's cases, or the sign-in form.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, UiError> {
    let Some(citizen) = signed_in(&state, &headers).await else {
        return Ok(sign_in_page(StatusCode::OK, String::new(), false, FieldErrors::new()));
    };
    let cases = state.app.citizen_cases(&citizen).await?;
    let real_named = citizen.is_real_named();
    Ok(page(StatusCode::OK, |csrf| render(StatusCode::OK, &CasesPage { t: t(), csrf, cases, real_named }, false)))
}

/// Sends the code; the form comes back asking for it.
pub async fn code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let form = posted_form(&headers, &body)?;
    let phone = form.get("phone").unwrap_or_default().to_owned();
    match state.app.citizen_code_send(Some(&phone), &client).await {
        Ok(()) => Ok(sign_in_page(StatusCode::OK, phone, true, FieldErrors::new())),
        Err(error) => {
            let error = ApiError::from(error);
            Ok(sign_in_page(error.status, phone, false, field_errors(&error, "phone")))
        }
    }
}

/// Signs in with the code: the citizen's cookie, then their cases.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let form = posted_form(&headers, &body)?;
    let phone = form.get("phone").unwrap_or_default().to_owned();
    match state.app.citizen_login(Some(&phone), form.get("code"), &client).await {
        Ok((token, _)) => {
            let mut response = Redirect::to("/portal").into_response();
            let value = format!("{CITIZEN_COOKIE}={token}; Path=/portal; HttpOnly; SameSite=Lax");
            if let Ok(value) = header::HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(error) => {
            let error = ApiError::from(error);
            Ok(sign_in_page(error.status, phone, true, field_errors(&error, "code")))
        }
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, UiError> {
    posted_form(&headers, &body)?;
    if let Some(token) = cookie(&headers, CITIZEN_COOKIE) {
        state.app.citizen_logout(token).await?;
    }
    let mut response = Redirect::to("/portal").into_response();
    let clear = header::HeaderValue::from_static("fq_citizen=; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=0");
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response)
}

/// A case's page: the case, its 解纷码 as a QR code, and the mediators on offer (点单) while
/// the case is being handled and none is chosen.
async fn case_page(
    state: &AppState,
    citizen: &Citizen,
    status: StatusCode,
    headers: &HeaderMap,
    case: CitizenCase,
    draft_sent: bool,
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let offers = if matches!(case.case.status.as_str(), "dispatched" | "in_progress") {
        state.app.citizen_mediator_offers(citizen, CaseId(case.case.id)).await?
    } else {
        Vec::new()
    };
    let tracking_qr = qr::svg(&qr::tracking_url(&site(headers), &case.tracking_code));
    Ok(page(status, |csrf| {
        render(StatusCode::OK, &CasePage { t: t(), csrf, case, offers, tracking_qr, draft_sent, errors }, false)
    }))
}

#[derive(Deserialize)]
pub struct CaseQuery {
    sent: Option<String>,
}

/// A case's progress: where it is, who handles it, what is due, the 解纷码.
pub async fn case(
    State(state): State<AppState>,
    SignedIn(citizen): SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, UiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case = state.app.citizen_case(&citizen, id).await?;
    case_page(&state, &citizen, StatusCode::OK, &headers, case, query.sent.is_some(), FieldErrors::new()).await
}

/// What a 解纷码 opens (its QR code): the case's page, for one of its parties.
pub async fn tracking(
    State(state): State<AppState>,
    SignedIn(citizen): SignedIn,
    Path(code): Path<String>,
) -> Result<Response, UiError> {
    let id = state.app.citizen_case_by_tracking_code(&citizen, &code).await?;
    Ok(Redirect::to(&format!("/portal/cases/{id}")).into_response())
}

/// 评价: the rating, then back to the case.
pub async fn rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let id: CaseId = path_id(&id, "case")?;
    let rated = state.app.citizen_case_rate(&citizen, id, form.get("satisfaction"), form.get("note")).await;
    back_to_case(&state, &headers, &citizen, id, rated.map(drop), "rating", "satisfaction").await
}

/// After a step taken on the case page: back to the part of the page it was taken in, or —
/// refused — the page again with the error beside that part's form.
async fn back_to_case(
    state: &AppState,
    headers: &HeaderMap,
    citizen: &Citizen,
    id: CaseId,
    outcome: Result<(), AppError>,
    anchor: &str,
    field: &str,
) -> Result<Response, UiError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/portal/cases/{id}#{anchor}")).into_response()),
        Err(error) => refused_on_case(state, headers, citizen, id, ApiError::from(error), field).await,
    }
}

fn new_page(status: StatusCode, draft: Draft, errors: FieldErrors) -> Response {
    page(status, |csrf| render(StatusCode::OK, &NewPage { t: t(), csrf, draft, errors }, false))
}

/// The short form to bring a dispute.
pub async fn new_form(_: SignedIn) -> Response {
    new_page(StatusCode::OK, Draft::default(), FieldErrors::new())
}

/// Registers the dispute (channel `online`) and opens its page; a refusal comes back as typed.
pub async fn new_submit(
    State(state): State<AppState>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let draft = Draft::of(&form);
    match state.app.citizen_case_register(&citizen, draft.registration()).await {
        Ok(case) => Ok(Redirect::to(&format!("/portal/cases/{}?sent=1", case.case.id)).into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            Ok(new_page(error.status, draft, field_errors(&error, "description")))
        }
    }
}

/// What the form looks like so far, checked as registration will check it: each field's
/// error, and the preview in plain words — the 110/120 advice at once, then the type, the
/// unit and the deadlines once the form would register.
#[derive(Serialize)]
pub struct Check {
    errors: Vec<CheckError>,
    /// The 110/120 advice, shown under the description as soon as its text calls for it.
    emergency: Option<String>,
    /// Where the case would go and by when, once the form would register.
    preview: Option<String>,
}

#[derive(Serialize)]
struct CheckError {
    field: String,
    message: String,
}

#[derive(Template)]
#[template(path = "portal_preview.html")]
struct PreviewPanel {
    t: T,
    lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal_emergency.html")]
struct EmergencyPanel {
    t: T,
    advice: String,
}

pub async fn check(
    State(state): State<AppState>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let t = t();
    let draft = Draft::of(&form);
    let (errors, emergency, preview) = match state.app.citizen_triage_preview(&citizen, draft.registration()).await {
        Ok((triage, policy)) => {
            let units = UnitNames::new(&state.app.units().await?);
            let mut lines = vec![if triage.category_unsure() {
                t.msg(&msg!("portal.preview_unsure"))
            } else {
                t.msg(&msg!("portal.preview_category", category = t.code("category", triage.category.as_str())))
            }];
            lines.push(t.msg(&msg!("portal.preview_route", unit = units.name(triage.route.unit_id))));
            lines.push(t.msg(&contact_within(policy.respond_minutes)));
            lines.push(t.msg(&msg!("portal.preview_conclude", days = policy.conclude_working_days)));
            (Vec::new(), triage.emergency, Some(PreviewPanel { t, lines }))
        }
        Err(AppError::Invalid(errors)) => {
            let emergency = state.app.emergency_advice(&draft.description).await?;
            let errors = errors
                .into_iter()
                .map(|e| CheckError { field: form_field(&e.field).to_owned(), message: t.msg(&e.message()) })
                .collect();
            (errors, emergency, None)
        }
        Err(error) => return Err(error.into()),
    };
    let emergency = emergency.and_then(|advice| EmergencyPanel { t, advice: t.msg(&advice) }.render().ok());
    let preview = preview.and_then(|panel| panel.render().ok());
    Ok(Json(Check { errors, emergency, preview }).into_response())
}

/// "Someone must contact you within …", in hours when the policy is whole hours.
fn contact_within(minutes: i64) -> Message {
    if minutes >= 60 && minutes % 60 == 0 {
        msg!("portal.preview_contact_hours", hours = minutes / 60)
    } else {
        msg!("portal.preview_contact_minutes", minutes = minutes)
    }
}

/// The portal's installation: name, icon, colours and start page (a PWA's manifest).
pub async fn manifest() -> Response {
    let t = t();
    let manifest = serde_json::json!({
        "name": format!("{} · {}", t.s("枫桥"), t.s("群众服务")),
        "short_name": t.s("枫桥"),
        "lang": t.lang.tag(),
        "start_url": "/portal",
        "scope": "/portal",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#9b2c1f",
        "icons": [{"src": "/assets/logo.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    });
    ([(header::CONTENT_TYPE, "application/manifest+json")], manifest.to_string()).into_response()
}

/// The service worker, served under `/portal` so that it may control the portal's pages.
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("service-worker-allowed"), "/portal"),
        ],
        include_str!("../../assets/portal-sw.js"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "portal_offline.html")]
struct OfflinePage {
    t: T,
}

/// What the phone shows when the network is gone (kept by the service worker).
pub async fn offline() -> Response {
    render(StatusCode::OK, &OfflinePage { t: t() }, false)
}

/// The case page again, refused: the error beside the evidence form it came from.
async fn refused_on_case(
    state: &AppState,
    headers: &HeaderMap,
    citizen: &Citizen,
    id: CaseId,
    error: ApiError,
    field: &str,
) -> Result<Response, UiError> {
    let case = state.app.citizen_case(citizen, id).await?;
    case_page(state, citizen, error.status, headers, case, false, field_errors(&error, field)).await
}

/// 提交证据 from the case page: a photo taken with the phone or a document (multipart form).
pub async fn evidence_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let (mut csrf, mut file) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or_default() {
            CSRF_FIELD => csrf = field.text().await.ok(),
            "file" => {
                let name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(bytes) => file = Some(Ok((name, content_type, bytes))),
                    Err(_) => file = Some(Err(ApiError::from(app::mediation::evidence_too_large()))),
                }
            }
            _ => {}
        }
    }
    let token = FormData(vec![(CSRF_FIELD.to_owned(), csrf.unwrap_or_default())]);
    if !public_form_ok(&headers, &token) {
        return Err(UiError::Csrf);
    }
    let Some(citizen) = signed_in(&state, &headers).await else { return Ok(Redirect::to("/portal").into_response()) };
    let id: CaseId = path_id(&id, "case")?;
    let added = match file {
        Some(Ok((name, content_type, bytes))) if !bytes.is_empty() => state
            .app
            .citizen_evidence_add(&citizen, id, name.as_deref(), &content_type, &bytes)
            .await
            .map_err(ApiError::from),
        Some(Err(error)) => Err(error),
        _ => Err(ApiError::from(AppError::field(domain::validation::FieldError::required("file")))),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!("/portal/cases/{id}#evidence")).into_response()),
        Err(error) => refused_on_case(&state, &headers, &citizen, id, error, "file").await,
    }
}

/// An evidence file of the citizen's case.
pub async fn evidence_file(
    State(state): State<AppState>,
    SignedIn(citizen): SignedIn,
    Path((id, evidence)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (id, evidence) = (path_id(&id, "case")?, path_id(&evidence, "evidence")?);
    let (file, bytes) = state.app.citizen_evidence_file(&citizen, id, evidence).await?;
    Ok(evidence_response(file, bytes))
}

/// 质证: a comment on an evidence file, then back to it.
pub async fn evidence_comment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, evidence)): Path<(String, String)>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let (id, evidence): (CaseId, EvidenceId) = (path_id(&id, "case")?, path_id(&evidence, "evidence")?);
    let commented = state.app.citizen_evidence_comment(&citizen, id, evidence, form.get("text")).await;
    let (anchor, field) = (format!("evidence-{evidence}"), format!("comment-{evidence}"));
    back_to_case(&state, &headers, &citizen, id, commented.map(drop), &anchor, &field).await
}

/// 群众点单 from the case page: the chosen mediator, then back to the case.
pub async fn mediator_choose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let id: CaseId = path_id(&id, "case")?;
    let user_id = form.get("user_id").and_then(|u| u.parse::<i64>().ok());
    let chosen = state.app.citizen_mediator_choose(&citizen, id, user_id).await;
    back_to_case(&state, &headers, &citizen, id, chosen.map(drop), "mediator", "user_id").await
}

/// The case a form of the case page names (its hidden `case` field), for going back to it.
fn form_case(form: &FormData) -> Result<CaseId, UiError> {
    path_id(form.get("case").unwrap_or_default(), "case")
}

/// A party's step at a session, from the case page: then back to the session.
pub async fn session_act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, act)): Path<(String, String)>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let (id, case): (SessionId, CaseId) = (path_id(&id, "session")?, form_case(&form)?);
    let acted = state.app.citizen_session_act(&citizen, id, &act).await;
    let place = format!("session-{id}");
    back_to_case(&state, &headers, &citizen, case, acted.map(drop), &place, &place).await
}

/// 签署 in the portal: the handwritten signature from the pad, then back to the agreement.
pub async fn agreement_sign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let (id, case): (AgreementId, CaseId) = (path_id(&id, "agreement")?, form_case(&form)?);
    let signed = state.app.citizen_agreement_sign(&citizen, id, form.get("signature")).await;
    let place = format!("agreement-{id}");
    back_to_case(&state, &headers, &citizen, case, signed.map(drop), &place, &place).await
}

/// 同意申请司法确认 in the portal, then back to the agreement.
pub async fn confirmation_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let (id, case): (AgreementId, CaseId) = (path_id(&id, "agreement")?, form_case(&form)?);
    let consented = state.app.citizen_confirmation_consent(&citizen, id).await;
    let place = format!("agreement-{id}");
    back_to_case(&state, &headers, &citizen, case, consented.map(drop), &place, &place).await
}

/// 送达签收: the party's served copy of an agreement; the first download is the receipt.
pub async fn served(
    State(state): State<AppState>,
    SignedIn(citizen): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let (bytes, number) = state.app.citizen_service_receive(&citizen, path_id(&id, "agreement")?).await?;
    Ok(crate::api::mediation::pdf_response(bytes, &number))
}

/// 拒绝调解 (art. 17) from the case page, with the reason; then back to the case.
pub async fn refuse(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let id: CaseId = path_id(&id, "case")?;
    let refused = state.app.citizen_mediation_refuse(&citizen, id, form.get("reason")).await;
    back_to_case(&state, &headers, &citizen, id, refused.map(drop), "refusal", "reason").await
}

#[derive(Template)]
#[template(path = "portal_profile.html")]
struct ProfilePage {
    t: T,
    csrf: String,
    profile: CitizenProfile,
    name: String,
    id_number: String,
    errors: FieldErrors,
}

fn profile_page(status: StatusCode, profile: CitizenProfile, typed: (String, String), errors: FieldErrors) -> Response {
    let (name, id_number) = typed;
    page(status, |csrf| render(StatusCode::OK, &ProfilePage { t: t(), csrf, profile, name, id_number, errors }, false))
}

/// 我的信息: the phone one signs in with and the real-name step.
pub async fn profile(State(state): State<AppState>, SignedIn(citizen): SignedIn) -> Result<Response, UiError> {
    let profile = state.app.citizen_profile(&citizen).await?;
    Ok(profile_page(StatusCode::OK, profile, Default::default(), FieldErrors::new()))
}

/// 实名认证: name and ID number; refused, the form comes back as typed with each error.
pub async fn real_name(
    State(state): State<AppState>,
    CitizenForm { citizen, form }: CitizenForm,
) -> Result<Response, UiError> {
    let (name, id_number) = (form.get("name"), form.get("id_number"));
    match state.app.citizen_real_name(&citizen, name, id_number).await {
        Ok(_) => Ok(Redirect::to("/portal/profile?verified=1").into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            let profile = state.app.citizen_profile(&citizen).await?;
            let typed = (name.unwrap_or_default().to_owned(), id_number.unwrap_or_default().to_owned());
            Ok(profile_page(error.status, profile, typed, field_errors(&error, "id_number")))
        }
    }
}
