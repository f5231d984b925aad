//! 音视频笔录保存期限: how many years after its case was archived a video mediation's recording
//! is kept, as a form (the default, 10 years, until an administrator sets it).

use app::AppError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::recording::Retention;

use super::{Typed, may};
use crate::AppState;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

#[derive(Template)]
#[template(path = "admin_recordings.html")]
struct RetentionPage {
    page: Page,
    form: Typed,
}

async fn retention_page(state: &AppState, session: &Session, form: Typed) -> Result<Response, UiError> {
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "录音录像保存期限", "/admin/recordings").await?;
    let shown_flash = page.flash.is_some();
    Ok(render(status, &RetentionPage { page, form }, shown_flash))
}

pub async fn form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::CalendarManage)?;
    let retention = state.app.recording_retention(&session.viewer).await?;
    retention_page(&state, &session, Typed::of(vec![("years", retention.years.to_string())])).await
}

/// Saves the period; a value that is no whole number from 1 to 100 is refused beside its field.
pub async fn save(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::CalendarManage)?;
    let years = form.get("years").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    match state.app.recording_retention_put(&session.viewer, Retention { years }).await {
        Ok(_) => Ok(redirect_with("/admin/recordings", "ok", &session.t.s("已保存"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            retention_page(&state, &session, typed).await
        }
        Err(e) => Err(e.into()),
    }
}
