-- 12345 work orders (issue 18): a case the hotline's system account sent, with its own
-- reference, the limits to acknowledge (签收) and to return (退单) it, and the centre's answer
-- (status: received | signed | returned). One per case; every change is also an event in the
-- case's history (work_order_received, work_order_signed, work_order_returned).
CREATE TABLE work_orders (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    account_id BIGINT NOT NULL REFERENCES system_accounts (id),
    external_ref TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    sign_by BIGINT NOT NULL,
    return_by BIGINT NOT NULL,
    status TEXT NOT NULL,
    answered_at BIGINT,
    answered_by BIGINT REFERENCES users (id),
    reason TEXT
);
CREATE INDEX work_orders_received ON work_orders (received_at);

-- The working-day limits of work orders (administrators' data; one row, the defaults until set).
CREATE TABLE work_order_limits (
    id BIGINT PRIMARY KEY,
    sign_working_days BIGINT NOT NULL,
    return_working_days BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
)
