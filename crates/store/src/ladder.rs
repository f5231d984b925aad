//! The supervision ladder beyond a case's clocks (issue 16): a risk list's item not
//! acknowledged by its deadline or not closed by its closing day, a task force's milestone
//! not done by its deadline, a joint meeting's decision not done by its deadline, what a
//! centre owes on a petition (信访) past its statutory day, and a visit to a person who needs
//! attention (重点人员) not made by its day bring a 预警单 and then a 督办令 to each unit
//! responsible — the same notices, numbering and history as the case sweep, issued in the same
//! sweep under its lease. A visit's notices are filed on the watched person, not on a case.
//! Each rung exists once per item, stage, unit and kind (`notices.dedupe_key`); a list item
//! sent back (退回) has a new closing day, and missing it is a stage of its own. Its words are
//! a message of the catalogue kept with the notice (`notices.message`), so that each language
//! reads it in its own; `notices.text` keeps the official text as issued, in Simplified Chinese.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::case::{Category, Channel, Risk};
use domain::clocks::{self, NoticeKind};
use domain::i18n::T;
use domain::msg;
use domain::validation::{Arg, Message};

use crate::org::UnitView;
use crate::sql::{Tx, args};
use crate::supervision::{NewNotice, SweepReport, supervisor_of};
use crate::{Result, Store, rfc3339, to_ms};

/// What the notices of something late are filed on.
#[derive(Debug, Clone, Copy)]
enum Subject {
    /// A case: a list item's first case, a task force's case, a petition's case.
    Case(i64),
    /// A watched person (重点人员) whose visit is overdue: they may have no case.
    Watched(i64),
}

/// Something late that is not a case's clock.
struct Late {
    /// The notices' key before the unit and the rung: `risk_item:12:acknowledge`.
    key: String,
    subject: Subject,
    colour: Risk,
    due_at: i64,
    units: Vec<i64>,
    /// What is late, a message of the catalogue: 风险隐患清单 2026-003 第 2 项未签收（案件 …）.
    what: Message,
}

/// `what` about the case numbered `case`: 风险隐患清单 … 未签收（案件 …）.
fn on_case(what: Message, case: &str) -> Message {
    msg!("ladder.on_case", what = what, case = case)
}

/// Watched person, their name, the grid's name, colour, next visit due, the grid's station or
/// the community's centre.
type VisitRow = (i64, String, String, String, i64, Option<i64>);

/// case, reference, stage, case number, due, risk, owner unit, registering unit.
type PetitionDuty = (i64, String, String, String, i64, String, Option<i64>, i64);

/// item, list number, position, colour, case ids (JSON), due, close by, status, times sent back.
type ItemRow = (i64, String, i64, String, String, i64, Option<i64>, String, i64);

impl Store {
    /// Issues the ladder's notices due as of `now` on list items and milestones; part of the
    /// supervision sweep, under its lease.
    pub(crate) async fn sweep_late_work(&self, now: DateTime<Utc>, report: &mut SweepReport) -> Result<()> {
        let late = self.late_work(now).await?;
        if late.is_empty() {
            return Ok(());
        }
        let context = self.clock_context().await?;
        let units: HashMap<i64, UnitView> = self.units().await?.into_iter().map(|u| (u.id, u)).collect();
        let organisation = self.triage_context().await?;
        for item in late {
            let policy = context.policy(Category::Other, Channel::Window, item.colour);
            let Some((kind, _)) = clocks::overdue_rung(crate::from_ms(item.due_at), &policy, &context.calendar, now)
            else {
                continue;
            };
            let mut tx = self.begin().await?;
            for unit in &item.units {
                if let Some(id) =
                    self.late_notice(&mut tx, &item, *unit, kind, &units, organisation.centres(), now).await?
                {
                    report.notices_issued += 1;
                    report.issued.push(id);
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// The list items not acknowledged or not closed in time, the milestones and the joint
    /// meetings' decisions not done.
    async fn late_work(&self, now: DateTime<Utc>) -> Result<Vec<Late>> {
        let now = to_ms(now);
        let items: Vec<ItemRow> = self
            .fetch_all(
                "SELECT i.id, l.number, i.position, i.colour, i.case_ids, i.due_at, i.close_by, i.status,
                    (SELECT COUNT(*) FROM risk_item_events e WHERE e.item_id = i.id AND e.action = 'send_back')
                 FROM risk_items i JOIN risk_lists l ON l.id = i.list_id
                 WHERE i.status <> 'closed' AND (i.due_at <= $1 OR i.close_by <= $1)",
                args![now],
            )
            .await?;
        let mut late = Vec::new();
        for (id, number, position, colour, case_ids, due_at, close_by, status, sent_back) in items {
            let case_ids: Vec<i64> = serde_json::from_str(&case_ids).unwrap_or_default();
            let Some(&case_id) = case_ids.first() else { continue };
            let (case_number,): (String,) =
                self.fetch_one("SELECT number FROM cases WHERE id = $1", args![case_id]).await?;
            let units: Vec<(i64,)> = self
                .fetch_all("SELECT unit_id FROM risk_item_units WHERE item_id = $1 ORDER BY unit_id", args![id])
                .await?;
            let units: Vec<i64> = units.into_iter().map(|(u,)| u).collect();
            let colour = Risk::parse(&colour).unwrap_or(Risk::Yellow);
            let item = |stage: &str, due_at: i64, what: Message| Late {
                key: format!("risk_item:{id}:{stage}"),
                subject: Subject::Case(case_id),
                colour,
                due_at,
                units: units.clone(),
                what: on_case(what, &case_number),
            };
            if status == "issued" && due_at <= now {
                late.push(item(
                    "acknowledge",
                    due_at,
                    msg!("ladder.risk_item_unacknowledged", number = number.as_str(), position = position + 1),
                ));
            }
            if let Some(close_by) = close_by.filter(|at| *at <= now) {
                // Each send back sets a new closing day: missing it climbs afresh.
                let stage = if sent_back == 0 { "close".to_owned() } else { format!("close-{}", sent_back + 1) };
                late.push(item(
                    &stage,
                    close_by,
                    msg!("ladder.risk_item_unclosed", number = number.as_str(), position = position + 1),
                ));
            }
        }
        let milestones: Vec<(i64, String, i64, String, i64, String, i64)> = self
            .fetch_all(
                "SELECT m.id, m.title, m.unit_id, c.number, c.id, c.risk, m.due_at FROM task_force_milestones m
                 JOIN task_forces t ON t.id = m.task_force_id JOIN cases c ON c.id = t.case_id
                 WHERE m.done_at IS NULL AND m.due_at <= $1 ORDER BY m.id",
                args![now],
            )
            .await?;
        late.extend(milestones.into_iter().map(|(id, title, unit, case_number, case_id, risk, due_at)| Late {
            key: format!("milestone:{id}"),
            subject: Subject::Case(case_id),
            colour: Risk::parse(&risk).unwrap_or(Risk::None),
            due_at,
            units: vec![unit],
            what: on_case(msg!("ladder.milestone", title = title), &case_number),
        }));
        // A joint meeting's decision on an item that names no case has no case to file a
        // notice on: it only shows as overdue.
        let decisions: Vec<(i64, String, i64, String, i64)> = self
            .fetch_all(
                "SELECT d.id, m.number, d.unit_id, a.case_ids, d.due_at FROM joint_decisions d
                 JOIN joint_meetings m ON m.id = d.meeting_id JOIN joint_agenda_items a ON a.id = d.item_id
                 WHERE d.status <> 'done' AND d.due_at <= $1 ORDER BY d.id",
                args![now],
            )
            .await?;
        for (id, number, unit, case_ids, due_at) in decisions {
            let case_ids: Vec<i64> = serde_json::from_str(&case_ids).unwrap_or_default();
            let Some(&case_id) = case_ids.first() else { continue };
            let (case_number, risk): (String, String) =
                self.fetch_one("SELECT number, risk FROM cases WHERE id = $1", args![case_id]).await?;
            late.push(Late {
                key: format!("joint_decision:{id}"),
                subject: Subject::Case(case_id),
                colour: Risk::parse(&risk).unwrap_or(Risk::None),
                due_at,
                units: vec![unit],
                what: on_case(msg!("ladder.joint_decision", number = number), &case_number),
            });
        }
        // 信访: what the centre owes on a petition (accept or transfer on, the 信访处理意见书,
        // the answer to a 复查 or 复核) climbs the ladder once its statutory day has passed, to
        // the centre responsible for the case.
        let petitions: Vec<PetitionDuty> = self
            .fetch_all(
                "SELECT p.case_id, p.reference, p.stage, c.number, p.duty_by, c.risk, c.owner_unit_id, c.registering_unit_id
                 FROM petitions p JOIN cases c ON c.id = p.case_id
                 WHERE p.duty_by <= $1 ORDER BY p.case_id",
                args![now],
            )
            .await?;
        for (case_id, reference, stage, case_number, due_at, risk, owner, registering) in petitions {
            let key = match stage.as_str() {
                "received" => "ladder.petition_received",
                "accepted" => "ladder.petition_accepted",
                "reviewing" => "ladder.petition_reviewing",
                "rechecking" => "ladder.petition_rechecking",
                _ => continue,
            };
            late.push(Late {
                key: format!("petition:{case_id}:{stage}:{due_at}"),
                subject: Subject::Case(case_id),
                colour: Risk::parse(&risk).unwrap_or(Risk::None),
                due_at,
                units: vec![owner.unwrap_or(registering)],
                what: on_case(Message::new(key).with("reference", reference.as_str()), &case_number),
            });
        }
        // 重点人员: an active entry's visit not made by its day, to the grid's station (else the
        // community's centre). The rung's key holds the day missed: a visit made late moves it,
        // and the next one missed climbs afresh.
        let visits: Vec<VisitRow> = self
            .fetch_all(
                "SELECT w.id, w.name, g.name, w.colour, w.next_visit_due,
                    COALESCE((SELECT MIN(u.id) FROM units u WHERE u.active AND u.grid_id = w.grid_id),
                             (SELECT MIN(u.id) FROM units u WHERE u.active AND u.kind = 'centre' AND u.region_code = w.region_code))
                 FROM watched_people w JOIN grids g ON g.id = w.grid_id
                 WHERE w.status = 'active' AND w.next_visit_due <= $1 ORDER BY w.id",
                args![now],
            )
            .await?;
        for (id, name, grid, colour, due_at, unit) in visits {
            let Some(unit) = unit else { continue };
            late.push(Late {
                key: format!("watch_visit:{id}:{due_at}"),
                subject: Subject::Watched(id),
                colour: Risk::parse(&colour).unwrap_or(Risk::Yellow),
                due_at,
                units: vec![unit],
                what: msg!("ladder.watch_visit", name = crate::export::mask_name("person", &name), grid = grid),
            });
        }
        Ok(late)
    }

    /// Issues one rung to one unit unless it exists; its id when issued.
    #[allow(clippy::too_many_arguments)]
    async fn late_notice(
        &self,
        tx: &mut Tx,
        item: &Late,
        unit: i64,
        kind: NoticeKind,
        units: &HashMap<i64, UnitView>,
        centres: &[triage::routing::Centre],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let key = |kind: NoticeKind| format!("{}:{unit}:{kind}", item.key);
        let exists: Option<(i64,)> =
            tx.fetch_optional("SELECT id FROM notices WHERE dedupe_key = $1", args![key(kind)]).await?;
        if exists.is_some() {
            return Ok(None);
        }
        let supervisor = supervisor_of(unit, units, centres);
        let (cc, issuer) = match kind {
            NoticeKind::Order => (None, supervisor.and_then(|s| supervisor_of(s, units, centres)).or(supervisor)),
            _ => (supervisor, supervisor),
        };
        let name = |id: Option<i64>| id.and_then(|id| units.get(&id)).map(|u| u.name.clone()).unwrap_or_default();
        let due = rfc3339(item.due_at).replace('T', " ");
        let due = &due[..16];
        let recipient = name(Some(unit));
        let message = match kind {
            NoticeKind::Order => {
                // A late sweep issues the order alone; it says so when the warning never went out.
                let warned: Option<(i64,)> = tx
                    .fetch_optional("SELECT id FROM notices WHERE dedupe_key = $1", args![key(NoticeKind::Warning)])
                    .await?;
                let stands = if warned.is_none() {
                    vec![msg!("notice.stands_for", kinds = Arg::Code("notice".into(), NoticeKind::Warning.to_string()))]
                } else {
                    Vec::new()
                };
                msg!(
                    "ladder.order",
                    recipient = recipient,
                    what = item.what.clone(),
                    due = due,
                    issuer = name(issuer),
                    stands = Arg::List(stands)
                )
            }
            _ => {
                let copy = cc.map(|cc| msg!("ladder.copy", unit = name(Some(cc)))).into_iter().collect();
                msg!(
                    "ladder.warning",
                    recipient = recipient,
                    what = item.what.clone(),
                    due = due,
                    copy = Arg::List(copy)
                )
            }
        };
        let (case_id, watched_person_id) = match item.subject {
            Subject::Case(id) => (Some(id), None),
            Subject::Watched(id) => (None, Some(id)),
        };
        let id = self
            .notice_insert(
                tx,
                NewNotice {
                    kind,
                    case_id,
                    watched_person_id,
                    clock: None,
                    unit_id: unit,
                    cc_unit_id: cc,
                    issuer_unit_id: issuer,
                    due_at: Some(crate::from_ms(item.due_at)),
                    text: T::default().msg(&message),
                    message: Some(message),
                    dedupe_key: Some(key(kind)),
                    issued_by: None,
                },
                "system",
                now,
            )
            .await?;
        Ok(Some(id))
    }
}
