//! 指挥大屏: everything the command screen shows of a region of the viewer's territory, read
//! from the rollups and indexed queries — today's, this week's and this month's counts, the
//! cases handled and overdue now, the last 30 days, the top categories, the units with the most
//! overdue cases, the supervision notices, the units' cards and the child regions' volumes.

use chrono::{Datelike, Duration, NaiveDate};
use domain::authz::{self, Permission, Resource};
use domain::org::RegionCode;
pub use store::command::{OverdueUnit, RegionVolume};
use store::evaluations::StoredEvaluation;
use store::org::RegionView;

use crate::{App, AppError, Result, Viewer};

/// Days of the trend.
pub const TREND_DAYS: i64 = 30;

/// The counts of a period (today, the last 7 days, this month).
#[derive(Debug, Clone, Copy, Default)]
pub struct PeriodCounts {
    pub registered: i64,
    pub concluded: i64,
    pub red: i64,
    pub orange: i64,
}

/// A child region of the one shown, for the territory's map.
#[derive(Debug, Clone)]
pub struct TerritoryRegion {
    pub code: String,
    pub name: String,
    /// This month's registrations in it and its descendants.
    pub volume: RegionVolume,
    /// Whether it has child regions to drill down to.
    pub has_children: bool,
}

/// The supervision notices of the territory, by kind, and those awaiting a reply.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoticeTotals {
    pub reminder: i64,
    pub warning: i64,
    pub order: i64,
    pub awaiting_reply: i64,
}

/// The command screen of a region.
#[derive(Debug, Clone)]
pub struct CommandScreen {
    pub region: RegionView,
    /// The region one level up, when the viewer's territory reaches it (the way back).
    pub parent: Option<RegionView>,
    pub today: PeriodCounts,
    pub week: PeriodCounts,
    pub month: PeriodCounts,
    /// Cases being handled now, and how many of them are overdue.
    pub handling: i64,
    pub overdue: i64,
    /// The last [`TREND_DAYS`] days: day, registered, concluded.
    pub trend: Vec<(NaiveDate, i64, i64)>,
    /// This month's categories, the most frequent first (at most 6).
    pub top_categories: Vec<(String, i64)>,
    pub overdue_units: Vec<OverdueUnit>,
    pub notices: NoticeTotals,
    /// 亮牌: this month's card of each unit of the region.
    pub cards: Vec<StoredEvaluation>,
    pub territory: Vec<TerritoryRegion>,
}

impl App {
    /// The command screen of `region` (default: the viewer's), which must lie in the viewer's
    /// territory (else not found).
    pub async fn command_screen(&self, viewer: &Viewer, region: Option<RegionCode>) -> Result<CommandScreen> {
        authz::may(viewer.role, Permission::CommandScreenView, Resource::ANY)?;
        let code = region.unwrap_or_else(|| viewer.scope.region.clone());
        if !viewer.scope.region.contains(&code) {
            return Err(AppError::NotFound { what: "region" });
        }
        let regions = self.store.regions().await?;
        let find = |code: &str| regions.iter().find(|r| r.code == code).cloned();
        let region = find(code.as_str()).ok_or(AppError::NotFound { what: "region" })?;
        let parent = code.parent().filter(|p| viewer.scope.region.contains(p)).and_then(|p| find(p.as_str()));

        let now = self.now();
        let today = now.with_timezone(&domain::china_time()).date_naive();
        let week_start = today - Duration::days(6);
        let month_start = today.with_day(1).unwrap_or(today);
        let counts = |from: NaiveDate| {
            let code = code.clone();
            async move {
                let summary = self.store.stats_summary(viewer, Some(code.clone()), from, today).await?;
                let risk = |colour: &str| summary.by_risk.get(colour).copied().unwrap_or_default();
                Ok::<_, AppError>((
                    PeriodCounts {
                        registered: summary.received,
                        concluded: summary.concluded,
                        red: risk("red"),
                        orange: risk("orange"),
                    },
                    summary.by_category,
                ))
            }
        };
        let (today_counts, _) = counts(today).await?;
        let (week, _) = counts(week_start).await?;
        let (month, by_category) = counts(month_start).await?;
        let mut top_categories: Vec<(String, i64)> = by_category.into_iter().filter(|(_, n)| *n > 0).collect();
        top_categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_categories.truncate(6);

        let (handling, overdue) = self.store.command_open(&code, now).await?;
        let trend = self.store.command_days(&code, today - Duration::days(TREND_DAYS - 1), today).await?;
        let overdue_units = self.store.command_overdue_units(&code, now, 8).await?;
        let notices =
            self.store.notice_counts(viewer).await?.into_iter().fold(NoticeTotals::default(), |t, n| NoticeTotals {
                reminder: t.reminder + n.reminder,
                warning: t.warning + n.warning,
                order: t.order + n.order,
                awaiting_reply: t.awaiting_reply + n.awaiting_reply,
            });
        let cards = self.evaluations(viewer, &today.format("%Y-%m").to_string(), Some(code.clone())).await?;

        let volumes = self.store.command_regions(&code, month_start, today).await?;
        let territory = regions
            .iter()
            .filter(|r| r.active && r.parent_code.as_deref() == Some(region.code.as_str()))
            .map(|r| TerritoryRegion {
                code: r.code.clone(),
                name: r.short_name.clone().unwrap_or_else(|| r.name.clone()),
                volume: volumes.get(&r.code).copied().unwrap_or_default(),
                has_children: regions.iter().any(|c| c.parent_code.as_deref() == Some(r.code.as_str())),
            })
            .collect();
        Ok(CommandScreen {
            region,
            parent,
            today: today_counts,
            week,
            month,
            handling,
            overdue,
            trend,
            top_categories,
            overdue_units,
            notices,
            cards,
            territory,
        })
    }
}
