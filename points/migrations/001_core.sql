-- The core schema: members and cards, corners and goods, the points and stock ledgers,
-- redemptions, kiosk sessions and remembered request outcomes.
-- Ledger tables are append-only (triggers refuse UPDATE and DELETE); cached balances and
-- on-hand counts carry CHECK constraints so that no bug can drive them below zero.

CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0)
);

CREATE TABLE branches (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    UNIQUE (community_id, name)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 20),
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    branch_id INTEGER REFERENCES branches (id),
    phone TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    joined TEXT NOT NULL,
    -- cached sum of points_entries.delta, kept in the same transaction as each entry
    balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0)
);

CREATE TABLE cards (
    id INTEGER PRIMARY KEY,            -- the card's serial, printed into its QR token
    member_id INTEGER NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL CHECK (kind IN ('qr', 'nfc')),
    uid TEXT,                          -- NFC UID, upper-case hex; NULL for QR cards
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'replaced')),
    issued TEXT NOT NULL,
    ended TEXT,
    CHECK ((kind = 'nfc') = (uid IS NOT NULL))
);
-- a member holds at most one current QR card: reissuing replaces the old one
CREATE UNIQUE INDEX cards_one_active_qr ON cards (member_id) WHERE kind = 'qr' AND status = 'active';
-- an NFC card is bound to one member at a time; a revoked UID may be bound again later
CREATE UNIQUE INDEX cards_one_active_uid ON cards (uid) WHERE uid IS NOT NULL AND status = 'active';
CREATE INDEX cards_uid ON cards (uid);

CREATE TABLE corners (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0)
);

CREATE TABLE goods (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    points INTEGER NOT NULL CHECK (points > 0),
    picture TEXT,
    category TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created TEXT NOT NULL
);

-- cached on-hand count per corner, the sum of stock_entries.delta
CREATE TABLE stock (
    corner_id INTEGER NOT NULL REFERENCES corners (id),
    goods_id INTEGER NOT NULL REFERENCES goods (id),
    on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    PRIMARY KEY (corner_id, goods_id)
);

CREATE TABLE redemptions (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    corner_id INTEGER NOT NULL REFERENCES corners (id),
    card_id INTEGER REFERENCES cards (id),
    points INTEGER NOT NULL CHECK (points > 0),
    actor TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);

CREATE TABLE redemption_lines (
    redemption_id INTEGER NOT NULL REFERENCES redemptions (id),
    goods_id INTEGER NOT NULL REFERENCES goods (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    points_each INTEGER NOT NULL CHECK (points_each > 0),
    PRIMARY KEY (redemption_id, goods_id)
);

-- a redemption is reversed at most once (UNIQUE); the reversal is new ledger rows, never an edit
CREATE TABLE reversals (
    id INTEGER PRIMARY KEY,
    redemption_id INTEGER NOT NULL UNIQUE REFERENCES redemptions (id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    actor TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);

CREATE TABLE points_entries (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    delta INTEGER NOT NULL CHECK (delta <> 0),
    kind TEXT NOT NULL CHECK (kind IN ('award', 'deduction', 'redemption', 'reversal')),
    reason TEXT,
    actor TEXT NOT NULL,
    quarter TEXT NOT NULL CHECK (quarter GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
    redemption_id INTEGER REFERENCES redemptions (id),
    request_id TEXT NOT NULL,
    created TEXT NOT NULL,
    CHECK ((kind = 'award' AND delta > 0)
        OR (kind IN ('deduction', 'redemption') AND delta < 0)
        OR (kind = 'reversal' AND delta > 0 AND redemption_id IS NOT NULL)),
    CHECK ((kind IN ('redemption', 'reversal')) = (redemption_id IS NOT NULL))
);
CREATE INDEX points_entries_member ON points_entries (member_id, id);

CREATE TABLE stock_entries (
    id INTEGER PRIMARY KEY,
    corner_id INTEGER NOT NULL REFERENCES corners (id),
    goods_id INTEGER NOT NULL REFERENCES goods (id),
    delta INTEGER NOT NULL CHECK (delta <> 0),
    kind TEXT NOT NULL CHECK (kind IN ('restock', 'redemption', 'correction', 'reversal')),
    source TEXT CHECK (source IS NULL OR source IN ('purchase', 'donation', 'other')),
    note TEXT,
    actor TEXT NOT NULL,
    redemption_id INTEGER REFERENCES redemptions (id),
    request_id TEXT NOT NULL,
    created TEXT NOT NULL,
    CHECK ((kind = 'restock' AND delta > 0)
        OR (kind = 'redemption' AND delta < 0)
        OR (kind = 'reversal' AND delta > 0)
        OR kind = 'correction')
);
CREATE INDEX stock_entries_goods ON stock_entries (corner_id, goods_id);

-- kiosk sessions are signed tokens (points/sessions.py): nothing is written when a card is
-- scanned; a session ended early (the member tapped Finish, the idle timeout) is listed here
CREATE TABLE ended_sessions (
    token_digest TEXT PRIMARY KEY,
    expires REAL NOT NULL              -- unix time after which the token is dead anyway
);
CREATE INDEX ended_sessions_expires ON ended_sessions (expires);

-- keys made when the database is created: the session key signs kiosk session tokens
CREATE TABLE instance_keys (
    name TEXT PRIMARY KEY,
    key BLOB NOT NULL CHECK (length(key) >= 32)
);
INSERT INTO instance_keys (name, key) VALUES ('session', randomblob(32));

-- the first outcome of every state-changing request, returned again on a repeat
CREATE TABLE requests (
    request_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    result TEXT NOT NULL,              -- JSON
    created TEXT NOT NULL
);

-- append-only ledgers: the database itself refuses edits and deletions
CREATE TRIGGER points_entries_no_update BEFORE UPDATE ON points_entries
BEGIN SELECT RAISE(ABORT, 'points_entries is append-only'); END;
CREATE TRIGGER points_entries_no_delete BEFORE DELETE ON points_entries
BEGIN SELECT RAISE(ABORT, 'points_entries is append-only'); END;
CREATE TRIGGER stock_entries_no_update BEFORE UPDATE ON stock_entries
BEGIN SELECT RAISE(ABORT, 'stock_entries is append-only'); END;
CREATE TRIGGER stock_entries_no_delete BEFORE DELETE ON stock_entries
BEGIN SELECT RAISE(ABORT, 'stock_entries is append-only'); END;
CREATE TRIGGER redemptions_no_update BEFORE UPDATE ON redemptions
BEGIN SELECT RAISE(ABORT, 'redemptions is append-only'); END;
CREATE TRIGGER redemptions_no_delete BEFORE DELETE ON redemptions
BEGIN SELECT RAISE(ABORT, 'redemptions is append-only'); END;
CREATE TRIGGER redemption_lines_no_update BEFORE UPDATE ON redemption_lines
BEGIN SELECT RAISE(ABORT, 'redemption_lines is append-only'); END;
CREATE TRIGGER redemption_lines_no_delete BEFORE DELETE ON redemption_lines
BEGIN SELECT RAISE(ABORT, 'redemption_lines is append-only'); END;
CREATE TRIGGER reversals_no_update BEFORE UPDATE ON reversals
BEGIN SELECT RAISE(ABORT, 'reversals is append-only'); END;
CREATE TRIGGER reversals_no_delete BEFORE DELETE ON reversals
BEGIN SELECT RAISE(ABORT, 'reversals is append-only'); END;
CREATE TRIGGER members_no_delete BEFORE DELETE ON members
BEGIN SELECT RAISE(ABORT, 'members are deactivated, never deleted'); END;

INSERT INTO corners (id, name) VALUES (1, '积分兑换角');
