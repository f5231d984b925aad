-- The citizen portal (issue 14): citizens who sign in by phone and a one-time code, their
-- codes and tokens. A citizen is known by the blind index of their phone only (the same HMAC
-- as `parties.phone_index`), which is what links them to the cases where they are a party.
-- Limits on codes and logins are counted in `login_attempts` under their own keys.

CREATE TABLE citizens (
    id {id},
    phone_index TEXT NOT NULL UNIQUE,
    phone_cipher TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One live code per phone: a new code replaces the last; a used or expired one never works.
CREATE TABLE citizen_codes (
    phone_index TEXT PRIMARY KEY,
    -- SHA-256 of the phone's index and the code
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Citizens' bearer tokens, apart from staff tokens, so that neither works where the other does.
CREATE TABLE citizen_tokens (
    token_hash TEXT PRIMARY KEY,
    citizen_id BIGINT NOT NULL REFERENCES citizens (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX citizen_tokens_citizen ON citizen_tokens (citizen_id);
