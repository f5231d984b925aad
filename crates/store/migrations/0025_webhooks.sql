-- Webhooks (issue 18): a system account subscribes a URL to case events; each event becomes a
-- delivery in a durable outbox, sent by the scheduler, signed with the subscription's secret
-- (kept encrypted under the master key: it must be read back to sign), and retried with
-- backoff until it is answered with 2xx or gives up.
CREATE TABLE webhooks (
    id {id},
    account_id BIGINT NOT NULL REFERENCES system_accounts (id),
    url TEXT NOT NULL,
    -- event names, comma separated (case.registered, case.status_changed, case.concluded, ...)
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT,
    -- the last case event turned into deliveries: (at, case_id, seq)
    cursor_at BIGINT NOT NULL,
    cursor_case BIGINT NOT NULL,
    cursor_seq BIGINT NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id);

-- The outbox: one row per subscription and case event (its idempotency key), sent at least
-- once; claimed by one node at a time (claimed_until), retried at next_at after a failure.
CREATE TABLE webhook_deliveries (
    id {id},
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
    event_key TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT,
    claimed_until BIGINT,
    delivered_at BIGINT,
    failed_at BIGINT,
    last_status BIGINT,
    last_error TEXT,
    UNIQUE (webhook_id, event_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at);

-- Case events in time order, for the scan that turns them into deliveries.
CREATE INDEX case_events_at ON case_events (at, case_id, seq)
;

-- Case exports (issue 18): who exported which filters in which format, and how many cases;
-- personal data in an export is always masked.
CREATE TABLE case_exports (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL,
    format TEXT NOT NULL,
    filters TEXT NOT NULL,
    cases BIGINT NOT NULL
)
