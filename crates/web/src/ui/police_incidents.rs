//! 警调对接: the page of the 110 disputes a police unit handed over to the centre — its own for a
//! police desk, its scope's for the centre — by state with their counts, each with its case,
//! the incident's number, officer, time and place, and, once the case ended, what went back to
//! the police: the agreement reached or the reason it was not. Counted and paged. A police
//! desk types a hand-over on `/police-incidents/new`: the incident's number, the officer, the
//! time of the call and the dispute with the registration form's own fields (parties with their
//! ID check, description, place, category hint). Post/redirect/get to the case; a refusal comes
//! back with what was typed and each error beside its field; a number handed over before lands
//! on its case.

use app::AppError;
use app::integration::Intake;
use app::police_incidents::{Handover, PoliceIncident};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::police_incident::State as IncidentState;

use super::cases::short_time;
use super::intake::{Draft, RegistrationForm, localised, with_registration};
use super::{Page, Posted, Session, StateListQuery, UiError, redirect_with, render};
use crate::AppState;

/// How many hand-overs one page shows.
const PAGE_SIZE: i64 = 20;

#[derive(Template)]
#[template(path = "police_incidents.html")]
struct ListPage {
    page: Page,
    incidents: Vec<PoliceIncident>,
    total: i64,
    /// Each state's code and count; all of them together.
    counts: Vec<(&'static str, i64)>,
    all: i64,
    /// The state shown, or empty for every state.
    state: String,
    prev: Option<String>,
    next: Option<String>,
    /// Whether the viewer is a police desk, who may type a hand-over.
    desk: bool,
}

impl ListPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<StateListQuery>,
) -> Result<Response, UiError> {
    let filter = query.state.filter(|s| IncidentState::parse(s).is_some()).unwrap_or_default();
    let number = super::page_of(query.page);
    let offset = (number - 1) * PAGE_SIZE;
    let found = state.app.police_incidents(&session.viewer, Some(&filter), PAGE_SIZE, offset).await?;
    let link = |n: i64| format!("/police-incidents?state={filter}&page={n}");
    let prev = (number > 1).then(|| link(number - 1));
    let next = (offset + PAGE_SIZE < found.total).then(|| link(number + 1));
    let page = Page::new(&state, &session, "警情移交", "/police-incidents").await?;
    let shown_flash = page.flash.is_some();
    let counts: Vec<(&'static str, i64)> = found.counts.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    let desk = is_desk(&state, &session).await?;
    let list = ListPage {
        page,
        incidents: found.items,
        total: found.total,
        all: counts.iter().map(|(_, n)| n).sum(),
        counts,
        state: filter,
        prev,
        next,
        desk,
    };
    Ok(render(StatusCode::OK, &list, shown_flash))
}

/// Whether the viewer is a police desk (403 from the app) without refusing the page.
async fn is_desk(state: &AppState, session: &Session) -> Result<bool, UiError> {
    match state.app.police_desk(&session.viewer).await {
        Ok(()) => Ok(true),
        Err(AppError::Forbidden { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "police_incident_new.html")]
struct NewPage {
    page: Page,
    form: RegistrationForm,
}

async fn new_page(
    state: &AppState,
    session: &Session,
    draft: Draft,
    errors: Vec<(String, String)>,
) -> Result<Response, UiError> {
    let page = Page::new(state, session, "录入警情", "/police-incidents").await?;
    let shown_flash = page.flash.is_some();
    let form = RegistrationForm::new(state, session, draft, errors).await?;
    Ok(render(form.status(), &NewPage { page, form }, shown_flash))
}

/// The hand-over form of a police desk.
pub async fn new(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    state.app.police_desk(&session.viewer).await?;
    new_page(&state, &session, Draft::default(), Vec::new()).await
}

/// Hands the typed dispute over, then on to its case — the case handed over before under the
/// same number, if there is one.
pub async fn hand_over(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let handover = Handover {
        incident_number: form.get("incident_number").map(str::to_owned),
        officer: form.get("officer").map(str::to_owned),
    };
    let received = with_registration(&form, |registration| {
        state.app.police_incident_receive(&session.viewer, handover, registration)
    })
    .await;
    match received {
        Ok((intake, incident)) => {
            let said = if intake == Intake::Created {
                "已移交并登记为案件"
            } else {
                "此前已移交，这是它的案件"
            };
            let text = format!("{} {} {}", t.s("警情编号"), incident.row.incident_number, t.s(said));
            Ok(redirect_with(&format!("/cases/{}", incident.row.case_id), "ok", &text))
        }
        Err(AppError::Invalid(errors)) => new_page(&state, &session, Draft(form), localised(t, errors)).await,
        Err(error) => Err(error.into()),
    }
}
