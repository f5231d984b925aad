//! `POST /api/v1/cases/import`: historical cases from an Excel workbook (the request's body).
//! `dry_run=true` answers the per-row report and writes nothing; otherwise every row is
//! imported in one transaction (201 with the count) or, when any row is at fault, none (422
//! with every row's faults, each field named `line[N].column`, its message naming the row and
//! column in words).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::import::fault_line;
use domain::validation::{FieldError, FieldErrorView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody, current_lang};
use crate::extract::Auth;

/// Whether to check only.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// `true`: the report of every row, nothing written.
    #[serde(default)]
    pub dry_run: bool,
}

/// One row of the workbook as read, with its faults.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRow {
    /// The row's number as Excel shows it.
    pub row: usize,
    /// The cells in the template's column order.
    pub cells: Vec<String>,
    pub faults: Vec<FieldErrorView>,
}

/// The per-row report of a dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub rows: Vec<ImportRow>,
    /// How many rows would be imported (all, or none is imported).
    pub importable: usize,
    /// The rows at fault.
    pub faulted_rows: Vec<usize>,
}

/// What an import created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// 历史案件导入: an .xlsx body whose first row names the columns (see the template at
/// `/admin/import/template/cases.xlsx`).
#[utoipa::path(post, path = "/api/v1/cases/import", tag = "cases", security(("bearer" = [])), params(ImportQuery),
    request_body(content = Vec<u8>, description = "the .xlsx workbook as it is (any content type)", content_type = "application/octet-stream"),
    responses((status = 200, description = "dry run: every row checked, none at fault", body = ImportReport),
        (status = 201, body = Imported),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "a row at fault (every fault listed; with `dry_run` the report) or the workbook unreadable", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !query.dry_run {
        let imported = state.app.case_import(&viewer, &body).await?;
        return Ok((StatusCode::CREATED, Json(Imported { imported })).into_response());
    }
    let preview = state.app.case_import_preview(&viewer, &body).await?;
    let status = if preview.faults.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let faulted_rows = app::case_import::faulted_rows(&preview.faults);
    let rows = report_rows(preview.rows, &preview.faults);
    Ok((status, Json(ImportReport { rows, importable: preview.importable, faulted_rows })).into_response())
}

/// Every row of a workbook as read, each with its own faults in words (historical cases, work
/// orders, court referrals).
pub(crate) fn report_rows(rows: Vec<app::case_import::Row>, faults: &[FieldError]) -> Vec<ImportRow> {
    let t = domain::i18n::T { lang: current_lang() };
    rows.into_iter()
        .map(|row| ImportRow {
            faults: faults
                .iter()
                .filter(|f| fault_line(&f.field) == Some(row.line))
                .map(|f| t.field_error(f))
                .collect(),
            row: row.line,
            cells: row.cells,
        })
        .collect()
}
