-- 联席研判 (issue 16): a centre's joint assessment meeting with the departments stationed there,
-- numbered per centre and year. Its agenda is generated when it is convened — the open items of
-- the centre's latest risk list, the open alerts and the red cases registered since the last
-- meeting — each item keeping its source, colour and reasons as they stood. The minutes are
-- written while it is a draft and fixed when it is held; each decision on an item is a task for
-- a unit with a deadline, acknowledged and reported done by that unit.
CREATE TABLE joint_meeting_serials (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    year BIGINT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (unit_id, year)
);
CREATE TABLE joint_meetings (
    id {id},
    number TEXT NOT NULL,             -- per centre and year: 2026-003
    unit_id BIGINT NOT NULL REFERENCES units (id), -- the convening centre
    region_code TEXT NOT NULL,        -- the territory assessed
    held_on TEXT NOT NULL,            -- the meeting's date, YYYY-MM-DD (China)
    status TEXT NOT NULL,             -- draft | held
    minutes TEXT,                     -- the meeting's own minutes
    convened_by BIGINT NOT NULL REFERENCES users (id),
    convened_at BIGINT NOT NULL,
    held_by BIGINT REFERENCES users (id),
    held_at BIGINT                    -- when the minutes were fixed
);
CREATE UNIQUE INDEX joint_meetings_number ON joint_meetings (unit_id, number);
CREATE INDEX joint_meetings_region ON joint_meetings (region_code, id);
-- The units taking part (the departments stationed at the centre).
CREATE TABLE joint_meeting_units (
    meeting_id BIGINT NOT NULL REFERENCES joint_meetings (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    PRIMARY KEY (meeting_id, unit_id)
);
CREATE INDEX joint_meeting_units_unit ON joint_meeting_units (unit_id, meeting_id);
CREATE TABLE joint_agenda_items (
    id {id},
    meeting_id BIGINT NOT NULL REFERENCES joint_meetings (id),
    position BIGINT NOT NULL,
    source TEXT NOT NULL,             -- risk_item | alert | case
    risk_item_id BIGINT REFERENCES risk_items (id),
    alert_id BIGINT REFERENCES alerts (id),
    case_id BIGINT REFERENCES cases (id),
    colour TEXT NOT NULL,             -- red | orange | yellow
    reasons TEXT NOT NULL,            -- JSON array of messages
    case_ids TEXT NOT NULL,           -- JSON array
    minutes TEXT                      -- what the meeting said of it
);
CREATE INDEX joint_agenda_items_meeting ON joint_agenda_items (meeting_id, position);
-- 交办: a decision on an agenda item is a task for one unit with a deadline.
CREATE TABLE joint_decisions (
    id {id},
    meeting_id BIGINT NOT NULL REFERENCES joint_meetings (id),
    item_id BIGINT NOT NULL REFERENCES joint_agenda_items (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    task TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    status TEXT NOT NULL,             -- assigned | acknowledged | done
    decided_by BIGINT NOT NULL REFERENCES users (id),
    decided_at BIGINT NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at BIGINT,
    reported_by BIGINT REFERENCES users (id),
    reported_at BIGINT,
    report TEXT
);
CREATE INDEX joint_decisions_meeting ON joint_decisions (meeting_id, id);
CREATE INDEX joint_decisions_unit ON joint_decisions (unit_id, status);
CREATE INDEX joint_decisions_due ON joint_decisions (status, due_at);
