-- Triage as data: risk and level rules, the routing catalogue (派单目录), examples that
-- retrain the classifier, and version counters that tell every node when to reload them.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,              -- JSON
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE routing_catalogue (
    id {id},
    category TEXT NOT NULL,
    region_prefix TEXT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    role TEXT NOT NULL,               -- lead | assist
    note TEXT
);

CREATE TABLE triage_examples (
    id {id},
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL
);

CREATE TABLE versions (
    name TEXT PRIMARY KEY,
    version BIGINT NOT NULL
)
