-- Issue 16's answers to a risk: the list items' own supervision, police referral and task forces.

-- 三色三单: an item is to be closed (销号) by `close_by`; not acknowledged by `due_at` or not
-- closed by `close_by`, it climbs the supervision ladder (the scheduler's sweep).
ALTER TABLE risk_items ADD COLUMN close_by BIGINT;
CREATE INDEX risk_items_open ON risk_items (status, due_at);

-- 人民调解法 art. 25: a referral of a case to the police unit of its territory, acknowledged by
-- that unit, with its feedback; `criminal_at` when a criminal case followed (民转刑).
CREATE TABLE police_referrals (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),   -- the police unit
    reason TEXT NOT NULL,
    referred_by BIGINT NOT NULL REFERENCES users (id),
    referred_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES users (id),
    feedback TEXT,
    feedback_at BIGINT,
    feedback_by BIGINT REFERENCES users (id),
    criminal_text TEXT,
    criminal_at BIGINT,
    criminal_by BIGINT REFERENCES users (id)
);
CREATE INDEX police_referrals_case ON police_referrals (case_id);
CREATE INDEX police_referrals_unit ON police_referrals (unit_id, referred_at);

-- 一案一专班 / 领导包案: one task force per case with the 五定 — its leader (定领导), member units
-- (定人员), plan (定方案), milestones with deadlines (定时限) and each one's responsible unit
-- (定责任).
CREATE TABLE task_forces (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    leader_id BIGINT NOT NULL REFERENCES users (id),
    plan TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX task_forces_case ON task_forces (case_id);
CREATE INDEX task_forces_leader ON task_forces (leader_id, id);
CREATE TABLE task_force_members (
    task_force_id BIGINT NOT NULL REFERENCES task_forces (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    duty TEXT NOT NULL,
    PRIMARY KEY (task_force_id, unit_id)
);
CREATE TABLE task_force_milestones (
    id {id},
    task_force_id BIGINT NOT NULL REFERENCES task_forces (id),
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    due_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by BIGINT REFERENCES users (id),
    note TEXT
);
CREATE INDEX task_force_milestones_force ON task_force_milestones (task_force_id, position);
CREATE INDEX task_force_milestones_due ON task_force_milestones (due_at);
