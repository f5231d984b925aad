-- The administrator's bulk import and the region and grid screens (issue 13):
-- a unit has a code of the deployment's choosing (单位代码), unique, by which an import file
-- names a unit (a user's unit, a unit's parent) and by which a second import of the same file
-- is refused; regions and grids can be disabled like units.

ALTER TABLE units ADD COLUMN code TEXT;
CREATE UNIQUE INDEX units_code ON units (code);
ALTER TABLE regions ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE grids ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
