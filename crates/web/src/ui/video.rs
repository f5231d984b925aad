//! The room link's page (issue 17, first slice): opened from an invitation, no sign-in — the
//! token is the pass. It checks the camera and microphone and offers one button, 加入; the
//! host goes in at once, the others wait until the mediator admits them. A token whose
//! session has ended (held or cancelled) or was replaced by new invitations opens nothing: 404.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::i18n::T;
use super::{Session, UiError, current_ui_lang, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::InPath;

#[derive(Template)]
#[template(path = "video_join.html")]
struct JoinPage {
    t: T,
    /// None: the link no longer works.
    pass: Option<Pass>,
}

struct Pass {
    participant: String,
    role: String,
    admitted: bool,
}

pub async fn join(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let t = T { lang: current_ui_lang() };
    match state.app.video_pass(&token).await {
        Ok(Some(pass)) => render(
            StatusCode::OK,
            &JoinPage {
                t,
                pass: Some(Pass { participant: pass.participant, role: pass.role, admitted: pass.admitted }),
            },
            false,
        ),
        _ => render(StatusCode::NOT_FOUND, &JoinPage { t, pass: None }, false),
    }
}

/// A recording for the case page's player (staff who see the case): the file or the part a
/// `Range` header asks for, so the player can seek.
pub async fn recording(
    State(state): State<AppState>,
    InPath(id, _): InPath<String, UiError>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("recording"))?;
    Ok(crate::api::video::recording_download(&state, &session.viewer, id, &headers).await?)
}
