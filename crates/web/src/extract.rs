//! Extractors: the JSON body (every fault named, in the client's language) and the signed-in
//! viewer from the bearer token.

use std::marker::PhantomData;

use app::Viewer;
use app::auth::TokenKind;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use domain::authz::{self, Permission};
use domain::ids::{
    AgreementId, CaseId, EvidenceId, GridId, HazardId, JointDecisionId, JointMeetingId, MilestoneId, NoticeId,
    PatrolId, PoliceReferralId, ReportId, RiskItemId, RiskListId, SessionId, TaskForceId, UnitId, UserId,
    WatchedPersonId,
};
use domain::msg;
use domain::org::RegionCode;
use domain::validation::FieldError;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// A JSON body. A syntax error is 400; a value of the wrong type is 422 naming its field; a
/// body over the limit is 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", msg!("error.too_large"))
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", msg!("error.unreadable_body"))
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A JSON body kept as bytes, for a handler that reads more than one shape from it; the
/// same faults as [`JsonBody`] for what cannot be read.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", msg!("error.too_large"))
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", msg!("error.unreadable_body"))
            }
        })?;
        Ok(JsonBytes(bytes))
    }
}

/// Parses JSON: a syntax error is 400; a value of the wrong type is 422 naming its field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let inner = error.inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                msg!("error.invalid_json", reason = inner.to_string()),
            );
        }
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::field(FieldError::new(
            field.clone(),
            "wrong_type",
            msg!("field.wrong_type", reason = inner.to_string()),
        ))
    })
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The signed-in user: every protected handler takes one, so none can forget to check.
/// Staff only: an API key (`X-Api-Key`) is accepted by [`Permitted`] and [`SystemAuth`].
pub struct Auth(pub Viewer);

/// The API key of a request, if any.
pub fn api_key(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-api-key")?.to_str().ok().map(str::trim).filter(|key| !key.is_empty())
}

/// A request made by another system with its API key (`X-Api-Key`): the account, acting as
/// its own user at its unit. The call is recorded before the handler runs.
pub struct SystemAuth(pub app::integration::SystemCaller);

impl FromRequestParts<AppState> for SystemAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = api_key(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let caller = state
            .app
            .system_caller(key, parts.method.as_str(), parts.uri.path())
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(SystemAuth(caller))
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let (_, viewer) =
            state.app.viewer_of_token(token, TokenKind::Bearer).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(Auth(viewer))
    }
}

/// The signed-in user of a request that a page's script makes as well as an API client: the
/// bearer token, or else the UI's session cookie (an `EventSource` sends no header). Only for
/// reads: a cookie carries no CSRF proof.
pub struct AuthOrSession(pub Viewer);

impl FromRequestParts<AppState> for AuthOrSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, kind) = match bearer(&parts.headers) {
            Some(token) => (token, TokenKind::Bearer),
            None => (
                crate::ui::session::cookie(&parts.headers, crate::ui::session::SESSION_COOKIE)
                    .ok_or_else(ApiError::unauthorized)?,
                TokenKind::Session,
            ),
        };
        let (_, viewer) = state.app.viewer_of_token(token, kind).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(AuthOrSession(viewer))
    }
}

/// The signed-in citizen of the portal, from a citizen token: a staff token is no citizen's
/// (401), as a citizen's token is no staff user's.
pub struct CitizenAuth(pub app::citizens::Citizen);

impl FromRequestParts<AppState> for CitizenAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let citizen = state.app.citizen_of_token(token).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(CitizenAuth(citizen))
    }
}

/// A permission as a type, for [`Permitted`].
pub trait Gate {
    const PERMISSION: Permission;
}

macro_rules! gates {
    ($($name:ident),* $(,)?) => {
        /// The permissions a handler can demand before it reads a body.
        pub mod gate {
            use domain::authz::Permission;
            $(
                pub struct $name;
                impl super::Gate for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        }
    };
}
gates!(
    CaseRegister,
    Mediate,
    AgreementMediatorSign,
    ConfirmationRule,
    MediatorChoose,
    NoticeIssue,
    NoticeReply,
    SessionsRead,
    CalendarManage,
    TriageManage,
    TriageExampleAdd,
    RiskListManage,
    JointMeetingManage,
    ReportIssue,
    ReferralsRead,
    ReferralDecide,
    WorkOrders,
    Petitions,
    PoliceIncidents,
    WebhooksManage,
    RecordingHold,
);

/// The signed-in user, refused (403) unless their role holds `G`'s permission at all — asked
/// before the body is read, so that a request the role may never make is refused as such, not
/// answered about its fields. The use case asks the whole policy again (the reach, too).
pub struct Permitted<G>(pub Viewer, pub PhantomData<G>);

impl<G: Gate> FromRequestParts<AppState> for Permitted<G> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if bearer(&parts.headers).is_none() && api_key(&parts.headers).is_some() {
            let SystemAuth(caller) = SystemAuth::from_request_parts(parts, state).await?;
            authz::system_may(&caller.grants, G::PERMISSION)?;
            authz::may_at_all(caller.viewer.role, G::PERMISSION)?;
            return Ok(Permitted(caller.viewer, PhantomData));
        }
        let Auth(viewer) = Auth::from_request_parts(parts, state).await?;
        authz::may_at_all(viewer.role, G::PERMISSION)?;
        Ok(Permitted(viewer, PhantomData))
    }
}

/// The signed-in user, or a system account granted `G`'s permission: reads that go back to
/// another system (a court's platform fetching the agreement of a case it referred).
pub struct AuthOrGranted<G>(pub Viewer, pub PhantomData<G>);

impl<G: Gate> FromRequestParts<AppState> for AuthOrGranted<G> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if bearer(&parts.headers).is_none() && api_key(&parts.headers).is_some() {
            let Permitted(viewer, _) = Permitted::<G>::from_request_parts(parts, state).await?;
            return Ok(AuthOrGranted(viewer, PhantomData));
        }
        let Auth(viewer) = Auth::from_request_parts(parts, state).await?;
        Ok(AuthOrGranted(viewer, PhantomData))
    }
}

/// The client's address, as the TCP peer (the server is run with connect info); "unknown"
/// where there is none (a router called without a socket).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(peer.map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())))
    }
}

/// What the path holds, typed: `InPath(id, _): InPath<CaseId>`, `InPath((id, action), _):
/// InPath<(AgreementId, String)>`. A segment that is not an id names nothing, so it is 404 —
/// as `R`, the API's JSON error by default, the UI's page with `InPath<T, UiError>`.
pub struct InPath<T, R = ApiError>(pub T, pub PhantomData<R>);

impl<T: FromPath, R: From<ApiError> + IntoResponse, S: Send + Sync> FromRequestParts<S> for InPath<T, R> {
    type Rejection = R;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| ApiError::not_found("path"))?;
        let segments: Vec<&str> = params.iter().map(|(_, value)| value).collect();
        Ok(InPath(T::from_path(&segments)?, PhantomData))
    }
}

/// One segment of a path.
pub trait Segment: Sized {
    fn segment(raw: &str) -> Result<Self, ApiError>;
}

impl Segment for String {
    fn segment(raw: &str) -> Result<Self, ApiError> {
        Ok(raw.to_owned())
    }
}

macro_rules! id_segments {
    ($($id:ty),*) => {$(
        impl Segment for $id {
            fn segment(raw: &str) -> Result<Self, ApiError> {
                raw.parse().map_err(|_| ApiError::not_found(<$id>::WHAT))
            }
        }
    )*};
}

impl Segment for i64 {
    fn segment(raw: &str) -> Result<Self, ApiError> {
        raw.parse().map_err(|_| ApiError::not_found("system_account"))
    }
}

id_segments!(
    CaseId,
    PatrolId,
    HazardId,
    WatchedPersonId,
    AgreementId,
    SessionId,
    NoticeId,
    EvidenceId,
    UnitId,
    UserId,
    GridId,
    RiskListId,
    RiskItemId,
    JointMeetingId,
    JointDecisionId,
    PoliceReferralId,
    TaskForceId,
    MilestoneId,
    ReportId
);

impl Segment for RegionCode {
    fn segment(raw: &str) -> Result<Self, ApiError> {
        RegionCode::parse(raw).map_err(|_| ApiError::not_found("region"))
    }
}

/// The whole path: one segment, or a tuple of them in the route's order.
pub trait FromPath: Sized {
    fn from_path(segments: &[&str]) -> Result<Self, ApiError>;
}

impl<A: Segment> FromPath for A {
    fn from_path(segments: &[&str]) -> Result<Self, ApiError> {
        match segments {
            [a] => A::segment(a),
            _ => Err(ApiError::not_found("path")),
        }
    }
}

impl<A: Segment, B: Segment> FromPath for (A, B) {
    fn from_path(segments: &[&str]) -> Result<Self, ApiError> {
        match segments {
            [a, b] => Ok((A::segment(a)?, B::segment(b)?)),
            _ => Err(ApiError::not_found("path")),
        }
    }
}

impl<A: Segment, B: Segment, C: Segment> FromPath for (A, B, C) {
    fn from_path(segments: &[&str]) -> Result<Self, ApiError> {
        match segments {
            [a, b, c] => Ok((A::segment(a)?, B::segment(b)?, C::segment(c)?)),
            _ => Err(ApiError::not_found("path")),
        }
    }
}
