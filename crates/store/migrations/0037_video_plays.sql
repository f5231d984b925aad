-- Video mediation (issue 17): every playback of a recording, by whom and when. A player seeks
-- with many range requests; one row is written per playback (the request from the start).

CREATE TABLE video_recording_plays (
    id {id},
    recording_id BIGINT NOT NULL REFERENCES video_recordings (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX video_recording_plays_recording ON video_recording_plays (recording_id, id);
