-- The figures table of the statistics page (issue 15, DOMAIN.md §5.4; definitions in
-- domain::stats). Every figure counts the cases received in the period (the cohort), by what
-- each case has become: `case_figures` holds each case's marks (which numerators and
-- denominators it counts in) under its China day of registration (days since 1970-01-01),
-- region, handling unit, category and channel, rewritten in the transaction of every step;
-- `figure_rollups` sums the marks per day, region and one dimension (`all`, `unit`,
-- `category`, `channel`), so the table never scans cases and the drill-through reads the
-- same marks from `case_figures`.

CREATE TABLE case_figures (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    day BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    unit_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    channel TEXT NOT NULL,
    received BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    mediated BIGINT NOT NULL,
    concluded BIGINT NOT NULL,
    concluded_on_time BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    dispatched BIGINT NOT NULL,
    first_time_right BIGINT NOT NULL
);
CREATE INDEX case_figures_region ON case_figures (region_code, day);
CREATE INDEX case_figures_unit ON case_figures (unit_id, day);

CREATE TABLE figure_rollups (
    day BIGINT NOT NULL,
    region_code TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    mediated BIGINT NOT NULL DEFAULT 0,
    concluded BIGINT NOT NULL DEFAULT 0,
    concluded_on_time BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    dispatched BIGINT NOT NULL DEFAULT 0,
    first_time_right BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, region_code, day, value)
);

-- 常住人口 + 登记在册流动人口 of a region in a year (admin data), for 万人成讼率.
CREATE TABLE region_population (
    region_code TEXT NOT NULL REFERENCES regions (code),
    year BIGINT NOT NULL,
    population BIGINT NOT NULL,
    PRIMARY KEY (region_code, year)
);

-- First-instance civil and administrative cases accepted by the courts of a region in a month
-- (imported or entered by an administrator), for 万人成讼率.
CREATE TABLE court_filings (
    region_code TEXT NOT NULL REFERENCES regions (code),
    month BIGINT NOT NULL,            -- yyyymm
    first_instance BIGINT NOT NULL,
    PRIMARY KEY (region_code, month)
)
