-- Connecting other systems (issue 18): system accounts with API keys, and idempotent intake.
--
-- A system account (a court, a 12345 centre, a petition office, a police station) acts
-- through a user row of its own (role `intake`, an unusable password, username `system:N`), so
-- that what it does is attributed in the case's history like anyone's; its API key is kept
-- only as SHA-256, and what it may do is its list of permission codes.
CREATE TABLE system_accounts (
    id {id},
    name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- permission codes, comma separated (domain::authz::Permission::code)
    permissions TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Every call a system account makes: when, what.
CREATE TABLE system_account_calls (
    id {id},
    account_id BIGINT NOT NULL REFERENCES system_accounts (id),
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX system_account_calls_account ON system_account_calls (account_id, at);

-- 幂等登记: the sender's own reference of a case, claimed by one insert under the primary key
-- before the case is registered (so that 50 identical requests at once make one case); the
-- case is written in once it exists.
CREATE TABLE external_refs (
    user_id BIGINT NOT NULL REFERENCES users (id),
    external_ref TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, external_ref)
);
