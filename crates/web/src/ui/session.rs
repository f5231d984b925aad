//! Cookie sessions and CSRF protection for the UI.
//!
//! The session cookie holds an opaque token (kind `session` in `auth_tokens`, hashed at rest,
//! revoked at logout) and is `HttpOnly; SameSite=Lax; Path=/`. The CSRF token of a session is
//! the SHA-256 of a fixed label and the session token: a page embeds it in every form, a
//! forged cross-site form cannot know it. The login form, which has no session yet, uses a
//! double-submit cookie instead.

use app::AppError;
use app::Viewer;
use app::auth::TokenKind;
use app::org::UserView;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::history::hex;
use domain::msg;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::i18n::{T, UiLang};
use super::{UiError, current_ui_lang, render};
use crate::AppState;
use crate::extract::ClientAddr;

pub const SESSION_COOKIE: &str = "fq_session";
pub const LANG_COOKIE: &str = "fq_lang";
pub const FLASH_COOKIE: &str = "fq_flash";
/// The double-submit cookie of forms shown without a session (login, signing by link).
pub const LOGIN_COOKIE: &str = "fq_login";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// The largest form accepted.
const FORM_LIMIT: usize = 256 * 1024;

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn set_cookie(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

pub fn clear_cookie(name: &str) -> HeaderValue {
    set_cookie(name, "", Some(0))
}

/// A one-time message for the next page: `kind|text`, percent-encoded.
pub fn flash_cookie(kind: &str, text: &str) -> HeaderValue {
    set_cookie(FLASH_COOKIE, &encode_component(&format!("{kind}|{text}")), Some(60))
}

fn read_flash(headers: &HeaderMap) -> Option<(&'static str, String)> {
    let raw = decode_component(cookie(headers, FLASH_COOKIE)?)?;
    let (kind, text) = raw.split_once('|')?;
    let kind = match kind {
        "ok" => "ok",
        "warn" => "warn",
        _ => "error",
    };
    Some((kind, text.to_owned()))
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn csrf_of(token: &str) -> String {
    hex(&Sha256::digest(format!("fengqiao-csrf:{token}").as_bytes()))
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in staff member of a UI request. Without a live session cookie the request is
/// sent to the login page.
pub struct Session {
    pub viewer: Viewer,
    pub user: UserView,
    pub csrf: String,
    pub t: T,
    pub flash: Option<(&'static str, String)>,
    /// The site's address as the browser reached it, for links a page shows to be copied.
    pub site: String,
    token: String,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
        let sign_in = || UiError::SignIn { next: next.clone() };
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?.to_owned();
        let (user, viewer) = state.app.viewer_of_token(&token, TokenKind::Session).await?.ok_or_else(sign_in)?;
        Ok(Session {
            viewer,
            user,
            csrf: csrf_of(&token),
            t: T { lang: current_ui_lang() },
            flash: read_flash(&parts.headers),
            site: crate::api::mediation::site(&parts.headers),
            token,
        })
    }
}

/// A page that anyone may see and that changes with a staff session (the kiosk's start).
impl OptionalFromRequestParts<AppState> for Session {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        match <Session as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(session) => Ok(Some(session)),
            Err(UiError::SignIn { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl Session {
    /// Whether a form's CSRF token is this session's (a form read without [`Posted`]: an
    /// upload).
    pub fn csrf_matches(&self, token: Option<&str>) -> bool {
        token.is_some_and(|token| same(token, &self.csrf))
    }

    /// The session's own token: what changing one's password leaves signed in.
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// A submitted form: its fields in order (a name may repeat).
#[derive(Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let mut pairs = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            pairs.push((decode_component(key)?, decode_component(value)?));
        }
        Some(FormData(pairs))
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The first value of `name` exactly as typed (a password: spaces count), else empty.
    pub fn raw(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every non-blank value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    }
}

/// A POSTed form from a signed-in user whose CSRF token matches the session: a form without
/// it is refused (403) before the handler runs.
pub struct Posted {
    pub session: Session,
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = UiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = <Session as FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let form = read_form(Request::from_parts(parts, body)).await?;
        if session.csrf_matches(form.get(CSRF_FIELD)) { Ok(Posted { session, form }) } else { Err(UiError::Csrf) }
    }
}

pub(super) async fn read_form(request: Request) -> Result<FormData, UiError> {
    let bytes = axum::body::to_bytes(request.into_body(), FORM_LIMIT).await.map_err(|_| {
        UiError::Failed(crate::error::ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            msg!("error.too_large"),
        ))
    })?;
    FormData::parse(&bytes).ok_or_else(|| {
        UiError::Failed(crate::error::ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_form",
            msg!("error.unreadable_form"),
        ))
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site are followed after login or a language switch.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/workbench".to_owned(),
    }
}

/// Whether a form shown without a session came back with the token of its cookie.
pub fn public_form_ok(headers: &HeaderMap, form: &FormData) -> bool {
    matches!((cookie(headers, LOGIN_COOKIE), form.get(CSRF_FIELD)), (Some(c), Some(f)) if same(c, f))
}

/// A CSRF token for a form shown without a session, and the cookie that must come back with it.
pub fn public_form_token() -> (String, HeaderValue) {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the operating system provides randomness");
    let token = hex(&random);
    let cookie = set_cookie(LOGIN_COOKIE, &token, Some(3600));
    (token, cookie)
}

fn login_response(status: StatusCode, next: String, username: String, error: Option<String>) -> Response {
    let (csrf, cookie) = public_form_token();
    let page = LoginPage { t: T { lang: current_ui_lang() }, csrf, next, username, error };
    let mut response = render(status, &page, false);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub async fn login_page(Query(query): Query<NextQuery>) -> Response {
    login_response(StatusCode::OK, safe_next(query.next.as_deref()), String::new(), None)
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let t = T { lang: current_ui_lang() };
    let form = FormData::parse(&body).unwrap_or_default();
    let next = safe_next(form.get("next"));
    let username = form.get("username").unwrap_or_default().to_owned();
    if !public_form_ok(&headers, &form) {
        return UiError::Csrf.into_response();
    }
    let password = form.get("password").unwrap_or_default();
    if username.is_empty() || password.is_empty() {
        let error = t.s("请输入用户名和密码。").into_owned();
        return login_response(StatusCode::UNPROCESSABLE_ENTITY, next, username, Some(error));
    }
    match state.app.login(&username, password, &client, TokenKind::Session).await {
        Ok((token, _)) => {
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token, None));
            headers.append(header::SET_COOKIE, clear_cookie(LOGIN_COOKIE));
            response
        }
        Err(AppError::BadCredentials) => {
            let error = t.s("用户名或密码不正确。").into_owned();
            login_response(StatusCode::UNAUTHORIZED, next, username, Some(error))
        }
        Err(AppError::TooManyAttempts { retry_after_secs }) => {
            let error = format!("{} {retry_after_secs} s", t.s("失败次数过多，请稍后再试："));
            let mut response = login_response(StatusCode::TOO_MANY_REQUESTS, next, username, Some(error));
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after_secs));
            response
        }
        Err(error) => UiError::from(error).into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    state.app.logout(&posted.session.token).await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
    Ok(response)
}

/// Remembers the chosen language in a cookie and goes back.
pub async fn switch_language(Path(tag): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let lang = UiLang::parse(&tag).unwrap_or_default();
    let mut response = Redirect::to(&safe_next(query.next.as_deref())).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(LANG_COOKIE, lang.tag(), Some(365 * 86400)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_repeated_and_encoded_fields() {
        let form = FormData::parse(b"a=1&b=%E4%B8%AD+x&a=2&c=").unwrap();
        assert_eq!(form.get("b"), Some("中 x"));
        assert_eq!(form.all("a"), vec!["1", "2"]);
        assert_eq!(form.get("c"), None);
        assert!(FormData::parse(b"a=%E4%B8").is_none());
    }

    #[test]
    fn encoding_round_trips() {
        let text = "ok|已签收 100% & more";
        assert_eq!(decode_component(&encode_component(text)).as_deref(), Some(text));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/cases/1")), "/cases/1");
        assert_eq!(safe_next(Some("//evil.example")), "/workbench");
        assert_eq!(safe_next(Some("https://evil.example")), "/workbench");
        assert_eq!(safe_next(None), "/workbench");
    }
}
