-- Video mediation (issue 17): recordings kept under the retention period an administrator
-- sets (the `settings` row `recording_retention`). A recording whose case has been archived
-- longer than the period has its file deleted; its row (participant, bytes, SHA-256, times)
-- stays, and this row says when the file went. Each purge is an event in the case's history
-- (`recording_purged`, with the hash), so `audit verify` vouches for this row too.

CREATE TABLE video_recording_purges (
    recording_id BIGINT PRIMARY KEY REFERENCES video_recordings (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    purged_at BIGINT NOT NULL
);
CREATE INDEX video_recording_purges_case ON video_recording_purges (case_id);
