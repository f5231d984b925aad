//! The official calendar and the clock policies as data an administrator maintains; loading a
//! year recomputes every open deadline.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use domain::calendar::{Calendar, YearCalendar, shipped_years};
use domain::case::{Category, Channel, Risk};
use domain::clocks::{ClockPolicy, PolicyRule};

use crate::sql::args;
use crate::{Result, Store, StoreError, from_ms, to_ms};

/// A loaded year, with who loaded it.
#[derive(Debug, Clone)]
pub struct CalendarYearView {
    pub calendar: YearCalendar,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
}

/// What deadline arithmetic needs: the calendar and the policies.
#[derive(Debug, Clone, Default)]
pub struct ClockContext {
    pub calendar: Calendar,
    pub rules: Vec<PolicyRule>,
}

impl ClockContext {
    pub fn policy(&self, category: Category, channel: Channel, risk: Risk) -> ClockPolicy {
        domain::clocks::choose_policy(&self.rules, category, channel, risk)
    }
}

/// The version counter of the calendar and the policies.
const CLOCK_VERSION: &str = "clock";

/// The cache of a store: the version it was loaded at and the context.
pub(crate) type ClockCache = Arc<Mutex<Option<(i64, Arc<ClockContext>)>>>;

type PolicyRow = (Option<String>, Option<String>, Option<String>, i64, i64, i64, i64, i64, i64);

impl Store {
    /// Loads the shipped years that the database does not have yet (never overwrites a year an
    /// administrator corrected).
    pub async fn calendar_seed(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut added = 0;
        for year in shipped_years() {
            let data = serde_json::to_string(&year).map_err(|e| StoreError::Setup(e.to_string()))?;
            added += self
                .execute(
                    "INSERT INTO calendar_years (year, data, loaded_at, loaded_by) VALUES ($1, $2, $3, 'fengqiao') ON CONFLICT (year) DO NOTHING",
                    args![i64::from(year.year), data, to_ms(now)],
                )
                .await?;
        }
        if added > 0 {
            self.bump_clock_version().await?;
        }
        Ok(added as usize)
    }

    pub async fn calendar_years(&self) -> Result<Vec<CalendarYearView>> {
        let rows: Vec<(String, i64, String)> =
            self.fetch_all("SELECT data, loaded_at, loaded_by FROM calendar_years ORDER BY year", args![]).await?;
        rows.into_iter()
            .map(|(data, loaded_at, loaded_by)| {
                let calendar = serde_json::from_str(&data)
                    .map_err(|e| StoreError::Setup(format!("a stored calendar is not valid: {e}")))?;
                Ok(CalendarYearView { calendar, loaded_at: from_ms(loaded_at), loaded_by })
            })
            .collect()
    }

    /// The calendar and the clock policies, cached and reloaded whenever the version counter
    /// says that any node changed them.
    pub async fn clock_context(&self) -> Result<Arc<ClockContext>> {
        let version: Option<(i64,)> =
            self.fetch_optional("SELECT version FROM versions WHERE name = $1", args![CLOCK_VERSION]).await?;
        let version = version.map_or(0, |(v,)| v);
        if let Some((cached, context)) = self.clock_cache.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *cached == version
        {
            return Ok(context.clone());
        }
        let calendar = Calendar::new(self.calendar_years().await?.into_iter().map(|y| y.calendar));
        let context = Arc::new(ClockContext { calendar, rules: self.clock_policies().await? });
        *self.clock_cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, context.clone()));
        Ok(context)
    }

    async fn bump_clock_version(&self) -> Result<()> {
        self.execute("INSERT INTO versions (name, version) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET version = versions.version + 1", args![CLOCK_VERSION]).await?;
        Ok(())
    }

    /// Loads or corrects one year, then recomputes every open deadline. Returns how many cases
    /// were recomputed.
    pub async fn calendar_put(&self, year: YearCalendar, loaded_by: &str, now: DateTime<Utc>) -> Result<u64> {
        year.validate().map_err(StoreError::Invalid)?;
        let data = serde_json::to_string(&year).map_err(|e| StoreError::Setup(e.to_string()))?;
        self.execute(
            "INSERT INTO calendar_years (year, data, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (year) DO UPDATE SET data = $2, loaded_at = $3, loaded_by = $4",
            args![i64::from(year.year), data, to_ms(now), loaded_by],
        )
        .await?;
        self.bump_clock_version().await?;
        tracing::info!(year = year.year, %loaded_by, "calendar year loaded; recomputing open deadlines");
        self.deadlines_recompute_open(now).await
    }

    pub async fn clock_policies(&self) -> Result<Vec<PolicyRule>> {
        let rows: Vec<PolicyRow> = self
            .fetch_all(
                "SELECT category, channel, risk, respond_minutes, dispatch_hours, conclude_working_days, follow_up_working_days, reminder_percent, order_after_working_days
                 FROM clock_policies ORDER BY id",
                args![],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(category, channel, risk, respond, dispatch, conclude, follow_up, reminder, order)| PolicyRule {
                category: category.as_deref().and_then(Category::parse),
                channel: channel.as_deref().and_then(Channel::parse),
                risk: risk.as_deref().and_then(Risk::parse),
                policy: ClockPolicy {
                    respond_minutes: respond,
                    dispatch_hours: dispatch,
                    conclude_working_days: conclude,
                    follow_up_working_days: follow_up,
                    reminder_percent: reminder,
                    order_after_working_days: order,
                },
            })
            .collect())
    }

    /// Replaces every clock policy, then recomputes open deadlines.
    pub async fn clock_policies_replace(&self, rules: Vec<PolicyRule>, now: DateTime<Utc>) -> Result<u64> {
        let mut errors = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if let Err(faults) = rule.policy.validate() {
                errors.extend(faults.into_iter().map(|mut f| {
                    f.field = format!("[{i}].{}", f.field);
                    f
                }));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let mut tx = self.begin().await?;
        tx.execute("DELETE FROM clock_policies", args![]).await?;
        for rule in &rules {
            let p = &rule.policy;
            tx.execute(
                "INSERT INTO clock_policies (category, channel, risk, respond_minutes, dispatch_hours, conclude_working_days, follow_up_working_days, reminder_percent, order_after_working_days)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                args![
                    rule.category.map(|c| c.as_str()),
                    rule.channel.map(|c| c.as_str()),
                    rule.risk.map(|r| r.as_str()),
                    p.respond_minutes,
                    p.dispatch_hours,
                    p.conclude_working_days,
                    p.follow_up_working_days,
                    p.reminder_percent,
                    p.order_after_working_days,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        self.bump_clock_version().await?;
        self.deadlines_recompute_open(now).await
    }
}
