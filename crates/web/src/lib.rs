//! Fengqiao's HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, and the
//! middleware around it (language, body limit, tracing), and the staff UI. Handlers are thin:
//! extract, one use case of the `app` crate, respond.

pub mod api;
pub mod error;
pub mod extract;
mod open311;
pub mod rooms;
pub mod ui;

use domain::msg;
use std::sync::Arc;

use app::App;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The largest request body accepted (413 beyond).
pub const BODY_LIMIT: usize = 256 * 1024;

/// What every handler holds: the application.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Cookies carry `Secure` (the deployment is reached over TLS).
    pub secure_cookies: bool,
    /// The video rooms of this node (and its media server, when it runs one).
    pub rooms: rooms::Rooms,
}

impl AppState {
    pub fn new(app: App) -> Self {
        AppState { app, secure_cookies: false, rooms: rooms::Rooms::default() }
    }

    /// The video rooms, their media through this node's media server.
    pub fn with_rooms(self, rooms: rooms::Rooms) -> Self {
        AppState { rooms, ..self }
    }

    /// Marks every cookie `Secure`: browsers then send them over TLS only.
    pub fn with_secure_cookies(self, secure_cookies: bool) -> Self {
        AppState { secure_cookies, ..self }
    }

    /// The application's clock, for what a page shows relative to now.
    pub fn now(&self) -> DateTime<Utc> {
        self.app.now()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Fengqiao 枫桥 API", description = "One-stop dispute resolution platform for comprehensive governance centres. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`; messages follow `Accept-Language` (Chinese by default)."),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    }
}

/// The API's routes and their OpenAPI document, generated from the handlers' annotations.
fn api_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(api::routes()).split_for_parts();
    document_common_errors(&mut document);
    (router.layer(middleware::from_fn(json_errors)), document)
}

/// Every error the API answers is the contract's JSON: what an extractor of axum refuses (a
/// query string, a path that is not UTF-8, a method, a content type) comes as plain text, and
/// is answered again here in the request's language.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", msg!("error.bad_request")),
        StatusCode::NOT_FOUND => ("not_found", msg!("error.no_such_route")),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", msg!("error.method_not_allowed")),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", msg!("error.too_large")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", msg!("error.unsupported_media_type")),
        _ => ("error", msg!("error.status", status = status.as_u16() as i64)),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut answer = error::ApiError::new(status, code, message).into_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    answer
}

/// Documents, on every operation, the errors any operation of its shape can answer, where its
/// annotation does not already: 400 (a query or path the server cannot read), 401 (with a
/// bearer), 404 (with a path parameter), 413 and 422 (with a body), and 503 (a full disk or a
/// database out of reach: any operation, nothing changed).
fn document_common_errors(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        ResponseBuilder::new().description(description).content("application/json", content).build()
    };
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let with_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses.entry(status.to_owned()).or_insert_with(|| error(description).into());
            };
            add("400", "The query string or the path cannot be read");
            if secured {
                add("401", "Not signed in");
            }
            if path.contains('{') {
                add("404", "Nothing there, or outside the caller's scope");
            }
            if with_body {
                add("413", "The body is too large");
                add("422", "A field is at fault");
            }
            add(
                "503",
                "Nothing was changed: the server's storage is full (`storage_full`) or the database is \
                 out of reach (`database_unavailable`); retry after `Retry-After` seconds",
            );
        }
    }
}

/// The OpenAPI document served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_and_document().1
}

/// The whole application: API, OpenAPI document, health check.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api_and_document();
    let openapi = Arc::new(openapi);
    Router::new()
        .route("/api", get(index))
        .route("/healthz", get(healthz))
        .route("/served/{token}", get(api::mediation::served))
        .merge(ui::routes())
        .merge(open311::routes())
        .route("/api/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), secure_cookies))
        .layer(middleware::from_fn_with_state(state.clone(), training_marks))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(language))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The service to serve: the router, told each connection's peer address (for the login limits).
pub fn service(
    state: AppState,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, std::net::SocketAddr> {
    app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()
}

/// Where to start: the API, its document, the health check.
async fn index(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": "Fengqiao 枫桥",
        "api": "/api/v1",
        "openapi": "/api/openapi.json",
        "health": "/healthz",
        "version": env!("CARGO_PKG_VERSION"),
        "training": state.app.is_training(),
    }))
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.app.healthy().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

/// No such route: the contract's JSON under `/api`, a page of the UI elsewhere.
async fn not_found(uri: axum::http::Uri) -> Response {
    let error = error::ApiError::new(StatusCode::NOT_FOUND, "not_found", msg!("error.no_such_route"));
    if uri.path().starts_with("/api") { error.into_response() } else { ui::UiError::Failed(error).into_response() }
}

/// With `--secure-cookies`, every cookie the server sets is marked `Secure`.
async fn secure_cookies(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if state.secure_cookies {
        mark_cookies_secure(response.headers_mut());
    }
    response
}

/// The header every answer of a training deployment carries.
pub const TRAINING_HEADER: &str = "x-fengqiao-training";

/// 培训: in a training deployment every answer says so — the header [`TRAINING_HEADER`], and
/// every page (whichever template drew it, error pages included) a banner at the top of its
/// body and 【培训】 before its title.
async fn training_marks(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if !state.app.is_training() {
        return response;
    }
    response.headers_mut().insert(TRAINING_HEADER, header::HeaderValue::from_static("1"));
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_page {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let t = ui::i18n::T { lang: ui::current_ui_lang() };
    let banner = format!(
        r#"<div class="training-banner" role="note"><strong lang="zh-CN">培训</strong> {}</div>"#,
        t.s("本系统为练习用部署：数据仅供练习，短信和推送不会发出。")
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let page = mark_training_page(&String::from_utf8_lossy(&bytes), &banner);
    Response::from_parts(parts, axum::body::Body::from(page))
}

/// The page with `banner` first in its body and 【培训】 before its title.
fn mark_training_page(page: &str, banner: &str) -> String {
    let mut marked = page.replacen("<title>", "<title>【培训】", 1);
    if let Some(start) = marked.find("<body")
        && let Some(end) = marked[start..].find('>')
    {
        marked.insert_str(start + end + 1, banner);
    }
    marked
}

/// Adds `Secure` to every `Set-Cookie` that lacks it.
fn mark_cookies_secure(headers: &mut axum::http::HeaderMap) {
    let cookies: Vec<header::HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        let secure = match cookie.to_str() {
            Ok(text) if !text.contains("; Secure") => header::HeaderValue::from_str(&format!("{text}; Secure")).ok(),
            _ => None,
        };
        headers.append(header::SET_COOKIE, secure.unwrap_or(cookie));
    }
}

/// What every page may load: only this server's own scripts, styles and images (the signature
/// pad's drawing is a `data:` image), no frames around it, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers that protect every answer: the content security policy, no framing, no type
/// sniffing, no referrer (links carry signing tokens), and no caching of anything but the
/// binary's own assets — pages and answers show personal data.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    response
}

/// Serves each request in the language its `Accept-Language` prefers (the API), and the UI
/// in the language chosen in its cookie, else the header's.
async fn language(request: Request, next: Next) -> Response {
    let accept = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = accept.map(ui::i18n::UiLang::from_accept_language).unwrap_or_default();
    let ui_lang = ui::session::cookie(request.headers(), ui::session::LANG_COOKIE)
        .and_then(ui::i18n::UiLang::parse)
        .unwrap_or(lang);
    error::LANG.scope(lang, ui::UI_LANG.scope(ui_lang, next.run(request))).await
}

#[cfg(test)]
mod tests {
    /// The contract as the server documents it: any change to a route, a field or a status
    /// shows in review as a change to `snapshots/` (`cargo insta review`, or
    /// `INSTA_UPDATE=always` to accept).
    #[test]
    fn the_openapi_document_is_the_reviewed_one() {
        insta::assert_json_snapshot!("openapi", super::openapi());
    }

    #[test]
    fn a_training_page_says_so_in_its_title_and_first_in_its_body() {
        let page = "<html><head><title>工作台</title></head><body class=\"app\"><main>…</main></body></html>";
        assert_eq!(
            super::mark_training_page(page, "<div>培训</div>"),
            "<html><head><title>【培训】工作台</title></head><body class=\"app\"><div>培训</div><main>…</main></body></html>"
        );
        assert_eq!(super::mark_training_page("<p>no body</p>", "<div>培训</div>"), "<p>no body</p>");
    }

    #[test]
    fn secure_cookies_mark_every_cookie_once() {
        use axum::http::{HeaderMap, HeaderValue, header};
        let mut headers = HeaderMap::new();
        headers.append(header::SET_COOKIE, HeaderValue::from_static("fq_session=a; Path=/; HttpOnly"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("fq_lang=en; Path=/; Secure"));
        super::mark_cookies_secure(&mut headers);
        let cookies: Vec<&str> = headers.get_all(header::SET_COOKIE).iter().map(|c| c.to_str().unwrap()).collect();
        assert_eq!(cookies, ["fq_session=a; Path=/; HttpOnly; Secure", "fq_lang=en; Path=/; Secure"]);
    }
}
