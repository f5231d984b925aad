-- Video mediation (issue 17): what the retention purge still lacked.
--
-- A legal hold (诉讼保全/法律冻结) placed by staff on a case's recordings, with its reason, and
-- released later: while a hold is in force (not released) the purge skips the case's
-- recordings. Each place and release is an event in the case's history
-- (`recording_hold_placed`, `recording_hold_released`), so `audit verify` vouches for these
-- rows. At most one hold in force per case.
CREATE TABLE video_recording_holds (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    reason TEXT NOT NULL,
    placed_by TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    released_by TEXT,
    released_at BIGINT
);
CREATE UNIQUE INDEX video_recording_holds_in_force ON video_recording_holds (case_id) WHERE released_at IS NULL;

-- When the purged recording's file was actually deleted. The purge row commits first and the
-- file goes after; a deletion that failed leaves this empty and a later scheduler pass retries
-- it. It changes with no event (the purge is the event), so the history does not record it.
ALTER TABLE video_recording_purges ADD COLUMN file_removed_at BIGINT;
