-- 实名认证 in the citizen portal (issue 14): a citizen may add their name and ID number
-- (GB 11643, checked), kept like parties' data — encrypted, with the ID number's blind index
-- (the same HMAC as `parties.id_number_index`) and its mask. A real-named citizen is linked to
-- every case where a party has that ID number and that name, whatever phone it was given with.
-- One ID number belongs to one citizen account.

ALTER TABLE citizens ADD COLUMN name_cipher TEXT;
ALTER TABLE citizens ADD COLUMN id_number_cipher TEXT;
ALTER TABLE citizens ADD COLUMN id_number_index TEXT;
ALTER TABLE citizens ADD COLUMN id_number_masked TEXT;
ALTER TABLE citizens ADD COLUMN verified_at BIGINT;
CREATE UNIQUE INDEX citizens_id_number ON citizens (id_number_index);
