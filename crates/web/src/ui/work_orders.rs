//! 12345 工单: the centre's page of the hotline's work orders — the ones awaiting an answer
//! first in the filter, each with its limits, 签收 and 退单 (with a reason) as its next action,
//! counted and paged.

use app::AppError;
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
    /// The page shown, for the forms (a refused one comes back to it).
    number: i64,
    prev: Option<String>,
    next: Option<String>,
    /// A 退单 refused for its reason: the order, the reason as typed, what is wrong with it.
    refused: Option<Refused>,
}

struct Refused {
    case_id: i64,
    reason: String,
    error: String,
}

impl ListPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// The refusal of this order's 退单, if it is the one refused.
    fn refused_for(&self, case_id: &i64) -> Option<&Refused> {
        self.refused.as_ref().filter(|r| r.case_id == *case_id)
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
    list_page(&state, &session, filter, query.page.unwrap_or(1), None).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    filter: String,
    number: i64,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let number = number.max(1);
    let offset = (number - 1) * PAGE_SIZE;
    let found = state.app.work_orders(&session.viewer, Some(&filter), PAGE_SIZE, offset).await?;
    let link = |n: i64| format!("/work-orders?state={filter}&page={n}");
    let prev = (number > 1).then(|| link(number - 1));
    let next = (offset + PAGE_SIZE < found.total).then(|| link(number + 1));
    let page = Page::new(state, session, "12345 工单", "/work-orders").await?;
    let shown_flash = page.flash.is_some();
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let list = ListPage { page, orders: found.items, total: found.total, state: filter, number, prev, next, refused };
    Ok(render(status, &list, shown_flash))
}

/// 签收 (`sign`) or 退单 (`return`, with the form's reason), then back to the list; a reason
/// refused is said beside it, on the same page, with what was typed.
pub async fn answer(
    State(state): State<AppState>,
    InPath((id, answer), _): InPath<(CaseId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let answer = match answer.as_str() {
        "sign" => Answer::Sign,
        "return" => Answer::Return,
        _ => return Err(UiError::Failed(crate::error::ApiError::not_found("work_order"))),
    };
    let done = state.app.work_order_answer(&session.viewer, id, answer, form.get("reason")).await;
    match done {
        Ok(order) => {
            let what = if answer == Answer::Sign { "已签收" } else { "已退单" };
            Ok(redirect_with("/work-orders", "ok", &format!("{} {}", order.row.external_ref, t.s(what))))
        }
        Err(AppError::Invalid(errors)) if answer == Answer::Return => {
            let error = errors.iter().map(|e| t.msg(&e.message())).collect::<Vec<_>>().join("；");
            let reason = form.get("reason").unwrap_or_default().to_owned();
            let number = form.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let refused = Refused { case_id: id.get(), reason, error };
            list_page(&state, &session, "received".to_owned(), number, Some(refused)).await
        }
        Err(error) => Ok(redirect_with("/work-orders", "error", &error_text(t, &error.into()))),
    }
}
