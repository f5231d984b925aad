-- The command screen at scale (issue 15): the cases being handled in a territory, and how many
-- of them are overdue, by unit. The screen counted them from the cases at every view — at a
-- million cases three statements each read the city's 380 000 open cases (2.5 s). Now each open
-- case is counted once, under its region, its responsible unit (the lead unit, else the centre
-- that owns it, else 0) and the UTC day its next clock falls due (the largest BIGINT when none
-- runs), by the very statement that writes its clocks; the case row keeps where it is counted,
-- so that the next write moves it from there. The nightly pass recounts from the rows.

ALTER TABLE cases ADD COLUMN due_unit_id BIGINT;
ALTER TABLE cases ADD COLUMN due_day BIGINT;

UPDATE cases SET due_unit_id = COALESCE(lead_unit_id, owner_unit_id, 0),
    due_day = COALESCE(next_due_at / 86400000, 9223372036854775807)
WHERE status IN ('registered', 'accepted', 'dispatched', 'in_progress');

CREATE TABLE open_case_dues (
    region_code TEXT NOT NULL,
    unit_id BIGINT NOT NULL,
    due_day BIGINT NOT NULL,
    open_cases BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, unit_id, due_day)
);

INSERT INTO open_case_dues (region_code, unit_id, due_day, open_cases)
SELECT region_code, due_unit_id, due_day, COUNT(*) FROM cases WHERE due_day IS NOT NULL
GROUP BY region_code, due_unit_id, due_day;
