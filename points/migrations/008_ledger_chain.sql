-- The hash chain over the points and stock ledgers (points/chain.py says how a hash is made).
-- Each row's hash: SHA-256 of the previous row's hash and the row's canonical encoding, 32 bytes.
-- SQLite cannot compute SHA-256, so the rows already here get their hashes from Python right
-- after this script, in the same transaction (points.db.apply_migrations, chain.seal_existing_rows).
-- The column stays nullable: a row inserted by hand without a hash is named by `corner verify`
-- (a NOT NULL column cannot be added to a table that has rows, and a refusing trigger would
-- only move the forger to writing a wrong hash, which `corner verify` names just as well).

ALTER TABLE points_entries ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);
ALTER TABLE stock_entries ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);
