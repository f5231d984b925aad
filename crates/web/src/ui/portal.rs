//! 群众端 `/portal`: the citizen's own pages, phone first — sign in by phone and a code from
//! the SMS, bring a dispute, follow one's cases (timeline in plain words, who handles it,
//! deadlines, 解纷码), rate the result. The citizen's token sits in its own cookie
//! (`fq_citizen`), never in a staff session's; every form carries the double-submit token.

use std::collections::BTreeMap;

use app::citizens::{Citizen, CitizenCase, CitizenCaseRow};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::case::{CaseRegistration, LocationInput, PartyInput};
use domain::ids::CaseId;

use super::i18n::T;
use super::session::{FormData, cookie, public_form_ok, public_form_token};
use super::{UiError, current_ui_lang, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::ClientAddr;

const CITIZEN_COOKIE: &str = "fq_citizen";

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
}

#[derive(Template)]
#[template(path = "portal_case.html")]
struct CasePage {
    t: T,
    csrf: String,
    case: CitizenCase,
    errors: FieldErrors,
}

/// What the dispute form holds, as typed.
#[derive(Default)]
struct Draft {
    name: String,
    phone: String,
    respondent: String,
    description: String,
    address: String,
    amount: String,
    people_count: String,
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
        let name = match field.field.as_str() {
            f if f.starts_with("parties[0].phone") => "phone",
            f if f.starts_with("parties[0].name") => "name",
            f if f.starts_with("parties[1]") => "respondent",
            "location.address" => "address",
            "parties" => "phone",
            other => other,
        };
        errors.insert(name.to_owned(), t.msg(&field.message()));
    }
    if errors.is_empty() {
        errors.insert(fallback.to_owned(), t.msg(&error.message));
    }
    errors
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

fn sign_in_page(status: StatusCode, phone: String, code_sent: bool, errors: FieldErrors) -> Response {
    page(status, |csrf| render(StatusCode::OK, &SignInPage { t: t(), csrf, phone, code_sent, errors }, false))
}

/// `/portal`: one's cases, or the sign-in form.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, UiError> {
    let Some(citizen) = signed_in(&state, &headers).await else {
        return Ok(sign_in_page(StatusCode::OK, String::new(), false, FieldErrors::new()));
    };
    let cases = state.app.citizen_cases(&citizen).await?;
    Ok(page(StatusCode::OK, |csrf| render(StatusCode::OK, &CasesPage { t: t(), csrf, cases }, false)))
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

fn case_page(status: StatusCode, case: CitizenCase, errors: FieldErrors) -> Response {
    page(status, |csrf| render(StatusCode::OK, &CasePage { t: t(), csrf, case, errors }, false))
}

/// A case's progress: where it is, who handles it, what is due, the 解纷码.
pub async fn case(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let Some(citizen) = signed_in(&state, &headers).await else { return Ok(Redirect::to("/portal").into_response()) };
    let id = id.parse::<CaseId>().map_err(|_| UiError::Failed(ApiError::not_found("case")))?;
    let case = state.app.citizen_case(&citizen, id).await?;
    Ok(case_page(StatusCode::OK, case, FieldErrors::new()))
}

/// What a 解纷码 opens (its QR code): the case's page, for one of its parties.
pub async fn tracking(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, UiError> {
    let Some(citizen) = signed_in(&state, &headers).await else { return Ok(Redirect::to("/portal").into_response()) };
    let id = state.app.citizen_case_by_tracking_code(&citizen, &code).await?;
    Ok(Redirect::to(&format!("/portal/cases/{id}")).into_response())
}

/// 评价: the rating, then back to the case.
pub async fn rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let form = posted_form(&headers, &body)?;
    let Some(citizen) = signed_in(&state, &headers).await else { return Ok(Redirect::to("/portal").into_response()) };
    let id = id.parse::<CaseId>().map_err(|_| UiError::Failed(ApiError::not_found("case")))?;
    match state.app.citizen_case_rate(&citizen, id, form.get("satisfaction"), form.get("note")).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/cases/{id}")).into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            let case = state.app.citizen_case(&citizen, id).await?;
            Ok(case_page(error.status, case, field_errors(&error, "satisfaction")))
        }
    }
}

fn new_page(status: StatusCode, draft: Draft, errors: FieldErrors) -> Response {
    page(status, |csrf| render(StatusCode::OK, &NewPage { t: t(), csrf, draft, errors }, false))
}

/// The short form to bring a dispute.
pub async fn new_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).await.is_none() {
        return Redirect::to("/portal").into_response();
    }
    new_page(StatusCode::OK, Draft::default(), FieldErrors::new())
}

/// Registers the dispute (channel `online`) and opens its page; a refusal comes back as typed.
pub async fn new_submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, UiError> {
    let form = posted_form(&headers, &body)?;
    let Some(citizen) = signed_in(&state, &headers).await else { return Ok(Redirect::to("/portal").into_response()) };
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let draft = Draft {
        name: text("name"),
        phone: text("phone"),
        respondent: text("respondent"),
        description: text("description"),
        address: text("address"),
        amount: text("amount"),
        people_count: text("people_count"),
    };
    let some = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
    let mut parties = vec![PartyInput {
        role: Some("applicant".into()),
        name: some(&draft.name),
        phone: some(&draft.phone),
        ..PartyInput::default()
    }];
    if !draft.respondent.is_empty() {
        parties.push(PartyInput {
            role: Some("respondent".into()),
            name: some(&draft.respondent),
            ..PartyInput::default()
        });
    }
    let people_count = match draft.people_count.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) if draft.people_count.is_empty() => None,
        Err(_) => Some(0),
    };
    let registration = CaseRegistration {
        description: some(&draft.description),
        amount: some(&draft.amount).map(serde_json::Value::String),
        people_count,
        location: Some(LocationInput { address: some(&draft.address), ..LocationInput::default() }),
        parties: Some(parties),
        ..CaseRegistration::default()
    };
    match state.app.citizen_case_register(&citizen, registration).await {
        Ok(case) => Ok(Redirect::to(&format!("/portal/cases/{}", case.case.id)).into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            Ok(new_page(error.status, draft, field_errors(&error, "description")))
        }
    }
}
