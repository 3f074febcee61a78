-- The quarter (一季度一核实): open -> review (核实) -> posted (公示) -> locked, per installation.
--
-- A quarter without a row is open. Posting fixes the settlement (one row a member) and starts the
-- posting period; objections raised then must be resolved before the lock; after the lock no
-- points row may be written into the quarter, and its settlement never changes.

CREATE TABLE quarters (
    quarter TEXT PRIMARY KEY CHECK (quarter GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'review', 'posted', 'locked')),
    -- star thresholds: the quarter's points a member needs for 1..5 stars (NULL: not set)
    star1 INTEGER CHECK (star1 IS NULL OR star1 > 0),
    star2 INTEGER CHECK (star2 IS NULL OR star2 > star1),
    star3 INTEGER CHECK (star3 IS NULL OR star3 > star2),
    star4 INTEGER CHECK (star4 IS NULL OR star4 > star3),
    star5 INTEGER CHECK (star5 IS NULL OR star5 > star4),
    posted TEXT,                 -- when the board was posted
    posting_starts TEXT,         -- the posting period, dates (YYYY-MM-DD), both days included
    posting_ends TEXT,
    contact TEXT,                -- whom to tell of an objection, printed on the board
    locked TEXT,
    locked_by TEXT,
    CHECK ((status IN ('posted', 'locked')) = (posted IS NOT NULL AND posting_ends IS NOT NULL)),
    CHECK ((status = 'locked') = (locked IS NOT NULL)),
    CHECK ((star1 IS NULL) = (star5 IS NULL))
);

CREATE TABLE settlements (
    quarter TEXT NOT NULL REFERENCES quarters (quarter),
    member_id INTEGER NOT NULL REFERENCES members (id),
    branch_id INTEGER REFERENCES branches (id),
    opening INTEGER NOT NULL,
    earned INTEGER NOT NULL CHECK (earned >= 0),
    deducted INTEGER NOT NULL CHECK (deducted >= 0),
    redeemed INTEGER NOT NULL CHECK (redeemed >= 0),
    reversed INTEGER NOT NULL CHECK (reversed >= 0),
    closing INTEGER NOT NULL CHECK (closing = opening + earned - deducted - redeemed + reversed),
    year_points INTEGER NOT NULL,
    cumulative INTEGER NOT NULL,
    stars INTEGER NOT NULL CHECK (stars BETWEEN 0 AND 5),
    PRIMARY KEY (quarter, member_id)
);

-- a locked quarter's settlement is frozen
CREATE TRIGGER settlements_frozen_update BEFORE UPDATE ON settlements
WHEN (SELECT status FROM quarters WHERE quarter = OLD.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;
CREATE TRIGGER settlements_frozen_delete BEFORE DELETE ON settlements
WHEN (SELECT status FROM quarters WHERE quarter = OLD.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;
CREATE TRIGGER settlements_frozen_insert BEFORE INSERT ON settlements
WHEN (SELECT status FROM quarters WHERE quarter = NEW.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;

-- a late correction of a locked quarter lands in an open one and names the quarter it corrects
ALTER TABLE points_entries ADD COLUMN corrects TEXT
    CHECK (corrects IS NULL OR corrects GLOB '[0-9][0-9][0-9][0-9]Q[1-4]');

-- nothing is written into a locked quarter, whatever path a bug takes
CREATE TRIGGER points_entries_quarter_locked BEFORE INSERT ON points_entries
WHEN (SELECT status FROM quarters WHERE quarter = NEW.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;

-- a locked quarter stays locked
CREATE TRIGGER quarters_locked_stays BEFORE UPDATE ON quarters
WHEN OLD.status = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;

CREATE TABLE objections (
    id INTEGER PRIMARY KEY,
    quarter TEXT NOT NULL REFERENCES quarters (quarter),
    member_id INTEGER NOT NULL REFERENCES members (id),
    raised_by TEXT NOT NULL,      -- who raised it (the member, or who spoke for them)
    text TEXT NOT NULL CHECK (length(trim(text)) > 0),
    raised TEXT NOT NULL,         -- when
    recorded_by TEXT NOT NULL,    -- the staff member who wrote it down
    resolution TEXT CHECK (resolution IS NULL OR resolution IN ('corrected', 'replied')),
    reply TEXT,
    entry_id INTEGER REFERENCES points_entries (id),
    resolved TEXT,
    resolved_by TEXT,
    CHECK ((resolution IS NULL) = (resolved IS NULL)),
    CHECK (resolution IS NULL OR length(trim(reply)) > 0),
    CHECK ((resolution = 'corrected') = (entry_id IS NOT NULL))
);
CREATE INDEX objections_quarter ON objections (quarter, resolved);
CREATE INDEX settlements_branch ON settlements (quarter, branch_id);
CREATE INDEX points_entries_quarter ON points_entries (quarter, member_id);

-- screens that show the public board with a token (a TV), as kiosks do
CREATE TABLE boards (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 40),
    token_digest TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);

-- the star of the quarter (一季度之星): chosen by staff, with a one-line reason
CREATE TABLE quarter_stars (
    quarter TEXT NOT NULL REFERENCES quarters (quarter),
    member_id INTEGER NOT NULL REFERENCES members (id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    chosen_by TEXT NOT NULL,
    chosen TEXT NOT NULL,
    PRIMARY KEY (quarter, member_id)
);
CREATE TRIGGER quarter_stars_frozen_insert BEFORE INSERT ON quarter_stars
WHEN (SELECT status FROM quarters WHERE quarter = NEW.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;
CREATE TRIGGER quarter_stars_frozen_update BEFORE UPDATE ON quarter_stars
WHEN (SELECT status FROM quarters WHERE quarter = OLD.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;
CREATE TRIGGER quarter_stars_frozen_delete BEFORE DELETE ON quarter_stars
WHEN (SELECT status FROM quarters WHERE quarter = OLD.quarter) = 'locked'
BEGIN SELECT RAISE(ABORT, 'quarter_locked'); END;
