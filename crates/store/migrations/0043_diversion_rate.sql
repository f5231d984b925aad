-- 诉前分流率 (issue 18, DOMAIN.md §5.6; definition in domain::stats): each case's mark of
-- having been referred by a court before filing (the `court` channel), in the figures' marks
-- and their rollups, filled in for the cases already filed.
ALTER TABLE case_figures ADD COLUMN referred BIGINT NOT NULL DEFAULT 0;
ALTER TABLE figure_rollups ADD COLUMN referred BIGINT NOT NULL DEFAULT 0;
UPDATE case_figures SET referred = 1 WHERE channel = 'court';
UPDATE figure_rollups SET referred = (
    SELECT COALESCE(SUM(f.referred), 0) FROM case_figures f
    WHERE f.day = figure_rollups.day AND f.region_code = figure_rollups.region_code
      AND (figure_rollups.dimension = 'all'
        OR (figure_rollups.dimension = 'unit' AND CAST(f.unit_id AS TEXT) = figure_rollups.value)
        OR (figure_rollups.dimension = 'category' AND f.category = figure_rollups.value)
        OR (figure_rollups.dimension = 'channel' AND f.channel = figure_rollups.value))
);
