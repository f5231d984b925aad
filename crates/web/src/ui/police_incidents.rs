//! 警调对接: the page of the 110 disputes a police unit handed over to the centre — its own for a
//! police desk, its scope's for the centre — by state with their counts, each with its case,
//! the incident's number, officer, time and place, and, once the case ended, what went back to
//! the police: the agreement reached or the reason it was not. Counted and paged.

use app::police_incidents::PoliceIncident;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::police_incident::State as IncidentState;

use super::cases::short_time;
use super::{Page, Session, StateListQuery, UiError, render};
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
    let list = ListPage {
        page,
        incidents: found.items,
        total: found.total,
        all: counts.iter().map(|(_, n)| n).sum(),
        counts,
        state: filter,
        prev,
        next,
    };
    Ok(render(StatusCode::OK, &list, shown_flash))
}
