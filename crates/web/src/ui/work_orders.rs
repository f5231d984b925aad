//! 12345 工单: the centre's page of the hotline's work orders — the ones awaiting an answer
//! first in the filter, each with its limits, 签收 and 退单 (with a reason) as its next action,
//! counted and paged.

use app::work_orders::{Answer, WorkOrder};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::CaseId;
use serde::Deserialize;

use super::cases::short_time;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

/// How many orders one page shows.
const PAGE_SIZE: i64 = 20;

#[derive(Template)]
#[template(path = "work_orders.html")]
struct ListPage {
    page: Page,
    orders: Vec<WorkOrder>,
    total: i64,
    state: String,
    prev: Option<String>,
    next: Option<String>,
}

impl ListPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    page: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    let filter = query.state.unwrap_or_else(|| "received".to_owned());
    let number = query.page.unwrap_or(1).max(1);
    let offset = (number - 1) * PAGE_SIZE;
    let found = state.app.work_orders(&session.viewer, Some(&filter), PAGE_SIZE, offset).await?;
    let link = |n: i64| format!("/work-orders?state={filter}&page={n}");
    let prev = (number > 1).then(|| link(number - 1));
    let next = (offset + PAGE_SIZE < found.total).then(|| link(number + 1));
    let page = Page::new(&state, &session, "12345 工单", "/work-orders").await?;
    let shown_flash = page.flash.is_some();
    let list = ListPage { page, orders: found.items, total: found.total, state: filter, prev, next };
    Ok(render(StatusCode::OK, &list, shown_flash))
}

/// 签收 (`sign`) or 退单 (`return`, with the form's reason), then back to the list.
pub async fn answer(
    State(state): State<AppState>,
    InPath((id, answer), _): InPath<(CaseId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let t = posted.session.t;
    let answer = match answer.as_str() {
        "sign" => Answer::Sign,
        "return" => Answer::Return,
        _ => return Err(UiError::Failed(crate::error::ApiError::not_found("work_order"))),
    };
    let done = state.app.work_order_answer(&posted.session.viewer, id, answer, posted.form.get("reason")).await;
    Ok(match done {
        Ok(order) => {
            let what = if answer == Answer::Sign { "已签收" } else { "已退单" };
            redirect_with("/work-orders", "ok", &format!("{} {}", order.row.external_ref, t.s(what)))
        }
        Err(error) => redirect_with("/work-orders", "error", &error_text(t, &error.into())),
    })
}
