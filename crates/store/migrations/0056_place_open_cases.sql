-- Early warning at scale (issue 16): the open red, orange and yellow cases of each place (a
-- grid, a community, a street), kept by the writes that change them — a registration, a step
-- that opens or ends a case, a case turned red — in their own transactions. A place's colour
-- read them by counting its open cases at every event: at a million cases a street held 175 000
-- open ones, and each registration in it spent a third of a second counting them. The nightly
-- pass counts them again from the cases and puts right whatever differs.

CREATE TABLE place_open_cases (
    kind TEXT NOT NULL,
    place_key TEXT NOT NULL,
    red BIGINT NOT NULL DEFAULT 0,
    orange BIGINT NOT NULL DEFAULT 0,
    yellow BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, place_key)
);

-- Each open coloured case counts in its grid (a community's case with a grid), its community
-- (a community's case) and its street (a street's or a community's case), as `Place::of` says.
INSERT INTO place_open_cases (kind, place_key, red, orange, yellow)
SELECT kind, place_key,
    SUM(CASE WHEN risk = 'red' THEN 1 ELSE 0 END),
    SUM(CASE WHEN risk = 'orange' THEN 1 ELSE 0 END),
    SUM(CASE WHEN risk = 'yellow' THEN 1 ELSE 0 END)
FROM (
    SELECT 'grid' AS kind, CAST(grid_id AS TEXT) AS place_key, risk FROM cases
    WHERE grid_id IS NOT NULL AND substr(region_code, 10, 3) <> '000'
        AND status IN ('registered', 'accepted', 'dispatched', 'in_progress') AND risk IN ('red', 'orange', 'yellow')
    UNION ALL
    SELECT 'community', region_code, risk FROM cases
    WHERE substr(region_code, 10, 3) <> '000'
        AND status IN ('registered', 'accepted', 'dispatched', 'in_progress') AND risk IN ('red', 'orange', 'yellow')
    UNION ALL
    SELECT 'street', substr(region_code, 1, 9) || '000', risk FROM cases
    WHERE substr(region_code, 7, 3) <> '000'
        AND status IN ('registered', 'accepted', 'dispatched', 'in_progress') AND risk IN ('red', 'orange', 'yellow')
) open_coloured
GROUP BY kind, place_key;

-- The cases a grid or a community names are its oldest open red and orange ones: with the id in
-- the index they are read in order, the first 200 of each colour, on both databases.
DROP INDEX cases_open_region;
DROP INDEX cases_open_grid;
CREATE INDEX cases_open_region ON cases (region_code, risk, id)
    WHERE status IN ('registered', 'accepted', 'dispatched', 'in_progress');
CREATE INDEX cases_open_grid ON cases (grid_id, risk, id)
    WHERE status IN ('registered', 'accepted', 'dispatched', 'in_progress');
