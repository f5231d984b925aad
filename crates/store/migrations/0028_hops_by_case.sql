-- A case's last hop is read by `(case_id, id DESC)` (the supervision sweep's clocks, the case
-- page): with an index on `case_id` alone PostgreSQL walked `hops` backwards by primary key for
-- every case (13 ms a case at 100 k; issue 19). The composite index serves both the look-up by
-- case and the last hop, so the single-column one goes.

CREATE INDEX hops_case_last ON hops (case_id, id);
DROP INDEX hops_case;
