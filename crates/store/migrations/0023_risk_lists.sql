-- 三色三单 (issue 16): each centre's numbered 风险隐患清单 for its territory, issued weekly by the
-- scheduler (`week` set, one per centre and ISO week) or on demand (`week` NULL). Each item is a
-- 交办单 to the units handling its cases, with a deadline by colour; the units acknowledge it and
-- report the measures taken (反馈), the issuing centre closes it (销号). Every act is kept in
-- `risk_item_events`, the list's record.
CREATE TABLE risk_list_serials (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    year BIGINT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (unit_id, year)
);
CREATE TABLE risk_lists (
    id {id},
    number TEXT NOT NULL,             -- per centre and year: 2026-003
    unit_id BIGINT NOT NULL REFERENCES units (id), -- the issuing centre
    region_code TEXT NOT NULL,        -- the territory listed
    week TEXT,                        -- 2026-W48 when the weekly pass issued it
    issued_by BIGINT REFERENCES users (id),
    issued_at BIGINT NOT NULL,
    items_count BIGINT NOT NULL
);
CREATE UNIQUE INDEX risk_lists_number ON risk_lists (unit_id, number);
CREATE UNIQUE INDEX risk_lists_week ON risk_lists (unit_id, week);
CREATE INDEX risk_lists_region ON risk_lists (region_code, issued_at);
CREATE TABLE risk_items (
    id {id},
    list_id BIGINT NOT NULL REFERENCES risk_lists (id),
    position BIGINT NOT NULL,
    colour TEXT NOT NULL,             -- red | orange | yellow
    reasons TEXT NOT NULL,            -- JSON array of messages
    case_ids TEXT NOT NULL,           -- JSON array
    alert_id BIGINT REFERENCES alerts (id),
    due_at BIGINT NOT NULL,           -- to be acknowledged by
    status TEXT NOT NULL,             -- issued | acknowledged | reported | closed
    acknowledged_at BIGINT,
    reported_at BIGINT,
    closed_at BIGINT
);
CREATE INDEX risk_items_list ON risk_items (list_id, position);
-- The units an item is assigned to (交办): they acknowledge and report.
CREATE TABLE risk_item_units (
    item_id BIGINT NOT NULL REFERENCES risk_items (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    PRIMARY KEY (item_id, unit_id)
);
CREATE INDEX risk_item_units_unit ON risk_item_units (unit_id, item_id);
CREATE TABLE risk_item_events (
    id {id},
    item_id BIGINT NOT NULL REFERENCES risk_items (id),
    action TEXT NOT NULL,             -- acknowledge | report | close
    text TEXT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    at BIGINT NOT NULL
);
CREATE INDEX risk_item_events_item ON risk_item_events (item_id, id);
-- 重点人员: every look at the register of people who need attention, with what was asked.
CREATE TABLE people_register_reads (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    colour TEXT,
    people BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX people_register_reads_at ON people_register_reads (at);
