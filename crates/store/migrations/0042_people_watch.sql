-- 重点人员 (issue 16): the register of people who need attention — who they are (name, ID number
-- and phone encrypted, masked and blind-indexed as a party's are; the address encrypted), why they
-- are on it, their colour, the grid where they live and when its workers visit next — and each
-- entry's history: entry, visits with what they found, changes of colour or schedule,
-- escalations to the centre, release.
CREATE TABLE watched_people (
    id {id},
    grid_id BIGINT NOT NULL REFERENCES grids (id),
    region_code TEXT NOT NULL,        -- the grid's community: the entry is seen in that region's scope
    person_key TEXT NOT NULL,         -- the blind index the register matches by: the ID number's, else the phone's
    name TEXT NOT NULL,
    id_number_cipher TEXT,
    id_number_index TEXT,
    id_number_masked TEXT,
    phone_cipher TEXT,
    phone_index TEXT,
    phone_masked TEXT,
    address_cipher TEXT,
    reason TEXT NOT NULL,             -- repeated_petitions | threats | mental_illness | dispute_risk | other
    detail TEXT,
    flagged_by TEXT,                  -- the department that flagged a mental illness
    colour TEXT NOT NULL,             -- red | orange | yellow
    visit_every_days BIGINT NOT NULL,
    next_visit_due BIGINT,            -- NULL once released
    status TEXT NOT NULL,             -- active | released
    entered_by BIGINT NOT NULL REFERENCES users (id),
    entered_at BIGINT NOT NULL,
    released_at BIGINT
);
-- One active entry per person: a second entry of the same person is refused.
CREATE UNIQUE INDEX watched_people_active_key ON watched_people (person_key) WHERE status = 'active';
CREATE INDEX watched_people_region ON watched_people (status, region_code, next_visit_due);
CREATE INDEX watched_people_grid ON watched_people (status, grid_id, next_visit_due);
CREATE TABLE watch_events (
    id {id},
    person_id BIGINT NOT NULL REFERENCES watched_people (id),
    action TEXT NOT NULL,             -- enter | visit | schedule | escalate | release
    situation TEXT,                   -- a visit's: stable | changed | escalate | not_met
    colour TEXT NOT NULL,             -- the colour after it
    visit_every_days BIGINT NOT NULL, -- the interval after it
    text TEXT,
    user_id BIGINT REFERENCES users (id),
    unit_id BIGINT REFERENCES units (id),
    at BIGINT NOT NULL                -- a visit's own time; otherwise when it was recorded
);
CREATE INDEX watch_events_person ON watch_events (person_id, id);
-- A look at one entry is recorded with the entry it was.
ALTER TABLE people_register_reads ADD COLUMN watched_id BIGINT REFERENCES watched_people (id);
