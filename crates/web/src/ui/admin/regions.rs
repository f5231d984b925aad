//! Regions and grids: each a list (count, paging, filters) with the form for a new one, and
//! one record's page (its name; disabling and enabling). A code never changes, and with it the
//! parent: a region's code is its place in the national division, a grid's is its community's
//! code and a serial — to move one, add it anew and disable the old one.

use app::AppError;
use app::command::RegionAreas;
use app::org::{GridFilter, GridView, NewRegion, RegionFilter, RegionView};
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::ids::GridId;
use domain::msg;
use domain::org::{RegionCode, RegionLevel};
use domain::validation::FieldError;
use serde::Deserialize;

use super::{Names, Typed, may, page_count, page_number, region_field};
use crate::AppState;
use crate::extract::InPath;
use crate::ui::session::{CSRF_FIELD, encode_component};
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// Regions or grids shown per page of a list.
const PAGE_SIZE: i64 = 50;

/// `?level=street&q=张掖&page=2` (regions) or `?community=…&q=…&page=2` (grids), each optional.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    level: Option<String>,
    community: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn level_value(&self) -> &str {
        self.level.as_deref().unwrap_or_default()
    }

    fn community_value(&self) -> &str {
        self.community.as_deref().unwrap_or_default()
    }

    fn q_value(&self) -> &str {
        self.q.as_deref().unwrap_or_default()
    }

    /// The list's address with the same filters, on page `n`.
    fn link(&self, list: &str, n: i64) -> String {
        format!(
            "{list}?level={}&community={}&q={}&page={n}",
            encode_component(self.level_value()),
            encode_component(self.community_value()),
            encode_component(self.q_value()),
        )
    }
}

#[derive(Template)]
#[template(path = "admin_regions.html")]
struct RegionsPage {
    page: Page,
    regions: Vec<RegionView>,
    /// The parent's name of each region shown.
    names: Names,
    total: i64,
    page_number: i64,
    pages: i64,
    filter: ListQuery,
    levels: Vec<(&'static str, String)>,
    form: Typed,
}

impl RegionsPage {
    fn page_link(&self, n: &i64) -> String {
        self.filter.link("/admin/regions", *n)
    }
}

const LEVELS: [RegionLevel; 5] =
    [RegionLevel::Province, RegionLevel::City, RegionLevel::District, RegionLevel::Street, RegionLevel::Community];

pub async fn regions_list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    regions_page(&state, &session, query, Typed::default()).await
}

async fn regions_page(state: &AppState, session: &Session, query: ListQuery, form: Typed) -> Result<Response, UiError> {
    may(session, Permission::OrganisationManage)?;
    let t = session.t;
    let number = page_number(query.page.as_deref());
    let filter = RegionFilter {
        level: LEVELS.into_iter().find(|l| l.as_str() == query.level_value()),
        words: query.q.clone(),
        offset: (number - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let found = state.app.regions_page(&session.viewer, &filter).await?;
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "区划", "/admin/regions").await?;
    let shown_flash = page.flash.is_some();
    let list = RegionsPage {
        page,
        names: Names::of_regions(&state.app.regions().await?),
        regions: found.items,
        total: found.total,
        page_number: number,
        pages: page_count(found.total, PAGE_SIZE),
        filter: query,
        levels: LEVELS.iter().map(|l| (l.as_str(), t.code("level", l.as_str()))).collect(),
        form,
    };
    Ok(render(status, &list, shown_flash))
}

pub async fn region_create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    let name = form.get("name").unwrap_or_default();
    let created = match region_field(&form, "region_code") {
        Ok(code) => {
            let region = NewRegion { code: &code, name, short_name: form.get("short_name") };
            state.app.region_create(&session.viewer, region).await
        }
        Err(fault) => Err(AppError::field(fault)),
    };
    match created {
        Ok(()) => Ok(redirect_with("/admin/regions", "ok", &format!("{} {name}", session.t.s("已添加区划")))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            regions_page(&state, &session, ListQuery::default(), typed).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_region.html")]
struct RegionPage {
    page: Page,
    region: RegionView,
    parent: String,
    form: Typed,
    /// The areas under the region (child regions, or a community's grids), each with its
    /// boundary on the command screen's map where it has one, and the region's own.
    areas: RegionAreas,
    /// The same for the drawing board's script, as JSON.
    drawing: String,
    /// What is wrong with the boundary file just uploaded.
    boundary_error: Option<String>,
}

impl RegionPage {
    fn drawn(&self) -> usize {
        self.areas.areas.iter().filter(|a| a.boundary.is_some()).count()
    }
}

async fn region_page(
    state: &AppState,
    session: &Session,
    region: RegionView,
    form: Typed,
    boundary_error: Option<String>,
) -> Result<Response, UiError> {
    let status =
        if form.has_errors() || boundary_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "区划", &format!("/admin/regions/{}", region.code)).await?;
    let shown_flash = page.flash.is_some();
    let parent = match &region.parent_code {
        Some(code) => Names::of_regions(&state.app.regions().await?).get(code),
        None => String::new(),
    };
    let code = RegionCode::parse(&region.code).map_err(|_| AppError::NotFound { what: "region" })?;
    let areas = state.app.region_areas(&session.viewer, &code).await?;
    let drawing = serde_json::json!({"own": areas.own, "areas": areas.areas}).to_string();
    Ok(render(status, &RegionPage { page, region, parent, form, areas, drawing, boundary_error }, shown_flash))
}

pub async fn region_show(
    State(state): State<AppState>,
    session: Session,
    InPath(code, _): InPath<RegionCode, UiError>,
) -> Result<Response, UiError> {
    let region = state.app.region(&session.viewer, &code).await?;
    let form =
        Typed::of(vec![("name", region.name.clone()), ("short_name", region.short_name.clone().unwrap_or_default())]);
    region_page(&state, &session, region, form, None).await
}

pub async fn region_update(
    State(state): State<AppState>,
    InPath(code, _): InPath<RegionCode, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let region = state.app.region(&session.viewer, &code).await?;
    let name = form.get("name").unwrap_or_default();
    match state.app.region_update(&session.viewer, &code, name, form.get("short_name")).await {
        Ok(()) => Ok(redirect_with(&format!("/admin/regions/{code}"), "ok", &session.t.s("区划已保存"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            region_page(&state, &session, region, typed, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The boundaries of the region's child regions imported from a GeoJSON file (multipart: `file`),
/// for the command screen's map; a file at fault is named beside its field (422).
pub async fn boundaries_import(
    State(state): State<AppState>,
    session: Session,
    InPath(code, _): InPath<RegionCode, UiError>,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let (mut csrf, mut file) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else { break };
        match name.as_str() {
            CSRF_FIELD => csrf = String::from_utf8(bytes.to_vec()).ok(),
            "file" => file = Some(bytes),
            _ => {}
        }
    }
    if !session.csrf_matches(csrf.as_deref()) {
        return Err(UiError::Csrf);
    }
    let region = state.app.region(&session.viewer, &code).await?;
    let t = session.t;
    let bytes = file.unwrap_or_default();
    let outcome = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)) {
        Ok(text) => state.app.region_boundaries_import(&session.viewer, &code, text).await,
        Err(_) => Err(AppError::field(FieldError::new("file", "encoding", msg!("geo.not_utf8")))),
    };
    match outcome {
        Ok(done) => {
            let mut said = format!("{} {}", t.s("已导入边界的区域："), done.matched.len());
            if !done.unmatched.is_empty() {
                said = format!("{said}；{}{}", t.s("未能对应到下级区域的要素："), done.unmatched.join("、"));
            }
            let kind = if done.matched.is_empty() { "error" } else { "ok" };
            Ok(redirect_with(&format!("/admin/regions/{code}"), kind, &said))
        }
        Err(AppError::Invalid(errors)) => {
            let said = errors.iter().map(|e| t.msg(&e.message())).collect::<Vec<_>>().join("；");
            let form = Typed::of(vec![
                ("name", region.name.clone()),
                ("short_name", region.short_name.clone().unwrap_or_default()),
            ]);
            region_page(&state, &session, region, form, Some(said)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes the boundaries of the region's child regions: the map draws them as tiles again.
pub async fn boundaries_clear(
    State(state): State<AppState>,
    InPath(code, _): InPath<RegionCode, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, .. } = posted;
    let removed = state.app.region_boundaries_clear(&session.viewer, &code).await?;
    let said = format!("{} {removed}", session.t.s("已清除边界的区域："));
    Ok(redirect_with(&format!("/admin/regions/{code}"), "ok", &said))
}

/// Disables (`active=false`) or enables (`active=true`) the region.
pub async fn region_active_set(
    State(state): State<AppState>,
    InPath(code, _): InPath<RegionCode, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let active = form.get("active") == Some("true");
    let done = state.app.region_active_set(&session.viewer, &code, active).await;
    answer_active(&session, &format!("/admin/regions/{code}"), active, done)
}

/// Back to the record's page, saying what was done or why not (what still depends on it).
fn answer_active(session: &Session, to: &str, active: bool, done: Result<(), AppError>) -> Result<Response, UiError> {
    let text = if active { "已启用" } else { "已停用" };
    match done {
        Ok(()) => Ok(redirect_with(to, "ok", &session.t.s(text))),
        Err(AppError::Conflict { message, .. }) => Ok(redirect_with(to, "error", &session.t.msg(&message))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_grids.html")]
struct GridsPage {
    page: Page,
    grids: Vec<GridView>,
    names: Names,
    total: i64,
    page_number: i64,
    pages: i64,
    filter: ListQuery,
    /// The communities a grid may be drawn in (active ones): code and name.
    communities: Vec<(String, String)>,
    form: Typed,
}

impl GridsPage {
    fn page_link(&self, n: &i64) -> String {
        self.filter.link("/admin/grids", *n)
    }
}

pub async fn grids_list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    grids_page(&state, &session, query, Typed::default()).await
}

async fn grids_page(state: &AppState, session: &Session, query: ListQuery, form: Typed) -> Result<Response, UiError> {
    may(session, Permission::OrganisationManage)?;
    let number = page_number(query.page.as_deref());
    let filter = GridFilter {
        community: RegionCode::parse(query.community_value()).ok(),
        words: query.q.clone(),
        offset: (number - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let found = state.app.grids_page(&session.viewer, &filter).await?;
    let regions = state.app.regions().await?;
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "网格", "/admin/grids").await?;
    let shown_flash = page.flash.is_some();
    let list = GridsPage {
        page,
        names: Names::of_regions(&regions),
        communities: regions
            .iter()
            .filter(|r| r.level == "community" && r.active)
            .map(|r| (r.code.clone(), r.name.clone()))
            .collect(),
        grids: found.items,
        total: found.total,
        page_number: number,
        pages: page_count(found.total, PAGE_SIZE),
        filter: query,
        form,
    };
    Ok(render(status, &list, shown_flash))
}

pub async fn grid_create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    let (code, name) = (form.get("grid_code").unwrap_or_default(), form.get("name").unwrap_or_default());
    let created = match region_field(&form, "community") {
        Ok(community) => state.app.grid_create(&session.viewer, code, name, &community).await.map(|_| ()),
        Err(fault) => Err(AppError::field(fault)),
    };
    match created {
        Ok(()) => Ok(redirect_with("/admin/grids", "ok", &format!("{} {name}", session.t.s("已添加网格")))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            grids_page(&state, &session, ListQuery::default(), typed).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_grid.html")]
struct GridPage {
    page: Page,
    grid: GridView,
    community: String,
    form: Typed,
}

async fn grid_page(state: &AppState, session: &Session, grid: GridView, form: Typed) -> Result<Response, UiError> {
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "网格", &format!("/admin/grids/{}", grid.id)).await?;
    let shown_flash = page.flash.is_some();
    let community = Names::of_regions(&state.app.regions().await?).get(&grid.community_code);
    Ok(render(status, &GridPage { page, grid, community, form }, shown_flash))
}

pub async fn grid_show(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<GridId, UiError>,
) -> Result<Response, UiError> {
    let grid = state.app.grid(&session.viewer, id).await?;
    let form = Typed::of(vec![("name", grid.name.clone())]);
    grid_page(&state, &session, grid, form).await
}

pub async fn grid_update(
    State(state): State<AppState>,
    InPath(id, _): InPath<GridId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let grid = state.app.grid(&session.viewer, id).await?;
    match state.app.grid_update(&session.viewer, id, form.get("name").unwrap_or_default()).await {
        Ok(()) => Ok(redirect_with(&format!("/admin/grids/{id}"), "ok", &session.t.s("网格已保存"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            grid_page(&state, &session, grid, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Disables (`active=false`) or enables (`active=true`) the grid.
pub async fn grid_active_set(
    State(state): State<AppState>,
    InPath(id, _): InPath<GridId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let active = form.get("active") == Some("true");
    let done = state.app.grid_active_set(&session.viewer, id, active).await;
    answer_active(&session, &format!("/admin/grids/{id}"), active, done)
}
