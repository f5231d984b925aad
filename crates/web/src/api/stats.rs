//! The statistics (DOMAIN.md §5.4; definitions in `domain::stats`): the summary, the figures
//! table with its drill-through and workbook, and the administrative data of 万人成讼率.

use std::collections::BTreeMap;

use app::stats::{FigureQuery, Figures, FiguresRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::i18n::T;
use domain::msg;
use domain::org::RegionCode;
use domain::stats::{Breakdown, Figure, FigureValue, Summary};
use domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{CaseListRow, IntoApi};
use crate::AppState;
use crate::error::{ApiError, ErrorBody, current_lang};
use crate::extract::{Auth, JsonBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// A region code (6 or 12 digits) in the caller's scope; default the caller's region.
    region: Option<String>,
    /// First day, YYYY-MM-DD; default 1 January of the current year.
    from: Option<String>,
    /// Last day (inclusive), YYYY-MM-DD; default today.
    to: Option<String>,
}

fn day(field: &str, value: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| ApiError::field(FieldError::new(field, "invalid_date", msg!("field.not_a_date")))),
    }
}

/// The headline figures of a region and period: received, concluded, resolved, resolution
/// rate, mediation success rate, on-time rate, average handling working days, amount involved,
/// satisfaction rate, first-time-right routing rate, and cases by category, channel and colour.
/// Served from daily rollups kept with every event.
#[utoipa::path(get, path = "/api/v1/stats/summary", tag = "statistics", security(("bearer" = [])), params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<SummaryQuery>,
) -> Result<Json<Summary>, ApiError> {
    let (from, to) = period(state.now(), query.from.as_deref(), query.to.as_deref())?;
    let region = region(query.region.as_deref())?;
    Ok(Json(state.app.stats_summary(&viewer, region, from, to).await?))
}

/// The period of a query: from 1 January of this year to today unless given.
fn period(now: DateTime<Utc>, from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let today = now.with_timezone(&domain::china_time()).date_naive();
    let new_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let from = day("from", from, new_year)?;
    let to = day("to", to, today)?;
    if to < from {
        return Err(ApiError::field(FieldError::new("to", "invalid_range", msg!("stats.to_before_from"))));
    }
    Ok((from, to))
}

pub(super) fn region(code: Option<&str>) -> Result<Option<RegionCode>, ApiError> {
    match code.map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => Ok(Some(RegionCode::parse(code).map_err(|e| {
            ApiError::field(FieldError::new(
                "region",
                "invalid_region_code",
                msg!("region_code.invalid", reason = e.message()),
            ))
        })?)),
        None => Ok(None),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// A region code (6 or 12 digits) in the caller's territory; default the caller's region.
    pub(crate) region: Option<String>,
    /// First day of registration, YYYY-MM-DD; default 1 January of the current year.
    pub(crate) from: Option<String>,
    /// Last day (inclusive), YYYY-MM-DD; default today.
    pub(crate) to: Option<String>,
    /// The rows: `region` (default: the regions one level down), `unit`, `category`, `channel`, `month`.
    pub(crate) by: Option<String>,
}

impl FiguresQuery {
    pub(crate) fn parse(&self, state: &AppState, viewer: &app::Viewer) -> Result<FigureQuery, ApiError> {
        let (from, to) = period(state.now(), self.from.as_deref(), self.to.as_deref())?;
        let region = region(self.region.as_deref())?.unwrap_or_else(|| viewer.scope.region.clone());
        let by = match self.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            None => Breakdown::Region,
            Some(code) => Breakdown::parse(code).ok_or_else(|| {
                let codes: Vec<&str> = Breakdown::ALL.iter().map(|b| b.code()).collect();
                ApiError::field(FieldError::new(
                    "by",
                    "invalid_filter",
                    msg!("figures.bad_by", codes = codes.join(", ")),
                ))
            })?,
        };
        Ok(FigureQuery { region, from, to, by })
    }
}

/// One row of the figures table.
#[derive(Debug, Serialize, ToSchema)]
pub struct FigureRowDto {
    /// The row's key: a region code, a unit id, a category or channel code, a month `YYYY-MM`;
    /// the drill-through's `key`.
    pub key: String,
    /// The row in the reader's language.
    pub label: String,
    /// Each figure by its code.
    pub figures: BTreeMap<String, FigureValue>,
}

/// 统计指标: every figure with its exact definition, per row, and the region's total.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresTable {
    /// Each figure's code → its definition in the reader's language.
    pub definitions: BTreeMap<String, String>,
    /// Each figure's code → its name in the reader's language.
    pub names: BTreeMap<String, String>,
    pub rows: Vec<FigureRowDto>,
    /// The whole region and period.
    pub total: FigureRowDto,
}

fn row_dto(row: FiguresRow) -> FigureRowDto {
    let figures = row.figures.into_iter().map(|(figure, value)| (figure.code().to_owned(), value)).collect();
    FigureRowDto { key: row.key, label: row.label, figures }
}

impl From<Figures> for FiguresTable {
    fn from(figures: Figures) -> Self {
        let definitions = figures.definitions.iter().map(|(f, _, d)| (f.code().to_owned(), d.clone())).collect();
        let names = figures.definitions.iter().map(|(f, n, _)| (f.code().to_owned(), n.clone())).collect();
        FiguresTable {
            definitions,
            names,
            rows: figures.rows.into_iter().map(row_dto).collect(),
            total: row_dto(figures.total),
        }
    }
}

/// The figures table of DOMAIN.md §5.4 — 受理量, 化解率, 调解成功率, 按期办结率, 满意率,
/// 首次分流准确率, 万人成讼率 — for the cases received in a region and period, by region, unit,
/// category, channel or month, each with its definition, `value = numerator ÷ denominator`
/// (× 10 000 for `litigation_per_10k`). Served from rollups kept with every step.
#[utoipa::path(get, path = "/api/v1/stats/figures", tag = "statistics", security(("bearer" = [])), params(FiguresQuery),
    responses((status = 200, body = FiguresTable), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<FiguresQuery>,
) -> Result<Json<FiguresTable>, ApiError> {
    let query = query.parse(&state, &viewer)?;
    let t = T { lang: current_lang() };
    Ok(Json(state.app.stats_figures(&viewer, &query, &t).await?.into()))
}

/// The same table as an Excel workbook (the figures with their numerators and denominators,
/// and a sheet of definitions), in the reader's language.
#[utoipa::path(get, path = "/api/v1/stats/figures.xlsx", tag = "statistics", security(("bearer" = [])), params(FiguresQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figures_xlsx(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<FiguresQuery>,
) -> Result<Response, ApiError> {
    let query = query.parse(&state, &viewer)?;
    let t = T { lang: current_lang() };
    let bytes = state.app.stats_figures_xlsx(&viewer, &query, &t).await?;
    let name = format!("figures-{}-{}-{}.xlsx", query.region.as_str(), query.from, query.to);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureCasesQuery {
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    /// The row's `key`, or `all` for the table's total; default the region asked for (with
    /// `by=region`: its own cases only).
    key: Option<String>,
    /// Page size, 1–200, default 50.
    limit: Option<i64>,
    offset: Option<i64>,
}

/// The cases of a figure's numerator.
#[derive(Debug, Serialize, ToSchema)]
pub struct FigureCases {
    pub items: Vec<CaseListRow>,
    /// How many cases the numerator counts: exactly the figure's `numerator`.
    pub total: i64,
}

/// 钻取: the cases counted in a figure's numerator for one row of the table, newest first;
/// `total` equals the row's `numerator`. `litigation_per_10k` counts the courts' cases, not
/// Fengqiao's, and has no list (422).
#[utoipa::path(get, path = "/api/v1/stats/figures/{code}/cases", tag = "statistics", security(("bearer" = [])), params(("code" = String, Path), FigureCasesQuery),
    responses((status = 200, body = FigureCases), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn figure_cases(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(code): Path<String>,
    Query(query): Query<FigureCasesQuery>,
) -> Result<Json<FigureCases>, ApiError> {
    let figure = Figure::parse(&code).ok_or_else(|| {
        let codes: Vec<&str> = Figure::ALL.iter().map(|f| f.code()).collect();
        ApiError::field(FieldError::new(
            "figure",
            "unknown_figure",
            msg!("figures.unknown_figure", codes = codes.join(", ")),
        ))
    })?;
    let table = FiguresQuery { region: query.region, from: query.from, to: query.to, by: query.by };
    let table = table.parse(&state, &viewer)?;
    let key = query.key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
    let key = key.unwrap_or_else(|| table.region.as_str().to_owned());
    let (limit, offset) = (query.limit.unwrap_or(50), query.offset.unwrap_or(0));
    let (items, total) = state.app.stats_figure_cases(&viewer, &table, figure, &key, limit, offset).await?;
    Ok(Json(FigureCases { items: items.into_api(), total }))
}

/// A region's population in a year: 常住人口 + 登记在册流动人口.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PopulationInput {
    #[schema(value_type = String)]
    pub region: RegionCode,
    pub year: i64,
    pub population: i64,
}

/// The first-instance civil and administrative cases the courts of a region accepted in a month.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CourtFilingsInput {
    #[schema(value_type = String)]
    pub region: RegionCode,
    /// `YYYY-MM`.
    pub month: String,
    pub first_instance: i64,
}

/// Record a region's population for a year (administrators), for 万人成讼率.
#[utoipa::path(put, path = "/api/v1/stats/population", tag = "statistics", security(("bearer" = [])), request_body = PopulationInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_population(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<PopulationInput>,
) -> Result<axum::http::StatusCode, ApiError> {
    state.app.stats_population_set(&viewer, &body.region, body.year, body.population).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Record the courts' first-instance cases of a region in a month (administrators; imported
/// from the courts), for 万人成讼率.
#[utoipa::path(put, path = "/api/v1/stats/court-filings", tag = "statistics", security(("bearer" = [])), request_body = CourtFilingsInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_court_filings(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<CourtFilingsInput>,
) -> Result<axum::http::StatusCode, ApiError> {
    let month = month_number(&body.month)?;
    state.app.stats_court_filings_set(&viewer, &body.region, month, body.first_instance).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `YYYY-MM` as the number `yyyymm`.
pub fn month_number(text: &str) -> Result<i64, ApiError> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
        .map(|d| i64::from(d.year()) * 100 + i64::from(d.month()))
        .map_err(|_| ApiError::field(FieldError::new("month", "invalid_month", msg!("figures.month_format"))))
}
