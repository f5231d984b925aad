-- Deadlines and supervision: the official calendar, clock policies, the notices of the
-- supervision ladder (函单令), and leases that let one node at a time run a job.

CREATE TABLE calendar_years (
    year BIGINT PRIMARY KEY,
    data TEXT NOT NULL,               -- JSON: the YearCalendar
    loaded_at BIGINT NOT NULL,
    loaded_by TEXT NOT NULL
);

-- Time limits per category, channel and risk colour; the most specific match wins.
CREATE TABLE clock_policies (
    id {id},
    category TEXT,
    channel TEXT,
    risk TEXT,
    respond_minutes BIGINT NOT NULL,
    dispatch_hours BIGINT NOT NULL,
    conclude_working_days BIGINT NOT NULL,
    follow_up_working_days BIGINT NOT NULL,
    reminder_percent BIGINT NOT NULL,
    order_after_working_days BIGINT NOT NULL
);

CREATE TABLE notices (
    id {id},
    number TEXT NOT NULL UNIQUE,      -- 督办令〔2026〕12号
    kind TEXT NOT NULL,               -- reminder | warning | order
    case_id BIGINT NOT NULL REFERENCES cases (id),
    clock TEXT,                       -- respond | dispatch | conclude | follow_up, null for some manual notices
    unit_id BIGINT NOT NULL REFERENCES units (id),      -- the recipient
    cc_unit_id BIGINT REFERENCES units (id),            -- a warning's supervising centre
    issuer_unit_id BIGINT REFERENCES units (id),
    due_at BIGINT,                    -- the clock's due time
    issued_at BIGINT NOT NULL,
    text TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,           -- case:clock:kind:due — each scheduled notice exists once
    issued_by BIGINT REFERENCES users (id),             -- set for notices issued by hand
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES users (id),
    reply TEXT,
    replied_at BIGINT,
    replied_by BIGINT REFERENCES users (id)
);
CREATE INDEX notices_unit ON notices (unit_id, issued_at);
CREATE INDEX notices_cc ON notices (cc_unit_id, issued_at);
CREATE INDEX notices_case ON notices (case_id);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
)
