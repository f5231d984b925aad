//! 定期报告 pages: the archive (count, paging, a filter by kind, and the form to issue one on
//! demand for the centres' leaders and dispatchers) and a report as a page — its figures against
//! the period before, the 亮牌 table, the red cases, the overdue list — with its PDF and workbook.

use app::reports::{ReportContent, ReportRecord};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::{self, Permission};
use domain::ids::ReportId;
use domain::report::ReportKind;
use serde::Deserialize;

use super::admin::{Typed, page_count};
use super::cases::short_time;
use super::i18n::T;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::api::reports::file_response;
use crate::error::ApiError;
use crate::extract::InPath;

const PAGE_SIZE: i64 = 20;

fn kind_label(t: T, kind: ReportKind) -> String {
    t.s(kind.title_zh()).into_owned()
}

struct Line {
    id: i64,
    number: String,
    kind: String,
    kind_label: String,
    region_name: String,
    unit_name: String,
    period: String,
    created: String,
}

fn line(t: T, r: ReportRecord) -> Line {
    Line {
        id: r.id,
        number: r.number,
        kind: r.kind.as_str().to_owned(),
        kind_label: kind_label(t, r.kind),
        region_name: r.region_name,
        unit_name: r.unit_name,
        period: format!("{} — {}", r.period_start, r.period_end),
        created: short_time(&r.created_at),
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ArchivePage {
    page: Page,
    lines: Vec<Line>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The kind shown, empty for all.
    kind: String,
    kinds: Vec<(&'static str, String)>,
    may_issue: bool,
    form: Typed,
    /// What no one field caused (the region outside the territory).
    form_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ArchiveQuery {
    kind: Option<String>,
    page: Option<String>,
}

/// The form's first values: a monthly report of the viewer's territory for last month.
fn blank_form(state: &AppState, session: &Session) -> Typed {
    let today = state.app.now().with_timezone(&domain::china_time()).date_naive();
    Typed::of(vec![
        ("kind", "monthly".to_owned()),
        ("region", session.viewer.scope.region.as_str().to_owned()),
        ("period_start", ReportKind::Monthly.last_ended(today).to_string()),
    ])
}

async fn archive(
    state: &AppState,
    session: &Session,
    query: ArchiveQuery,
    form: Typed,
    form_error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let t = session.t;
    let page_number = query.page.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    let kind = query.kind.filter(|k| ReportKind::parse(k).is_some()).unwrap_or_default();
    let (total, reports) =
        state.app.reports(&session.viewer, Some(kind.as_str()), PAGE_SIZE, (page_number - 1) * PAGE_SIZE).await?;
    let lines = reports.into_iter().map(|r| line(t, r)).collect();
    let page = Page::new(state, session, "定期报告", "/reports").await?;
    let shown_flash = page.flash.is_some();
    let view = ArchivePage {
        page,
        lines,
        total,
        page_number,
        pages: page_count(total, PAGE_SIZE),
        kind,
        kinds: ReportKind::ALL.into_iter().map(|k| (k.as_str(), kind_label(t, k))).collect(),
        may_issue: authz::has(session.viewer.role, Permission::ReportIssue),
        form,
        form_error,
    };
    Ok(render(status, &view, shown_flash))
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ArchiveQuery>,
) -> Result<Response, UiError> {
    let form = blank_form(&state, &session);
    archive(&state, &session, query, form, None, StatusCode::OK).await
}

/// Issues a report (post/redirect/get); a refused form is shown again as typed, each error
/// beside its field.
pub async fn issue(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let issued =
        state.app.report_issue(&session.viewer, form.get("kind"), form.get("region"), form.get("period_start")).await;
    match issued {
        Ok((view, created)) => {
            let done = if created { t.s("已签发") } else { t.s("该期报告已签发过") };
            Ok(redirect_with(&format!("/reports/{}", view.record.id), "ok", &format!("{} {done}", view.record.number)))
        }
        Err(error) => {
            let error: ApiError = error.into();
            let status = error.status;
            let query = ArchiveQuery { kind: None, page: None };
            let (typed, form_error) = if error.fields.is_empty() {
                (Typed::refused(t, form, &[]), Some(error_text(t, &error)))
            } else {
                (Typed::refused(t, form, &error.fields), None)
            };
            archive(&state, &session, query, typed, form_error, status).await
        }
    }
}

struct FigureLine {
    code: String,
    name: String,
    now: String,
    previous: String,
}

struct CaseLine {
    id: i64,
    number: String,
    title: String,
    status: String,
    unit: String,
    due: String,
}

struct CardLine {
    month: String,
    unit: String,
    card: String,
    card_label: String,
    score: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    page: Page,
    id: i64,
    number: String,
    title: String,
    kind_label: String,
    territory: String,
    unit_name: String,
    period: String,
    previous: String,
    created: String,
    figures: Vec<FigureLine>,
    /// Received by category: label, this period, the one before.
    categories: Vec<(String, i64, i64)>,
    cards: Vec<CardLine>,
    red_total: i64,
    red: Vec<CaseLine>,
    overdue_total: i64,
    overdue: Vec<CaseLine>,
    pdf_sha256: String,
    xlsx_sha256: String,
}

fn value(code: &str, v: Option<f64>) -> String {
    match v {
        None => "—".to_owned(),
        Some(v) if code == "received" || code == "red_cases" => format!("{v:.0}"),
        Some(v) if code == "litigation_per_10k" => format!("{v:.2}"),
        Some(v) => format!("{:.1}%", v * 100.0),
    }
}

fn cases(list: &[app::reports::ReportCase]) -> Vec<CaseLine> {
    list.iter()
        .map(|c| CaseLine {
            id: c.id,
            number: c.number.clone(),
            title: c.title.clone(),
            status: c.status.clone(),
            unit: c.unit_name.clone().unwrap_or_default(),
            due: c.due_at.as_ref().map(short_time).unwrap_or_default(),
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    InPath(id, _): InPath<ReportId, UiError>,
    session: Session,
) -> Result<Response, UiError> {
    let t = session.t;
    let view = state.app.report(&session.viewer, id).await?;
    let (r, c): (ReportRecord, ReportContent) = (view.record, view.content);
    let page = Page::new(&state, &session, "定期报告", &format!("/reports/{}", r.id)).await?;
    let shown_flash = page.flash.is_some();
    let card_label = |card: &str| {
        t.s(match card {
            "red" => "红牌",
            "yellow" => "黄牌",
            _ => "绿牌",
        })
    };
    let report = ReportPage {
        page,
        id: r.id,
        number: r.number,
        title: c.title,
        kind_label: kind_label(t, r.kind),
        territory: c.territory,
        unit_name: r.unit_name,
        period: format!("{} — {}", r.period_start, r.period_end),
        previous: format!("{} — {}", c.previous_start, c.previous_end),
        created: short_time(&r.created_at),
        figures: c
            .figures
            .iter()
            .map(|f| FigureLine {
                code: f.code.clone(),
                name: f.name.clone(),
                now: value(&f.code, f.now.value),
                previous: value(&f.code, f.previous.value),
            })
            .collect(),
        categories: c.categories.iter().map(|b| (b.label.clone(), b.now, b.previous)).collect(),
        cards: c
            .cards
            .iter()
            .map(|card| CardLine {
                month: card.month.clone(),
                unit: card.unit_name.clone(),
                card: card.card.clone(),
                card_label: card_label(&card.card).into_owned(),
                score: format!("{:.1}", card.score),
                reasons: card.reasons.join("；"),
            })
            .collect(),
        red_total: c.red_total,
        red: cases(&c.red),
        overdue_total: c.overdue_total,
        overdue: cases(&c.overdue),
        pdf_sha256: r.pdf_sha256,
        xlsx_sha256: r.xlsx_sha256,
    };
    Ok(render(StatusCode::OK, &report, shown_flash))
}

/// The report's PDF or workbook as issued, for the page's links (the session's viewer).
pub async fn file(
    State(state): State<AppState>,
    InPath((id, format), _): InPath<(ReportId, String), UiError>,
    session: Session,
) -> Result<Response, UiError> {
    let (pdf, content_type) = match format.as_str() {
        "pdf" => (true, "application/pdf"),
        "xlsx" => (false, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        _ => return Err(UiError::Failed(ApiError::not_found("path"))),
    };
    let (record, bytes) = state.app.report_file(&session.viewer, id, pdf).await?;
    Ok(file_response(bytes, content_type, &format!("report-{}.{format}", record.id)))
}
