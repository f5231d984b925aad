//! 指挥大屏: the command screen's data as JSON (not in the contract; the page `/command`
//! renders the same on the server).

use app::command::{CommandScreen, PeriodCounts};
use axum::Json;
use axum::extract::{Query, State};
use domain::i18n::T;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::evaluations::{EvaluationOut, evaluation_out};
use crate::AppState;
use crate::error::{ApiError, ErrorBody, current_lang};
use crate::extract::Auth;

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
