//! 12345 工单: the centre's page of the hotline's work orders — the ones awaiting an answer
//! first in the filter, each with its limits, 签收 and 退单 (with a reason) as its next action,
//! counted and paged — and the upload of a workbook of orders for a hotline account: a preview
//! of every row with its faults, then — confirmed — every order received or none. The preview
//! carries the workbook back in its confirmation form (nothing is kept between the steps) and
//! the confirmation checks everything again.

use app::AppError;
use app::work_orders::{Answer, WorkOrder, WorkOrderImport};
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use domain::i18n::T;
use domain::ids::CaseId;
use domain::import::fault_line;
use domain::msg;
use domain::validation::FieldError;

use super::admin::import::PreviewLine;
use super::cases::short_time;
use super::{Page, Posted, Session, StateListQuery, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;
use crate::ui::session::{CSRF_FIELD, FormData};

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
    /// The hotline accounts a workbook may be uploaded for, and the upload's state.
    senders: Vec<(i64, String)>,
    upload: Upload,
}

/// The upload form's state: the account chosen, what is wrong with the file as a whole, and
/// the preview of a workbook read (work orders here, court referrals on `/referrals`).
#[derive(Default)]
pub(crate) struct Upload {
    pub account_id: Option<i64>,
    pub file_errors: Vec<String>,
    pub preview: Option<Preview>,
}

impl Upload {
    /// Whether anything is at fault: the file as a whole or a row.
    pub fn faulted(&self) -> bool {
        !self.file_errors.is_empty() || self.preview.as_ref().is_some_and(|p| !p.faults.is_empty())
    }
}

/// A workbook's rows with their faults, and the workbook for the confirmation form.
pub(crate) struct Preview {
    pub columns: Vec<String>,
    pub lines: Vec<PreviewLine>,
    pub faults: Vec<String>,
    pub payload: String,
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

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<StateListQuery>,
) -> Result<Response, UiError> {
    let filter = query.state.unwrap_or_else(|| "received".to_owned());
    list_page(&state, &session, filter, query.page.unwrap_or(1), None, Upload::default()).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    filter: String,
    number: i64,
    refused: Option<Refused>,
    upload: Upload,
) -> Result<Response, UiError> {
    let number = super::page_of(Some(number));
    let offset = (number - 1) * PAGE_SIZE;
    let found = state.app.work_orders(&session.viewer, Some(&filter), PAGE_SIZE, offset).await?;
    let link = |n: i64| format!("/work-orders?state={filter}&page={n}");
    let prev = (number > 1).then(|| link(number - 1));
    let next = (offset + PAGE_SIZE < found.total).then(|| link(number + 1));
    let page = Page::new(state, session, "12345 工单", "/work-orders").await?;
    let shown_flash = page.flash.is_some();
    let status = if refused.is_some() || upload.faulted() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let senders = state.app.work_order_senders(&session.viewer).await?;
    let list = ListPage {
        page,
        orders: found.items,
        total: found.total,
        state: filter,
        number,
        prev,
        next,
        refused,
        senders,
        upload,
    };
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
            list_page(&state, &session, "received".to_owned(), number, Some(refused), Upload::default()).await
        }
        Err(error) => Ok(redirect_with("/work-orders", "error", &error_text(t, &error.into()))),
    }
}

/// The template workbook of work orders, its header in the reader's language.
pub async fn template(session: Session) -> Result<Response, UiError> {
    let headers = [
        (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"fengqiao-work-orders.xlsx\""),
    ];
    Ok((headers, app::work_orders::template(session.t)).into_response())
}

/// The upload: the workbook read and checked, shown as a preview; nothing is received yet.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let (account_id, file) = read_upload(&session, &mut multipart).await?;
    let bytes = match file {
        Ok(bytes) => bytes,
        Err(fault) => {
            let upload = Upload { account_id, file_errors: vec![session.t.msg(&fault.message())], preview: None };
            return list_page(&state, &session, "received".to_owned(), 1, None, upload).await;
        }
    };
    let checked = state.app.work_orders_upload(&session.viewer, account_id, &bytes, true).await;
    preview_page(&state, &session, account_id, &bytes, checked).await
}

/// An upload's form: the account chosen and the workbook — or what is wrong with it (none,
/// too large). The form's CSRF token is checked first.
pub(crate) async fn read_upload(
    session: &Session,
    multipart: &mut Multipart,
) -> Result<(Option<i64>, Result<Vec<u8>, FieldError>), UiError> {
    let (mut csrf, mut account_id, mut file) = (None, None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else {
            file = Some(Err(app::case_import::too_large()));
            break;
        };
        match name.as_str() {
            CSRF_FIELD => csrf = String::from_utf8(bytes.to_vec()).ok(),
            "account_id" => account_id = std::str::from_utf8(&bytes).ok().and_then(|s| s.trim().parse().ok()),
            "file" if !bytes.is_empty() => file = Some(Ok(bytes.to_vec())),
            _ => {}
        }
    }
    if !session.csrf_matches(csrf.as_deref()) {
        return Err(UiError::Csrf);
    }
    let file = file.unwrap_or_else(|| Err(FieldError::new("file", "required", msg!("work_order.no_file"))));
    Ok((account_id, file))
}

/// The confirmation: every order received (then back to the list, saying how many), or —
/// when anything is at fault now — none, and the preview again.
pub async fn confirm(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let (account_id, bytes) = confirmed_upload(&form);
    match state.app.work_orders_upload(&session.viewer, account_id, &bytes, false).await {
        Ok(report) => {
            let said = imported_notice(t, &t.s("已导入工单"), report.created, report.existing);
            Ok(redirect_with("/work-orders", "ok", &said))
        }
        Err(AppError::Invalid(_)) => {
            let checked = state.app.work_orders_upload(&session.viewer, account_id, &bytes, true).await;
            preview_page(&state, &session, account_id, &bytes, checked).await
        }
        Err(error) => Ok(redirect_with("/work-orders", "error", &error_text(t, &error.into()))),
    }
}

/// The list with the preview of a workbook (422 when anything is at fault), or with what is
/// wrong with the workbook as a whole.
async fn preview_page(
    state: &AppState,
    session: &Session,
    account_id: Option<i64>,
    bytes: &[u8],
    checked: Result<WorkOrderImport, AppError>,
) -> Result<Response, UiError> {
    let checked = checked.map(|report| (report.rows, report.faults));
    let upload = upload_of(session.t, &domain::work_order::IMPORT_COLUMNS, account_id, bytes, checked)?;
    list_page(state, session, "received".to_owned(), 1, None, upload).await
}

/// What a confirmation posts back after a preview: the chosen account and the previewed
/// workbook (base64 in the form, so that what is imported is what was previewed).
pub(crate) fn confirmed_upload(form: &FormData) -> (Option<i64>, Vec<u8>) {
    let account_id = form.get("account_id").and_then(|a| a.parse().ok());
    let bytes = form.get("payload").and_then(|p| STANDARD.decode(p).ok()).unwrap_or_default();
    (account_id, bytes)
}

/// The list's notice after an import: "已导入工单 3 件，已存在 1 件" (`imported`, in the reader's
/// language, names what).
pub(crate) fn imported_notice(t: T, imported: &str, created: usize, existing: usize) -> String {
    format!("{imported} {created} {}，{} {existing} {}", t.s("件"), t.s("已存在"), t.s("件"))
}

/// The upload's state after a workbook was checked: the preview of its rows (`columns` in the
/// reader's language) each with its faults, or what is wrong with the workbook as a whole.
pub(crate) fn upload_of(
    t: T,
    columns: &[domain::case_import::Column],
    account_id: Option<i64>,
    bytes: &[u8],
    checked: Result<(Vec<domain::case_import::Row>, Vec<FieldError>), AppError>,
) -> Result<Upload, UiError> {
    match checked {
        Ok((rows, faults)) => {
            let said: Vec<(Option<usize>, String)> =
                faults.iter().map(|f| (fault_line(&f.field), t.msg(&f.message()))).collect();
            let lines = rows
                .into_iter()
                .map(|row| PreviewLine {
                    faults: said.iter().filter(|(line, _)| *line == Some(row.line)).map(|(_, s)| s.clone()).collect(),
                    line: row.line,
                    cells: row.cells,
                })
                .collect();
            let preview = Preview {
                columns: domain::case_import::template_header(t, columns),
                lines,
                faults: said.into_iter().map(|(_, s)| s).collect(),
                payload: STANDARD.encode(bytes),
            };
            Ok(Upload { account_id, file_errors: Vec::new(), preview: Some(preview) })
        }
        Err(AppError::Invalid(faults)) => {
            Ok(Upload { account_id, file_errors: faults.iter().map(|f| t.msg(&f.message())).collect(), preview: None })
        }
        Err(error) => Err(error.into()),
    }
}
