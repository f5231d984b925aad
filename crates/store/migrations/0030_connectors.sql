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
CREATE INDEX open311_requests_created ON open311_requests (created_at)
