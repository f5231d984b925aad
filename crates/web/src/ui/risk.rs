//! 三色三单 pages: the lists the viewer sees (count and paging, and the form to issue one for
//! a centre's dispatchers and leaders), and a list with each item's actions — the assigned
//! units acknowledge and report, the issuing centre closes or sends back. A step refused for
//! its text shows the list again with the text kept and the error beside it.

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
    /// To be closed by (empty on lists issued before items had a closing day).
    close_by: String,
    status: String,
    status_label: String,
    overdue: bool,
    /// Why the centre sent it back, while it is back with its units.
    sent_back_reason: Option<String>,
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
    /// A step refused for its text: the item, the step and the form as typed.
    refused: Option<(i64, String, Typed)>,
}

impl ListPage {
    /// The step's form on the item as refused, if it is the one refused.
    fn refused_form(&self, item: &i64, action: &str) -> Option<&Typed> {
        self.refused.as_ref().filter(|(i, a, _)| i == item && a == action).map(|(_, _, typed)| typed)
    }

    /// What was typed in a field of the step's form on the item, when it was refused.
    fn typed(&self, item: &i64, action: &str, field: &str) -> &str {
        self.refused_form(item, action).map_or("", |typed| typed.value(field))
    }

    /// The error beside a field of the step's form on the item.
    fn refused_error(&self, item: &i64, action: &str, field: &str) -> Option<&str> {
        self.refused_form(item, action).and_then(|typed| typed.error(field))
    }
}

fn status_label(t: T, status: &str) -> String {
    t.s(match status {
        "issued" => "待签收",
        "acknowledged" => "已签收",
        "reported" => "已反馈",
        "sent_back" => "退回重办",
        _ => "已销号",
    })
    .into_owned()
}

fn action_label(t: T, action: &str) -> String {
    t.s(match action {
        "acknowledge" => "签收",
        "report" => "反馈",
        "send_back" => "退回",
        _ => "销号",
    })
    .into_owned()
}

pub async fn list(
    State(state): State<AppState>,
    InPath(id, _): InPath<RiskListId, UiError>,
    session: Session,
) -> Result<Response, UiError> {
    list_page(&state, &session, id, None).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    id: RiskListId,
    refused: Option<(i64, String, Typed)>,
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
            units: i.assigned_unit_names.join("、"),
            due: short_time(&i.due_at),
            close_by: i.close_by.as_ref().map(short_time).unwrap_or_default(),
            status_label: status_label(t, &i.status),
            assigned: i.assigned_unit_ids.contains(&viewer.unit_id),
            sent_back_reason: i.sent_back_reason().map(str::to_owned),
            case_ids: i.case_ids,
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
    let page = Page::new(state, session, "风险隐患清单", &format!("/risk-lists/{}", list.id)).await?;
    let shown_flash = page.flash.is_some();
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let view = ListPage {
        page,
        id: list.id,
        number: list.number,
        unit_name: list.unit_name,
        region_name: list.region_name,
        issued: short_time(&list.issued_at),
        items,
        closes,
        refused,
    };
    Ok(render(status, &view, shown_flash))
}

/// A step on an item (`acknowledge`, `report`, `close`, `send-back`): back to the item, or the
/// list again with the text kept and the error beside it.
pub async fn item_act(
    State(state): State<AppState>,
    InPath((id, item, action), _): InPath<(RiskListId, RiskItemId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let (step, field, done) = match action.as_str() {
        "acknowledge" => (ItemAction::Acknowledge, "text", "已签收"),
        "report" => (ItemAction::Report, "text", "已反馈"),
        "close" => (ItemAction::Close, "text", "已销号"),
        "send-back" => (ItemAction::SendBack, "reason", "退回重办"),
        _ => return Err(UiError::Failed(crate::error::ApiError::not_found("path"))),
    };
    let back = format!("/risk-lists/{id}#item-{item}");
    match state.app.risk_item_act(&session.viewer, id, item, step, form.get(field)).await {
        Ok(_) => Ok(redirect_with(&back, "ok", t.s(done).as_ref())),
        Err(AppError::Invalid(errors)) => {
            let refused = (item.get(), action, Typed::refused(t, form, &errors));
            list_page(&state, &session, id, Some(refused)).await
        }
        Err(error) => Ok(redirect_with(&back, "error", &error_text(t, &error.into()))),
    }
}

/// An item waiting on the viewer's unit, as the workbench lists it.
pub struct AssignedLine {
    pub id: i64,
    pub list_id: i64,
    /// 风险隐患清单 2026-003 第 2 项
    pub label: String,
    pub colour: String,
    pub colour_label: String,
    pub status: String,
    pub status_label: String,
    /// Acknowledge by (issued), else close by.
    pub due: String,
    pub overdue: bool,
    pub sent_back_reason: Option<String>,
}

/// The items of risk lists waiting on the viewer's unit, those sent back first.
pub async fn assigned(state: &AppState, session: &Session, limit: i64) -> Result<Vec<AssignedLine>, UiError> {
    let t = session.t;
    let items = state.app.risk_items_assigned(&session.viewer, limit).await?;
    Ok(items
        .into_iter()
        .map(|i| AssignedLine {
            id: i.id,
            list_id: i.list_id,
            label: t.msg(&domain::msg!("risk_list.item", number = i.list_number.as_str(), position = i.position)),
            colour: i.colour.as_str().to_owned(),
            colour_label: t.code("risk", i.colour.as_str()),
            status_label: status_label(t, &i.status),
            status: i.status,
            due: i.due_at.as_ref().map(short_time).unwrap_or_default(),
            overdue: i.overdue,
            sent_back_reason: i.sent_back_reason,
        })
        .collect())
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
