//! 系统账户: the accounts of other systems — the list (with their calls), the form for a new
//! one (its API key shown on the page that answers, this once) and revoking.

use app::AppError;
use app::integration::{NewSystemAccount, SystemAccountView};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;

use super::{Typed, may};
use crate::AppState;
use crate::extract::InPath;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

#[derive(Template)]
#[template(path = "admin_systems.html")]
struct SystemsPage {
    page: Page,
    accounts: Vec<SystemAccountView>,
    units: Vec<(i64, String)>,
    grantable: Vec<&'static str>,
    form: Typed,
    /// The key of the account just created: shown this once.
    created_key: Option<String>,
}

impl SystemsPage {
    fn unit_name(&self, id: &i64) -> String {
        self.units.iter().find(|(u, _)| u == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string())
    }
}

async fn systems_page(
    state: &AppState,
    session: &Session,
    form: Typed,
    created_key: Option<String>,
) -> Result<Response, UiError> {
    let accounts = state.app.system_accounts(&session.viewer).await?;
    let units = state.app.units().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let status = if form.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page::new(state, session, "系统账户", "/admin/systems").await?;
    let shown_flash = page.flash.is_some();
    let grantable = Permission::SYSTEM_GRANTABLE.iter().map(|(code, _)| *code).collect();
    let shown = SystemsPage { page, accounts, units, grantable, form, created_key };
    Ok(render(status, &shown, shown_flash))
}

pub async fn list(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::SystemAccountManage)?;
    systems_page(&state, &session, Typed::default(), None).await
}

pub async fn create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::SystemAccountManage)?;
    let unit_id = form.get("unit_id").filter(|u| !u.is_empty());
    let parsed_unit = unit_id.map(str::parse::<i64>);
    let new = NewSystemAccount {
        name: form.get("name").map(str::to_owned),
        unit_id: parsed_unit.clone().and_then(Result::ok),
        permissions: Some(form.all("permissions").into_iter().map(str::to_owned).collect()),
    };
    match state.app.system_account_create(&session.viewer, new).await {
        Ok((_, key)) => systems_page(&state, &session, Typed::default(), Some(key)).await,
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(session.t, form, &errors);
            systems_page(&state, &session, typed, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    InPath(id, _): InPath<i64, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, .. } = posted;
    may(&session, Permission::SystemAccountManage)?;
    state.app.system_account_revoke(&session.viewer, id).await?;
    Ok(redirect_with("/admin/systems", "ok", &session.t.s("已吊销系统账户")))
}
