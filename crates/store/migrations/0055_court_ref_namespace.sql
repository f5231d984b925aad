-- A court's case number in the court's own namespace (issue 18). A referral (诉前委派) was
-- claimed in its sender's namespace (`user:<id>`), so the court desk's login and the court's
-- system account, sending the same number at the same moment, each won their own claim and
-- made two cases. A referral's number is now claimed as `court:<court unit id>`, whichever of
-- the court's desks or accounts sends it.

-- Every referral's number answers the referral's case (the race's second case had none).
INSERT INTO external_refs (namespace, external_ref, case_id, created_at)
SELECT 'court:' || CAST(f.court_unit_id AS TEXT), f.court_case_number, f.case_id, f.received_at
FROM referrals f;

-- The claims its court's users made for it go: those of a `court` case (the referral's, or the
-- duplicate the race made) or still unsettled. A court user's own `external_ref` of another
-- case stays theirs.
DELETE FROM external_refs
WHERE namespace LIKE 'user:%'
  AND (case_id IS NULL OR case_id IN (SELECT c.id FROM cases c WHERE c.channel = 'court'))
  AND EXISTS (
      SELECT 1 FROM referrals f JOIN users u ON u.unit_id = f.court_unit_id
      WHERE external_refs.namespace = 'user:' || CAST(u.id AS TEXT)
        AND external_refs.external_ref = f.court_case_number)
