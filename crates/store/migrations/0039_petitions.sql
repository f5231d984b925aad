-- 信访转办 (issue 18): a petition a petition office (信访部门) transferred to the centre,
-- registered as a `petition` case; the office's reference is unique per sender (a repeat is the
-- same petition). Its stage (received | accepted | objected | transferred | replied | reviewing |
-- reviewed | rechecking | rechecked) and the times its statutory clocks run from; every change
-- is also an event in the case's history (petition_received, petition_accepted, …).
CREATE TABLE petitions (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    sender TEXT NOT NULL,
    reference TEXT NOT NULL,
    account_id BIGINT REFERENCES system_accounts (id),
    petitioner TEXT NOT NULL,
    request TEXT NOT NULL,
    office_received_on TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    accept_by BIGINT NOT NULL,
    object_by BIGINT NOT NULL,
    stage TEXT NOT NULL,
    decided_at BIGINT,
    accepted_at BIGINT,
    handle_by BIGINT,
    transfer_to TEXT,
    reason TEXT,
    extension_days BIGINT NOT NULL,
    extension_reason TEXT,
    replied_at BIGINT,
    reply TEXT,
    review_requested_at BIGINT,
    reviewed_at BIGINT,
    review_reply TEXT,
    recheck_requested_at BIGINT,
    rechecked_at BIGINT,
    recheck_reply TEXT,
    -- The due time of what the centre owes now (accept, handle, answer a review), NULL when
    -- nothing: what the supervision ladder watches.
    duty_by BIGINT,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX petitions_reference ON petitions (sender, reference);
CREATE INDEX petitions_received ON petitions (received_at);
CREATE INDEX petitions_duty ON petitions (duty_by)
