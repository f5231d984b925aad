-- 三色三单 (issue 16): each risk list keeps a hash-chained history of its own, as a case does,
-- so that `audit verify` names a list, item, assignment or feedback row edited by hand. Each
-- event records the SHA-256 of every row of the list it added or changed (`data.rows`); the
-- list row holds the head (`event_seq`, `event_hash`). Lists issued before this migration
-- have no history until their next act, which records every row as it then stands.
ALTER TABLE risk_lists ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE risk_lists ADD COLUMN event_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
CREATE TABLE risk_list_events (
    id {id},
    list_id BIGINT NOT NULL REFERENCES risk_lists (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,             -- issued | acknowledge | report | close
    data TEXT NOT NULL,               -- JSON: {"rows": {"risk_items/12": sha256 | null, …}}
    hash TEXT NOT NULL
);
CREATE UNIQUE INDEX risk_list_events_seq ON risk_list_events (list_id, seq);

-- The supervision ladder on a subject that is not a case: a watched person (重点人员) whose
-- visit is overdue may have no case, so a notice is filed on a case or on a watched person.
-- `message` keeps a ladder notice's words as a message of the catalogue (JSON), so that each
-- language reads it in its own; `text` stays the official text as issued, in Simplified
-- Chinese. SQLite cannot drop NOT NULL in place: the table is rebuilt, ids kept.
CREATE TABLE notices_next (
    id {id},
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    watched_person_id BIGINT REFERENCES watched_people (id),
    clock TEXT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    cc_unit_id BIGINT REFERENCES units (id),
    issuer_unit_id BIGINT REFERENCES units (id),
    due_at BIGINT,
    issued_at BIGINT NOT NULL,
    text TEXT NOT NULL,
    message TEXT,
    dedupe_key TEXT UNIQUE,
    issued_by BIGINT REFERENCES users (id),
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES users (id),
    reply TEXT,
    replied_at BIGINT,
    replied_by BIGINT REFERENCES users (id),
    CHECK (case_id IS NOT NULL OR watched_person_id IS NOT NULL)
);
INSERT INTO notices_next (id, number, kind, case_id, clock, unit_id, cc_unit_id, issuer_unit_id, due_at, issued_at,
    text, dedupe_key, issued_by, acknowledged_at, acknowledged_by, reply, replied_at, replied_by)
SELECT id, number, kind, case_id, clock, unit_id, cc_unit_id, issuer_unit_id, due_at, issued_at,
    text, dedupe_key, issued_by, acknowledged_at, acknowledged_by, reply, replied_at, replied_by FROM notices;
DROP TABLE notices;
ALTER TABLE notices_next RENAME TO notices;
{sequence_reset notices};
CREATE INDEX notices_unit ON notices (unit_id, issued_at);
CREATE INDEX notices_cc ON notices (cc_unit_id, issued_at);
CREATE INDEX notices_case ON notices (case_id);
CREATE INDEX notices_issued ON notices (issued_at);
CREATE INDEX notices_watched ON notices (watched_person_id);
