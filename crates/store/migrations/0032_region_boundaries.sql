-- The command screen's map (issue 15): the boundary of a region as GeoJSON geometry (a Polygon
-- or a MultiPolygon of [lng, lat], domain::geo::Boundary), imported by an administrator; a
-- region without one is drawn as a tile of the schematic.

ALTER TABLE regions ADD COLUMN boundary TEXT;
