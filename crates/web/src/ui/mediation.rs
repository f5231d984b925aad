//! Mediation in the UI: the agreement's forms on the case page (draft, edit, send for
//! signing, the mediator's signature, the seal, service, confirmation, the court's ruling,
//! performance), evidence uploads, the PDF copies, and the public page where a party signs
//! through their one-time link. Every form goes through the same functions as the API.

use app::AppError;
use app::mediation::SigningView;
use app::sessions::SessionInput;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::{AgreementId, CaseId, EvidenceId, SessionId, UserId};
use domain::mediation::{AgreementInput, TermInput};
use serde::Deserialize;

use super::cases::Refusal;
use super::i18n::T;
use super::session::{FormData, public_form_ok, public_form_token};
use super::{Posted, Session, UiError, china_local_time, current_ui_lang, error_text, redirect_with, render};
use crate::AppState;
use crate::api::mediation::{self as api, service_link, signing_link};
use crate::api::sessions::RefusalRequest;
use crate::error::ApiError;
use crate::extract::InPath;

/// The terms as the form writes them: one per line, `text | 2026-12-31` when due by a date.
/// What follows the bar may say more than the date ("履行期限 2026年12月31日"): the date in it is
/// taken, written `2026-12-31`, `2026/12/31`, `2026.12.31` or `2026年12月31日`; the API's
/// validation judges the rest.
fn terms(form: &FormData) -> Option<Vec<TermInput>> {
    let text = form.get("terms")?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| match line.rsplit_once(['|', '｜']) {
                Some((text, due)) => TermInput {
                    text: Some(text.trim().to_owned()),
                    due: Some(date_in(due).unwrap_or_else(|| due.trim().to_owned())),
                },
                None => TermInput { text: Some(line.to_owned()), due: None },
            })
            .collect(),
    )
}

/// The first date written in `text`, as `YYYY-MM-DD`.
fn date_in(text: &str) -> Option<String> {
    let numbers: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).collect();
    numbers.windows(3).find_map(|w| {
        let (year, month, day) = (w[0].parse().ok()?, w[1].parse().ok()?, w[2].parse().ok()?);
        (w[0].len() == 4).then(|| chrono::NaiveDate::from_ymd_opt(year, month, day)).flatten().map(|d| d.to_string())
    })
}

/// What was typed into the draft form, kept to show again when it is refused.
#[derive(Debug, Clone, Default)]
pub struct DraftForm {
    pub matters: String,
    pub responsibilities: String,
    pub terms: String,
    pub performance: String,
    pub form: String,
    /// Why it was refused, each in words.
    pub errors: Vec<String>,
}

impl DraftForm {
    fn refused(form: &FormData, errors: Vec<String>) -> Self {
        let text = |name: &str| form.get(name).unwrap_or_default().to_owned();
        DraftForm {
            matters: text("matters"),
            responsibilities: text("responsibilities"),
            terms: text("terms"),
            performance: text("performance"),
            form: text("form"),
            errors,
        }
    }
}

fn agreement_input(form: &FormData) -> AgreementInput {
    let text = |name: &str| form.get(name).map(str::to_owned);
    AgreementInput {
        facts: text("facts"),
        matters: text("matters"),
        responsibilities: text("responsibilities"),
        terms: terms(form),
        performance: text("performance"),
        form: text("form"),
    }
}

/// Back to the case's agreement section with what happened, or what went wrong.
fn back(t: T, case: CaseId, done: Result<&str, impl Into<ApiError>>) -> Response {
    let to = format!("/cases/{case}#agreements");
    match done {
        Ok(what) => redirect_with(&to, "ok", &t.s(what)),
        Err(error) => redirect_with(&to, "error", &error_text(t, &error.into())),
    }
}

/// After a form with fields of its own: done, back to the case's section saying so; refused,
/// the case page again with the form as it was typed and why ([`Refusal`]).
async fn answer(
    state: &AppState,
    session: &Session,
    case: CaseId,
    form: (&str, FormData, &[&str]),
    done: Result<&str, impl Into<ApiError>>,
) -> Result<Response, UiError> {
    let (name, typed, fields) = form;
    match done {
        Ok(what) => Ok(back(session.t, case, Ok::<_, ApiError>(what))),
        Err(error) => {
            let refusal = Refusal::new(session.t, name, typed, error.into(), fields);
            super::cases::show_refused(state, session, case, refusal).await
        }
    }
}

async fn case_of(state: &AppState, session: &Session, agreement: AgreementId) -> Result<CaseId, UiError> {
    Ok(CaseId(state.app.agreement_get(&session.viewer, agreement).await?.case_id))
}

pub async fn draft(
    State(state): State<AppState>,
    InPath(case, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    match state.app.agreement_draft(&session.viewer, case, agreement_input(&form)).await {
        // Refused for its fields: the case page again, the form as it was typed, the errors in it.
        Err(AppError::Invalid(fields)) => {
            let errors = fields.iter().map(|f| session.t.msg(&f.message())).collect();
            super::cases::show_with_draft(&state, &session, case, DraftForm::refused(&form, errors)).await
        }
        done => Ok(back(session.t, case, done.map(|_| "调解协议已起草"))),
    }
}

/// One form action on an agreement.
pub async fn act(
    State(state): State<AppState>,
    InPath((id, action), _): InPath<(AgreementId, String), UiError>,
    headers: HeaderMap,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let case = case_of(&state, &session, id).await?;
    let viewer = &session.viewer;
    let app = &state.app;
    // The forms with fields of their own come back as typed when refused.
    let fields: &[&str] = match action.as_str() {
        "edit" => &["matters", "responsibilities", "terms", "performance"],
        "confirmation" => &["applicants", "court_unit_id"],
        "ruling" => &["decision", "reasons"],
        "performance" => &["term", "status", "note"],
        _ => &[],
    };
    let done = match action.as_str() {
        "edit" => {
            let revision = form.get("revision").and_then(|r| r.parse().ok());
            app.agreement_revise(viewer, id, revision, agreement_input(&form)).await.map(|_| "协议已修改")
        }
        "signing" => app
            .agreement_signing_start(viewer, id, signing_link(&headers))
            .await
            .map(|_| "已向各方当事人发送签署链接和验证码"),
        "resend" => match form.get("party").and_then(|p| p.parse().ok()) {
            Some(party) => app
                .agreement_signing_resend(viewer, id, party, signing_link(&headers))
                .await
                .map(|_| "已重新发送签署短信，原链接和验证码已作废"),
            None => Err(AppError::NotFound { what: "party" }),
        },
        "mediator-signature" => {
            app.agreement_mediator_sign(viewer, id, form.get("signature")).await.map(|_| "调解员已签名")
        }
        "seal" => app.agreement_seal(viewer, id).await.map(|_| "已加盖电子印章，协议生效"),
        "paper-signed" => app.agreement_paper_signed(viewer, id).await.map(|_| "已登记书面签署，协议生效"),
        "service" => app.agreement_serve(viewer, id, service_link(&headers)).await.map(|_| "已向各方当事人电子送达"),
        "confirmation" => {
            let applicants = form.all("applicants").iter().filter_map(|a| a.parse().ok()).collect();
            let court = form.get("court_unit_id").and_then(|c| c.parse().ok());
            app.confirmation_apply(viewer, id, Some(applicants), court).await.map(|_| "已提交司法确认申请")
        }
        "ruling" => {
            app.confirmation_rule(viewer, id, form.get("decision"), form.get("reasons")).await.map(|_| "已作出裁定")
        }
        "performance" => {
            let term = form.get("term").and_then(|t| t.parse().ok());
            app.performance_record(viewer, id, term, form.get("status"), form.get("note"))
                .await
                .map(|_| "已记录履行情况")
        }
        _ => return Err(ApiError::not_found("agreement").into()),
    };
    if fields.is_empty() {
        return Ok(back(session.t, case, done));
    }
    let name = format!("{action}-{id}");
    answer(&state, &session, case, (&name, form, fields), done).await
}

/// Schedules a session; `scheduled_at` comes from a `datetime-local` field in China time.
pub async fn session_schedule(
    State(state): State<AppState>,
    InPath(case, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let text = |name: &str| form.get(name).map(str::to_owned);
    let input = SessionInput {
        mode: text("mode"),
        scheduled_at: text("scheduled_at").map(china_local_time),
        place: text("place"),
        link: text("link"),
        disclosure: text("disclosure"),
    };
    let done = state.app.session_schedule(&session.viewer, case, input).await.map(|_| "已安排调解");
    answer(&state, &session, case, ("session", form, &["mode", "scheduled_at", "place", "link", "disclosure"]), done)
        .await
}

/// The case a session's form was posted from: the session's own when the step was taken, else
/// the form's `case` field, so that a refusal goes back to the case page saying why.
fn session_case(done: &Result<app::sessions::SessionView, impl Sized>, form: &FormData) -> CaseId {
    match done {
        Ok(session) => CaseId(session.case_id),
        Err(_) => CaseId(form.get("case").and_then(|c| c.parse().ok()).unwrap_or_default()),
    }
}

pub async fn session_party_act(
    State(state): State<AppState>,
    InPath((id, index, act), _): InPath<(SessionId, String, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let done = crate::api::sessions::record_party_act(&state, &session.viewer, id, &index, &act).await;
    let case = session_case(&done, &form);
    Ok(back(session.t, case, done.map(|_| "已记录")))
}

pub async fn session_minutes(
    State(state): State<AppState>,
    InPath(id, _): InPath<SessionId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let done = state.app.session_minutes(&session.viewer, id, form.get("minutes").unwrap_or_default()).await;
    let case = session_case(&done, &form);
    let name = format!("minutes-{id}");
    answer(&state, &session, case, (&name, form, &["minutes"]), done.map(|_| "已记录调解笔录")).await
}

pub async fn refusal(
    State(state): State<AppState>,
    InPath(case, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let request = RefusalRequest {
        party_index: form.get("party_index").and_then(|p| p.parse().ok()),
        reason: form.get("reason").map(str::to_owned),
    };
    let done =
        crate::api::sessions::refuse(&state, &session.viewer, case, request).await.map(|_| "已记录拒绝调解，案件办结");
    answer(&state, &session, case, ("refusal", form, &["party_index", "reason"]), done).await
}

pub async fn mediator_assign(
    State(state): State<AppState>,
    InPath(case, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    // No choice names no user, which the use case refuses as an unknown mediator.
    let user = form.get("user_id").and_then(|u| u.parse().ok()).unwrap_or(UserId(0));
    let chosen_by = form.get("chosen_by").unwrap_or("centre");
    let reason = form.get("reason").map(str::to_owned);
    let done =
        state.app.case_mediator_assign(&session.viewer, case, user, chosen_by, reason).await.map(|_| "已指定调解员");
    answer(&state, &session, case, ("mediator", form, &["user_id", "chosen_by", "reason"]), done).await
}

#[derive(Deserialize)]
pub struct CopyQuery {
    copy: Option<String>,
}

/// A copy of the agreement as PDF, for staff.
pub async fn pdf(
    State(state): State<AppState>,
    InPath(id, _): InPath<AgreementId, UiError>,
    Query(query): Query<CopyQuery>,
    session: Session,
) -> Result<Response, UiError> {
    let copy = query.copy.unwrap_or_else(|| "archive".to_owned());
    let (bytes, name) = state.app.agreement_pdf(&session.viewer, id, &copy).await?;
    Ok(api::pdf_response(bytes, &name))
}

/// Evidence from the case page: the file is the body (sent by the page's script), the CSRF
/// token a header.
pub async fn evidence(
    State(state): State<AppState>,
    InPath(case, _): InPath<CaseId, UiError>,
    Query(query): Query<api::EvidenceQuery>,
    session: Session,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, UiError> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if token != session.csrf {
        return Err(UiError::Csrf);
    }
    let t = session.t;
    match api::evidence_add(&state, &session.viewer, case, query, &headers, body).await {
        Ok(view) => Ok((
            StatusCode::CREATED,
            axum::Json(serde_json::json!({ "message": format!("{} {}", t.s("已上传证据"), view.name) })),
        )
            .into_response()),
        Err(error) => {
            let message = error_text(t, &error);
            Ok((error.status, axum::Json(serde_json::json!({ "message": message }))).into_response())
        }
    }
}

/// An evidence file, for staff who see the case.
pub async fn evidence_file(
    State(state): State<AppState>,
    InPath((case, evidence), _): InPath<(CaseId, EvidenceId), UiError>,
    session: Session,
) -> Result<Response, UiError> {
    Ok(api::evidence_download(&state, &session.viewer, case, evidence).await?)
}

#[derive(Template)]
#[template(path = "sign.html")]
struct SignPage {
    t: T,
    token: String,
    csrf: String,
    view: Option<SigningView>,
    error: Option<String>,
    done: bool,
    /// The code as the party typed it, kept after a refusal so that one digit can be corrected.
    code: String,
}

/// What the signing page shows besides the agreement: a refusal and the code as typed.
#[derive(Default)]
struct SignAnswer {
    error: Option<String>,
    code: String,
}

fn sign_page(status: StatusCode, token: String, view: Option<SigningView>, answer: SignAnswer, done: bool) -> Response {
    let csrf = public_form_token();
    let SignAnswer { error, code } = answer;
    let page = SignPage { t: T { lang: current_ui_lang() }, token, csrf: csrf.0.clone(), view, error, done, code };
    let mut response = render(status, &page, false);
    response.headers_mut().append(header::SET_COOKIE, csrf.1);
    response
}

/// The page a party opens from the SMS: the agreement, the code, a signature pad.
pub async fn sign_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let t = T { lang: current_ui_lang() };
    match state.app.signing_view(&token).await {
        Ok(view) => {
            let done = view.signed_at.is_some();
            sign_page(StatusCode::OK, token, Some(view), SignAnswer::default(), done)
        }
        Err(error) => {
            let error = ApiError::from(error);
            let answer = SignAnswer { error: Some(t.msg(&error.message)), code: String::new() };
            sign_page(error.status, token, None, answer, false)
        }
    }
}

pub async fn sign(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let t = T { lang: current_ui_lang() };
    let form = FormData::parse(&body).unwrap_or_default();
    if !public_form_ok(&headers, &form) {
        return UiError::Csrf.into_response();
    }
    match state.app.agreement_sign_by_link(&token, form.get("code"), form.get("signature")).await {
        Ok(view) => sign_page(StatusCode::OK, token, Some(view), SignAnswer::default(), true),
        Err(error) => {
            let error = ApiError::from(error);
            let message = error_text(t, &error);
            let view = state.app.signing_view(&token).await.ok();
            let answer = SignAnswer { error: Some(message), code: form.get("code").unwrap_or_default().to_owned() };
            sign_page(error.status, token, view, answer, false)
        }
    }
}
