//! Administration: regions and grids, units, users, calendar years, clock policies, the
//! routing catalogue and the risk rules. The structured settings are edited as the JSON the
//! API takes, checked by the same parsers, with the fault named.

use app::calendar::CalendarYearView;
use app::org::{GridView, NewRegion, NewUnit, RegionView, UnitView, UserView};
use app::triage::TriageRules;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::{self, Permission, Resource};
use domain::calendar::YearCalendar;
use domain::clocks::PolicyRule;
use domain::ids::UnitId;
use domain::msg;
use domain::org::{RegionCode, Role, UnitKind};
use serde::Serialize;
use triage::routing::CatalogueEntry;

use super::cases::options;
use super::{Page, Posted, Session, UiError, redirect_with, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::parse_json;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    page: Page,
    regions: Vec<RegionView>,
    grids: Vec<GridView>,
    units: Vec<UnitView>,
    users: Vec<UserView>,
    years: Vec<CalendarYearView>,
    policies: String,
    catalogue: String,
    rules: String,
    unit_kinds: Vec<(&'static str, String)>,
    roles: Vec<(&'static str, String)>,
    /// The SMS outbox, newest first.
    outbox: Vec<app::mediation::OutboxMessage>,
}

fn may(session: &Session, permission: Permission) -> Result<(), UiError> {
    Ok(authz::may(session.viewer.role, permission, Resource::ANY)?)
}

fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let t = session.t;
    let app = &state.app;
    let page = Page::new(&state, &session, "系统管理", "/admin").await?;
    let shown_flash = page.flash.is_some();
    let admin = AdminPage {
        regions: app.regions().await?,
        grids: app.grids().await?,
        units: app.units().await?,
        users: app.users().await?,
        years: app.calendar_years().await?,
        policies: pretty(&app.clock_policies().await?),
        catalogue: pretty(&app.routing_catalogue().await?),
        rules: pretty(&app.triage_rules().await?),
        unit_kinds: options(t, "unit_kind", UnitKind::ALL, UnitKind::as_str),
        roles: options(t, "role", Role::ALL, Role::as_str),
        outbox: app.outbox(&session.viewer, 50).await?,
        page,
    };
    Ok(render(StatusCode::OK, &admin, shown_flash))
}

fn region_field(form: &super::session::FormData, field: &'static str) -> Result<RegionCode, UiError> {
    RegionCode::parse(form.get(field).unwrap_or_default()).map_err(|e| {
        ApiError::field(domain::validation::FieldError::new(
            field,
            "invalid_region",
            msg!("region_code.invalid", reason = e.message()),
        ))
        .into()
    })
}

fn required<'a>(form: &'a super::session::FormData, field: &'static str) -> Result<&'a str, UiError> {
    form.get(field).ok_or_else(|| ApiError::field(domain::validation::FieldError::required(field)).into())
}

fn id_field(form: &super::session::FormData, field: &'static str) -> Result<Option<i64>, UiError> {
    form.get(field)
        .map(|v| v.parse::<i64>().map_err(|_| ApiError::field(domain::validation::FieldError::required(field)).into()))
        .transpose()
}

pub async fn region_create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::OrganisationManage)?;
    let form = &posted.form;
    let code = region_field(form, "code")?;
    let name = required(form, "name")?;
    state
        .app
        .region_create(&posted.session.viewer, NewRegion { code: &code, name, short_name: form.get("short_name") })
        .await?;
    Ok(redirect_with("/admin", "ok", &format!("{} {name}", posted.session.t.s("已添加区划"))))
}

pub async fn grid_create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::OrganisationManage)?;
    let form = &posted.form;
    let community = region_field(form, "community")?;
    let code = required(form, "code")?;
    let name = required(form, "name")?;
    state.app.grid_create(&posted.session.viewer, code, name, &community).await?;
    Ok(redirect_with("/admin", "ok", &format!("{} {name}", posted.session.t.s("已添加网格"))))
}

pub async fn unit_create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::OrganisationManage)?;
    let form = &posted.form;
    let name = required(form, "name")?;
    let kind = UnitKind::parse(form.get("kind").unwrap_or_default())
        .ok_or_else(|| ApiError::field(domain::validation::FieldError::required("kind")))?;
    let region = region_field(form, "region_code")?;
    let categories: Vec<&str> = form.get("categories").unwrap_or_default().split_whitespace().collect();
    let unit = NewUnit {
        name,
        kind,
        region_code: &region,
        parent_id: id_field(form, "parent_id")?,
        categories: &categories,
        grid_id: id_field(form, "grid_id")?,
    };
    state.app.unit_create(&posted.session.viewer, unit).await?;
    Ok(redirect_with("/admin", "ok", &format!("{} {name}", posted.session.t.s("已添加单位"))))
}

pub async fn user_create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::OrganisationManage)?;
    let form = &posted.form;
    let username = required(form, "username")?;
    let display_name = form.get("display_name").unwrap_or(username);
    let role = Role::parse(form.get("role").unwrap_or_default())
        .ok_or_else(|| ApiError::field(domain::validation::FieldError::required("role")))?;
    let unit = id_field(form, "unit_id")?
        .ok_or_else(|| ApiError::field(domain::validation::FieldError::required("unit_id")))?;
    // The password's rule is the use case's (the same as the API's and the command line's).
    let password = required(form, "password")?;
    state.app.user_create(&posted.session.viewer, username, display_name, role, UnitId(unit), password).await?;
    Ok(redirect_with("/admin", "ok", &format!("{} {username}", posted.session.t.s("已添加用户"))))
}

pub async fn calendar_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::CalendarManage)?;
    let year: YearCalendar = parse_json(required(&posted.form, "calendar")?.as_bytes())?;
    let number = year.year;
    let recomputed = state.app.calendar_put(&posted.session.viewer, year).await?;
    let t = posted.session.t;
    Ok(redirect_with("/admin", "ok", &format!("{number} {}：{recomputed}", t.s("年日历已载入，重算案件数"))))
}

pub async fn policies_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::CalendarManage)?;
    let rules: Vec<PolicyRule> = parse_json(required(&posted.form, "policies")?.as_bytes())?;
    let recomputed = state.app.clock_policies_replace(&posted.session.viewer, rules).await?;
    let t = posted.session.t;
    Ok(redirect_with("/admin", "ok", &format!("{}：{recomputed}", t.s("时限规则已保存，重算案件数"))))
}

pub async fn catalogue_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::TriageManage)?;
    let entries: Vec<CatalogueEntry> = parse_json(required(&posted.form, "catalogue")?.as_bytes())?;
    state.app.routing_catalogue_put(&posted.session.viewer, entries).await?;
    Ok(redirect_with("/admin", "ok", &posted.session.t.s("分流目录已保存")))
}

pub async fn rules_put(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    may(&posted.session, Permission::TriageManage)?;
    let rules: TriageRules = parse_json(required(&posted.form, "rules")?.as_bytes())?;
    state.app.triage_rules_put(&posted.session.viewer, rules).await?;
    Ok(redirect_with("/admin", "ok", &posted.session.t.s("风险规则已保存")))
}
