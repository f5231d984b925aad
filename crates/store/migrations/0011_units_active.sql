-- Units can be disabled (issue 13, defect 9): a disabled unit is offered in no picker, takes
-- no new users and is left out of routing; its cases and history stay as they are.

ALTER TABLE units ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
