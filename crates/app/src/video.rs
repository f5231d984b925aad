//! Video mediation (issue 17, first slice): invitations to a video session's room, admission,
//! and the session's recordings (case evidence).

pub use store::video::{ExtraParticipant, Invitation, RecordingView, RoomPass};

use domain::ids::SessionId;

use crate::{App, Result, Viewer};

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

    /// One recording and its bytes (authorised like the case's evidence).
    pub async fn video_recording_file(&self, viewer: &Viewer, id: i64) -> Result<(RecordingView, Vec<u8>)> {
        let recording = self.store.video_recording(viewer, id).await?;
        let bytes = self.blobs.get(&recording.sha256)?;
        Ok((recording, bytes))
    }
}
