//! 指挥大屏: everything the command screen shows of a region of the viewer's territory, read
//! from the rollups and indexed queries — today's, this week's and this month's counts, the
//! cases handled and overdue now, the last 30 days, the top categories, the units with the most
//! overdue cases, the supervision notices, the units' cards and the child regions' volumes.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::Risk;
use domain::geo::{self, Boundary, BoundaryImport, Candidate};
use domain::org::{RegionCode, RegionLevel};
use domain::validation::FieldError;
use serde::Serialize;
pub use store::command::{OverdueUnit, RegionVolume};
use store::evaluations::StoredEvaluation;
use store::org::RegionView;

use crate::{App, AppError, Result, Viewer};

/// The largest boundary file an administrator may import: a province's districts drawn finely.
pub const BOUNDARIES_MAX_BYTES: usize = 16 * 1024 * 1024;

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

/// A child region of the one shown (a grid, under a community), for the territory's map.
#[derive(Debug, Clone)]
pub struct TerritoryRegion {
    pub code: String,
    pub name: String,
    /// This month's registrations in it and its descendants.
    pub volume: RegionVolume,
    /// Whether it has child regions to drill down to.
    pub has_children: bool,
    /// 地点风险: the colour the place carries (a street, a community, a grid), if any.
    pub place_colour: Option<Risk>,
}

/// An area of the command screen's map: a child region of the one shown (or a community's
/// grid) with the boundary an administrator imported for it.
#[derive(Debug, Clone)]
pub struct MapArea {
    /// The region's twelve-digit code, or the grid's code.
    pub code: String,
    pub name: String,
    pub boundary: Boundary,
}

/// A region's own boundary and its areas': what the administrator draws on.
#[derive(Debug, Clone)]
pub struct RegionAreas {
    pub own: Option<Boundary>,
    pub areas: Vec<AreaOutline>,
}

/// A child region (or a grid of a community) and its boundary, where it has one.
#[derive(Debug, Clone, Serialize)]
pub struct AreaOutline {
    pub code: String,
    pub name: String,
    pub boundary: Option<Boundary>,
}

/// The stored boundaries under a region (`(code, name, stored, source)`; a grid's is its
/// polygon's ring) as map areas; one that does not read as a boundary is left out.
fn map_areas(stored: Vec<(String, String, String, String)>) -> Vec<MapArea> {
    stored
        .into_iter()
        .filter_map(|(code, name, stored, source)| {
            let boundary = if source == "grid" {
                Boundary::from_ring(serde_json::from_str(&stored).ok()?)
            } else {
                Boundary::from_json(&stored)
            };
            Some(MapArea { code, name, boundary: boundary? })
        })
        .collect()
}

/// What a boundary import changed: the regions it drew, and the features it could not place.
#[derive(Debug, Clone, Default)]
pub struct BoundariesImported {
    pub matched: Vec<String>,
    pub unmatched: Vec<String>,
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

        let colours: std::collections::HashMap<String, Risk> =
            self.store.place_risk_list(viewer, None).await?.into_iter().map(|p| (p.key, p.colour)).collect();
        let territory = if code.level() == RegionLevel::Community {
            let start = month_start.and_time(NaiveTime::MIN).and_local_timezone(domain::china_time()).single();
            let start = start.map_or(now, |s| s.with_timezone(&Utc));
            let volumes = self.store.command_grids(&code, start, now + Duration::seconds(1)).await?;
            self.store
                .grids()
                .await?
                .into_iter()
                .filter(|g| g.active && g.community_code == region.code)
                .map(|g| TerritoryRegion {
                    volume: volumes.get(&g.code).copied().unwrap_or_default(),
                    place_colour: colours.get(&g.id.to_string()).copied(),
                    code: g.code,
                    name: g.name,
                    has_children: false,
                })
                .collect()
        } else {
            let volumes = self.store.command_regions(&code, month_start, today).await?;
            regions
                .iter()
                .filter(|r| r.active && r.parent_code.as_deref() == Some(region.code.as_str()))
                .map(|r| TerritoryRegion {
                    code: r.code.clone(),
                    name: r.short_name.clone().unwrap_or_else(|| r.name.clone()),
                    volume: volumes.get(&r.code).copied().unwrap_or_default(),
                    has_children: regions.iter().any(|c| c.parent_code.as_deref() == Some(r.code.as_str())),
                    place_colour: colours.get(&r.code).copied(),
                })
                .collect()
        };
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

    /// The map of `region` (in the viewer's territory): the boundaries of its child regions,
    /// or of its grids when it is a community, where an administrator imported them. An area
    /// without one is left to the schematic.
    pub async fn command_map(&self, viewer: &Viewer, region: &RegionCode) -> Result<Vec<MapArea>> {
        authz::may(viewer.role, Permission::CommandScreenView, Resource::ANY)?;
        if !viewer.scope.region.contains(region) {
            return Err(AppError::NotFound { what: "region" });
        }
        Ok(map_areas(self.store.boundaries_under(region).await?))
    }

    /// Imports the boundaries of the child regions of `parent` (of its grids, for a community:
    /// each grid's polygon, by which triage also finds a case's grid) from a GeoJSON file (as
    /// `domain::geo` matches its features), replacing those it names; a file that is not one
    /// is refused whole, naming the field `file`.
    pub async fn region_boundaries_import(
        &self,
        viewer: &Viewer,
        parent: &RegionCode,
        geojson: &str,
    ) -> Result<BoundariesImported> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        self.store.region(parent).await?.ok_or(AppError::NotFound { what: "region" })?;
        if geojson.trim().is_empty() {
            return Err(AppError::field(FieldError::required("file")));
        }
        let community = parent.level() == RegionLevel::Community;
        let (regions, grids) =
            if community { (Vec::new(), self.store.grids().await?) } else { (self.store.regions().await?, Vec::new()) };
        let children: Vec<Candidate<'_>> = regions
            .iter()
            .filter(|r| r.parent_code.as_deref() == Some(parent.as_str()))
            .map(|r| Candidate { code: &r.code, name: &r.name, short_name: r.short_name.as_deref() })
            .chain(grids.iter().filter(|g| g.community_code == parent.as_str()).map(|g| Candidate {
                code: &g.code,
                name: &g.name,
                short_name: None,
            }))
            .collect();
        let BoundaryImport { matched, unmatched } =
            geo::import_boundaries("file", geojson, &children).map_err(AppError::field)?;
        if community {
            let rings = matched.iter().map(|(code, b)| (code.clone(), serde_json::json!(b.outer_ring()).to_string()));
            self.store.grid_polygons_set(&rings.collect::<Vec<_>>()).await?;
        } else {
            let rows: Vec<(String, String)> = matched.iter().map(|(code, b)| (code.clone(), b.to_json())).collect();
            self.store.region_boundaries_set(&rows).await?;
        }
        Ok(BoundariesImported { matched: matched.into_iter().map(|(code, _)| code).collect(), unmatched })
    }

    /// Removes the boundaries of the child regions of `parent` (a community's grids keep theirs:
    /// triage needs them); returns how many were removed.
    pub async fn region_boundaries_clear(&self, viewer: &Viewer, parent: &RegionCode) -> Result<u64> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.region_boundaries_clear(parent).await?)
    }

    /// What the administrator's region page shows and draws on: the region's own boundary (as
    /// its parent's import or drawing gave it) and each of its active child regions (its grids,
    /// for a community) with its boundary where it has one.
    pub async fn region_areas(&self, viewer: &Viewer, parent: &RegionCode) -> Result<RegionAreas> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        let mut drawn = map_areas(self.store.boundaries_under(parent).await?);
        let own = match parent.parent() {
            Some(above) => map_areas(self.store.boundaries_under(&above).await?)
                .into_iter()
                .find(|a| a.code == parent.as_str())
                .map(|a| a.boundary),
            None => None,
        };
        let children: Vec<(String, String)> = if parent.level() == RegionLevel::Community {
            let grids =
                self.store.grids().await?.into_iter().filter(|g| g.active && g.community_code == parent.as_str());
            grids.map(|g| (g.code, g.name)).collect()
        } else {
            let regions = self.store.regions().await?.into_iter();
            let children = regions.filter(|r| r.active && r.parent_code.as_deref() == Some(parent.as_str()));
            children.map(|r| (r.code, r.name)).collect()
        };
        let areas = children
            .into_iter()
            .map(|(code, name)| {
                let boundary = drawn.iter().position(|a| a.code == code).map(|i| drawn.swap_remove(i).boundary);
                AreaOutline { code, name, boundary }
            })
            .collect();
        Ok(RegionAreas { own, areas })
    }
}
