//! Units: the list grouped by level and kind with region names, a new unit, and one unit's
//! page (its fields; disabling and enabling).

use app::AppError;
use app::org::{GridView, NewUnit, UnitView};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::case::Category;
use domain::ids::UnitId;
use domain::org::{RegionCode, UnitKind};
use domain::validation::FieldError;

use super::{Names, RegionChoices, Typed, UnitChoices, may, region_choices, unit_choices};
use crate::AppState;
use crate::extract::InPath;
use crate::ui::cases::options;
use crate::ui::i18n::T;
use crate::ui::session::FormData;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// A unit as a line of the list.
pub struct UnitLine {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub parent: String,
    pub categories: String,
    pub active: bool,
}

/// The units of one level and kind.
pub struct UnitSection {
    pub label: String,
    pub lines: Vec<UnitLine>,
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct UnitsPage {
    page: Page,
    sections: Vec<UnitSection>,
    total: usize,
    disabled: usize,
}

fn category_labels(t: T, codes: &str) -> String {
    codes.split_whitespace().map(|c| t.code("category", c)).collect::<Vec<_>>().join("、")
}

pub async fn list(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let t = session.t;
    let mut units = state.app.units().await?;
    let regions = state.app.regions().await?;
    let (unit_names, region_names) = (Names::of_units(&units), Names::of_regions(&regions));
    let level = |u: &UnitView| RegionCode::parse(&u.region_code).map(|r| r.level()).ok();
    let kind = |u: &UnitView| UnitKind::ALL.iter().position(|k| k.as_str() == u.kind);
    units.sort_by(|a, b| (level(a), kind(a), &a.name).cmp(&(level(b), kind(b), &b.name)));
    let mut sections: Vec<UnitSection> = Vec::new();
    for unit in &units {
        let label = format!(
            "{} · {}",
            level(unit).map(|l| t.code("level", l.as_str())).unwrap_or_default(),
            t.code("unit_kind", &unit.kind)
        );
        let line = UnitLine {
            id: unit.id,
            name: unit.name.clone(),
            region: region_names.get(&unit.region_code),
            parent: unit.parent_id.map(|p| unit_names.get(p)).unwrap_or_default(),
            categories: category_labels(t, &unit.categories),
            active: unit.active,
        };
        match sections.last_mut() {
            Some(section) if section.label == label => section.lines.push(line),
            _ => sections.push(UnitSection { label, lines: vec![line] }),
        }
    }
    let page = Page::new(&state, &session, "单位", "/admin/units").await?;
    let shown_flash = page.flash.is_some();
    let disabled = units.iter().filter(|u| !u.active).count();
    let list = UnitsPage { page, sections, total: units.len(), disabled };
    Ok(render(StatusCode::OK, &list, shown_flash))
}

#[derive(Template)]
#[template(path = "admin_unit.html")]
struct UnitPage {
    page: Page,
    /// The unit shown; `None` on the form for a new one.
    unit: Option<UnitView>,
    form: Typed,
    kinds: Vec<(&'static str, String)>,
    regions: Vec<RegionChoices>,
    parents: Vec<UnitChoices>,
    categories: Vec<(&'static str, String)>,
    grids: Vec<GridView>,
    /// Active users of the unit (it is disabled only without any).
    users: i64,
}

async fn unit_page(
    state: &AppState,
    session: &Session,
    unit: Option<UnitView>,
    form: Typed,
) -> Result<Response, UiError> {
    let t = session.t;
    let app = &state.app;
    let units = app.units().await?;
    let users = match &unit {
        Some(u) => {
            let filter = app::org::UserFilter { unit_id: Some(u.id), limit: 1, ..Default::default() };
            let page = app.users_page(&session.viewer, &filter).await?;
            page.total
        }
        None => 0,
    };
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let here = unit.as_ref().map_or("/admin/units/new".to_owned(), |u| format!("/admin/units/{}", u.id));
    let page = Page::new(state, session, if unit.is_some() { "单位" } else { "新建单位" }, &here).await?;
    let shown_flash = page.flash.is_some();
    let shown = UnitPage {
        page,
        form,
        kinds: options(t, "unit_kind", UnitKind::ALL, UnitKind::as_str),
        regions: region_choices(t, &app.regions().await?),
        parents: unit_choices(
            t,
            &units.iter().filter(|u| unit.as_ref().is_none_or(|s| s.id != u.id)).cloned().collect::<Vec<_>>(),
        ),
        categories: options(t, "category", Category::ALL, Category::as_str),
        grids: app.grids().await?.into_iter().filter(|g| g.active).collect(),
        users,
        unit,
    };
    Ok(render(status, &shown, shown_flash))
}

fn filled(unit: &UnitView) -> Typed {
    let mut values = vec![
        ("unit_code", unit.code.clone().unwrap_or_default()),
        ("name", unit.name.clone()),
        ("kind", unit.kind.clone()),
        ("region_code", unit.region_code.clone()),
        ("parent_id", unit.parent_id.map(|p| p.to_string()).unwrap_or_default()),
        ("grid_id", unit.grid_id.map(|g| g.to_string()).unwrap_or_default()),
        ("phone", unit.phone.clone().unwrap_or_default()),
    ];
    values.extend(unit.categories.split_whitespace().map(|c| ("categories", c.to_owned())));
    Typed::of(values)
}

pub async fn new_form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    unit_page(&state, &session, None, Typed::default()).await
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<UnitId, UiError>,
) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let unit = state.app.unit(id).await?;
    let form = filled(&unit);
    unit_page(&state, &session, Some(unit), form).await
}

/// Creates (`id` absent) or changes a unit from the form; the use case checks the rest.
async fn save(state: &AppState, session: &Session, id: Option<i64>, form: &FormData) -> Result<i64, AppError> {
    let mut errors = Vec::new();
    let region = super::region_field(form, "region_code").map_err(|e| errors.push(e)).ok();
    let kind = form.get("kind").and_then(UnitKind::parse);
    if kind.is_none() {
        errors.push(FieldError::required("kind"));
    }
    let (Some(region), Some(kind)) = (region, kind) else { return Err(AppError::Invalid(errors)) };
    let categories = form.all("categories");
    let id_of = |field: &str| form.get(field).and_then(|v| v.parse::<i64>().ok());
    let unit = NewUnit {
        code: form.get("unit_code"),
        name: form.get("name").unwrap_or_default(),
        kind,
        region_code: &region,
        parent_id: id_of("parent_id"),
        categories: &categories,
        grid_id: id_of("grid_id"),
        phone: form.get("phone"),
    };
    match id {
        Some(id) => state.app.unit_update(&session.viewer, UnitId(id), unit).await.map(|()| id),
        None => state.app.unit_create(&session.viewer, unit).await,
    }
}

pub async fn create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    match save(&state, &session, None, &form).await {
        Ok(id) => {
            let text = format!("{} {}", session.t.s("已添加单位"), form.get("name").unwrap_or_default());
            Ok(redirect_with(&format!("/admin/units/{id}"), "ok", &text))
        }
        Err(AppError::Invalid(errors)) => {
            unit_page(&state, &session, None, Typed::refused(session.t, form, &errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    InPath(id, _): InPath<UnitId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    let unit = state.app.unit(id).await?;
    match save(&state, &session, Some(unit.id), &form).await {
        Ok(id) => Ok(redirect_with(&format!("/admin/units/{id}"), "ok", &session.t.s("单位信息已保存"))),
        Err(AppError::Invalid(errors)) => {
            unit_page(&state, &session, Some(unit), Typed::refused(session.t, form, &errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Disables (`active=false`) or enables (`active=true`) the unit.
pub async fn active_set(
    State(state): State<AppState>,
    InPath(id, _): InPath<UnitId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let active = form.get("active") == Some("true");
    let to = format!("/admin/units/{id}");
    let text = if active { "单位已启用" } else { "单位已停用" };
    match state.app.unit_active_set(&session.viewer, id, active).await {
        Ok(()) => Ok(redirect_with(&to, "ok", &session.t.s(text))),
        // Refused while users still work there: back to the page, saying so.
        Err(AppError::Conflict { message, .. }) => Ok(redirect_with(&to, "error", &session.t.msg(&message))),
        Err(e) => Err(e.into()),
    }
}
