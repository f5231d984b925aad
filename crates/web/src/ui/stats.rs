//! 统计分析 (/stats): the figures table of a region, period and breakdown with every figure's
//! definition beside it, the whole region compared with the previous period and the same
//! period a year before, every number a link to the cases it counts (/stats/cases/{code}),
//! whose list shows exactly that many; and the table as a workbook.

use app::stats::{FigureQuery, Figures, FiguresRow, TOTAL_KEY};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Months, NaiveDate};
use domain::stats::{Breakdown, Figure, FigureValue};
use serde::Deserialize;

use super::cases::{CaseLine, UnitNames, case_lines};
use super::session::encode_component;
use super::{Page, Session, UiError, error_text, render};
use crate::AppState;
use crate::api::stats::FiguresQuery;

/// The filters as the page's GET form sends them; kept as typed to fill the form again.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct StatsForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    by: String,
}

impl StatsForm {
    fn api(&self) -> FiguresQuery {
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        FiguresQuery { region: some(&self.region), from: some(&self.from), to: some(&self.to), by: some(&self.by) }
    }
}

/// A parsed query as the query string of the page's links.
fn query_string(query: &FigureQuery) -> String {
    format!("region={}&from={}&to={}&by={}", query.region.as_str(), query.from, query.to, query.by.code())
}

/// A figure as a column head, with its exact definition.
pub struct FigureHead {
    pub code: &'static str,
    pub name: String,
    pub definition: String,
}

/// One number of the table: the figure's value, and its numerator linked to the cases it counts.
pub struct Cell {
    pub code: &'static str,
    pub value: String,
    pub numerator: i64,
    /// A rate's denominator; none for a count.
    pub denominator: Option<i64>,
    /// The drill-through; none for 万人成讼率 (the courts' cases) and for figures not known.
    pub href: Option<String>,
}

pub struct RowLine {
    pub key: String,
    pub label: String,
    pub cells: Vec<Cell>,
}

/// A figure of the whole region now, in the previous period and a year before.
pub struct CompareLine {
    pub name: String,
    pub now: Cell,
    pub previous: Cell,
    pub last_year: Cell,
    /// The change against the previous period and against the year before, as text.
    pub change_previous: String,
    pub change_year: String,
}

/// A period shown beside the table.
pub struct PeriodText {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn format_value(figure: Figure, value: &FigureValue) -> String {
    match (figure, value.value) {
        (_, None) => "—".to_owned(),
        (Figure::Received, Some(v)) => format!("{v:.0}"),
        (Figure::LitigationPer10k, Some(v)) => format!("{v:.2}"),
        (_, Some(v)) => format!("{:.1}%", v * 100.0),
    }
}

fn change(figure: Figure, now: &FigureValue, before: &FigureValue) -> String {
    match (now.value, before.value) {
        (Some(a), Some(b)) => match figure {
            Figure::Received | Figure::LitigationPer10k => {
                if b > 0.0 {
                    format!("{:+.1}%", (a - b) / b * 100.0)
                } else {
                    format!("{:+.0}", a - b)
                }
            }
            _ => format!("{:+.1}", (a - b) * 100.0),
        },
        _ => "—".to_owned(),
    }
}

fn cell(query: &FigureQuery, key: &str, figure: Figure, value: &FigureValue) -> Cell {
    let numerator = value.numerator.unwrap_or(0);
    let href = (figure.numerator_column().is_some() && value.numerator.is_some())
        .then(|| format!("/stats/cases/{}?{}&key={}", figure.code(), query_string(query), encode_component(key)));
    let denominator = value.denominator.filter(|_| figure != Figure::Received);
    Cell { code: figure.code(), value: format_value(figure, value), numerator, denominator, href }
}

fn row_line(query: &FigureQuery, row: &FiguresRow, key: &str) -> RowLine {
    RowLine {
        key: key.to_owned(),
        label: row.label.clone(),
        cells: row.figures.iter().map(|(figure, value)| cell(query, key, *figure, value)).collect(),
    }
}

fn value_of(row: &FiguresRow, figure: Figure) -> FigureValue {
    row.figures.iter().find(|(f, _)| *f == figure).map(|(_, v)| *v).unwrap_or(FigureValue {
        value: None,
        numerator: None,
        denominator: None,
    })
}

/// What the rows of the table are, as the form names it.
fn breakdown_label(by: Breakdown) -> &'static str {
    match by {
        Breakdown::Region => "按区域",
        Breakdown::Unit => "按单位",
        Breakdown::Category => "按类型",
        Breakdown::Channel => "按来源渠道",
        Breakdown::Month => "按月份",
    }
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    page: Page,
    form: StatsForm,
    breakdowns: Vec<(&'static str, String)>,
    heads: Vec<FigureHead>,
    rows: Vec<RowLine>,
    total: Option<RowLine>,
    compare: Vec<CompareLine>,
    period: Option<PeriodText>,
    previous: Option<PeriodText>,
    last_year: Option<PeriodText>,
    xlsx: Option<String>,
    error: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(form): Query<StatsForm>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let breakdowns = Breakdown::ALL.iter().map(|b| (b.code(), t.s(breakdown_label(*b)).into_owned())).collect();
    let mut heads = Vec::new();
    let (mut rows, mut total, mut compare) = (Vec::new(), None, Vec::new());
    let (mut period, mut previous, mut last_year, mut xlsx, mut error) = (None, None, None, None, None);
    let mut status = StatusCode::OK;
    match form.api().parse(&state, viewer) {
        Err(e) => {
            status = e.status;
            error = Some(error_text(t, &e));
        }
        Ok(query) => {
            let figures: Figures = state.app.stats_figures(viewer, &query, &t).await?;
            heads = figures
                .definitions
                .iter()
                .map(|(f, name, definition)| FigureHead {
                    code: f.code(),
                    name: name.clone(),
                    definition: definition.clone(),
                })
                .collect();
            rows = figures.rows.iter().map(|row| row_line(&query, row, &row.key)).collect();
            total = Some(row_line(&query, &figures.total, TOTAL_KEY));
            let days = (query.to - query.from).num_days() + 1;
            let before = FigureQuery {
                from: query.from - Duration::days(days),
                to: query.from - Duration::days(1),
                ..query.clone()
            };
            let year = Months::new(12);
            let a_year_ago = FigureQuery {
                from: query.from.checked_sub_months(year).unwrap_or(query.from),
                to: query.to.checked_sub_months(year).unwrap_or(query.to),
                ..query.clone()
            };
            let before_total = state.app.stats_figures(viewer, &before, &t).await?.total;
            let year_total = state.app.stats_figures(viewer, &a_year_ago, &t).await?.total;
            compare = figures
                .definitions
                .iter()
                .map(|(figure, name, _)| {
                    let (now, prev, last) = (
                        value_of(&figures.total, *figure),
                        value_of(&before_total, *figure),
                        value_of(&year_total, *figure),
                    );
                    CompareLine {
                        name: name.clone(),
                        now: cell(&query, TOTAL_KEY, *figure, &now),
                        previous: cell(&before, TOTAL_KEY, *figure, &prev),
                        last_year: cell(&a_year_ago, TOTAL_KEY, *figure, &last),
                        change_previous: change(*figure, &now, &prev),
                        change_year: change(*figure, &now, &last),
                    }
                })
                .collect();
            xlsx = Some(format!("/api/v1/stats/figures.xlsx?{}", query_string(&query)));
            period = Some(PeriodText { from: query.from, to: query.to });
            previous = Some(PeriodText { from: before.from, to: before.to });
            last_year = Some(PeriodText { from: a_year_ago.from, to: a_year_ago.to });
        }
    }
    let here = format!(
        "/stats?region={}&from={}&to={}&by={}",
        encode_component(&form.region),
        encode_component(&form.from),
        encode_component(&form.to),
        encode_component(&form.by)
    );
    let page = Page::new(&state, &session, "统计分析", &here).await?;
    let shown_flash = page.flash.is_some();
    let stats_page =
        StatsPage { page, form, breakdowns, heads, rows, total, compare, period, previous, last_year, xlsx, error };
    Ok(render(status, &stats_page, shown_flash))
}

/// The drill-through's filters: the table's, the row's key and the page.
#[derive(Debug, Default, Deserialize)]
pub struct DrillForm {
    #[serde(flatten)]
    table: StatsForm,
    #[serde(default)]
    key: String,
    #[serde(default)]
    page: String,
}

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "stats_cases.html")]
struct DrillPage {
    page: Page,
    name: String,
    definition: String,
    row: String,
    period: PeriodText,
    total: i64,
    lines: Vec<CaseLine>,
    back: String,
    prev: Option<String>,
    next: Option<String>,
    page_number: i64,
    pages: i64,
}

pub async fn cases(
    State(state): State<AppState>,
    session: Session,
    Path(code): Path<String>,
    Query(form): Query<DrillForm>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let figure = Figure::parse(&code).ok_or_else(|| {
        let codes: Vec<&str> = Figure::ALL.iter().map(|f| f.code()).collect();
        crate::error::ApiError::field(domain::validation::FieldError::new(
            "figure",
            "unknown_figure",
            domain::msg!("figures.unknown_figure", codes = codes.join(", ")),
        ))
    })?;
    let query = form.table.api().parse(&state, viewer)?;
    let key = Some(form.key.trim().to_owned()).filter(|k| !k.is_empty()).unwrap_or_else(|| TOTAL_KEY.to_owned());
    let page_number = super::page_of(form.page.trim().parse::<i64>().ok());
    let offset = (page_number - 1) * PAGE_SIZE;
    let (rows, total) = state.app.stats_figure_cases(viewer, &query, figure, &key, PAGE_SIZE, offset).await?;
    let figures = state.app.stats_figures(viewer, &query, &t).await?;
    let row = if key == TOTAL_KEY {
        figures.total.label.clone()
    } else {
        figures.rows.iter().find(|r| r.key == key).map(|r| r.label.clone()).unwrap_or_else(|| key.clone())
    };
    let units = UnitNames::new(&state.app.units().await?);
    let lines = case_lines(t, rows, &units, state.now());
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let base = format!("/stats/cases/{}?{}&key={}", figure.code(), query_string(&query), encode_component(&key));
    let prev = (page_number > 1).then(|| format!("{base}&page={}", page_number - 1));
    let next = (page_number < pages).then(|| format!("{base}&page={}", page_number + 1));
    let here = format!("{base}&page={page_number}");
    let page = Page::new(&state, &session, "统计分析", &here).await?;
    let shown_flash = page.flash.is_some();
    let drill = DrillPage {
        page,
        name: t.msg(&figure.name()),
        definition: t.msg(&figure.definition()),
        row,
        period: PeriodText { from: query.from, to: query.to },
        total,
        lines,
        back: format!("/stats?{}", query_string(&query)),
        prev,
        next,
        page_number,
        pages,
    };
    Ok(render(StatusCode::OK, &drill, shown_flash))
}
