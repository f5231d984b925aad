//! 推送管理: the webhooks of every system account for the centre's administrators — the list
//! (each subscription with its deliveries counted and its last error; filters by account and
//! state; counted and paged), one subscription's delivery log (filter by state, paged) with
//! 重新发送 per delivery and 重发全部失败的, disabling and enabling, and what administrators did
//! to it. Every act is a form that answers with a redirect and a message.

use app::AppError;
use app::webhooks::{
    DeliveryState, DeliveryView, Replay, Replayer, WebhookAdminAction, WebhookAdminView, WebhookFilter, WebhookState,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::authz::Permission;
use serde::Deserialize;

use super::{may, page_count, page_number};
use crate::AppState;
use crate::extract::InPath;
use crate::ui::cases::short_time;
use crate::ui::i18n::T;
use crate::ui::session::{FormData, encode_component};
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// Subscriptions shown per page of the list.
const PAGE_SIZE: i64 = 30;
/// Deliveries shown per page of a log.
const LOG_PAGE_SIZE: i64 = 50;

/// `?account=3&state=failing&page=2`, each optional.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    account: Option<String>,
    state: Option<String>,
    page: Option<String>,
}

/// A subscription as a line of the list: labels, never codes.
pub struct WebhookLine {
    pub view: WebhookAdminView,
    pub events: String,
    pub state: String,
    pub state_code: &'static str,
}

impl WebhookLine {
    fn of(t: T, view: WebhookAdminView) -> Self {
        let state = view.state();
        WebhookLine {
            events: event_labels(t, &view.events),
            state: t.code("webhook_state", state.as_str()),
            state_code: state.as_str(),
            view,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct ListPage {
    page: Page,
    lines: Vec<WebhookLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The system accounts to filter by: id and name.
    accounts: Vec<(i64, String)>,
    /// The states to filter by: code and label.
    states: Vec<(&'static str, String)>,
    account: String,
    state: String,
}

impl ListPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// The list's address with the same filters, on page `n`.
    fn page_link(&self, n: &i64) -> String {
        format!(
            "/admin/webhooks?account={}&state={}&page={n}",
            encode_component(&self.account),
            encode_component(&self.state)
        )
    }
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    may(&session, Permission::WebhooksManage)?;
    let t = session.t;
    let page_number = page_number(query.page.as_deref());
    let filter = WebhookFilter {
        account_id: query.account.as_deref().and_then(|a| a.parse().ok()),
        state: query.state.as_deref().and_then(WebhookState::parse),
        limit: PAGE_SIZE,
        offset: (page_number - 1) * PAGE_SIZE,
    };
    let found = state.app.webhooks_all(&session.viewer, &filter).await?;
    let accounts = state.app.system_accounts(&session.viewer).await?.into_iter().map(|a| (a.id, a.name)).collect();
    let page = Page::new(&state, &session, "推送管理", "/admin/webhooks").await?;
    let shown_flash = page.flash.is_some();
    let shown = ListPage {
        page,
        lines: found.items.into_iter().map(|view| WebhookLine::of(t, view)).collect(),
        total: found.total,
        page_number,
        pages: page_count(found.total, PAGE_SIZE),
        accounts,
        states: WebhookState::ALL.iter().map(|s| (s.as_str(), t.code("webhook_state", s.as_str()))).collect(),
        account: filter.account_id.map(|a| a.to_string()).unwrap_or_default(),
        state: filter.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
    };
    Ok(render(StatusCode::OK, &shown, shown_flash))
}

/// `?state=failing&page=2` on a subscription's page, each optional.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    state: Option<String>,
    page: Option<String>,
}

/// A delivery as a line of the log.
pub struct DeliveryLine {
    pub view: DeliveryView,
    pub event: String,
    pub state: String,
    pub state_code: &'static str,
}

#[derive(Template)]
#[template(path = "admin_webhook.html")]
struct ShowPage {
    page: Page,
    hook: WebhookLine,
    lines: Vec<DeliveryLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The state filter's tabs: code (blank for all), label and count.
    tabs: Vec<(&'static str, String, i64)>,
    state: String,
    actions: Vec<(WebhookAdminAction, String)>,
}

impl ShowPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// This page with the state filter `state`, on page `n`.
    fn link(&self, state: &str, n: &i64) -> String {
        format!("/admin/webhooks/{}?state={}&page={n}", self.hook.view.id, encode_component(state))
    }

    fn live(&self) -> bool {
        self.hook.view.deleted_at.is_none()
    }
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<i64, UiError>,
    Query(query): Query<LogQuery>,
) -> Result<Response, UiError> {
    let t = session.t;
    let view = state.app.webhook_admin(&session.viewer, id).await?;
    let page_number = page_number(query.page.as_deref());
    let filter = query.state.as_deref().and_then(DeliveryState::parse);
    let log =
        state.app.webhook_log(&session.viewer, id, filter, LOG_PAGE_SIZE, (page_number - 1) * LOG_PAGE_SIZE).await?;
    let actions = state.app.webhook_admin_actions(&session.viewer, id).await?;
    let lines = log
        .items
        .into_iter()
        .map(|view| {
            let delivery_state = DeliveryState::of(&view);
            DeliveryLine {
                event: t.code("webhook_event", &view.event),
                state: t.code("delivery_state", delivery_state.as_str()),
                state_code: delivery_state.as_str(),
                view,
            }
        })
        .collect();
    let count = |s: DeliveryState| match s {
        DeliveryState::Delivered => view.delivered,
        DeliveryState::Failing => view.failing,
        DeliveryState::Waiting => view.waiting,
    };
    let mut tabs = vec![("", t.s("全部").into_owned(), view.delivered + view.failing + view.waiting)];
    tabs.extend(DeliveryState::ALL.iter().map(|s| (s.as_str(), t.code("delivery_state", s.as_str()), count(*s))));
    let page = Page::new(&state, &session, "订阅详情", &format!("/admin/webhooks/{id}")).await?;
    let shown_flash = page.flash.is_some();
    let shown = ShowPage {
        page,
        hook: WebhookLine::of(t, view),
        lines,
        total: log.total,
        page_number,
        pages: page_count(log.total, LOG_PAGE_SIZE),
        tabs,
        state: filter.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        actions: actions
            .into_iter()
            .map(|a| {
                let label = t.code("webhook_action", &a.action);
                (a, label)
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &shown, shown_flash))
}

/// 重新发送: one delivery queued again, then back to the log where it was.
pub async fn replay(
    State(state): State<AppState>,
    InPath((id, delivery), _): InPath<(i64, i64), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let done = state.app.webhook_replay(Replayer::Admin(&session.viewer), id, Replay::One(delivery)).await;
    answer(session.t, id, &form, done.map(|_| session.t.s("已重新排队，下一轮推送时发出，投递编号不变").into_owned()))
}

/// 重发全部失败的: every failing delivery of the subscription queued again.
pub async fn replay_failing(
    State(state): State<AppState>,
    InPath(id, _): InPath<i64, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let done = state.app.webhook_replay(Replayer::Admin(&session.viewer), id, Replay::Failing).await;
    answer(t, id, &form, done.map(|n| format!("{} {n}", t.s("重新排队的失败推送："))))
}

/// Disables (`active=false`) or enables (`active=true`) the subscription.
pub async fn active_set(
    State(state): State<AppState>,
    InPath(id, _): InPath<i64, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let active = form.get("active") == Some("true");
    let text = if active {
        "订阅已启用，等待中的推送将依次发出"
    } else {
        "订阅已停用，推送照常排队但不发出"
    };
    let done = state.app.webhook_active_set(&session.viewer, id, active).await;
    answer(session.t, id, &form, done.map(|()| session.t.s(text).into_owned()))
}

/// Back to the subscription's log as it was shown (its `state` and `page`), with what was done
/// or why not now (an ended subscription); a refusal or a subscription not found is its page.
fn answer(t: T, id: i64, form: &FormData, done: Result<String, AppError>) -> Result<Response, UiError> {
    let state = form.get("state").and_then(DeliveryState::parse).map_or("", DeliveryState::as_str);
    let to = format!("/admin/webhooks/{id}?state={state}&page={}", page_number(form.get("page")));
    match done {
        Ok(text) => Ok(redirect_with(&to, "ok", &text)),
        Err(AppError::Conflict { message, .. }) => Ok(redirect_with(&to, "error", &t.msg(&message))),
        Err(error) => Err(error.into()),
    }
}

/// The events as words, in the order subscribed.
fn event_labels(t: T, events: &[String]) -> String {
    events.iter().map(|e| t.code("webhook_event", e)).collect::<Vec<_>>().join("、")
}
