//! 12345 工单时限: the working-day limits to acknowledge (签收) and to return (退单) the
//! hotline's work orders, as a form (the defaults until an administrator sets them).

use app::AppError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::work_order::Limits;

use super::{Typed, may};
use crate::AppState;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

#[derive(Template)]
#[template(path = "admin_work_orders.html")]
struct LimitsPage {
    page: Page,
    form: Typed,
}

async fn limits_page(state: &AppState, session: &Session, form: Typed) -> Result<Response, UiError> {
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "工单时限", "/admin/work-orders").await?;
    let shown_flash = page.flash.is_some();
    Ok(render(status, &LimitsPage { page, form }, shown_flash))
}

pub async fn form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::CalendarManage)?;
    let limits = state.app.work_order_limits(&session.viewer).await?;
    let typed = Typed::of(vec![
        ("sign_working_days", limits.sign_working_days.to_string()),
        ("return_working_days", limits.return_working_days.to_string()),
    ]);
    limits_page(&state, &session, typed).await
}

/// Saves the limits; a value that is no whole number from 1 to 30 is refused beside its field.
pub async fn save(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::CalendarManage)?;
    let number = |name: &str| form.get(name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let limits =
        Limits { sign_working_days: number("sign_working_days"), return_working_days: number("return_working_days") };
    match state.app.work_order_limits_put(&session.viewer, limits).await {
        Ok(_) => Ok(redirect_with("/admin/work-orders", "ok", &session.t.s("已保存"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            limits_page(&state, &session, typed).await
        }
        Err(e) => Err(e.into()),
    }
}
