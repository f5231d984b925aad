-- Secrets out of the outbox's plain text (issue 12, defect 5): `body` keeps the message with
-- its links and codes masked; `body_cipher` holds the whole text, encrypted with the master key
-- (which no backup contains), for the gateway. Rows written before keep their body as it was.

ALTER TABLE outbox ADD COLUMN body_cipher TEXT;
