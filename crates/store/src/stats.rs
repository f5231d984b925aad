//! The statistics summary from daily rollups, and the recount from the history that proves the
//! rollups right (definitions in `domain::stats`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::msg;
use domain::org::RegionCode;
use domain::stats::{Counts, Summary, day_key};

use crate::sql::{Tx, args};
use crate::{Result, Store, StoreError, Viewer, from_ms};

/// The China date of a time, as a rollup day.
pub(crate) fn day_of(at: DateTime<Utc>) -> i64 {
    day_key(at.with_timezone(&domain::china_time()).date_naive())
}

/// Adds counts to one day and region.
pub(crate) async fn rollup_add(tx: &mut Tx, day: i64, region: &str, counts: &Counts) -> Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let columns = Counts::COLUMNS.join(", ");
    let placeholders: Vec<String> = (3..3 + Counts::COLUMNS.len()).map(|i| format!("${i}")).collect();
    let updates: Vec<String> =
        Counts::COLUMNS.iter().map(|c| format!("{c} = rollup_days.{c} + excluded.{c}")).collect();
    let sql = format!(
        "INSERT INTO rollup_days (day, region_code, {columns}) VALUES ($1, $2, {}) ON CONFLICT (day, region_code) DO UPDATE SET {}",
        placeholders.join(", "),
        updates.join(", ")
    );
    let mut values = args![day, region];
    values.extend(counts.values().into_iter().map(Into::into));
    tx.execute(&sql, values).await?;
    Ok(())
}

/// action, at, data, the case's amount and first dispatch.
type EventRow = (String, i64, String, Option<i64>, Option<i64>);

type Breakdowns = (BTreeMap<String, i64>, BTreeMap<String, i64>, BTreeMap<String, i64>);

impl Store {
    /// 统计概览 for a region (default: the viewer's) and a period of days, from the rollups.
    pub async fn stats_summary(
        &self,
        viewer: &Viewer,
        region: Option<RegionCode>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Summary> {
        let region = region.unwrap_or_else(|| viewer.scope.region.clone());
        if !viewer.scope.region.contains(&region) {
            return Err(StoreError::forbidden(msg!("stats.region_out_of_scope", region = region.as_str())));
        }
        let (low, high) = region.subtree_range();
        let (from, to) = (day_key(from), day_key(to));
        let sums: Vec<String> =
            Counts::COLUMNS.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")).collect();
        let sql = format!(
            "SELECT {} FROM rollup_days WHERE region_code BETWEEN $1 AND $2 AND day BETWEEN $3 AND $4",
            sums.join(", ")
        );
        let row: SumRow = self.fetch_one(&sql, args![low.clone(), high.clone(), from, to]).await?;
        let counts =
            Counts::from_values([row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11]);
        let breakdown: Vec<(String, String, i64)> = self
            .fetch_all(
                "SELECT dimension, value, CAST(COALESCE(SUM(received), 0) AS BIGINT) FROM rollup_breakdowns WHERE region_code BETWEEN $1 AND $2 AND day BETWEEN $3 AND $4 GROUP BY dimension, value",
                args![low, high, from, to],
            )
            .await?;
        let (by_category, by_channel, by_risk) = split_breakdowns(breakdown);
        Ok(Summary::from_counts(counts, by_category, by_channel, by_risk))
    }

    /// The same figures recounted from the case histories, without the rollups: the proof
    /// that the rollups are right, and the way to rebuild them.
    pub async fn stats_recount(&self, region: &RegionCode, from: NaiveDate, to: NaiveDate) -> Result<Summary> {
        let (low, high) = region.subtree_range();
        let (from, to) = (day_key(from), day_key(to));
        let rows: Vec<EventRow> = self
            .fetch_all(
                "SELECT e.action, e.at, e.data, c.amount_fen, c.first_dispatched_at FROM case_events e JOIN cases c ON c.id = e.case_id
                 WHERE c.region_code BETWEEN $1 AND $2 AND e.action IN ('registered', 'dispatch', 'sign', 'conclude', 'follow_up')",
                args![low, high],
            )
            .await?;
        let mut counts = Counts::default();
        let mut breakdown: Vec<(String, String, i64)> = Vec::new();
        for (action, at, data, amount, first_dispatched_at) in rows {
            let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
            let counted = event_counts(&action, from_ms(at), &data, amount, first_dispatched_at.map(from_ms));
            let Some((_, delta)) = counted.filter(|(day, _)| (from..=to).contains(day)) else { continue };
            if action == "registered" {
                for dimension in ["category", "channel", "risk"] {
                    breakdown.push((dimension.to_owned(), data[dimension].as_str().unwrap_or_default().to_owned(), 1));
                }
            }
            counts.add(&delta);
        }
        let (by_category, by_channel, by_risk) = split_breakdowns(breakdown);
        Ok(Summary::from_counts(counts, by_category, by_channel, by_risk))
    }
}

/// What one event of a case's history adds to the statistics, and on which day: the
/// definitions of `domain::stats` read from the history. `None` for events that count nothing.
/// The recount and the case writer both count with it.
pub(crate) fn event_counts(
    action: &str,
    at: DateTime<Utc>,
    data: &serde_json::Value,
    amount_fen: Option<i64>,
    first_dispatched_at: Option<DateTime<Utc>>,
) -> Option<(i64, Counts)> {
    let flag = |key: &str| data[key].as_bool().unwrap_or(false);
    let counts = match action {
        "registered" => Counts { received: 1, amount_fen: amount_fen.unwrap_or(0), ..Counts::default() },
        "dispatch" => Counts { first_dispatched: i64::from(flag("first")), ..Counts::default() },
        // First-time-right counts on the day of the first dispatch.
        "sign" => {
            let counts = Counts { first_time_right: i64::from(flag("first_time_right")), ..Counts::default() };
            return Some((first_dispatched_at.map_or(0, day_of), counts));
        }
        "conclude" => conclusion_counts(data),
        "follow_up" => Counts {
            rated: 1,
            satisfied: i64::from(matches!(data["satisfaction"].as_str(), Some("satisfied" | "basically_satisfied"))),
            ..Counts::default()
        },
        _ => return None,
    };
    Some((day_of(at), counts))
}

/// What a conclusion adds, from the data its event records.
pub(crate) fn conclusion_counts(data: &serde_json::Value) -> Counts {
    let outcome = data["outcome"].as_str().unwrap_or_default();
    Counts {
        concluded: 1,
        resolved: i64::from(outcome == "resolved"),
        withdrawn: i64::from(outcome == "withdrawn"),
        refused: i64::from(outcome == "refused"),
        concluded_on_time: i64::from(data["on_time"].as_bool().unwrap_or(false)),
        handling_working_days: data["handling_working_days"].as_i64().unwrap_or(0),
        ..Counts::default()
    }
}

fn split_breakdowns(rows: Vec<(String, String, i64)>) -> Breakdowns {
    let (mut category, mut channel, mut risk) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (dimension, value, count) in rows {
        let map = match dimension.as_str() {
            "category" => &mut category,
            "channel" => &mut channel,
            _ => &mut risk,
        };
        *map.entry(value).or_insert(0) += count;
    }
    (category, channel, risk)
}

/// The twelve sums of the summary query, in the order of `Counts::COLUMNS`.
type SumRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
