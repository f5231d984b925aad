//! Video mediation (issue 17, first slice): invitations to a video session's room, admission,
//! the session's recordings (case evidence), and the minutes (调解笔录) written, put to the
//! parties and confirmed in the room.

pub use store::video::{ExtraParticipant, Invitation, RecordingHold, RecordingView, RoomMinutes, RoomPass};

use chrono::{DateTime, Utc};
use store::video::NewRecording;

use domain::authz::{self, Permission, Resource};
use domain::ids::{CaseId, SessionId};
use domain::msg;
use domain::recording::Retention;

use crate::{App, AppError, Result, Viewer};

/// The one range of bytes a player asks for (HTTP `Range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// From the first to the last byte, inclusive (`u64::MAX`: to the end).
    Span(u64, u64),
    /// The last `n` bytes.
    Suffix(u64),
}

/// What a read of a recording returns: `bytes` from byte `first` of a file of `len` bytes
/// (none when `first` lies at or past the end).
#[derive(Debug)]
pub struct RecordingBytes {
    pub len: u64,
    pub first: u64,
    pub bytes: Vec<u8>,
}

impl App {
    /// Invites the mediator (host), the parties and the extras asked for to a video session's
    /// room: one link token per participant, earlier ones replaced.
    pub async fn video_invite(
        &self,
        viewer: &Viewer,
        id: SessionId,
        extras: &[ExtraParticipant],
    ) -> Result<Vec<Invitation>> {
        Ok(self.store.video_invite(viewer, id, extras, self.now()).await?)
    }

    /// What a room token opens, if it still works (no sign-in: the token is the pass).
    pub async fn video_pass(&self, token: &str) -> Result<Option<RoomPass>> {
        Ok(self.store.video_pass(token).await?)
    }

    /// The mediator admits a waiting participant.
    pub async fn video_admit(&self, viewer: &Viewer, id: SessionId, participant: &str) -> Result<RoomPass> {
        Ok(self.store.video_admit(viewer, id, participant, self.now()).await?)
    }

    pub async fn video_recordings(&self, viewer: &Viewer, id: SessionId) -> Result<Vec<RecordingView>> {
        Ok(self.store.video_recordings(viewer, id).await?)
    }

    /// The recordings of a case, every session's, for its page.
    pub async fn video_recordings_of_case(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<RecordingView>> {
        Ok(self.store.video_recordings_of_case(viewer, case_id.get()).await?)
    }

    /// One recording, authorised like the case's evidence, and its bytes: all of them, or the
    /// range `first..=last` a player asks for, with the file's length. A read from the start (a
    /// download, or a player beginning a playback rather than seeking within one) reads the
    /// whole file and checks it against its recorded hash, and is recorded: who played which
    /// recording, when. A seek reads only its part. The range's first byte may lie past the
    /// end: no bytes, and the caller answers 416.
    pub async fn video_recording_file(
        &self,
        viewer: &Viewer,
        id: i64,
        range: Option<ByteRange>,
    ) -> Result<(RecordingView, RecordingBytes)> {
        let recording = self.store.video_recording(viewer, id).await?;
        if recording.purged_at.is_some() {
            return Err(AppError::conflict("recording_purged", msg!("video.recording_purged")));
        }
        let range = match range {
            None => None,
            Some(ByteRange::Span(first, last)) => Some((first, last)),
            Some(ByteRange::Suffix(count)) => {
                Some((self.blobs.size(&recording.sha256)?.saturating_sub(count), u64::MAX))
            }
        };
        let bytes = match range {
            Some((first, last)) if first > 0 => {
                let (len, bytes) = self.blobs.get_range(&recording.sha256, first, last)?;
                RecordingBytes { len, first, bytes }
            }
            _ => {
                let whole = self.blobs.get(&recording.sha256)?;
                self.store.video_recording_played(viewer, id, self.now()).await?;
                let len = whole.len() as u64;
                let bytes = match range {
                    Some((_, last)) if len > 0 => whole[..=usize::try_from(last.min(len - 1)).unwrap_or(0)].to_vec(),
                    _ => whole,
                };
                RecordingBytes { len, first: 0, bytes }
            }
        };
        Ok((recording, bytes))
    }

    /// The retention period of recordings (the default until an administrator sets it).
    pub async fn recording_retention(&self, viewer: &Viewer) -> Result<Retention> {
        authz::may(viewer.role, Permission::CalendarManage, Resource::ANY)?;
        Ok(self.store.recording_retention().await?)
    }

    /// Sets the retention period of recordings; the next scheduled pass applies it.
    pub async fn recording_retention_put(&self, viewer: &Viewer, retention: Retention) -> Result<Retention> {
        authz::may(viewer.role, Permission::CalendarManage, Resource::ANY)?;
        self.store.recording_retention_put(retention, &viewer.username, self.now()).await?;
        Ok(retention)
    }

    /// The scheduled purge: every recording past its retention period loses its file (its row,
    /// hash and history stay; the purge is an event). A file that could not be deleted is
    /// logged and tried again by the next pass. Returns how many files were deleted.
    pub async fn recordings_purge_due(&self) -> Result<usize> {
        let unneeded = self.store.recordings_purge_due(self.now()).await?;
        let mut removed = 0;
        for sha256 in &unneeded {
            match self.blobs.remove(sha256) {
                Ok(()) => {
                    self.store.recording_file_removed(sha256, self.now()).await?;
                    removed += 1;
                }
                Err(error) => tracing::warn!(%sha256, %error, "a purged recording's file stays; the next pass retries"),
            }
        }
        Ok(removed)
    }

    /// The legal holds on a case's recordings (录音录像保全), the one in force first.
    pub async fn recording_holds(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<RecordingHold>> {
        Ok(self.store.recording_holds(viewer, case_id.get()).await?)
    }

    /// Whether the viewer may place and release holds on the recordings of cases they see.
    pub fn recording_hold_allowed(&self, viewer: &Viewer) -> bool {
        authz::may(viewer.role, Permission::RecordingHold, Resource::ANY).is_ok()
    }

    /// Places a legal hold on a case's recordings, with its reason: the retention purge skips
    /// them until it is released.
    pub async fn recording_hold_place(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        reason: Option<&str>,
    ) -> Result<RecordingHold> {
        // Granted over the whole scope: the store answers 404 for a case outside it.
        authz::may(viewer.role, Permission::RecordingHold, Resource::ANY)?;
        Ok(self.store.recording_hold_place(viewer, case_id.get(), reason, self.now()).await?)
    }

    /// Releases the legal hold in force on a case's recordings.
    pub async fn recording_hold_release(&self, viewer: &Viewer, case_id: CaseId) -> Result<RecordingHold> {
        authz::may(viewer.role, Permission::RecordingHold, Resource::ANY)?;
        Ok(self.store.recording_hold_release(viewer, case_id.get(), self.now()).await?)
    }

    /// The host admits a waiting participant from inside the room.
    pub async fn video_admit_by_host(&self, host: &RoomPass, participant: &str) -> Result<RoomPass> {
        Ok(self.store.video_admit_by_host(host, participant, self.now()).await?)
    }

    /// A participant gives or withdraws consent to recording (an event in the case's history).
    pub async fn video_consent(&self, pass: &RoomPass, given: bool) -> Result<()> {
        Ok(self.store.video_consent(pass, given, self.now()).await?)
    }

    /// The host ends the room for all: the session's links stop working.
    pub async fn video_end(&self, host: &RoomPass) -> Result<()> {
        Ok(self.store.video_end(host, self.now()).await?)
    }

    /// The session's minutes as the room shows them.
    pub async fn video_minutes(&self, pass: &RoomPass) -> Result<RoomMinutes> {
        Ok(self.store.video_minutes(pass).await?)
    }

    /// The host saves the minutes as typed (an edit withdraws a request for confirmation).
    pub async fn video_minutes_save(&self, host: &RoomPass, text: &str) -> Result<RoomMinutes> {
        Ok(self.store.video_minutes_save(host, text).await?)
    }

    /// The host puts the minutes to the parties for their confirmation.
    pub async fn video_minutes_ask(&self, host: &RoomPass) -> Result<RoomMinutes> {
        Ok(self.store.video_minutes_ask(host, self.now()).await?)
    }

    /// A party confirms the minutes whose SHA-256 they name.
    pub async fn video_minutes_confirm(&self, pass: &RoomPass, sha256: &str) -> Result<RoomMinutes> {
        Ok(self.store.video_minutes_confirm(pass, sha256, self.now()).await?)
    }

    /// The signing link (`link(token)`) of the case's agreement awaiting this party's
    /// signature, if one does.
    pub async fn video_signing_link(&self, pass: &RoomPass, link: impl Fn(&str) -> String) -> Result<Option<String>> {
        Ok(self.store.video_signing_token(pass, self.now()).await?.map(|token| link(&token)))
    }

    /// Keeps one track's recording, made by this node's media server: the file stored by its
    /// SHA-256, kept as the case's evidence, the hash in the history. Its times are wall-clock
    /// times the caller derived from the media's own.
    pub async fn video_recording_keep(
        &self,
        session_id: i64,
        participant: &str,
        track: &str,
        webm: &[u8],
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
    ) -> Result<RecordingView> {
        let sha256 = self.blobs.put(webm)?;
        let content_type = if track == "audio" { "audio/webm" } else { "video/webm" };
        let recording = NewRecording {
            session_id,
            participant,
            track,
            content_type,
            bytes: webm.len() as i64,
            sha256: &sha256,
            started_at,
            ended_at,
        };
        Ok(self.store.video_recording_add(recording, self.now()).await?)
    }
}
