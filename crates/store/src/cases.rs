//! Cases: registration, reading within the viewer's scope, workflow steps with optimistic
//! concurrency, and the hash-chained history every change appends to.

use chrono::{DateTime, Duration, Utc};
use domain::case::{Category, NewCase, Outcome, PartyKind, Risk, Status};
use domain::clocks;
use domain::identity::mask_middle;
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::org::{RegionCode, RegionLevel};
use domain::stats::Counts;
use domain::validation::{FieldError, Message};
use domain::workflow::{self, Actor, CaseState, Command, HopChange, Satisfaction};
use serde_json::json;

use crate::calendar::ClockContext;
use crate::sql::{Arg, Tx, args, from_row, in_list};
use crate::stats::{conclusion_counts, day_of, rollup_add};
use crate::triage::WhenUnsure;
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

mod applicant_sms;
pub mod import;
pub(crate) mod intake;
pub(crate) mod owned;
pub mod write;

pub use write::{CaseHistory, CaseRecord, EventRecord, HopRecord, Progress};

/// Largest page of a list.
pub const MAX_PAGE_SIZE: i64 = 200;

/// A case as the viewer may see it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: i64,
    /// Human case number, unique: a per-region yearly serial.
    pub number: String,
    /// Changes with every step; send it back with the next action.
    pub version: i64,
    pub status: Status,
    pub channel: String,
    pub category: Category,
    /// client | suggested
    pub category_source: String,
    /// What the classifier suggested, and why, even when the client chose the category.
    pub category_suggestion: Option<crate::triage::CategorySuggestion>,
    pub risk: Risk,
    pub risk_reasons: Vec<Message>,
    pub routing: Routing,
    /// The level handling the case now (it rises with each escalation).
    pub level: RegionLevel,
    /// An emergency in progress at intake: the instruction to call 110/120 that was given.
    pub emergency: Option<Message>,
    pub lead_unit_id: Option<i64>,
    pub assist_unit_ids: Vec<i64>,
    pub title: Option<String>,
    pub description: String,
    /// Decimal yuan, e.g. "22800.00".
    pub amount: Option<String>,
    pub people_count: i64,
    pub occurred_at: Option<DateTime<Utc>>,
    pub location: LocationView,
    pub parties: Vec<PartyView>,
    pub outcome: Option<Outcome>,
    pub summary: Option<String>,
    pub satisfaction: Option<String>,
    pub external_ref: Option<String>,
    pub deadlines: Deadlines,
    /// The workflow steps the viewer may take now.
    pub available_actions: Vec<workflow::Action>,
    /// Whether full personal data is shown (asked for, allowed, and recorded).
    pub personal_data_revealed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The suggested route: the unit that should lead, the assisting units, at which level, and
/// every rule that fired.
pub use triage::routing::Route as Routing;

#[derive(Debug, Clone)]
pub struct LocationView {
    pub address: Option<String>,
    pub region_code: String,
    pub grid_id: Option<i64>,
}

/// The four clocks' due times, none while a clock has not started.
#[derive(Debug, Clone)]
pub struct Deadlines {
    pub respond_by: Option<DateTime<Utc>>,
    pub dispatch_by: Option<DateTime<Utc>>,
    pub conclude_by: Option<DateTime<Utc>>,
    pub follow_up_by: Option<DateTime<Utc>>,
}

/// A party; ID number, phone and address masked unless revealed.
#[derive(Debug, Clone)]
pub struct PartyView {
    pub role: String,
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// 受理回执 — what the applicant takes home after registration.
#[derive(Debug, Clone)]
pub struct CaseReceipt {
    pub case: CaseView,
    /// The centre responsible for the case now: it contacts the applicant and dispatches.
    pub centre: String,
    pub centre_phone: Option<String>,
    pub registering_unit: String,
}

/// An earlier case linked to a new one at intake, and why.
#[derive(Debug, Clone)]
pub struct RelatedCase {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub category: String,
    pub region_code: String,
    pub created_at: DateTime<Utc>,
    /// same_person | same_organization | same_address
    pub relations: Vec<String>,
    /// Whether the viewer may open it; outside the scope only the number and status show.
    pub in_scope: bool,
}

/// The answer to a registration: the case and the related cases found at intake.
#[derive(Debug, Clone)]
pub struct RegisteredCase {
    pub case: CaseView,
    pub related_cases: Vec<RelatedCase>,
}

/// One event of a case's history.
#[derive(Debug, Clone)]
pub struct EventView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub data: serde_json::Value,
    pub hash: String,
}

/// 流转: one hop of a case — a unit it was dispatched or transferred to, and what became of it.
#[derive(Debug, Clone)]
pub struct HopView {
    pub unit_id: i64,
    pub assist_unit_ids: Vec<i64>,
    /// Who dispatched it (their name).
    pub dispatched_by: String,
    pub dispatched_at: DateTime<Utc>,
    /// When the unit signed for it.
    pub signed_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_reason: Option<String>,
    /// Working days added to its time limit.
    pub extension_days: i64,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Filters of the case list (CONTRACT.md).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<Status>,
    /// Any of these statuses (when not empty), e.g. the cases awaiting dispatch.
    pub status_in: Vec<Status>,
    pub category: Option<Category>,
    pub risk: Option<Risk>,
    pub region: Option<RegionCode>,
    pub unit: Option<i64>,
    pub overdue: Option<bool>,
    /// Only cases whose next deadline falls within this many hours from now.
    pub due_within_hours: Option<i64>,
    /// Work list of a unit: its open cases (it is responsible for them, leads or assists).
    pub mine: Option<i64>,
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Keyset paging: only cases after this one in the list's order (newest first), so that a
    /// deep page costs what the first one does. `offset` then counts from the cursor.
    pub after: Option<ListCursor>,
}

/// Where a page of the case list ended: the last case's registration time and id, written
/// `MILLIS-ID` (the list's `next`, given back as `after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    created_ms: i64,
    id: i64,
}

impl ListCursor {
    fn after(row: &CaseListRow) -> Self {
        ListCursor { created_ms: row.created_at.timestamp_millis(), id: row.id }
    }

    /// A cursor as `next` wrote it; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (created_ms, id) = text.split_once('-')?;
        let cursor = ListCursor { created_ms: created_ms.parse().ok()?, id: id.parse().ok()? };
        (cursor.created_ms >= 0 && cursor.id > 0).then_some(cursor)
    }
}

impl std::fmt::Display for ListCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.created_ms, self.id)
    }
}

/// A row of the case list.
#[derive(Debug, Clone)]
pub struct CaseListRow {
    pub id: i64,
    pub number: String,
    pub version: i64,
    pub status: String,
    pub channel: String,
    pub category: String,
    pub risk: String,
    pub title: Option<String>,
    pub description: String,
    pub region_code: String,
    pub lead_unit_id: Option<i64>,
    pub deadlines: Deadlines,
    /// The earliest deadline of a running clock, none when none runs.
    pub next_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CaseList {
    pub items: Vec<CaseListRow>,
    /// How many cases match, counted up to 1 000.
    pub total: i64,
    /// More than 1 000 match: narrow the filters to count them exactly.
    pub total_capped: bool,
    /// More than 1 000 match a search: about how many (`None` for a list, or when `total` is
    /// exact).
    pub total_estimate: Option<i64>,
    /// A full page of a list: the cursor of the next one (`after`); `None` at the end and for
    /// a search.
    pub next: Option<ListCursor>,
}

/// Lists count matches up to this many: counting is then bounded like the page itself.
pub const COUNT_LIMIT: i64 = 1_000;

impl From<CaseRow> for CaseListRow {
    fn from(r: CaseRow) -> Self {
        CaseListRow {
            deadlines: r.deadlines(),
            id: r.id,
            number: r.number,
            version: r.version,
            status: r.status,
            channel: r.channel,
            category: r.category,
            risk: r.risk,
            title: r.title,
            description: r.description,
            region_code: r.region_code,
            lead_unit_id: r.lead_unit_id,
            next_due_at: r.next_due_at.map(from_ms),
            created_at: from_ms(r.created_at),
        }
    }
}

/// A case as the search index takes it.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub id: i64,
    pub number: String,
    pub title: Option<String>,
    pub description: String,
    pub category: String,
    pub status: String,
    pub region_code: String,
    pub owner_unit_id: Option<i64>,
    /// The units that see the case wherever it is: its owner and the units assigned to it.
    pub unit_ids: Vec<i64>,
    /// Milliseconds; the feed's watermark.
    pub updated_at: i64,
}
from_row!(
    SearchDoc { id, number, title, description, category, status, region_code, owner_unit_id, updated_at },
    default { unit_ids }
);

/// Who asks for full personal data, and why.
#[derive(Debug, Clone)]
pub struct RevealRequest {
    pub reason: String,
}

pub(crate) const CASE_COLUMNS: &str = "id, number, version, status, channel, category, category_source, risk, risk_reasons, routing, lead_unit_id, title, description, amount_fen, people_count, occurred_at, address, region_code, grid_id, outcome, summary, satisfaction, external_ref, respond_by, dispatch_by, conclude_by, follow_up_by, created_at, updated_at, level, contacted_at, first_dispatched_at, dispatched_at, category_suggestion, emergency, next_due_at";

#[derive(Debug, Clone)]
pub(crate) struct CaseRow {
    id: i64,
    number: String,
    version: i64,
    status: String,
    channel: String,
    category: String,
    category_source: String,
    risk: String,
    risk_reasons: String,
    routing: String,
    lead_unit_id: Option<i64>,
    title: Option<String>,
    description: String,
    amount_fen: Option<i64>,
    people_count: i64,
    occurred_at: Option<i64>,
    address: Option<String>,
    region_code: String,
    grid_id: Option<i64>,
    outcome: Option<String>,
    summary: Option<String>,
    satisfaction: Option<String>,
    external_ref: Option<String>,
    respond_by: Option<i64>,
    dispatch_by: Option<i64>,
    conclude_by: Option<i64>,
    follow_up_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
    level: String,
    contacted_at: Option<i64>,
    first_dispatched_at: Option<i64>,
    dispatched_at: Option<i64>,
    category_suggestion: Option<String>,
    emergency: Option<String>,
    next_due_at: Option<i64>,
}
from_row!(CaseRow {
    id,
    number,
    version,
    status,
    channel,
    category,
    category_source,
    risk,
    risk_reasons,
    routing,
    lead_unit_id,
    title,
    description,
    amount_fen,
    people_count,
    occurred_at,
    address,
    region_code,
    grid_id,
    outcome,
    summary,
    satisfaction,
    external_ref,
    respond_by,
    dispatch_by,
    conclude_by,
    follow_up_by,
    created_at,
    updated_at,
    level,
    contacted_at,
    first_dispatched_at,
    dispatched_at,
    category_suggestion,
    emergency,
    next_due_at
});

#[derive(Debug, Clone)]
struct PartyRow {
    role: String,
    kind: String,
    name: String,
    id_number_cipher: Option<String>,
    id_number_masked: Option<String>,
    credit_code: Option<String>,
    phone_cipher: Option<String>,
    phone_masked: Option<String>,
    address_cipher: Option<String>,
}
from_row!(PartyRow {
    role,
    kind,
    name,
    id_number_cipher,
    id_number_masked,
    credit_code,
    phone_cipher,
    phone_masked,
    address_cipher
});

impl CaseRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    pub(crate) fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Registered)
    }

    pub(crate) fn version(&self) -> i64 {
        self.version
    }

    pub(crate) fn risk(&self) -> Risk {
        Risk::parse(&self.risk).unwrap_or(Risk::None)
    }

    pub(crate) fn lead_unit_id(&self) -> Option<i64> {
        self.lead_unit_id
    }

    pub(crate) fn category(&self) -> &str {
        &self.category
    }

    pub(crate) fn region_code_str(&self) -> String {
        self.region_code.clone()
    }

    pub(crate) fn number_str(&self) -> &str {
        &self.number
    }

    fn level(&self) -> RegionLevel {
        serde_json::from_value(json!(self.level)).unwrap_or(RegionLevel::District)
    }

    fn state(&self) -> CaseState {
        CaseState {
            status: self.status(),
            lead_unit_id: self.lead_unit_id,
            outcome: self.outcome.as_deref().and_then(Outcome::parse),
            level: self.level(),
            contacted: self.contacted_at.is_some(),
        }
    }

    fn deadlines(&self) -> Deadlines {
        Deadlines {
            respond_by: self.respond_by.map(from_ms),
            dispatch_by: self.dispatch_by.map(from_ms),
            conclude_by: self.conclude_by.map(from_ms),
            follow_up_by: self.follow_up_by.map(from_ms),
        }
    }
}

/// The scope condition on `cases` (alias `c`) for a viewer: the region subtree, plus the
/// cases their unit owns (the centre responsible) or is assigned to. Arguments start at `$first`.
pub(crate) fn scope_condition(viewer: &Viewer, first: usize, args: &mut Vec<Arg>) -> String {
    format!("({})", scope_branches(viewer, first, args).join(" OR "))
}

/// The scope as its three branches — the region subtree, the cases the viewer's unit owns, the
/// cases it is assigned — each of which an index serves; arguments start at `$first`.
fn scope_branches(viewer: &Viewer, first: usize, args: &mut Vec<Arg>) -> [String; 3] {
    let (low, high) = viewer.scope.region.subtree_range();
    args.extend(args![low, high, viewer.scope.unit_id]);
    let unit = first + 2;
    [
        format!("c.region_code BETWEEN ${first} AND ${}", first + 1),
        format!("c.owner_unit_id = ${unit}"),
        format!("c.id IN (SELECT cu.case_id FROM case_units cu WHERE cu.unit_id = ${unit})"),
    ]
}

/// What related cases are found by: (relation, the parties' column, its value).
type RelationKey = (&'static str, &'static str, String);

/// The most related cases shown at intake (the most recent).
const RELATED_LIMIT: usize = 20;

/// Canonical form of an address for "same place": no spaces or punctuation.
pub fn address_key(address: &str) -> String {
    address.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn name_key(name: &str) -> String {
    address_key(name)
}

/// `兰州市城关区********`: the first half shown, enough to place it, not to find the door.
fn mask_address(address: &str) -> String {
    let n = address.chars().count();
    mask_middle(address, n / 2, 0)
}

impl Store {
    /// 登记: registers a case, suggests category, risk and route, and appends the first event.
    /// The caller (the application layer) has checked that the viewer may register.
    pub async fn case_register(
        &self,
        viewer: &Viewer,
        new: NewCase,
        when_unsure: WhenUnsure,
        now: DateTime<Utc>,
    ) -> Result<RegisteredCase> {
        let unit = self.unit(UnitId(viewer.unit_id)).await?.ok_or(StoreError::NotFound { what: "unit" })?;
        let unit_region = RegionCode::parse(&unit.region_code).map_err(|e| StoreError::Setup(e.to_string()))?;
        let context = self.clock_context().await?;
        let today = now.with_timezone(&domain::china_time()).date_naive();
        let triage = self.triage(&new, &unit_region, spring_festival(&context.calendar, today), now).await?;
        if when_unsure == WhenUnsure::Ask
            && let Some(question) = triage.category_question()
        {
            return Err(StoreError::invalid(question));
        }
        let (region, grid_id, category, category_source, risk) =
            (triage.region.clone(), triage.grid_id, triage.category, triage.category_source.as_str(), triage.risk);
        let risk_reasons = triage.risk_reasons.clone();
        let routing = triage.route.clone();
        // The centre that owns the case until it is dispatched: the registering unit's own
        // centre (the registering unit itself when it is one).
        let owner_centre = self.centre_for(&unit_region, unit_region.level()).await?;
        let owner = owner_centre.as_ref().map_or(viewer.unit_id, |c| c.unit_id);
        let owner_name = self.unit(UnitId(owner)).await?.map(|u| u.name).unwrap_or_default();
        // The case's level is its owner's: the level of the centre responsible for it now.
        let owner_level = owner_centre.map_or(unit_region.level(), |c| c.region.level());
        let record = CaseRecord {
            number: String::new(),
            version: 1,
            status: Status::Registered,
            channel: new.channel,
            category,
            category_source: category_source.to_owned(),
            category_suggestion: Some(json!(triage.suggestion)),
            risk,
            risk_reasons: risk_reasons.clone(),
            emergency: triage.emergency.clone(),
            title: new.title.clone(),
            description: new.description.clone(),
            amount_fen: new.amount.map(|a| a.fen()),
            people_count: new.people_count,
            occurred_at: new.occurred_at.map(|t| t.with_timezone(&Utc)),
            address: new.address.clone(),
            region_code: region.as_str().to_owned(),
            grid_id,
            level: owner_level,
            routing: json!(routing),
            registering_unit_id: viewer.unit_id,
            registered_by: viewer.user_id,
            owner_unit_id: owner,
            external_ref: new.external_ref.clone(),
            created_at: now,
            progress: Progress::default(),
        };
        // A new case's clocks follow from its registration alone: derived here, written with
        // the row, so the write transaction stays short.
        let deadlines = record.deadlines(&context, now);
        let data = json!({
            "number": null,
            "channel": new.channel,
            "category": category,
            "category_source": category_source,
            "risk": risk,
            "risk_reasons": risk_reasons,
            "region_code": region.as_str(),
            "routing": routing,
            "place": triage.place_reason,
            "emergency": triage.emergency,
            "parties": new.parties.iter().map(|p| json!({
                "role": p.role, "kind": p.kind, "name": p.name,
                "id_number": p.id_number.as_ref().map(|i| i.masked()),
                "credit_code": p.credit_code.as_ref().map(|c| c.as_str()),
                "phone": p.phone.as_ref().map(|p| p.masked()),
            })).collect::<Vec<_>>(),
        });
        let registered = EventRecord { at: now, actor: viewer.username.clone(), action: "registered".into(), data };
        let ready = intake::ReadyCase {
            record,
            deadlines,
            parties: new.parties.clone(),
            county: unit_region.county().to_owned(),
            registered,
            centre: owner_name,
            now,
        };
        let case_id = self.case_write_grouped(ready).await?;
        self.risk_after_registration(case_id, now).await?;

        let (keys, address) = self.relation_keys(&new);
        let related_cases = self.related_cases(viewer, case_id, keys, address).await?;
        let case = self.case_get(viewer, CaseId(case_id), None, now).await?;
        Ok(RegisteredCase { case, related_cases })
    }

    /// Where the case belongs: its region (checked against this deployment's organisation)
    /// and grid. Without a place, the registering unit's region.
    pub(crate) async fn case_place(
        &self,
        new: &NewCase,
        unit_region: &RegionCode,
    ) -> Result<(RegionCode, Option<i64>)> {
        let grid = match new.grid_id {
            Some(id) => Some(self.grid(id).await?.ok_or_else(|| {
                StoreError::invalid(FieldError::new(
                    "location.grid_id",
                    "unknown_grid",
                    msg!("case.no_such_grid", id = id),
                ))
            })?),
            None => None,
        };
        let region = match (&new.region_code, &grid) {
            (Some(code), _) => {
                if self.region(code).await?.is_none() {
                    return Err(StoreError::invalid(FieldError::new(
                        "location.region_code",
                        "unknown_region",
                        msg!("case.region_not_here", code = code.as_str()),
                    )));
                }
                code.clone()
            }
            (None, Some(grid)) => {
                RegionCode::parse(&grid.community_code).map_err(|e| StoreError::Setup(e.to_string()))?
            }
            (None, None) => unit_region.clone(),
        };
        if let Some(grid) = &grid {
            let community = RegionCode::parse(&grid.community_code).map_err(|e| StoreError::Setup(e.to_string()))?;
            if !region.contains(&community) {
                return Err(StoreError::invalid(FieldError::new(
                    "location.grid_id",
                    "grid_outside_region",
                    msg!("case.grid_outside_region", grid = grid.name.as_str(), region = region.as_str()),
                )));
            }
        }
        Ok((region, grid.map(|g| g.id)))
    }

    /// The centre responsible at `level` for a case in `region` (the territorial rule of
    /// routing, on the cached organisation).
    async fn centre_for(&self, region: &RegionCode, level: RegionLevel) -> Result<Option<triage::routing::Centre>> {
        let context = self.triage_context().await?;
        Ok(triage::routing::territorial_centre(region, level, context.centres()).cloned())
    }

    /// The keys a new case's related cases are found by.
    fn relation_keys(&self, new: &NewCase) -> (Vec<RelationKey>, Option<String>) {
        let mut keys = Vec::new();
        for party in &new.parties {
            if let Some(id) = &party.id_number {
                keys.push(("same_person", "id_number_index", self.crypto.blind_index(id.as_str())));
            }
            if let Some(phone) = &party.phone {
                keys.push(("same_person", "phone_index", self.crypto.blind_index(phone.as_str())));
            }
            if let Some(code) = &party.credit_code {
                keys.push(("same_organization", "credit_code", code.as_str().to_owned()));
            } else if party.kind == PartyKind::Organization {
                keys.push(("same_organization", "name_key", name_key(&party.name)));
            }
            if let Some(address) = &party.address {
                keys.push(("same_address", "address_index", self.crypto.blind_index(&address_key(address))));
            }
        }
        (keys, new.address.as_deref().map(address_key))
    }

    /// The same keys, read back from a registered case's rows.
    async fn stored_relation_keys(&self, case_id: i64) -> Result<(Vec<RelationKey>, Option<String>)> {
        type PartyKeys = (Option<String>, Option<String>, Option<String>, String, String, Option<String>);
        let parties: Vec<PartyKeys> = self
            .fetch_all(
                "SELECT id_number_index, phone_index, credit_code, kind, name_key, address_index FROM parties WHERE case_id = $1 ORDER BY id",
                args![case_id],
            )
            .await?;
        let mut keys = Vec::new();
        for (id_number, phone, credit_code, kind, name, address) in parties {
            keys.extend(id_number.map(|k| ("same_person", "id_number_index", k)));
            keys.extend(phone.map(|k| ("same_person", "phone_index", k)));
            match credit_code {
                Some(code) => keys.push(("same_organization", "credit_code", code)),
                None if kind == PartyKind::Organization.as_str() => keys.push(("same_organization", "name_key", name)),
                None => {}
            }
            keys.extend(address.map(|k| ("same_address", "address_index", k)));
        }
        let (address,): (Option<String>,) =
            self.fetch_one("SELECT address_key FROM cases WHERE id = $1", args![case_id]).await?;
        Ok((keys, address))
    }

    /// A registered case as its registration answered it: the case and its related cases.
    pub async fn case_registered(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<RegisteredCase> {
        let case_id = case_id.get();
        let case = self.case_get(viewer, CaseId(case_id), None, now).await?;
        let (keys, address) = self.stored_relation_keys(case_id).await?;
        let related_cases = self.related_cases(viewer, case_id, keys, address).await?;
        Ok(RegisteredCase { case, related_cases })
    }

    /// 受理回执: the case as registered, with the centre responsible for it now (who the
    /// applicant calls, and its telephone when one is recorded) and the unit that registered it.
    pub async fn case_receipt(&self, viewer: &Viewer, case_id: CaseId, now: DateTime<Utc>) -> Result<CaseReceipt> {
        let case = self.case_get(viewer, case_id, None, now).await?;
        let case_id = case_id.get();
        let (centre, centre_phone, registering_unit): (String, Option<String>, String) = self
            .fetch_one(
                "SELECT o.name, o.phone, r.name FROM cases c JOIN units o ON o.id = c.owner_unit_id JOIN units r ON r.id = c.registering_unit_id WHERE c.id = $1",
                args![case_id],
            )
            .await?;
        Ok(CaseReceipt { case, centre, centre_phone, registering_unit })
    }

    /// 关联案件: earlier cases of the same person (blind index of ID number or phone), the same
    /// organisation (credit code or name) or the same place.
    async fn related_cases(
        &self,
        viewer: &Viewer,
        case_id: i64,
        keys: Vec<RelationKey>,
        address: Option<String>,
    ) -> Result<Vec<RelatedCase>> {
        let mut found: Vec<(i64, &'static str)> = Vec::new();
        for (relation, column, key) in keys {
            self.related_by(&mut found, relation, column, key, case_id).await?;
        }
        if let Some(address) = address {
            let rows: Vec<(i64,)> = self
                .fetch_all(
                    "SELECT id FROM cases WHERE address_key = $1 AND id < $2 ORDER BY id DESC LIMIT 20",
                    args![address, case_id],
                )
                .await?;
            found.extend(rows.into_iter().map(|(id,)| (id, "same_address")));
        }
        // The most recent related cases, each once with all its relations.
        let mut relations: std::collections::BTreeMap<std::cmp::Reverse<i64>, Vec<String>> =
            std::collections::BTreeMap::new();
        for (id, relation) in found {
            let entry = relations.entry(std::cmp::Reverse(id)).or_default();
            if !entry.iter().any(|r| r == relation) {
                entry.push(relation.to_owned());
            }
        }
        let relations: Vec<(i64, Vec<String>)> =
            relations.into_iter().take(RELATED_LIMIT).map(|(id, r)| (id.0, r)).collect();
        if relations.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = relations.iter().map(|(id, _)| *id).collect();
        let mut scope_args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut scope_args);
        let listed = in_list(&mut scope_args, &ids);
        let visible: Vec<(i64,)> = self
            .fetch_all(&format!("SELECT c.id FROM cases c WHERE {scope} AND c.id IN ({listed})"), scope_args)
            .await?;
        let mut args = Vec::new();
        let listed = in_list(&mut args, &ids);
        let rows: Vec<(i64, String, String, String, String, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT id, number, status, category, region_code, created_at FROM cases WHERE id IN ({listed})"
                ),
                args,
            )
            .await?;
        let mut related: Vec<RelatedCase> = rows
            .into_iter()
            .map(|(id, number, status, category, region_code, created_at)| {
                let in_scope = visible.iter().any(|(v,)| *v == id);
                RelatedCase {
                    id,
                    number,
                    status,
                    category: if in_scope { category } else { String::new() },
                    region_code,
                    created_at: from_ms(created_at),
                    relations: relations.iter().find(|(r, _)| *r == id).map(|(_, r)| r.clone()).unwrap_or_default(),
                    in_scope,
                }
            })
            .collect();
        related.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(related)
    }

    async fn related_by(
        &self,
        found: &mut Vec<(i64, &'static str)>,
        relation: &'static str,
        column: &str,
        key: String,
        case_id: i64,
    ) -> Result<()> {
        let sql = format!(
            "SELECT DISTINCT case_id FROM parties WHERE {column} = $1 AND case_id < $2 ORDER BY case_id DESC LIMIT 20"
        );
        let rows: Vec<(i64,)> = self.fetch_all(&sql, args![key, case_id]).await?;
        found.extend(rows.into_iter().map(|(id,)| (id, relation)));
        Ok(())
    }

    /// The hops of a case in the viewer's scope, the first first.
    pub async fn case_hops(&self, viewer: &Viewer, id: CaseId) -> Result<Vec<HopView>> {
        let id = id.get();
        self.case_row(viewer, id).await?;
        type HopRow = (i64, String, String, i64, Option<i64>, Option<i64>, Option<String>, i64, Option<i64>);
        let rows: Vec<HopRow> = self
            .fetch_all(
                "SELECT h.unit_id, h.assist_unit_ids, u.display_name, h.dispatched_at, h.signed_at, h.returned_at, h.return_reason, h.extension_days, h.ended_at
                 FROM hops h JOIN users u ON u.id = h.dispatched_by WHERE h.case_id = $1 ORDER BY h.dispatched_at, h.id",
                args![id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    unit_id,
                    assist,
                    dispatched_by,
                    dispatched_at,
                    signed_at,
                    returned_at,
                    return_reason,
                    extension_days,
                    ended_at,
                )| HopView {
                    unit_id,
                    assist_unit_ids: serde_json::from_str(&assist).unwrap_or_default(),
                    dispatched_by,
                    dispatched_at: from_ms(dispatched_at),
                    signed_at: signed_at.map(from_ms),
                    returned_at: returned_at.map(from_ms),
                    return_reason,
                    extension_days,
                    ended_at: ended_at.map(from_ms),
                },
            )
            .collect())
    }

    /// The case row if the viewer's scope covers it; `NotFound` otherwise, so that a case
    /// outside the scope is indistinguishable from one that does not exist.
    pub(crate) async fn case_row(&self, viewer: &Viewer, id: i64) -> Result<CaseRow> {
        let mut args = args![id];
        let scope = scope_condition(viewer, 2, &mut args);
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = $1 AND {scope}");
        self.fetch_optional(&sql, args).await?.ok_or(StoreError::NotFound { what: "case" })
    }

    /// The case, if the viewer sees it or its unit is the court that referred it (诉调对接: the
    /// agreement and the case file go back to that court, for reading only).
    pub(crate) async fn case_row_or_referred(&self, viewer: &Viewer, id: i64) -> Result<CaseRow> {
        let mut args = args![id];
        let scope = scope_condition(viewer, 2, &mut args);
        args.extend(args![viewer.unit_id]);
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = $1 AND ({scope}
               OR EXISTS (SELECT 1 FROM referrals r WHERE r.case_id = c.id AND r.court_unit_id = ${}))",
            args.len()
        );
        self.fetch_optional(&sql, args).await?.ok_or(StoreError::NotFound { what: "case" })
    }

    /// One case in the viewer's scope. With `reveal`, full personal data is shown (the caller
    /// has checked that the role may see it), and the view is recorded in the case history.
    pub async fn case_get(
        &self,
        viewer: &Viewer,
        id: CaseId,
        reveal: Option<RevealRequest>,
        now: DateTime<Utc>,
    ) -> Result<CaseView> {
        let row = self.case_row(viewer, id.get()).await?;
        self.case_shown(viewer, row, reveal, now).await
    }

    /// The case and its history for its case file (电子卷宗), read by whoever sees the case and
    /// by the court that referred it. With `reveal`, as in [`Store::case_get`].
    pub async fn case_file_get(
        &self,
        viewer: &Viewer,
        id: CaseId,
        reveal: Option<RevealRequest>,
        now: DateTime<Utc>,
    ) -> Result<(CaseView, Vec<EventView>)> {
        let row = self.case_row_or_referred(viewer, id.get()).await?;
        let case = self.case_shown(viewer, row, reveal, now).await?;
        let events = self.events_of(case.id).await?;
        Ok((case, events))
    }

    /// Renders a case row the viewer may read, recording the view of its personal data in full
    /// when `reveal` asks for it.
    async fn case_shown(
        &self,
        viewer: &Viewer,
        row: CaseRow,
        reveal: Option<RevealRequest>,
        now: DateTime<Utc>,
    ) -> Result<CaseView> {
        let id = row.id;
        let revealed = match reveal {
            Some(request) => {
                let mut tx = self.begin().await?;
                let head = lock_head(&mut tx, id).await?;
                append_event(
                    &mut tx,
                    id,
                    head,
                    to_ms(now),
                    &viewer.username,
                    "personal_data_viewed",
                    &json!({ "reason": request.reason }),
                )
                .await?;
                tx.commit().await?;
                true
            }
            None => false,
        };
        self.case_view(viewer, row, revealed).await
    }

    /// Renders a case row for a viewer (scope already checked by the caller).
    async fn case_view(&self, viewer: &Viewer, row: CaseRow, revealed: bool) -> Result<CaseView> {
        let id = row.id;
        let parties: Vec<PartyRow> = self
            .fetch_all(
                "SELECT role, kind, name, id_number_cipher, id_number_masked, credit_code, phone_cipher, phone_masked, address_cipher
                 FROM parties WHERE case_id = $1 ORDER BY position",
                args![id],
            )
            .await?;
        let parties = parties.into_iter().map(|p| self.party_view(p, revealed)).collect::<Result<Vec<_>>>()?;
        let assists: Vec<(i64,)> = self
            .fetch_all(
                "SELECT unit_id FROM case_units WHERE case_id = $1 AND role = 'assist' ORDER BY unit_id",
                args![id],
            )
            .await?;
        let actor = Actor { role: viewer.role, unit_id: viewer.unit_id };
        Ok(CaseView {
            id: row.id,
            number: row.number.clone(),
            version: row.version,
            status: row.status(),
            channel: row.channel.clone(),
            category: Category::parse(&row.category).unwrap_or(Category::Other),
            category_source: row.category_source.clone(),
            risk: Risk::parse(&row.risk).unwrap_or(Risk::None),
            risk_reasons: serde_json::from_str(&row.risk_reasons).unwrap_or_default(),
            routing: serde_json::from_str(&row.routing).unwrap_or(Routing {
                unit_id: None,
                level: row.level(),
                assist_unit_ids: Vec::new(),
                joint: false,
                reasons: Vec::new(),
                rules: Vec::new(),
            }),
            level: row.level(),
            category_suggestion: row.category_suggestion.as_deref().and_then(|s| serde_json::from_str(s).ok()),
            emergency: row.emergency.as_deref().map(Message::from_stored),
            lead_unit_id: row.lead_unit_id,
            assist_unit_ids: assists.into_iter().map(|(u,)| u).collect(),
            title: row.title.clone(),
            description: row.description.clone(),
            amount: row.amount_fen.map(|f| domain::contact::Money::from_fen(f).to_string()),
            people_count: row.people_count,
            occurred_at: row.occurred_at.map(from_ms),
            location: LocationView {
                address: row.address.clone(),
                region_code: row.region_code.clone(),
                grid_id: row.grid_id,
            },
            parties,
            outcome: row.outcome.as_deref().and_then(Outcome::parse),
            summary: row.summary.clone(),
            satisfaction: row.satisfaction.clone(),
            external_ref: row.external_ref.clone(),
            deadlines: row.deadlines(),
            available_actions: workflow::available(&row.state(), actor),
            personal_data_revealed: revealed,
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
        })
    }

    fn party_view(&self, p: PartyRow, revealed: bool) -> Result<PartyView> {
        let open = |cipher: &Option<String>| cipher.as_deref().map(|c| self.crypto.decrypt(c)).transpose();
        let address = open(&p.address_cipher)?;
        Ok(PartyView {
            id_number: if revealed { open(&p.id_number_cipher)? } else { p.id_number_masked },
            phone: if revealed { open(&p.phone_cipher)? } else { p.phone_masked },
            address: if revealed { address } else { address.as_deref().map(mask_address) },
            role: p.role,
            kind: p.kind,
            name: p.name,
            credit_code: p.credit_code,
        })
    }

    /// The case's history, oldest first.
    pub async fn case_events(&self, viewer: &Viewer, id: CaseId) -> Result<Vec<EventView>> {
        let id = id.get();
        self.case_row(viewer, id).await?;
        self.events_of(id).await
    }

    /// A case's history, oldest first (the caller has checked that the viewer may read it).
    async fn events_of(&self, id: i64) -> Result<Vec<EventView>> {
        let rows: Vec<(i64, i64, String, String, String, String)> = self
            .fetch_all(
                "SELECT seq, at, actor, action, data, hash FROM case_events WHERE case_id = $1 ORDER BY seq",
                args![id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, at, actor, action, data, hash)| EventView {
                seq,
                at: from_ms(at),
                actor,
                action,
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                hash,
            })
            .collect())
    }

    /// The filtered, paged list of cases in the viewer's scope, newest first.
    pub async fn case_list(&self, viewer: &Viewer, filter: &CaseFilter, now: DateTime<Utc>) -> Result<CaseList> {
        let list = case_list_statements(viewer, filter, now);
        let (counted,): (i64,) = self.fetch_one(&list.count_sql, list.count_args).await?;
        let rows: Vec<CaseRow> = self.fetch_all(&list.page_sql, list.page_args).await?;
        let items: Vec<CaseListRow> = rows.into_iter().map(CaseListRow::from).collect();
        let full = items.len() as i64 == filter.limit.clamp(1, MAX_PAGE_SIZE);
        let next = items.last().filter(|_| full).map(ListCursor::after);
        Ok(CaseList {
            items,
            total: counted.min(COUNT_LIMIT),
            total_capped: counted > COUNT_LIMIT,
            total_estimate: None,
            next,
        })
    }

    /// The list rows of the given cases that the viewer may see, in the order given (search
    /// results in rank order).
    pub async fn case_rows_by_ids(&self, viewer: &Viewer, ids: &[i64]) -> Result<Vec<CaseListRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        let listed = in_list(&mut args, ids);
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases c WHERE {scope} AND c.id IN ({listed})");
        let rows: Vec<CaseRow> = self.fetch_all(&sql, args).await?;
        let mut rows: Vec<CaseListRow> = rows.into_iter().map(CaseListRow::from).collect();
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        Ok(rows)
    }

    /// How many cases changed at or after `since_ms`, and the latest change: a cheap check that
    /// nothing changed since the search index last looked.
    pub async fn search_feed_state(&self, since_ms: i64) -> Result<(i64, i64)> {
        let (count, latest): (i64, Option<i64>) = self
            .fetch_one("SELECT COUNT(*), MAX(updated_at) FROM cases WHERE updated_at >= $1", args![since_ms])
            .await?;
        Ok((count, latest.unwrap_or(0)))
    }

    /// The search feed: cases changed after the cursor `(since_ms, after_id)` in the order
    /// `(updated_at, id)`, as the search index needs them (text, region and the units that see
    /// them). Keyset paging: a thousand cases changed in the same millisecond page like any other.
    pub async fn search_feed(&self, since_ms: i64, after_id: i64, limit: i64) -> Result<Vec<SearchDoc>> {
        let mut docs: Vec<SearchDoc> = self
            .fetch_all(
                "SELECT id, number, title, description, category, status, region_code, owner_unit_id, updated_at FROM cases
                 WHERE updated_at > $1 OR (updated_at = $1 AND id > $2) ORDER BY updated_at, id LIMIT $3",
                args![since_ms, after_id, limit],
            )
            .await?;
        if !docs.is_empty() {
            let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
            let mut args = Vec::new();
            let sql =
                format!("SELECT case_id, unit_id FROM case_units WHERE case_id IN ({})", in_list(&mut args, &ids));
            let units: Vec<(i64, i64)> = self.fetch_all(&sql, args).await?;
            let mut by_case: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
            for (case, unit) in units {
                by_case.entry(case).or_default().push(unit);
            }
            for doc in &mut docs {
                doc.unit_ids = by_case.remove(&doc.id).unwrap_or_default();
                doc.unit_ids.extend(doc.owner_unit_id);
            }
        }
        Ok(docs)
    }

    /// A workflow step. `version` must be the case's current version: a stale one is refused
    /// with a conflict and changes nothing.
    pub async fn case_act(
        &self,
        viewer: &Viewer,
        id: CaseId,
        command: Command,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<CaseView> {
        let id = id.get();
        let row = self.case_row(viewer, id).await?;
        if row.version != version {
            return Err(stale(row.version));
        }
        let actor = Actor { role: viewer.role, unit_id: viewer.unit_id };
        let t = workflow::decide(&row.state(), actor, &command).map_err(|refusal| {
            let message = refusal.message();
            if refusal.is_forbidden() {
                StoreError::Forbidden { message }
            } else {
                StoreError::Conflict { code: "not_allowed_now", message }
            }
        })?;
        let target_unit = match &command {
            Command::Dispatch { unit_id, assist_unit_ids, .. } => {
                for (i, unit) in std::iter::once(unit_id).chain(assist_unit_ids).enumerate() {
                    let field = if i == 0 { "unit_id".to_owned() } else { format!("assist_unit_ids[{}]", i - 1) };
                    if let Some(fault) = self.unit_choosable(*unit, field).await? {
                        return Err(StoreError::invalid(fault));
                    }
                }
                Some(*unit_id)
            }
            Command::Transfer { unit_id, .. } => {
                if let Some(fault) = self.unit_choosable(*unit_id, "unit_id".to_owned()).await? {
                    return Err(StoreError::invalid(fault));
                }
                Some(*unit_id)
            }
            _ => None,
        };
        let owner = match (&command, t.level != row.level()) {
            (Command::Escalate { .. }, true) => {
                let region = RegionCode::parse(&row.region_code).map_err(|e| StoreError::Setup(e.to_string()))?;
                self.centre_for(&region, t.level).await?.map(|c| c.unit_id)
            }
            _ => None,
        };
        let context = self.clock_context().await?;
        let now_ms = to_ms(now);
        let mut data = command.event_data();
        if t.level != row.level() {
            data["level"] = json!(t.level);
        }
        if t.reopened {
            data["reopened"] = json!(true);
        }
        // A dispatch elsewhere than the suggested route is an override, kept with its reason.
        let suggested: Option<i64> = serde_json::from_str::<Routing>(&row.routing).ok().and_then(|r| r.unit_id);
        if let (Command::Dispatch { unit_id, .. }, Some(suggested)) = (&command, suggested) {
            data["suggested_unit_id"] = json!(suggested);
            data["override"] = json!(*unit_id != suggested);
        }
        let mut tx = self.begin().await?;
        let head = lock_head(&mut tx, id).await?;
        let rollups = self.statistics_of_step(&mut tx, &row, &command, &mut data, &context, now).await?;
        let level_code = json!(t.level).as_str().unwrap_or("district").to_owned();
        let outcome = t.outcome.map(|o| o.as_str());
        let stamp = |condition: bool| condition.then_some(now_ms);
        let changed = tx
            .execute(
                "UPDATE cases SET version = version + 1, status = $1, lead_unit_id = $2, outcome = $3, level = $4, updated_at = $5,
                    contacted_at = COALESCE(contacted_at, $6),
                    dispatched_at = COALESCE($7, dispatched_at),
                    first_dispatched_at = COALESCE(first_dispatched_at, $7),
                    rejected_at = CASE WHEN $13 THEN $5 ELSE rejected_at END,
                    owner_unit_id = COALESCE($16, owner_unit_id),
                    concluded_at = CASE WHEN $8 THEN $5 WHEN $9 THEN NULL ELSE concluded_at END,
                    summary = CASE WHEN $8 THEN $10 ELSE summary END,
                    satisfaction = COALESCE($11, satisfaction),
                    followed_up_at = COALESCE($12, followed_up_at)
                 WHERE id = $14 AND version = $15",
                args![
                    t.status.as_str(),
                    t.lead_unit_id,
                    outcome,
                    level_code,
                    now_ms,
                    stamp(t.first_contact),
                    stamp(target_unit.is_some()),
                    matches!(command, Command::Conclude { .. }),
                    t.reopened,
                    match &command {
                        Command::Conclude { summary, .. } => Some(summary.clone()),
                        _ => None,
                    },
                    t.satisfaction.map(|s| s.as_str().to_owned()),
                    stamp(t.satisfaction.is_some()),
                    matches!(command, Command::Reject { .. }),
                    id,
                    version,
                    owner,
                ],
            )
            .await?;
        if changed == 0 {
            return Err(stale(version + 1));
        }
        if let Some(assists) = &t.assist_unit_ids {
            tx.execute("DELETE FROM case_units WHERE case_id = $1", args![id]).await?;
            if let Some(lead) = t.lead_unit_id {
                tx.execute("INSERT INTO case_units (case_id, unit_id, role) VALUES ($1, $2, 'lead')", args![id, lead])
                    .await?;
            }
            for unit in assists {
                tx.execute(
                    "INSERT INTO case_units (case_id, unit_id, role) VALUES ($1, $2, 'assist')",
                    args![id, *unit],
                )
                .await?;
            }
        }
        self.hop_apply(&mut tx, id, &t.hop, viewer.user_id, now_ms).await?;
        if t.extension_days > 0 {
            tx.execute(
                "UPDATE hops SET extension_days = extension_days + $1 WHERE case_id = $2 AND ended_at IS NULL",
                args![t.extension_days, id],
            )
            .await?;
        }
        data["recorded"] = write::recorded_now(&mut tx, id).await?;
        append_event(&mut tx, id, head, now_ms, &viewer.username, command.action().as_str(), &data).await?;
        if let Command::FollowUp { satisfaction, .. } = &command {
            // The follow-up rates the case's mediator too (the registry's ratings).
            tx.execute(
                "UPDATE mediator_profiles SET rating_sum = rating_sum + $1, rating_count = rating_count + 1
                 WHERE user_id = (SELECT user_id FROM case_mediators WHERE case_id = $2)",
                args![satisfaction.rating(), id],
            )
            .await?;
        }
        self.deadlines_refresh(&mut tx, id, &context, now).await?;
        crate::figures::figures_refresh(&mut tx, &[id]).await?;
        for (day, counts) in rollups {
            rollup_add(&mut tx, day, &row.region_code, &counts).await?;
        }
        if let Some(outcome) = outcome.filter(|_| matches!(command, Command::Conclude { .. })) {
            self.sms_concluded(&mut tx, id, row.number_str(), outcome, now).await?;
        }
        if let Command::Dispatch { unit_id, .. } | Command::Transfer { unit_id, .. } = &command {
            self.sms_dispatched(&mut tx, id, row.number_str(), *unit_id, now).await?;
        }
        // A step that opens or ends a case changes the counts of the places it lies in.
        let opened_or_ended = row.status().is_open() != t.status.is_open();
        let risk = Risk::parse(&row.risk).unwrap_or(Risk::None);
        if opened_or_ended {
            let mut counts = crate::place_risk::PlaceCountChanges::default();
            counts.add(&row.region_code, row.grid_id, risk, if t.status.is_open() { 1 } else { -1 });
            counts.write(&mut tx).await?;
        }
        tx.commit().await?;
        if opened_or_ended {
            let renamed = matches!(risk, Risk::Red | Risk::Orange);
            self.place_risk_evaluate_at(&[(row.region_code.clone(), row.grid_id)], renamed, now).await?;
        }
        // The actor sees the result of their own step even when it took the case out of their
        // scope (a unit that returned a case).
        let row: CaseRow =
            self.fetch_one(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"), args![id]).await?;
        self.case_view(viewer, row, false).await
    }

    /// What a step adds to the statistics, by rollup day; the facts behind it are recorded in
    /// the event's data so that a recount from the history gives the same figures.
    async fn statistics_of_step(
        &self,
        tx: &mut Tx,
        row: &CaseRow,
        command: &Command,
        data: &mut serde_json::Value,
        context: &ClockContext,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, Counts)>> {
        let today = day_of(now);
        Ok(match command {
            Command::Dispatch { .. } if row.first_dispatched_at.is_none() => {
                data["first"] = json!(true);
                vec![(today, Counts { first_dispatched: 1, ..Counts::default() })]
            }
            Command::Sign => {
                let (hops,): (i64,) =
                    tx.fetch_one("SELECT COUNT(*) FROM hops WHERE case_id = $1", args![row.id]).await?;
                let first = row.first_dispatched_at.filter(|_| hops == 1);
                data["first_time_right"] = json!(first.is_some());
                first
                    .map(|at| vec![(day_of(from_ms(at)), Counts { first_time_right: 1, ..Counts::default() })])
                    .unwrap_or_default()
            }
            Command::Conclude { .. } => {
                let china = |ms: i64| from_ms(ms).with_timezone(&domain::china_time()).date_naive();
                let started = row.dispatched_at.map(china).unwrap_or_else(|| china(to_ms(now)));
                let (on_time, working_days) =
                    clocks::conclusion_figures(started, now, row.conclude_by.map(from_ms), &context.calendar);
                data["on_time"] = json!(on_time);
                data["handling_working_days"] = json!(working_days);
                vec![(today, conclusion_counts(data))]
            }
            Command::FollowUp { satisfaction, .. } => {
                let satisfied =
                    i64::from(matches!(satisfaction, Satisfaction::Satisfied | Satisfaction::BasicallySatisfied));
                vec![(today, Counts { rated: 1, satisfied, ..Counts::default() })]
            }
            _ => Vec::new(),
        })
    }

    async fn hop_apply(&self, tx: &mut Tx, case_id: i64, hop: &HopChange, user_id: i64, now_ms: i64) -> Result<()> {
        const END_OPEN: &str = "UPDATE hops SET ended_at = $1 WHERE case_id = $2 AND ended_at IS NULL";
        match hop {
            HopChange::Unchanged => {}
            HopChange::Open { unit_id, assist_unit_ids } => {
                tx.execute(END_OPEN, args![now_ms, case_id]).await?;
                tx.execute(
                    "INSERT INTO hops (case_id, unit_id, assist_unit_ids, dispatched_by, dispatched_at) VALUES ($1, $2, $3, $4, $5)",
                    args![case_id, *unit_id, json!(assist_unit_ids).to_string(), user_id, now_ms],
                )
                .await?;
            }
            HopChange::Sign => {
                tx.execute(
                    "UPDATE hops SET signed_at = $1 WHERE case_id = $2 AND ended_at IS NULL",
                    args![now_ms, case_id],
                )
                .await?;
            }
            HopChange::Return { reason } => {
                tx.execute(
                    "UPDATE hops SET returned_at = $1, return_reason = $2, ended_at = $1 WHERE case_id = $3 AND ended_at IS NULL",
                    args![now_ms, reason.clone(), case_id],
                )
                .await?;
            }
            HopChange::End => {
                tx.execute(END_OPEN, args![now_ms, case_id]).await?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// The triage a registration would get, without registering it.
    pub async fn triage_preview(
        &self,
        new: &NewCase,
        registering_region: &RegionCode,
        now: DateTime<Utc>,
    ) -> Result<crate::triage::Triage> {
        let context = self.clock_context().await?;
        let today = now.with_timezone(&domain::china_time()).date_naive();
        self.triage(new, registering_region, spring_festival(&context.calendar, today), now).await
    }
}

/// The first day of the Spring Festival holiday on or after `today`, from the calendar.
fn spring_festival(calendar: &domain::calendar::Calendar, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    calendar
        .years()
        .flat_map(|y| &y.holidays)
        .filter(|h| h.name.contains("春节") && h.rest[1] >= today)
        .map(|h| h.rest[0])
        .min()
}

fn stale(current: i64) -> StoreError {
    StoreError::conflict("stale_version", msg!("case.stale_version", current = current))
}

/// Reads the head of a case's history inside a write transaction, locking the row on
/// PostgreSQL so that two writers append one after the other (SQLite's `BEGIN IMMEDIATE`
/// already serialises writers).
async fn lock_head(tx: &mut Tx, case_id: i64) -> Result<(i64, String)> {
    tx.fetch_optional_for_update("SELECT event_seq, event_hash FROM cases WHERE id = $1", args![case_id])
        .await?
        .ok_or(StoreError::NotFound { what: "case" })
}

/// Locks the case's history head and appends one event after it.
pub(crate) async fn append_event_locked(
    tx: &mut Tx,
    case_id: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    data: &serde_json::Value,
) -> Result<()> {
    let head = lock_head(tx, case_id).await?;
    append_event(tx, case_id, head, at_ms, actor, action, data).await.map(drop)
}

/// Appends one event after `head` and moves the case's recorded head to it; returns the new head.
/// The event records, as `rows`, what changed in the rows the case owns ([`owned`]): every
/// step appends its event after its writes, in the same transaction.
async fn append_event(
    tx: &mut Tx,
    case_id: i64,
    head: (i64, String),
    at_ms: i64,
    actor: &str,
    action: &str,
    data: &serde_json::Value,
) -> Result<(i64, String)> {
    let mut data = data.clone();
    data["rows"] = owned::rows_changed(tx, case_id).await?;
    let (row, (seq, hash)) = write::event_values(case_id, &head, at_ms, actor, action, &data);
    tx.execute(&format!("INSERT INTO case_events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)", write::EVENT_COLUMNS), row)
        .await?;
    tx.execute("UPDATE cases SET event_seq = $1, event_hash = $2 WHERE id = $3", args![seq, hash.clone(), case_id])
        .await?;
    Ok((seq, hash))
}

impl Store {
    /// The newest cases registered from `since` (ms) with a party matching one of `arms`, at
    /// most `limit`, newest first. An arm is a condition on `parties p` with its key as `$2`:
    /// one indexed equality, on an index that ends with `case_id`, so that the arm walks the
    /// subject's parties from its newest case and stops at `limit` — a respondent with thousands
    /// of disputes costs what its recent ones cost. The newest `limit` of the arms' union are
    /// among the newest `limit` of each arm, so merging them here is exact.
    pub(crate) async fn cases_with_party(&self, arms: &[(&str, Arg)], since: i64, limit: i64) -> Result<Vec<i64>> {
        let mut found = std::collections::BTreeSet::new();
        for (arm, key) in arms {
            let rows: Vec<(i64,)> = self
                .fetch_all(
                    &format!(
                        "SELECT DISTINCT p.case_id FROM parties p JOIN cases c ON c.id = p.case_id
                         WHERE {arm} AND c.created_at >= $1 ORDER BY p.case_id DESC LIMIT $3"
                    ),
                    args![since, key.clone(), limit],
                )
                .await?;
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found.into_iter().rev().take(usize::try_from(limit).unwrap_or(0)).collect())
    }
}

/// A list's two statements with their arguments: the bounded count and the page.
pub(crate) struct ListStatements {
    pub count_sql: String,
    pub count_args: Vec<Arg>,
    pub page_sql: String,
    pub page_args: Vec<Arg>,
}

/// The statements of the case list for `viewer` and `filter` (also what `plans` explains).
pub(crate) fn case_list_statements(viewer: &Viewer, filter: &CaseFilter, now: DateTime<Utc>) -> ListStatements {
    // $1, $2, $3: the scope; the filters follow.
    let mut args = Vec::new();
    let branches = scope_branches(viewer, 1, &mut args);
    let mut conditions = Vec::new();
    if !filter.status_in.is_empty() {
        let statuses: Vec<&str> = filter.status_in.iter().map(|s| s.as_str()).collect();
        let listed = in_list(&mut args, &statuses);
        conditions.push(format!("c.status IN ({listed})"));
    }
    let mut push = |condition: &str, value: Arg, args: &mut Vec<Arg>| {
        args.push(value);
        conditions.push(condition.replace('?', &format!("${}", args.len())));
    };
    if let Some(status) = filter.status {
        push("c.status = ?", status.as_str().into(), &mut args);
    }
    if let Some(category) = filter.category {
        push("c.category = ?", category.as_str().into(), &mut args);
    }
    if let Some(risk) = filter.risk {
        push("c.risk = ?", risk.as_str().into(), &mut args);
    }
    if let Some(region) = &filter.region {
        let (low, high) = region.subtree_range();
        push("c.region_code >= ?", low.into(), &mut args);
        push("c.region_code <= ?", high.into(), &mut args);
    }
    if let Some(unit) = filter.unit {
        push("EXISTS (SELECT 1 FROM case_units fu WHERE fu.case_id = c.id AND fu.unit_id = ?)", unit.into(), &mut args);
    }
    if let Some(overdue) = filter.overdue {
        let condition = if overdue { "c.next_due_at < ?" } else { "(c.next_due_at IS NULL OR c.next_due_at >= ?)" };
        push(condition, to_ms(now).into(), &mut args);
    }
    if let Some(hours) = filter.due_within_hours {
        push("c.next_due_at >= ?", to_ms(now).into(), &mut args);
        push("c.next_due_at <= ?", to_ms(now + Duration::hours(hours)).into(), &mut args);
    }
    if let Some(unit) = filter.mine {
        push(
            "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress', 'concluded') AND (c.owner_unit_id = ? OR EXISTS (SELECT 1 FROM case_units mu WHERE mu.case_id = c.id AND mu.unit_id = ?))",
            unit.into(),
            &mut args,
        );
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        args.push(pattern.into());
        let n = args.len();
        conditions.push(format!(
            "(c.number LIKE ${n} ESCAPE '\\' OR c.title LIKE ${n} ESCAPE '\\' OR c.description LIKE ${n} ESCAPE '\\')"
        ));
    }
    let filters = if conditions.is_empty() { "TRUE".to_owned() } else { conditions.join(" AND ") };
    // The scope is a union of three branches, each served by an index of its own (the region
    // subtree, the owning unit, the unit's assignments): the database takes the newest of
    // each, so a narrow scope is never found by reading every case.
    let union = |inner: &dyn Fn(&str) -> String| {
        branches
            .iter()
            .enumerate()
            .map(|(i, scope)| format!("SELECT id FROM ({}) b{i}", inner(scope)))
            .collect::<Vec<_>>()
            .join(" UNION ")
    };
    // Counting stops at a bound, so a list over millions of cases stays as fast as its page.
    let count_sql = format!(
        "SELECT COUNT(*) FROM ({}) counted",
        union(&|scope| format!("SELECT c.id FROM cases c WHERE {scope} AND {filters} LIMIT {}", COUNT_LIMIT + 1))
    );
    let count_args = args.clone();
    // The page: after the cursor (the total counts the whole list), in each branch as well,
    // so that each index starts where the last page ended.
    let page_filters = match filter.after {
        Some(cursor) => {
            args.extend(args![cursor.created_ms, cursor.id]);
            let n = args.len();
            format!("{filters} AND (c.created_at, c.id) < (${}, ${n})", n - 1)
        }
        None => filters.clone(),
    };
    let (limit, offset) = (filter.limit.clamp(1, MAX_PAGE_SIZE), filter.offset.max(0));
    let n = args.len();
    args.extend(args![limit + offset, limit, offset]);
    let newest = |scope: &str| {
        format!(
            "SELECT c.id FROM cases c WHERE {scope} AND {page_filters} ORDER BY c.created_at DESC, c.id DESC LIMIT ${}",
            n + 1
        )
    };
    let page_sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c WHERE c.id IN ({}) ORDER BY c.created_at DESC, c.id DESC LIMIT ${} OFFSET ${}",
        union(&newest),
        n + 2,
        n + 3
    );
    ListStatements { count_sql, count_args, page_sql, page_args: args }
}
