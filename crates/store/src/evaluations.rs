//! 亮牌: the rules of the unit evaluation (one row of JSON an administrator edits), what each
//! unit of a territory did in a month (from cases, hops and notices, by index on their times)
//! and the stored cards (`unit_evaluations`), one per unit and month.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::evaluation::{Card, EvaluationRules, Reason, UnitMonth};
use domain::org::RegionCode;

use crate::sql::{Arg, args};
use crate::{Result, Store, StoreError};

/// A unit of the territory and what it did in the month.
#[derive(Debug, Clone)]
pub struct UnitActivity {
    pub unit_id: i64,
    pub name: String,
    pub region_code: String,
    pub month: UnitMonth,
}

/// A stored card.
#[derive(Debug, Clone)]
pub struct StoredEvaluation {
    pub period: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub card: Card,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub level: String,
    pub rank: i64,
    pub computed_at: DateTime<Utc>,
}

impl Store {
    /// The evaluation rules in force.
    pub async fn evaluation_rules(&self) -> Result<EvaluationRules> {
        let row: Option<(String,)> =
            self.fetch_optional("SELECT rules FROM evaluation_rules WHERE id = 1", args![]).await?;
        Ok(row.and_then(|(json,)| serde_json::from_str(&json).ok()).unwrap_or_default())
    }

    /// Replaces the evaluation rules (checked by the caller).
    pub async fn evaluation_rules_set(&self, rules: &EvaluationRules, now: DateTime<Utc>) -> Result<()> {
        let json = serde_json::to_string(rules).map_err(|e| StoreError::Setup(e.to_string()))?;
        self.execute(
            "INSERT INTO evaluation_rules (id, rules, updated_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at",
            args![json, now.timestamp_millis()],
        )
        .await?;
        Ok(())
    }

    /// What every unit of `region`'s subtree did from `start` (inclusive) to `end` (exclusive):
    /// cases it concluded (and late), their ratings, cases it returned, orders it received and
    /// notices issued to it that are still unanswered.
    pub async fn unit_activity(
        &self,
        region: &RegionCode,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<UnitActivity>> {
        let (low, high) = region.subtree_range();
        let (start, end) = (start.timestamp_millis(), end.timestamp_millis());
        let units: Vec<(i64, String, String)> = self
            .fetch_all(
                "SELECT id, name, region_code FROM units WHERE region_code BETWEEN $1 AND $2 ORDER BY id",
                args![low, high],
            )
            .await?;
        let mut months: BTreeMap<i64, UnitMonth> = units.iter().map(|(id, _, _)| (*id, UnitMonth::default())).collect();
        let concluded: Vec<(i64, i64, i64, i64, i64)> = self
            .fetch_all(
                "SELECT COALESCE(lead_unit_id, owner_unit_id, registering_unit_id) AS unit_id, COUNT(*),
                    CAST(COALESCE(SUM(CASE WHEN conclude_by IS NOT NULL AND concluded_at > conclude_by THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM cases WHERE concluded_at >= $1 AND concluded_at < $2
                 GROUP BY COALESCE(lead_unit_id, owner_unit_id, registering_unit_id)",
                args![start, end],
            )
            .await?;
        for (unit, count, late, rated, satisfied) in concluded {
            if let Some(m) = months.get_mut(&unit) {
                (m.concluded, m.overdue, m.rated, m.satisfied) = (count, late, rated, satisfied);
            }
        }
        let returns: Vec<(i64, i64)> = self
            .fetch_all(
                "SELECT unit_id, COUNT(*) FROM hops WHERE returned_at >= $1 AND returned_at < $2 GROUP BY unit_id",
                args![start, end],
            )
            .await?;
        for (unit, count) in returns {
            if let Some(m) = months.get_mut(&unit) {
                m.returns = count;
            }
        }
        let notices: Vec<(i64, i64, i64)> = self
            .fetch_all(
                "SELECT unit_id,
                    CAST(COALESCE(SUM(CASE WHEN kind = 'order' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN replied_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM notices WHERE issued_at >= $1 AND issued_at < $2 GROUP BY unit_id",
                args![start, end],
            )
            .await?;
        for (unit, orders, unanswered) in notices {
            if let Some(m) = months.get_mut(&unit) {
                (m.orders, m.unanswered) = (orders, unanswered);
            }
        }
        Ok(units
            .into_iter()
            .map(|(unit_id, name, region_code)| UnitActivity {
                month: months.get(&unit_id).copied().unwrap_or_default(),
                unit_id,
                name,
                region_code,
            })
            .collect())
    }

    /// Stores the cards of a month, replacing those of the same units.
    pub async fn evaluations_save(&self, rows: &[StoredEvaluation]) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut values = Vec::new();
        for row in rows {
            let reasons = serde_json::to_string(&row.reasons).map_err(|e| StoreError::Setup(e.to_string()))?;
            let v: Vec<Arg> = args![
                row.period.clone(),
                row.unit_id,
                row.card.as_str(),
                (row.score * 10.0).round() as i64,
                reasons,
                row.level.clone(),
                row.rank,
                row.computed_at.timestamp_millis()
            ];
            values.push(v);
        }
        tx.insert_rows(
            "unit_evaluations",
            "period, unit_id, card, score_tenths, reasons, level, rank, computed_at",
            values,
            "ON CONFLICT (period, unit_id) DO UPDATE SET card = excluded.card, score_tenths = excluded.score_tenths,
             reasons = excluded.reasons, level = excluded.level, rank = excluded.rank, computed_at = excluded.computed_at",
        )
        .await?;
        tx.commit().await
    }

    /// The stored cards of a month for the units of `region`'s subtree, by level and rank.
    pub async fn evaluations(&self, region: &RegionCode, period: &str) -> Result<Vec<StoredEvaluation>> {
        self.evaluations_where("u.region_code BETWEEN $1 AND $2 AND e.period = $3", {
            let (low, high) = region.subtree_range();
            args![low, high, period]
        })
        .await
    }

    /// A unit's cards, newest month first (its history).
    pub async fn evaluations_of_unit(&self, unit_id: i64) -> Result<Vec<StoredEvaluation>> {
        self.evaluations_where("e.unit_id = $1", args![unit_id]).await
    }

    async fn evaluations_where(&self, condition: &str, args: Vec<Arg>) -> Result<Vec<StoredEvaluation>> {
        #[allow(clippy::type_complexity)]
        let rows: Vec<(String, i64, String, String, i64, String, String, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT e.period, e.unit_id, u.name, e.card, e.score_tenths, e.reasons, e.level, e.rank
                     FROM unit_evaluations e JOIN units u ON u.id = e.unit_id WHERE {condition}
                     ORDER BY e.period DESC, e.level, e.rank, e.unit_id"
                ),
                args,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(period, unit_id, unit_name, card, tenths, reasons, level, rank)| StoredEvaluation {
                period,
                unit_id,
                unit_name,
                card: Card::parse(&card).unwrap_or(Card::Green),
                score: tenths as f64 / 10.0,
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                level,
                rank,
                computed_at: DateTime::<Utc>::default(),
            })
            .collect())
    }
}
