-- The history that covers the whole case (issue 12, defect 2).
-- Checkpoint roots are keyed from now on (version 2: HMAC-SHA-256 under a key derived from the
-- master key); the checkpoints taken before stay version 1 (plain SHA-256) and are verified so.
ALTER TABLE audit_checkpoints ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- `audit verify` reads the rows a case owns a batch of cases at a time, by case.
CREATE INDEX mediation_sessions_case ON mediation_sessions (case_id);
CREATE INDEX performances_agreement ON performances (agreement_id);
