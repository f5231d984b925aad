-- The minutes written in a video session's room (issue 17): the text is the session's own
-- `minutes`, saved as the mediator types; when the mediator puts it to the parties for their
-- confirmation, the time is kept here (an edit before any party confirmed clears it).
ALTER TABLE mediation_sessions ADD COLUMN minutes_asked_at BIGINT;
