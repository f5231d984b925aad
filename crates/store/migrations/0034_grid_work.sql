-- Grid work (网格化): a grid worker's daily patrol log (日巡查上报) and the hazard register
-- (隐患台账). Both carry the grid's community code, so a centre sees its territory's with one
-- range condition; a hazard's steps are its own history (who, when, what), and one that
-- became a case points at it (the case's history names the hazard).
CREATE TABLE patrols (
    id {id},
    grid_id BIGINT NOT NULL REFERENCES grids (id),
    region_code TEXT NOT NULL,        -- the grid's community
    user_id BIGINT NOT NULL REFERENCES users (id),
    day TEXT NOT NULL,                -- the date it began, China time: 2026-11-28
    started_at BIGINT NOT NULL,
    ended_at BIGINT,                  -- NULL while the patrol goes on
    visited BIGINT NOT NULL,          -- households and places visited
    route TEXT,
    findings TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX patrols_region ON patrols (region_code, day, id);
CREATE INDEX patrols_grid ON patrols (grid_id, day);

CREATE TABLE hazards (
    id {id},
    grid_id BIGINT NOT NULL REFERENCES grids (id),
    region_code TEXT NOT NULL,        -- the grid's community
    kind TEXT NOT NULL,               -- dispute_clue | safety | fire | public_order | environment | building | other
    description TEXT NOT NULL,
    location TEXT,
    people TEXT,                      -- who is involved, in words: no ID numbers, no phones
    patrol_id BIGINT REFERENCES patrols (id),
    status TEXT NOT NULL,             -- open | resolved | escalated | registered | closed
    case_id BIGINT REFERENCES cases (id),
    reported_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hazards_region ON hazards (region_code, status, id);
CREATE INDEX hazards_grid ON hazards (grid_id, status, id);
CREATE INDEX hazards_case ON hazards (case_id);

CREATE TABLE hazard_steps (
    id {id},
    hazard_id BIGINT NOT NULL REFERENCES hazards (id),
    action TEXT NOT NULL,             -- report | resolve | escalate | register | close
    status TEXT NOT NULL,             -- the status it led to
    note TEXT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX hazard_steps_hazard ON hazard_steps (hazard_id, id);
