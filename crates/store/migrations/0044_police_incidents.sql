-- 警调对接 (issue 18): a 110 non-emergency dispute (警情) a police unit handed over to the
-- centre — by its desk or its system account — registered as a `police` case; the unit's own
-- incident number (警情编号) is unique per unit (a repeat is the same case). The time, the place,
-- the parties and the description are the case's; what is kept here is the police's: the
-- number, the officer who attended, who sent it and when. The result that goes back follows
-- from the case (its conclusion or rejection).
CREATE TABLE police_incidents (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    incident_number TEXT NOT NULL,
    officer TEXT NOT NULL,
    sent_by BIGINT NOT NULL REFERENCES users (id),
    received_at BIGINT NOT NULL,
    UNIQUE (unit_id, incident_number)
);
CREATE INDEX police_incidents_received ON police_incidents (received_at)
