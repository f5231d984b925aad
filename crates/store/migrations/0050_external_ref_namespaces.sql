-- External references in namespaces not tied to a user (issue 18). A reference was claimed per
-- user, so two staff entering the same petition (or two desks of a police unit the same
-- incident) at the same moment each won their own claim and made two cases. A claim is now
-- unique by `namespace` and reference:
--   `user:<user id>`     the sender's own `external_ref` (a system account acts through its own
--                        user, so the same reference from the same account is still one case);
--   `petition:<sender>`  a petition office's reference, whoever enters it;
--   `police:<unit id>`   a police unit's incident number, whichever desk or account sends it.
CREATE TABLE external_ref_claims (
    namespace TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, external_ref)
);

-- A settled claim of a petition or a police hand-over is known by its case's row there;
-- duplicates (the race) become one.
INSERT INTO external_ref_claims (namespace, external_ref, case_id, created_at)
SELECT 'petition:' || p.sender, p.reference, MIN(r.case_id), MIN(r.created_at)
FROM external_refs r JOIN petitions p ON p.case_id = r.case_id
GROUP BY p.sender, p.reference;

INSERT INTO external_ref_claims (namespace, external_ref, case_id, created_at)
SELECT 'police:' || CAST(i.unit_id AS TEXT), i.incident_number, MIN(r.case_id), MIN(r.created_at)
FROM external_refs r JOIN police_incidents i ON i.case_id = r.case_id
GROUP BY i.unit_id, i.incident_number;

INSERT INTO external_ref_claims (namespace, external_ref, case_id, created_at)
SELECT 'user:' || CAST(r.user_id AS TEXT), r.external_ref, r.case_id, r.created_at
FROM external_refs r
WHERE NOT EXISTS (SELECT 1 FROM petitions p WHERE p.case_id = r.case_id)
  AND NOT EXISTS (SELECT 1 FROM police_incidents i WHERE i.case_id = r.case_id);

DROP TABLE external_refs;
ALTER TABLE external_ref_claims RENAME TO external_refs
