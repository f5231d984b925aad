-- The window queue (取号/叫号): numbered tickets per centre and day, called to a window.

CREATE TABLE queue_tickets (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    day TEXT NOT NULL,                -- YYYY-MM-DD, China time
    number BIGINT NOT NULL,           -- 1, 2, 3 … per centre and day
    status TEXT NOT NULL,             -- waiting | called | done
    taken_at BIGINT NOT NULL,
    called_at BIGINT,
    called_by BIGINT REFERENCES users (id),
    counter TEXT,                     -- the window that called it
    UNIQUE (unit_id, day, number)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (unit_id, day, status, number);
