-- Login throttling by account, by client address and by the pair, counted atomically (one
-- upsert per key and attempt) in fixed windows; replaces the per-user counter, which a burst
-- of parallel attempts overran and which let anyone lock an account's owner out.

CREATE TABLE login_attempts (
    -- 'account:NAME', 'address:IP' or 'pair:NAME@IP'
    key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    window_until BIGINT NOT NULL
);

ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
