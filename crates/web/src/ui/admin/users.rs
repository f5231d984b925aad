//! Users: the list (count, paging, filters by unit and role, search by name), a new user, and
//! one user's page (name, role and unit; a new password; disabling and enabling).

use app::AppError;
use app::org::{MIN_PASSWORD_CHARS, NewUser, UserAccount, UserFilter, UserUpdate};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::ids::UserId;
use domain::org::Role;
use domain::validation::FieldError;
use serde::Deserialize;

use super::{Names, Typed, UnitChoices, may, page_count, page_number, unit_choices};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::InPath;
use crate::ui::cases::options;
use crate::ui::session::FormData;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// Users shown per page of the list.
const PAGE_SIZE: i64 = 50;

/// A user as a line of the list: labels, never codes.
pub struct UserLine {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    page: Page,
    lines: Vec<UserLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The filters as given, for the form and the paging links.
    filter: ListQuery,
    units: Vec<UnitChoices>,
    roles: Vec<(&'static str, String)>,
}

impl UsersPage {
    /// The list's address with the same filters, on page `n`.
    fn page_link(&self, n: &i64) -> String {
        let f = &self.filter;
        let encode = crate::ui::session::encode_component;
        format!(
            "/admin/users?unit={}&role={}&q={}&page={n}",
            encode(f.unit.as_deref().unwrap_or_default()),
            encode(f.role.as_deref().unwrap_or_default()),
            encode(f.q.as_deref().unwrap_or_default()),
        )
    }
}

/// `?unit=7&role=handler&q=王&page=2`, each optional.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    unit: Option<String>,
    role: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn unit_value(&self) -> &str {
        self.unit.as_deref().unwrap_or_default()
    }

    fn role_value(&self) -> &str {
        self.role.as_deref().unwrap_or_default()
    }

    fn q_value(&self) -> &str {
        self.q.as_deref().unwrap_or_default()
    }
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let t = session.t;
    let page_number = page_number(query.page.as_deref());
    let filter = UserFilter {
        unit_id: query.unit.as_deref().and_then(|u| u.parse().ok()),
        role: query.role.as_deref().and_then(Role::parse),
        words: query.q.clone(),
        offset: (page_number - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let found = state.app.users_page(&session.viewer, &filter).await?;
    let units = state.app.units().await?;
    let names = Names::of_units(&units);
    let lines = found
        .items
        .into_iter()
        .map(|a| UserLine {
            id: a.user.id,
            role: t.code("role", a.user.role.as_str()),
            unit: names.get(a.user.unit_id),
            username: a.user.username,
            display_name: a.user.display_name,
            active: a.active,
        })
        .collect();
    let page = Page::new(&state, &session, "用户", "/admin/users").await?;
    let shown_flash = page.flash.is_some();
    let list = UsersPage {
        page,
        lines,
        total: found.total,
        page_number,
        pages: page_count(found.total, PAGE_SIZE),
        filter: query,
        units: unit_choices(t, &units),
        roles: staff_roles(session.t),
    };
    Ok(render(StatusCode::OK, &list, shown_flash))
}

/// The roles a staff user may have (a citizen signs in by phone, never here).
fn staff_roles(t: crate::ui::i18n::T) -> Vec<(&'static str, String)> {
    let staff: Vec<Role> = Role::ALL.iter().copied().filter(|r| *r != Role::Citizen).collect();
    options(t, "role", &staff, Role::as_str)
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    page: Page,
    /// The user shown; `None` on the form for a new one.
    user: Option<UserAccount>,
    unit_name: String,
    /// The name, role and unit form (or the new user's form).
    form: Typed,
    /// The new password's form.
    password: Typed,
    units: Vec<UnitChoices>,
    roles: Vec<(&'static str, String)>,
    min_password: usize,
    /// The signed-in administrator's own page: no disabling, no change of role.
    own: bool,
}

async fn user_page(
    state: &AppState,
    session: &Session,
    user: Option<UserAccount>,
    form: Typed,
    password: Typed,
) -> Result<Response, UiError> {
    let t = session.t;
    let units = state.app.units().await?;
    let status =
        if form.has_errors() || password.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let here = user.as_ref().map_or("/admin/users/new".to_owned(), |u| format!("/admin/users/{}", u.user.id));
    let page = Page::new(state, session, if user.is_some() { "用户" } else { "新建用户" }, &here).await?;
    let shown_flash = page.flash.is_some();
    let shown = UserPage {
        page,
        unit_name: user.as_ref().map(|u| Names::of_units(&units).get(u.user.unit_id)).unwrap_or_default(),
        own: user.as_ref().is_some_and(|u| u.user.id == session.viewer.user_id),
        user,
        form,
        password,
        units: unit_choices(t, &units),
        roles: staff_roles(t),
        min_password: MIN_PASSWORD_CHARS,
    };
    Ok(render(status, &shown, shown_flash))
}

/// The form as a user's record fills it.
fn filled(account: &UserAccount) -> Typed {
    Typed::of(vec![
        ("display_name", account.user.display_name.clone()),
        ("role", account.user.role.as_str().to_owned()),
        ("unit_id", account.user.unit_id.to_string()),
    ])
}

pub async fn new_form(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    user_page(&state, &session, None, Typed::default(), Typed::default()).await
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<UserId, UiError>,
) -> Result<Response, UiError> {
    let account = state.app.user_account(&session.viewer, id).await?;
    let form = filled(&account);
    user_page(&state, &session, Some(account), form, Typed::default()).await
}

/// The role and the unit as the form gives them; a missing one is named.
fn role_and_unit(form: &FormData) -> Result<(Role, i64), Vec<FieldError>> {
    let role = form.get("role").and_then(Role::parse).filter(|r| *r != Role::Citizen);
    let unit = form.get("unit_id").and_then(|u| u.parse::<i64>().ok());
    match (role, unit) {
        (Some(role), Some(unit)) => Ok((role, unit)),
        (role, unit) => Err([role.is_none().then_some("role"), unit.is_none().then_some("unit_id")]
            .into_iter()
            .flatten()
            .map(FieldError::required)
            .collect()),
    }
}

/// Creates a user; on success to their page, else the form again as typed (the password
/// left out).
pub async fn create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    let username = form.get("username").unwrap_or_default();
    let user = NewUser {
        username,
        display_name: form.get("display_name").unwrap_or_default(),
        role: form.get("role").and_then(Role::parse),
        unit_id: form.get("unit_id").and_then(|u| u.parse().ok()),
        password: form.raw("password"),
    };
    let created = state.app.user_create(&session.viewer, user).await;
    match created {
        Ok(id) => {
            let text = format!("{} {username}", session.t.s("已添加用户"));
            Ok(redirect_with(&format!("/admin/users/{id}"), "ok", &text))
        }
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, without_passwords(form), &errors);
            user_page(&state, &session, None, typed, Typed::default()).await
        }
        Err(AppError::Conflict { code: "username_taken", message }) => {
            let typed =
                Typed::refused(session.t, without_passwords(form), &[FieldError::new("username", "taken", message)]);
            user_page(&state, &session, None, typed, Typed::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A form to show again: never with the passwords typed into it.
fn without_passwords(FormData(fields): FormData) -> FormData {
    FormData(fields.into_iter().filter(|(k, _)| !k.contains("password")).collect())
}

pub async fn update(
    State(state): State<AppState>,
    InPath(id, _): InPath<UserId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let account = state.app.user_account(&session.viewer, id).await?;
    let updated = match role_and_unit(&form) {
        Ok((role, unit_id)) => {
            let display_name = form.get("display_name").unwrap_or_default();
            state.app.user_update(&session.viewer, id, UserUpdate { display_name, role, unit_id }).await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match updated {
        Ok(()) => Ok(redirect_with(&format!("/admin/users/{id}"), "ok", &session.t.s("用户信息已保存"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            user_page(&state, &session, Some(account), typed, Typed::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets a new password; the user is signed out everywhere.
pub async fn password_reset(
    State(state): State<AppState>,
    InPath(id, _): InPath<UserId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let account = state.app.user_account(&session.viewer, id).await?;
    match state.app.user_password_reset(&session.viewer, id, form.raw("password")).await {
        Ok(()) => {
            let text = format!("{} {}", session.t.s("已重置密码："), account.user.username);
            Ok(redirect_with(&format!("/admin/users/{id}"), "ok", &text))
        }
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, FormData::default(), &errors);
            let form = filled(&account);
            user_page(&state, &session, Some(account), form, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Disables (`active=false`) or enables (`active=true`) the user.
pub async fn active_set(
    State(state): State<AppState>,
    InPath(id, _): InPath<UserId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let active = form.get("active") == Some("true");
    let to = format!("/admin/users/{id}");
    let text = if active { "用户已启用" } else { "用户已停用，其登录已全部失效" };
    match state.app.user_active_set(&session.viewer, id, active).await {
        Ok(()) => Ok(redirect_with(&to, "ok", &session.t.s(text))),
        // Refused for the state it is in (one's own account): back to the page, saying why.
        Err(AppError::Conflict { message, .. }) => Ok(redirect_with(&to, "error", &session.t.msg(&message))),
        Err(e) => Err(ApiError::from(e).into()),
    }
}
