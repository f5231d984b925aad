//! 联席研判 (issue 16, DOMAIN.md §5.2): a centre's weekly joint assessment meeting with the
//! departments stationed there (police, petition office, court, justice bureau …), numbered in
//! the centre's yearly serial. Its agenda is generated when it is convened — the open items of
//! the centre's latest risk list, the open alerts of the territory that no item carries, and the
//! red cases registered since the centre's last meeting — each agenda item keeping its source,
//! colour and reasons as they stood. The centre writes the minutes (the meeting's and each
//! item's) while it is a draft, and fixes them by marking it held. Each decision on an item is a
//! task (交办) for one unit with a deadline: the unit acknowledges it and reports it done; one
//! not done by its deadline climbs the supervision ladder (`ladder`).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::Risk;
use domain::ids::UnitId;
use domain::msg;
use domain::org::RegionCode;
use domain::validation::{Checker, FieldError, Message};

use crate::police::{TEXT_MAX, required_text};
use crate::sql::{args, from_row};
use crate::task_forces::due_ahead;
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// The most items an agenda holds: the reddest first.
pub const AGENDA_MAX: usize = 200;

/// The most units taking part in a meeting.
pub const PARTICIPANTS_MAX: usize = 50;

/// The longest minutes of a meeting, in characters.
pub const MINUTES_MAX: usize = 20_000;

/// With no meeting before, the agenda's red cases are those of the last seven days (the week).
const FIRST_MEETING_DAYS: i64 = 7;

/// What a meeting is convened with, as sent.
#[derive(Debug, Clone, Default)]
pub struct NewJointMeeting {
    /// The 12-digit code of a region of the centre's territory.
    pub region: Option<String>,
    /// YYYY-MM-DD; today (China) when absent.
    pub held_on: Option<String>,
    /// The units taking part.
    pub participant_unit_ids: Vec<i64>,
}

/// The minutes as sent: the meeting's, each item's, and whether they are now fixed.
#[derive(Debug, Clone, Default)]
pub struct MinutesInput {
    /// Replaces the meeting's minutes when present.
    pub meeting_minutes: Option<String>,
    /// Each item's discussion: (item id, text).
    pub agenda: Vec<(Option<i64>, Option<String>)>,
    /// Mark the meeting held: its minutes are fixed from then on.
    pub hold: bool,
}

/// A decision as sent.
#[derive(Debug, Clone, Default)]
pub struct NewDecision {
    pub item_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub task: Option<String>,
    /// RFC 3339, or a date (YYYY-MM-DD: the end of that day, China time).
    pub due_at: Option<String>,
}

/// What the unit a decision is assigned to does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionAction {
    /// 签收.
    Acknowledge,
    /// 办结反馈: reports it done with a text (acknowledging it, if it had not).
    Report,
}

/// A decision: a task for a unit.
#[derive(Debug, Clone)]
pub struct JointDecisionView {
    pub id: i64,
    pub meeting_id: i64,
    pub meeting_number: String,
    pub item_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub task: String,
    pub due_at: DateTime<Utc>,
    /// assigned | acknowledged | done
    pub status: String,
    pub decided_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub reported_at: Option<DateTime<Utc>>,
    pub report: Option<String>,
    /// Not done by its deadline.
    pub overdue: bool,
}
from_row!(
    JointDecisionView { id, meeting_id, meeting_number, item_id, unit_id, unit_name, task, status, report },
    time { due_at, decided_at, acknowledged_at, reported_at },
    default { overdue }
);

/// An item of the agenda with its source, and the decisions on it.
#[derive(Debug, Clone)]
pub struct AgendaItemView {
    pub id: i64,
    /// risk_item | alert | case
    pub source: String,
    /// The list and item it comes from, for a list's item.
    pub risk_list_id: Option<i64>,
    pub risk_list_number: Option<String>,
    pub risk_item_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub case_id: Option<i64>,
    pub colour: Risk,
    pub reasons: Vec<Message>,
    pub case_ids: Vec<i64>,
    pub minutes: Option<String>,
    pub decisions: Vec<JointDecisionView>,
}

#[derive(Debug, Clone)]
pub struct JointParticipant {
    pub unit_id: i64,
    pub unit_name: String,
}
from_row!(JointParticipant { unit_id, unit_name });

/// A meeting with its agenda.
#[derive(Debug, Clone)]
pub struct JointMeetingView {
    pub id: i64,
    pub number: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: String,
    pub region_name: String,
    pub held_on: String,
    /// draft | held
    pub status: String,
    pub minutes: Option<String>,
    pub convened_at: DateTime<Utc>,
    pub held_at: Option<DateTime<Utc>>,
    pub participants: Vec<JointParticipant>,
    pub agenda: Vec<AgendaItemView>,
}

/// A meeting as the index shows it.
#[derive(Debug, Clone)]
pub struct JointMeetingSummary {
    pub id: i64,
    pub number: String,
    pub unit_name: String,
    pub region_name: String,
    pub held_on: String,
    pub status: String,
    pub items: i64,
    pub decisions: i64,
    /// Decisions not done yet.
    pub open_decisions: i64,
    /// Decisions not done by their deadline.
    pub overdue_decisions: i64,
}
from_row!(JointMeetingSummary {
    id,
    number,
    unit_name,
    region_name,
    held_on,
    status,
    items,
    decisions,
    open_decisions,
    overdue_decisions
});

struct Candidate {
    source: &'static str,
    risk_item_id: Option<i64>,
    alert_id: Option<i64>,
    case_id: Option<i64>,
    colour: Risk,
    reasons: String,
    case_ids: Vec<i64>,
}

fn rank(risk: Risk) -> u8 {
    match risk {
        Risk::Red => 0,
        Risk::Orange => 1,
        Risk::Yellow => 2,
        Risk::None => 3,
    }
}

/// id, number, centre, region, held on, status, minutes, convened at, held at, centre's name, region's name.
type MeetingRow = (i64, String, i64, String, String, String, Option<String>, i64, Option<i64>, String, String);
/// id, source, list id, list number, list item, alert, case, colour, reasons, case ids, minutes.
type ItemRow = (
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
);

const DECISIONS: &str =
    "SELECT d.id, d.meeting_id, m.number AS meeting_number, d.item_id, d.unit_id, u.name AS unit_name,
        d.task, d.due_at, d.status, d.decided_at, d.acknowledged_at, d.reported_at, d.report
    FROM joint_decisions d JOIN joint_meetings m ON m.id = d.meeting_id JOIN units u ON u.id = d.unit_id";

/// Flags the decisions not done by their deadline.
fn flag_overdue(mut decisions: Vec<JointDecisionView>, now: DateTime<Utc>) -> Vec<JointDecisionView> {
    for d in &mut decisions {
        d.overdue = d.status != "done" && d.due_at < now;
    }
    decisions
}

impl Store {
    /// Convenes a meeting of the viewer's centre over a region of its territory, its agenda
    /// generated now; every field at fault named at once (nothing stored).
    pub async fn joint_meeting_convene(
        &self,
        viewer: &Viewer,
        new: NewJointMeeting,
        now: DateTime<Utc>,
    ) -> Result<JointMeetingView> {
        authz::may(viewer.role, Permission::JointMeetingManage, Resource::OWN)?;
        let mut c = Checker::default();
        let region = match new.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => {
                c.push(FieldError::required("region"));
                None
            }
            Some(text) => match RegionCode::parse(text) {
                Err(e) => {
                    c.push(FieldError::new("region", "invalid_code", e.message()));
                    None
                }
                Ok(code) if !viewer.scope.covers_region(&code) => {
                    c.push(FieldError::new("region", "outside_scope", msg!("risk_list.region_outside")));
                    None
                }
                Ok(code) => Some(code),
            },
        };
        let today = domain::grid::china_date(now);
        let held_on = match new.held_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => Some(today),
            Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    c.push(FieldError::new("held_on", "invalid_date", msg!("field.not_a_date")));
                    None
                }
            },
        };
        if new.participant_unit_ids.len() > PARTICIPANTS_MAX {
            c.push(FieldError::new("participant_unit_ids", "too_many", msg!("field.too_many", max = PARTICIPANTS_MAX)));
        }
        let mut participants = BTreeSet::new();
        for (i, &unit) in new.participant_unit_ids.iter().enumerate() {
            let field = format!("participant_unit_ids[{i}]");
            if self.unit(UnitId(unit)).await?.is_none() {
                c.push(FieldError::new(field, "unknown_unit", msg!("field.no_such_unit", id = unit)));
            } else if !participants.insert(unit) {
                c.push(FieldError::new(field, "duplicate", msg!("task_force.unit_twice")));
            }
        }
        c.into_result().map_err(StoreError::Invalid)?;
        let (Some(region), Some(held_on)) = (region, held_on) else {
            return Err(StoreError::Invalid(Vec::new()));
        };
        let last: Option<(i64,)> = self
            .fetch_optional(
                "SELECT convened_at FROM joint_meetings WHERE unit_id = $1 ORDER BY id DESC LIMIT 1",
                args![viewer.unit_id],
            )
            .await?;
        let since = last.map_or(to_ms(now) - FIRST_MEETING_DAYS * 86_400_000, |(at,)| at);
        let agenda = self.agenda_candidates(viewer.unit_id, &region, since).await?;
        let year = i64::from(today.year());
        let mut tx = self.begin().await?;
        let (serial,): (i64,) = tx
            .fetch_one(
                "INSERT INTO joint_meeting_serials (unit_id, year, last_serial) VALUES ($1, $2, 1)
                 ON CONFLICT (unit_id, year) DO UPDATE SET last_serial = joint_meeting_serials.last_serial + 1
                 RETURNING last_serial",
                args![viewer.unit_id, year],
            )
            .await?;
        let number = format!("{year}-{serial:03}");
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO joint_meetings (number, unit_id, region_code, held_on, status, convened_by, convened_at)
                 VALUES ($1, $2, $3, $4, 'draft', $5, $6) RETURNING id",
                args![number, viewer.unit_id, region.as_str(), held_on.to_string(), viewer.user_id, to_ms(now)],
            )
            .await?;
        for unit in participants {
            tx.execute("INSERT INTO joint_meeting_units (meeting_id, unit_id) VALUES ($1, $2)", args![id, unit])
                .await?;
        }
        for (position, item) in agenda.into_iter().enumerate() {
            tx.execute(
                "INSERT INTO joint_agenda_items (meeting_id, position, source, risk_item_id, alert_id, case_id, colour, reasons, case_ids)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                args![
                    id,
                    i64::try_from(position).unwrap_or(i64::MAX),
                    item.source,
                    item.risk_item_id,
                    item.alert_id,
                    item.case_id,
                    item.colour.as_str(),
                    item.reasons,
                    serde_json::to_string(&item.case_ids).unwrap_or_default()
                ],
            )
            .await?;
        }
        tx.commit().await?;
        self.joint_meeting_by_id(id, now).await
    }

    /// The agenda: the open items of the centre's latest list of the region, the open alerts
    /// of the region no such item carries, and the red cases registered there since `since`
    /// that no such item names; the reddest first.
    async fn agenda_candidates(&self, centre: i64, region: &RegionCode, since: i64) -> Result<Vec<Candidate>> {
        let (low, high) = region.subtree_range();
        let items: Vec<(i64, String, String, String, Option<i64>)> = self
            .fetch_all(
                "SELECT i.id, i.colour, i.reasons, i.case_ids, i.alert_id FROM risk_items i
                 WHERE i.status <> 'closed' AND i.list_id = (
                     SELECT MAX(l.id) FROM risk_lists l WHERE l.unit_id = $1 AND l.region_code BETWEEN $2 AND $3)
                 ORDER BY i.position",
                args![centre, low.clone(), high.clone()],
            )
            .await?;
        let mut alerts_listed = BTreeSet::new();
        let mut cases_listed = BTreeSet::new();
        let mut agenda: Vec<Candidate> = items
            .into_iter()
            .map(|(id, colour, reasons, case_ids, alert_id)| {
                let case_ids: Vec<i64> = serde_json::from_str(&case_ids).unwrap_or_default();
                alerts_listed.extend(alert_id);
                if let [case] = case_ids[..] {
                    cases_listed.insert(case);
                }
                Candidate {
                    source: "risk_item",
                    risk_item_id: Some(id),
                    alert_id: None,
                    case_id: None,
                    colour: Risk::parse(&colour).unwrap_or(Risk::Yellow),
                    reasons,
                    case_ids,
                }
            })
            .collect();
        let alerts: Vec<(i64, String, String, String)> = self
            .fetch_all(
                "SELECT id, colour, reasons, case_ids FROM alerts
                 WHERE status = 'open' AND region_code BETWEEN $1 AND $2 ORDER BY id",
                args![low.clone(), high.clone()],
            )
            .await?;
        agenda.extend(alerts.into_iter().filter(|(id, ..)| !alerts_listed.contains(id)).map(
            |(id, colour, reasons, case_ids)| Candidate {
                source: "alert",
                risk_item_id: None,
                alert_id: Some(id),
                case_id: None,
                colour: Risk::parse(&colour).unwrap_or(Risk::Orange),
                reasons,
                case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
            },
        ));
        let red: Vec<(i64, String)> = self
            .fetch_all(
                "SELECT id, risk_reasons FROM cases WHERE region_code BETWEEN $1 AND $2 AND risk = 'red' AND created_at > $3
                 ORDER BY id",
                args![low, high, since],
            )
            .await?;
        agenda.extend(red.into_iter().filter(|(id, _)| !cases_listed.contains(id)).map(|(id, reasons)| Candidate {
            source: "case",
            risk_item_id: None,
            alert_id: None,
            case_id: Some(id),
            colour: Risk::Red,
            reasons,
            case_ids: vec![id],
        }));
        agenda.sort_by_key(|c| rank(c.colour));
        agenda.truncate(AGENDA_MAX);
        Ok(agenda)
    }

    /// A meeting as the viewer may see it: in their scope with a permission to watch the
    /// territory (its centres), or when their unit takes part or is assigned a decision. 404
    /// when neither and it lies outside their scope, 403 when it lies inside.
    pub async fn joint_meeting(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<JointMeetingView> {
        let row: Option<(String,)> =
            self.fetch_optional("SELECT region_code FROM joint_meetings WHERE id = $1", args![id]).await?;
        let Some((region_code,)) = row else {
            return Err(StoreError::NotFound { what: "joint_meeting" });
        };
        let in_scope = RegionCode::parse(&region_code).is_ok_and(|r| viewer.scope.covers_region(&r));
        let sees = (in_scope && watches_territory(viewer)) || self.joint_meeting_involves(id, viewer.unit_id).await?;
        if !sees {
            if !in_scope {
                return Err(StoreError::NotFound { what: "joint_meeting" });
            }
            authz::may(viewer.role, Permission::NoticeReply, Resource::ANY)?;
        }
        self.joint_meeting_by_id(id, now).await
    }

    /// Whether the unit takes part in the meeting or is assigned one of its decisions.
    async fn joint_meeting_involves(&self, id: i64, unit: i64) -> Result<bool> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                "SELECT unit_id FROM joint_meeting_units WHERE meeting_id = $1 AND unit_id = $2
                 UNION SELECT unit_id FROM joint_decisions WHERE meeting_id = $1 AND unit_id = $2",
                args![id, unit],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn joint_meeting_by_id(&self, id: i64, now: DateTime<Utc>) -> Result<JointMeetingView> {
        let row: Option<MeetingRow> = self
            .fetch_optional(
                "SELECT m.id, m.number, m.unit_id, m.region_code, m.held_on, m.status, m.minutes, m.convened_at, m.held_at,
                     u.name, COALESCE(r.name, m.region_code)
                 FROM joint_meetings m JOIN units u ON u.id = m.unit_id LEFT JOIN regions r ON r.code = m.region_code
                 WHERE m.id = $1",
                args![id],
            )
            .await?;
        let Some((
            id,
            number,
            unit_id,
            region_code,
            held_on,
            status,
            minutes,
            convened_at,
            held_at,
            unit_name,
            region_name,
        )) = row
        else {
            return Err(StoreError::NotFound { what: "joint_meeting" });
        };
        let participants: Vec<JointParticipant> = self
            .fetch_all(
                "SELECT p.unit_id, u.name AS unit_name FROM joint_meeting_units p JOIN units u ON u.id = p.unit_id
                 WHERE p.meeting_id = $1 ORDER BY u.id",
                args![id],
            )
            .await?;
        let items: Vec<ItemRow> = self
            .fetch_all(
                "SELECT a.id, a.source, l.id, l.number, a.risk_item_id, a.alert_id, a.case_id, a.colour, a.reasons, a.case_ids, a.minutes
                 FROM joint_agenda_items a LEFT JOIN risk_items i ON i.id = a.risk_item_id LEFT JOIN risk_lists l ON l.id = i.list_id
                 WHERE a.meeting_id = $1 ORDER BY a.position",
                args![id],
            )
            .await?;
        let decisions =
            self.fetch_all(&format!("{DECISIONS} WHERE d.meeting_id = $1 ORDER BY d.id"), args![id]).await?;
        let mut decisions = flag_overdue(decisions, now);
        let agenda = items
            .into_iter()
            .map(
                |(
                    id,
                    source,
                    risk_list_id,
                    risk_list_number,
                    risk_item_id,
                    alert_id,
                    case_id,
                    colour,
                    reasons,
                    case_ids,
                    minutes,
                )| {
                    let (mine, rest) = decisions.drain(..).partition(|d| d.item_id == id);
                    decisions = rest;
                    AgendaItemView {
                        id,
                        source,
                        risk_list_id,
                        risk_list_number,
                        risk_item_id,
                        alert_id,
                        case_id,
                        colour: Risk::parse(&colour).unwrap_or(Risk::Yellow),
                        reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                        case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
                        minutes,
                        decisions: mine,
                    }
                },
            )
            .collect();
        Ok(JointMeetingView {
            id,
            number,
            unit_id,
            unit_name,
            region_code,
            region_name,
            held_on,
            status,
            minutes,
            convened_at: from_ms(convened_at),
            held_at: held_at.map(from_ms),
            participants,
            agenda,
        })
    }

    /// The meetings the viewer sees, newest first, and how many: those of their territory when
    /// they watch it, else those their unit takes part in or is assigned a decision of.
    pub async fn joint_meetings(
        &self,
        viewer: &Viewer,
        limit: i64,
        offset: i64,
        now: DateTime<Utc>,
    ) -> Result<(i64, Vec<JointMeetingSummary>)> {
        let territory = i64::from(watches_territory(viewer));
        let (low, high) = viewer.scope.region.subtree_range();
        // $1: whether the viewer watches the territory; else those involving their unit ($4).
        let condition = "(($1 = 1 AND m.region_code BETWEEN $2 AND $3) OR ($1 = 0 AND (
            EXISTS (SELECT 1 FROM joint_meeting_units p WHERE p.meeting_id = m.id AND p.unit_id = $4)
            OR EXISTS (SELECT 1 FROM joint_decisions d WHERE d.meeting_id = m.id AND d.unit_id = $4))))";
        let (total,): (i64,) = self
            .fetch_one(
                &format!("SELECT COUNT(*) FROM joint_meetings m WHERE {condition}"),
                args![territory, low.clone(), high.clone(), viewer.unit_id],
            )
            .await?;
        let meetings: Vec<JointMeetingSummary> = self
            .fetch_all(
                &format!(
                    "SELECT m.id, m.number, u.name AS unit_name, COALESCE(r.name, m.region_code) AS region_name, m.held_on, m.status,
                        (SELECT COUNT(*) FROM joint_agenda_items a WHERE a.meeting_id = m.id) AS items,
                        (SELECT COUNT(*) FROM joint_decisions d WHERE d.meeting_id = m.id) AS decisions,
                        (SELECT COUNT(*) FROM joint_decisions d WHERE d.meeting_id = m.id AND d.status <> 'done') AS open_decisions,
                        (SELECT COUNT(*) FROM joint_decisions d WHERE d.meeting_id = m.id AND d.status <> 'done' AND d.due_at < $5)
                            AS overdue_decisions
                     FROM joint_meetings m JOIN units u ON u.id = m.unit_id LEFT JOIN regions r ON r.code = m.region_code
                     WHERE {condition} ORDER BY m.id DESC LIMIT $6 OFFSET $7"
                ),
                args![territory, low, high, viewer.unit_id, to_ms(now), limit, offset],
            )
            .await?;
        Ok((total, meetings))
    }

    /// The convening centre's meeting, for writing: 404 outside the viewer's sight, 403 for
    /// anyone but its centre's dispatchers and leaders, 409 once it is held.
    async fn joint_meeting_for_writing(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<JointMeetingView> {
        authz::may_at_all(viewer.role, Permission::JointMeetingManage)?;
        let meeting = self.joint_meeting(viewer, id, now).await?;
        authz::may(
            viewer.role,
            Permission::JointMeetingManage,
            Resource { own: meeting.unit_id == viewer.unit_id, ..Resource::ANY },
        )?;
        if meeting.status == "held" {
            return Err(StoreError::conflict("meeting_held", msg!("joint_meeting.held")));
        }
        Ok(meeting)
    }

    /// Writes the minutes of a draft meeting — the meeting's and each item's — and, with
    /// `hold`, fixes them (the meeting is held). Every field at fault named at once.
    pub async fn joint_meeting_minutes(
        &self,
        viewer: &Viewer,
        id: i64,
        input: MinutesInput,
        now: DateTime<Utc>,
    ) -> Result<JointMeetingView> {
        let meeting = self.joint_meeting_for_writing(viewer, id, now).await?;
        let mut c = Checker::default();
        let minutes = c.optional_text("meeting_minutes", input.meeting_minutes.as_deref(), MINUTES_MAX);
        let mut items = Vec::new();
        for (i, (item, text)) in input.agenda.iter().enumerate() {
            let discussion = c.optional_text(&format!("agenda[{i}].discussion"), text.as_deref(), TEXT_MAX);
            match item {
                None => c.push(FieldError::required(format!("agenda[{i}].item_id"))),
                Some(item) if !meeting.agenda.iter().any(|a| a.id == *item) => c.push(FieldError::new(
                    format!("agenda[{i}].item_id"),
                    "not_on_agenda",
                    msg!("joint_meeting.not_on_agenda"),
                )),
                Some(item) => items.push((*item, discussion)),
            }
        }
        if input.hold && minutes.is_none() && input.meeting_minutes.is_some() {
            // Blank minutes sent with `hold`: the required error, not a silent keep.
            c.push(FieldError::required("meeting_minutes"));
        } else if input.hold && minutes.is_none() && meeting.minutes.is_none() {
            c.push(FieldError::new("meeting_minutes", "required_to_hold", msg!("joint_meeting.minutes_to_hold")));
        }
        c.into_result().map_err(StoreError::Invalid)?;
        let mut tx = self.begin().await?;
        let (status, held_at, held_by) =
            if input.hold { ("held", Some(to_ms(now)), Some(viewer.user_id)) } else { ("draft", None, None) };
        let changed = tx
            .execute(
                "UPDATE joint_meetings SET minutes = COALESCE($1, minutes), status = $2, held_at = $3, held_by = $4
                 WHERE id = $5 AND status = 'draft'",
                args![minutes, status, held_at, held_by, id],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict("meeting_held", msg!("joint_meeting.held")));
        }
        for (item, discussion) in items {
            tx.execute(
                "UPDATE joint_agenda_items SET minutes = $1 WHERE id = $2 AND meeting_id = $3",
                args![discussion, item, id],
            )
            .await?;
        }
        tx.commit().await?;
        self.joint_meeting_by_id(id, now).await
    }

    /// Records a decision on an item of a draft meeting: a task for a unit with a deadline.
    pub async fn joint_decision_add(
        &self,
        viewer: &Viewer,
        id: i64,
        new: NewDecision,
        now: DateTime<Utc>,
    ) -> Result<JointMeetingView> {
        let meeting = self.joint_meeting_for_writing(viewer, id, now).await?;
        let mut c = Checker::default();
        match new.item_id {
            None => c.push(FieldError::required("item_id")),
            Some(item) if !meeting.agenda.iter().any(|a| a.id == item) => {
                c.push(FieldError::new("item_id", "not_on_agenda", msg!("joint_meeting.not_on_agenda")))
            }
            Some(_) => {}
        }
        match new.unit_id {
            None => c.push(FieldError::required("unit_id")),
            Some(unit) if self.unit(UnitId(unit)).await?.is_none() => {
                c.push(FieldError::new("unit_id", "unknown_unit", msg!("field.no_such_unit", id = unit)))
            }
            Some(_) => {}
        }
        let task = c.required_text("task", new.task.as_deref(), TEXT_MAX);
        let due = due_ahead(&mut c, "due_at", new.due_at.as_deref(), now);
        c.into_result().map_err(StoreError::Invalid)?;
        let (Some(item), Some(unit), Some(task), Some(due)) = (new.item_id, new.unit_id, task, due) else {
            return Err(StoreError::Invalid(Vec::new()));
        };
        let changed = self
            .execute(
                "INSERT INTO joint_decisions (meeting_id, item_id, unit_id, task, due_at, status, decided_by, decided_at)
                 SELECT $1, $2, $3, $4, $5, 'assigned', $6, $7 WHERE EXISTS (
                     SELECT 1 FROM joint_meetings WHERE id = $1 AND status = 'draft')",
                args![id, item, unit, task, to_ms(due), viewer.user_id, to_ms(now)],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict("meeting_held", msg!("joint_meeting.held")));
        }
        self.joint_meeting_by_id(id, now).await
    }

    /// The unit a decision is assigned to acknowledges it, or reports it done with a text (403
    /// for any other unit; 409 out of order).
    pub async fn joint_decision_act(
        &self,
        viewer: &Viewer,
        id: i64,
        decision: i64,
        action: DecisionAction,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<JointMeetingView> {
        authz::may_at_all(viewer.role, Permission::NoticeReply)?;
        let row: Option<(i64, String)> = self
            .fetch_optional(
                "SELECT unit_id, status FROM joint_decisions WHERE id = $1 AND meeting_id = $2",
                args![decision, id],
            )
            .await?;
        let Some((unit, status)) = row else {
            return Err(StoreError::NotFound { what: "joint_decision" });
        };
        let addressed = unit == viewer.unit_id;
        if !addressed {
            self.joint_meeting(viewer, id, now).await?;
        }
        authz::may(viewer.role, Permission::NoticeReply, Resource { addressed, ..Resource::ANY })?;
        let done = || StoreError::conflict("decision_done", msg!("joint_meeting.decision_done"));
        let changed = match action {
            DecisionAction::Acknowledge => {
                if status != "assigned" {
                    return Err(StoreError::conflict("already_acknowledged", msg!("risk_list.already_acknowledged")));
                }
                self.execute(
                    "UPDATE joint_decisions SET status = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2
                     WHERE id = $3 AND status = 'assigned'",
                    args![to_ms(now), viewer.user_id, decision],
                )
                .await?
            }
            DecisionAction::Report => {
                let report = required_text("text", text)?;
                if status == "done" {
                    return Err(done());
                }
                self.execute(
                    "UPDATE joint_decisions SET status = 'done', reported_at = $1, reported_by = $2, report = $3,
                         acknowledged_at = COALESCE(acknowledged_at, $1), acknowledged_by = COALESCE(acknowledged_by, $2)
                     WHERE id = $4 AND status <> 'done'",
                    args![to_ms(now), viewer.user_id, report, decision],
                )
                .await?
            }
        };
        if changed == 0 {
            return Err(done());
        }
        self.joint_meeting_by_id(id, now).await
    }

    /// The decisions assigned to the viewer's unit and not done yet, the soonest due first.
    pub async fn joint_decisions_assigned(
        &self,
        viewer: &Viewer,
        now: DateTime<Utc>,
    ) -> Result<Vec<JointDecisionView>> {
        let decisions = self
            .fetch_all(
                &format!("{DECISIONS} WHERE d.unit_id = $1 AND d.status <> 'done' ORDER BY d.due_at, d.id LIMIT 50"),
                args![viewer.unit_id],
            )
            .await?;
        Ok(flag_overdue(decisions, now))
    }
}

/// The centres that watch the territory see all its meetings.
fn watches_territory(viewer: &Viewer) -> bool {
    authz::has(viewer.role, Permission::JointMeetingManage) || authz::has(viewer.role, Permission::AlertsRead)
}
