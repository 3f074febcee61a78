-- Activities: point standards (积分标准), volunteer activities, check-ins and the scan log.
-- A member is checked in at most once per activity (UNIQUE), so two devices scanning the same
-- card at the same moment cannot award twice; the award itself is a points_entries row that
-- names its activity. The scan log keeps every attempt, refused ones too, and is append-only.

CREATE TABLE activity_categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) BETWEEN 1 AND 40),
    points INTEGER NOT NULL CHECK (points BETWEEN 1 AND 100),
    kind TEXT NOT NULL DEFAULT 'award' CHECK (kind IN ('award', 'deduction')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- the standards of the Qinzao scheme: 3-5 points a task, theory study 4 a session
INSERT INTO activity_categories (name, points, kind) VALUES
    ('理论学习', 4, 'award'),
    ('银枫讲堂宣讲', 5, 'award'),
    ('调解邻里纠纷', 5, 'award'),
    ('垃圾清理', 3, 'award'),
    ('河道巡查', 4, 'award'),
    ('门岗值守', 3, 'award'),
    ('疫情防控', 5, 'award'),
    ('文明创建', 3, 'award'),
    ('无故缺席活动', 2, 'deduction'),
    ('迟到早退', 1, 'deduction'),
    ('不文明行为', 3, 'deduction');

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 100),
    category_id INTEGER NOT NULL REFERENCES activity_categories (id),
    starts TEXT NOT NULL,
    place TEXT,
    points INTEGER NOT NULL CHECK (points BETWEEN 1 AND 100),
    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
    award_mode TEXT NOT NULL CHECK (award_mode IN ('on_checkin', 'on_close')),
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'open', 'closed')),
    created_by TEXT NOT NULL,
    created TEXT NOT NULL,
    closed TEXT
);
CREATE INDEX activities_starts ON activities (starts);

-- accepted: awarded on check-in; pending: waits for the organiser (on_close mode);
-- approved: awarded at approval; removed: a pending one struck out, with a reason
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    member_id INTEGER NOT NULL REFERENCES members (id),
    card_id INTEGER REFERENCES cards (id),
    method TEXT NOT NULL CHECK (method IN ('qr', 'nfc', 'manual')),
    status TEXT NOT NULL CHECK (status IN ('accepted', 'pending', 'approved', 'removed')),
    operator TEXT NOT NULL CHECK (length(operator) > 0),
    request_id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    entry_id INTEGER UNIQUE REFERENCES points_entries (id),   -- the award, once there is one
    decided_by TEXT,
    decided TEXT,
    removal_reason TEXT,
    UNIQUE (activity_id, member_id),
    CHECK ((status IN ('accepted', 'approved')) = (entry_id IS NOT NULL)),
    CHECK ((status = 'removed') = (removal_reason IS NOT NULL AND length(trim(removal_reason)) > 0))
);
CREATE INDEX checkins_member ON checkins (member_id);

-- every scan, accepted or refused; activity_id is not a foreign key so that a scan for an
-- activity that does not exist is kept too
CREATE TABLE scan_log (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER,
    member_number TEXT,
    card_id INTEGER,
    method TEXT,
    accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    code TEXT NOT NULL,                -- 'checked_in' or the refusal code
    repeat INTEGER NOT NULL DEFAULT 0 CHECK (repeat IN (0, 1)),  -- a resent request id
    checkin_id INTEGER REFERENCES checkins (id),
    operator TEXT NOT NULL,
    device TEXT,
    request_id TEXT,
    created TEXT NOT NULL
);
CREATE INDEX scan_log_activity ON scan_log (activity_id, id);

ALTER TABLE points_entries ADD COLUMN activity_id INTEGER REFERENCES activities (id);
CREATE INDEX points_entries_activity ON points_entries (activity_id) WHERE activity_id IS NOT NULL;

CREATE TRIGGER scan_log_no_update BEFORE UPDATE ON scan_log
BEGIN SELECT RAISE(ABORT, 'scan_log is append-only'); END;
CREATE TRIGGER scan_log_no_delete BEFORE DELETE ON scan_log
BEGIN SELECT RAISE(ABORT, 'scan_log is append-only'); END;
CREATE TRIGGER checkins_no_delete BEFORE DELETE ON checkins
BEGIN SELECT RAISE(ABORT, 'check-ins are removed with a reason, never deleted'); END;
CREATE TRIGGER activities_no_delete BEFORE DELETE ON activities
BEGIN SELECT RAISE(ABORT, 'activities are closed, never deleted'); END;
-- a check-in's award is final: it never goes back to pending, and a removal is only of a pending
CREATE TRIGGER checkins_status_forward BEFORE UPDATE OF status ON checkins
WHEN NOT (OLD.status = NEW.status
          OR (OLD.status = 'pending' AND NEW.status IN ('approved', 'removed')))
BEGIN SELECT RAISE(ABORT, 'a check-in only moves from pending to approved or removed'); END;
