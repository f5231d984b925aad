-- 亮牌 (issue 15): the rules of the monthly unit evaluation, kept as data an administrator
-- edits (one row, the rules as JSON in domain::evaluation::EvaluationRules' field names), and
-- each unit's card per month with its score (in tenths of a point, exact on both databases),
-- its reasons (JSON list of {rule, value, points}), its rank among the units of the same
-- region level, and when it was computed. A month is evaluated again until it is over.
CREATE TABLE evaluation_rules (
    id BIGINT PRIMARY KEY,
    rules TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO evaluation_rules (id, rules, updated_at) VALUES (1, '{"overdue_points":1.0,"return_points":2.0,"satisfaction_target":90.0,"satisfaction_points":1.0,"order_points":5.0,"unanswered_points":3.0,"red_below":60.0,"yellow_below":80.0}', 0);

CREATE TABLE unit_evaluations (
    period TEXT NOT NULL,             -- YYYY-MM
    unit_id BIGINT NOT NULL REFERENCES units (id),
    card TEXT NOT NULL,               -- red | yellow | green
    score_tenths BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    level TEXT NOT NULL,              -- the unit's region level
    rank BIGINT NOT NULL,             -- 1 = best within the level
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (period, unit_id)
);
CREATE INDEX unit_evaluations_unit ON unit_evaluations (unit_id, period);
CREATE INDEX notices_issued ON notices (issued_at);
CREATE INDEX hops_returned ON hops (returned_at);
CREATE INDEX cases_concluded_at ON cases (concluded_at);
