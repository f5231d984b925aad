//! 网格化 pages: the grid worker's 巡查 page on a phone (today's patrol — start it, say what
//! was found, finish it — and the hazard form, the open hazards below), the hazard register
//! for the centres above (count, status filter, paging), and each hazard's page with its steps
//! and the forms of the steps the viewer may take. Every form keeps what was typed and shows
//! each error beside its field.

use app::AppError;
use app::grid::{Hazard, HazardFilter, HazardView, PatrolFilter, PatrolView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::case::{Category, PartyInput};
use domain::grid::{HazardAction, HazardInput, HazardKind, HazardStatus, HazardStepInput, PatrolFinish, PatrolInput};
use domain::ids::{HazardId, PatrolId};
use domain::msg;
use domain::validation::FieldError;
use serde::Deserialize;

use super::admin::Typed;
use super::cases::short_time;
use super::i18n::T;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

const HAZARDS_PAGE: i64 = 20;

pub struct PatrolLine {
    id: i64,
    grid_name: String,
    started: String,
    ended: String,
    visited: i64,
    route: String,
    findings: String,
    hazards: i64,
}

fn patrol_line(p: PatrolView) -> PatrolLine {
    PatrolLine {
        id: p.id,
        grid_name: p.grid_name,
        started: short_time(&p.started_at),
        ended: p.ended_at.as_ref().map(short_time).unwrap_or_default(),
        visited: p.visited,
        route: p.route.unwrap_or_default(),
        findings: p.findings.unwrap_or_default(),
        hazards: p.hazards,
    }
}

pub struct HazardLine {
    id: i64,
    kind_label: String,
    description: String,
    location: String,
    grid_name: String,
    status: String,
    status_label: String,
    reported: String,
}

fn hazard_line(t: T, h: HazardView) -> HazardLine {
    HazardLine {
        id: h.id,
        kind_label: t.code("hazard_kind", &h.kind),
        description: h.description,
        location: h.location.unwrap_or_default(),
        grid_name: h.grid_name,
        status_label: t.code("hazard_status", &h.status),
        status: h.status,
        reported: short_time(&h.created_at),
    }
}

/// Codes with their labels, for a select.
fn options(t: T, kind: &str, codes: impl Iterator<Item = &'static str>) -> Vec<(String, String)> {
    codes.map(|c| (c.to_owned(), t.code(kind, c))).collect()
}

#[derive(Template)]
#[template(path = "patrol.html")]
struct PatrolPage {
    page: Page,
    today: String,
    /// The viewer's patrol that goes on.
    current: Option<PatrolLine>,
    /// Today's patrols of the grid that have ended.
    done: Vec<PatrolLine>,
    start: Typed,
    finish: Typed,
    hazard: Typed,
    kinds: Vec<(String, String)>,
    open: Vec<HazardLine>,
    open_total: i64,
}

/// Which form of the 巡查 page was refused.
enum Refused {
    None,
    Start(Typed),
    Finish(Typed),
    Hazard(Typed),
}

async fn patrol_page(state: &AppState, session: &Session, refused: Refused) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let today = domain::grid::china_date(state.now());
    let filter = PatrolFilter { day: Some(today), limit: 50, ..PatrolFilter::default() };
    let patrols = state.app.patrols(viewer, &filter).await?.items;
    let (mut current, mut done) = (None, Vec::new());
    for p in patrols {
        if p.ended_at.is_none() && p.user_id == viewer.user_id && current.is_none() {
            current = Some(patrol_line(p));
        } else if p.ended_at.is_some() {
            done.push(patrol_line(p));
        }
    }
    let open = HazardFilter { status: Some(HazardStatus::Open), limit: 10, ..HazardFilter::default() };
    let open = state.app.hazards(viewer, &open).await?;
    let status = if matches!(refused, Refused::None) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let (mut start, mut finish, mut hazard) = (Typed::default(), Typed::default(), Typed::default());
    match refused {
        Refused::None => {}
        Refused::Start(typed) => start = typed,
        Refused::Finish(typed) => finish = typed,
        Refused::Hazard(typed) => hazard = typed,
    }
    let page = Page::new(state, session, "巡查", "/patrol").await?;
    let shown_flash = page.flash.is_some();
    let view = PatrolPage {
        page,
        today: today.to_string(),
        current,
        done,
        start,
        finish,
        hazard,
        kinds: options(t, "hazard_kind", HazardKind::ALL.iter().map(|k| k.as_str())),
        open: open.items.into_iter().map(|h| hazard_line(t, h)).collect(),
        open_total: open.total,
    };
    Ok(render(status, &view, shown_flash))
}

/// 巡查: today's patrol and the hazard form, for the grid worker.
pub async fn patrol(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    domain::authz::may_at_all(session.viewer.role, domain::authz::Permission::PatrolLog).map_err(AppError::from)?;
    patrol_page(&state, &session, Refused::None).await
}

fn text(form: &FormData, name: &str) -> Option<String> {
    form.get(name).map(str::to_owned)
}

/// Starts today's patrol now, with its route if given.
pub async fn patrol_start(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let input = PatrolInput { route: text(&form, "route"), ..PatrolInput::default() };
    match state.app.patrol_record(&session.viewer, input).await {
        Ok(_) => Ok(redirect_with("/patrol", "ok", &session.t.s("巡查已开始"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            patrol_page(&state, &session, Refused::Start(typed)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A whole number typed in a form: blank is none, anything else not a count is the field's error.
fn count(form: &FormData, name: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let typed = form.get(name).map(str::trim).filter(|v| !v.is_empty())?;
    let parsed = typed.parse::<i64>().ok();
    if parsed.is_none() {
        let max = domain::grid::VISITED_MAX;
        errors.push(FieldError::new(name, "out_of_range", msg!("grid.visited_range", max = max)));
    }
    parsed
}

/// Finishes one's patrol with what was found.
pub async fn patrol_finish(
    State(state): State<AppState>,
    InPath(id, _): InPath<PatrolId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let mut errors = Vec::new();
    let visited = count(&form, "visited", &mut errors);
    let input =
        PatrolFinish { visited, route: text(&form, "route"), findings: text(&form, "findings"), ended_at: None };
    let finished = if errors.is_empty() {
        state.app.patrol_finish(&session.viewer, id, input).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match finished {
        Ok(_) => Ok(redirect_with("/patrol", "ok", &session.t.s("巡查已结束"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            patrol_page(&state, &session, Refused::Finish(typed)).await
        }
        Err(e) => Ok(redirect_with("/patrol", "error", &super::error_text(session.t, &e.into()))),
    }
}

/// Reports a hazard found (on today's patrol, when one goes on).
pub async fn hazard_report(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let input = HazardInput {
        grid_id: None,
        kind: text(&form, "kind"),
        description: text(&form, "description"),
        location: text(&form, "location"),
        patrol_id: form.get("patrol_id").and_then(|p| p.parse().ok()),
        people: text(&form, "people"),
    };
    match state.app.hazard_report(&session.viewer, input).await {
        Ok(hazard) => Ok(redirect_with(&format!("/hazards/{}", hazard.view.id), "ok", &session.t.s("隐患已上报"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            patrol_page(&state, &session, Refused::Hazard(typed)).await
        }
        Err(e) => Ok(redirect_with("/patrol", "error", &super::error_text(session.t, &e.into()))),
    }
}

#[derive(Template)]
#[template(path = "hazards.html")]
struct HazardsPage {
    page: Page,
    hazards: Vec<HazardLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    status: String,
    statuses: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct HazardsQuery {
    status: Option<String>,
    page: Option<String>,
}

/// 隐患台账: the hazards of the territory, by status, with a count and pages.
pub async fn hazards(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<HazardsQuery>,
) -> Result<Response, UiError> {
    let t = session.t;
    let page_number = query.page.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    let status = query.status.as_deref().and_then(HazardStatus::parse);
    let filter = HazardFilter {
        status,
        limit: HAZARDS_PAGE,
        offset: (page_number - 1) * HAZARDS_PAGE,
        ..HazardFilter::default()
    };
    let list = state.app.hazards(&session.viewer, &filter).await?;
    let page = Page::new(&state, &session, "隐患台账", "/hazards").await?;
    let shown_flash = page.flash.is_some();
    let view = HazardsPage {
        page,
        hazards: list.items.into_iter().map(|h| hazard_line(t, h)).collect(),
        pages: ((list.total + HAZARDS_PAGE - 1) / HAZARDS_PAGE).max(1),
        total: list.total,
        page_number,
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        statuses: options(t, "hazard_status", HazardStatus::ALL.iter().map(|s| s.as_str())),
    };
    Ok(render(StatusCode::OK, &view, shown_flash))
}

pub struct StepLine {
    action_label: String,
    status_label: String,
    note: String,
    user_name: String,
    at: String,
}

pub struct ActionForm {
    action: String,
    label: String,
    /// The form refused, with what was typed (the others are blank).
    typed: Typed,
}

#[derive(Template)]
#[template(path = "hazard.html")]
struct HazardPage {
    page: Page,
    hazard: HazardLine,
    people: String,
    patrol_id: Option<i64>,
    case_id: Option<i64>,
    case_number: String,
    reporter_name: String,
    steps: Vec<StepLine>,
    actions: Vec<ActionForm>,
    categories: Vec<(String, String)>,
}

async fn hazard_page(
    state: &AppState,
    session: &Session,
    id: HazardId,
    refused: Option<(HazardAction, Typed)>,
) -> Result<Response, UiError> {
    let t = session.t;
    let Hazard { view, actions } = state.app.hazard(&session.viewer, id).await?;
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut refused = refused;
    let actions = actions
        .into_iter()
        .map(|a| ActionForm {
            action: a.as_str().to_owned(),
            label: t.code("hazard_action", a.as_str()),
            typed: match refused.take() {
                Some((action, typed)) if action == a => typed,
                other => {
                    refused = other;
                    Typed::default()
                }
            },
        })
        .collect();
    let steps = view
        .steps
        .iter()
        .map(|s| StepLine {
            action_label: t.code("hazard_action", &s.action),
            status_label: t.code("hazard_status", &s.status),
            note: s.note.clone().unwrap_or_default(),
            user_name: s.user_name.clone(),
            at: short_time(&s.at),
        })
        .collect();
    let page = Page::new(state, session, "隐患", &format!("/hazards/{}", view.id)).await?;
    let shown_flash = page.flash.is_some();
    let (people, patrol_id, case_id) = (view.people.clone().unwrap_or_default(), view.patrol_id, view.case_id);
    let (case_number, reporter_name) = (view.case_number.clone().unwrap_or_default(), view.reporter_name.clone());
    let page_view = HazardPage {
        page,
        hazard: hazard_line(t, view),
        people,
        patrol_id,
        case_id,
        case_number,
        reporter_name,
        steps,
        actions,
        categories: options(t, "category", Category::ALL.iter().map(|c| c.as_str())),
    };
    Ok(render(status, &page_view, shown_flash))
}

/// A hazard with its steps and the forms of the steps the viewer may take.
pub async fn hazard(
    State(state): State<AppState>,
    InPath(id, _): InPath<HazardId, UiError>,
    session: Session,
) -> Result<Response, UiError> {
    hazard_page(&state, &session, id, None).await
}

/// A step on a hazard from its page: back to the page with a flash, or the form again with
/// what was typed and the errors beside the fields.
pub async fn hazard_act(
    State(state): State<AppState>,
    InPath((id, action), _): InPath<(HazardId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let Some(action) = HazardAction::parse(&action) else {
        return Err(UiError::Failed(crate::error::ApiError::not_found("hazard_action")));
    };
    let input = HazardStepInput {
        note: text(&form, "note"),
        title: text(&form, "title"),
        category: text(&form, "category"),
        people_count: None,
        parties: None::<Vec<PartyInput>>,
    };
    let back = format!("/hazards/{id}");
    match state.app.hazard_act(&session.viewer, id, action, input).await {
        Ok(hazard) => {
            let done = t.code("hazard_status", &hazard.view.status);
            Ok(redirect_with(&back, "ok", &done))
        }
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(t, form, &errors);
            hazard_page(&state, &session, id, Some((action, typed))).await
        }
        Err(e) => Ok(redirect_with(&back, "error", &super::error_text(t, &e.into()))),
    }
}

/// The workbench's first card for those who do grid work: for a grid worker, today's patrol
/// (start it or go on with it) and the open hazards; for a centre, what its grids escalated
/// and how many grids have not been patrolled today.
pub struct GridNext {
    pub patrols: bool,
    pub going: bool,
    pub patrolled_today: i64,
    pub open: i64,
    pub escalated: i64,
    pub unpatrolled: i64,
}

pub async fn grid_next(state: &AppState, viewer: &app::Viewer) -> Result<Option<GridNext>, UiError> {
    use domain::authz::{Permission, has};
    if !has(viewer.role, Permission::GridRead) {
        return Ok(None);
    }
    let today = domain::grid::china_date(state.now());
    let filter = PatrolFilter { day: Some(today), limit: 50, ..PatrolFilter::default() };
    let patrols = state.app.patrols(viewer, &filter).await?;
    let going = patrols.items.iter().any(|p| p.ended_at.is_none() && p.user_id == viewer.user_id);
    let count = |status| HazardFilter { status: Some(status), limit: 1, ..HazardFilter::default() };
    let open = state.app.hazards(viewer, &count(HazardStatus::Open)).await?.total;
    let escalated = state.app.hazards(viewer, &count(HazardStatus::Escalated)).await?.total;
    let (_, grids) = state.app.patrol_coverage(viewer, Some(today)).await?;
    Ok(Some(GridNext {
        patrols: has(viewer.role, Permission::PatrolLog),
        going,
        patrolled_today: patrols.total,
        open,
        escalated,
        unpatrolled: grids.iter().filter(|g| g.patrols == 0).count() as i64,
    }))
}
