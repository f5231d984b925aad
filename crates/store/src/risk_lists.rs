//! 三色三单 (issue 16): each centre's numbered 风险隐患清单 of its territory — an item for each
//! open red, orange or yellow case and each open alert, assigned (交办) to the units handling
//! the cases behind it, due by colour in working days; the units acknowledge it and report the
//! measures taken (反馈), the issuing centre closes it (销号) once a report is in, or sends it
//! back (退回) with its reason when the report is not good enough: the units report again by a
//! new closing day. Every act is kept in `risk_item_events`, the list's record. Also the
//! register of people who need attention (重点人员): people by blind index with their colour
//! and reasons from their cases, every look recorded in `people_register_reads`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::calendar::Calendar;
use domain::case::Risk;
use domain::msg;
use domain::org::RegionCode;
use domain::validation::Message;

use crate::risk_record::list_record;
use crate::sql::{args, in_list};
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// The most items a list holds: the reddest first, then the oldest.
pub const ITEMS_MAX: i64 = 500;

/// The statuses of a case still to be resolved.
const OPEN: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// Working days to acknowledge an item, by colour (Luohe's red is the same day, orange within
/// 2 days, blue 3; DOMAIN.md §5.2): red 1, orange 3, yellow 5.
pub fn due_working_days(colour: Risk) -> u32 {
    match colour {
        Risk::Red => 1,
        Risk::Orange => 3,
        _ => 5,
    }
}

/// Working days to close (销号) an item after it is issued, by colour: red 5, orange 10,
/// yellow 15. Not closed by then, it climbs the supervision ladder like one not acknowledged.
/// An item sent back (退回) gets the same time again, counted from the day it is sent back:
/// its units take new measures and report again, and the centre closes it, within that time.
pub fn close_working_days(colour: Risk) -> u32 {
    match colour {
        Risk::Red => 5,
        Risk::Orange => 10,
        _ => 15,
    }
}

/// The end (23:59:59 China time) of the `days`th working day after the China day of `now`: an
/// item's deadlines.
fn working_days_end(calendar: &Calendar, now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let today = now.with_timezone(&domain::china_time()).date_naive();
    let end = NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time");
    domain::china_instant(calendar.add_working_days(today, days).date, end)
}

/// What is done to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemAction {
    /// 签收: an assigned unit acknowledges the item.
    Acknowledge,
    /// 反馈: an assigned unit reports the measures taken (and acknowledges, if it had not).
    Report,
    /// 销号: the issuing centre closes a reported item.
    Close,
    /// 退回: the issuing centre sends a reported item back to its units with the reason; they
    /// report again by a new closing day.
    SendBack,
}

impl ItemAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemAction::Acknowledge => "acknowledge",
            ItemAction::Report => "report",
            ItemAction::Close => "close",
            ItemAction::SendBack => "send_back",
        }
    }
}

/// One act on an item, as the list's record shows it.
#[derive(Debug, Clone)]
pub struct RiskItemEvent {
    pub action: String,
    pub text: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    pub username: String,
    pub at: DateTime<Utc>,
}

/// An item of a list: a 交办单.
#[derive(Debug, Clone)]
pub struct RiskItemView {
    pub id: i64,
    pub colour: Risk,
    pub reasons: Vec<Message>,
    pub case_ids: Vec<i64>,
    pub alert_id: Option<i64>,
    pub assigned_unit_ids: Vec<i64>,
    pub assigned_unit_names: Vec<String>,
    pub due_at: DateTime<Utc>,
    /// To be closed by (None on lists issued before items had a closing day); a send back
    /// sets it afresh.
    pub close_by: Option<DateTime<Utc>>,
    /// issued | acknowledged | reported | sent_back | closed
    pub status: String,
    /// Not acknowledged by `due_at`.
    pub overdue: bool,
    pub events: Vec<RiskItemEvent>,
}

impl RiskItemView {
    /// Why the centre sent the item back, while it is back with its units: the reason of the
    /// latest send back.
    pub fn sent_back_reason(&self) -> Option<&str> {
        if self.status != "sent_back" {
            return None;
        }
        self.events.iter().rev().find(|e| e.action == ItemAction::SendBack.as_str()).and_then(|e| e.text.as_deref())
    }
}

/// An item assigned to the viewer's unit and waiting on it — to acknowledge, to report on, or
/// sent back to report again —, as the workbench lists it.
#[derive(Debug, Clone)]
pub struct AssignedItem {
    pub id: i64,
    pub list_id: i64,
    pub list_number: String,
    /// Its place in the list, from 1.
    pub position: i64,
    pub colour: Risk,
    /// issued | acknowledged | sent_back
    pub status: String,
    /// What the unit must meet next: acknowledging by `due_at` while issued, else closing by
    /// `close_by`.
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// The reason of the latest send back, when it is sent back.
    pub sent_back_reason: Option<String>,
}

/// A list with its items.
#[derive(Debug, Clone)]
pub struct RiskListView {
    pub id: i64,
    pub number: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: String,
    pub region_name: String,
    pub week: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub items: Vec<RiskItemView>,
}

/// A list as the index of lists shows it.
#[derive(Debug, Clone)]
pub struct RiskListSummary {
    pub id: i64,
    pub number: String,
    pub unit_name: String,
    pub region_name: String,
    pub issued_at: DateTime<Utc>,
    pub items: i64,
    /// Items not closed yet.
    pub open_items: i64,
    /// Items not acknowledged by their deadline.
    pub overdue_items: i64,
}

/// A person of the register: their blind index (never plaintext), colour and reasons.
#[derive(Debug, Clone)]
pub struct PersonRisk {
    /// The blind index of their ID number (or phone when no ID number was given).
    pub person_key: String,
    /// Masked, as the case page shows it.
    pub name_masked: String,
    pub colour: Risk,
    pub reasons: Vec<Message>,
    pub case_ids: Vec<i64>,
}

type ItemRow = (i64, String, String, String, Option<i64>, i64, Option<i64>, String);
/// item, list, list number, position, colour, status, due at, close by, latest send back's reason.
type AssignedRow = (i64, i64, String, i64, String, String, i64, Option<i64>, Option<String>);
type ListRow = (i64, String, i64, String, Option<String>, i64, String, String);
/// item, action, text, unit, unit's name, username, at.
type EventRow = (i64, String, Option<String>, i64, String, String, i64);
/// id, number, centre's name, region's name, issued at, items, open items, overdue items.
type SummaryRow = (i64, String, String, String, i64, i64, i64, i64);

struct Candidate {
    colour: Risk,
    reasons: Vec<Message>,
    case_ids: Vec<i64>,
    alert_id: Option<i64>,
    /// A place's own office (its grid's station, its community's or street's centre): the unit
    /// an item about the place as a whole goes to, rather than the units handling its cases.
    office: Option<i64>,
}

fn rank(risk: Risk) -> u8 {
    match risk {
        Risk::Red => 0,
        Risk::Orange => 1,
        Risk::Yellow => 2,
        Risk::None => 3,
    }
}

impl Store {
    /// Issues a list for the centre `unit_id` over `region`: its items from the open red,
    /// orange and yellow cases and the open alerts there, numbered in the centre's yearly
    /// serial. With `week`, at most one per centre and week: None when it exists already.
    pub async fn risk_list_issue(
        &self,
        unit_id: i64,
        region: &RegionCode,
        issued_by: Option<i64>,
        week: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        if let Some(week) = &week {
            let existing: Option<(i64,)> = self
                .fetch_optional(
                    "SELECT id FROM risk_lists WHERE unit_id = $1 AND week = $2",
                    args![unit_id, week.clone()],
                )
                .await?;
            if existing.is_some() {
                return Ok(None);
            }
        }
        let candidates = self.risk_candidates(region).await?;
        let mut units: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        let all_cases: Vec<i64> =
            candidates.iter().flat_map(|c| c.case_ids.iter().copied()).collect::<BTreeSet<_>>().into_iter().collect();
        for chunk in all_cases.chunks(500) {
            let mut a = Vec::new();
            let list = in_list(&mut a, chunk);
            let rows: Vec<(i64, i64)> = self
                .fetch_all(
                    &format!(
                        "SELECT case_id, unit_id FROM case_units WHERE case_id IN ({list})
                         UNION SELECT id, owner_unit_id FROM cases WHERE id IN ({list}) AND owner_unit_id IS NOT NULL
                             AND NOT EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = cases.id)"
                    ),
                    a,
                )
                .await?;
            for (case_id, unit) in rows {
                units.entry(case_id).or_default().insert(unit);
            }
        }
        let calendar = &self.clock_context().await?.calendar;
        let year = i64::from(now.with_timezone(&domain::china_time()).year());
        let mut tx = self.begin().await?;
        let (serial,): (i64,) = tx
            .fetch_one(
                "INSERT INTO risk_list_serials (unit_id, year, last_serial) VALUES ($1, $2, 1)
                 ON CONFLICT (unit_id, year) DO UPDATE SET last_serial = risk_list_serials.last_serial + 1
                 RETURNING last_serial",
                args![unit_id, year],
            )
            .await?;
        let number = format!("{year}-{serial:03}");
        let count = i64::try_from(candidates.len()).unwrap_or(i64::MAX);
        let (list_id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO risk_lists (number, unit_id, region_code, week, issued_by, issued_at, items_count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                args![number, unit_id, region.as_str(), week, issued_by, to_ms(now), count],
            )
            .await?;
        for (position, item) in candidates.into_iter().enumerate() {
            let due = working_days_end(calendar, now, due_working_days(item.colour));
            let close_by = working_days_end(calendar, now, close_working_days(item.colour));
            let (item_id,): (i64,) = tx
                .fetch_one(
                    "INSERT INTO risk_items (list_id, position, colour, reasons, case_ids, alert_id, due_at, close_by, status)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'issued') RETURNING id",
                    args![
                        list_id,
                        i64::try_from(position).unwrap_or(i64::MAX),
                        item.colour.as_str(),
                        serde_json::to_string(&item.reasons).unwrap_or_default(),
                        serde_json::to_string(&item.case_ids).unwrap_or_default(),
                        item.alert_id,
                        to_ms(due),
                        to_ms(close_by)
                    ],
                )
                .await?;
            let assigned: BTreeSet<i64> = match item.office {
                Some(office) => BTreeSet::from([office]),
                None => item.case_ids.iter().filter_map(|c| units.get(c)).flatten().copied().collect(),
            };
            for unit in assigned {
                tx.execute("INSERT INTO risk_item_units (item_id, unit_id) VALUES ($1, $2)", args![item_id, unit])
                    .await?;
            }
        }
        let actor: Option<(String,)> =
            tx.fetch_optional("SELECT username FROM users WHERE id = $1", args![issued_by]).await?;
        let actor = actor.map_or_else(|| "system".to_owned(), |(name,)| name);
        list_record(&mut tx, list_id, &actor, "issued", now).await?;
        tx.commit().await?;
        Ok(Some(list_id))
    }

    /// The open red, orange and yellow cases and the open alerts of a region, reddest first.
    async fn risk_candidates(&self, region: &RegionCode) -> Result<Vec<Candidate>> {
        let (low, high) = region.subtree_range();
        let alerts: Vec<(i64, String, String, String)> = self
            .fetch_all(
                "SELECT id, colour, reasons, case_ids FROM alerts
                 WHERE status = 'open' AND region_code BETWEEN $1 AND $2 ORDER BY id LIMIT $3",
                args![low.clone(), high.clone(), ITEMS_MAX],
            )
            .await?;
        let mut candidates: Vec<Candidate> = alerts
            .into_iter()
            .map(|(id, colour, reasons, case_ids)| Candidate {
                colour: Risk::parse(&colour).unwrap_or(Risk::Orange),
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
                alert_id: Some(id),
                office: None,
            })
            .collect();
        let cases: Vec<(i64, String, String)> = self
            .fetch_all(
                &format!(
                    "SELECT c.id, c.risk, c.risk_reasons FROM cases c
                     WHERE c.region_code BETWEEN $1 AND $2 AND {OPEN} AND c.risk IN ('red', 'orange', 'yellow')
                     ORDER BY CASE c.risk WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END, c.id LIMIT $3"
                ),
                args![low.clone(), high.clone(), ITEMS_MAX],
            )
            .await?;
        candidates.extend(cases.into_iter().map(|(id, risk, reasons)| Candidate {
            colour: Risk::parse(&risk).unwrap_or(Risk::Yellow),
            reasons: serde_json::from_str(&reasons).unwrap_or_default(),
            case_ids: vec![id],
            alert_id: None,
            office: None,
        }));
        // A place's office: the active station of a grid, the active centre of a community or
        // street (the lowest unit id when there are several).
        let places: Vec<(String, String, String, String, Option<i64>)> = self
            .fetch_all(
                "SELECT COALESCE(g.name, r.name, p.place_key), p.colour, p.reasons, p.case_ids,
                    CASE WHEN p.kind = 'grid'
                        THEN (SELECT MIN(u.id) FROM units u WHERE u.active AND CAST(u.grid_id AS TEXT) = p.place_key)
                        ELSE (SELECT MIN(u.id) FROM units u WHERE u.active AND u.kind = 'centre' AND u.region_code = p.place_key)
                    END
                 FROM place_risks p
                 LEFT JOIN grids g ON p.kind = 'grid' AND CAST(g.id AS TEXT) = p.place_key
                 LEFT JOIN regions r ON p.kind <> 'grid' AND r.code = p.place_key
                 WHERE p.region_code BETWEEN $1 AND $2 AND p.colour IN ('red', 'orange')
                 ORDER BY p.kind, p.place_key LIMIT $3",
                args![low, high, ITEMS_MAX],
            )
            .await?;
        candidates.extend(places.into_iter().map(|(name, colour, reasons, case_ids, office)| {
            let mut reasons: Vec<Message> = serde_json::from_str(&reasons).unwrap_or_default();
            reasons.insert(0, domain::msg!("place_risk.place", name = name));
            Candidate {
                colour: Risk::parse(&colour).unwrap_or(Risk::Orange),
                reasons,
                case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
                alert_id: None,
                office,
            }
        }));
        candidates.sort_by_key(|c| rank(c.colour));
        candidates.truncate(usize::try_from(ITEMS_MAX).unwrap_or(usize::MAX));
        Ok(candidates)
    }

    /// The centres that issue a weekly list: every active unit of kind centre, with its region.
    pub async fn risk_list_centres(&self) -> Result<Vec<(i64, String)>> {
        self.fetch_all("SELECT id, region_code FROM units WHERE kind = 'centre' AND active ORDER BY id", args![]).await
    }

    /// A list as the viewer may see it: in their scope with a permission to read the
    /// territory's lists, or with an item assigned to their unit. 404 when neither and the
    /// list lies outside their scope, 403 when it lies inside.
    pub async fn risk_list(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<RiskListView> {
        let row: Option<ListRow> = self
            .fetch_optional(
                "SELECT l.id, l.number, l.unit_id, l.region_code, l.week, l.issued_at, u.name, COALESCE(r.name, l.region_code)
                 FROM risk_lists l JOIN units u ON u.id = l.unit_id LEFT JOIN regions r ON r.code = l.region_code
                 WHERE l.id = $1",
                args![id],
            )
            .await?;
        let Some((id, number, unit_id, region_code, week, issued_at, unit_name, region_name)) = row else {
            return Err(StoreError::NotFound { what: "risk_list" });
        };
        let in_scope = RegionCode::parse(&region_code).is_ok_and(|r| viewer.scope.covers_region(&r));
        let assigned: Option<(i64,)> = self
            .fetch_optional(
                "SELECT iu.item_id FROM risk_item_units iu JOIN risk_items i ON i.id = iu.item_id
                 WHERE i.list_id = $1 AND iu.unit_id = $2 LIMIT 1",
                args![id, viewer.unit_id],
            )
            .await?;
        let reads =
            authz::has(viewer.role, Permission::AlertsRead) || authz::has(viewer.role, Permission::RiskListManage);
        if !(in_scope && reads) && assigned.is_none() {
            if !in_scope {
                return Err(StoreError::NotFound { what: "risk_list" });
            }
            authz::may(viewer.role, Permission::NoticeReply, Resource::ANY)?;
        }
        let items = self.risk_items(id, now).await?;
        Ok(RiskListView {
            id,
            number,
            unit_id,
            unit_name,
            region_code,
            region_name,
            week,
            issued_at: from_ms(issued_at),
            items,
        })
    }

    async fn risk_items(&self, list_id: i64, now: DateTime<Utc>) -> Result<Vec<RiskItemView>> {
        let rows: Vec<ItemRow> = self
            .fetch_all(
                "SELECT id, colour, reasons, case_ids, alert_id, due_at, close_by, status FROM risk_items WHERE list_id = $1 ORDER BY position",
                args![list_id],
            )
            .await?;
        let units: Vec<(i64, i64, String)> = self
            .fetch_all(
                "SELECT iu.item_id, iu.unit_id, u.name FROM risk_item_units iu JOIN risk_items i ON i.id = iu.item_id
                 JOIN units u ON u.id = iu.unit_id WHERE i.list_id = $1 ORDER BY iu.item_id, iu.unit_id",
                args![list_id],
            )
            .await?;
        let events: Vec<EventRow> = self
            .fetch_all(
                "SELECT e.item_id, e.action, e.text, e.unit_id, u.name, us.username, e.at FROM risk_item_events e
                 JOIN risk_items i ON i.id = e.item_id JOIN units u ON u.id = e.unit_id JOIN users us ON us.id = e.user_id
                 WHERE i.list_id = $1 ORDER BY e.id",
                args![list_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, colour, reasons, case_ids, alert_id, due_at, close_by, status)| {
                let mine: Vec<&(i64, i64, String)> = units.iter().filter(|(item, _, _)| *item == id).collect();
                RiskItemView {
                    id,
                    colour: Risk::parse(&colour).unwrap_or(Risk::Yellow),
                    reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                    case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
                    alert_id,
                    assigned_unit_ids: mine.iter().map(|(_, unit, _)| *unit).collect(),
                    assigned_unit_names: mine.iter().map(|(_, _, name)| name.clone()).collect(),
                    due_at: from_ms(due_at),
                    close_by: close_by.map(from_ms),
                    overdue: status == "issued" && to_ms(now) > due_at,
                    status,
                    events: events
                        .iter()
                        .filter(|e| e.0 == id)
                        .map(|(_, action, text, unit_id, unit_name, username, at)| RiskItemEvent {
                            action: action.clone(),
                            text: text.clone(),
                            unit_id: *unit_id,
                            unit_name: unit_name.clone(),
                            username: username.clone(),
                            at: from_ms(*at),
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// The lists the viewer sees, newest first, and how many: those of their territory when
    /// they read the territory's lists, else those with an item assigned to their unit.
    pub async fn risk_lists(
        &self,
        viewer: &Viewer,
        limit: i64,
        offset: i64,
        now: DateTime<Utc>,
    ) -> Result<(i64, Vec<RiskListSummary>)> {
        let territory =
            authz::has(viewer.role, Permission::AlertsRead) || authz::has(viewer.role, Permission::RiskListManage);
        let (low, high) = viewer.scope.region.subtree_range();
        // $1: whether the viewer reads the territory's lists; else those assigning their unit ($4).
        let condition = "(($1 = 1 AND l.region_code BETWEEN $2 AND $3) OR ($1 = 0 AND EXISTS (
            SELECT 1 FROM risk_item_units iu JOIN risk_items i ON i.id = iu.item_id WHERE i.list_id = l.id AND iu.unit_id = $4)))";
        let territory = i64::from(territory);
        let (total,): (i64,) = self
            .fetch_one(
                &format!("SELECT COUNT(*) FROM risk_lists l WHERE {condition}"),
                args![territory, low.clone(), high.clone(), viewer.unit_id],
            )
            .await?;
        let rows: Vec<SummaryRow> = self
            .fetch_all(
                &format!(
                    "SELECT l.id, l.number, u.name, COALESCE(r.name, l.region_code), l.issued_at, l.items_count,
                        (SELECT COUNT(*) FROM risk_items i WHERE i.list_id = l.id AND i.status <> 'closed'),
                        (SELECT COUNT(*) FROM risk_items i WHERE i.list_id = l.id AND i.status = 'issued' AND i.due_at < $5)
                     FROM risk_lists l JOIN units u ON u.id = l.unit_id LEFT JOIN regions r ON r.code = l.region_code
                     WHERE {condition} ORDER BY l.id DESC LIMIT $6 OFFSET $7"
                ),
                args![territory, low, high, viewer.unit_id, to_ms(now), limit, offset],
            )
            .await?;
        let lists = rows
            .into_iter()
            .map(|(id, number, unit_name, region_name, issued_at, items, open_items, overdue_items)| RiskListSummary {
                id,
                number,
                unit_name,
                region_name,
                issued_at: from_ms(issued_at),
                items,
                open_items,
                overdue_items,
            })
            .collect();
        Ok((total, lists))
    }

    /// Acknowledges, reports on, closes or sends back an item: acknowledging and reporting by a
    /// unit the item is assigned to, closing and sending back by the issuing centre (403 for
    /// anyone else); each in its order (409 otherwise): a unit acknowledges an issued item and
    /// reports on an item not reported yet (or sent back), the centre closes or sends back a
    /// reported one. A send back sets the closing day afresh ([`close_working_days`] from today).
    pub async fn risk_item_act(
        &self,
        viewer: &Viewer,
        list_id: i64,
        item_id: i64,
        action: ItemAction,
        text: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<RiskListView> {
        // Seeing the list comes first (404 outside the scope).
        self.risk_list(viewer, list_id, now).await?;
        let context = self.clock_context().await?;
        let mut tx = self.begin().await?;
        let item: Option<(String, i64, String)> = tx
            .fetch_optional_for_update(
                "SELECT i.status, l.unit_id, i.colour FROM risk_items i JOIN risk_lists l ON l.id = i.list_id WHERE i.id = $1 AND i.list_id = $2",
                args![item_id, list_id],
            )
            .await?;
        let Some((status, issuer, colour)) = item else {
            return Err(StoreError::NotFound { what: "risk_item" });
        };
        let assigned: Option<(i64,)> = tx
            .fetch_optional(
                "SELECT unit_id FROM risk_item_units WHERE item_id = $1 AND unit_id = $2",
                args![item_id, viewer.unit_id],
            )
            .await?;
        let at = to_ms(now);
        // The new status, what else changes ($2) and its value.
        let (to, change, value) = match action {
            ItemAction::Acknowledge | ItemAction::Report => {
                authz::may(
                    viewer.role,
                    Permission::NoticeReply,
                    Resource { addressed: assigned.is_some(), ..Resource::ANY },
                )?;
                match (action, status.as_str()) {
                    (ItemAction::Acknowledge, "issued") => ("acknowledged", "acknowledged_at = $2", at),
                    // Reporting acknowledges too, if the unit had not.
                    (ItemAction::Report, "issued" | "acknowledged" | "sent_back") => {
                        ("reported", "reported_at = $2, acknowledged_at = COALESCE(acknowledged_at, $2)", at)
                    }
                    (ItemAction::Acknowledge, _) => {
                        return Err(StoreError::conflict(
                            "already_acknowledged",
                            msg!("risk_list.already_acknowledged"),
                        ));
                    }
                    _ => return Err(StoreError::conflict("already_reported", msg!("risk_list.already_reported"))),
                }
            }
            ItemAction::Close | ItemAction::SendBack => {
                authz::may(
                    viewer.role,
                    Permission::RiskListManage,
                    Resource { own: issuer == viewer.unit_id, ..Resource::ANY },
                )?;
                match (action, status.as_str()) {
                    (ItemAction::Close, "reported") => ("closed", "closed_at = $2", at),
                    (ItemAction::SendBack, "reported") => {
                        let colour = Risk::parse(&colour).unwrap_or(Risk::Yellow);
                        let close_by = working_days_end(&context.calendar, now, close_working_days(colour));
                        ("sent_back", "close_by = $2", to_ms(close_by))
                    }
                    (_, "closed") => {
                        return Err(StoreError::conflict("already_closed", msg!("risk_list.already_closed")));
                    }
                    (ItemAction::Close, _) => {
                        return Err(StoreError::conflict("not_reported", msg!("risk_list.not_reported")));
                    }
                    _ => return Err(StoreError::conflict("not_reported", msg!("risk_list.send_back_not_reported"))),
                }
            }
        };
        tx.execute(&format!("UPDATE risk_items SET status = $1, {change} WHERE id = $3"), args![to, value, item_id])
            .await?;
        tx.execute(
            "INSERT INTO risk_item_events (item_id, action, text, user_id, unit_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![item_id, action.as_str(), text, viewer.user_id, viewer.unit_id, at],
        )
        .await?;
        list_record(&mut tx, list_id, &viewer.username, action.as_str(), now).await?;
        tx.commit().await?;
        self.risk_list(viewer, list_id, now).await
    }

    /// The items assigned to the viewer's unit that wait on it, those sent back first, then by
    /// their next deadline; at most `limit`.
    pub async fn risk_items_assigned(
        &self,
        viewer: &Viewer,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<AssignedItem>> {
        let rows: Vec<AssignedRow> = self
            .fetch_all(
                "SELECT i.id, l.id, l.number, i.position, i.colour, i.status, i.due_at, i.close_by,
                    (SELECT e.text FROM risk_item_events e WHERE e.item_id = i.id AND e.action = 'send_back'
                     ORDER BY e.id DESC LIMIT 1)
                 FROM risk_item_units iu JOIN risk_items i ON i.id = iu.item_id JOIN risk_lists l ON l.id = i.list_id
                 WHERE iu.unit_id = $1 AND i.status IN ('issued', 'acknowledged', 'sent_back')
                 ORDER BY CASE i.status WHEN 'sent_back' THEN 0 ELSE 1 END,
                    CASE i.status WHEN 'issued' THEN i.due_at ELSE COALESCE(i.close_by, i.due_at) END, i.id
                 LIMIT $2",
                args![viewer.unit_id, limit.clamp(1, 500)],
            )
            .await?;
        let now = to_ms(now);
        Ok(rows
            .into_iter()
            .map(|(id, list_id, list_number, position, colour, status, due_at, close_by, reason)| {
                let due_at = if status == "issued" { Some(due_at) } else { close_by };
                AssignedItem {
                    id,
                    list_id,
                    list_number,
                    position: position + 1,
                    colour: Risk::parse(&colour).unwrap_or(Risk::Yellow),
                    overdue: due_at.is_some_and(|due| now > due),
                    due_at: due_at.map(from_ms),
                    sent_back_reason: reason.filter(|_| status == "sent_back"),
                    status,
                }
            })
            .collect())
    }

    /// 重点人员: the people of the viewer's territory who need attention — by the blind index of
    /// their ID number or phone, never plaintext — with a colour and reasons from their cases:
    /// a red case, orange at three disputes (or an orange case), yellow at two; `colour` keeps
    /// only that colour. The read is recorded in `people_register_reads`.
    pub async fn people_risk(
        &self,
        viewer: &Viewer,
        colour: Option<Risk>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PersonRisk>> {
        let (low, high) = viewer.scope.region.subtree_range();
        let rows: Vec<(String, String, i64, String)> = self
            .fetch_all(
                "SELECT COALESCE(p.id_number_index, p.phone_index), p.name, c.id, c.risk FROM parties p
                 JOIN cases c ON c.id = p.case_id
                 WHERE p.kind = 'person' AND c.region_code BETWEEN $1 AND $2
                   AND COALESCE(p.id_number_index, p.phone_index) IN (
                     SELECT COALESCE(q.id_number_index, q.phone_index) FROM parties q JOIN cases d ON d.id = q.case_id
                     WHERE q.kind = 'person' AND d.region_code BETWEEN $1 AND $2
                       AND COALESCE(q.id_number_index, q.phone_index) IS NOT NULL
                     GROUP BY COALESCE(q.id_number_index, q.phone_index)
                     HAVING COUNT(DISTINCT q.case_id) >= 2 OR MAX(CASE WHEN d.risk IN ('red', 'orange') THEN 1 ELSE 0 END) = 1)
                 ORDER BY c.id",
                args![low, high],
            )
            .await?;
        let mut people: BTreeMap<String, (String, Vec<i64>, BTreeSet<&'static str>)> = BTreeMap::new();
        for (key, name, case_id, risk) in &rows {
            let entry = people
                .entry(key.clone())
                .or_insert_with(|| (domain::identity::mask_middle(name, 1, 0), Vec::new(), BTreeSet::new()));
            if !entry.1.contains(case_id) {
                entry.1.push(*case_id);
            }
            match risk.as_str() {
                "red" => entry.2.insert("red"),
                "orange" => entry.2.insert("orange"),
                _ => false,
            };
        }
        let mut register: Vec<PersonRisk> = people
            .into_iter()
            .map(|(person_key, (name_masked, case_ids, marks))| {
                let disputes = i64::try_from(case_ids.len()).unwrap_or(i64::MAX);
                let mut reasons = Vec::new();
                let mut level = Risk::None;
                let mut raise = |to: Risk| {
                    if rank(to) < rank(level) {
                        level = to;
                    }
                };
                if marks.contains("red") {
                    raise(Risk::Red);
                    reasons.push(msg!("people_risk.red_case"));
                }
                if marks.contains("orange") {
                    raise(Risk::Orange);
                    reasons.push(msg!("people_risk.orange_case"));
                }
                if disputes >= 2 {
                    raise(if disputes >= 3 { Risk::Orange } else { Risk::Yellow });
                    reasons.push(msg!("people_risk.disputes", cases = disputes));
                }
                PersonRisk { person_key, name_masked, colour: level, reasons, case_ids }
            })
            .filter(|p| p.colour != Risk::None && colour.is_none_or(|c| c == p.colour))
            .collect();
        register.sort_by_key(|p| (rank(p.colour), std::cmp::Reverse(p.case_ids.len())));
        self.execute(
            "INSERT INTO people_register_reads (user_id, unit_id, colour, people, at) VALUES ($1, $2, $3, $4, $5)",
            args![
                viewer.user_id,
                viewer.unit_id,
                colour.map(|c| c.as_str()),
                i64::try_from(register.len()).unwrap_or(i64::MAX),
                to_ms(now)
            ],
        )
        .await?;
        Ok(register)
    }

    /// How many times the register was read (the audit of its reads), for tests and reports.
    pub async fn people_register_reads(&self) -> Result<Vec<(i64, Option<String>, i64)>> {
        self.fetch_all("SELECT user_id, colour, people FROM people_register_reads ORDER BY id", args![]).await
    }
}
