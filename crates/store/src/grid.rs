//! 网格化: the patrol log (日巡查) and the hazard register (隐患台账) as rows — patrols, hazards
//! and each hazard's steps — read within the viewer's territory: a grid worker's own grid (their
//! station's grid), a centre's subtree of regions.

use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::{self, Permission, Reach, Resource};
use domain::grid::{HazardAction, HazardStatus, NewHazard, NewPatrol, PatrolEnd};
use domain::ids::CaseId;
use domain::msg;
use domain::validation::FieldError;

use crate::sql::{Arg, args, from_row};
use crate::{Result, Store, StoreError, Viewer, to_ms};

/// A patrol as its list and page show it.
#[derive(Debug, Clone)]
pub struct PatrolView {
    pub id: i64,
    pub grid_id: i64,
    pub grid_name: String,
    pub region_code: String,
    pub user_id: i64,
    pub worker_name: String,
    /// The date it began, China time (`2026-11-28`).
    pub day: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub visited: i64,
    pub route: Option<String>,
    pub findings: Option<String>,
    /// Hazards reported on this patrol.
    pub hazards: i64,
}
from_row!(
    PatrolView { id, grid_id, grid_name, region_code, user_id, worker_name, day, visited, route, findings, hazards },
    time { started_at, ended_at }
);

/// A hazard with its steps (the steps are read for one hazard, empty in a list).
#[derive(Debug, Clone)]
pub struct HazardView {
    pub id: i64,
    pub grid_id: i64,
    pub grid_name: String,
    pub region_code: String,
    pub kind: String,
    pub description: String,
    pub location: Option<String>,
    pub people: Option<String>,
    pub patrol_id: Option<i64>,
    pub status: String,
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub reported_by: i64,
    pub reporter_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub steps: Vec<HazardStep>,
}
from_row!(
    HazardView {
        id,
        grid_id,
        grid_name,
        region_code,
        kind,
        description,
        location,
        people,
        patrol_id,
        status,
        case_id,
        case_number,
        reported_by,
        reporter_name
    },
    time { created_at, updated_at },
    default { steps }
);

/// One step of a hazard: who did what, when, with which note.
#[derive(Debug, Clone)]
pub struct HazardStep {
    /// report | resolve | escalate | register | close
    pub action: String,
    /// The status it led to.
    pub status: String,
    pub note: Option<String>,
    pub user_name: String,
    pub at: DateTime<Utc>,
}
from_row!(HazardStep { action, status, note, user_name }, time { at });

/// Which patrols a page shows.
#[derive(Debug, Clone, Default)]
pub struct PatrolFilter {
    pub day: Option<NaiveDate>,
    pub grid_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Which hazards a page shows.
#[derive(Debug, Clone, Default)]
pub struct HazardFilter {
    pub status: Option<HazardStatus>,
    pub grid_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of rows and how many match in all.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A grid of the territory and how many patrols it had on a day (none: not patrolled).
#[derive(Debug, Clone)]
pub struct GridCoverage {
    pub grid_id: i64,
    pub code: String,
    pub name: String,
    pub community_code: String,
    pub patrols: i64,
}
from_row!(GridCoverage { grid_id, code, name, community_code, patrols });

/// How far a viewer reaches for a permission: their own grid, or a subtree of regions.
#[derive(Debug, Clone)]
pub(crate) enum Territory {
    Grid(i64),
    Region(String, String),
}

impl Territory {
    /// The SQL condition on `{alias}.grid_id` / `{alias}.{region}`, its parameters numbered
    /// from `$first`.
    pub(crate) fn condition(&self, grid: &str, region: &str, first: usize) -> (String, Vec<Arg>) {
        match self {
            Territory::Grid(id) => (format!("{grid} = ${first}"), args![*id]),
            Territory::Region(low, high) => {
                (format!("{region} BETWEEN ${first} AND ${}", first + 1), args![low.clone(), high.clone()])
            }
        }
    }

    pub(crate) fn covers(&self, grid_id: i64, region_code: &str) -> bool {
        match self {
            Territory::Grid(id) => *id == grid_id,
            Territory::Region(low, high) => low.as_str() <= region_code && region_code <= high.as_str(),
        }
    }
}

const PATROL_COLUMNS: &str =
    "p.id, p.grid_id, g.name AS grid_name, p.region_code, p.user_id, u.display_name AS worker_name,
    p.day, p.started_at, p.ended_at, p.visited, p.route, p.findings,
    (SELECT COUNT(*) FROM hazards h WHERE h.patrol_id = p.id) AS hazards";
const PATROL_FROM: &str = "patrols p JOIN grids g ON g.id = p.grid_id JOIN users u ON u.id = p.user_id";
const HAZARD_COLUMNS: &str = "h.id, h.grid_id, g.name AS grid_name, h.region_code, h.kind, h.description, h.location,
    h.people, h.patrol_id, h.status, h.case_id, c.number AS case_number, h.reported_by, u.display_name AS reporter_name,
    h.created_at, h.updated_at";
const HAZARD_FROM: &str = "hazards h JOIN grids g ON g.id = h.grid_id JOIN users u ON u.id = h.reported_by
    LEFT JOIN cases c ON c.id = h.case_id";

impl Store {
    /// The territory of `permission` for the viewer: a grid worker's own grid (their unit's
    /// grid; the scope's grids when their unit has none), a centre's scope. 403 for a role
    /// without the permission.
    pub(crate) async fn territory(&self, viewer: &Viewer, permission: Permission) -> Result<Territory> {
        authz::may_at_all(viewer.role, permission)?;
        if authz::grant(viewer.role, permission) == Some(Reach::Own) {
            let own: Option<(Option<i64>,)> =
                self.fetch_optional("SELECT grid_id FROM units WHERE id = $1", args![viewer.unit_id]).await?;
            if let Some((Some(grid),)) = own {
                return Ok(Territory::Grid(grid));
            }
        }
        let (low, high) = viewer.scope.region.subtree_range();
        Ok(Territory::Region(low, high))
    }

    /// The grid a patrol or hazard is recorded in: the one named, or the viewer's own; 422 for
    /// no grid or an unknown one, 403 for one outside the viewer's territory.
    pub(crate) async fn grid_for(
        &self,
        viewer: &Viewer,
        permission: Permission,
        grid_id: Option<i64>,
    ) -> Result<(i64, String)> {
        let territory = self.territory(viewer, permission).await?;
        let id = match (grid_id, &territory) {
            (Some(id), _) => id,
            (None, Territory::Grid(id)) => *id,
            (None, Territory::Region(..)) => return Err(StoreError::invalid(FieldError::required("grid_id"))),
        };
        let grid: Option<(i64, String, bool)> =
            self.fetch_optional("SELECT id, community_code, active FROM grids WHERE id = $1", args![id]).await?;
        let Some((id, community, true)) = grid else {
            return Err(StoreError::invalid(FieldError::new("grid_id", "unknown", msg!("grid.unknown_grid"))));
        };
        if !territory.covers(id, &community) {
            return Err(StoreError::Forbidden { message: msg!("grid.outside_territory") });
        }
        Ok((id, community))
    }

    /// Records a patrol of a grid of the viewer's territory.
    pub async fn patrol_record(&self, viewer: &Viewer, patrol: NewPatrol, now: DateTime<Utc>) -> Result<PatrolView> {
        let (grid, community) = self.grid_for(viewer, Permission::PatrolLog, patrol.grid_id).await?;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO patrols (grid_id, region_code, user_id, day, started_at, ended_at, visited, route, findings, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                args![
                    grid,
                    community,
                    viewer.user_id,
                    patrol.day.to_string(),
                    to_ms(patrol.started_at),
                    patrol.ended_at.map(to_ms),
                    patrol.visited,
                    patrol.route,
                    patrol.findings,
                    to_ms(now)
                ],
            )
            .await?;
        tx.commit().await?;
        self.patrol_row(id).await
    }

    /// Finishes one's own patrol that goes on (409 once it has ended); what was found and the
    /// count replace what was recorded when given.
    pub async fn patrol_finish(&self, viewer: &Viewer, id: i64, end: PatrolEnd) -> Result<PatrolView> {
        authz::may_at_all(viewer.role, Permission::PatrolLog)?;
        let patrol = self.patrol(viewer, id).await?;
        authz::may(
            viewer.role,
            Permission::PatrolLog,
            Resource { own: patrol.user_id == viewer.user_id, ..Resource::ANY },
        )?;
        let changed = self
            .execute(
                "UPDATE patrols SET ended_at = $1, visited = COALESCE($2, visited), route = COALESCE($3, route),
                    findings = COALESCE($4, findings)
                 WHERE id = $5 AND ended_at IS NULL",
                args![to_ms(end.ended_at), end.visited, end.route, end.findings, id],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict("patrol_ended", msg!("grid.patrol_ended")));
        }
        self.patrol_row(id).await
    }

    /// One patrol of the viewer's territory (404 outside it).
    pub async fn patrol(&self, viewer: &Viewer, id: i64) -> Result<PatrolView> {
        let territory = self.territory(viewer, Permission::GridRead).await?;
        let patrol = self.patrol_row(id).await?;
        if !territory.covers(patrol.grid_id, &patrol.region_code) {
            return Err(StoreError::NotFound { what: "patrol" });
        }
        Ok(patrol)
    }

    async fn patrol_row(&self, id: i64) -> Result<PatrolView> {
        self.fetch_optional(&format!("SELECT {PATROL_COLUMNS} FROM {PATROL_FROM} WHERE p.id = $1"), args![id])
            .await?
            .ok_or(StoreError::NotFound { what: "patrol" })
    }

    /// A page of the patrols of the viewer's territory, newest first.
    pub async fn patrols(&self, viewer: &Viewer, filter: &PatrolFilter) -> Result<Page<PatrolView>> {
        let territory = self.territory(viewer, Permission::GridRead).await?;
        let (mut condition, mut a) = territory.condition("p.grid_id", "p.region_code", 1);
        if let Some(day) = filter.day {
            a.push(day.to_string().into());
            condition += &format!(" AND p.day = ${}", a.len());
        }
        if let Some(grid) = filter.grid_id {
            a.push(grid.into());
            condition += &format!(" AND p.grid_id = ${}", a.len());
        }
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM patrols p WHERE {condition}"), a.clone()).await?;
        let n = a.len();
        a.extend(args![filter.limit, filter.offset]);
        let sql = format!(
            "SELECT {PATROL_COLUMNS} FROM {PATROL_FROM} WHERE {condition} ORDER BY p.started_at DESC, p.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        Ok(Page { items: self.fetch_all(&sql, a).await?, total })
    }

    /// The active grids of the viewer's territory with how many patrols each had on `day`,
    /// those not patrolled first.
    pub async fn patrol_coverage(&self, viewer: &Viewer, day: NaiveDate) -> Result<Vec<GridCoverage>> {
        let territory = self.territory(viewer, Permission::GridRead).await?;
        let (condition, mut a) = territory.condition("g.id", "g.community_code", 2);
        let mut all = args![day.to_string()];
        all.append(&mut a);
        self.fetch_all(
            &format!(
                "SELECT g.id AS grid_id, g.code, g.name, g.community_code,
                    (SELECT COUNT(*) FROM patrols p WHERE p.grid_id = g.id AND p.day = $1) AS patrols
                 FROM grids g WHERE g.active AND {condition} ORDER BY patrols, g.code LIMIT 1000"
            ),
            all,
        )
        .await
    }

    /// Reports a hazard in a grid of the viewer's territory (its first step, `report`); the
    /// patrol it names must be one of the same grid.
    pub async fn hazard_report(&self, viewer: &Viewer, hazard: NewHazard, now: DateTime<Utc>) -> Result<HazardView> {
        let (grid, community) = self.grid_for(viewer, Permission::HazardReport, hazard.grid_id).await?;
        if let Some(patrol) = hazard.patrol_id {
            let found: Option<(i64,)> =
                self.fetch_optional("SELECT grid_id FROM patrols WHERE id = $1", args![patrol]).await?;
            if found.is_none_or(|(g,)| g != grid) {
                return Err(StoreError::invalid(FieldError::new("patrol_id", "unknown", msg!("grid.unknown_patrol"))));
            }
        }
        let at = to_ms(now);
        let status = HazardStatus::Open.as_str();
        let mut tx = self.begin().await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO hazards (grid_id, region_code, kind, description, location, people, patrol_id, status, reported_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                args![
                    grid,
                    community,
                    hazard.kind.as_str(),
                    hazard.description,
                    hazard.location,
                    hazard.people,
                    hazard.patrol_id,
                    status,
                    viewer.user_id,
                    at
                ],
            )
            .await?;
        tx.execute(
            "INSERT INTO hazard_steps (hazard_id, action, status, user_id, at) VALUES ($1, 'report', $2, $3, $4)",
            args![id, status, viewer.user_id, at],
        )
        .await?;
        tx.commit().await?;
        self.hazard_row(id).await
    }

    /// One hazard of the viewer's territory with its steps (404 outside it).
    pub async fn hazard(&self, viewer: &Viewer, id: i64) -> Result<HazardView> {
        let territory = self.territory(viewer, Permission::GridRead).await?;
        let mut hazard = self.hazard_row(id).await?;
        if !territory.covers(hazard.grid_id, &hazard.region_code) {
            return Err(StoreError::NotFound { what: "hazard" });
        }
        hazard.steps = self
            .fetch_all(
                "SELECT s.action, s.status, s.note, u.display_name AS user_name, s.at
                 FROM hazard_steps s JOIN users u ON u.id = s.user_id WHERE s.hazard_id = $1 ORDER BY s.id",
                args![id],
            )
            .await?;
        Ok(hazard)
    }

    /// Whether the viewer may handle this hazard they see (HazardHandle's reach: 403 when not).
    pub async fn hazard_may_handle(&self, viewer: &Viewer, hazard: &HazardView) -> Result<()> {
        let territory = self.territory(viewer, Permission::HazardHandle).await?;
        let own = territory.covers(hazard.grid_id, &hazard.region_code);
        authz::may(viewer.role, Permission::HazardHandle, Resource { own, ..Resource::ANY })?;
        Ok(())
    }

    async fn hazard_row(&self, id: i64) -> Result<HazardView> {
        self.fetch_optional(&format!("SELECT {HAZARD_COLUMNS} FROM {HAZARD_FROM} WHERE h.id = $1"), args![id])
            .await?
            .ok_or(StoreError::NotFound { what: "hazard" })
    }

    /// A page of the hazards of the viewer's territory, newest first.
    pub async fn hazards(&self, viewer: &Viewer, filter: &HazardFilter) -> Result<Page<HazardView>> {
        let territory = self.territory(viewer, Permission::GridRead).await?;
        let (mut condition, mut a) = territory.condition("h.grid_id", "h.region_code", 1);
        if let Some(status) = filter.status {
            a.push(status.as_str().into());
            condition += &format!(" AND h.status = ${}", a.len());
        }
        if let Some(grid) = filter.grid_id {
            a.push(grid.into());
            condition += &format!(" AND h.grid_id = ${}", a.len());
        }
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM hazards h WHERE {condition}"), a.clone()).await?;
        let n = a.len();
        a.extend(args![filter.limit, filter.offset]);
        let sql = format!(
            "SELECT {HAZARD_COLUMNS} FROM {HAZARD_FROM} WHERE {condition} ORDER BY h.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        Ok(Page { items: self.fetch_all(&sql, a).await?, total })
    }

    /// Takes a step on a hazard that still stands at `from` (409 when another step came first),
    /// recording who, when and the note. For `register` this is the claim: the case is
    /// registered after it and linked by [`Store::hazard_link_case`], or the claim released by
    /// [`Store::hazard_release`] when the registration is refused — so two registrations at
    /// once make one case.
    #[allow(clippy::too_many_arguments)]
    pub async fn hazard_step(
        &self,
        viewer: &Viewer,
        id: i64,
        from: HazardStatus,
        action: HazardAction,
        to: HazardStatus,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = to_ms(now);
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE hazards SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
                args![to.as_str(), at, id, from.as_str()],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict("hazard_changed", msg!("grid.hazard_changed")));
        }
        tx.execute(
            "INSERT INTO hazard_steps (hazard_id, action, status, note, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, action.as_str(), to.as_str(), note, viewer.user_id, at],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links a hazard claimed for registration to its case, both ways: the hazard points at the
    /// case, and the case's history names the hazard (`hazard_registered`).
    pub async fn hazard_link_case(&self, viewer: &Viewer, id: i64, case: CaseId, now: DateTime<Utc>) -> Result<()> {
        let at = to_ms(now);
        let mut tx = self.begin().await?;
        let linked = tx
            .execute(
                "UPDATE hazards SET case_id = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND case_id IS NULL",
                args![case.get(), at, id, HazardStatus::Registered.as_str()],
            )
            .await?;
        if linked == 0 {
            return Err(StoreError::conflict("hazard_changed", msg!("grid.hazard_changed")));
        }
        let data = serde_json::json!({"hazard_id": id});
        crate::cases::append_event_locked(&mut tx, case.get(), at, &viewer.username, "hazard_registered", &data)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Releases a hazard claimed for registration whose case was refused: back to `from`, the
    /// claim's step removed.
    pub async fn hazard_release(&self, id: i64, from: HazardStatus) -> Result<()> {
        let registered = HazardStatus::Registered.as_str();
        let mut tx = self.begin().await?;
        let released = tx
            .execute(
                "UPDATE hazards SET status = $1 WHERE id = $2 AND status = $3 AND case_id IS NULL",
                args![from.as_str(), id, registered],
            )
            .await?;
        if released > 0 {
            tx.execute(
                "DELETE FROM hazard_steps WHERE id = (SELECT MAX(id) FROM hazard_steps WHERE hazard_id = $1 AND status = $2)",
                args![id, registered],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
