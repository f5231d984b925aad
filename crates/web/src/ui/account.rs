//! The signed-in user's own account: changing one's password (the current one, the new one
//! twice), reachable from the header on every page.

use app::AppError;
use app::org::MIN_PASSWORD_CHARS;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::admin::Typed;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, redirect_with, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage {
    page: Page,
    form: Typed,
    min_password: usize,
}

async fn password_page(state: &AppState, session: &Session, form: Typed) -> Result<Response, UiError> {
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "修改密码", "/account/password").await?;
    let shown_flash = page.flash.is_some();
    Ok(render(status, &PasswordPage { page, form, min_password: MIN_PASSWORD_CHARS }, shown_flash))
}

pub async fn password_form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    password_page(&state, &session, Typed::default()).await
}

/// Changes the password; the other sessions end, this one goes on.
pub async fn password_change(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let changed = state
        .app
        .password_change(
            &session.viewer,
            form.raw("current_password"),
            form.raw("new_password"),
            form.raw("new_password_again"),
            session.token(),
        )
        .await;
    match changed {
        Ok(()) => Ok(redirect_with("/account/password", "ok", &session.t.s("密码已修改，其他设备上的登录已失效"))),
        // The passwords are never shown again; the errors are.
        Err(AppError::Invalid(errors)) => {
            password_page(&state, &session, Typed::refused(session.t, FormData::default(), &errors)).await
        }
        Err(e) => Err(e.into()),
    }
}
