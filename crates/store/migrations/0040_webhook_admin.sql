-- The centre's administrators look after the webhooks (issue 18): a subscription can be
-- disabled (its deliveries still queue and wait, none is sent) and enabled again; every act of
-- an administrator on a subscription — a replay, a disabling, an enabling — is recorded.
ALTER TABLE webhooks ADD COLUMN disabled_at BIGINT;

CREATE TABLE webhook_admin_actions (
    id {id},
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- replay | replay_failing | disable | enable
    action TEXT NOT NULL,
    -- the delivery replayed (a replay of one)
    delivery_id BIGINT REFERENCES webhook_deliveries (id),
    -- how many deliveries it queued again (a replay)
    deliveries BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX webhook_admin_actions_webhook ON webhook_admin_actions (webhook_id, id);

-- A subscription's delivery log, the newest first, and its counts.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id)
