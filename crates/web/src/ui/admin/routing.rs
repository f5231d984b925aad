//! The routing catalogue (派单目录): a table of every category with the units that lead and
//! assist (by name, with the area they cover), and a form per category with a row per unit.

use app::AppError;
use app::org::RegionView;
use app::triage::CatalogueEntry;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::case::Category;
use domain::org::RegionCode;
use domain::validation::FieldError;
use triage::routing::CatalogueRole;

use super::{Names, Typed, UnitChoices, by_row, may, unit_choices};
use crate::AppState;
use crate::ui::i18n::T;
use crate::ui::session::FormData;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// Blank rows offered under a category's lines, for units to add.
const BLANK_ROWS: usize = 3;

/// A line of the catalogue in words.
pub struct EntryLine {
    pub unit: String,
    pub area: String,
    pub note: String,
}

/// A category with its lines, leading and assisting.
pub struct CategoryLine {
    pub code: &'static str,
    pub label: String,
    pub lead: Vec<EntryLine>,
    pub assist: Vec<EntryLine>,
}

#[derive(Template)]
#[template(path = "admin_routing.html")]
struct RoutingPage {
    page: Page,
    categories: Vec<CategoryLine>,
}

/// The area a region prefix covers, in words: the region it is the code of, else the prefix.
fn area(t: T, prefix: Option<&str>, regions: &[RegionView]) -> String {
    let Some(prefix) = prefix else { return t.s("全部区域").into_owned() };
    regions
        .iter()
        .find(|r| RegionCode::parse(&r.code).is_ok_and(|c| c.significant() == prefix))
        .map_or_else(|| prefix.to_owned(), |r| r.name.clone())
}

pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::TriageManage)?;
    let t = session.t;
    let catalogue = state.app.routing_catalogue().await?;
    let units = Names::of_units(&state.app.units().await?);
    let regions = state.app.regions().await?;
    let line = |e: &CatalogueEntry| EntryLine {
        unit: units.get(e.unit_id),
        area: area(t, e.region_prefix.as_deref(), &regions),
        note: e.note.clone().unwrap_or_default(),
    };
    let categories = Category::ALL
        .iter()
        .map(|&category| {
            let of = |role: CatalogueRole| {
                catalogue.iter().filter(|e| e.category == category && e.role == role).map(&line).collect()
            };
            CategoryLine {
                code: category.as_str(),
                label: t.code("category", category.as_str()),
                lead: of(CatalogueRole::Lead),
                assist: of(CatalogueRole::Assist),
            }
        })
        .collect();
    let page = Page::new(&state, &session, "分流目录", "/admin/routing").await?;
    let shown_flash = page.flash.is_some();
    Ok(render(StatusCode::OK, &RoutingPage { page, categories }, shown_flash))
}

#[derive(Template)]
#[template(path = "admin_routing_category.html")]
struct CategoryPage {
    page: Page,
    code: &'static str,
    label: String,
    /// The rows' fields, `rows[0].unit_id` …, as stored or as typed.
    form: Typed,
    rows: Vec<usize>,
    units: Vec<UnitChoices>,
    /// The areas a line may cover: the prefix of each region's code and its name.
    areas: Vec<(String, String)>,
}

async fn category_page(
    state: &AppState,
    session: &Session,
    category: Category,
    form: Typed,
    rows: usize,
) -> Result<Response, UiError> {
    let t = session.t;
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let regions = state.app.regions().await?;
    let mut areas: Vec<(String, String)> = regions
        .iter()
        .filter(|r| matches!(r.level.as_str(), "city" | "district" | "street"))
        .filter_map(|r| Some((RegionCode::parse(&r.code).ok()?.significant().to_owned(), r.name.clone())))
        .collect();
    // A prefix stored before that names no region is still offered, as itself.
    for row in 0..rows {
        let prefix = form.value(&format!("rows[{row}].region_prefix"));
        if !prefix.is_empty() && !areas.iter().any(|(p, _)| p == prefix) {
            areas.push((prefix.to_owned(), prefix.to_owned()));
        }
    }
    let here = format!("/admin/routing/{}", category.as_str());
    let page = Page::new(state, session, "分流目录", &here).await?;
    let shown_flash = page.flash.is_some();
    let shown = CategoryPage {
        page,
        code: category.as_str(),
        label: t.code("category", category.as_str()),
        form,
        rows: (0..rows).collect(),
        units: unit_choices(t, &state.app.units().await?),
        areas,
    };
    Ok(render(status, &shown, shown_flash))
}

fn category_of(code: &str) -> Result<Category, UiError> {
    Category::parse(code).ok_or_else(|| crate::error::ApiError::not_found("category").into())
}

pub async fn category_form(
    State(state): State<AppState>,
    session: Session,
    Path(code): Path<String>,
) -> Result<Response, UiError> {
    may(&session, Permission::TriageManage)?;
    let category = category_of(&code)?;
    let entries: Vec<CatalogueEntry> =
        state.app.routing_catalogue().await?.into_iter().filter(|e| e.category == category).collect();
    let mut values = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        values.push((format!("rows[{i}].unit_id"), e.unit_id.to_string()));
        values.push((format!("rows[{i}].role"), role_code(e.role).to_owned()));
        values.push((format!("rows[{i}].region_prefix"), e.region_prefix.clone().unwrap_or_default()));
        values.push((format!("rows[{i}].note"), e.note.clone().unwrap_or_default()));
    }
    let form = Typed::of(values.iter().map(|(k, v)| (k.as_str(), v.clone())).collect());
    category_page(&state, &session, category, form, entries.len() + BLANK_ROWS).await
}

fn role_code(role: CatalogueRole) -> &'static str {
    match role {
        CatalogueRole::Lead => "lead",
        CatalogueRole::Assist => "assist",
    }
}

/// The lines the form gives, each with the row it came from; a row without a unit is no line
/// (that is how a line is removed).
fn lines(category: Category, form: &FormData, rows: usize) -> (Vec<CatalogueEntry>, Vec<usize>, Vec<FieldError>) {
    let (mut entries, mut from_row, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for row in 0..rows {
        let field = |name: &str| form.get(&format!("rows[{row}].{name}")).map(str::to_owned);
        let Some(unit) = field("unit_id") else { continue };
        let Ok(unit_id) = unit.parse::<i64>() else {
            errors.push(FieldError::required(format!("rows[{row}].unit_id")));
            continue;
        };
        let role = if field("role").as_deref() == Some("assist") { CatalogueRole::Assist } else { CatalogueRole::Lead };
        entries.push(CatalogueEntry {
            category,
            region_prefix: field("region_prefix"),
            unit_id,
            role,
            note: field("note"),
        });
        from_row.push(row);
    }
    (entries, from_row, errors)
}

/// Replaces the category's lines with the form's rows.
pub async fn category_put(
    State(state): State<AppState>,
    Path(code): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::TriageManage)?;
    let category = category_of(&code)?;
    let rows = super::posted_rows(&form, 200);
    let (entries, from_row, mut errors) = lines(category, &form, rows);
    let saved = if errors.is_empty() {
        state.app.routing_catalogue_category_put(&session.viewer, category, entries).await
    } else {
        Err(AppError::Invalid(Vec::new()))
    };
    match saved {
        Ok(()) => {
            let text = format!("{}：{}", session.t.s("分流目录已保存"), session.t.code("category", category.as_str()));
            Ok(redirect_with(&format!("/admin/routing#{}", category.as_str()), "ok", &text))
        }
        Err(AppError::Invalid(fields)) => {
            errors.extend(by_row(fields, "rows", &from_row));
            category_page(&state, &session, category, Typed::refused(session.t, form, &errors), rows).await
        }
        Err(e) => Err(e.into()),
    }
}
