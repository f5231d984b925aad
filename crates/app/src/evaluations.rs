//! 亮牌: the monthly cards of the units of the viewer's territory, computed from the rules an
//! administrator keeps (domain::evaluation), stored with their reasons and a rank among the
//! units of the same region level. A month is computed again at each reading until it is over;
//! after that the stored cards are its history and are returned as they were.

use domain::authz::{self, Permission, Resource};
use domain::evaluation::{EvaluationRules, evaluate};
use domain::msg;
use domain::org::RegionCode;
use domain::stats::month_days;
use domain::validation::FieldError;
pub use store::evaluations::StoredEvaluation;

use crate::{App, AppError, Result, Viewer};

impl App {
    /// The rules of the evaluation.
    pub async fn evaluation_rules(&self, viewer: &Viewer) -> Result<EvaluationRules> {
        authz::may(viewer.role, Permission::EvaluationRead, Resource::ANY)
            .or_else(|_| authz::may(viewer.role, Permission::EvaluationRulesManage, Resource::ANY))?;
        Ok(self.store.evaluation_rules().await?)
    }

    /// Replaces the rules (administrators); each bad field is named.
    pub async fn evaluation_rules_set(&self, viewer: &Viewer, rules: &EvaluationRules) -> Result<()> {
        authz::may(viewer.role, Permission::EvaluationRulesManage, Resource::ANY)?;
        rules.validate().map_err(AppError::Invalid)?;
        Ok(self.store.evaluation_rules_set(rules, self.now()).await?)
    }

    /// The cards of `period` (`YYYY-MM`) for the units of the viewer's territory (or of
    /// `region` within it), by level and rank.
    pub async fn evaluations(
        &self,
        viewer: &Viewer,
        period: &str,
        region: Option<RegionCode>,
    ) -> Result<Vec<StoredEvaluation>> {
        authz::may(viewer.role, Permission::EvaluationRead, Resource::ANY)?;
        let Some((first, last)) = month_days(period) else {
            return Err(AppError::field(FieldError::new("period", "invalid_period", msg!("evaluation.bad_period"))));
        };
        let region = region.unwrap_or_else(|| viewer.scope.region.clone());
        if !viewer.scope.region.contains(&region) {
            return Err(AppError::NotFound { what: "region" });
        }
        let now = self.now();
        let start = domain::china_instant(first, chrono::NaiveTime::MIN);
        let end = domain::china_instant(last + chrono::Duration::days(1), chrono::NaiveTime::MIN);
        if start > now {
            return Ok(Vec::new());
        }
        let stored = self.store.evaluations(&region, period).await?;
        if now >= end && !stored.is_empty() {
            return Ok(stored);
        }
        self.evaluations_compute(&region, period, start, end).await?;
        Ok(self.store.evaluations(&region, period).await?)
    }

    /// A unit's cards, newest month first.
    pub async fn evaluations_of_unit(&self, viewer: &Viewer, unit_id: i64) -> Result<Vec<StoredEvaluation>> {
        authz::may(viewer.role, Permission::EvaluationRead, Resource::ANY)?;
        let unit = self.store.unit(domain::ids::UnitId(unit_id)).await?.ok_or(AppError::NotFound { what: "unit" })?;
        let within = RegionCode::parse(&unit.region_code).is_ok_and(|code| viewer.scope.region.contains(&code));
        if !within {
            return Err(AppError::NotFound { what: "unit" });
        }
        Ok(self.store.evaluations_of_unit(unit_id).await?)
    }

    /// Computes and stores the cards of a month for the units of a region's subtree (the
    /// reports' job calls this too).
    pub async fn evaluations_compute(
        &self,
        region: &RegionCode,
        period: &str,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let rules = self.store.evaluation_rules().await?;
        let activity = self.store.unit_activity(region, start, end).await?;
        let now = self.now();
        let mut rows: Vec<StoredEvaluation> = activity
            .into_iter()
            .map(|a| {
                let e = evaluate(&rules, &a.month);
                let level = RegionCode::parse(&a.region_code).map(|c| c.level().as_str()).unwrap_or("district");
                StoredEvaluation {
                    period: period.to_owned(),
                    unit_id: a.unit_id,
                    unit_name: a.name,
                    card: e.card,
                    score: e.score,
                    reasons: e.reasons,
                    level: level.to_owned(),
                    rank: 0,
                    computed_at: now,
                }
            })
            .collect();
        // Rank within each level: the highest score first, ties by unit id (stable).
        rows.sort_by(|a, b| a.level.cmp(&b.level).then(b.score.total_cmp(&a.score)).then(a.unit_id.cmp(&b.unit_id)));
        let mut level_start = 0;
        for i in 0..rows.len() {
            if i == 0 || rows[i].level != rows[i - 1].level {
                level_start = i;
            }
            rows[i].rank = if i > level_start && rows[i].score == rows[i - 1].score {
                rows[i - 1].rank
            } else {
                (i - level_start + 1) as i64
            };
        }
        Ok(self.store.evaluations_save(&rows).await?)
    }
}
