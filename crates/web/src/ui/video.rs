//! The room link's page (issue 17, first slice): opened from an invitation, no sign-in — the
//! token is the pass. It checks the camera and microphone and offers one button, 加入; the
//! host goes in at once, the others wait until the mediator admits them. A token whose
//! session has ended (held or cancelled) or was replaced by new invitations opens nothing: 404.
//!
//! The room's minutes (调解笔录) and agreement, under the same token (JSON; the token is the
//! pass): `GET|PUT /video/join/{token}/minutes` (the host saves as typed),
//! `POST …/minutes/ask` (the host puts them to the parties), `POST …/minutes/confirm {sha256}`
//! (a party), `GET …/agreement` (a party's signing link, if an agreement awaits their
//! signature) and `POST …/agreement/ask` (the host asks the parties to sign). Every change is
//! pushed to the room's pages over its WebSocket ([`crate::rooms`]).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use app::video::{RoomMinutes, RoomPass};
use axum::Json;
use serde::Deserialize;
use serde_json::{Value, json};

use super::i18n::T;
use super::{Session, UiError, current_ui_lang, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{InPath, JsonBody};

#[derive(Template)]
#[template(path = "video_join.html")]
struct JoinPage {
    t: T,
    /// None: the link no longer works.
    pass: Option<Pass>,
}

struct Pass {
    case_id: i64,
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
                pass: Some(Pass {
                    case_id: pass.case_id,
                    participant: pass.participant,
                    role: pass.role,
                    admitted: pass.admitted,
                }),
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

/// The pass of a token that still works (404 otherwise, as for the page) of a participant
/// admitted to the room (403 while waiting).
async fn pass_of(state: &AppState, token: &str) -> Result<RoomPass, ApiError> {
    let pass = state.app.video_pass(token).await?.ok_or_else(|| ApiError::not_found("room"))?;
    if !pass.admitted {
        return Err(ApiError::from(app::AppError::Forbidden { message: domain::msg!("video.not_admitted") }));
    }
    Ok(pass)
}

fn minutes_json(minutes: &RoomMinutes) -> Value {
    json!({
        "text": minutes.text, "sha256": minutes.sha256, "asked": minutes.asked, "confirmed": minutes.confirmed,
    })
}

/// Tells the room's pages the minutes as they now are, and answers with them.
fn pushed(state: &AppState, pass: &RoomPass, minutes: &RoomMinutes) -> Json<Value> {
    let body = minutes_json(minutes);
    let mut message = body.clone();
    message["type"] = json!("minutes");
    state.rooms.push(pass.session_id, &message);
    Json(body)
}

/// `GET /video/join/{token}/minutes`: the minutes as the room shows them.
pub async fn minutes(State(state): State<AppState>, Path(token): Path<String>) -> Result<Json<Value>, ApiError> {
    let pass = pass_of(&state, &token).await?;
    Ok(Json(minutes_json(&state.app.video_minutes(&pass).await?)))
}

#[derive(Deserialize)]
pub struct MinutesText {
    #[serde(default)]
    text: String,
}

/// `PUT /video/join/{token}/minutes {text}`: the host saves the minutes as typed.
pub async fn minutes_save(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(body): JsonBody<MinutesText>,
) -> Result<Json<Value>, ApiError> {
    let pass = pass_of(&state, &token).await?;
    let minutes = state.app.video_minutes_save(&pass, &body.text).await?;
    Ok(pushed(&state, &pass, &minutes))
}

/// `POST /video/join/{token}/minutes/ask`: the host puts the minutes to the parties.
pub async fn minutes_ask(State(state): State<AppState>, Path(token): Path<String>) -> Result<Json<Value>, ApiError> {
    let pass = pass_of(&state, &token).await?;
    let minutes = state.app.video_minutes_ask(&pass).await?;
    Ok(pushed(&state, &pass, &minutes))
}

#[derive(Deserialize)]
pub struct Confirmation {
    #[serde(default)]
    sha256: String,
}

/// `POST /video/join/{token}/minutes/confirm {sha256}`: a party confirms the text they read.
pub async fn minutes_confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(body): JsonBody<Confirmation>,
) -> Result<Json<Value>, ApiError> {
    let pass = pass_of(&state, &token).await?;
    let minutes = state.app.video_minutes_confirm(&pass, &body.sha256).await?;
    Ok(pushed(&state, &pass, &minutes))
}

/// `GET /video/join/{token}/agreement`: this party's signing link, if an agreement of the
/// case awaits their signature (`{url: null}` otherwise).
pub async fn agreement(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let pass = pass_of(&state, &token).await?;
    let link = crate::api::mediation::signing_link(&headers);
    Ok(Json(json!({ "url": state.app.video_signing_link(&pass, link).await? })))
}

/// `POST /video/join/{token}/agreement/ask`: the host asks the parties to sign; each party's
/// page then fetches its own link.
pub async fn agreement_ask(State(state): State<AppState>, Path(token): Path<String>) -> Result<StatusCode, ApiError> {
    let pass = pass_of(&state, &token).await?;
    if pass.role != "host" {
        return Err(ApiError::from(app::AppError::Forbidden { message: domain::msg!("video.host_only") }));
    }
    state.rooms.push(pass.session_id, &json!({ "type": "agreement" }));
    Ok(StatusCode::NO_CONTENT)
}
