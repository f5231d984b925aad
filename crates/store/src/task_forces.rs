//! 一案一专班 / 领导包案 (issue 16, DOMAIN.md §5.8): a case's task force with the 五定 — its
//! leader (定领导), member units with their duties (定人员), plan (定方案), milestones with
//! deadlines (定时限), each the responsibility of one member unit (定责任). A milestone not done
//! by its deadline climbs the supervision ladder (`ladder`); the unit responsible marks it done.
//! Forming it and each milestone done are events of the case's history.

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::Risk;
use domain::ids::CaseId;
use domain::msg;
use domain::org::Role;
use domain::validation::{Checker, FieldError};

use crate::police::{TEXT_MAX, required_text};
use crate::sql::{args, from_row};
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// The most member units and milestones a task force has.
pub const PARTS_MAX: usize = 30;

/// What a task force is formed with, as sent (checked once the viewer may form it).
#[derive(Debug, Clone, Default)]
pub struct NewTaskForce {
    /// The leader who heads it; the viewer when absent.
    pub leader_id: Option<i64>,
    pub plan: Option<String>,
    pub members: Vec<NewMember>,
    pub milestones: Vec<NewMilestone>,
}

#[derive(Debug, Clone, Default)]
pub struct NewMember {
    pub unit_id: Option<i64>,
    pub duty: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewMilestone {
    pub title: Option<String>,
    /// The member unit responsible.
    pub unit_id: Option<i64>,
    /// RFC 3339, or a date (YYYY-MM-DD: the end of that day, China time).
    pub due_at: Option<String>,
}

/// A deadline as sent, required and ahead of `now`: its fault, if any, named as `field`.
pub(crate) fn due_ahead(c: &mut Checker, field: &str, text: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        c.push(FieldError::required(field));
        return None;
    };
    match parse_due(text) {
        None => {
            c.push(FieldError::new(field, "invalid_time", msg!("field.not_a_time")));
            None
        }
        Some(at) if at <= now => {
            c.push(FieldError::new(field, "not_ahead", msg!("task_force.due_ahead")));
            None
        }
        at => at,
    }
}

/// A deadline as sent: an RFC 3339 time, or a date meaning the end of that day in China.
fn parse_due(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(domain::china_instant(date, chrono::NaiveTime::from_hms_opt(23, 59, 59)?))
}

#[derive(Debug, Clone)]
pub struct TaskForceMember {
    pub unit_id: i64,
    pub unit_name: String,
    pub duty: String,
}
from_row!(TaskForceMember { unit_id, unit_name, duty });

#[derive(Debug, Clone)]
pub struct MilestoneView {
    pub id: i64,
    pub title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// Not done by its deadline.
    pub overdue: bool,
}

#[derive(Debug, Clone)]
pub struct TaskForceView {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    pub case_risk: String,
    pub leader_id: i64,
    pub leader_name: String,
    pub plan: String,
    pub created_at: DateTime<Utc>,
    pub members: Vec<TaskForceMember>,
    pub milestones: Vec<MilestoneView>,
}

type ForceRow = (i64, i64, String, String, String, i64, String, String, i64);
type MilestoneRow = (i64, String, i64, String, i64, Option<i64>, Option<String>);

const FORCE: &str =
    "SELECT t.id, t.case_id, c.number, c.status, c.risk, t.leader_id, u.display_name, t.plan, t.created_at
    FROM task_forces t JOIN cases c ON c.id = t.case_id JOIN users u ON u.id = t.leader_id";

impl Store {
    /// Forms the task force of a case in the viewer's scope: for a red case, by a centre's
    /// dispatcher or leader with a leader at its head; for any other case, only by the leader
    /// who picks it and leads it (409 otherwise). One per case (409).
    pub async fn task_force_form(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        new: NewTaskForce,
        now: DateTime<Utc>,
    ) -> Result<TaskForceView> {
        authz::may_at_all(viewer.role, Permission::TaskForceManage)?;
        let case = self.case_row(viewer, case_id.get()).await?;
        authz::may(viewer.role, Permission::TaskForceManage, Resource::ANY)?;
        let mut c = Checker::default();
        let plan = c.required_text("plan", new.plan.as_deref(), TEXT_MAX);
        let leader_id = new.leader_id.unwrap_or(viewer.user_id);
        let leader: Option<(String,)> =
            self.fetch_optional("SELECT role FROM users WHERE id = $1 AND active", args![leader_id]).await?;
        if leader.is_none_or(|(role,)| role != Role::Leader.as_str()) {
            c.push(FieldError::new("leader_id", "not_a_leader", msg!("task_force.not_a_leader")));
        }
        if new.members.len() < 2 {
            c.push(FieldError::new("members", "too_few", msg!("task_force.several_units")));
        }
        if new.members.len() > PARTS_MAX || new.milestones.len() > PARTS_MAX {
            let field = if new.members.len() > PARTS_MAX { "members" } else { "milestones" };
            c.push(FieldError::new(field, "too_many", msg!("field.too_many", max = PARTS_MAX)));
        }
        let mut members = Vec::new();
        for (i, member) in new.members.iter().enumerate() {
            let duty = c.required_text(&format!("members[{i}].duty"), member.duty.as_deref(), TEXT_MAX);
            match member.unit_id {
                None => c.push(FieldError::required(format!("members[{i}].unit_id"))),
                Some(unit) if self.unit(domain::ids::UnitId(unit)).await?.is_none() => c.push(FieldError::new(
                    format!("members[{i}].unit_id"),
                    "unknown_unit",
                    msg!("field.no_such_unit", id = unit),
                )),
                Some(unit) if members.iter().any(|(u, _)| *u == unit) => {
                    c.push(FieldError::new(format!("members[{i}].unit_id"), "duplicate", msg!("task_force.unit_twice")))
                }
                Some(unit) => members.push((unit, duty.unwrap_or_default())),
            }
        }
        if new.milestones.is_empty() {
            c.push(FieldError::required("milestones"));
        }
        let mut milestones = Vec::new();
        for (i, milestone) in new.milestones.iter().enumerate() {
            let title = c.required_text(&format!("milestones[{i}].title"), milestone.title.as_deref(), 200);
            let unit = milestone.unit_id.filter(|u| new.members.iter().any(|m| m.unit_id == Some(*u)));
            if unit.is_none() {
                c.push(FieldError::new(
                    format!("milestones[{i}].unit_id"),
                    "not_a_member",
                    msg!("task_force.milestone_unit"),
                ));
            }
            let due = due_ahead(&mut c, &format!("milestones[{i}].due_at"), milestone.due_at.as_deref(), now);
            if let (Some(title), Some(unit), Some(due)) = (title, unit, due) {
                milestones.push((title, unit, due));
            }
        }
        c.into_result().map_err(StoreError::Invalid)?;
        if case.risk() != Risk::Red && leader_id != viewer.user_id {
            return Err(StoreError::conflict("not_red", msg!("task_force.not_red")));
        }
        let mut tx = self.begin().await?;
        let exists: Option<(i64,)> =
            tx.fetch_optional("SELECT id FROM task_forces WHERE case_id = $1", args![case.id()]).await?;
        if exists.is_some() {
            return Err(StoreError::conflict("task_force_exists", msg!("task_force.exists")));
        }
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO task_forces (case_id, leader_id, plan, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                args![case.id(), leader_id, plan.unwrap_or_default(), viewer.user_id, to_ms(now)],
            )
            .await?;
        for (unit, duty) in &members {
            tx.execute(
                "INSERT INTO task_force_members (task_force_id, unit_id, duty) VALUES ($1, $2, $3)",
                args![id, *unit, duty.clone()],
            )
            .await?;
        }
        for (position, (title, unit, due)) in milestones.iter().enumerate() {
            tx.execute(
                "INSERT INTO task_force_milestones (task_force_id, position, title, unit_id, due_at) VALUES ($1, $2, $3, $4, $5)",
                args![id, i64::try_from(position).unwrap_or(i64::MAX), title.clone(), *unit, to_ms(*due)],
            )
            .await?;
        }
        let data = serde_json::json!({
            "task_force_id": id,
            "leader_id": leader_id,
            "unit_ids": members.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
            "milestones": milestones.len(),
        });
        crate::cases::append_event_locked(&mut tx, case.id(), to_ms(now), &viewer.username, "task_force_formed", &data)
            .await?;
        tx.commit().await?;
        self.task_force_by_id(id, now).await
    }

    /// The task force of a case in the viewer's scope (404 when it has none).
    pub async fn task_force_of_case(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<TaskForceView>> {
        self.case_row(viewer, case_id.get()).await?;
        let id: Option<(i64,)> =
            self.fetch_optional("SELECT id FROM task_forces WHERE case_id = $1", args![case_id.get()]).await?;
        match id {
            Some((id,)) => Ok(Some(self.task_force_by_id(id, now).await?)),
            None => Ok(None),
        }
    }

    /// 我包的案: the task forces the viewer leads, newest first.
    pub async fn task_forces_led(&self, viewer: &Viewer, now: DateTime<Utc>) -> Result<Vec<TaskForceView>> {
        let ids: Vec<(i64,)> = self
            .fetch_all(
                "SELECT id FROM task_forces WHERE leader_id = $1 ORDER BY id DESC LIMIT 200",
                args![viewer.user_id],
            )
            .await?;
        let mut forces = Vec::with_capacity(ids.len());
        for (id,) in ids {
            forces.push(self.task_force_by_id(id, now).await?);
        }
        Ok(forces)
    }

    /// The unit responsible marks a milestone done with a note (403 for another unit, 409 when
    /// done already); the case's history records it.
    pub async fn milestone_done(
        &self,
        viewer: &Viewer,
        task_force_id: i64,
        milestone_id: i64,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TaskForceView> {
        authz::may_at_all(viewer.role, Permission::NoticeReply)?;
        let row: Option<(i64, i64, String, Option<i64>)> = self
            .fetch_optional(
                "SELECT t.case_id, m.unit_id, m.title, m.done_at FROM task_force_milestones m JOIN task_forces t ON t.id = m.task_force_id
                 WHERE m.id = $1 AND t.id = $2",
                args![milestone_id, task_force_id],
            )
            .await?;
        let Some((case_id, unit_id, title, done_at)) = row else {
            return Err(StoreError::NotFound { what: "milestone" });
        };
        let addressed = unit_id == viewer.unit_id;
        if !addressed {
            self.case_row(viewer, case_id).await.map_err(|_| StoreError::NotFound { what: "milestone" })?;
        }
        authz::may(viewer.role, Permission::NoticeReply, Resource { addressed, ..Resource::ANY })?;
        let note = required_text("note", note)?;
        if done_at.is_some() {
            return Err(StoreError::conflict("milestone_done", msg!("task_force.milestone_done")));
        }
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE task_force_milestones SET done_at = $1, done_by = $2, note = $3 WHERE id = $4 AND done_at IS NULL",
                args![to_ms(now), viewer.user_id, note.clone(), milestone_id],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict("milestone_done", msg!("task_force.milestone_done")));
        }
        let data = serde_json::json!({"task_force_id": task_force_id, "milestone_id": milestone_id, "title": title, "note": note});
        crate::cases::append_event_locked(&mut tx, case_id, to_ms(now), &viewer.username, "milestone_done", &data)
            .await?;
        tx.commit().await?;
        self.task_force_by_id(task_force_id, now).await
    }

    async fn task_force_by_id(&self, id: i64, now: DateTime<Utc>) -> Result<TaskForceView> {
        let row: Option<ForceRow> = self.fetch_optional(&format!("{FORCE} WHERE t.id = $1"), args![id]).await?;
        let Some((id, case_id, case_number, case_status, case_risk, leader_id, leader_name, plan, created_at)) = row
        else {
            return Err(StoreError::NotFound { what: "task_force" });
        };
        let members: Vec<TaskForceMember> = self
            .fetch_all(
                "SELECT m.unit_id, u.name AS unit_name, m.duty FROM task_force_members m JOIN units u ON u.id = m.unit_id
                 WHERE m.task_force_id = $1 ORDER BY u.id",
                args![id],
            )
            .await?;
        let milestones: Vec<MilestoneRow> = self
            .fetch_all(
                "SELECT m.id, m.title, m.unit_id, u.name, m.due_at, m.done_at, m.note FROM task_force_milestones m
                 JOIN units u ON u.id = m.unit_id WHERE m.task_force_id = $1 ORDER BY m.position",
                args![id],
            )
            .await?;
        let milestones = milestones
            .into_iter()
            .map(|(id, title, unit_id, unit_name, due_at, done_at, note)| MilestoneView {
                id,
                title,
                unit_id,
                unit_name,
                due_at: from_ms(due_at),
                overdue: done_at.is_none() && due_at < to_ms(now),
                done_at: done_at.map(from_ms),
                note,
            })
            .collect();
        Ok(TaskForceView {
            id,
            case_id,
            case_number,
            case_status,
            case_risk,
            leader_id,
            leader_name,
            plan,
            created_at: from_ms(created_at),
            members,
            milestones,
        })
    }
}
