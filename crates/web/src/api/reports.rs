//! 定期报告: the periodic reports of a centre's territory (日抽查, 周分析, 月通报, 季问效) — issued
//! on demand or by the scheduler, listed, read as JSON and downloaded as issued (PDF, XLSX).

use app::reports::{ReportRecord, ReportView};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::ReportId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, gate};

#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// daily | weekly | monthly | quarterly
    pub kind: Option<String>,
    /// The 12-digit code of a region in the viewer's territory.
    pub region: Option<String>,
    /// The first day of the period (YYYY-MM-DD): any day for a daily report, a Monday for a
    /// weekly one, the 1st for a monthly one, 1 January, April, July or October for a
    /// quarterly one. The period must be over.
    pub period_start: Option<String>,
}

/// A report of the archive.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSummary {
    pub id: i64,
    /// 〔2026〕月通报第3号: per issuing centre, kind and year.
    pub number: String,
    /// daily | weekly | monthly | quarterly
    pub kind: String,
    /// The territory reported on.
    pub region: String,
    pub region_name: String,
    /// The issuing centre.
    pub unit_id: i64,
    pub unit_name: String,
    pub period_start: String,
    /// The last day of the period, inclusive.
    pub period_end: String,
    pub created_at: String,
    /// Null when the scheduler issued it.
    pub issued_by: Option<i64>,
    /// SHA-256 of the PDF and of the workbook as issued (and served); empty for the moment
    /// they are typeset after the report is issued (a download then waits for them).
    pub pdf_sha256: String,
    pub xlsx_sha256: String,
}

impl From<ReportRecord> for ReportSummary {
    fn from(r: ReportRecord) -> Self {
        ReportSummary {
            id: r.id,
            number: r.number,
            kind: r.kind.as_str().to_owned(),
            region: r.region_code,
            region_name: r.region_name,
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            period_start: r.period_start.to_string(),
            period_end: r.period_end.to_string(),
            created_at: rfc3339(r.created_at),
            issued_by: r.issued_by,
            pdf_sha256: r.pdf_sha256,
            xlsx_sha256: r.xlsx_sha256,
        }
    }
}

/// A report with what it says.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: ReportSummary,
    /// The units it was sent to: they read it like a notice addressed to them.
    pub recipients: Vec<i64>,
    /// `{title, territory, previous_start, previous_end, figures: [{code, name, now: {value,
    /// numerator, denominator}, previous}], categories: [{category, label, now, previous}],
    /// cards: [{month, unit_id, unit_name, card, score, reasons}], red_total, red: [{id, number,
    /// title, status, unit_id, unit_name, due_at}], overdue_total, overdue}`; rates as 0–1.
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
}

fn detail(view: ReportView) -> Result<ReportDetail, ApiError> {
    let content =
        serde_json::to_value(&view.content).map_err(|e| ApiError::from(app::AppError::Internal(e.to_string())))?;
    Ok(ReportDetail { report: view.record.into(), recipients: view.recipients, content })
}

/// Issues the report of a region, kind and period now — or answers with the one issued
/// already (200): there is one per region, kind and period, whoever asks and however often.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", security(("bearer" = [])), request_body = IssueRequest,
    responses((status = 201, body = ReportDetail), (status = 200, description = "issued already: the same report", body = ReportDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::ReportIssue>,
    JsonBody(body): JsonBody<IssueRequest>,
) -> Result<(StatusCode, Json<ReportDetail>), ApiError> {
    let (view, created) = state
        .app
        .report_issue(&viewer, body.kind.as_deref(), body.region.as_deref(), body.period_start.as_deref())
        .await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(detail(view)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// daily | weekly | monthly | quarterly; all when absent.
    kind: Option<String>,
    /// Page size, 1–200, default 50.
    limit: Option<i64>,
    offset: Option<i64>,
    /// 1-based page, an alternative to `offset`.
    page: Option<i64>,
}

/// The page of reports asked for, and how many there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportSummary>,
    pub total: i64,
}

/// The reports of my territory (or those sent to my unit), newest period first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = ReportList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<ListQuery>,
) -> Result<Json<ReportList>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.or(query.page.map(|p| (p.max(1) - 1) * limit)).unwrap_or(0).max(0);
    let (total, reports) = state.app.reports(&viewer, query.kind.as_deref(), limit, offset).await?;
    Ok(Json(ReportList { items: reports.into_iter().map(Into::into).collect(), total }))
}

/// A report with its content: figures against the period before, 亮牌, red and overdue cases.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReportDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<ReportId>,
) -> Result<Json<ReportDetail>, ApiError> {
    Ok(Json(detail(state.app.report(&viewer, id).await?)?))
}

/// The report as issued, `application/pdf` (its hash is `pdf_sha256`).
#[utoipa::path(get, path = "/api/v1/reports/{id}/pdf", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<ReportId>,
) -> Result<Response, ApiError> {
    let (record, bytes) = state.app.report_file(&viewer, id, true).await?;
    Ok(file_response(bytes, "application/pdf", &format!("report-{}.pdf", record.id)))
}

/// The report's workbook as issued (its hash is `xlsx_sha256`).
#[utoipa::path(get, path = "/api/v1/reports/{id}/xlsx", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn xlsx(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<ReportId>,
) -> Result<Response, ApiError> {
    let (record, bytes) = state.app.report_file(&viewer, id, false).await?;
    let kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    Ok(file_response(bytes, kind, &format!("report-{}.xlsx", record.id)))
}

/// A report's file: its type, and a name for saving it.
pub fn file_response(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}
