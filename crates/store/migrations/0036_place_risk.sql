-- 地点风险 (issue 16): a grid, a community and a street carry a risk colour with its reasons,
-- from the open cases and open alerts within them, re-evaluated on every event that touches
-- them and by the nightly pass. `place_key` is the grid's id or the region's code.
CREATE TABLE place_risks (
    kind TEXT NOT NULL,               -- grid | community | street
    place_key TEXT NOT NULL,
    region_code TEXT NOT NULL,        -- the community or street (a grid's community): the scope it is seen in
    colour TEXT NOT NULL,             -- none | yellow | orange | red
    reasons TEXT NOT NULL,            -- JSON array of messages
    case_ids TEXT NOT NULL,           -- JSON array: the open red and orange cases behind it, oldest first
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, place_key)
);
CREATE INDEX place_risks_region ON place_risks (region_code, colour);
-- Each change of a place's colour, with its reasons.
CREATE TABLE place_risk_changes (
    id {id},
    kind TEXT NOT NULL,
    place_key TEXT NOT NULL,
    colour_before TEXT NOT NULL,
    colour TEXT NOT NULL,
    reasons TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX place_risk_changes_place ON place_risk_changes (kind, place_key, id);
-- The nightly pass, once per China day: the first node to insert the day's row runs it.
CREATE TABLE place_risk_passes (
    day TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
