-- Mediation to agreement: sessions, evidence, agreements with their signers, electronic
-- service, judicial confirmation, performance; the SMS outbox; mediator profiles.

CREATE TABLE mediator_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    specialities TEXT NOT NULL,       -- space-separated category codes
    languages TEXT NOT NULL,          -- e.g. "普通话 兰州话"
    rating_sum BIGINT NOT NULL,
    rating_count BIGINT NOT NULL
);

CREATE TABLE case_mediators (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    chosen_by TEXT NOT NULL,          -- centre | party
    reason TEXT,
    assigned_at BIGINT NOT NULL
);

CREATE TABLE mediation_sessions (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    mode TEXT NOT NULL,               -- in_person | video
    scheduled_at BIGINT NOT NULL,
    place TEXT,
    link TEXT,
    mediator TEXT NOT NULL,           -- username
    disclosure TEXT,                  -- the mediator's conflict-of-interest disclosure
    acknowledgements TEXT NOT NULL,   -- JSON: party index → rights notice acknowledged, consent given
    minutes TEXT,                     -- 调解笔录
    minutes_confirmed TEXT NOT NULL,  -- JSON: party indexes that confirmed the minutes
    status TEXT NOT NULL,             -- scheduled | held | cancelled
    created_at BIGINT NOT NULL
);

CREATE TABLE evidence (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX evidence_case ON evidence (case_id);

CREATE TABLE agreements (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    form TEXT NOT NULL,               -- written | oral
    status TEXT NOT NULL,             -- draft | signing | effective
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,            -- JSON: AgreementContent
    parties TEXT NOT NULL,            -- JSON: the parties as printed
    paper_required TEXT,              -- why it must be signed on paper (Electronic Signature Law art. 3)
    warnings TEXT NOT NULL,           -- JSON: why a court may not confirm it
    mediator TEXT NOT NULL,           -- username of the drafting mediator
    mediator_name TEXT NOT NULL,
    committee TEXT NOT NULL,
    mediator_signed_at BIGINT,
    mediator_signature TEXT,          -- sha256 of the signature image
    sealed_at BIGINT,
    effective_at BIGINT,
    confirm_by BIGINT,                -- last moment to apply for judicial confirmation
    documents TEXT,                   -- JSON: copy → sha256 of the PDF, fixed when it took effect
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX agreements_case ON agreements (case_id);

CREATE TABLE agreement_signers (
    id {id},
    agreement_id BIGINT NOT NULL REFERENCES agreements (id),
    party_index BIGINT NOT NULL,
    link_hash TEXT NOT NULL UNIQUE,   -- SHA-256 of the one-time link's token
    code_hash TEXT NOT NULL,          -- SHA-256 of the verification code with the token
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    signed_at BIGINT,
    signature TEXT,                   -- sha256 of the signature image
    UNIQUE (agreement_id, party_index)
);

CREATE TABLE deliveries (
    id {id},
    agreement_id BIGINT NOT NULL REFERENCES agreements (id),
    party_index BIGINT NOT NULL,
    link_hash TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL,           -- sha256 of the copy delivered
    sent_at BIGINT NOT NULL,
    opened_at BIGINT,                 -- the receipt: when the party opened it
    UNIQUE (agreement_id, party_index)
);

CREATE TABLE confirmations (
    agreement_id BIGINT PRIMARY KEY REFERENCES agreements (id),
    court_unit_id BIGINT NOT NULL REFERENCES units (id),
    applicants TEXT NOT NULL,         -- JSON: party indexes
    package TEXT NOT NULL,            -- JSON: what was sent to the court
    applied_at BIGINT NOT NULL,
    applied_by TEXT NOT NULL,
    decision TEXT,                    -- confirmed | rejected
    reasons TEXT,
    decided_at BIGINT,
    decided_by TEXT
);

CREATE TABLE performances (
    id {id},
    agreement_id BIGINT NOT NULL REFERENCES agreements (id),
    term_index BIGINT NOT NULL,
    status TEXT NOT NULL,             -- performed | breached
    note TEXT,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);

CREATE TABLE outbox (
    id {id},
    channel TEXT NOT NULL,            -- sms
    recipient TEXT NOT NULL,          -- masked, for the admin's view
    recipient_cipher TEXT NOT NULL,   -- encrypted, for the gateway
    body TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    status TEXT NOT NULL              -- pending | sending | sent | failed | kept (the built-in gateway keeps it here)
);
