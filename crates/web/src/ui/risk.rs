//! 三色三单 pages: the lists the viewer sees (count and paging, and the form to issue one for
//! a centre's dispatchers and leaders), and a list with each item's actions — the assigned
//! units acknowledge and report, the issuing centre closes.

use app::risk_lists::{ItemAction, RiskListSummary, RiskListView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::{self, Permission};
use domain::case::Risk;
use domain::ids::{RiskItemId, RiskListId};
use serde::Deserialize;

use super::admin::Typed;
use super::cases::short_time;
use super::i18n::T;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render, territory_regions};
use crate::AppState;
use crate::extract::InPath;
use app::AppError;

const LISTS_PAGE: i64 = 20;

struct ListLine {
    id: i64,
    number: String,
    unit_name: String,
    region_name: String,
    issued: String,
    items: i64,
    open_items: i64,
    overdue_items: i64,
}

#[derive(Template)]
#[template(path = "risk_lists.html")]
struct ListsPage {
    page: Page,
    lists: Vec<ListLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The viewer may issue a list: the region offered by default is their territory.
    may_issue: bool,
    /// The issue form, as typed or with the viewer's territory, and the regions it offers.
    issue: Typed,
    regions: Vec<(String, String)>,
    /// The viewer watches the territory: the places' colours are theirs to see.
    may_see_places: bool,
}

#[derive(Debug, Deserialize)]
pub struct ListsQuery {
    page: Option<String>,
}

pub async fn lists(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListsQuery>,
) -> Result<Response, UiError> {
    let page_number = query.page.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    lists_page(&state, &session, page_number, None).await
}

async fn lists_page(
    state: &AppState,
    session: &Session,
    page_number: i64,
    refused: Option<Typed>,
) -> Result<Response, UiError> {
    let (total, lists) = state.app.risk_lists(&session.viewer, LISTS_PAGE, (page_number - 1) * LISTS_PAGE).await?;
    let lists = lists
        .into_iter()
        .map(|l: RiskListSummary| ListLine {
            id: l.id,
            number: l.number,
            unit_name: l.unit_name,
            region_name: l.region_name,
            issued: short_time(&l.issued_at),
            items: l.items,
            open_items: l.open_items,
            overdue_items: l.overdue_items,
        })
        .collect();
    let page = Page::new(state, session, "风险隐患清单", "/risk-lists").await?;
    let shown_flash = page.flash.is_some();
    let pages = ((total + LISTS_PAGE - 1) / LISTS_PAGE).max(1);
    let may_issue = authz::has(session.viewer.role, Permission::RiskListManage);
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let issue = refused.unwrap_or_else(|| Typed::of(vec![("region", session.viewer.scope.region.as_str().to_owned())]));
    let regions = if may_issue { territory_regions(state, &session.viewer).await? } else { Vec::new() };
    let may_see_places = authz::has(session.viewer.role, Permission::AlertsRead);
    let shown = ListsPage { page, lists, total, page_number, pages, may_issue, issue, regions, may_see_places };
    Ok(render(status, &shown, shown_flash))
}

/// Issues the list of a region of the territory now: the list, or the form again with the
/// region chosen and the error beside it.
pub async fn issue(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    match state.app.risk_list_issue(&session.viewer, form.get("region")).await {
        Ok(list) => {
            Ok(redirect_with(&format!("/risk-lists/{}", list.id), "ok", &format!("{} {}", list.number, t.s("已签发"))))
        }
        Err(AppError::Invalid(errors)) => lists_page(&state, &session, 1, Some(Typed::refused(t, form, &errors))).await,
        Err(error) => Ok(redirect_with("/risk-lists", "error", &error_text(t, &error.into()))),
    }
}

struct EventLine {
    action: String,
    text: String,
    unit_name: String,
    at: String,
}

struct ItemLine {
    id: i64,
    colour: String,
    colour_label: String,
    reasons: Vec<String>,
    case_ids: Vec<i64>,
    units: String,
    due: String,
    status: String,
    status_label: String,
    overdue: bool,
    events: Vec<EventLine>,
    /// The viewer's unit is assigned: it acknowledges and reports.
    assigned: bool,
}

#[derive(Template)]
#[template(path = "risk_list.html")]
struct ListPage {
    page: Page,
    id: i64,
    number: String,
    unit_name: String,
    region_name: String,
    issued: String,
    items: Vec<ItemLine>,
    /// The viewer is of the issuing centre and may close items.
    closes: bool,
}

fn status_label(t: T, status: &str) -> String {
    t.s(match status {
        "issued" => "待签收",
        "acknowledged" => "已签收",
        "reported" => "已反馈",
        _ => "已销号",
    })
    .into_owned()
}

fn action_label(t: T, action: &str) -> String {
    t.s(match action {
        "acknowledge" => "签收",
        "report" => "反馈",
        _ => "销号",
    })
    .into_owned()
}

pub async fn list(
    State(state): State<AppState>,
    InPath(id, _): InPath<RiskListId, UiError>,
    session: Session,
) -> Result<Response, UiError> {
    let t = session.t;
    let list: RiskListView = state.app.risk_list(&session.viewer, id).await?;
    let viewer = &session.viewer;
    let items = list
        .items
        .into_iter()
        .map(|i| ItemLine {
            id: i.id,
            colour: i.colour.as_str().to_owned(),
            colour_label: t.code("risk", i.colour.as_str()),
            reasons: i.reasons.iter().map(|r| t.msg(r)).collect(),
            case_ids: i.case_ids,
            units: i.assigned_unit_names.join("、"),
            due: short_time(&i.due_at),
            status_label: status_label(t, &i.status),
            assigned: i.assigned_unit_ids.contains(&viewer.unit_id),
            status: i.status,
            overdue: i.overdue,
            events: i
                .events
                .into_iter()
                .map(|e| EventLine {
                    action: action_label(t, &e.action),
                    text: e.text.unwrap_or_default(),
                    unit_name: e.unit_name,
                    at: short_time(&e.at),
                })
                .collect(),
        })
        .collect();
    let closes = authz::has(viewer.role, Permission::RiskListManage) && list.unit_id == viewer.unit_id;
    let page = Page::new(&state, &session, "风险隐患清单", &format!("/risk-lists/{}", list.id)).await?;
    let shown_flash = page.flash.is_some();
    let view = ListPage {
        page,
        id: list.id,
        number: list.number,
        unit_name: list.unit_name,
        region_name: list.region_name,
        issued: short_time(&list.issued_at),
        items,
        closes,
    };
    Ok(render(StatusCode::OK, &view, shown_flash))
}

pub async fn item_act(
    State(state): State<AppState>,
    InPath((id, item, action), _): InPath<(RiskListId, RiskItemId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let t = posted.session.t;
    let (action, done) = match action.as_str() {
        "acknowledge" => (ItemAction::Acknowledge, "已签收"),
        "report" => (ItemAction::Report, "已反馈"),
        "close" => (ItemAction::Close, "已销号"),
        _ => return Err(UiError::Failed(crate::error::ApiError::not_found("path"))),
    };
    let back = format!("/risk-lists/{id}#item-{item}");
    match state.app.risk_item_act(&posted.session.viewer, id, item, action, posted.form.get("text")).await {
        Ok(_) => Ok(redirect_with(&back, "ok", t.s(done).as_ref())),
        Err(error) => Ok(redirect_with(&back, "error", &error_text(t, &error.into()))),
    }
}

/// Places shown per page of `/risk-places`.
const PLACES_PAGE: usize = 50;

struct PlaceLine {
    kind_label: String,
    name: String,
    colour: String,
    colour_label: String,
    reasons: Vec<String>,
    case_ids: Vec<i64>,
    updated: String,
    /// The command screen of the place (a street or a community), where it drills down.
    screen: Option<String>,
}

#[derive(Template)]
#[template(path = "risk_places.html")]
struct PlacesPage {
    page: Page,
    places: Vec<PlaceLine>,
    total: usize,
    page_number: usize,
    pages: usize,
    colour: String,
    kind: String,
    /// Each colour's count in the territory (red, orange, yellow), whatever the filters.
    tally: [usize; 3],
}

impl PlacesPage {
    fn link(&self, page: usize) -> String {
        format!("/risk-places?colour={}&kind={}&page={page}", self.colour, self.kind)
    }
}

#[derive(Debug, Deserialize)]
pub struct PlacesQuery {
    colour: Option<String>,
    kind: Option<String>,
    page: Option<String>,
}

/// 地点风险: the grids, communities and streets of the viewer's territory that carry a colour,
/// reddest first, each with its reasons and the cases behind it; filters by colour and kind
/// combine, with a count and paging.
pub async fn places(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<PlacesQuery>,
) -> Result<Response, UiError> {
    let t = session.t;
    let all = state.app.place_risk_list(&session.viewer, None).await?;
    let count = |colour: Risk| all.iter().filter(|p| p.colour == colour).count();
    let tally = [count(Risk::Red), count(Risk::Orange), count(Risk::Yellow)];
    let colour = query.colour.filter(|c| ["red", "orange", "yellow"].contains(&c.as_str())).unwrap_or_default();
    let kind = query.kind.filter(|k| ["grid", "community", "street"].contains(&k.as_str())).unwrap_or_default();
    let chosen: Vec<_> = all
        .into_iter()
        .filter(|p| colour.is_empty() || p.colour.as_str() == colour)
        .filter(|p| kind.is_empty() || p.kind == kind)
        .collect();
    let total = chosen.len();
    let pages = total.div_ceil(PLACES_PAGE).max(1);
    let page_number = query.page.and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let places = chosen
        .into_iter()
        .skip((page_number - 1) * PLACES_PAGE)
        .take(PLACES_PAGE)
        .map(|p| PlaceLine {
            kind_label: t.s(place_kind_phrase(&p.kind)).into_owned(),
            screen: (p.kind != "grid").then(|| format!("/command?region={}&by=risk", p.key)),
            name: p.name,
            colour: p.colour.as_str().to_owned(),
            colour_label: t.code("risk", p.colour.as_str()),
            reasons: p.reasons.iter().map(|r| t.msg(r)).collect(),
            case_ids: p.case_ids,
            updated: short_time(&p.updated_at),
        })
        .collect();
    let page = Page::new(&state, &session, "地点风险", "/risk-places").await?;
    let shown_flash = page.flash.is_some();
    let shown = PlacesPage { page, places, total, page_number, pages, colour, kind, tally };
    Ok(render(StatusCode::OK, &shown, shown_flash))
}

fn place_kind_phrase(kind: &str) -> &'static str {
    match kind {
        "grid" => "网格",
        "community" => "社区",
        _ => "街道",
    }
}
