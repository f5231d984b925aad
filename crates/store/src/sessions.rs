//! Mediation sessions and the mediator of a case: scheduling in person or by video, each
//! party's acknowledgement of the rights-and-duties notice (权利义务告知书) and consent after the
//! mediator's conflict-of-interest disclosure, the minutes (调解笔录) confirmed by the parties, a
//! party's refusal (人民调解法 art. 17: no mediation; the case is concluded `refused` with the
//! other routes explained, art. 26), and the choice or change of mediator (art. 19: the parties
//! may choose; 群众点单).

use chrono::{DateTime, Utc};
use domain::authz::{Permission, Reach};
use domain::case::{Outcome, Status};
use domain::ids::{CaseId, SessionId, UserId};
use domain::msg;
use domain::validation::{FieldError, Message};
use domain::workflow::Command;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cases::{CaseView, append_event_locked};
use crate::sql::{Tx, args, from_row};
use crate::{Result, Store, StoreError, Viewer, from_ms, rfc3339, to_ms};

/// The refusals of mediation (art. 17) that hold for case `$1`: those with no reopening after.
const REFUSALS_IN_FORCE: &str = "SELECT COUNT(*) FROM case_events r WHERE r.case_id = $1 AND r.action = 'mediation_refused'
     AND NOT EXISTS (SELECT 1 FROM case_events o WHERE o.case_id = r.case_id AND o.action = 'reopen' AND o.seq > r.seq)";

/// A session to schedule.
#[derive(Debug, Default)]
pub struct SessionInput {
    /// in_person | video
    pub mode: Option<String>,
    /// RFC 3339
    pub scheduled_at: Option<String>,
    /// Where, for a session in person.
    pub place: Option<String>,
    /// The video room's link, for a session by video.
    pub link: Option<String>,
    /// The mediator's conflict-of-interest disclosure (none: "无").
    pub disclosure: Option<String>,
}

/// A party's acknowledgement at a session, stored with the session as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub party_index: usize,
    /// The rights-and-duties notice was given and acknowledged.
    #[serde(serialize_with = "stored_time")]
    pub rights_acknowledged_at: Option<DateTime<Utc>>,
    /// Consent to the mediator after the disclosure.
    #[serde(serialize_with = "stored_time")]
    pub consented_at: Option<DateTime<Utc>>,
    /// Confirmed the minutes.
    #[serde(serialize_with = "stored_time")]
    pub minutes_confirmed_at: Option<DateTime<Utc>>,
}

/// A time in the stored acknowledgements, written as it always was (RFC 3339 in China time).
fn stored_time<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    at.map(|at| rfc3339(to_ms(at))).serialize(serializer)
}

#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: i64,
    pub case_id: i64,
    /// in_person | video
    pub mode: String,
    pub scheduled_at: DateTime<Utc>,
    pub place: Option<String>,
    pub link: Option<String>,
    pub mediator: String,
    pub disclosure: Option<String>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub minutes: Option<String>,
    /// scheduled | held | cancelled
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A session on the calendar (调解日程): when and how, whose, and the case it belongs to.
#[derive(Debug, Clone)]
pub struct CalendarSession {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    /// in_person | video
    pub mode: String,
    pub scheduled_at: DateTime<Utc>,
    pub place: Option<String>,
    /// scheduled | held | cancelled
    pub status: String,
    /// The mediator's username, name and unit (none for an account since removed).
    pub mediator: String,
    pub mediator_name: Option<String>,
    pub mediator_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
}
from_row!(
    CalendarSession {
        id,
        case_id,
        case_number,
        mode,
        place,
        status,
        mediator,
        mediator_name,
        mediator_id,
        unit_id,
        unit_name
    },
    time { scheduled_at }
);

/// Which sessions the calendar shows: a period, narrowed to a mediator's unit or a mediator.
#[derive(Debug, Clone)]
pub struct CalendarFilter {
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub until: DateTime<Utc>,
    pub unit_id: Option<i64>,
    pub mediator_id: Option<i64>,
}

/// The most sessions one calendar answer holds.
pub const CALENDAR_LIMIT: i64 = 2000;

/// The mediator chosen for a case.
#[derive(Debug, Clone)]
pub struct CaseMediator {
    pub user_id: i64,
    pub name: String,
    /// centre | party (群众点单)
    pub chosen_by: String,
    pub reason: Option<String>,
    pub assigned_at: DateTime<Utc>,
}

pub(crate) type SessionRow = (
    i64,
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    i64,
);

const SESSION_COLUMNS: &str =
    "id, case_id, mode, scheduled_at, place, link, mediator, disclosure, acknowledgements, minutes, status, created_at";

/// The minutes as kept: trimmed, none when empty, at most 20 000 characters.
pub(crate) fn minutes_checked(minutes: &str) -> Result<Option<&str>> {
    let minutes = minutes.trim();
    if minutes.chars().count() > 20_000 {
        return Err(StoreError::invalid(FieldError::too_long("minutes", 20_000)));
    }
    Ok(Some(minutes).filter(|m| !m.is_empty()))
}

/// The SHA-256 (hex) of the minutes' text, what a party's confirmation names.
pub(crate) fn minutes_hash(minutes: &str) -> String {
    crate::blobs::sha256_hex(minutes.as_bytes())
}

/// Minutes are recorded only once every party has acknowledged the rights notice and
/// consented to the mediator.
pub(crate) fn everyone_acknowledged(row: &SessionRow) -> Result<()> {
    let acks: Vec<Acknowledgement> = serde_json::from_str(&row.8).unwrap_or_default();
    if acks.iter().any(|a| a.rights_acknowledged_at.is_none() || a.consented_at.is_none()) {
        return Err(StoreError::conflict("not_acknowledged", msg!("sessions.not_acknowledged")));
    }
    Ok(())
}

fn session_view(row: SessionRow) -> SessionView {
    let (id, case_id, mode, scheduled_at, place, link, mediator, disclosure, acks, minutes, status, created_at) = row;
    SessionView {
        id,
        case_id,
        mode,
        scheduled_at: from_ms(scheduled_at),
        place,
        link,
        mediator,
        disclosure,
        acknowledgements: serde_json::from_str(&acks).unwrap_or_default(),
        minutes,
        status,
        created_at: from_ms(created_at),
    }
}

fn invalid(field: &str, message: Message) -> StoreError {
    StoreError::invalid(FieldError::new(field, "invalid", message))
}

/// What a party does at a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyAct {
    AcknowledgeRights,
    Consent,
    ConfirmMinutes,
}

/// How many of the best-suited mediators a party chooses from (群众点单).
pub const PARTY_CHOICES: usize = 5;

impl Store {
    /// The sessions of a period that the viewer may see, in time order: as far as `reach` goes
    /// (the grant of `Permission::SessionsRead`, asked by the caller) — every session in the
    /// scope, those of cases the viewer's unit handles, or the viewer's own.
    pub async fn sessions_calendar(
        &self,
        viewer: &Viewer,
        reach: Reach,
        filter: &CalendarFilter,
    ) -> Result<Vec<CalendarSession>> {
        let mut args = args![to_ms(filter.from), to_ms(filter.until)];
        let mut conditions = vec![crate::cases::scope_condition(viewer, 3, &mut args)];
        match reach {
            Reach::Scope => {}
            Reach::Own => {
                args.push(viewer.username.clone().into());
                conditions.push(format!("s.mediator = ${}", args.len()));
            }
            Reach::Handling | Reach::Addressed | Reach::Supervising => {
                args.push(viewer.unit_id.into());
                let unit = args.len();
                conditions.push(format!(
                    "(c.lead_unit_id = ${unit} OR EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = c.id AND cu.unit_id = ${unit}))"
                ));
            }
        }
        if let Some(unit_id) = filter.unit_id {
            args.push(unit_id.into());
            conditions.push(format!("u.unit_id = ${}", args.len()));
        }
        if let Some(mediator_id) = filter.mediator_id {
            args.push(mediator_id.into());
            conditions.push(format!("u.id = ${}", args.len()));
        }
        let sql = format!(
            "SELECT s.id, s.case_id, c.number AS case_number, s.mode, s.scheduled_at, s.place, s.status, s.mediator,
                u.display_name AS mediator_name, u.id AS mediator_id, u.unit_id, n.name AS unit_name
             FROM mediation_sessions s JOIN cases c ON c.id = s.case_id
             LEFT JOIN users u ON u.username = s.mediator LEFT JOIN units n ON n.id = u.unit_id
             WHERE s.scheduled_at >= $1 AND s.scheduled_at < $2 AND {}
             ORDER BY s.scheduled_at, s.id LIMIT {CALENDAR_LIMIT}",
            conditions.join(" AND ")
        );
        self.fetch_all(&sql, args).await
    }

    /// A case's sessions, in order.
    pub async fn sessions(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<SessionView>> {
        let case_id = case_id.get();
        self.case_row(viewer, case_id).await?;
        let sql =
            format!("SELECT {SESSION_COLUMNS} FROM mediation_sessions WHERE case_id = $1 ORDER BY scheduled_at, id");
        let rows: Vec<SessionRow> = self.fetch_all(&sql, args![case_id]).await?;
        Ok(rows.into_iter().map(session_view).collect())
    }

    async fn session_row(&self, viewer: &Viewer, id: i64) -> Result<SessionRow> {
        let row = self.session_row_unchecked(id).await?;
        self.case_row(viewer, row.1).await.map_err(|_| StoreError::NotFound { what: "session" })?;
        Ok(row)
    }

    /// Schedules a session of a case being handled by the viewer's unit.
    pub async fn session_schedule(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        input: SessionInput,
        now: DateTime<Utc>,
    ) -> Result<SessionView> {
        let case_id = case_id.get();
        let case = self.handling_case(viewer, case_id).await?;
        if case.status() != Status::InProgress {
            return Err(StoreError::conflict("not_in_progress", msg!("sessions.not_in_progress")));
        }
        let (refusals,): (i64,) = self.fetch_one(REFUSALS_IN_FORCE, args![case_id]).await?;
        if refusals > 0 {
            return Err(StoreError::conflict("mediation_refused", msg!("sessions.refused")));
        }
        let mut errors = Vec::new();
        let mode = input.mode.as_deref().map(str::trim).unwrap_or_default();
        if !matches!(mode, "in_person" | "video") {
            errors.push(FieldError::not_one_of("mode", "in_person | video"));
        }
        let at = input.scheduled_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok());
        if at.is_none() {
            errors.push(FieldError::new("scheduled_at", "invalid_time", msg!("field.not_a_time")));
        }
        let text =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (place, link) = (text(&input.place), text(&input.link));
        if mode == "video" && link.is_none() {
            errors.push(FieldError::new("link", "required", msg!("sessions.video_needs_link")));
        }
        if mode == "in_person" && place.is_none() {
            errors.push(FieldError::new("place", "required", msg!("sessions.in_person_needs_place")));
        }
        for (field, value) in [("place", &place), ("link", &link), ("disclosure", &text(&input.disclosure))] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 1000) {
                errors.push(FieldError::too_long(field, 1000));
            }
        }
        let Some(at) = at.filter(|_| errors.is_empty()) else { return Err(StoreError::Invalid(errors)) };
        let (parties,): (i64,) =
            self.fetch_one("SELECT COUNT(*) FROM parties WHERE case_id = $1", args![case_id]).await?;
        let acks: Vec<Acknowledgement> = (0..parties as usize)
            .map(|party_index| Acknowledgement { party_index, ..Acknowledgement::default() })
            .collect();
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO mediation_sessions (case_id, mode, scheduled_at, place, link, mediator, disclosure, acknowledgements, minutes_confirmed, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', 'scheduled', $9) RETURNING id",
                args![case_id, mode, to_ms(at.with_timezone(&Utc)), place.clone(), link.clone(), viewer.username.as_str(), text(&input.disclosure), serde_json::to_string(&acks).unwrap_or_default(), now_ms],
            )
            .await?;
        let data = json!({ "session_id": id, "mode": mode, "scheduled_at": rfc3339(to_ms(at.with_timezone(&Utc))), "link": link });
        append_event_locked(&mut tx, case_id, now_ms, &viewer.username, "session_scheduled", &data).await?;
        let where_held = match &place {
            Some(place) if mode == "in_person" => place.clone(),
            _ => domain::i18n::T::default().msg(&msg!("sms.by_video")),
        };
        self.sms_session_scheduled(&mut tx, case_id, to_ms(at.with_timezone(&Utc)), &where_held, now).await?;
        tx.commit().await?;
        let sql = format!("SELECT {SESSION_COLUMNS} FROM mediation_sessions WHERE id = $1");
        Ok(session_view(self.fetch_one(&sql, args![id]).await?))
    }

    /// Records what a party did at a session: acknowledged the rights notice, consented to
    /// the mediator after the disclosure, or confirmed the minutes.
    pub async fn session_party_act(
        &self,
        viewer: &Viewer,
        id: SessionId,
        party_index: usize,
        act: PartyAct,
        now: DateTime<Utc>,
    ) -> Result<SessionView> {
        let id = id.get();
        let row = self.session_row(viewer, id).await?;
        self.handling_case(viewer, row.1).await?;
        self.party_act_on(viewer, row, party_index, act, now).await
    }

    /// A party's own act at a session of their case, from the portal: acknowledging the
    /// rights notice, consenting to the mediator, confirming the minutes — as the first party
    /// of the case with the citizen's phone.
    pub async fn citizen_session_act(
        &self,
        citizen: &crate::citizens::Citizen,
        id: SessionId,
        act: PartyAct,
        now: DateTime<Utc>,
    ) -> Result<SessionView> {
        let case: Option<(i64,)> =
            self.fetch_optional("SELECT case_id FROM mediation_sessions WHERE id = $1", args![id.get()]).await?;
        let case_id = CaseId(case.ok_or(StoreError::NotFound { what: "session" })?.0);
        let viewer = self.viewer_of_party(citizen, case_id, now).await?;
        let party_index = self.citizen_party_index(citizen, case_id).await?;
        let row = self.session_row(&viewer, id.get()).await?;
        self.party_act_on(&viewer, row, party_index, act, now).await
    }

    /// The position among the case's parties of the first one who is the citizen (by phone,
    /// or by ID number and name once real-named).
    pub async fn citizen_party_index(&self, citizen: &crate::citizens::Citizen, case_id: CaseId) -> Result<usize> {
        let sql = format!(
            "SELECT p.position FROM parties p WHERE p.case_id = $1 AND {} ORDER BY p.position LIMIT 1",
            crate::citizens::Citizen::party_is_me(2)
        );
        let first: Option<(i64,)> =
            self.fetch_optional(&sql, args![case_id.get()].into_iter().chain(citizen.party_args()).collect()).await?;
        // Positions are the parties' indexes, counted from 0 (`cases::write`).
        let (position,) = first.ok_or(StoreError::NotFound { what: "case" })?;
        Ok(position as usize)
    }

    /// Records a party's act on a session the caller may record it for.
    async fn party_act_on(
        &self,
        viewer: &Viewer,
        row: SessionRow,
        party_index: usize,
        act: PartyAct,
        now: DateTime<Utc>,
    ) -> Result<SessionView> {
        let id = row.0;
        self.record_party_act(row, party_index, act, &viewer.username, now).await?;
        self.session_view_of(viewer, id).await
    }

    /// Records a party's act at a session in its acknowledgements and the case's history, by
    /// `actor`; a confirmation of the minutes carries the SHA-256 of the text confirmed.
    pub(crate) async fn record_party_act(
        &self,
        row: SessionRow,
        party_index: usize,
        act: PartyAct,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let id = row.0;
        let mut acks: Vec<Acknowledgement> = serde_json::from_str(&row.8).unwrap_or_default();
        let Some(ack) = acks.iter_mut().find(|a| a.party_index == party_index) else {
            return Err(invalid("party_index", msg!("session.no_such_party")));
        };
        let stamp = Some(now);
        let (slot, action) = match act {
            PartyAct::AcknowledgeRights => (&mut ack.rights_acknowledged_at, "rights_acknowledged"),
            PartyAct::Consent => (&mut ack.consented_at, "mediator_consented"),
            PartyAct::ConfirmMinutes => (&mut ack.minutes_confirmed_at, "minutes_confirmed"),
        };
        let mut data = json!({ "session_id": id, "party_index": party_index });
        if act == PartyAct::ConfirmMinutes {
            let Some(minutes) = &row.9 else {
                return Err(StoreError::conflict("no_minutes", msg!("sessions.no_minutes")));
            };
            data["sha256"] = json!(minutes_hash(minutes));
        }
        if slot.is_some() {
            return Err(StoreError::conflict("already_recorded", msg!("sessions.already_recorded")));
        }
        *slot = stamp;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute(
            "UPDATE mediation_sessions SET acknowledgements = $1 WHERE id = $2",
            args![serde_json::to_string(&acks).unwrap_or_default(), id],
        )
        .await?;
        append_event_locked(&mut tx, row.1, now_ms, actor, action, &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A session's row, with no check of who asks (the caller has: a room's pass).
    pub(crate) async fn session_row_unchecked(&self, id: i64) -> Result<SessionRow> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM mediation_sessions WHERE id = $1");
        self.fetch_optional(&sql, args![id]).await?.ok_or(StoreError::NotFound { what: "session" })
    }

    async fn session_view_of(&self, viewer: &Viewer, id: i64) -> Result<SessionView> {
        Ok(session_view(self.session_row(viewer, id).await?))
    }

    /// Records the minutes (调解笔录) of a session; the session is then held. Every party must
    /// have acknowledged the rights notice and consented to the mediator first.
    pub async fn session_minutes(
        &self,
        viewer: &Viewer,
        id: SessionId,
        minutes: &str,
        now: DateTime<Utc>,
    ) -> Result<SessionView> {
        let id = id.get();
        let row = self.session_row(viewer, id).await?;
        self.handling_case(viewer, row.1).await?;
        let minutes = minutes_checked(minutes)?.ok_or_else(|| StoreError::invalid(FieldError::required("minutes")))?;
        everyone_acknowledged(&row)?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute("UPDATE mediation_sessions SET minutes = $1, status = 'held' WHERE id = $2", args![minutes, id])
            .await?;
        append_event_locked(
            &mut tx,
            row.1,
            now_ms,
            &viewer.username,
            "minutes_recorded",
            &json!({ "session_id": id, "minutes": minutes }),
        )
        .await?;
        tx.commit().await?;
        self.session_view_of(viewer, id).await
    }

    /// Whether a party has refused mediation of the case (art. 17) since it was last reopened.
    pub(crate) async fn mediation_refused_in(tx: &mut Tx, case_id: i64) -> Result<bool> {
        let (refusals,): (i64,) = tx.fetch_one(REFUSALS_IN_FORCE, args![case_id]).await?;
        Ok(refusals > 0)
    }

    /// A party refuses mediation (art. 17): no more sessions; the case is concluded `refused`,
    /// the summary telling the other routes (arbitration, administrative, judicial; art. 26).
    pub async fn mediation_refused(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        party_index: usize,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseView> {
        let case_id = case_id.get();
        let case = self.handling_case(viewer, case_id).await?;
        let parties: Vec<(String,)> =
            self.fetch_all("SELECT name FROM parties WHERE case_id = $1 ORDER BY position", args![case_id]).await?;
        let Some((name,)) = parties.get(party_index) else {
            return Err(invalid("party_index", msg!("session.no_such_party")));
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid(FieldError::required("reason")));
        }
        let summary = format!(
            "当事人{name}明确拒绝调解（人民调解法第十七条），不再调解。已告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利（第二十六条）。拒绝理由：{reason}"
        );
        // The conclusion checks the step (status, role, version) before anything is recorded.
        let conclude = Command::Conclude { outcome: Outcome::Refused, summary };
        let concluded = self.case_act(viewer, CaseId(case_id), conclude, case.version(), now).await?;
        let mut tx = self.begin().await?;
        tx.execute(
            "UPDATE mediation_sessions SET status = 'cancelled' WHERE case_id = $1 AND status = 'scheduled'",
            args![case_id],
        )
        .await?;
        let data = json!({ "party_index": party_index, "reason": reason });
        append_event_locked(&mut tx, case_id, to_ms(now), &viewer.username, "mediation_refused", &data).await?;
        tx.commit().await?;
        Ok(concluded)
    }

    /// The mediator chosen for a case, if any.
    pub async fn case_mediator(&self, viewer: &Viewer, case_id: CaseId) -> Result<Option<CaseMediator>> {
        let case_id = case_id.get();
        self.case_row(viewer, case_id).await?;
        let row: Option<(i64, String, String, Option<String>, i64)> = self
            .fetch_optional(
                "SELECT m.user_id, u.display_name, m.chosen_by, m.reason, m.assigned_at FROM case_mediators m JOIN users u ON u.id = m.user_id WHERE m.case_id = $1",
                args![case_id],
            )
            .await?;
        Ok(row.map(|(user_id, name, chosen_by, reason, at)| CaseMediator {
            user_id,
            name,
            chosen_by,
            reason,
            assigned_at: from_ms(at),
        }))
    }

    /// Assigns the case's mediator: the centre's pick or the party's own choice (群众点单);
    /// a change on request needs a reason. The centres may assign, and the handling unit's own
    /// staff for its cases (`authz::POLICY`).
    pub async fn case_mediator_assign(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        user_id: UserId,
        chosen_by: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CaseMediator> {
        let case = self.case_for(viewer, case_id.get(), Permission::MediatorChoose).await?;
        self.mediator_assign_on(viewer, case, user_id, chosen_by, reason, now).await
    }

    /// 群众点单: the party chooses the case's mediator from those it is offered (the best
    /// [`PARTY_CHOICES`] suggestions), while none has been chosen.
    pub async fn citizen_mediator_choose(
        &self,
        citizen: &crate::citizens::Citizen,
        case_id: CaseId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<CaseMediator> {
        let viewer = self.viewer_of_party(citizen, case_id, now).await?;
        if self.case_mediator(&viewer, case_id).await?.is_some() {
            return Err(StoreError::conflict("already_chosen", msg!("portal.mediator_already_chosen")));
        }
        let offered = self.mediator_suggestions(&viewer, case_id).await?;
        if !offered.iter().take(PARTY_CHOICES).any(|m| m.user_id == user_id.get()) {
            return Err(invalid("user_id", msg!("portal.mediator_not_offered")));
        }
        let case = self.case_row(&viewer, case_id.get()).await?;
        self.mediator_assign_on(&viewer, case, user_id, "party", None, now).await
    }

    /// Assigns (or changes) the mediator of a case the caller may choose for.
    async fn mediator_assign_on(
        &self,
        viewer: &Viewer,
        case: crate::cases::CaseRow,
        user_id: UserId,
        chosen_by: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CaseMediator> {
        let case_id = case.id();
        let user_id = user_id.get();
        if !matches!(case.status(), Status::Registered | Status::Accepted | Status::Dispatched | Status::InProgress) {
            return Err(StoreError::conflict("case_closed", msg!("sessions.case_closed")));
        }
        if !matches!(chosen_by, "centre" | "party") {
            return Err(StoreError::invalid(FieldError::not_one_of("chosen_by", "centre | party")));
        }
        let mediator: Option<(String, i64)> =
            self.fetch_optional("SELECT role, unit_id FROM users WHERE id = $1 AND active", args![user_id]).await?;
        let Some((_, mediator_unit)) = mediator.filter(|(role, _)| role == "mediator") else {
            return Err(invalid("user_id", msg!("session.not_a_mediator")));
        };
        let current = self.case_mediator(viewer, CaseId(case_id)).await?;
        if current.is_some() && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(StoreError::invalid(FieldError::new(
                "reason",
                "required",
                msg!("sessions.mediator_change_needs_reason"),
            )));
        }
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute("DELETE FROM case_mediators WHERE case_id = $1", args![case_id]).await?;
        tx.execute(
            "INSERT INTO case_mediators (case_id, user_id, chosen_by, reason, assigned_at) VALUES ($1, $2, $3, $4, $5)",
            args![case_id, user_id, chosen_by, reason.clone(), now_ms],
        )
        .await?;
        // The mediator's unit joins the case as an assisting unit, so that the case is in its
        // inbox and the mediator may mediate it; a unit that joined only for the mediator it
        // replaces leaves.
        let joined_before: Option<(String,)> = tx
            .fetch_optional(
                "SELECT data FROM case_events WHERE case_id = $1 AND action IN ('mediator_assigned', 'mediator_changed') ORDER BY seq DESC LIMIT 1",
                args![case_id],
            )
            .await?;
        let joined_before = joined_before
            .and_then(|(data,)| serde_json::from_str::<serde_json::Value>(&data).ok())
            .and_then(|data| data["joined_unit_id"].as_i64());
        if let Some(unit) = joined_before.filter(|unit| *unit != mediator_unit) {
            tx.execute(
                "DELETE FROM case_units WHERE case_id = $1 AND unit_id = $2 AND role = 'assist'",
                args![case_id, unit],
            )
            .await?;
        }
        let (units_of_case,): (i64,) = tx
            .fetch_one(
                "SELECT COUNT(*) FROM case_units WHERE case_id = $1 AND unit_id = $2",
                args![case_id, mediator_unit],
            )
            .await?;
        let joined = units_of_case == 0 && case.lead_unit_id() != Some(mediator_unit);
        if joined {
            tx.execute(
                "INSERT INTO case_units (case_id, unit_id, role) VALUES ($1, $2, 'assist')",
                args![case_id, mediator_unit],
            )
            .await?;
        }
        let joined_unit = if joined { Some(mediator_unit) } else { joined_before.filter(|u| *u == mediator_unit) };
        let action = if current.is_some() { "mediator_changed" } else { "mediator_assigned" };
        let data = json!({ "user_id": user_id, "chosen_by": chosen_by, "reason": reason, "previous": current.map(|c| c.user_id), "joined_unit_id": joined_unit });
        append_event_locked(&mut tx, case_id, now_ms, &viewer.username, action, &data).await?;
        tx.commit().await?;
        self.case_mediator(viewer, CaseId(case_id)).await?.ok_or(StoreError::NotFound { what: "mediator" })
    }

    /// Sets a mediator's profile (the registry: specialities, languages).
    pub async fn mediator_profile_put(&self, user_id: UserId, specialities: &[&str], languages: &str) -> Result<()> {
        let user_id = user_id.get();
        self.execute("DELETE FROM mediator_profiles WHERE user_id = $1", args![user_id]).await?;
        self.execute(
            "INSERT INTO mediator_profiles (user_id, specialities, languages, rating_sum, rating_count) VALUES ($1, $2, $3, 0, 0)",
            args![user_id, specialities.join(" "), languages],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn acknowledgements_read_and_write_the_stored_format() {
        let stored = r#"[{"party_index":0,"rights_acknowledged_at":"2026-11-23T17:05:00+08:00","consented_at":null,"minutes_confirmed_at":null}]"#;
        let acks: Vec<Acknowledgement> = serde_json::from_str(stored).unwrap();
        assert_eq!(acks[0].rights_acknowledged_at, Some(Utc.with_ymd_and_hms(2026, 11, 23, 9, 5, 0).unwrap()));
        assert_eq!(serde_json::to_string(&acks).unwrap(), stored);
    }
}
