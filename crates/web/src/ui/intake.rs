//! The intake window: queue tickets (取号/叫号), real-name registration with every field
//! checked as it is typed, the triage suggestion with its reasons, emergency diversion, and
//! the related cases found at registration.

use app::AppError;
use app::cases::RegisteredCase;
use app::queue::QueueBoard;
use app::triage::{Triage, WhenUnsure};
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::authz::{self, Permission, Resource};
use domain::case::{CaseRegistration, Category, Channel, LocationInput, PartyInput, PartyKind, PartyRole};
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::validation::FieldError;
use serde::Serialize;

use super::admin::{RegionChoices, regions_in_scope};
use super::cases::{UnitNames, options};
use super::i18n::T;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

/// Party blocks on the form.
const PARTY_BLOCKS: usize = 4;

/// The registration as the form sent it, to show again with its errors.
#[derive(Debug, Default)]
pub struct Draft(pub(super) FormData);

impl Draft {
    pub fn value(&self, name: &str) -> &str {
        self.0.get(name).unwrap_or_default()
    }

    pub fn party(&self, index: &usize, field: &str) -> &str {
        self.value(&format!("parties[{index}].{field}"))
    }
}

/// Builds the same registration the API takes from the form's fields, which are named by
/// the API's paths (`parties[0].id_number`), so its errors land next to their fields.
fn registration(form: &FormData) -> Result<CaseRegistration, FieldError> {
    let text = |name: &str| form.get(name).map(str::to_owned);
    let people_count = match form.get("people_count") {
        None => None,
        Some(n) => Some(
            n.parse::<i64>()
                .map_err(|_| FieldError::new("people_count", "wrong_type", msg!("field.not_a_whole_number")))?,
        ),
    };
    let mut parties: Vec<PartyInput> = (0..PARTY_BLOCKS)
        .map(|i| {
            let field = |f: &str| text(&format!("parties[{i}].{f}"));
            PartyInput {
                role: field("role"),
                kind: field("kind"),
                name: field("name"),
                id_number: field("id_number"),
                credit_code: field("credit_code"),
                phone: field("phone"),
                address: field("address"),
            }
        })
        .collect();
    // Blocks left blank at the end are not parties; role and kind alone are the form's defaults.
    while parties.last().is_some_and(|p| {
        p.name.is_none() && p.id_number.is_none() && p.credit_code.is_none() && p.phone.is_none() && p.address.is_none()
    }) {
        parties.pop();
    }
    Ok(CaseRegistration {
        channel: text("channel"),
        description: text("description"),
        title: text("title"),
        category: text("category"),
        amount: text("amount").map(serde_json::Value::String),
        people_count,
        // `datetime-local` gives China time without an offset.
        occurred_at: text("occurred_at").map(super::china_local_time),
        location: Some(LocationInput {
            address: text("location.address"),
            region_code: text("location.region_code"),
            grid_id: text("location.grid_id").map(serde_json::Value::String),
            lat: None,
            lng: None,
        }),
        parties: Some(parties),
        external_ref: text("external_ref"),
    })
}

/// A registration form as a page shows it (the intake window, a police hand-over): what was
/// typed, each error beside its field, and the choices of its selects.
pub(super) struct RegistrationForm {
    pub(super) draft: Draft,
    pub(super) errors: Vec<(String, String)>,
    pub(super) categories: Vec<(&'static str, String)>,
    pub(super) roles: Vec<(&'static str, String)>,
    pub(super) kinds: Vec<(&'static str, String)>,
    pub(super) blocks: Vec<usize>,
    /// Where the case happened, by name, within the clerk's scope.
    pub(super) regions: Vec<RegionChoices>,
    /// The description's limit, counted beside it as it is typed.
    pub(super) description_max: usize,
}

impl RegistrationForm {
    pub(super) async fn new(
        state: &AppState,
        session: &Session,
        draft: Draft,
        errors: Vec<(String, String)>,
    ) -> Result<Self, UiError> {
        let t = session.t;
        Ok(RegistrationForm {
            draft,
            errors,
            categories: options(t, "category", Category::ALL, Category::as_str),
            roles: options(t, "party_role", PartyRole::ALL, PartyRole::as_str),
            kinds: options(t, "party_kind", PartyKind::ALL, PartyKind::as_str),
            blocks: (0..PARTY_BLOCKS).collect(),
            regions: regions_in_scope(t, &session.viewer, &state.app.regions().await?),
            description_max: domain::case::limits::DESCRIPTION,
        })
    }

    /// The answer's status: 422 when the form came back with errors.
    pub(super) fn status(&self) -> StatusCode {
        if self.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
    }

    pub(super) fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub(super) fn party_error(&self, index: &usize, field: &str) -> Option<&str> {
        self.error(&format!("parties[{index}].{field}"))
    }

    /// The default of a party block: first the applicant (the one who came, or called), then
    /// the respondent.
    pub(super) fn default_role(&self, index: &usize) -> &'static str {
        if *index == 0 { "applicant" } else { "respondent" }
    }
}

/// Runs `register` with the registration the form's fields make, or answers the fault of a
/// field that makes none.
pub(super) async fn with_registration<T, F, Fut>(form: &FormData, register: F) -> Result<T, AppError>
where
    F: FnOnce(CaseRegistration) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    match registration(form) {
        Ok(registration) => register(registration).await,
        Err(error) => Err(AppError::field(error)),
    }
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    page: Page,
    form: RegistrationForm,
    channels: Vec<(&'static str, String)>,
    queue: QueueBoard,
}

async fn intake_page(
    state: &AppState,
    session: &Session,
    draft: Draft,
    errors: Vec<(String, String)>,
) -> Result<Response, UiError> {
    let queue = state.app.queue_board(&session.viewer).await?;
    let page = Page::new(state, session, "窗口登记", "/intake").await?;
    let shown_flash = page.flash.is_some();
    let form = RegistrationForm::new(state, session, draft, errors).await?;
    let status = form.status();
    let channels = options(session.t, "channel", Channel::ALL, Channel::as_str);
    Ok(render(status, &IntakePage { page, form, channels, queue }, shown_flash))
}

fn may_register(session: &Session) -> Result<(), UiError> {
    Ok(authz::may(session.viewer.role, Permission::CaseRegister, Resource::ANY)?)
}

/// The window's form; when the ticket this clerk called came from the kiosk with a name or a
/// phone, the applicant starts with them and the case will be linked to the ticket.
pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may_register(&session)?;
    let mut draft = FormData::default();
    if let Some(visitor) = state.app.queue_called_visitor(&session.viewer).await? {
        draft.0.push(("ticket".into(), visitor.ticket_id.to_string()));
        draft.0.extend(visitor.name.map(|name| ("parties[0].name".to_owned(), name)));
        draft.0.extend(visitor.phone.map(|phone| ("parties[0].phone".to_owned(), phone)));
    }
    intake_page(&state, &session, Draft(draft), Vec::new()).await
}

pub(super) fn localised(t: T, errors: Vec<FieldError>) -> Vec<(String, String)> {
    errors.into_iter().map(|e| (e.field.clone(), t.msg(&e.message()))).collect()
}

#[derive(Template)]
#[template(path = "registered.html")]
struct RegisteredPage {
    page: Page,
    registered: RegisteredCase,
    category_label: String,
    risk_label: String,
    lead: String,
}

/// Registers the case; on a fault the form comes back with each error beside its field.
pub async fn register(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may_register(&session)?;
    let t = session.t;
    let registered = with_registration(&form, |registration| {
        state.app.case_register(&session.viewer, registration, WhenUnsure::Ask)
    })
    .await;
    match registered {
        // Post/redirect/get: reloading the result shows it again, it does not register again.
        Ok(registered) => {
            let case = CaseId(registered.case.id);
            if let Some(ticket) = form.get("ticket").and_then(|t| t.parse::<i64>().ok()) {
                state.app.queue_link(&session.viewer, ticket, case).await?;
            }
            Ok(Redirect::to(&format!("/intake/registered/{case}")).into_response())
        }
        Err(AppError::Invalid(errors)) => intake_page(&state, &session, Draft(form), localised(t, errors)).await,
        Err(e) => Err(e.into()),
    }
}

/// The result of a registration: the case's number, its triage, the related cases.
pub async fn registered(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<CaseId, UiError>,
) -> Result<Response, UiError> {
    may_register(&session)?;
    let t = session.t;
    let registered = state.app.case_registered(&session.viewer, id).await?;
    let units = UnitNames::new(&state.app.units().await?);
    let page = Page::new(&state, &session, "登记完成", "/intake").await?;
    let case = &registered.case;
    let result = RegisteredPage {
        category_label: t.code("category", case.category.as_str()),
        risk_label: t.code("risk", case.risk.as_str()),
        lead: units.name(case.routing.unit_id),
        page,
        registered,
    };
    Ok(render(StatusCode::OK, &result, false))
}

/// What the form looks like so far: every field error, and, once it would register, the
/// triage the case would get.
#[derive(Serialize)]
pub struct Check {
    errors: Vec<CheckError>,
    /// The triage suggestion as HTML, when the draft is complete.
    preview: Option<String>,
}

#[derive(Serialize)]
struct CheckError {
    field: String,
    message: String,
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePanel {
    t: T,
    triage: Triage,
    lead: String,
    assists: Vec<String>,
}

/// Checks the draft exactly as registration will (instant validation of ID numbers, phones
/// and the rest) and previews its triage.
pub async fn check(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may_register(&session)?;
    let t = session.t;
    let preview = match registration(&form) {
        Ok(registration) => state.app.triage_preview(&session.viewer, registration).await,
        Err(error) => Err(AppError::field(error)),
    };
    let (errors, preview) = match preview {
        Err(AppError::Invalid(errors)) => (errors, None),
        Err(error) => return Err(error.into()),
        Ok(triage) => {
            let units = UnitNames::new(&state.app.units().await?);
            let panel = TriagePanel {
                t,
                lead: units.name(triage.route.unit_id),
                assists: triage.route.assist_unit_ids.iter().map(|u| units.name(Some(*u))).collect(),
                triage,
            };
            (Vec::new(), panel.render().ok())
        }
    };
    let errors = errors.into_iter().map(|e| CheckError { message: t.msg(&e.message()), field: e.field }).collect();
    Ok(Json(Check { errors, preview }).into_response())
}

/// Prints the next number at this centre.
pub async fn queue_take(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let ticket = state.app.queue_take(&posted.session.viewer).await?;
    let text = format!("{} {:03}", posted.session.t.s("已取号"), ticket.number);
    Ok(redirect_with("/intake", "ok", &text))
}

/// Calls the next waiting number to this clerk's window.
pub async fn queue_call(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let t = posted.session.t;
    let counter = posted.form.get("counter").unwrap_or("1").chars().take(16).collect::<String>();
    match state.app.queue_call_next(&posted.session.viewer, &counter).await? {
        Some(ticket) => {
            let text = format!("{:03} → {} {counter}", ticket.number, t.s("窗口"));
            Ok(redirect_with("/intake", "ok", &text))
        }
        None => Ok(redirect_with("/intake", "warn", &t.s("没有等候的号码。"))),
    }
}

/// Calls again the number this clerk called last: the hall screen says it once more.
pub async fn queue_recall(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let t = posted.session.t;
    match state.app.queue_recall(&posted.session.viewer).await? {
        Some(ticket) => {
            let text = format!("{} {:03}", t.s("已重复叫号"), ticket.number);
            Ok(redirect_with("/intake", "ok", &text))
        }
        None => Ok(redirect_with("/intake", "warn", &t.s("还没有叫过号。"))),
    }
}

/// A call as the hall screen shows and says it.
#[derive(Serialize)]
pub struct ScreenCall {
    /// Tells one call from another: the ticket and the time it was (last) called, so that a
    /// call repeated from the window is a new call.
    key: String,
    number: String,
    counter: String,
    /// What the screen says aloud: "请 012 号到 3 号窗口".
    text: String,
}

/// What the hall screen shows: the calls, the most recent first, and the numbers waiting.
#[derive(Serialize)]
pub struct ScreenState {
    calls: Vec<ScreenCall>,
    waiting: Vec<String>,
}

impl ScreenState {
    fn of(t: T, queue: &QueueBoard) -> Self {
        let calls = queue
            .called
            .iter()
            .map(|ticket| {
                let number = format!("{:03}", ticket.number);
                let counter = ticket.counter.clone().unwrap_or_default();
                let called_at = ticket.called_at.map_or(0, |at| at.timestamp_millis());
                ScreenCall {
                    key: format!("{}:{called_at}", ticket.id),
                    text: t.msg(&msg!("queue.call_text", number = number.as_str(), counter = counter.as_str())),
                    number,
                    counter,
                }
            })
            .collect();
        ScreenState { calls, waiting: queue.waiting.iter().map(|w| format!("{:03}", w.number)).collect() }
    }

    /// The latest call's number, window and words; blank before the first call.
    fn now(&self) -> (&str, &str, &str) {
        self.calls.first().map_or(("", "", ""), |c| (c.number.as_str(), c.counter.as_str(), c.text.as_str()))
    }

    /// The calls already made, as the screen's script reads them when the page is drawn: these
    /// are not said again.
    fn said(&self) -> String {
        serde_json::to_string(&self.calls.iter().map(|c| c.key.as_str()).collect::<Vec<_>>()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "queue_screen.html")]
struct QueueScreen {
    t: T,
    unit: String,
    screen: ScreenState,
}

/// The wall screen of the hall: who is called to which window, who waits. Its script asks for
/// the calls every two seconds and says each new one aloud; without the script it reloads.
pub async fn queue_screen(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    let queue = state.app.queue_board(&session.viewer).await?;
    let unit = state.app.unit(UnitId(session.viewer.unit_id)).await?.name;
    let screen = ScreenState::of(session.t, &queue);
    Ok(render(StatusCode::OK, &QueueScreen { t: session.t, unit, screen }, false))
}

/// The hall screen's state as JSON, for its script.
pub async fn queue_screen_calls(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    let queue = state.app.queue_board(&session.viewer).await?;
    Ok(Json(ScreenState::of(session.t, &queue)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTY_FIELDS: [&str; 7] = ["role", "kind", "name", "id_number", "credit_code", "phone", "address"];

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn blank_trailing_party_blocks_are_dropped_and_fields_keep_their_paths() {
        let f = form(&[
            ("channel", "window"),
            ("parties[0].role", "applicant"),
            ("parties[0].name", "张三"),
            ("parties[1].role", "respondent"),
            ("parties[1].kind", "person"),
            ("people_count", "3"),
            ("occurred_at", "2026-11-01T09:30"),
        ]);
        let r = registration(&f).unwrap();
        assert_eq!(r.parties.as_ref().map(Vec::len), Some(1));
        assert_eq!(r.people_count, Some(3));
        assert_eq!(r.occurred_at.as_deref(), Some("2026-11-01T09:30:00+08:00"));
        assert_eq!(registration(&form(&[("people_count", "many")])).unwrap_err().field, "people_count");
    }

    #[test]
    fn every_party_field_is_read() {
        let pairs: Vec<(String, String)> =
            PARTY_FIELDS.iter().map(|f| (format!("parties[0].{f}"), format!("v-{f}"))).collect();
        let r = registration(&FormData(pairs)).unwrap();
        let p = &r.parties.unwrap()[0];
        assert_eq!(p.credit_code.as_deref(), Some("v-credit_code"));
        assert_eq!(p.address.as_deref(), Some("v-address"));
    }
}
