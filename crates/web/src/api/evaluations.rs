//! 亮牌: the units' monthly cards with their reasons, and the rules an administrator edits.

use app::evaluations::StoredEvaluation;
use axum::Json;
use axum::extract::{Path, Query, State};
use domain::evaluation::{EvaluationRules, rule_message};
use domain::i18n::T;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody, current_lang};
use crate::extract::{Auth, JsonBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// The month, `YYYY-MM`.
    period: Option<String>,
    /// A region code in the caller's scope; default the caller's region.
    region: Option<String>,
}

/// One deduction behind a card.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    /// `overdue_rate` | `returns` | `satisfaction` | `orders` | `unanswered`.
    pub rule: String,
    /// The rule in the reader's language.
    pub label: String,
    /// The measure: a percentage for the rates, a count otherwise.
    pub value: f64,
    /// Points lost.
    pub points: f64,
}

/// A unit's card for a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationOut {
    pub unit_id: i64,
    pub unit_name: String,
    pub period: String,
    /// `red` | `yellow` | `green`.
    pub card: String,
    /// 100 less the points lost, one decimal.
    pub score: f64,
    pub reasons: Vec<ReasonOut>,
    /// The unit's region level (`district`, `street`…): the rank is within it.
    pub level: String,
    /// 1 = best within the level; equal scores share a rank.
    pub rank: i64,
}

pub(crate) fn evaluation_out(t: &T, e: StoredEvaluation) -> EvaluationOut {
    EvaluationOut {
        unit_id: e.unit_id,
        unit_name: e.unit_name,
        period: e.period,
        card: e.card.as_str().to_owned(),
        score: e.score,
        reasons: e
            .reasons
            .into_iter()
            .map(|r| ReasonOut { label: t.msg(&rule_message(&r.rule)), rule: r.rule, value: r.value, points: r.points })
            .collect(),
        level: e.level,
        rank: e.rank,
    }
}

/// 亮牌: each unit's red, yellow or green card for a month in the caller's territory, with the
/// reasons (points lost per rule) and its rank within its level. The current month is computed
/// at each reading; a month that is over keeps the cards it was given.
#[utoipa::path(get, path = "/api/v1/evaluations", tag = "statistics", security(("bearer" = [])), params(EvaluationQuery),
    responses((status = 200, body = Vec<EvaluationOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evaluations(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<EvaluationQuery>,
) -> Result<Json<Vec<EvaluationOut>>, ApiError> {
    let region = super::stats::region(query.region.as_deref())?;
    let period = query.period.unwrap_or_default();
    let rows = state.app.evaluations(&viewer, period.trim(), region).await?;
    let t = T { lang: current_lang() };
    Ok(Json(rows.into_iter().map(|e| evaluation_out(&t, e)).collect()))
}

/// A unit's cards, newest month first (its history).
#[utoipa::path(get, path = "/api/v1/evaluations/units/{id}", tag = "statistics", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The unit")),
    responses((status = 200, body = Vec<EvaluationOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unit_history(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<i64>,
) -> Result<Json<Vec<EvaluationOut>>, ApiError> {
    let rows = state.app.evaluations_of_unit(&viewer, id).await?;
    let t = T { lang: current_lang() };
    Ok(Json(rows.into_iter().map(|e| evaluation_out(&t, e)).collect()))
}

/// The rules of the evaluation: points lost per rule and the card thresholds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulesBody {
    pub overdue_points: f64,
    pub return_points: f64,
    pub satisfaction_target: f64,
    pub satisfaction_points: f64,
    pub order_points: f64,
    pub unanswered_points: f64,
    pub red_below: f64,
    pub yellow_below: f64,
}

impl From<EvaluationRules> for RulesBody {
    fn from(r: EvaluationRules) -> Self {
        RulesBody {
            overdue_points: r.overdue_points,
            return_points: r.return_points,
            satisfaction_target: r.satisfaction_target,
            satisfaction_points: r.satisfaction_points,
            order_points: r.order_points,
            unanswered_points: r.unanswered_points,
            red_below: r.red_below,
            yellow_below: r.yellow_below,
        }
    }
}

impl From<RulesBody> for EvaluationRules {
    fn from(r: RulesBody) -> Self {
        EvaluationRules {
            overdue_points: r.overdue_points,
            return_points: r.return_points,
            satisfaction_target: r.satisfaction_target,
            satisfaction_points: r.satisfaction_points,
            order_points: r.order_points,
            unanswered_points: r.unanswered_points,
            red_below: r.red_below,
            yellow_below: r.yellow_below,
        }
    }
}

/// The rules of the unit evaluation.
#[utoipa::path(get, path = "/api/v1/evaluation-rules", tag = "statistics", security(("bearer" = [])),
    responses((status = 200, body = RulesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_rules(State(state): State<AppState>, Auth(viewer): Auth) -> Result<Json<RulesBody>, ApiError> {
    Ok(Json(state.app.evaluation_rules(&viewer).await?.into()))
}

/// Replace the rules of the unit evaluation (administrators); each bad field is named.
#[utoipa::path(put, path = "/api/v1/evaluation-rules", tag = "statistics", security(("bearer" = [])), request_body = RulesBody,
    responses((status = 200, body = RulesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    JsonBody(body): JsonBody<RulesBody>,
) -> Result<Json<RulesBody>, ApiError> {
    let rules: EvaluationRules = body.into();
    state.app.evaluation_rules_set(&viewer, &rules).await?;
    Ok(Json(rules.into()))
}
