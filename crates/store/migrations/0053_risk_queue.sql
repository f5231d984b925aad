-- 风险复核队列 (issue 16): the cases whose risk is to be evaluated again after the answer — the
-- correlation rules on their subjects, the colour of their places. A registration or a workflow
-- step writes its case's row in its own transaction, so a committed step is never without it;
-- one node at a time (the `risk_queue` lease) drains the rows in batches and deletes each only
-- once its evaluation has committed, so a crash loses nothing. A case queued twice before a
-- drain is two rows, evaluated once.
CREATE TABLE risk_queue (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    queued_at BIGINT NOT NULL
);
