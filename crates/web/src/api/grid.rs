//! 网格化: the grid worker's patrol log (日巡查) and the hazard register (隐患台账) — a patrol
//! recorded and finished, the territory's patrols and which grids were not patrolled on a day,
//! a hazard reported and its steps: resolve (就地化解), escalate (上报), register (转为案件),
//! close (关闭).

use app::grid::{GridCoverage, Hazard, HazardFilter, HazardView, PatrolFilter};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::grid::{HazardAction, HazardInput, HazardStatus, HazardStepInput, PatrolFinish, PatrolInput};
use domain::i18n::T;
use domain::ids::{HazardId, PatrolId};
use domain::msg;
use domain::validation::{Checker, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{IntoApi, PatrolOut, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody, current_lang};
use crate::extract::{Auth, InPath, JsonBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct PatrolList {
    pub items: Vec<PatrolOut>,
    pub total: i64,
}

/// A grid of the territory and its patrols on the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridCoverageOut {
    pub grid_id: i64,
    pub code: String,
    pub name: String,
    pub community_code: String,
    pub patrols: i64,
}

/// Which grids were patrolled on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatrolCoverage {
    pub day: String,
    /// Grids with no patrol on the day (未巡查).
    pub unpatrolled: i64,
    /// Every active grid of the territory, those not patrolled first.
    pub grids: Vec<GridCoverageOut>,
}

/// One step of a hazard.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardStepOut {
    /// report | resolve | escalate | register | close
    pub action: String,
    pub action_label: String,
    /// The status it led to.
    pub status: String,
    pub note: Option<String>,
    pub user_name: String,
    pub at: String,
}

/// A hazard or dispute clue of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardOut {
    pub id: i64,
    pub grid_id: i64,
    pub grid_name: String,
    pub region_code: String,
    /// dispute_clue | safety | fire | public_order | environment | building | other
    pub kind: String,
    pub kind_label: String,
    pub description: String,
    pub location: Option<String>,
    pub people: Option<String>,
    pub patrol_id: Option<i64>,
    /// open | resolved | escalated | registered | closed
    pub status: String,
    pub status_label: String,
    /// The case it became.
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub reported_by: i64,
    pub reporter_name: String,
    pub created_at: String,
    pub updated_at: String,
    /// Its steps, oldest first (in a list: empty).
    pub steps: Vec<HazardStepOut>,
    /// The steps the caller may take now (one hazard only; in a list: empty).
    pub actions: Vec<String>,
}

impl HazardOut {
    fn of(h: HazardView, actions: Vec<HazardAction>) -> Self {
        let t = T { lang: current_lang() };
        HazardOut {
            id: h.id,
            grid_id: h.grid_id,
            grid_name: h.grid_name,
            region_code: h.region_code,
            kind_label: t.code("hazard_kind", &h.kind),
            kind: h.kind,
            description: h.description,
            location: h.location,
            people: h.people,
            patrol_id: h.patrol_id,
            status_label: t.code("hazard_status", &h.status),
            status: h.status,
            case_id: h.case_id,
            case_number: h.case_number,
            reported_by: h.reported_by,
            reporter_name: h.reporter_name,
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
            steps: h
                .steps
                .into_iter()
                .map(|s| HazardStepOut {
                    action_label: t.code("hazard_action", &s.action),
                    action: s.action,
                    status: s.status,
                    note: s.note,
                    user_name: s.user_name,
                    at: rfc3339(s.at),
                })
                .collect(),
            actions: actions.into_iter().map(|a| a.as_str().to_owned()).collect(),
        }
    }
}

impl From<Hazard> for HazardOut {
    fn from(h: Hazard) -> Self {
        HazardOut::of(h.view, h.actions)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardList {
    pub items: Vec<HazardOut>,
    pub total: i64,
}

/// Paging of a list: `limit` (default 20, at most 200) and `offset`, or a 1-based `page`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatrolQuery {
    /// A day (2026-11-28): only its patrols.
    day: Option<String>,
    /// A grid id: only its patrols.
    grid: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    page: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HazardQuery {
    /// open | resolved | escalated | registered | closed
    status: Option<String>,
    /// A grid id: only its hazards.
    grid: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    page: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The day (2026-11-28); today, China time, when absent.
    day: Option<String>,
}

pub(crate) fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub(crate) fn number(c: &mut Checker, field: &str, value: Option<String>, min: i64, max: i64) -> Option<i64> {
    present(value).and_then(|v| {
        c.check(v.parse::<i64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_filter",
                msg!("filter.expected", expected = msg!("filter.whole_number_between", min = min, max = max)),
            )
        }))
    })
}

fn day(c: &mut Checker, value: Option<String>) -> Option<NaiveDate> {
    present(value).and_then(|v| {
        c.check(
            NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .map_err(|_| FieldError::new("day", "invalid_date", msg!("field.not_a_date"))),
        )
    })
}

/// `(limit, offset)` of a page.
pub(crate) fn paging(
    c: &mut Checker,
    limit: Option<String>,
    offset: Option<String>,
    page: Option<String>,
) -> (i64, i64) {
    let limit = number(c, "limit", limit, 1, app::grid::MAX_PAGE_SIZE).unwrap_or(20);
    let page = number(c, "page", page, 1, 1_000_000);
    let offset = number(c, "offset", offset, 0, i64::MAX / 2).or(page.map(|p| (p - 1) * limit)).unwrap_or(0);
    (limit, offset)
}

impl PatrolQuery {
    pub fn parse(self) -> Result<PatrolFilter, Vec<FieldError>> {
        let mut c = Checker::default();
        let day = day(&mut c, self.day);
        let grid_id = number(&mut c, "grid", self.grid, 1, i64::MAX);
        let (limit, offset) = paging(&mut c, self.limit, self.offset, self.page);
        c.into_result()?;
        Ok(PatrolFilter { day, grid_id, limit, offset })
    }
}

impl HazardQuery {
    pub fn parse(self) -> Result<HazardFilter, Vec<FieldError>> {
        let mut c = Checker::default();
        let status = c.code::<HazardStatus>("status", self.status.as_deref(), false);
        let grid_id = number(&mut c, "grid", self.grid, 1, i64::MAX);
        let (limit, offset) = paging(&mut c, self.limit, self.offset, self.page);
        c.into_result()?;
        Ok(HazardFilter { status, grid_id, limit, offset })
    }
}

/// 日巡查: the grid worker records a patrol of their grid (or of a grid of their territory
/// named by `grid_id`); without `ended_at` it goes on until finished. 403 for a grid outside
/// the territory.
#[utoipa::path(post, path = "/api/v1/patrols", tag = "grid", security(("bearer" = [])), request_body = PatrolInput,
    responses((status = 201, body = PatrolOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patrol_record(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<PatrolInput>,
) -> Result<(StatusCode, Json<PatrolOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.patrol_record(&viewer, body).await?.into_api())))
}

/// The patrols of the caller's territory (a grid worker's grid, a centre's grids), newest first.
#[utoipa::path(get, path = "/api/v1/patrols", tag = "grid", security(("bearer" = [])), params(PatrolQuery),
    responses((status = 200, body = PatrolList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patrols(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<PatrolQuery>,
) -> Result<Json<PatrolList>, ApiError> {
    let filter = query.parse().map_err(ApiError::invalid)?;
    let page = state.app.patrols(&viewer, &filter).await?;
    Ok(Json(PatrolList { items: page.items.into_api(), total: page.total }))
}

/// Which grids of the caller's territory were patrolled on a day (today when absent).
#[utoipa::path(get, path = "/api/v1/patrols/coverage", tag = "grid", security(("bearer" = [])), params(CoverageQuery),
    responses((status = 200, body = PatrolCoverage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn coverage(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<CoverageQuery>,
) -> Result<Json<PatrolCoverage>, ApiError> {
    let mut c = Checker::default();
    let day = day(&mut c, query.day);
    c.into_result().map_err(ApiError::invalid)?;
    let (day, grids) = state.app.patrol_coverage(&viewer, day).await?;
    let grids: Vec<GridCoverageOut> = grids
        .into_iter()
        .map(|g: GridCoverage| GridCoverageOut {
            grid_id: g.grid_id,
            code: g.code,
            name: g.name,
            community_code: g.community_code,
            patrols: g.patrols,
        })
        .collect();
    let unpatrolled = grids.iter().filter(|g| g.patrols == 0).count() as i64;
    Ok(Json(PatrolCoverage { day: day.to_string(), unpatrolled, grids }))
}

/// One patrol of the caller's territory.
#[utoipa::path(get, path = "/api/v1/patrols/{id}", tag = "grid", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = PatrolOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn patrol(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<PatrolId>,
) -> Result<Json<PatrolOut>, ApiError> {
    Ok(Json(state.app.patrol(&viewer, id).await?.into_api()))
}

/// Finishes one's own patrol: when it ended (now when absent), what was found, how many
/// households and places were visited. 409 once it has ended.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/finish", tag = "grid", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PatrolFinish,
    responses((status = 200, body = PatrolOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patrol_finish(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<PatrolId>,
    JsonBody(body): JsonBody<PatrolFinish>,
) -> Result<Json<PatrolOut>, ApiError> {
    Ok(Json(state.app.patrol_finish(&viewer, id, body).await?.into_api()))
}

/// 隐患上报: the grid worker reports a hazard or a dispute clue in their grid (status `open`).
/// 403 for a grid outside the territory.
#[utoipa::path(post, path = "/api/v1/hazards", tag = "grid", security(("bearer" = [])), request_body = HazardInput,
    responses((status = 201, body = HazardOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn hazard_report(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<HazardInput>,
) -> Result<(StatusCode, Json<HazardOut>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.app.hazard_report(&viewer, body).await?.into())))
}

/// The hazards of the caller's territory, newest first, by status (`?status=escalated`: what
/// the grids reported up).
#[utoipa::path(get, path = "/api/v1/hazards", tag = "grid", security(("bearer" = [])), params(HazardQuery),
    responses((status = 200, body = HazardList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn hazards(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<HazardQuery>,
) -> Result<Json<HazardList>, ApiError> {
    let filter = query.parse().map_err(ApiError::invalid)?;
    let page = state.app.hazards(&viewer, &filter).await?;
    Ok(Json(HazardList {
        items: page.items.into_iter().map(|h| HazardOut::of(h, Vec::new())).collect(),
        total: page.total,
    }))
}

/// One hazard with its steps and the steps the caller may take now.
#[utoipa::path(get, path = "/api/v1/hazards/{id}", tag = "grid", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = HazardOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn hazard(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<HazardId>,
) -> Result<Json<HazardOut>, ApiError> {
    Ok(Json(state.app.hazard(&viewer, id).await?.into()))
}

/// A step on a hazard, `action` one of `resolve` (就地化解: open or escalated → resolved),
/// `escalate` (上报 to the centre above: open → escalated), `register` (转为案件: open or
/// escalated → registered, a case from the `grid` channel with the hazard's description and
/// place, and the body's title, category and parties; the hazard names the case and the case's
/// history the hazard) or `close` (open, escalated or resolved → closed). A note saying what was
/// done is required but for `register`. 409 when the step is not allowed now.
#[utoipa::path(post, path = "/api/v1/hazards/{id}/{action}", tag = "grid", security(("bearer" = [])),
    params(("id" = i64, Path), ("action" = String, Path, description = "resolve | escalate | register | close")),
    request_body = HazardStepInput,
    responses((status = 200, body = HazardOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hazard_act(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath((id, action), _): InPath<(HazardId, String)>,
    JsonBody(body): JsonBody<HazardStepInput>,
) -> Result<Json<HazardOut>, ApiError> {
    let action = HazardAction::parse(&action).ok_or_else(|| ApiError::not_found("hazard_action"))?;
    Ok(Json(state.app.hazard_act(&viewer, id, action, body).await?.into()))
}
