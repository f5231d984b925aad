//! 重点人员 pages: the register of the viewer's territory (a grid worker's own grid) with its
//! count, filters and pages, the visits most overdue first; for a centre, the form to put a
//! person on it and the people whose disputes colour them, each one click from the form. Each
//! person's page puts the next step first — the visit form for whoever visits — then the
//! centre's forms (colour and schedule, release) and the history. Every form keeps what was
//! typed and shows each error beside its field; every look is recorded.

use app::AppError;
use app::watch::{WatchFilter, WatchView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::{self, Permission};
use domain::case::Risk;
use domain::ids::WatchedPersonId;
use domain::watch::{
    ReleaseInput, ScheduleInput, VisitDue, VisitInput, VisitOutcome, WatchInput, WatchReason, WatchStatus,
};
use serde::Deserialize;

use super::admin::Typed;
use super::cases::short_time;
use super::i18n::T;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

const PEOPLE_PAGE: i64 = 20;

pub struct PersonLine {
    id: i64,
    name: String,
    colour: String,
    colour_label: String,
    reason_label: String,
    grid_name: String,
    due: String,
    due_state: String,
    due_label: String,
    last_visit: String,
    last_situation_label: String,
    status_label: String,
}

fn person_line(t: T, w: &WatchView) -> PersonLine {
    let due_state = w.visit_due.map(|d| d.as_str()).unwrap_or_default();
    PersonLine {
        id: w.id,
        name: w.name.clone(),
        colour: w.colour.clone(),
        colour_label: t.code("risk", &w.colour),
        reason_label: t.code("watch_reason", &w.reason),
        grid_name: w.grid_name.clone(),
        due: w.next_visit_due.as_ref().map(short_time).unwrap_or_default(),
        due_state: due_state.to_owned(),
        due_label: if due_state.is_empty() { String::new() } else { t.code("visit_due", due_state) },
        last_visit: w.last_visit_at.as_ref().map(short_time).unwrap_or_default(),
        last_situation_label: w.last_situation.as_deref().map(|s| t.code("visit_situation", s)).unwrap_or_default(),
        status_label: t.code("watch_status", &w.status),
    }
}

/// Codes with their labels, for a select.
fn options(t: T, kind: &str, codes: impl Iterator<Item = &'static str>) -> Vec<(String, String)> {
    codes.map(|c| (c.to_owned(), t.code(kind, c))).collect()
}

fn colours(t: T) -> Vec<(String, String)> {
    options(t, "risk", [Risk::Red, Risk::Orange, Risk::Yellow].iter().map(|r| r.as_str()))
}

/// A person the computed register colours, with what speaks for putting them on the register.
pub struct KnownLine {
    person_key: String,
    name_masked: String,
    colour: String,
    colour_label: String,
    reasons: String,
    cases: usize,
}

#[derive(Template)]
#[template(path = "people_risk.html")]
struct RegisterPage {
    page: Page,
    people: Vec<PersonLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The filters as chosen, for the form and the pager.
    colour: String,
    due: String,
    status: String,
    query: String,
    colours: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    /// The centre's form, with its grids and reasons (none for a grid worker).
    may_enter: bool,
    enter: Typed,
    grids: Vec<(i64, String)>,
    reasons: Vec<(String, String)>,
    /// The people whose disputes colour them and who are not on the register.
    known: Vec<KnownLine>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    colour: Option<String>,
    due: Option<String>,
    status: Option<String>,
    page: Option<String>,
    /// A person of the computed register to put on it: the form comes filled in.
    person_key: Option<String>,
}

async fn register_page(
    state: &AppState,
    session: &Session,
    query: RegisterQuery,
    refused: Option<Typed>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let page_number = query.page.as_deref().and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    let pick = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let colour = pick(&query.colour).and_then(|c| Risk::parse(&c)).filter(|r| *r != Risk::None);
    let due = pick(&query.due).and_then(|d| VisitDue::parse(&d)).filter(|d| *d != VisitDue::Scheduled);
    let status = pick(&query.status).and_then(|s| WatchStatus::parse(&s)).unwrap_or(WatchStatus::Active);
    let filter =
        WatchFilter { status, colour, grid_id: None, due, limit: PEOPLE_PAGE, offset: (page_number - 1) * PEOPLE_PAGE };
    let list = state.app.watch_list(viewer, &filter).await?;
    let may_enter = authz::has(viewer.role, Permission::PeopleWatchManage);
    let (grids, known) = if may_enter {
        let (_, grids) = state.app.patrol_coverage(viewer, None).await?;
        let register = state.app.people_risk(viewer, None).await?;
        let known = register
            .into_iter()
            .take(20)
            .map(|p| KnownLine {
                colour: p.colour.as_str().to_owned(),
                colour_label: t.code("risk", p.colour.as_str()),
                reasons: p.reasons.iter().map(|r| t.msg(r)).collect::<Vec<_>>().join("；"),
                cases: p.case_ids.len(),
                name_masked: p.name_masked,
                person_key: p.person_key,
            })
            .collect();
        (grids.into_iter().map(|g| (g.grid_id, g.name)).collect(), known)
    } else {
        (Vec::new(), Vec::new())
    };
    let code = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let enter = refused.unwrap_or_else(|| match pick(&query.person_key) {
        Some(key) => Typed::of(vec![("person_key", key), ("reason", WatchReason::DisputeRisk.as_str().to_owned())]),
        None => Typed::default(),
    });
    let (colour, due, status) = (
        colour.map(|c| c.as_str().to_owned()).unwrap_or_default(),
        due.map(|d| d.as_str().to_owned()).unwrap_or_default(),
        status.as_str().to_owned(),
    );
    let page = Page::new(state, session, "重点人员", "/people-risk").await?;
    let shown_flash = page.flash.is_some();
    let view = RegisterPage {
        page,
        people: list.items.iter().map(|w| person_line(t, w)).collect(),
        pages: ((list.total + PEOPLE_PAGE - 1) / PEOPLE_PAGE).max(1),
        total: list.total,
        page_number,
        query: format!("colour={colour}&due={due}&status={status}"),
        colour,
        due,
        status,
        colours: colours(t),
        statuses: options(t, "watch_status", WatchStatus::ALL.iter().map(|s| s.as_str())),
        may_enter,
        enter,
        grids,
        reasons: options(t, "watch_reason", WatchReason::ALL.iter().map(|r| r.as_str())),
        known,
    };
    Ok(render(code, &view, shown_flash))
}

/// 重点人员: the register of the territory, and for a centre the form to put someone on it.
pub async fn register(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, UiError> {
    register_page(&state, &session, query, None).await
}

fn text(form: &FormData, name: &str) -> Option<String> {
    form.get(name).map(str::to_owned)
}

/// The days between visits as typed: blank is none; anything not a number is 0, which the
/// check refuses beside the field like any other value out of range.
fn days_typed(form: &FormData) -> Option<i64> {
    let typed = form.get("visit_every_days").map(str::trim).filter(|v| !v.is_empty())?;
    Some(typed.parse::<i64>().unwrap_or(0))
}

/// Puts a person on the register: their page, or the form again with what was typed.
pub async fn enter(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let grid_id = form.get("grid_id").map(str::trim).filter(|g| !g.is_empty()).map(|g| g.parse::<i64>().unwrap_or(0));
    let input = WatchInput {
        person_key: text(&form, "person_key"),
        name: text(&form, "name"),
        id_number: text(&form, "id_number"),
        phone: text(&form, "phone"),
        address: text(&form, "address"),
        grid_id,
        reason: text(&form, "reason"),
        detail: text(&form, "detail"),
        flagged_by: text(&form, "flagged_by"),
        colour: text(&form, "colour"),
        visit_every_days: days_typed(&form),
    };
    match state.app.watch_enter(&session.viewer, input).await {
        Ok(entry) => Ok(redirect_with(&format!("/people-risk/{}", entry.id), "ok", &t.s("已列入重点人员名册"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(t, form, &errors);
            register_page(&state, &session, RegisterQuery::default(), Some(typed)).await
        }
        Err(e) => Ok(redirect_with("/people-risk", "error", &error_text(t, &e.into()))),
    }
}

pub struct EventLine {
    action_label: String,
    detail: String,
    user_name: String,
    at: String,
}

#[derive(Template)]
#[template(path = "person_watch.html")]
struct PersonPage {
    page: Page,
    person: PersonLine,
    id_number_masked: String,
    phone: String,
    address: String,
    detail: String,
    flagged_by: String,
    visit_every_days: i64,
    active: bool,
    may_visit: bool,
    may_manage: bool,
    visit: Typed,
    schedule: Typed,
    release: Typed,
    situations: Vec<(String, String)>,
    colours: Vec<(String, String)>,
    events: Vec<EventLine>,
}

/// Which form of a person's page was refused.
enum Refused {
    None,
    Visit(Typed),
    Schedule(Typed),
    Release(Typed),
}

async fn person_page(
    state: &AppState,
    session: &Session,
    id: WatchedPersonId,
    refused: Refused,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let w = state.app.watch_get(viewer, id).await?;
    let code = if matches!(refused, Refused::None) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut schedule =
        Typed::of(vec![("colour", w.colour.clone()), ("visit_every_days", w.visit_every_days.to_string())]);
    let (mut visit, mut release) = (Typed::default(), Typed::default());
    match refused {
        Refused::None => {}
        Refused::Visit(typed) => visit = typed,
        Refused::Schedule(typed) => schedule = typed,
        Refused::Release(typed) => release = typed,
    }
    let events = w
        .events
        .iter()
        .map(|e| {
            let situation = e.situation.as_deref().map(|s| t.code("visit_situation", s)).unwrap_or_default();
            let detail = match e.action.as_str() {
                "visit" => [situation, e.text.clone().unwrap_or_default()].join(" ").trim().to_owned(),
                "escalate" if e.situation.as_deref() == Some(VisitOutcome::NotMet.as_str()) => {
                    t.msg(&domain::msg!("watch.not_met_twice"))
                }
                "escalate" => t.msg(&domain::msg!("watch.escalated")),
                "schedule" => format!("{} · {} {}", t.code("risk", &e.colour), e.visit_every_days, t.s("天一访")),
                _ => e.text.clone().unwrap_or_default(),
            };
            EventLine {
                action_label: t.code("watch_action", &e.action),
                detail,
                user_name: e.user_name.clone().unwrap_or_default(),
                at: short_time(&e.at),
            }
        })
        .collect();
    let active = w.status == WatchStatus::Active.as_str();
    let page = Page::new(state, session, "重点人员", &format!("/people-risk/{}", w.id)).await?;
    let shown_flash = page.flash.is_some();
    let view = PersonPage {
        page,
        person: person_line(t, &w),
        id_number_masked: w.id_number_masked.clone().unwrap_or_default(),
        phone: w.phone.clone().unwrap_or_default(),
        address: w.address.clone().unwrap_or_default(),
        detail: w.detail.clone().unwrap_or_default(),
        flagged_by: w.flagged_by.clone().unwrap_or_default(),
        visit_every_days: w.visit_every_days,
        active,
        may_visit: active && authz::has(viewer.role, Permission::PeopleVisit),
        may_manage: active && authz::has(viewer.role, Permission::PeopleWatchManage),
        visit,
        schedule,
        release,
        situations: options(t, "visit_situation", VisitOutcome::ALL.iter().map(|s| s.as_str())),
        colours: colours(t),
        events,
    };
    Ok(render(code, &view, shown_flash))
}

/// A person on the register: the next step first, then the centre's forms and the history.
pub async fn person(
    State(state): State<AppState>,
    InPath(id, _): InPath<WatchedPersonId, UiError>,
    session: Session,
) -> Result<Response, UiError> {
    person_page(&state, &session, id, Refused::None).await
}

/// A visit, a change of schedule or a release from a person's page: back to the page with a
/// flash, or the form again with what was typed and the errors beside the fields.
pub async fn person_act(
    State(state): State<AppState>,
    InPath((id, action), _): InPath<(WatchedPersonId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let viewer = &session.viewer;
    let back = format!("/people-risk/{id}");
    let (done, refused): (Result<WatchView, AppError>, fn(Typed) -> Refused) = match action.as_str() {
        "visits" => {
            let input = VisitInput { visited_at: None, situation: text(&form, "situation"), note: text(&form, "note") };
            (state.app.watch_visit(viewer, id, input).await, Refused::Visit)
        }
        "schedule" => {
            let input = ScheduleInput { colour: text(&form, "colour"), visit_every_days: days_typed(&form) };
            (state.app.watch_schedule(viewer, id, input).await, Refused::Schedule)
        }
        "release" => (
            state.app.watch_release(viewer, id, ReleaseInput { reason: text(&form, "reason") }).await,
            Refused::Release,
        ),
        _ => return Err(UiError::Failed(crate::error::ApiError::not_found("watch_action"))),
    };
    match done {
        Ok(_) => {
            let said = match action.as_str() {
                "visits" => t.s("走访已记录"),
                "schedule" => t.s("走访计划已调整"),
                _ => t.s("已解除列管"),
            };
            Ok(redirect_with(&back, "ok", &said))
        }
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(t, form, &errors);
            person_page(&state, &session, id, refused(typed)).await
        }
        Err(e) => Ok(redirect_with(&back, "error", &error_text(t, &e.into()))),
    }
}

/// The workbench's card of the register: the visits due within three days and overdue.
pub struct WatchNext {
    pub due_soon: i64,
    pub overdue: i64,
    pub active: i64,
}

pub async fn watch_next(state: &AppState, viewer: &app::Viewer) -> Result<Option<WatchNext>, UiError> {
    let counts = state.app.watch_counts(viewer).await?;
    Ok(counts.filter(|c| c.active > 0).map(|c| WatchNext {
        due_soon: c.due_soon,
        overdue: c.overdue,
        active: c.active,
    }))
}
