//! Fengqiao's HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, and the
//! middleware around it (language, body limit, tracing), and the staff UI. Handlers are thin:
//! extract, one use case of the `app` crate, respond.

pub mod api;
pub mod error;
pub mod extract;
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
}

impl AppState {
    pub fn new(app: App) -> Self {
        AppState { app }
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
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and their OpenAPI document, generated from the handlers' annotations.
fn api_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(api::routes()).split_for_parts()
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
        .route("/api/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
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
async fn index() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": "Fengqiao 枫桥",
        "api": "/api/v1",
        "openapi": "/api/openapi.json",
        "health": "/healthz",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.app.healthy().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

async fn not_found() -> error::ApiError {
    error::ApiError::new(StatusCode::NOT_FOUND, "not_found", msg!("error.not_found"))
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
}
