-- 定期报告 (issue 15): the periodic reports of a centre's territory — 日抽查 (daily), 周分析
-- (weekly), 月通报 (monthly), 季问效 (quarterly) — issued by the scheduler after each period or
-- on demand, one per region, kind and period (the unique key that keeps two nodes, or two
-- clicks, from issuing it twice). Numbered per issuing centre, kind and year. Its content is
-- kept as JSON and rendered once to PDF and XLSX, stored by hash as blobs and served as stored.
CREATE TABLE report_serials (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (unit_id, kind, year)
);
CREATE TABLE reports (
    id {id},
    number TEXT NOT NULL,             -- 〔2026〕月通报第3号
    kind TEXT NOT NULL,               -- daily | weekly | monthly | quarterly
    unit_id BIGINT NOT NULL REFERENCES units (id), -- the issuing centre
    region_code TEXT NOT NULL,        -- the territory reported on
    period_start TEXT NOT NULL,       -- YYYY-MM-DD, China days, inclusive
    period_end TEXT NOT NULL,
    content TEXT NOT NULL,            -- JSON: figures, cards, red cases, overdue list
    pdf_sha256 TEXT NOT NULL,
    xlsx_sha256 TEXT NOT NULL,
    issued_by BIGINT REFERENCES users (id), -- null when the scheduler issued it
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reports_period ON reports (region_code, kind, period_start);
CREATE UNIQUE INDEX reports_number ON reports (unit_id, kind, number);
CREATE INDEX reports_region ON reports (region_code, id);
-- The units a report is sent to (the units it names): they read it like a notice addressed to them.
CREATE TABLE report_recipients (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    PRIMARY KEY (report_id, unit_id)
);
CREATE INDEX report_recipients_unit ON report_recipients (unit_id, report_id);
