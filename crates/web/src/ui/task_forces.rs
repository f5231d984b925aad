//! 我包的案: a leader's page of the cases they lead through a task force (领导包案) — each
//! case's plan, member units and milestones, the late ones marked.

use app::task_forces::TaskForceView;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::cases::short_time;
use super::{Page, Session, UiError, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "task_forces.html")]
struct LedPage {
    page: Page,
    forces: Vec<TaskForceView>,
}

impl LedPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// Milestones of a task force still to be done, and how many of them are late.
    fn open_and_late(&self, force: &TaskForceView) -> (usize, usize) {
        let open = force.milestones.iter().filter(|m| m.done_at.is_none()).count();
        (open, force.milestones.iter().filter(|m| m.overdue).count())
    }
}

pub async fn led(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    let forces = state.app.task_forces_led(&session.viewer).await?;
    let page = Page::new(&state, &session, "我包的案", "/task-forces").await?;
    let shown_flash = page.flash.is_some();
    Ok(render(StatusCode::OK, &LedPage { page, forces }, shown_flash))
}
