-- Connectors (issue 18). Open311 GeoReport v2: the cases reported through it, by which system
-- account, with the point the client sent (in millionths of a degree). An anonymous client of
-- the public list sees only these cases, and never their personal data.
CREATE TABLE open311_requests (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    account_id BIGINT NOT NULL REFERENCES system_accounts (id),
    lat_e6 BIGINT,
    lng_e6 BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX open311_requests_created ON open311_requests (created_at);

-- 诉前委派 (DOMAIN.md §5.6): a court's referral of a dispute before filing, by the court's own
-- case number (one referral per court and number), with its clocks; `status` is what the
-- centre recorded (received | accepted | declined) — success or failure follows from the case.
CREATE TABLE referrals (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    court_unit_id BIGINT NOT NULL REFERENCES units (id),
    court_case_number TEXT NOT NULL,
    sent_by BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    confirm_by BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES users (id),
    contact_by BIGINT,
    mediate_by BIGINT,
    reason TEXT,
    UNIQUE (court_unit_id, court_case_number)
);
CREATE INDEX referrals_case ON referrals (case_id)
