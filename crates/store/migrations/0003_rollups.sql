-- Statistics rollups: per day (China date as yyyymmdd) and region (the case's jurisdiction),
-- updated in the transaction of each event, so the summary never scans cases.

CREATE TABLE rollup_days (
    day BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    amount_fen BIGINT NOT NULL DEFAULT 0,
    concluded BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    concluded_on_time BIGINT NOT NULL DEFAULT 0,
    handling_working_days BIGINT NOT NULL DEFAULT 0,
    first_dispatched BIGINT NOT NULL DEFAULT 0,
    first_time_right BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, region_code)
);
CREATE INDEX rollup_days_region ON rollup_days (region_code, day);

-- Cases received per category, channel and risk colour (at registration).
CREATE TABLE rollup_breakdowns (
    day BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, region_code, dimension, value)
)
