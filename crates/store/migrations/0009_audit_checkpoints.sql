-- The daily checkpoint (issue 12, defect 2): for each China day, the root hashing every
-- case's head as of the day's end (`cutoff`, milliseconds) and the previous checkpoint's root,
-- so that `audit verify` finds a history cut before it even when the case row's head was fixed.
CREATE TABLE audit_checkpoints (
    day TEXT PRIMARY KEY,
    cutoff BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    root TEXT NOT NULL,
    previous_root TEXT NOT NULL
);
