-- Delivery of the signing SMS (issue 13, defect 7): each signer row names the outbox message
-- that carried its link and code (whose status is the delivery state the mediator sees), keeps
-- its link's token encrypted with the master key (the mediator may copy the link; the code is
-- never kept), and counts the resends, each of which replaces the link and the code.
ALTER TABLE agreement_signers ADD COLUMN outbox_id BIGINT;
ALTER TABLE agreement_signers ADD COLUMN link_cipher TEXT;
ALTER TABLE agreement_signers ADD COLUMN resends BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agreement_signers ADD COLUMN sent_at BIGINT;

-- The telephone a centre prints on its receipts (受理回执) for applicants to call.
ALTER TABLE units ADD COLUMN phone TEXT;
