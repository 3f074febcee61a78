-- Logins held on the server, and throttling per account and client address (issue 11, part 5).
--
-- A staff login (a password login of the admin, or a check-in PIN login on a kiosk) is a row
-- here; the session cookie holds only a random token, and the row holds its SHA-256, so a copy of
-- the database opens no browser's login. Ending a login ends the row: a copy of the cookie kept
-- from before the logout then opens nothing. Rows are never reused; ended ones are deleted after
-- a while (points.logins says how long), the audit trail keeps every login and logout for good.

CREATE TABLE logins (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    kind TEXT NOT NULL CHECK (kind IN ('password', 'pin')),
    created REAL NOT NULL,             -- unix time
    last_seen REAL NOT NULL,           -- unix time of the last request, to a minute
    ended REAL,                        -- unix time; NULL while the login is open
    ended_reason TEXT CHECK (ended_reason IN (
        'logout', 'ended', 'everywhere', 'password', 'pin', 'deactivated', 'role', 'idle',
        'expired'
    )),
    address TEXT NOT NULL DEFAULT '',  -- the client's address when it logged in
    user_agent TEXT NOT NULL DEFAULT '',
    CHECK ((ended IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX logins_open ON logins (staff_id, kind) WHERE ended IS NULL;
CREATE INDEX logins_ended ON logins (ended) WHERE ended IS NOT NULL;

-- Failed attempts, counted per (account, client address) and, more slowly, per account across
-- every address (address '*'). For PINs, which name no account, the "account" is the device
-- (a kiosk) and the slower count is over every device and address (account '*', address '*').
-- Replaces the counts per user name (migration 003) and per device (migration 006), with which
-- anyone anywhere could lock the real admin out.
CREATE TABLE throttle (
    scope TEXT NOT NULL CHECK (scope IN ('login', 'pin')),
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locks INTEGER NOT NULL DEFAULT 0 CHECK (locks >= 0),  -- the slower count's locks so far
    window_start REAL,                 -- unix time the slower count's hour began
    locked_until REAL,                 -- unix time; NULL when not locked
    PRIMARY KEY (scope, account, address)
);

DROP TABLE login_failures;
DROP TABLE pin_failures;
