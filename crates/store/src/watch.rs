//! 重点人员: the register of people who need attention as rows — `watched_people` (personal
//! data encrypted, masked and blind-indexed like a party's) and each entry's history in
//! `watch_events` — read within the viewer's territory (a grid worker's own grid, a centre's
//! subtree of regions), every look recorded in `people_register_reads`.

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission};
use domain::case::Risk;
use domain::msg;
use domain::validation::FieldError;
use domain::watch::{self, NewVisit, NewWatch, Schedule, VisitDue, VisitOutcome, WatchStatus, WatchedPerson};

use crate::grid::{Page, Territory};
use crate::sql::{args, from_row};
use crate::{Result, Store, StoreError, Viewer, to_ms};

/// An entry of the register as its list and page show it (the history is read for one entry,
/// empty in a list). Never the full ID number; the phone and address only on the entry's page.
#[derive(Debug, Clone)]
pub struct WatchView {
    pub id: i64,
    pub grid_id: i64,
    pub grid_name: String,
    pub region_code: String,
    pub name: String,
    pub id_number_masked: Option<String>,
    pub phone_masked: Option<String>,
    pub reason: String,
    pub detail: Option<String>,
    pub flagged_by: Option<String>,
    pub colour: String,
    pub visit_every_days: i64,
    pub status: String,
    pub next_visit_due: Option<DateTime<Utc>>,
    /// Where the next visit stands: overdue | soon | scheduled (none once released).
    pub visit_due: Option<VisitDue>,
    pub entered_at: DateTime<Utc>,
    pub last_visit_at: Option<DateTime<Utc>>,
    /// What the last visit found.
    pub last_situation: Option<String>,
    /// The full phone and the address, for the worker who visits (an entry's page only).
    pub phone: Option<String>,
    pub address: Option<String>,
    pub events: Vec<WatchEvent>,
}
from_row!(
    WatchView {
        id,
        grid_id,
        grid_name,
        region_code,
        name,
        id_number_masked,
        phone_masked,
        reason,
        detail,
        flagged_by,
        colour,
        visit_every_days,
        status,
        last_situation
    },
    time { next_visit_due, entered_at, last_visit_at },
    default { visit_due, phone, address, events }
);

impl WatchView {
    fn due_at(mut self, now: DateTime<Utc>) -> Self {
        self.visit_due = self.next_visit_due.map(|due| watch::visit_due(due, now));
        self
    }
}

/// One step of an entry's history: who did what, when, with what it found or said.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    /// enter | visit | schedule | escalate | release
    pub action: String,
    /// A visit's finding; for an escalation, the finding of the visit that caused it.
    pub situation: Option<String>,
    pub colour: String,
    pub visit_every_days: i64,
    pub text: Option<String>,
    pub user_name: Option<String>,
    pub at: DateTime<Utc>,
}
from_row!(WatchEvent { action, situation, colour, visit_every_days, text, user_name }, time { at });

/// Which entries a page shows.
#[derive(Debug, Clone)]
pub struct WatchFilter {
    pub status: WatchStatus,
    pub colour: Option<Risk>,
    pub grid_id: Option<i64>,
    /// Only the entries whose visit is overdue, or due within three days (overdue included).
    pub due: Option<VisitDue>,
    pub limit: i64,
    pub offset: i64,
}

/// The register's counts of the viewer's territory, for the workbench.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchCounts {
    pub active: i64,
    /// Visits overdue.
    pub overdue: i64,
    /// Visits due within three days, overdue ones included.
    pub due_soon: i64,
}

const WATCH_COLUMNS: &str = "w.id, w.grid_id, g.name AS grid_name, w.region_code, w.name, w.id_number_masked,
    w.phone_masked, w.reason, w.detail, w.flagged_by, w.colour, w.visit_every_days, w.status, w.next_visit_due,
    w.entered_at,
    (SELECT MAX(e.at) FROM watch_events e WHERE e.person_id = w.id AND e.action = 'visit') AS last_visit_at,
    (SELECT e.situation FROM watch_events e WHERE e.person_id = w.id AND e.action = 'visit'
     ORDER BY e.at DESC, e.id DESC LIMIT 1) AS last_situation";
const WATCH_FROM: &str = "watched_people w JOIN grids g ON g.id = w.grid_id";

/// The personal data of an entry as stored: encrypted, indexed and masked.
struct StoredPerson {
    key: String,
    name: String,
    id_number: Option<(String, String, String)>,
    phone: Option<(String, String, String)>,
    address: Option<String>,
}

impl Store {
    /// How far the viewer sees the register: those who read it, their scope; a grid worker who
    /// visits, their own grid.
    async fn watch_territory(&self, viewer: &Viewer) -> Result<Territory> {
        let permission = if authz::grant(viewer.role, Permission::PeopleRiskRead).is_some() {
            Permission::PeopleRiskRead
        } else {
            Permission::PeopleVisit
        };
        self.territory(viewer, permission).await
    }

    /// 列管: puts a person on the register, in a grid of the viewer's scope. 422 for a person key
    /// the viewer's cases do not know; 409 when the person is on the register already.
    pub async fn watch_enter(&self, viewer: &Viewer, entry: NewWatch, now: DateTime<Utc>) -> Result<WatchView> {
        let (grid, community) = self.grid_for(viewer, Permission::PeopleWatchManage, Some(entry.grid_id)).await?;
        let person = match &entry.person {
            WatchedPerson::Given { name, id_number, phone } => StoredPerson {
                key: match (id_number, phone) {
                    (Some(id), _) => self.crypto.blind_index(id.as_str()),
                    (None, Some(phone)) => self.crypto.blind_index(phone.as_str()),
                    (None, None) => return Err(StoreError::invalid(FieldError::required("id_number"))),
                },
                name: name.clone(),
                id_number: id_number
                    .as_ref()
                    .map(|i| (self.crypto.encrypt(i.as_str()), self.crypto.blind_index(i.as_str()), i.masked())),
                phone: phone
                    .as_ref()
                    .map(|p| (self.crypto.encrypt(p.as_str()), self.crypto.blind_index(p.as_str()), p.masked())),
                address: entry.address.as_deref().map(|a| self.crypto.encrypt(a)),
            },
            WatchedPerson::Known { person_key } => self.known_person(viewer, person_key, &entry).await?,
        };
        let due = watch::next_visit_due(now, entry.visit_every_days);
        let (id_number, id_index, id_masked) = person.id_number.unzip3();
        let (phone, phone_index, phone_masked) = person.phone.unzip3();
        let mut tx = self.begin().await?;
        let inserted: Result<(i64,)> = tx
            .fetch_one(
                "INSERT INTO watched_people (grid_id, region_code, person_key, name, id_number_cipher, id_number_index,
                    id_number_masked, phone_cipher, phone_index, phone_masked, address_cipher, reason, detail, flagged_by, colour,
                    visit_every_days, next_visit_due, status, entered_by, entered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'active', $18, $19)
                 RETURNING id",
                args![
                    grid,
                    community,
                    person.key,
                    person.name,
                    id_number,
                    id_index,
                    id_masked,
                    phone,
                    phone_index,
                    phone_masked,
                    person.address,
                    entry.reason.as_str(),
                    entry.detail.clone(),
                    entry.flagged_by.clone(),
                    entry.colour.as_str(),
                    entry.visit_every_days,
                    to_ms(due),
                    viewer.user_id,
                    to_ms(now)
                ],
            )
            .await;
        let (id,) = match inserted {
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                return Err(StoreError::conflict("watch_listed", msg!("watch.already_listed")));
            }
            other => other?,
        };
        let text = entry.detail.clone();
        watch_event(&mut tx, viewer, id, "enter", None, entry.colour, entry.visit_every_days, text, now).await?;
        tx.commit().await?;
        self.watch_row(id, now).await
    }

    /// The personal data of someone the computed register lists (`people_risk`), from their
    /// latest case in the viewer's scope.
    async fn known_person(&self, viewer: &Viewer, key: &str, entry: &NewWatch) -> Result<StoredPerson> {
        let (low, high) = viewer.scope.region.subtree_range();
        type Row = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = self
            .fetch_optional(
                "SELECT p.name, p.id_number_cipher, p.id_number_masked, p.phone_cipher, p.phone_masked, p.address_cipher
                 FROM parties p
                 JOIN cases c ON c.id = p.case_id
                 WHERE p.kind = 'person' AND COALESCE(p.id_number_index, p.phone_index) = $1
                   AND c.region_code BETWEEN $2 AND $3
                 ORDER BY c.id DESC LIMIT 1",
                args![key, low, high],
            )
            .await?;
        let Some((name, id_number, id_masked, phone, phone_masked, address)) = row else {
            return Err(StoreError::invalid(FieldError::new("person_key", "unknown", msg!("watch.unknown_person"))));
        };
        let decrypt = |stored: Option<String>| stored.map(|s| self.crypto.decrypt(&s)).transpose();
        let (id_plain, phone_plain) = (decrypt(id_number.clone())?, decrypt(phone.clone())?);
        Ok(StoredPerson {
            key: key.to_owned(),
            name,
            id_number: id_number.zip(id_masked).map(|(cipher, masked)| {
                (cipher, self.crypto.blind_index(id_plain.as_deref().unwrap_or_default()), masked)
            }),
            phone: phone.zip(phone_masked).map(|(cipher, masked)| {
                (cipher, self.crypto.blind_index(phone_plain.as_deref().unwrap_or_default()), masked)
            }),
            address: entry.address.as_deref().map(|a| self.crypto.encrypt(a)).or(address),
        })
    }

    /// A page of the register of the viewer's territory — overdue visits first, then by due
    /// date — and the look recorded.
    pub async fn watch_list(
        &self,
        viewer: &Viewer,
        filter: &WatchFilter,
        now: DateTime<Utc>,
    ) -> Result<Page<WatchView>> {
        let territory = self.watch_territory(viewer).await?;
        let (mut condition, mut a) = territory.condition("w.grid_id", "w.region_code", 1);
        a.push(filter.status.as_str().into());
        condition += &format!(" AND w.status = ${}", a.len());
        if let Some(colour) = filter.colour {
            a.push(colour.as_str().into());
            condition += &format!(" AND w.colour = ${}", a.len());
        }
        if let Some(grid) = filter.grid_id {
            a.push(grid.into());
            condition += &format!(" AND w.grid_id = ${}", a.len());
        }
        if let Some(due) = filter.due {
            let (op, by) = match due {
                VisitDue::Overdue => ("<", now),
                VisitDue::Soon | VisitDue::Scheduled => ("<=", now + chrono::Duration::days(watch::SOON_DAYS)),
            };
            a.push(to_ms(by).into());
            condition += &format!(" AND w.next_visit_due {op} ${}", a.len());
        }
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM watched_people w WHERE {condition}"), a.clone()).await?;
        let n = a.len();
        a.extend(args![filter.limit, filter.offset]);
        let sql = format!(
            "SELECT {WATCH_COLUMNS} FROM {WATCH_FROM} WHERE {condition}
             ORDER BY w.next_visit_due, w.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let items: Vec<WatchView> = self.fetch_all(&sql, a).await?;
        let items = items.into_iter().map(|v| v.due_at(now)).collect();
        self.register_read(viewer, filter.colour, total, None, now).await?;
        Ok(Page { items, total })
    }

    /// One entry of the viewer's territory with its history, phone and address (404 outside
    /// it); the look recorded.
    pub async fn watch_get(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<WatchView> {
        let territory = self.watch_territory(viewer).await?;
        let mut view = self.watch_row(id, now).await?;
        if !territory.covers(view.grid_id, &view.region_code) {
            return Err(StoreError::NotFound { what: "watched person" });
        }
        let (phone, address): (Option<String>, Option<String>) =
            self.fetch_one("SELECT phone_cipher, address_cipher FROM watched_people WHERE id = $1", args![id]).await?;
        let decrypt = |stored: Option<String>| stored.map(|s| self.crypto.decrypt(&s)).transpose();
        view.phone = decrypt(phone)?;
        view.address = decrypt(address)?;
        view.events = self
            .fetch_all(
                "SELECT e.action, e.situation, e.colour, e.visit_every_days, e.text, u.display_name AS user_name, e.at
                 FROM watch_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.person_id = $1 ORDER BY e.id DESC",
                args![id],
            )
            .await?;
        self.register_read(viewer, None, 1, Some(id), now).await?;
        Ok(view)
    }

    async fn watch_row(&self, id: i64, now: DateTime<Utc>) -> Result<WatchView> {
        let view: WatchView = self
            .fetch_optional(&format!("SELECT {WATCH_COLUMNS} FROM {WATCH_FROM} WHERE w.id = $1"), args![id])
            .await?
            .ok_or(StoreError::NotFound { what: "watched person" })?;
        Ok(view.due_at(now))
    }

    /// An active entry of the viewer's territory for `permission`, locked: 404 outside it, 409
    /// once released. Returns its colour, interval, entry time and community.
    async fn watch_lock(
        &self,
        tx: &mut crate::sql::Tx,
        viewer: &Viewer,
        permission: Permission,
        id: i64,
    ) -> Result<(Risk, i64, i64, String)> {
        let territory = self.territory(viewer, permission).await?;
        let row: Option<(i64, String, String, String, i64, i64)> = tx
            .fetch_optional_for_update(
                "SELECT grid_id, region_code, status, colour, visit_every_days, entered_at FROM watched_people WHERE id = $1",
                args![id],
            )
            .await?;
        let Some((grid, region, status, colour, every, entered_at)) = row else {
            return Err(StoreError::NotFound { what: "watched person" });
        };
        if !territory.covers(grid, &region) {
            return Err(StoreError::NotFound { what: "watched person" });
        }
        if status != WatchStatus::Active.as_str() {
            return Err(StoreError::conflict("watch_released", msg!("watch.released")));
        }
        Ok((Risk::parse(&colour).unwrap_or(Risk::Yellow), every, entered_at, region))
    }

    /// 走访: records a visit of an active entry of the viewer's grid or territory and schedules
    /// the next from the latest visit. When the visit escalates (asked, or not met twice
    /// running) the entry turns red, is visited at least weekly, and an alert opens for the
    /// centre naming the person's cases.
    pub async fn watch_visit(
        &self,
        viewer: &Viewer,
        id: i64,
        visit: NewVisit,
        now: DateTime<Utc>,
    ) -> Result<WatchView> {
        let mut tx = self.begin().await?;
        let (mut colour, mut every, _, region) = self.watch_lock(&mut tx, viewer, Permission::PeopleVisit, id).await?;
        let previous: Option<(String, i64)> = tx
            .fetch_optional(
                "SELECT situation, at FROM watch_events WHERE person_id = $1 AND action = 'visit'
                 ORDER BY at DESC, id DESC LIMIT 1",
                args![id],
            )
            .await?;
        let latest = previous.as_ref().map_or(visit.visited_at, |(_, at)| crate::from_ms(*at).max(visit.visited_at));
        // A visit recorded late, before the latest one, does not make a streak with it.
        let before = previous
            .filter(|(_, at)| crate::from_ms(*at) <= visit.visited_at)
            .and_then(|(situation, _)| VisitOutcome::parse(&situation));
        let escalation = watch::escalation(visit.outcome, before);
        watch_event(
            &mut tx,
            viewer,
            id,
            "visit",
            Some(visit.outcome),
            colour,
            every,
            visit.note.clone(),
            visit.visited_at,
        )
        .await?;
        if escalation.is_some() {
            colour = Risk::Red;
            every = every.min(watch::default_interval(Risk::Red));
            watch_event(&mut tx, viewer, id, "escalate", Some(visit.outcome), colour, every, None, now).await?;
        }
        tx.execute(
            "UPDATE watched_people SET colour = $1, visit_every_days = $2, next_visit_due = $3 WHERE id = $4",
            args![colour.as_str(), every, to_ms(watch::next_visit_due(latest, every)), id],
        )
        .await?;
        tx.commit().await?;
        let view = self.watch_row(id, now).await?;
        if let Some(why) = escalation {
            let cases: Vec<(i64,)> = self
                .fetch_all(
                    "SELECT case_id FROM parties WHERE id_number_index = (SELECT person_key FROM watched_people WHERE id = $1)
                     UNION SELECT case_id FROM parties WHERE phone_index = (SELECT person_key FROM watched_people WHERE id = $1)
                     ORDER BY case_id LIMIT 50",
                    args![id],
                )
                .await?;
            let reasons = [msg!("watch.alert_person", name = domain::identity::mask_middle(&view.name, 1, 0)), why];
            let case_ids: Vec<i64> = cases.into_iter().map(|(c,)| c).collect();
            self.alert_open(("watch_visit", &format!("watch:{id}")), Risk::Red, &reasons, &case_ids, &region, now)
                .await?;
        }
        Ok(view)
    }

    /// Changes an active entry's colour and interval; the next visit is rescheduled from the
    /// latest visit (or the entry).
    pub async fn watch_schedule(
        &self,
        viewer: &Viewer,
        id: i64,
        schedule: Schedule,
        now: DateTime<Utc>,
    ) -> Result<WatchView> {
        let mut tx = self.begin().await?;
        let (_, _, entered_at, _) = self.watch_lock(&mut tx, viewer, Permission::PeopleWatchManage, id).await?;
        let (last,): (Option<i64>,) = tx
            .fetch_one("SELECT MAX(at) FROM watch_events WHERE person_id = $1 AND action = 'visit'", args![id])
            .await?;
        let from = crate::from_ms(last.unwrap_or(entered_at));
        tx.execute(
            "UPDATE watched_people SET colour = $1, visit_every_days = $2, next_visit_due = $3 WHERE id = $4",
            args![
                schedule.colour.as_str(),
                schedule.visit_every_days,
                to_ms(watch::next_visit_due(from, schedule.visit_every_days)),
                id
            ],
        )
        .await?;
        watch_event(&mut tx, viewer, id, "schedule", None, schedule.colour, schedule.visit_every_days, None, now)
            .await?;
        tx.commit().await?;
        self.watch_row(id, now).await
    }

    /// 解除列管: releases an active entry with the reason; no more visits fall due.
    pub async fn watch_release(
        &self,
        viewer: &Viewer,
        id: i64,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<WatchView> {
        let mut tx = self.begin().await?;
        let (colour, every, _, _) = self.watch_lock(&mut tx, viewer, Permission::PeopleWatchManage, id).await?;
        tx.execute(
            "UPDATE watched_people SET status = 'released', next_visit_due = NULL, released_at = $1 WHERE id = $2",
            args![to_ms(now), id],
        )
        .await?;
        watch_event(&mut tx, viewer, id, "release", None, colour, every, Some(reason), now).await?;
        tx.commit().await?;
        self.watch_row(id, now).await
    }

    /// The counts of the register in the viewer's territory (no one's data: not a look).
    pub async fn watch_counts(&self, viewer: &Viewer, now: DateTime<Utc>) -> Result<WatchCounts> {
        let territory = self.watch_territory(viewer).await?;
        let (condition, mut a) = territory.condition("w.grid_id", "w.region_code", 3);
        let mut all = args![to_ms(now), to_ms(now + chrono::Duration::days(watch::SOON_DAYS))];
        all.append(&mut a);
        let (active, overdue, due_soon): (i64, Option<i64>, Option<i64>) = self
            .fetch_one(
                &format!(
                    "SELECT COUNT(*), SUM(CASE WHEN w.next_visit_due < $1 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN w.next_visit_due <= $2 THEN 1 ELSE 0 END)
                     FROM watched_people w WHERE w.status = 'active' AND {condition}"
                ),
                all,
            )
            .await?;
        Ok(WatchCounts { active, overdue: overdue.unwrap_or(0), due_soon: due_soon.unwrap_or(0) })
    }

    /// Records a look at the register: a list (`watched` absent, `people` its size) or one entry.
    pub(crate) async fn register_read(
        &self,
        viewer: &Viewer,
        colour: Option<Risk>,
        people: i64,
        watched: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO people_register_reads (user_id, unit_id, colour, people, watched_id, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![viewer.user_id, viewer.unit_id, colour.map(|c| c.as_str()), people, watched, to_ms(now)],
        )
        .await?;
        Ok(())
    }
}

/// Appends a step to an entry's history.
#[allow(clippy::too_many_arguments)]
async fn watch_event(
    tx: &mut crate::sql::Tx,
    viewer: &Viewer,
    id: i64,
    action: &str,
    situation: Option<VisitOutcome>,
    colour: Risk,
    every: i64,
    text: Option<String>,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO watch_events (person_id, action, situation, colour, visit_every_days, text, user_id, unit_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            id,
            action,
            situation.map(|s| s.as_str()),
            colour.as_str(),
            every,
            text,
            viewer.user_id,
            viewer.unit_id,
            to_ms(at)
        ],
    )
    .await?;
    Ok(())
}

/// Splits an optional triple into three optionals.
trait Unzip3 {
    fn unzip3(self) -> (Option<String>, Option<String>, Option<String>);
}

impl Unzip3 for Option<(String, String, String)> {
    fn unzip3(self) -> (Option<String>, Option<String>, Option<String>) {
        match self {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        }
    }
}
