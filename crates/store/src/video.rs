//! Video mediation (issue 17, first slice): invitations to a video session's room, one per
//! participant, each with a single-purpose token of which only the SHA-256 is kept; admission
//! of waiting participants; and the recordings kept as the case's evidence.
//!
//! In the room the mediator writes the session's minutes (调解笔录, the session's own
//! `minutes`, saved as typed), puts them to the parties, and each party confirms them there
//! (an event naming the SHA-256 of the text confirmed); a party is shown the signing link of
//! the case's agreement awaiting their signature (the existing signing flow).
//!
//! A token joins only its session's room, as its participant, and only while the session is
//! `scheduled`: once the session is held or cancelled (or new invitations replace it) it no
//! longer works.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::ids::SessionId;
use domain::msg;
use domain::recording::{HoldReason, Retention};
use domain::validation::FieldError;
use serde_json::json;

use crate::auth::token_hash;
use crate::cases::append_event_locked;
use crate::sessions::{PartyAct, everyone_acknowledged, minutes_checked, minutes_hash};
use crate::sql::args;
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// The roles an extra participant may have (the mediator is the host, the parties are parties).
pub const EXTRA_ROLES: &[&str] = &["interpreter", "lawyer", "observer"];

/// The most extra participants one call may invite.
pub const MAX_EXTRAS: usize = 10;

/// An extra participant asked for: a role and, optionally, a name.
#[derive(Debug, Clone, Default)]
pub struct ExtraParticipant {
    pub role: Option<String>,
    pub name: Option<String>,
}

/// One invitation as given to the inviter, once: the token is not kept.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub participant: String,
    pub role: String,
    pub token: String,
}

/// What a token opens: the session's room, as this participant.
#[derive(Debug, Clone)]
pub struct RoomPass {
    pub session_id: i64,
    pub case_id: i64,
    pub participant: String,
    pub role: String,
    pub admitted: bool,
}

/// A recording of one track, kept as evidence.
#[derive(Debug, Clone)]
pub struct RecordingView {
    pub id: i64,
    pub session_id: i64,
    pub case_id: i64,
    pub participant: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// When its file was deleted, its retention period over (已按保存期限删除); the row stays.
    pub purged_at: Option<DateTime<Utc>>,
}

/// The minutes as the room shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMinutes {
    pub text: Option<String>,
    /// The SHA-256 of the text, what a confirmation names.
    pub sha256: Option<String>,
    /// The mediator has put the text to the parties for their confirmation.
    pub asked: bool,
    /// The parties who confirmed (their names in the room: `party-1` …).
    pub confirmed: Vec<String>,
}

/// A legal hold on a case's recordings (录音录像保全): while it is in force (not released) the
/// retention purge skips them.
#[derive(Debug, Clone)]
pub struct RecordingHold {
    pub id: i64,
    pub case_id: i64,
    pub reason: String,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
    pub released_by: Option<String>,
    pub released_at: Option<DateTime<Utc>>,
}

type HoldRow = (i64, i64, String, String, i64, Option<String>, Option<i64>);

const HOLD_COLUMNS: &str = "id, case_id, reason, placed_by, placed_at, released_by, released_at";

fn hold_view(row: HoldRow) -> RecordingHold {
    let (id, case_id, reason, placed_by, placed_at, released_by, released_at) = row;
    RecordingHold {
        id,
        case_id,
        reason,
        placed_by,
        placed_at: from_ms(placed_at),
        released_by,
        released_at: released_at.map(from_ms),
    }
}

/// The position among the case's parties of a party's name in the room (`party-1` is 0).
fn party_index(pass: &RoomPass) -> Option<usize> {
    let n: usize = pass.participant.strip_prefix("party-")?.parse().ok()?;
    (pass.role == "party").then_some(n.checked_sub(1)?)
}

fn host_only(pass: &RoomPass) -> Result<()> {
    if pass.role != "host" {
        return Err(StoreError::forbidden(msg!("video.host_only")));
    }
    Ok(())
}

type RecordingRow = (i64, i64, i64, String, String, i64, String, i64, i64, Option<i64>);

/// A recording's columns over [`RECORDINGS`] (`r`, its purge `p`).
const RECORDING_COLUMNS: &str = "r.id, r.session_id, r.case_id, r.participant, r.content_type, r.bytes, r.sha256, \
     r.started_at, r.ended_at, p.purged_at";

/// The recordings, each with its purge if its file was deleted.
const RECORDINGS: &str = "video_recordings r LEFT JOIN video_recording_purges p ON p.recording_id = r.id";

/// Of an evidence row `e`: it is a recording's own (written by the media server) whose file
/// was purged — no file to read, check or export.
pub(crate) const PURGED_RECORDING_EVIDENCE: &str = "e.uploaded_by LIKE 'video:%' AND EXISTS (SELECT 1 \
     FROM video_recordings r JOIN video_recording_purges p ON p.recording_id = r.id \
     WHERE r.case_id = e.case_id AND r.sha256 = e.sha256)";

/// The settings row holding the retention period of recordings.
const RETENTION_SETTING: &str = "recording_retention";

fn recording_view(row: RecordingRow) -> RecordingView {
    let (id, session_id, case_id, participant, content_type, bytes, sha256, started_at, ended_at, purged_at) = row;
    RecordingView {
        id,
        session_id,
        case_id,
        participant,
        content_type,
        bytes,
        sha256,
        started_at: from_ms(started_at),
        ended_at: from_ms(ended_at),
        purged_at: purged_at.map(from_ms),
    }
}

/// Checks the extra participants asked for: each a known role, a name of at most 50 characters.
fn check_extras(extras: &[ExtraParticipant]) -> Result<Vec<(String, Option<String>)>> {
    let mut errors = Vec::new();
    if extras.len() > MAX_EXTRAS {
        errors.push(FieldError::new("participants", "too_many", msg!("video.too_many_participants", max = MAX_EXTRAS)));
    }
    let mut checked = Vec::new();
    for (i, extra) in extras.iter().enumerate() {
        let role = extra.role.as_deref().map(str::trim).unwrap_or_default();
        if !EXTRA_ROLES.contains(&role) {
            errors.push(FieldError::not_one_of(format!("participants[{i}].role"), "interpreter | lawyer | observer"));
        }
        let name = extra.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if name.as_ref().is_some_and(|n| n.chars().count() > 50) {
            errors.push(FieldError::too_long(format!("participants[{i}].name"), 50));
        }
        checked.push((role.to_owned(), name));
    }
    if errors.is_empty() { Ok(checked) } else { Err(StoreError::Invalid(errors)) }
}

impl Store {
    /// The video session the viewer handles, ready for invitations: (case id, status).
    async fn video_session_handled(&self, viewer: &Viewer, id: i64) -> Result<i64> {
        let row: Option<(i64, String, String)> = self
            .fetch_optional("SELECT case_id, mode, status FROM mediation_sessions WHERE id = $1", args![id])
            .await?;
        let (case_id, mode, status) = row.ok_or(StoreError::NotFound { what: "session" })?;
        self.case_row(viewer, case_id).await.map_err(|_| StoreError::NotFound { what: "session" })?;
        self.handling_case(viewer, case_id).await?;
        if mode != "video" {
            return Err(StoreError::conflict("not_video", msg!("video.not_video")));
        }
        if status != "scheduled" {
            return Err(StoreError::conflict("session_ended", msg!("video.session_ended")));
        }
        Ok(case_id)
    }

    /// Invites the participants of a video session: the mediator (host), every party of the
    /// case, and the extras asked for. Earlier invitations of the session stop working. The
    /// tokens are returned once; the history records who was invited, never a token.
    pub async fn video_invite(
        &self,
        viewer: &Viewer,
        id: SessionId,
        extras: &[ExtraParticipant],
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>> {
        let id = id.get();
        let extras = check_extras(extras)?;
        let case_id = self.video_session_handled(viewer, id).await?;
        let (parties,): (i64,) =
            self.fetch_one("SELECT COUNT(*) FROM parties WHERE case_id = $1", args![case_id]).await?;
        let mut wanted: Vec<(String, String, Option<String>)> = vec![("mediator".into(), "host".into(), None)];
        wanted.extend((1..=parties).map(|n| (format!("party-{n}"), "party".to_owned(), None)));
        let mut counts = std::collections::HashMap::<String, usize>::new();
        for (role, name) in extras {
            let n = counts.entry(role.clone()).or_default();
            *n += 1;
            wanted.push((format!("{role}-{n}"), role, name));
        }
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute(
            "UPDATE video_invitations SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
            args![now_ms, id],
        )
        .await?;
        let mut invitations = Vec::new();
        for (participant, role, name) in wanted {
            let token = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>());
            tx.execute(
                "INSERT INTO video_invitations (session_id, participant, role, display_name, token_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![id, participant.as_str(), role.as_str(), name, token_hash(&token), now_ms],
            )
            .await?;
            invitations.push(Invitation { participant, role, token });
        }
        let invited: Vec<_> =
            invitations.iter().map(|i| json!({ "participant": i.participant, "role": i.role })).collect();
        append_event_locked(
            &mut tx,
            case_id,
            now_ms,
            &viewer.username,
            "video_invited",
            &json!({ "session_id": id, "participants": invited }),
        )
        .await?;
        tx.commit().await?;
        Ok(invitations)
    }

    /// What a token opens, if it still works: its session must be a scheduled video session
    /// and the invitation not replaced.
    pub async fn video_pass(&self, token: &str) -> Result<Option<RoomPass>> {
        let row: Option<(i64, i64, String, String, Option<i64>)> = self
            .fetch_optional(
                "SELECT s.id, s.case_id, i.participant, i.role, i.admitted_at
                 FROM video_invitations i JOIN mediation_sessions s ON s.id = i.session_id
                 WHERE i.token_hash = $1 AND i.revoked_at IS NULL AND s.status = 'scheduled' AND s.mode = 'video'",
                args![token_hash(token)],
            )
            .await?;
        Ok(row.map(|(session_id, case_id, participant, role, admitted_at)| RoomPass {
            session_id,
            case_id,
            admitted: role == "host" || admitted_at.is_some(),
            participant,
            role,
        }))
    }

    /// The mediator admits a waiting participant to the room (an event in the history).
    /// Admitting one already admitted changes nothing.
    pub async fn video_admit(
        &self,
        viewer: &Viewer,
        id: SessionId,
        participant: &str,
        now: DateTime<Utc>,
    ) -> Result<RoomPass> {
        let id = id.get();
        let case_id = self.video_session_handled(viewer, id).await?;
        self.video_admit_in(id, case_id, participant, &viewer.username, now).await
    }

    /// The host admits a waiting participant from inside the room (the host's pass is the
    /// authority: the mediator's own link).
    pub async fn video_admit_by_host(
        &self,
        host: &RoomPass,
        participant: &str,
        now: DateTime<Utc>,
    ) -> Result<RoomPass> {
        if host.role != "host" {
            return Err(StoreError::forbidden(msg!("video.host_only")));
        }
        self.video_admit_in(host.session_id, host.case_id, participant, &room_actor(host), now).await
    }

    async fn video_admit_in(
        &self,
        id: i64,
        case_id: i64,
        participant: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<RoomPass> {
        let row: Option<(i64, String, Option<i64>)> = self
            .fetch_optional(
                "SELECT id, role, admitted_at FROM video_invitations
                 WHERE session_id = $1 AND participant = $2 AND revoked_at IS NULL",
                args![id, participant],
            )
            .await?;
        let (invitation, role, admitted_at) = row.ok_or(StoreError::NotFound { what: "participant" })?;
        if admitted_at.is_none() && role != "host" {
            let now_ms = to_ms(now);
            let mut tx = self.begin().await?;
            tx.execute("UPDATE video_invitations SET admitted_at = $1 WHERE id = $2", args![now_ms, invitation])
                .await?;
            append_event_locked(
                &mut tx,
                case_id,
                now_ms,
                actor,
                "video_admitted",
                &json!({ "session_id": id, "participant": participant }),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(RoomPass { session_id: id, case_id, participant: participant.to_owned(), role, admitted: true })
    }

    /// The recordings of a session, for whoever may see its case.
    pub async fn video_recordings(&self, viewer: &Viewer, id: SessionId) -> Result<Vec<RecordingView>> {
        let id = id.get();
        let row: Option<(i64,)> =
            self.fetch_optional("SELECT case_id FROM mediation_sessions WHERE id = $1", args![id]).await?;
        let (case_id,) = row.ok_or(StoreError::NotFound { what: "session" })?;
        self.case_row(viewer, case_id).await.map_err(|_| StoreError::NotFound { what: "session" })?;
        let sql = format!("SELECT {RECORDING_COLUMNS} FROM {RECORDINGS} WHERE r.session_id = $1 ORDER BY r.id");
        let rows: Vec<RecordingRow> = self.fetch_all(&sql, args![id]).await?;
        Ok(rows.into_iter().map(recording_view).collect())
    }

    /// One recording, for whoever may see its case (404 otherwise, as for evidence).
    pub async fn video_recording(&self, viewer: &Viewer, id: i64) -> Result<RecordingView> {
        let sql = format!("SELECT {RECORDING_COLUMNS} FROM {RECORDINGS} WHERE r.id = $1");
        let row: Option<RecordingRow> = self.fetch_optional(&sql, args![id]).await?;
        let row = row.ok_or(StoreError::NotFound { what: "recording" })?;
        self.case_row(viewer, row.2).await.map_err(|_| StoreError::NotFound { what: "recording" })?;
        Ok(recording_view(row))
    }

    /// The recordings of a case, all its sessions', for whoever may see it.
    pub async fn video_recordings_of_case(&self, viewer: &Viewer, case_id: i64) -> Result<Vec<RecordingView>> {
        self.case_row(viewer, case_id).await?;
        let sql =
            format!("SELECT {RECORDING_COLUMNS} FROM {RECORDINGS} WHERE r.case_id = $1 ORDER BY r.session_id, r.id");
        let rows: Vec<RecordingRow> = self.fetch_all(&sql, args![case_id]).await?;
        Ok(rows.into_iter().map(recording_view).collect())
    }

    /// Records that `viewer` plays (or downloads) a recording.
    pub async fn video_recording_played(&self, viewer: &Viewer, recording_id: i64, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "INSERT INTO video_recording_plays (recording_id, user_id, at) VALUES ($1, $2, $3)",
            args![recording_id, viewer.user_id, to_ms(now)],
        )
        .await?;
        Ok(())
    }

    /// A participant gives (or withdraws) consent to recording, in the room: an event in the
    /// case's history either way.
    pub async fn video_consent(&self, pass: &RoomPass, given: bool, now: DateTime<Utc>) -> Result<()> {
        let action = if given { "video_consent_given" } else { "video_consent_withdrawn" };
        let data = json!({ "session_id": pass.session_id, "participant": pass.participant });
        let mut tx = self.begin().await?;
        append_event_locked(&mut tx, pass.case_id, to_ms(now), &room_actor(pass), action, &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The host ends the room for all: every link of the session stops working.
    pub async fn video_end(&self, host: &RoomPass, now: DateTime<Utc>) -> Result<()> {
        if host.role != "host" {
            return Err(StoreError::forbidden(msg!("video.host_only")));
        }
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute(
            "UPDATE video_invitations SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
            args![now_ms, host.session_id],
        )
        .await?;
        let data = json!({ "session_id": host.session_id });
        append_event_locked(&mut tx, host.case_id, now_ms, &room_actor(host), "video_ended", &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps one track's recording (already stored under its SHA-256) as the case's evidence
    /// (音视频笔录) and as the session's recording, the hash in the history.
    pub async fn video_recording_add(&self, recording: NewRecording<'_>, now: DateTime<Utc>) -> Result<RecordingView> {
        let NewRecording { session_id, participant, track, content_type, bytes, sha256, started_at, ended_at } =
            recording;
        let row: Option<(i64,)> =
            self.fetch_optional("SELECT case_id FROM mediation_sessions WHERE id = $1", args![session_id]).await?;
        let (case_id,) = row.ok_or(StoreError::NotFound { what: "session" })?;
        let now_ms = to_ms(now);
        let actor = format!("video:{participant}");
        let name = format!("音视频笔录-{session_id}-{participant}-{track}.webm");
        let mut tx = self.begin().await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO video_recordings (session_id, case_id, participant, content_type, bytes, sha256, started_at, ended_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                args![session_id, case_id, participant, content_type, bytes, sha256, to_ms(started_at), to_ms(ended_at)],
            )
            .await?;
        let (evidence_id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO evidence (case_id, sha256, name, content_type, size, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                args![case_id, sha256, name.as_str(), content_type, bytes, actor.as_str(), now_ms],
            )
            .await?;
        let data = json!({
            "session_id": session_id, "recording_id": id, "evidence_id": evidence_id, "participant": participant,
            "track": track, "content_type": content_type, "bytes": bytes, "sha256": sha256,
        });
        append_event_locked(&mut tx, case_id, now_ms, &actor, "video_recorded", &data).await?;
        tx.commit().await?;
        Ok(RecordingView {
            id,
            session_id,
            case_id,
            participant: participant.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
            sha256: sha256.to_owned(),
            started_at: from_ms(to_ms(started_at)),
            ended_at: from_ms(to_ms(ended_at)),
            purged_at: None,
        })
    }
}

impl Store {
    /// The session's minutes as the room shows them.
    pub async fn video_minutes(&self, pass: &RoomPass) -> Result<RoomMinutes> {
        let row = self.session_row_unchecked(pass.session_id).await?;
        let (asked_at,): (Option<i64>,) = self
            .fetch_one("SELECT minutes_asked_at FROM mediation_sessions WHERE id = $1", args![pass.session_id])
            .await?;
        let acks: Vec<crate::sessions::Acknowledgement> = serde_json::from_str(&row.8).unwrap_or_default();
        let confirmed = acks
            .iter()
            .filter(|a| a.minutes_confirmed_at.is_some())
            .map(|a| format!("party-{}", a.party_index + 1))
            .collect();
        Ok(RoomMinutes {
            sha256: row.9.as_deref().map(minutes_hash),
            text: row.9,
            asked: asked_at.is_some(),
            confirmed,
        })
    }

    /// The host saves the minutes as typed (no event: the text put to the parties is the one
    /// recorded). An edit withdraws the request for confirmation; once a party has confirmed,
    /// the text no longer changes.
    pub async fn video_minutes_save(&self, host: &RoomPass, text: &str) -> Result<RoomMinutes> {
        host_only(host)?;
        let text = minutes_checked(text)?;
        let current = self.video_minutes(host).await?;
        if current.text.as_deref() == text {
            return Ok(current);
        }
        if !current.confirmed.is_empty() {
            return Err(StoreError::conflict("minutes_confirmed", msg!("video.minutes_confirmed")));
        }
        self.execute(
            "UPDATE mediation_sessions SET minutes = $1, minutes_asked_at = NULL WHERE id = $2",
            args![text, host.session_id],
        )
        .await?;
        self.video_minutes(host).await
    }

    /// The host puts the minutes to the parties: the text and its SHA-256 recorded in the
    /// history (`minutes_recorded`; once, until an edit). Every party must have acknowledged the rights notice and
    /// consented to the mediator first, as for minutes recorded outside the room.
    pub async fn video_minutes_ask(&self, host: &RoomPass, now: DateTime<Utc>) -> Result<RoomMinutes> {
        host_only(host)?;
        let current = self.video_minutes(host).await?;
        if current.asked {
            return Ok(current);
        }
        let row = self.session_row_unchecked(host.session_id).await?;
        let Some(minutes) = row.9.clone() else {
            return Err(StoreError::invalid(FieldError::required("minutes")));
        };
        everyone_acknowledged(&row)?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute("UPDATE mediation_sessions SET minutes_asked_at = $1 WHERE id = $2", args![now_ms, host.session_id])
            .await?;
        let data = json!({ "session_id": host.session_id, "minutes": minutes, "sha256": minutes_hash(&minutes) });
        append_event_locked(&mut tx, host.case_id, now_ms, &room_actor(host), "minutes_recorded", &data).await?;
        tx.commit().await?;
        self.video_minutes(host).await
    }

    /// A party confirms the minutes put to them, naming the SHA-256 of the text they read (a
    /// text changed since is refused): an event in the history, who, when and the hash.
    pub async fn video_minutes_confirm(
        &self,
        pass: &RoomPass,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<RoomMinutes> {
        let index = party_index(pass).ok_or_else(|| StoreError::forbidden(msg!("video.party_only")))?;
        let current = self.video_minutes(pass).await?;
        if !current.asked {
            return Err(StoreError::conflict("minutes_not_asked", msg!("video.minutes_not_asked")));
        }
        if current.sha256.as_deref() != Some(sha256.trim()) {
            return Err(StoreError::conflict("minutes_changed", msg!("video.minutes_changed")));
        }
        let row = self.session_row_unchecked(pass.session_id).await?;
        self.record_party_act(row, index, PartyAct::ConfirmMinutes, &room_actor(pass), now).await?;
        self.video_minutes(pass).await
    }

    /// The signing link's token of the case's agreement awaiting this party's signature, if
    /// one does (the link sent by SMS; the code still comes only by SMS).
    pub async fn video_signing_token(&self, pass: &RoomPass, now: DateTime<Utc>) -> Result<Option<String>> {
        let Some(index) = party_index(pass) else { return Ok(None) };
        let row: Option<(String,)> = self
            .fetch_optional(
                "SELECT s.link_cipher FROM agreement_signers s JOIN agreements a ON a.id = s.agreement_id
                 WHERE a.case_id = $1 AND a.status = 'signing' AND s.party_index = $2 AND s.signed_at IS NULL
                   AND s.link_cipher IS NOT NULL AND s.expires_at > $3
                 ORDER BY a.id DESC LIMIT 1",
                args![pass.case_id, index as i64, to_ms(now)],
            )
            .await?;
        row.map(|(cipher,)| self.crypto.decrypt(&cipher)).transpose()
    }

    /// The retention period of recordings: the administrators' or, until they set it, the
    /// default (10 years).
    pub async fn recording_retention(&self) -> Result<Retention> {
        let row: Option<(String,)> =
            self.fetch_optional("SELECT value FROM settings WHERE name = $1", args![RETENTION_SETTING]).await?;
        Ok(row.and_then(|(value,)| serde_json::from_str(&value).ok()).unwrap_or_default())
    }

    /// Sets the retention period of recordings (checked: whole years within bounds).
    pub async fn recording_retention_put(&self, retention: Retention, by: &str, now: DateTime<Utc>) -> Result<()> {
        retention.validate().map_err(StoreError::Invalid)?;
        let value = serde_json::to_string(&retention).map_err(|e| StoreError::Setup(e.to_string()))?;
        self.execute(
            "INSERT INTO settings (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
               updated_by = excluded.updated_by",
            args![RETENTION_SETTING, value, to_ms(now), by],
        )
        .await?;
        Ok(())
    }

    /// Marks as purged every recording past its retention period at `now`: its case archived
    /// at or before the period's start, no court confirmation of the case's agreements
    /// pending, and no legal hold on the case's recordings in force. Each purge is one
    /// transaction with its event (`recording_purged`, with the hash); a recording another
    /// node purged first is skipped. Returns the hashes of purged recordings whose files are
    /// still to be deleted — this pass's and any an earlier pass failed to delete — and that
    /// no row needs any more (no recording not purged, no evidence but the recordings' own),
    /// for the caller to delete and then report with [`Store::recording_file_removed`].
    pub async fn recordings_purge_due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let retention = self.recording_retention().await?;
        let archived_by = to_ms(retention.archived_by(now));
        let due: Vec<(i64, i64, i64, String, String, Option<i64>)> = self
            .fetch_all(
                "SELECT r.id, r.case_id, r.session_id, r.participant, r.sha256,
                   (SELECT MAX(e.at) FROM case_events e WHERE e.case_id = r.case_id AND e.action = 'archive')
                 FROM video_recordings r JOIN cases c ON c.id = r.case_id
                 WHERE c.status = 'archived'
                   AND NOT EXISTS (SELECT 1 FROM video_recording_purges p WHERE p.recording_id = r.id)
                   AND NOT EXISTS (SELECT 1 FROM confirmations f JOIN agreements g ON g.id = f.agreement_id
                                   WHERE g.case_id = r.case_id AND f.decision IS NULL)
                   AND NOT EXISTS (SELECT 1 FROM video_recording_holds h
                                   WHERE h.case_id = r.case_id AND h.released_at IS NULL)
                 ORDER BY r.id",
                args![],
            )
            .await?;
        let now_ms = to_ms(now);
        for (id, case_id, session_id, participant, sha256, archived_at) in due {
            // A case archived with no archive step in its history (imported as archived) is kept.
            let Some(archived_at) = archived_at.filter(|at| *at <= archived_by) else {
                continue;
            };
            let mut tx = self.begin().await?;
            let purged = tx
                .execute(
                    "INSERT INTO video_recording_purges (recording_id, case_id, purged_at) VALUES ($1, $2, $3)
                     ON CONFLICT (recording_id) DO NOTHING",
                    args![id, case_id, now_ms],
                )
                .await?;
            if purged == 0 {
                continue;
            }
            let data = json!({
                "recording_id": id, "session_id": session_id, "participant": participant, "sha256": sha256,
                "archived_at": from_ms(archived_at).to_rfc3339(), "retention_years": retention.years,
            });
            append_event_locked(&mut tx, case_id, now_ms, "system", "recording_purged", &data).await?;
            tx.commit().await?;
        }
        let hashes: Vec<(String,)> = self
            .fetch_all(
                "SELECT DISTINCT r.sha256 FROM video_recording_purges p JOIN video_recordings r ON r.id = p.recording_id
                 WHERE p.file_removed_at IS NULL ORDER BY r.sha256",
                args![],
            )
            .await?;
        let mut unneeded = Vec::new();
        for (sha256,) in hashes {
            let (needed,): (i64,) = self
                .fetch_one(
                    "SELECT (SELECT COUNT(*) FROM video_recordings r WHERE r.sha256 = $1
                             AND NOT EXISTS (SELECT 1 FROM video_recording_purges p WHERE p.recording_id = r.id))
                          + (SELECT COUNT(*) FROM evidence e WHERE e.sha256 = $1 AND e.uploaded_by NOT LIKE 'video:%')",
                    args![sha256.as_str()],
                )
                .await?;
            if needed == 0 {
                unneeded.push(sha256);
            }
        }
        Ok(unneeded)
    }

    /// The file of the purged recordings with this hash is deleted (no event: the purge was).
    pub async fn recording_file_removed(&self, sha256: &str, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "UPDATE video_recording_purges SET file_removed_at = $1 WHERE file_removed_at IS NULL
               AND recording_id IN (SELECT id FROM video_recordings WHERE sha256 = $2)",
            args![to_ms(now), sha256],
        )
        .await?;
        Ok(())
    }

    /// The legal holds on a case's recordings, the one in force (if any) first, then the
    /// released ones, newest first.
    pub async fn recording_holds(&self, viewer: &Viewer, case_id: i64) -> Result<Vec<RecordingHold>> {
        self.case_row(viewer, case_id).await?;
        let rows: Vec<HoldRow> = self
            .fetch_all(
                &format!(
                    "SELECT {HOLD_COLUMNS} FROM video_recording_holds WHERE case_id = $1
                     ORDER BY CASE WHEN released_at IS NULL THEN 0 ELSE 1 END, placed_at DESC, id DESC"
                ),
                args![case_id],
            )
            .await?;
        Ok(rows.into_iter().map(hold_view).collect())
    }

    /// Places a legal hold on a case's recordings, with its reason (an event in the history,
    /// `recording_hold_placed`). A case already held is a conflict: one hold in force at a time.
    pub async fn recording_hold_place(
        &self,
        viewer: &Viewer,
        case_id: i64,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RecordingHold> {
        self.case_row(viewer, case_id).await?;
        let reason = HoldReason::parse(reason).map_err(StoreError::Invalid)?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        // The index of holds in force refuses a second one, however many place it at once.
        let placed: Option<(i64,)> = tx
            .fetch_optional(
                "INSERT INTO video_recording_holds (case_id, reason, placed_by, placed_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (case_id) WHERE released_at IS NULL DO NOTHING RETURNING id",
                args![case_id, reason.as_str(), viewer.username.as_str(), now_ms],
            )
            .await?;
        let Some((id,)) = placed else {
            return Err(StoreError::conflict("recordings_held", msg!("video.recordings_held")));
        };
        let data = json!({ "hold_id": id, "reason": reason.as_str() });
        append_event_locked(&mut tx, case_id, now_ms, &viewer.username, "recording_hold_placed", &data).await?;
        tx.commit().await?;
        Ok(RecordingHold {
            id,
            case_id,
            reason: reason.as_str().to_owned(),
            placed_by: viewer.username.clone(),
            placed_at: from_ms(now_ms),
            released_by: None,
            released_at: None,
        })
    }

    /// Releases the legal hold in force on a case's recordings (an event in the history,
    /// `recording_hold_released`): the next purge pass treats them by their period again. A
    /// case not held is a conflict.
    pub async fn recording_hold_release(
        &self,
        viewer: &Viewer,
        case_id: i64,
        now: DateTime<Utc>,
    ) -> Result<RecordingHold> {
        self.case_row(viewer, case_id).await?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let row: Option<HoldRow> = tx
            .fetch_optional(
                &format!(
                    "UPDATE video_recording_holds SET released_by = $1, released_at = $2
                     WHERE case_id = $3 AND released_at IS NULL RETURNING {HOLD_COLUMNS}"
                ),
                args![viewer.username.as_str(), now_ms, case_id],
            )
            .await?;
        let Some(row) = row else {
            return Err(StoreError::conflict("recordings_not_held", msg!("video.recordings_not_held")));
        };
        let hold = hold_view(row);
        let data = json!({ "hold_id": hold.id, "reason": hold.reason });
        append_event_locked(&mut tx, case_id, now_ms, &viewer.username, "recording_hold_released", &data).await?;
        tx.commit().await?;
        Ok(hold)
    }
}

/// Who acts in the room, in the history: the participant's name in the room.
fn room_actor(pass: &RoomPass) -> String {
    format!("video:{}", pass.participant)
}

/// One track's recording to keep.
#[derive(Debug, Clone)]
pub struct NewRecording<'a> {
    pub session_id: i64,
    pub participant: &'a str,
    /// audio | video
    pub track: &'a str,
    pub content_type: &'a str,
    pub bytes: i64,
    pub sha256: &'a str,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}
