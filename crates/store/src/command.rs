//! 指挥大屏: what the command screen reads besides the summary and the cards — registrations
//! per day and per region from the rollups (`rollup_days`, `rollup_breakdowns`), and the cases
//! open now and overdue in a territory, with the units holding the most overdue ones.
//!
//! The open cases are counted in `open_case_dues` by region, responsible unit and the day their
//! next clock falls due ([`DueBucket`]), by the statement that writes a case's clocks (its
//! registration, [`Store::deadlines_refresh`] in every step), so that the screen sums a few
//! hundred rows instead of reading every open case; only today's cases are read one by one, to
//! tell those already overdue from those due later today. The nightly pass recounts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::org::RegionCode;
use domain::stats::day_key;

use crate::sql::{Arg, Tx, args};
use crate::{Result, Store, to_ms};

/// A UTC day in milliseconds: the width of a due day.
const DAY_MS: i64 = 86_400_000;

/// The due day of an open case none of whose clocks runs: after every other day.
const NEVER_DUE: i64 = i64::MAX;

/// Where an open case is counted: its responsible unit (the lead unit, else the centre that
/// owns it, else 0) and the UTC day (milliseconds ÷ [`DAY_MS`]) its next clock falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DueBucket {
    pub unit_id: i64,
    pub due_day: i64,
}

impl DueBucket {
    pub(crate) fn new(unit_id: Option<i64>, next_due_at: Option<i64>) -> Self {
        DueBucket { unit_id: unit_id.unwrap_or(0), due_day: next_due_at.map_or(NEVER_DUE, |at| at.div_euclid(DAY_MS)) }
    }
}

/// Changes to `open_case_dues`, gathered by the writes of one transaction.
#[derive(Debug, Default)]
pub(crate) struct DueCountChanges(BTreeMap<(String, i64, i64), i64>);

impl DueCountChanges {
    /// A case of `region` counted in `bucket` (`delta` 1) or no longer (−1); nothing for `None`.
    pub(crate) fn add(&mut self, region: &str, bucket: Option<DueBucket>, delta: i64) {
        if let Some(b) = bucket {
            *self.0.entry((region.to_owned(), b.unit_id, b.due_day)).or_default() += delta;
        }
    }

    /// Adds the changes to the counts, inside the transaction that made them.
    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        let rows: Vec<Vec<Arg>> = (self.0.into_iter())
            .filter(|(_, delta)| *delta != 0)
            .map(|((region, unit, day), delta)| args![region, unit, day, delta])
            .collect();
        tx.insert_rows(
            "open_case_dues",
            "region_code, unit_id, due_day, open_cases",
            rows,
            "ON CONFLICT (region_code, unit_id, due_day) DO UPDATE SET open_cases = open_case_dues.open_cases + excluded.open_cases",
        )
        .await
    }
}

/// The open cases of a region's subtree ($1, $2) as rows `(unit_id, handling, overdue)`: the counted
/// days before today ($3) from `open_case_dues`, and today's cases already overdue at $5 (from
/// $4, today's start) from the cases themselves.
const OPEN_AND_OVERDUE: &str =
    "SELECT unit_id, open_cases AS handling, CASE WHEN due_day < $3 THEN open_cases ELSE 0 END AS overdue
        FROM open_case_dues WHERE region_code BETWEEN $1 AND $2
    UNION ALL
    SELECT c.due_unit_id, 0, 1 FROM cases c
        WHERE c.next_due_at >= $4 AND c.next_due_at < $5 AND c.due_day = $3 AND c.region_code BETWEEN $1 AND $2";

/// The arguments of [`OPEN_AND_OVERDUE`] for `region` at `now`.
fn open_and_overdue_args(region: &RegionCode, now: DateTime<Utc>) -> Vec<Arg> {
    let (low, high) = region.subtree_range();
    let today = to_ms(now).div_euclid(DAY_MS);
    args![low, high, today, today * DAY_MS, to_ms(now)]
}

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
        let (handling, overdue): (i64, i64) = self
            .fetch_one(
                &format!(
                    "SELECT CAST(COALESCE(SUM(handling), 0) AS BIGINT), CAST(COALESCE(SUM(overdue), 0) AS BIGINT)
                     FROM ({OPEN_AND_OVERDUE}) counted"
                ),
                open_and_overdue_args(region, now),
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
        let mut args = open_and_overdue_args(region, now);
        args.push(limit.into());
        let rows: Vec<(i64, String, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT u.id, u.name, CAST(SUM(counted.overdue) AS BIGINT) AS overdue
                     FROM ({OPEN_AND_OVERDUE}) counted JOIN units u ON u.id = counted.unit_id
                     GROUP BY u.id, u.name HAVING SUM(counted.overdue) > 0 ORDER BY overdue DESC, u.id LIMIT $6"
                ),
                args,
            )
            .await?;
        Ok(rows.into_iter().map(|(unit_id, name, overdue)| OverdueUnit { unit_id, name, overdue }).collect())
    }

    /// The nightly pass over the open cases' dues: counts them again from where each case row
    /// says it is counted, puts right every count that differs (logged as a warning) and drops
    /// the rows that count nothing. Returns how many counts it put right.
    pub async fn open_dues_recount(&self) -> Result<usize> {
        let counted: Vec<(String, i64, i64, i64)> = self
            .fetch_all(
                "SELECT region_code, due_unit_id, due_day, COUNT(*) FROM cases WHERE due_day IS NOT NULL
                 GROUP BY region_code, due_unit_id, due_day",
                args![],
            )
            .await?;
        let kept: Vec<(String, i64, i64, i64)> =
            self.fetch_all("SELECT region_code, unit_id, due_day, open_cases FROM open_case_dues", args![]).await?;
        let mut kept: BTreeMap<(String, i64, i64), i64> =
            kept.into_iter().map(|(region, unit, day, n)| ((region, unit, day), n)).collect();
        let mut corrections: Vec<Vec<Arg>> = Vec::new();
        for (region, unit, day, n) in counted {
            if kept.remove(&(region.clone(), unit, day)) != Some(n) {
                corrections.push(args![region, unit, day, n]);
            }
        }
        for ((region, unit, day), n) in kept {
            if n != 0 {
                corrections.push(args![region, unit, day, 0_i64]);
            }
        }
        let wrong = corrections.len();
        let mut tx = self.begin().await?;
        if wrong > 0 {
            tracing::warn!(counts = wrong, "nightly pass: open cases' dues put right");
            tx.insert_rows(
                "open_case_dues",
                "region_code, unit_id, due_day, open_cases",
                corrections,
                "ON CONFLICT (region_code, unit_id, due_day) DO UPDATE SET open_cases = excluded.open_cases",
            )
            .await?;
        }
        tx.execute("DELETE FROM open_case_dues WHERE open_cases = 0", args![]).await?;
        tx.commit().await?;
        Ok(wrong)
    }
}
