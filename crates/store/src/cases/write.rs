//! The one case writer: a case row, its parties and its history from values already decided.
//!
//! Registration writes one new case inside its transaction ([`Store::case_insert`]); the
//! fixtures' generator writes whole histories in batches ([`Store::cases_write`], for fixtures
//! and bench only). Both go through the same column list, the same encryption of the parties'
//! personal data, the same event hashing and the same derivations: the deadlines from the
//! case's facts (never written by the caller) and the statistics rollups from its events
//! (the definitions the recount applies).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::case::{Category, Channel, NewParty, Outcome, PartyKind, Risk, Status};
use domain::case_number::CaseNumberFormat;
use domain::history::{EventFields, GENESIS, event_hash, hex};
use domain::org::RegionLevel;
use domain::stats::Counts;
use domain::validation::Message;
use domain::workflow::Satisfaction;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{address_key, name_key, owned};
use crate::calendar::ClockContext;
use crate::command::DueCountChanges;
use crate::figures::figures_refresh;
use crate::place_risk::PlaceCountChanges;
use crate::sql::{Arg, Tx, args};
use crate::stats::{day_of, event_counts};
use crate::supervision::{ClockRow, DEADLINE_COLUMNS, DeadlineColumns};
use crate::{Crypto, Result, Store, to_ms};

/// A case row as written: every value decided by the caller (registration's triage, or a
/// generator's plan). The deadlines, `updated_at` and the history's head are the writer's.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub number: String,
    /// Counts state changes.
    pub version: i64,
    pub status: Status,
    pub channel: Channel,
    pub category: Category,
    /// client | suggested
    pub category_source: String,
    pub category_suggestion: Option<serde_json::Value>,
    pub risk: Risk,
    /// Kept as a JSON array of messages.
    pub risk_reasons: Vec<Message>,
    /// The 110/120 instruction given at intake, if any: kept as the message's JSON.
    pub emergency: Option<Message>,
    pub title: Option<String>,
    pub description: String,
    pub amount_fen: Option<i64>,
    pub people_count: i64,
    pub occurred_at: Option<DateTime<Utc>>,
    pub address: Option<String>,
    pub region_code: String,
    pub grid_id: Option<i64>,
    /// The level handling the case now.
    pub level: RegionLevel,
    pub routing: serde_json::Value,
    pub registering_unit_id: i64,
    pub registered_by: i64,
    /// The centre responsible now.
    pub owner_unit_id: i64,
    pub external_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    pub progress: Progress,
}

/// What has happened to a case since its registration: nothing yet for a new one
/// (`Progress::default()`).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub lead_unit_id: Option<i64>,
    pub outcome: Option<Outcome>,
    pub summary: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    /// Of the current hop.
    pub dispatched_at: Option<DateTime<Utc>>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub followed_up_at: Option<DateTime<Utc>>,
}

/// One event of a case's history, before it is chained.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub at: DateTime<Utc>,
    /// The username of who acted.
    pub actor: String,
    pub action: String,
    pub data: serde_json::Value,
}

/// One hop: a dispatch to a lead unit, and how it ended.
#[derive(Debug, Clone)]
pub struct HopRecord {
    pub unit_id: i64,
    pub assist_unit_ids: Vec<i64>,
    pub dispatched_by: i64,
    pub dispatched_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_reason: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A whole case with its id, as [`Store::cases_write`] takes it: the row, the parties, the
/// history from the registration on, the hops and the units assigned now.
#[derive(Debug, Clone)]
pub struct CaseHistory {
    pub id: i64,
    pub case: CaseRecord,
    pub parties: Vec<NewParty>,
    pub events: Vec<EventRecord>,
    pub hops: Vec<HopRecord>,
    /// (unit, role): lead | assist | court.
    pub assigned: Vec<(i64, &'static str)>,
}

/// The columns of a case row the writer sets, in the order of [`case_values`].
const CASE_COLUMNS: &str = "number, version, status, channel, category, category_source, category_suggestion, risk, risk_reasons,
    emergency, title, description, amount_fen, people_count, occurred_at, address, address_key, region_code, grid_id, level, routing,
    registering_unit_id, registered_by, owner_unit_id, external_ref, lead_unit_id, outcome, summary, satisfaction,
    contacted_at, first_dispatched_at, dispatched_at, rejected_at, concluded_at, followed_up_at,
    respond_by, dispatch_by, conclude_by, follow_up_by, next_due_at, next_notice_at, deadlines_provisional,
    due_unit_id, due_day, created_at, updated_at, event_seq, event_hash";

const PARTY_COLUMNS: &str =
    "case_id, position, role, kind, name, name_key, id_number_cipher, id_number_index, id_number_masked,
    credit_code, phone_cipher, phone_index, phone_masked, address_cipher, address_index";

pub(crate) const EVENT_COLUMNS: &str = "case_id, seq, at, actor, action, data, hash";

/// The columns of a case row that its history does not vouch for: the deadlines and where the
/// case counts among the open cases' dues ([`DEADLINE_COLUMNS`]: derived from the facts, the
/// calendar and the clock policy, and recomputed whenever those change, so no event writes
/// them), `updated_at` (the search feed's marker) and the head (the chain itself
/// checks it). Every other column is recorded by the event that last wrote the row.
fn unrecorded_case_column(column: &str) -> bool {
    DEADLINE_COLUMNS.contains(&column) || ["updated_at", "event_seq", "event_hash"].contains(&column)
}

fn column_names(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim)
}

/// The case-row columns an event records, in the order of [`CASE_COLUMNS`].
fn recorded_case_columns() -> impl Iterator<Item = &'static str> {
    column_names(CASE_COLUMNS).filter(|c| !unrecorded_case_column(c))
}

/// One stored value in the canonical form both databases produce with [`canonical_sql`]:
/// its length in characters, a colon and its text; `-` for NULL. (The recorded columns hold
/// integers and text, never booleans.)
fn canonical_value(value: &Arg) -> String {
    let text = match value {
        Arg::Int(v) => v.map(|v| v.to_string()),
        Arg::Text(v) => v.clone(),
        Arg::Bool(b) => Some(i64::from(*b).to_string()),
    };
    text.map_or_else(|| "-".to_owned(), |t| format!("{}:{t}", t.chars().count()))
}

/// The SQL expression that renders `columns` of a row as [`canonical_value`]s joined by commas,
/// so that `audit verify` reads one text per row on either database.
pub(crate) fn canonical_sql(columns: impl Iterator<Item = impl std::fmt::Display>) -> String {
    columns
        .map(|c| format!("COALESCE(CAST(LENGTH(CAST({c} AS TEXT)) AS TEXT) || ':' || CAST({c} AS TEXT), '-')"))
        .collect::<Vec<_>>()
        .join(" || ',' || ")
}

/// The canonical text of a case row's recorded columns, as SQL over `cases`.
pub(crate) fn case_canonical_sql() -> String {
    canonical_sql(recorded_case_columns())
}

/// The canonical text of a party row (every column), as SQL over `parties`.
pub(crate) fn party_canonical_sql() -> String {
    canonical_sql(column_names(PARTY_COLUMNS))
}

/// SHA-256 (hex) of a row's canonical text.
pub(crate) fn canonical_digest(canonical: &str) -> String {
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// SHA-256 (hex) over a case's party rows' canonical texts, in `position` order.
pub(crate) fn parties_digest<'a>(canonical_rows: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for row in canonical_rows {
        hasher.update(row.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

/// What an event that writes a case row records of it: the digests of the row's recorded
/// columns and of its party rows as they stand after the event (`"recorded"` in its data).
/// `audit verify` recomputes both from the rows and names the case if they differ from what
/// the last recording event holds. The first event thereby holds the facts as registered —
/// the description, the title, every party's name, role, kind and encrypted and blind-indexed
/// personal data — as digests, never as plaintext.
pub(crate) fn recorded(case_canonical: &str, party_canonicals: &[String]) -> serde_json::Value {
    json!({
        "case": canonical_digest(case_canonical),
        "parties": parties_digest(party_canonicals.iter().map(String::as_str)),
    })
}

/// The canonical text of a case row's values as [`case_values`] lists them.
fn case_canonical(values: &[Arg]) -> String {
    column_names(CASE_COLUMNS)
        .zip(values)
        .filter(|(c, _)| !unrecorded_case_column(c))
        .map(|(_, v)| canonical_value(v))
        .collect::<Vec<_>>()
        .join(",")
}

/// The canonical text of a row's values in the order they are listed (a party row's as
/// [`party_values`] lists them).
fn canonical_of(values: &[Arg]) -> String {
    values.iter().map(canonical_value).collect::<Vec<_>>().join(",")
}

/// What the rows of a case hold now, for the event about to be appended in `tx` (see
/// [`recorded`]): read back, as the step's SQL left them.
pub(crate) async fn recorded_now(tx: &mut Tx, case_id: i64) -> Result<serde_json::Value> {
    let (case,): (String,) =
        tx.fetch_one(&format!("SELECT {} FROM cases WHERE id = $1", case_canonical_sql()), args![case_id]).await?;
    let parties: Vec<(String,)> = tx
        .fetch_all(
            &format!("SELECT {} FROM parties WHERE case_id = $1 ORDER BY position", party_canonical_sql()),
            args![case_id],
        )
        .await?;
    Ok(recorded(&case, &parties.into_iter().map(|(row,)| row).collect::<Vec<_>>()))
}

/// `events` with the last one recording the rows it leaves behind: the writer's histories end
/// in the state their case row holds.
fn with_recorded(events: &[EventRecord], recorded: serde_json::Value) -> Vec<EventRecord> {
    let mut events = events.to_vec();
    if let Some(last) = events.last_mut() {
        last.data["recorded"] = recorded;
    }
    events
}

/// A case row's values, in the order of [`CASE_COLUMNS`].
fn case_values(case: &CaseRecord, deadlines: &DeadlineColumns, updated_at: i64, head: (i64, String)) -> Vec<Arg> {
    let ms = |at: Option<DateTime<Utc>>| at.map(to_ms);
    let mut values = args![
        case.number.clone(),
        case.version,
        case.status.as_str(),
        case.channel.as_str(),
        case.category.as_str(),
        case.category_source.clone(),
        case.category_suggestion.as_ref().map(|s| s.to_string()),
        case.risk.as_str(),
        json!(case.risk_reasons).to_string(),
        case.emergency.as_ref().map(Message::to_stored),
        case.title.clone(),
        case.description.clone(),
        case.amount_fen,
        case.people_count,
        ms(case.occurred_at),
        case.address.clone(),
        case.address.as_deref().map(address_key),
        case.region_code.clone(),
        case.grid_id,
        json!(case.level).as_str().unwrap_or("district"),
        case.routing.to_string(),
        case.registering_unit_id,
        case.registered_by,
        case.owner_unit_id,
        case.external_ref.clone(),
        case.progress.lead_unit_id,
        case.progress.outcome.map(Outcome::as_str),
        case.progress.summary.clone(),
        case.progress.satisfaction.map(Satisfaction::as_str),
        ms(case.progress.contacted_at),
        ms(case.progress.first_dispatched_at),
        ms(case.progress.dispatched_at),
        ms(case.progress.rejected_at),
        ms(case.progress.concluded_at),
        ms(case.progress.followed_up_at),
    ];
    values.extend(deadlines.values());
    values.extend(args![to_ms(case.created_at), updated_at, head.0, head.1]);
    values
}

impl CaseRecord {
    /// The case's clocks, derived from its facts (never decided by the caller).
    pub(crate) fn deadlines(&self, context: &ClockContext, now: DateTime<Utc>) -> DeadlineColumns {
        clock_facts(self).deadline_columns(context, now)
    }
}

/// The clock facts of a case row.
fn clock_facts(case: &CaseRecord) -> ClockRow {
    let ms = |at: Option<DateTime<Utc>>| at.map(to_ms);
    ClockRow {
        id: 0,
        number: String::new(),
        status: case.status.as_str().to_owned(),
        category: case.category.as_str().to_owned(),
        channel: case.channel.as_str().to_owned(),
        risk: case.risk.as_str().to_owned(),
        description: String::new(),
        created_at: to_ms(case.created_at),
        contacted_at: ms(case.progress.contacted_at),
        first_dispatched_at: ms(case.progress.first_dispatched_at),
        dispatched_at: ms(case.progress.dispatched_at),
        concluded_at: ms(case.progress.concluded_at),
        followed_up_at: ms(case.progress.followed_up_at),
        rejected_at: ms(case.progress.rejected_at),
        extension_days: None,
        lead_unit_id: case.progress.lead_unit_id,
        owner_unit_id: Some(case.owner_unit_id),
        registering_unit_id: case.registering_unit_id,
        region_code: case.region_code.clone(),
        due_unit_id: None,
        due_day: None,
    }
}

/// A hop's row: the case, then [`owned::HOP_RECORDED`]'s columns in their order.
fn hop_values(case_id: i64, hop: &HopRecord) -> Vec<Arg> {
    let ms = |at: Option<DateTime<Utc>>| at.map(to_ms);
    args![
        case_id,
        hop.unit_id,
        json!(hop.assist_unit_ids).to_string(),
        hop.dispatched_by,
        to_ms(hop.dispatched_at),
        ms(hop.signed_at),
        ms(hop.returned_at),
        hop.return_reason.clone(),
        ms(hop.ended_at),
        0_i64,
    ]
}

/// A party's row: personal data encrypted, masked and blind-indexed (keys from `crypto`).
fn party_values(crypto: &Crypto, case_id: i64, position: i64, party: &NewParty) -> Vec<Arg> {
    let id_number = party.id_number.as_ref();
    let phone = party.phone.as_ref();
    let address = party.address.as_deref();
    let name_key = if party.kind == PartyKind::Organization { name_key(&party.name) } else { String::new() };
    args![
        case_id,
        position,
        party.role.as_str(),
        party.kind.as_str(),
        party.name.clone(),
        name_key,
        id_number.map(|i| crypto.encrypt(i.as_str())),
        id_number.map(|i| crypto.blind_index(i.as_str())),
        id_number.map(|i| i.masked()),
        party.credit_code.as_ref().map(|c| c.as_str().to_owned()),
        phone.map(|p| crypto.encrypt(p.as_str())),
        phone.map(|p| crypto.blind_index(p.as_str())),
        phone.map(|p| p.masked()),
        address.map(|a| crypto.encrypt(a)),
        address.map(|a| crypto.blind_index(&address_key(a))),
    ]
}

/// The row of the event after `head` in a case's hash chain, and the new head.
pub(crate) fn event_values(
    case_id: i64,
    head: &(i64, String),
    at_ms: i64,
    actor: &str,
    action: &str,
    data: &serde_json::Value,
) -> (Vec<Arg>, (i64, String)) {
    let seq = head.0 + 1;
    let data = data.to_string();
    let hash = event_hash(&head.1, EventFields { case_id, seq, at_ms, actor, action, data: &data });
    (args![case_id, seq, at_ms, actor, action, data, hash.clone()], (seq, hash))
}

/// What cases add to the statistics rollups, summed per day and region before writing.
#[derive(Default)]
struct Rollups {
    days: HashMap<(i64, String), Counts>,
    breakdowns: HashMap<(i64, String, &'static str, &'static str), i64>,
}

impl Rollups {
    /// A case's events counted as the recount counts them; its registration under its
    /// category, channel and risk colour.
    fn add(&mut self, case: &CaseRecord, events: &[EventRecord]) {
        for event in events {
            let counted =
                event_counts(&event.action, event.at, &event.data, case.amount_fen, case.progress.first_dispatched_at);
            if let Some((day, counts)) = counted.filter(|(_, counts)| !counts.is_empty()) {
                self.days.entry((day, case.region_code.clone())).or_default().add(&counts);
            }
        }
        let day = day_of(case.created_at);
        for (dimension, value) in
            [("category", case.category.as_str()), ("channel", case.channel.as_str()), ("risk", case.risk.as_str())]
        {
            *self.breakdowns.entry((day, case.region_code.clone(), dimension, value)).or_default() += 1;
        }
    }

    async fn write(self, tx: &mut Tx) -> Result<()> {
        let columns = Counts::COLUMNS.join(", ");
        let updates: Vec<String> =
            Counts::COLUMNS.iter().map(|c| format!("{c} = rollup_days.{c} + excluded.{c}")).collect();
        let rows = self
            .days
            .into_iter()
            .map(|((day, region), counts)| {
                let mut row = args![day, region];
                row.extend(counts.values().into_iter().map(Into::into));
                row
            })
            .collect();
        let upsert = format!("ON CONFLICT (day, region_code) DO UPDATE SET {}", updates.join(", "));
        tx.insert_rows("rollup_days", &format!("day, region_code, {columns}"), rows, &upsert).await?;
        let rows = self
            .breakdowns
            .into_iter()
            .map(|((day, region, dimension, value), received)| args![day, region, dimension, value, received])
            .collect();
        let upsert = "ON CONFLICT (day, region_code, dimension, value) DO UPDATE SET received = rollup_breakdowns.received + excluded.received";
        tx.insert_rows("rollup_breakdowns", "day, region_code, dimension, value, received", rows, upsert).await
    }
}

impl Store {
    /// Writes a new case — its row with the `deadlines` of [`CaseRecord::deadlines`], its
    /// parties and its history — inside the caller's transaction, and adds it to the rollups.
    /// Returns the case's id.
    pub(crate) async fn case_insert(
        &self,
        tx: &mut Tx,
        case: &CaseRecord,
        deadlines: &DeadlineColumns,
        parties: &[NewParty],
        events: &[EventRecord],
    ) -> Result<i64> {
        let updated_at = to_ms(events.last().map_or(case.created_at, |e| e.at));
        let values = case_values(case, deadlines, updated_at, (0, GENESIS.to_owned()));
        let values_for_digest = values.clone();
        let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
        let (case_id,): (i64,) = tx
            .fetch_one(
                &format!("INSERT INTO cases ({CASE_COLUMNS}) VALUES ({}) RETURNING id", placeholders.join(", ")),
                values,
            )
            .await?;
        let case_canonical = case_canonical(&values_for_digest);
        let parties = parties.iter().enumerate();
        let rows: Vec<Vec<Arg>> =
            parties.map(|(position, party)| party_values(&self.crypto, case_id, position as i64, party)).collect();
        let party_canonicals: Vec<String> = rows.iter().map(|row| canonical_of(row)).collect();
        tx.insert_rows("parties", PARTY_COLUMNS, rows, "").await?;
        let events = with_recorded(events, recorded(&case_canonical, &party_canonicals));
        let mut head = (0, GENESIS.to_owned());
        for event in &events {
            head = super::append_event(tx, case_id, head, to_ms(event.at), &event.actor, &event.action, &event.data)
                .await?;
        }
        let mut rollups = Rollups::default();
        rollups.add(case, &events);
        rollups.write(tx).await?;
        figures_refresh(tx, &[case_id]).await?;
        if case.status.is_open() {
            let mut counts = PlaceCountChanges::default();
            counts.add(&case.region_code, case.grid_id, case.risk, 1);
            counts.write(tx).await?;
        }
        let mut dues = DueCountChanges::default();
        dues.add(&case.region_code, deadlines.due, 1);
        dues.write(tx).await?;
        Ok(case_id)
    }

    /// For fixtures and bench: writes whole case histories with the ids they carry, in one
    /// transaction and a few multi-row statements. After the last batch,
    /// [`Store::cases_write_finish`] moves the case-number serials and the id sequences on.
    pub async fn cases_write(&self, cases: &[CaseHistory], now: DateTime<Utc>) -> Result<()> {
        let context = self.clock_context().await?;
        let (mut rows, mut parties, mut events, mut hops, mut units) =
            (Vec::with_capacity(cases.len()), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut rollups = Rollups::default();
        let mut place_counts = PlaceCountChanges::default();
        let mut dues = DueCountChanges::default();
        for history in cases {
            let (id, case) = (history.id, &history.case);
            let deadlines = case.deadlines(&context, now);
            let updated_at = to_ms(history.events.last().map_or(case.created_at, |e| e.at));
            let values = case_values(case, &deadlines, updated_at, (0, GENESIS.to_owned()));
            let case_canonical = case_canonical(&values);
            let party_rows: Vec<Vec<Arg>> = (history.parties.iter().enumerate())
                .map(|(position, party)| party_values(&self.crypto, id, position as i64, party))
                .collect();
            let party_canonicals: Vec<String> = party_rows.iter().map(|row| canonical_of(row)).collect();
            parties.extend(party_rows);
            // The rows the case owns, recorded by the last event as the history's `rows`.
            let hop_rows: Vec<Vec<Arg>> = history.hops.iter().map(|hop| hop_values(id, hop)).collect();
            let unit_rows: Vec<Vec<Arg>> =
                history.assigned.iter().map(|(unit, role)| args![id, *unit, *role]).collect();
            let owned_rows: Vec<(String, String)> = (hop_rows.iter().enumerate())
                .map(|(i, row)| (owned::row_key("hops", i + 1), canonical_of(&row[1..])))
                .chain(
                    history
                        .assigned
                        .iter()
                        .zip(&unit_rows)
                        .map(|((unit, _), row)| (owned::row_key("case_units", unit), canonical_of(&row[2..]))),
                )
                .collect();
            let mut history_events = with_recorded(&history.events, recorded(&case_canonical, &party_canonicals));
            if let Some(last) = history_events.last_mut() {
                last.data["rows"] = owned::rows_written(owned_rows.iter().map(|(k, c)| (k.as_str(), c.as_str())));
            }
            let mut head = (0, GENESIS.to_owned());
            for event in history_events {
                let (row, next) = event_values(id, &head, to_ms(event.at), &event.actor, &event.action, &event.data);
                events.push(row);
                head = next;
            }
            let mut row = args![id];
            row.extend(values);
            let len = row.len();
            row[len - 2] = head.0.into();
            row[len - 1] = head.1.into();
            rows.push(row);
            hops.extend(hop_rows);
            units.extend(unit_rows);
            rollups.add(case, &history.events);
            if case.status.is_open() {
                place_counts.add(&case.region_code, case.grid_id, case.risk, 1);
            }
            dues.add(&case.region_code, deadlines.due, 1);
        }
        let mut tx = self.begin().await?;
        tx.insert_rows("cases", &format!("id, {CASE_COLUMNS}"), rows, "").await?;
        tx.insert_rows("parties", PARTY_COLUMNS, parties, "").await?;
        tx.insert_rows("case_events", EVENT_COLUMNS, events, "").await?;
        let hop_columns = format!("case_id, {}", owned::HOP_RECORDED.join(", "));
        tx.insert_rows("hops", &hop_columns, hops, "").await?;
        let unit_columns = format!("case_id, unit_id, {}", owned::CASE_UNIT_RECORDED.join(", "));
        tx.insert_rows("case_units", &unit_columns, units, "").await?;
        rollups.write(&mut tx).await?;
        place_counts.write(&mut tx).await?;
        dues.write(&mut tx).await?;
        let ids: Vec<i64> = cases.iter().map(|history| history.id).collect();
        figures_refresh(&mut tx, &ids).await?;
        tx.commit().await
    }

    /// For fixtures and bench: after [`Store::cases_write`], raises each case-number serial
    /// `(county, year, last)` to the last one used (never lowers it) and moves the id sequences
    /// past the written ids, so that registration goes on without collisions.
    pub async fn cases_write_finish(&self, serials: &[(String, i32, i64)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for (county, year, last) in serials {
            tx.execute(
                "INSERT INTO case_number_serials (region, year, last_serial) VALUES ($1, $2, $3)
                 ON CONFLICT (region, year) DO UPDATE SET last_serial = CASE WHEN case_number_serials.last_serial > $3 THEN case_number_serials.last_serial ELSE $3 END",
                args![county.as_str(), i64::from(*year), *last],
            )
            .await?;
        }
        for table in ["cases", "parties", "hops"] {
            tx.sequence_reset(table).await?;
        }
        tx.commit().await?;
        // After a bulk load the planner's statistics are stale (PostgreSQL's autovacuum gathers
        // them later, SQLite never): gather them now, on both.
        self.execute("ANALYZE", args![]).await.map(drop)
    }

    /// For fixtures and bench: the highest case id (0 without cases), so that written
    /// histories can carry the ids that follow.
    pub async fn case_id_max(&self) -> Result<i64> {
        let (max,): (i64,) = self.fetch_one("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM cases", args![]).await?;
        Ok(max)
    }

    /// For fixtures and bench: the last case-number serial of a county and year (0 if none).
    pub async fn case_number_serial(&self, county: &str, year: i32) -> Result<i64> {
        let last: Option<(i64,)> = self
            .fetch_optional(
                "SELECT last_serial FROM case_number_serials WHERE region = $1 AND year = $2",
                args![county, i64::from(year)],
            )
            .await?;
        Ok(last.map_or(0, |(s,)| s))
    }

    /// The configured format of case numbers.
    pub fn case_number_format(&self) -> &CaseNumberFormat {
        &self.options.case_number_format
    }
}
