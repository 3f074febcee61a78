-- Staff logins and the audit trail.
-- A staff account is never deleted (its name stays in the audit trail); it is deactivated.
-- Failed logins are counted per user name, known or not, so that throttling says nothing about
-- which names exist. The audit trail is append-only like the ledgers.

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 40),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    role TEXT NOT NULL CHECK (role IN ('admin', 'organiser')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created TEXT NOT NULL
);

CREATE TABLE login_failures (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until REAL                  -- unix time; NULL when not locked
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    actor TEXT NOT NULL CHECK (length(actor) > 0),
    action TEXT NOT NULL,
    target TEXT,                       -- what was acted on: a member number, a staff name ...
    params TEXT,                       -- JSON: what was asked
    before TEXT,                       -- JSON: the state before, where it matters (an edit)
    after TEXT,                        -- JSON: the outcome
    request_id TEXT,
    created TEXT NOT NULL
);
CREATE INDEX audit_target ON audit (target, id);
CREATE INDEX audit_actor ON audit (actor, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff
BEGIN SELECT RAISE(ABORT, 'staff are deactivated, never deleted'); END;
