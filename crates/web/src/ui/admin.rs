//! Administration: the overview (the SMS outbox) and, one page each, users, units, regions
//! and grids, the bulk import, the routing catalogue, the clocks' policies and the calendar —
//! as forms and tables with names, never ids or JSON. A refused form comes back as it was typed
//! with each error beside its field (422); a saved one redirects with a message.

pub mod case_import;
pub mod import;
pub mod recordings;
pub mod regions;
pub mod routing;
pub mod settings;
pub mod systems;
pub mod units;
pub mod users;
pub mod webhooks;
pub mod work_orders;

use std::collections::HashMap;

use app::org::{RegionView, UnitView};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::{self, Permission, Resource, Viewer};
use domain::msg;
use domain::org::{RegionCode, RegionLevel, UnitKind};
use domain::validation::FieldError;

use super::i18n::T;
use super::session::FormData;
use super::{Page, Session, UiError, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    page: Page,
    /// The SMS outbox, newest first.
    outbox: Vec<app::mediation::OutboxMessage>,
}

fn may(session: &Session, permission: Permission) -> Result<(), UiError> {
    Ok(authz::may(session.viewer.role, permission, Resource::ANY)?)
}

/// The overview: where each part of the administration is, and the SMS outbox.
pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let page = Page::new(&state, &session, "系统管理", "/admin").await?;
    let shown_flash = page.flash.is_some();
    let admin = AdminPage { outbox: state.app.outbox(&session.viewer, 50).await?, page };
    Ok(render(StatusCode::OK, &admin, shown_flash))
}

/// The page of a list asked for (`?page=2`), from 1.
pub fn page_number(raw: Option<&str>) -> i64 {
    super::page_of(raw.and_then(|p| p.parse::<i64>().ok()))
}

/// How many pages `total` rows fill, at least one.
pub fn page_count(total: i64, size: i64) -> i64 {
    ((total + size - 1) / size).max(1)
}

/// A form as it was sent (or as the record stands), to show with each error beside its field.
#[derive(Debug, Default)]
pub struct Typed {
    form: FormData,
    errors: Vec<(String, String)>,
}

impl Typed {
    /// A form filled in from a record.
    pub fn of(values: Vec<(&str, String)>) -> Self {
        Typed { form: FormData(values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()), errors: Vec::new() }
    }

    /// The form as typed, refused for these fields, each error in the reader's language.
    pub fn refused(t: T, form: FormData, errors: &[FieldError]) -> Self {
        Typed { form, errors: errors.iter().map(|e| (e.field.clone(), t.msg(&e.message()))).collect() }
    }

    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or_default()
    }

    /// Whether a checkbox or a repeated field holds `value`.
    pub fn holds(&self, name: &str, value: &str) -> bool {
        self.form.all(name).contains(&value)
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// How many rows a table form posted (its `rows` field), at most `max`.
pub fn posted_rows(form: &FormData, max: usize) -> usize {
    form.get("rows").and_then(|r| r.parse::<usize>().ok()).unwrap_or(0).min(max)
}

/// The use case names a line by its place among the lines it was given (`[2].unit_id`); the
/// form names it by its row (`rows[5].unit_id`), blank rows being no lines.
pub fn by_row(errors: Vec<FieldError>, rows: &str, from_row: &[usize]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            let row = e
                .field
                .strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, name)| Some(format!("{rows}[{}]{name}", from_row.get(i.parse::<usize>().ok()?)?)));
            if let Some(field) = row {
                e.field = field;
            }
            e
        })
        .collect()
}

/// The units a picker offers, under one heading: a level and a kind (条块: level and sector).
pub struct UnitChoices {
    pub label: String,
    pub units: Vec<(i64, String)>,
}

/// The active units grouped by the level of their region, then by kind; within a group by
/// name. A picker shows names only.
pub fn unit_choices(t: T, units: &[UnitView]) -> Vec<UnitChoices> {
    let mut active: Vec<(RegionLevel, usize, &UnitView)> = units
        .iter()
        .filter(|u| u.active)
        .filter_map(|u| {
            let level = RegionCode::parse(&u.region_code).ok()?.level();
            let kind = UnitKind::ALL.iter().position(|k| k.as_str() == u.kind).unwrap_or(usize::MAX);
            Some((level, kind, u))
        })
        .collect();
    active.sort_by(|a, b| (a.0, a.1, &a.2.name).cmp(&(b.0, b.1, &b.2.name)));
    let mut groups: Vec<UnitChoices> = Vec::new();
    for (level, _, unit) in active {
        let label = format!("{} · {}", t.code("level", level.as_str()), t.code("unit_kind", &unit.kind));
        match groups.last_mut() {
            Some(group) if group.label == label => group.units.push((unit.id, unit.name.clone())),
            _ => groups.push(UnitChoices { label, units: vec![(unit.id, unit.name.clone())] }),
        }
    }
    groups
}

/// Regions under headings by level, for a picker.
pub struct RegionChoices {
    pub label: String,
    /// Code and name.
    pub regions: Vec<(String, String)>,
}

pub fn region_choices(t: T, regions: &[RegionView]) -> Vec<RegionChoices> {
    let mut groups: Vec<RegionChoices> = Vec::new();
    for level in ["province", "city", "district", "street", "community"] {
        let regions: Vec<(String, String)> =
            regions.iter().filter(|r| r.level == level && r.active).map(|r| (r.code.clone(), r.name.clone())).collect();
        if !regions.is_empty() {
            groups.push(RegionChoices { label: t.code("level", level), regions });
        }
    }
    groups
}

/// The regions a viewer's scope covers, under headings by level: where a case can be placed or
/// looked for.
pub fn regions_in_scope(t: T, viewer: &Viewer, regions: &[RegionView]) -> Vec<RegionChoices> {
    let covered: Vec<RegionView> = regions
        .iter()
        .filter(|r| RegionCode::parse(&r.code).is_ok_and(|code| viewer.scope.covers_region(&code)))
        .cloned()
        .collect();
    region_choices(t, &covered)
}

/// Names by id or code, for the tables.
pub struct Names(HashMap<String, String>);

impl Names {
    pub fn of_units(units: &[UnitView]) -> Self {
        Names(units.iter().map(|u| (u.id.to_string(), u.name.clone())).collect())
    }

    pub fn of_regions(regions: &[RegionView]) -> Self {
        Names(regions.iter().map(|r| (r.code.clone(), r.name.clone())).collect())
    }

    /// The name, or the key itself when it names nothing known.
    pub fn get(&self, key: impl ToString) -> String {
        let key = key.to_string();
        self.0.get(&key).cloned().unwrap_or(key)
    }
}

fn region_field(form: &FormData, field: &'static str) -> Result<RegionCode, FieldError> {
    let code = form.get(field).ok_or_else(|| FieldError::required(field))?;
    RegionCode::parse(code)
        .map_err(|e| FieldError::new(field, "invalid_region", msg!("region_code.invalid", reason = e.message())))
}
