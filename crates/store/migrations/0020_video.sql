-- Video mediation (issue 17, first slice): one invitation per participant of a video session,
-- each carrying a single-purpose token (only its SHA-256 is kept) that joins that session's
-- room as that participant; the host's joins at once, the others wait until admitted.
-- Recordings made with every participant's consent are kept per track as case evidence.

CREATE TABLE video_invitations (
    id {id},
    session_id BIGINT NOT NULL REFERENCES mediation_sessions (id),
    -- mediator | party-1, party-2 … | interpreter-1, lawyer-1, observer-1 …
    participant TEXT NOT NULL,
    -- host | party | interpreter | lawyer | observer
    role TEXT NOT NULL,
    display_name TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    admitted_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX video_invitations_session ON video_invitations (session_id, participant);

CREATE TABLE video_recordings (
    id {id},
    session_id BIGINT NOT NULL REFERENCES mediation_sessions (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    participant TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL
);
CREATE INDEX video_recordings_session ON video_recordings (session_id);
