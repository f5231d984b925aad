//! 自助服务终端 `/kiosk`: the portal in hall-terminal mode. A clerk starts a browser in the
//! hall as the kiosk of their centre (a keyed mark in a cookie; the clerk is signed out at once,
//! so no staff session is left on the terminal). Visitors take a ticket with their name and
//! phone if they like — the window that calls them starts the registration with them — or
//! bring and follow a dispute through the portal with big touch targets. After a minute and a
//! half without a touch, everything is cleared: the citizen signed out, the draft and any
//! typed text forgotten, back to the start.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::UnitId;
use std::collections::BTreeMap;

use super::i18n::T;
use super::session::{FormData, Posted, Session, clear_cookie, cookie, public_form_ok, public_form_token};
use super::{UiError, current_ui_lang, render};
use crate::AppState;
use crate::error::ApiError;

/// The cookie that makes a browser a centre's kiosk.
pub const KIOSK_COOKIE: &str = "fq_kiosk";
/// A flag the pages' script reads: this browser is a kiosk, run the idle timeout.
const KIOSK_FLAG_COOKIE: &str = "fq_kiosk_ui";
/// Seconds without a touch before the kiosk clears everything.
pub const IDLE_SECONDS: u32 = 90;

#[derive(Template)]
#[template(path = "kiosk.html")]
struct KioskPage {
    t: T,
    csrf: String,
    /// The centre this terminal serves; `None` until a clerk starts it.
    centre: Option<String>,
    /// On a terminal not yet started: the signed-in clerk's centre, who may start it.
    clerk_centre: Option<String>,
    name: String,
    phone: String,
    errors: BTreeMap<String, String>,
    idle_seconds: u32,
}

#[derive(Template)]
#[template(path = "kiosk_ticket.html")]
struct TicketPage {
    t: T,
    number: String,
    idle_seconds: u32,
}

fn t() -> T {
    T { lang: current_ui_lang() }
}

/// The centre of this kiosk, if the browser is one.
pub fn kiosk_unit(state: &AppState, headers: &HeaderMap) -> Option<UnitId> {
    state.app.kiosk_unit(cookie(headers, KIOSK_COOKIE)?)
}

async fn unit_name(state: &AppState, unit: UnitId) -> Result<String, UiError> {
    let units = state.app.units().await?;
    Ok(units.iter().find(|u| u.id == unit.get()).map(|u| u.name.clone()).unwrap_or_default())
}

/// Renders a kiosk page whose forms carry a fresh double-submit token (and its cookie).
fn kiosk_page(status: StatusCode, page: KioskPage) -> Response {
    let (csrf, token_cookie) = public_form_token();
    let mut response = render(status, &KioskPage { csrf, ..page }, false);
    response.headers_mut().append(header::SET_COOKIE, token_cookie);
    response
}

/// The kiosk's start: take a ticket, or bring / follow a dispute. On a browser that is not a
/// kiosk yet: how to start it (a clerk signed in may do so here).
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    staff: Option<Session>,
) -> Result<Response, UiError> {
    let centre = match kiosk_unit(&state, &headers) {
        Some(unit) => Some(unit_name(&state, unit).await?),
        None => None,
    };
    let page = KioskPage {
        t: t(),
        csrf: String::new(),
        centre,
        clerk_centre: None,
        name: String::new(),
        phone: String::new(),
        errors: BTreeMap::new(),
        idle_seconds: IDLE_SECONDS,
    };
    match staff {
        // A clerk who may start it: the start form carries their session's token.
        Some(session) if page.centre.is_none() && state.app.kiosk_start(&session.viewer).is_ok() => {
            let clerk_centre = Some(unit_name(&state, UnitId(session.viewer.unit_id)).await?);
            Ok(render(StatusCode::OK, &KioskPage { csrf: session.csrf, clerk_centre, ..page }, false))
        }
        _ => Ok(kiosk_page(StatusCode::OK, page)),
    }
}

/// 启用: makes this browser the kiosk of the clerk's centre and signs the clerk out.
pub async fn start(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let mark = state.app.kiosk_start(&posted.session.viewer)?;
    state.app.logout(posted.session.token()).await?;
    let mut response = Redirect::to("/kiosk").into_response();
    let age = 400 * 86400;
    // The mark, out of scripts' reach; and a plain flag the pages' script reads to run the
    // idle timeout (it grants nothing).
    for value in [
        format!("{KIOSK_COOKIE}={mark}; Path=/; HttpOnly; SameSite=Strict; Max-Age={age}"),
        format!("{KIOSK_FLAG_COOKIE}=1; Path=/; SameSite=Strict; Max-Age={age}"),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response.headers_mut().append(header::SET_COOKIE, clear_cookie(super::session::SESSION_COOKIE));
    Ok(response)
}

/// 取号 at the kiosk: the number, big; the name and phone go with the ticket to the window.
pub async fn take(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, UiError> {
    let form = FormData::parse(&body).unwrap_or_default();
    if !public_form_ok(&headers, &form) {
        return Err(UiError::Csrf);
    }
    let Some(unit) = kiosk_unit(&state, &headers) else { return Ok(Redirect::to("/kiosk").into_response()) };
    match state.app.kiosk_take(unit, form.get("name"), form.get("phone")).await {
        Ok(ticket) => Ok(Redirect::to(&format!("/kiosk/ticket/{:03}", ticket.number)).into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            let t = t();
            let mut errors = BTreeMap::new();
            for field in &error.fields {
                errors.insert(field.field.clone(), t.msg(&field.message()));
            }
            let page = KioskPage {
                t,
                csrf: String::new(),
                centre: Some(unit_name(&state, unit).await?),
                clerk_centre: None,
                name: form.get("name").unwrap_or_default().to_owned(),
                phone: form.get("phone").unwrap_or_default().to_owned(),
                errors,
                idle_seconds: IDLE_SECONDS,
            };
            Ok(kiosk_page(error.status, page))
        }
    }
}

/// The ticket just taken: its number only (nothing personal), until the next visitor.
pub async fn ticket(Path(number): Path<String>) -> Response {
    let number: String = number.chars().filter(char::is_ascii_digit).take(4).collect();
    render(StatusCode::OK, &TicketPage { t: t(), number, idle_seconds: 15 }, false)
}

/// 清空: the idle timeout's end — the citizen signed out (their token revoked), back to the
/// start. The page's script clears what the browser keeps.
pub async fn reset(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, UiError> {
    if let Some(token) = cookie(&headers, super::portal::CITIZEN_COOKIE) {
        state.app.citizen_logout(token).await?;
    }
    let mut response = Redirect::to("/kiosk").into_response();
    let clear = HeaderValue::from_static("fq_citizen=; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=0");
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response)
}
