//! 重点人员: the register of people who need attention — a person put on it by a centre, the
//! register of the caller's territory (a grid worker's own grid) with the visits due, one entry
//! with its history, a visit recorded (走访), a change of colour or schedule, a release (解除列管).
//! Every look at the register is recorded.

use app::watch::WatchFilter;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::case::Risk;
use domain::ids::WatchedPersonId;
use domain::validation::{Checker, FieldError};
use domain::watch::{ReleaseInput, ScheduleInput, VisitDue, VisitInput, WatchInput, WatchStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{IntoApi, WatchOut};
use super::grid::{number, paging, present};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, InPath, JsonBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchList {
    pub items: Vec<WatchOut>,
    pub total: i64,
}

/// Which entries: a status (active by default), a colour, a grid, the visits due; paging by
/// `limit` (default 20, at most 200) and `offset`, or a 1-based `page`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WatchQuery {
    /// active | released
    pub status: Option<String>,
    /// red | orange | yellow
    pub colour: Option<String>,
    /// A grid id: only its people.
    pub grid: Option<String>,
    /// overdue (visits overdue) | soon (due within three days, overdue included)
    pub due: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub page: Option<String>,
}

impl WatchQuery {
    pub fn parse(self) -> Result<WatchFilter, Vec<FieldError>> {
        let mut c = Checker::default();
        let status = c.code::<WatchStatus>("status", self.status.as_deref(), false).unwrap_or(WatchStatus::Active);
        let colour = present(self.colour).and_then(|v| match Risk::parse(&v) {
            Some(risk) if risk != Risk::None => Some(risk),
            _ => {
                c.push(FieldError::new("colour", "not_one_of", domain::msg!("watch.colour")));
                None
            }
        });
        let due = present(self.due).and_then(|v| match VisitDue::parse(&v) {
            Some(due @ (VisitDue::Overdue | VisitDue::Soon)) => Some(due),
            _ => {
                c.push(FieldError::not_one_of("due", "overdue | soon"));
                None
            }
        });
        let grid_id = number(&mut c, "grid", self.grid, 1, i64::MAX);
        let (limit, offset) = paging(&mut c, self.limit, self.offset, self.page);
        c.into_result()?;
        Ok(WatchFilter { status, colour, grid_id, due, limit, offset })
    }
}

/// 列管: a centre puts a person on the register of its territory — by name with an ID number or
/// a phone, or by `person_key` from `GET /api/v1/people/risk` — in the grid whose workers will
/// visit, with a reason, a colour and the days between visits (7 red, 15 orange, 30 yellow by
/// default). 409 when the person is on the register already.
#[utoipa::path(post, path = "/api/v1/people/watch", tag = "people", security(("bearer" = [])), request_body = WatchInput,
    responses((status = 201, body = WatchOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enter(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<WatchInput>,
) -> Result<(StatusCode, Json<WatchOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.watch_enter(&viewer, body).await?.into_api())))
}

/// The register of the caller's territory (a grid worker's own grid), the visits most overdue
/// first, with the total. The look is recorded.
#[utoipa::path(get, path = "/api/v1/people/watch", tag = "people", security(("bearer" = [])), params(WatchQuery),
    responses((status = 200, body = WatchList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<WatchQuery>,
) -> Result<Json<WatchList>, ApiError> {
    let filter = query.parse().map_err(ApiError::invalid)?;
    let page = state.app.watch_list(&viewer, &filter).await?;
    Ok(Json(WatchList { items: page.items.into_api(), total: page.total }))
}

/// One entry with its phone, address and history. The look is recorded.
#[utoipa::path(get, path = "/api/v1/people/watch/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = WatchOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<WatchedPersonId>,
) -> Result<Json<WatchOut>, ApiError> {
    Ok(Json(state.app.watch_get(&viewer, id).await?.into_api()))
}

/// 走访: records a visit (when, what it found, a note unless all is stable); the next visit is
/// scheduled from the latest. A visit that escalates (`escalate`, or `not_met` twice running)
/// turns the person red, visited at least weekly, and opens an alert for the centre. 409 once
/// released.
#[utoipa::path(post, path = "/api/v1/people/watch/{id}/visits", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitInput,
    responses((status = 201, body = WatchOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn visit(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<WatchedPersonId>,
    JsonBody(body): JsonBody<VisitInput>,
) -> Result<(StatusCode, Json<WatchOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.watch_visit(&viewer, id, body).await?.into_api())))
}

/// A centre changes an entry's colour and the days between visits; the next visit is
/// rescheduled from the latest. 409 once released.
#[utoipa::path(post, path = "/api/v1/people/watch/{id}/schedule", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ScheduleInput,
    responses((status = 200, body = WatchOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<WatchedPersonId>,
    JsonBody(body): JsonBody<ScheduleInput>,
) -> Result<Json<WatchOut>, ApiError> {
    Ok(Json(state.app.watch_schedule(&viewer, id, body).await?.into_api()))
}

/// 解除列管: a centre releases a person from the register, with the reason. 409 once released.
#[utoipa::path(post, path = "/api/v1/people/watch/{id}/release", tag = "people", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReleaseInput,
    responses((status = 200, body = WatchOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<WatchedPersonId>,
    JsonBody(body): JsonBody<ReleaseInput>,
) -> Result<Json<WatchOut>, ApiError> {
    Ok(Json(state.app.watch_release(&viewer, id, body).await?.into_api()))
}
