-- The spine: organisation, users and tokens, cases with parties, hops and their hash-chained
-- history. Times are BIGINT milliseconds since the Unix epoch, JSON is TEXT.

CREATE TABLE regions (
    code TEXT PRIMARY KEY,            -- 12-digit statistical division code
    name TEXT NOT NULL,
    short_name TEXT,                  -- common short form, e.g. 张掖路 for 张掖路街道
    level TEXT NOT NULL,              -- province | city | district | street | community
    parent_code TEXT REFERENCES regions (code)
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE grids (
    id {id},
    code TEXT NOT NULL UNIQUE,        -- community code + 3-digit serial
    name TEXT NOT NULL,
    community_code TEXT NOT NULL REFERENCES regions (code),
    polygon TEXT                      -- GeoJSON ring of [lng, lat], optional
);

CREATE TABLE units (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,               -- centre | department | police | petition_office | court | mediation_committee | industry_mediation | brand_room
    region_code TEXT NOT NULL REFERENCES regions (code),
    parent_id BIGINT REFERENCES units (id),
    categories TEXT NOT NULL DEFAULT '', -- space-separated category codes this unit handles (条)
    grid_id BIGINT REFERENCES grids (id)
);
CREATE INDEX units_region ON units (region_code);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    password_hash TEXT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

-- Opaque bearer tokens and (later) cookie sessions, stored as SHA-256 of the secret.
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,               -- bearer | session
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- Per-region yearly serials for human case numbers.
CREATE TABLE case_number_serials (
    region TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (region, year)
);

CREATE TABLE cases (
    id {id},
    number TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    category_source TEXT NOT NULL,    -- client | suggested
    category_suggestion TEXT,         -- JSON {category, confidence, words} from the classifier
    risk TEXT NOT NULL,
    risk_reasons TEXT NOT NULL,       -- JSON array
    title TEXT,
    description TEXT NOT NULL,
    amount_fen BIGINT,
    people_count BIGINT NOT NULL,
    occurred_at BIGINT,
    address TEXT,
    address_key TEXT,                 -- the address normalised, for "same place"
    region_code TEXT NOT NULL,        -- jurisdiction (属地)
    grid_id BIGINT REFERENCES grids (id),
    level TEXT NOT NULL,              -- the level handling it: community | street | district | city
    routing TEXT NOT NULL,            -- JSON {unit_id, level, assist_unit_ids, joint, reasons, rules}
    emergency TEXT,                   -- the 110/120 instruction given at intake, if any
    lead_unit_id BIGINT REFERENCES units (id),
    owner_unit_id BIGINT REFERENCES units (id), -- the centre responsible now (moves up on escalation)
    registering_unit_id BIGINT NOT NULL REFERENCES units (id),
    registered_by BIGINT NOT NULL REFERENCES users (id),
    outcome TEXT,
    summary TEXT,
    satisfaction TEXT,
    external_ref TEXT,
    contacted_at BIGINT,
    first_dispatched_at BIGINT,
    dispatched_at BIGINT,                 -- of the current hop
    rejected_at BIGINT,
    concluded_at BIGINT,
    followed_up_at BIGINT,
    respond_by BIGINT,
    dispatch_by BIGINT,
    conclude_by BIGINT,
    follow_up_by BIGINT,
    next_due_at BIGINT,               -- earliest due time of a running clock
    next_notice_at BIGINT,            -- earliest time a notice of the ladder may be due
    deadlines_provisional BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    event_seq BIGINT NOT NULL,        -- head of the history: last seq …
    event_hash TEXT NOT NULL          -- … and its hash
);
CREATE INDEX cases_region ON cases (region_code, created_at);
CREATE INDEX cases_status ON cases (status, created_at);
CREATE INDEX cases_status_category ON cases (status, category, created_at);
CREATE INDEX cases_lead_unit ON cases (lead_unit_id, created_at);
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX cases_updated ON cases (updated_at);
CREATE INDEX cases_address ON cases (address_key);
CREATE INDEX cases_next_due ON cases (next_due_at);
CREATE INDEX cases_next_notice ON cases (next_notice_at);
CREATE INDEX cases_owner ON cases (owner_unit_id, status);

-- Every unit currently assigned to a case: the lead and the assisting units (联合调处).
CREATE TABLE case_units (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    role TEXT NOT NULL,               -- lead | assist
    PRIMARY KEY (case_id, unit_id)
);
CREATE INDEX case_units_unit ON case_units (unit_id, case_id);

CREATE TABLE parties (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    position BIGINT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,           -- organisations: name normalised, for "same organisation"
    id_number_cipher TEXT,            -- AES-256-GCM
    id_number_index TEXT,             -- HMAC blind index
    id_number_masked TEXT,
    credit_code TEXT,                 -- public registration data, not encrypted
    phone_cipher TEXT,
    phone_index TEXT,
    phone_masked TEXT,
    address_cipher TEXT,
    address_index TEXT
);
CREATE INDEX parties_case ON parties (case_id);
CREATE INDEX parties_id_number ON parties (id_number_index);
CREATE INDEX parties_phone ON parties (phone_index);
CREATE INDEX parties_credit_code ON parties (credit_code);
CREATE INDEX parties_name ON parties (name_key);
CREATE INDEX parties_address ON parties (address_index);

-- 一次转办: each dispatch to one unit, with its own times, returns count against first-time-right routing.
CREATE TABLE hops (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    assist_unit_ids TEXT NOT NULL DEFAULT '[]',
    dispatched_by BIGINT NOT NULL REFERENCES users (id),
    dispatched_at BIGINT NOT NULL,
    signed_at BIGINT,
    returned_at BIGINT,
    return_reason TEXT,
    extension_days BIGINT NOT NULL DEFAULT 0,
    ended_at BIGINT
);
CREATE INDEX hops_case ON hops (case_id);
CREATE INDEX hops_unit ON hops (unit_id, dispatched_at);

-- The append-only, hash-chained history of every case.
CREATE TABLE case_events (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    data TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
)
