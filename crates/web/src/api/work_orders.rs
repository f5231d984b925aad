//! 12345 work orders (issue 18): the hotline's system account sends orders with its own
//! reference; the centre acknowledges (签收) or returns (退单) each within the limits an
//! administrator sets, and the hotline hears of it through its webhooks (`work_order.signed`,
//! `work_order.returned`, `case.concluded`, `case.followed_up`).

use app::integration::{Intake, SystemCaller};
use app::work_orders::{Answer, WorkOrder};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use domain::case::CaseRegistration;
use domain::ids::CaseId;
use domain::msg;
use domain::validation::FieldError;
use domain::work_order::Limits;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::case_import::{ImportQuery, ImportRow};
use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, JsonBytes, Permitted, SystemAuth, api_key, gate, parse_json};

/// The hotline's system account calling with its API key; a person's token is refused (403),
/// no credentials at all are 401.
pub struct Hotline(SystemCaller);

impl FromRequestParts<AppState> for Hotline {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if api_key(&parts.headers).is_some() {
            let SystemAuth(caller) = SystemAuth::from_request_parts(parts, state).await?;
            return Ok(Hotline(caller));
        }
        Auth::from_request_parts(parts, state).await?;
        Err(ApiError::from(app::AppError::Forbidden { message: msg!("work_order.system_only") }))
    }
}

/// A work order as the hotline sends it: its own reference and the dispute as a registration
/// (its `channel` is always `hotline`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct WorkOrderRequest {
    /// The hotline's own number of the order (at most 100 characters): one order per number.
    pub external_ref: Option<String>,
    #[serde(flatten)]
    pub registration: CaseRegistration,
}

/// A work order, its limits and the centre's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderView {
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    /// The system account that sent it.
    pub account_id: i64,
    pub account_name: String,
    pub external_ref: String,
    /// received | signed | returned
    pub state: String,
    pub received_at: String,
    /// 签收 by (the sign limit, working days).
    pub sign_by: String,
    /// 退单 possible until (the return limit, working days).
    pub return_by: String,
    pub answered_at: Option<String>,
    /// Why it was returned.
    pub reason: Option<String>,
    /// Whether the answer came (or, unanswered, is now) past its limit.
    pub overdue: bool,
}

/// A page of work orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderPageView {
    pub total: i64,
    pub items: Vec<WorkOrderView>,
}

/// The list's filter and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// received | signed | returned
    state: Option<String>,
    /// Page size (default 20, at most 100).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
}

/// 退单: why the order goes back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnRequest {
    pub reason: Option<String>,
}

/// The limits of work orders, in working days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LimitsBody {
    /// 签收 within (1–30 working days; default 1).
    pub sign_working_days: Option<i64>,
    /// 退单 within (1–30 working days; default 2).
    pub return_working_days: Option<i64>,
}

pub(crate) fn view(order: WorkOrder) -> WorkOrderView {
    let row = order.row;
    WorkOrderView {
        case_id: row.case_id,
        case_number: row.case_number,
        case_status: row.case_status,
        account_id: row.account_id,
        account_name: row.account_name,
        external_ref: row.external_ref,
        state: order.state.as_str().to_owned(),
        received_at: rfc3339(row.received_at),
        sign_by: rfc3339(row.sign_by),
        return_by: rfc3339(row.return_by),
        answered_at: row.answered_at.map(rfc3339),
        reason: row.reason,
        overdue: order.overdue,
    }
}

/// A whole number from a query parameter, refused by its field when it is not one in range.
pub(crate) fn number(field: &str, value: Option<&str>, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                field,
                "invalid",
                msg!("filter.whole_number_between", min = min, max = max),
            )])
        }),
    }
}

/// Send a 12345 work order (the hotline's system account, `X-Api-Key`, granted `case_register`):
/// 201 with the order, registered as a `hotline` case with its limits to acknowledge and to
/// return; the same `external_ref` again answers 200 with the same order, never a second case.
#[utoipa::path(post, path = "/api/v1/work-orders", tag = "integration", security(("api_key" = [])),
    request_body = WorkOrderRequest,
    responses((status = 201, body = WorkOrderView), (status = 200, description = "the order already sent under this `external_ref`", body = WorkOrderView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    Hotline(caller): Hotline,
    JsonBytes(bytes): JsonBytes,
) -> Result<(StatusCode, Json<WorkOrderView>), ApiError> {
    let body: WorkOrderRequest = parse_json(&bytes)?;
    let (intake, order) =
        state.app.work_order_receive(&caller, body.external_ref.as_deref(), body.registration).await?;
    let status = if intake == Intake::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(view(order))))
}

/// A workbook of work orders checked, and received unless it was a dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderImportReport {
    /// Every row as read, with its faults.
    pub rows: Vec<ImportRow>,
    /// How many rows would be received (all, or none is).
    pub importable: usize,
    /// The rows at fault.
    pub faulted_rows: Vec<usize>,
    /// Received now as new orders.
    pub created: usize,
    /// Rows whose number was received before: the same order, no second case.
    pub existing: usize,
}

pub(crate) fn import_report(report: app::work_orders::WorkOrderImport) -> WorkOrderImportReport {
    WorkOrderImportReport {
        faulted_rows: app::case_import::faulted_rows(&report.faults),
        rows: super::case_import::report_rows(report.rows, &report.faults),
        importable: report.importable,
        created: report.created,
        existing: report.existing,
    }
}

/// 12345 工单批量导入: an .xlsx body (the template at `/work-orders/template.xlsx`: 工单编号,
/// category, region, address, the applicant, the respondent, the description) from the hotline's
/// system account. `dry_run=true` answers the report of every row and receives nothing (422 when
/// a row is at fault); otherwise every row is received as one order — 201 with the counts — or,
/// when any row is at fault, none (422, every fault named `line[N].column`). A row whose number
/// was received before is that order again (counted as `existing`).
#[utoipa::path(post, path = "/api/v1/work-orders/import", tag = "integration", security(("api_key" = [])), params(ImportQuery),
    request_body(content = Vec<u8>, description = "the .xlsx workbook as it is (any content type)", content_type = "application/octet-stream"),
    responses((status = 200, description = "dry run: every row checked, none at fault", body = WorkOrderImportReport),
        (status = 201, body = WorkOrderImportReport),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "a row at fault (every fault listed; with `dry_run` the report) or the workbook unreadable", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Hotline(caller): Hotline,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<WorkOrderImportReport>), ApiError> {
    let report = state.app.work_orders_import(&caller, &body, query.dry_run).await?;
    let status = match (query.dry_run, report.faults.is_empty()) {
        (true, true) => StatusCode::OK,
        (true, false) => StatusCode::UNPROCESSABLE_ENTITY,
        (false, _) => StatusCode::CREATED,
    };
    Ok((status, Json(import_report(report))))
}

/// The work orders of the viewer's scope, the newest first, with their count (intake and
/// dispatchers).
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "integration", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = WorkOrderPageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WorkOrders>,
    Query(query): Query<ListQuery>,
) -> Result<Json<WorkOrderPageView>, ApiError> {
    let limit = number("limit", query.limit.as_deref(), 1, app::work_orders::PAGE_MAX, 20)?;
    let offset = number("offset", query.offset.as_deref(), 0, i64::MAX / 2, 0)?;
    let page = state.app.work_orders(&viewer, query.state.as_deref(), limit, offset).await?;
    Ok(Json(WorkOrderPageView { total: page.total, items: page.items.into_iter().map(view).collect() }))
}

/// The work order of a case (`id` is the case's id).
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = WorkOrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WorkOrders>,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<WorkOrderView>, ApiError> {
    Ok(Json(view(state.app.work_order(&viewer, id).await?)))
}

/// 签收: the centre takes the order on; once only (409 after).
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/sign", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = WorkOrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WorkOrders>,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<WorkOrderView>, ApiError> {
    Ok(Json(view(state.app.work_order_answer(&viewer, id, Answer::Sign, None).await?)))
}

/// 退单: the order goes back to the hotline with a reason, within the return limit (409 after,
/// or once answered); the case is rejected (不予受理) with the same reason.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/return", tag = "integration", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReturnRequest,
    responses((status = 200, body = WorkOrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn give_back(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::WorkOrders>,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<ReturnRequest>,
) -> Result<Json<WorkOrderView>, ApiError> {
    Ok(Json(view(state.app.work_order_answer(&viewer, id, Answer::Return, body.reason.as_deref()).await?)))
}

/// The limits of work orders (administrators): the defaults until set.
#[utoipa::path(get, path = "/api/v1/work-orders/limits", tag = "integration", security(("bearer" = [])),
    responses((status = 200, body = LimitsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_limits(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CalendarManage>,
) -> Result<Json<LimitsBody>, ApiError> {
    let limits = state.app.work_order_limits(&viewer).await?;
    Ok(Json(LimitsBody {
        sign_working_days: Some(limits.sign_working_days),
        return_working_days: Some(limits.return_working_days),
    }))
}

/// Set the limits of work orders received from now on (administrators).
#[utoipa::path(put, path = "/api/v1/work-orders/limits", tag = "integration", security(("bearer" = [])),
    request_body = LimitsBody,
    responses((status = 200, body = LimitsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_limits(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CalendarManage>,
    JsonBody(body): JsonBody<LimitsBody>,
) -> Result<Json<LimitsBody>, ApiError> {
    let mut missing = Vec::new();
    for (field, value) in
        [("sign_working_days", body.sign_working_days), ("return_working_days", body.return_working_days)]
    {
        if value.is_none() {
            missing.push(FieldError::required(field));
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::invalid(missing));
    }
    let limits = Limits {
        sign_working_days: body.sign_working_days.unwrap_or_default(),
        return_working_days: body.return_working_days.unwrap_or_default(),
    };
    let limits = state.app.work_order_limits_put(&viewer, limits).await?;
    Ok(Json(LimitsBody {
        sign_working_days: Some(limits.sign_working_days),
        return_working_days: Some(limits.return_working_days),
    }))
}
