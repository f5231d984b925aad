//! Video mediation (issue 17, first slice): invitations to a video session's room, admission
//! of waiting participants, and the session's recordings.

use app::video::ByteRange;
use app::video::ExtraParticipant;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ids::{CaseId, SessionId};
use domain::msg;
use domain::recording::Retention;
use domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{IntoApi, RecordingHold, RecordingView};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody, Permitted, gate};

/// The path of a room link: the token is the pass, no sign-in needed.
pub const JOIN_PATH: &str = "/video/join/";

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ExtraParticipantInput {
    /// interpreter | lawyer | observer
    pub role: Option<String>,
    /// How the others see them (at most 50 characters).
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct InvitationsRequest {
    /// Participants beyond the mediator (host) and the case's parties, invited always.
    #[serde(default)]
    pub participants: Vec<ExtraParticipantInput>,
}

/// One participant's link to the room.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    /// mediator | party-1, party-2 … | interpreter-1, lawyer-1, observer-1 …
    pub participant: String,
    /// host | party | interpreter | lawyer | observer
    pub role: String,
    /// Joins this session's room as this participant, without signing in, until the session
    /// ends (or new invitations replace it). Shown once: only its hash is kept.
    pub url: String,
}

/// Invite the participants of a video session (the case's mediator or handler): one link per
/// participant — the mediator as host, every party, and the extras asked for. Earlier links
/// of the session stop working.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/video/invitations", tag = "video", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = InvitationsRequest,
    responses((status = 201, body = Vec<InvitationView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invitations(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<SessionId>,
    JsonBody(body): JsonBody<InvitationsRequest>,
) -> Result<(StatusCode, Json<Vec<InvitationView>>), ApiError> {
    let extras: Vec<ExtraParticipant> =
        body.participants.into_iter().map(|p| ExtraParticipant { role: p.role, name: p.name }).collect();
    let invitations = state.app.video_invite(&viewer, id, &extras).await?;
    let views = invitations
        .into_iter()
        .map(|i| InvitationView { participant: i.participant, role: i.role, url: format!("{JOIN_PATH}{}", i.token) })
        .collect();
    Ok((StatusCode::CREATED, Json(views)))
}

/// A participant as admitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdmittedView {
    pub participant: String,
    pub role: String,
    pub admitted: bool,
}

/// The mediator admits a waiting participant to the room (recorded in the case's history).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/video/participants/{participant}/admit", tag = "video", security(("bearer" = [])),
    params(("id" = i64, Path), ("participant" = String, Path)),
    responses((status = 200, body = AdmittedView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn admit(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, participant), _): InPath<(SessionId, String)>,
) -> Result<Json<AdmittedView>, ApiError> {
    let pass = state.app.video_admit(&viewer, id, &participant).await?;
    state.rooms.admitted(pass.session_id, &pass.participant);
    Ok(Json(AdmittedView { participant: pass.participant, role: pass.role, admitted: pass.admitted }))
}

/// The recordings of a session (one per participant's track), for whoever may see the case.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/recordings", tag = "video", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RecordingView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn recordings(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<SessionId>,
) -> Result<Json<Vec<RecordingView>>, ApiError> {
    Ok(Json(state.app.video_recordings(&viewer, id).await?.into_api()))
}

/// One recording's file (WebM), authorised like the case's evidence. A `Range` request gets
/// that part (206), so that a player can seek; each read from the start is recorded.
#[utoipa::path(get, path = "/api/v1/recordings/{id}", tag = "video", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<u8>), (status = 206, body = Vec<u8>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
pub async fn recording_file(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("recording"))?;
    recording_download(&state, &viewer, id, &headers).await
}

/// A recording's file, or the part of it a `Range` header asks for, for the API and the case
/// page's player alike.
pub async fn recording_download(
    state: &AppState,
    viewer: &app::Viewer,
    id: i64,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(byte_range).flatten();
    let (recording, part) = state.app.video_recording_file(viewer, id, asked).await?;
    let disposition = format!("attachment; filename=\"recording-{}.webm\"", recording.id);
    let common = [
        (header::CONTENT_TYPE, recording.content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::ACCEPT_RANGES, "bytes".to_owned()),
    ];
    let len = part.len;
    Ok(match asked {
        None => (common, part.bytes).into_response(),
        Some(_) if part.first < len => {
            let first = part.first;
            let last = first + (part.bytes.len() as u64).saturating_sub(1);
            let content_range = format!("bytes {first}-{last}/{len}");
            (StatusCode::PARTIAL_CONTENT, common, [(header::CONTENT_RANGE, content_range)], part.bytes).into_response()
        }
        Some(_) => {
            let status = StatusCode::RANGE_NOT_SATISFIABLE;
            let refusal = ApiError::new(status, "range_not_satisfiable", msg!("error.status", status = 416));
            ([(header::CONTENT_RANGE, format!("bytes */{len}"))], refusal).into_response()
        }
    })
}

/// The one byte range a `Range` header asks for: `None` when the header is not one range of
/// bytes (the whole file is sent), `Some(None)` when it is but cannot be read as one.
fn byte_range(header: &str) -> Option<Option<ByteRange>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    Some(match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => Some(ByteRange::Span(first, last)),
        (Ok(first), Err(_)) if last.is_empty() => Some(ByteRange::Span(first, u64::MAX)),
        (Err(_), Ok(suffix)) if first.is_empty() && suffix > 0 => Some(ByteRange::Suffix(suffix)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn one_range_of_bytes_is_read_others_send_the_whole_file() {
        use app::video::ByteRange::{Span, Suffix};
        assert_eq!(byte_range("bytes=0-99"), Some(Some(Span(0, 99))));
        assert_eq!(byte_range("bytes=500-"), Some(Some(Span(500, u64::MAX))));
        assert_eq!(byte_range("bytes=-100"), Some(Some(Suffix(100))));
        assert_eq!(byte_range("bytes=9-1"), Some(None));
        assert_eq!(byte_range("bytes=-0"), Some(None));
        assert_eq!(byte_range("bytes=x-"), Some(None));
        assert_eq!(byte_range("bytes=0-1,5-6"), None);
        assert_eq!(byte_range("items=0-1"), None);
    }
}

/// The retention period of recordings (保管期限), in years after the case was archived.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetentionBody {
    /// Whole years from 1 to 100; default 10 (the archives' short term).
    pub years: Option<i64>,
}

/// The retention period of recordings (administrators): the default until set.
#[utoipa::path(get, path = "/api/v1/admin/recording-retention", tag = "video", security(("bearer" = [])),
    responses((status = 200, body = RetentionBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_retention(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CalendarManage>,
) -> Result<Json<RetentionBody>, ApiError> {
    let retention = state.app.recording_retention(&viewer).await?;
    Ok(Json(RetentionBody { years: Some(retention.years) }))
}

/// Set the retention period of recordings (administrators). The scheduled pass deletes the
/// file of every recording whose case has been archived longer, unless a court confirmation
/// of the case is pending; the recording's row, hash and history stay.
#[utoipa::path(put, path = "/api/v1/admin/recording-retention", tag = "video", security(("bearer" = [])),
    request_body = RetentionBody,
    responses((status = 200, body = RetentionBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_retention(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CalendarManage>,
    JsonBody(body): JsonBody<RetentionBody>,
) -> Result<Json<RetentionBody>, ApiError> {
    let years = body.years.ok_or_else(|| ApiError::invalid(vec![FieldError::required("years")]))?;
    let retention = state.app.recording_retention_put(&viewer, Retention { years }).await?;
    Ok(Json(RetentionBody { years: Some(retention.years) }))
}

/// Why the recordings of a case are placed on hold.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HoldRequest {
    /// Required, at most 500 characters (a court's request, a complaint under review …).
    pub reason: Option<String>,
}

/// Place a legal hold on a case's recordings (录音录像保全; the leaders of the centres that
/// see the case, and administrators): the retention purge keeps them until the hold is
/// released. An event in the case's history. One hold in force at a time (409).
#[utoipa::path(post, path = "/api/v1/cases/{id}/recordings/hold", tag = "video", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = HoldRequest,
    responses((status = 201, body = RecordingHold), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hold_place(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::RecordingHold>,
    InPath(case, _): InPath<CaseId>,
    JsonBody(body): JsonBody<HoldRequest>,
) -> Result<(StatusCode, Json<RecordingHold>), ApiError> {
    let hold = state.app.recording_hold_place(&viewer, case, body.reason.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(hold.into_api())))
}

/// Release the legal hold in force on a case's recordings: the next purge pass treats them
/// by their retention period again. An event in the case's history; 409 when none is in force.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/recordings/hold", tag = "video", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RecordingHold), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hold_release(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::RecordingHold>,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<RecordingHold>, ApiError> {
    Ok(Json(state.app.recording_hold_release(&viewer, case).await?.into_api()))
}

/// The legal holds placed on a case's recordings: the one in force (no `released_at`) first,
/// then the released ones, newest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/recordings/holds", tag = "video", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RecordingHold>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn holds(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(case, _): InPath<CaseId>,
) -> Result<Json<Vec<RecordingHold>>, ApiError> {
    Ok(Json(state.app.recording_holds(&viewer, case).await?.into_api()))
}
