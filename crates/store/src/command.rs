//! 指挥大屏: what the command screen reads besides the summary and the cards — registrations
//! per day and per region from the rollups (`rollup_days`, `rollup_breakdowns`), and the cases
//! open now and overdue in a territory, with the units holding the most overdue ones.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::org::RegionCode;
use domain::stats::day_key;

use crate::sql::args;
use crate::{Result, Store, to_ms};

/// Statuses of a case still being handled (not concluded, closed or refused).
const HANDLING: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// Registrations and red ones of a region of the territory, with its descendants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionVolume {
    pub received: i64,
    pub red: i64,
    pub orange: i64,
}

/// A unit and how many of the cases it handles are overdue.
#[derive(Debug, Clone)]
pub struct OverdueUnit {
    pub unit_id: i64,
    pub name: String,
    pub overdue: i64,
}

impl Store {
    /// Registrations and conclusions per China day from `from` to `to` in a region's subtree,
    /// every day present (zero when nothing happened).
    pub async fn command_days(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i64, i64)>> {
        let (low, high) = region.subtree_range();
        let rows: Vec<(i64, i64, i64)> = self
            .fetch_all(
                "SELECT day, CAST(COALESCE(SUM(received), 0) AS BIGINT), CAST(COALESCE(SUM(concluded), 0) AS BIGINT)
                 FROM rollup_days WHERE region_code BETWEEN $1 AND $2 AND day BETWEEN $3 AND $4 GROUP BY day",
                args![low, high, day_key(from), day_key(to)],
            )
            .await?;
        let by_day: BTreeMap<i64, (i64, i64)> = rows.into_iter().map(|(day, r, c)| (day, (r, c))).collect();
        Ok(from
            .iter_days()
            .take_while(|day| *day <= to)
            .map(|day| {
                let (received, concluded) = by_day.get(&day_key(day)).copied().unwrap_or_default();
                (day, received, concluded)
            })
            .collect())
    }

    /// Registrations (and red and orange ones) from `from` to `to` per child region of
    /// `region`, the cases registered at the region itself under its own code.
    /// This month's registrations per grid of a community (by grid code), red and orange apart:
    /// the grids are not regions of the rollups, so they are counted from the community's cases.
    pub async fn command_grids(
        &self,
        community: &RegionCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BTreeMap<String, RegionVolume>> {
        let rows: Vec<(String, i64, i64, i64)> = self
            .fetch_all(
                "SELECT g.code, COUNT(*),
                        CAST(COALESCE(SUM(CASE WHEN c.risk = 'red' THEN 1 ELSE 0 END), 0) AS BIGINT),
                        CAST(COALESCE(SUM(CASE WHEN c.risk = 'orange' THEN 1 ELSE 0 END), 0) AS BIGINT)
                   FROM cases c JOIN grids g ON g.id = c.grid_id
                  WHERE c.region_code = $1 AND c.created_at >= $2 AND c.created_at < $3
                  GROUP BY g.code",
                args![community.as_str(), to_ms(from), to_ms(to)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(code, received, red, orange)| (code, RegionVolume { received, red, orange }))
            .collect())
    }

    pub async fn command_regions(
        &self,
        region: &RegionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<String, RegionVolume>> {
        let (low, high) = region.subtree_range();
        let (from, to) = (day_key(from), day_key(to));
        let received: Vec<(String, i64)> = self
            .fetch_all(
                "SELECT region_code, CAST(COALESCE(SUM(received), 0) AS BIGINT) FROM rollup_days
                 WHERE region_code BETWEEN $1 AND $2 AND day BETWEEN $3 AND $4 GROUP BY region_code",
                args![low.clone(), high.clone(), from, to],
            )
            .await?;
        let risky: Vec<(String, String, i64)> = self
            .fetch_all(
                "SELECT region_code, value, CAST(COALESCE(SUM(received), 0) AS BIGINT) FROM rollup_breakdowns
                 WHERE dimension = 'risk' AND value IN ('red', 'orange') AND region_code BETWEEN $1 AND $2 AND day BETWEEN $3 AND $4
                 GROUP BY region_code, value",
                args![low, high, from, to],
            )
            .await?;
        let child = |code: &str| {
            RegionCode::parse(code)
                .map(|code| region.child_toward(&code).as_str().to_owned())
                .unwrap_or_else(|_| code.to_owned())
        };
        let mut volumes: BTreeMap<String, RegionVolume> = BTreeMap::new();
        for (code, count) in received {
            volumes.entry(child(&code)).or_default().received += count;
        }
        for (code, risk, count) in risky {
            let volume = volumes.entry(child(&code)).or_default();
            if risk == "red" {
                volume.red += count;
            } else {
                volume.orange += count;
            }
        }
        Ok(volumes)
    }

    /// The cases of a region's subtree being handled now, and how many of them are overdue.
    pub async fn command_open(&self, region: &RegionCode, now: DateTime<Utc>) -> Result<(i64, i64)> {
        let (low, high) = region.subtree_range();
        let (handling, overdue): (i64, i64) = self
            .fetch_one(
                &format!(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.next_due_at < $3 THEN 1 ELSE 0 END), 0) AS BIGINT)
                     FROM cases c WHERE c.region_code BETWEEN $1 AND $2 AND {HANDLING}"
                ),
                args![low, high, to_ms(now)],
            )
            .await?;
        Ok((handling, overdue))
    }

    /// The units handling the most overdue cases of a region's subtree (the lead unit, or the
    /// responsible centre while none leads), at most `limit`.
    pub async fn command_overdue_units(
        &self,
        region: &RegionCode,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OverdueUnit>> {
        let (low, high) = region.subtree_range();
        let rows: Vec<(i64, String, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT u.id, u.name, COUNT(*) AS overdue FROM cases c
                     JOIN units u ON u.id = COALESCE(c.lead_unit_id, c.owner_unit_id)
                     WHERE c.next_due_at < $3 AND c.region_code BETWEEN $1 AND $2 AND {HANDLING}
                     GROUP BY u.id, u.name ORDER BY overdue DESC, u.id LIMIT $4"
                ),
                args![low, high, to_ms(now), limit],
            )
            .await?;
        Ok(rows.into_iter().map(|(unit_id, name, overdue)| OverdueUnit { unit_id, name, overdue }).collect())
    }
}
