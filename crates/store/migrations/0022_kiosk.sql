-- The hall kiosk (issue 14): a ticket taken at the kiosk may carry the visitor's name and phone
-- (the phone encrypted, with its mask for display), so that the window that calls it starts
-- the registration with them; the case registered for a ticket is recorded on it.

ALTER TABLE queue_tickets ADD COLUMN visitor_name TEXT;
ALTER TABLE queue_tickets ADD COLUMN phone_cipher TEXT;
ALTER TABLE queue_tickets ADD COLUMN phone_masked TEXT;
ALTER TABLE queue_tickets ADD COLUMN case_id BIGINT REFERENCES cases (id);
