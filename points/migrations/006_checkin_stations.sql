-- Check-in away from the admin: staff PINs for the kiosk's check-in mode, and check-out.
--
-- A PIN is six digits and names its staff member by itself (as a till's clerk PIN does), so it
-- is stored as a keyed digest (HMAC-SHA256 with a key made here) that can be looked up, and it
-- is UNIQUE. Six digits cannot withstand an offline guesser whatever the hash; what keeps them
-- safe is the lock-out per device below, and that a PIN opens check-in only, never the admin.

ALTER TABLE staff ADD COLUMN pin_digest TEXT;
CREATE UNIQUE INDEX staff_pin ON staff (pin_digest) WHERE pin_digest IS NOT NULL;
INSERT INTO instance_keys (name, key) VALUES ('pin', randomblob(32));

CREATE TABLE pin_failures (
    device TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until REAL                  -- unix time; NULL when not locked
);

-- check-out is optional: the time a member left, once
ALTER TABLE checkins ADD COLUMN checked_out TEXT;
ALTER TABLE checkins ADD COLUMN checked_out_by TEXT;
CREATE TRIGGER checkins_checked_out_once BEFORE UPDATE OF checked_out ON checkins
WHEN OLD.checked_out IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a check-out is recorded once'); END;

-- which way a scan went: in (check-in) or out (check-out)
ALTER TABLE scan_log ADD COLUMN action TEXT NOT NULL DEFAULT 'in' CHECK (action IN ('in', 'out'));
