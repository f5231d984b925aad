-- Early warning (issue 16): correlation rules an administrator edits as data, and the alerts
-- they open. A rule counts the cases that share a subject within its window: at `threshold`
-- an orange alert, at `red_at` red.
CREATE TABLE alert_rules (
    code TEXT PRIMARY KEY,            -- same_respondent | same_person
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    threshold BIGINT NOT NULL,
    red_at BIGINT NOT NULL,
    window_days BIGINT NOT NULL
);
-- K claimants against one respondent (wage arrears before the Spring Festival): 5 is a group
-- (信访工作条例 art. 20), 30 the alert line of a mass incident (DOMAIN.md §5.5).
INSERT INTO alert_rules (code, threshold, red_at, window_days) VALUES ('same_respondent', 5, 30, 30);
-- The same person in N disputes (重复信访; 领导包案 from 3 repeat visits, DOMAIN.md §5.8).
INSERT INTO alert_rules (code, threshold, red_at, window_days) VALUES ('same_person', 3, 5, 90);
CREATE TABLE alerts (
    id {id},
    rule TEXT NOT NULL,
    subject_key TEXT NOT NULL,        -- credit code, organisation name key or blind index: never plaintext
    colour TEXT NOT NULL,
    reasons TEXT NOT NULL,            -- JSON array of messages
    case_ids TEXT NOT NULL,           -- JSON array, oldest first
    region_code TEXT NOT NULL,        -- the latest case's: the alert is seen in that region's scope
    status TEXT NOT NULL DEFAULT 'open',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The same situation never opens a second alert while one is open.
CREATE UNIQUE INDEX alerts_open_subject ON alerts (rule, subject_key) WHERE status = 'open';
CREATE INDEX alerts_status_region ON alerts (status, region_code);
