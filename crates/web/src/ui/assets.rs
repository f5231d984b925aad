//! The UI's assets, compiled into the binary: a closed intranet serves them from here.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// (name, content type, content)
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../assets/app.js")),
    ("portal.js", "text/javascript; charset=utf-8", include_str!("../../assets/portal.js")),
    ("video.js", "text/javascript; charset=utf-8", include_str!("../../assets/video.js")),
    ("command.js", "text/javascript; charset=utf-8", include_str!("../../assets/command.js")),
    ("logo.svg", "image/svg+xml", include_str!("../../assets/logo.svg")),
    ("echarts.min.js", "text/javascript; charset=utf-8", bundle::ECHARTS_JS),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *body)
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
