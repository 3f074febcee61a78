-- Imports staged on the server between their preview and their confirmation (issue 11).
--
-- An uploaded file is read once, checked row by row, and kept here under a random id: the
-- preview pages through it and the confirm form posts only that id, never the rows. A staged
-- import expires after an hour, or when the same staff member stages a newer one; confirming
-- drops its rows and keeps the header (so a second confirm finds the first outcome).

CREATE TABLE staged_imports (
    id TEXT PRIMARY KEY,                  -- random, in the preview's address and the confirm form
    kind TEXT NOT NULL,                   -- what is imported: 'members'
    staff TEXT NOT NULL,                  -- who staged it: only they may see or confirm it
    source TEXT,                          -- the file name
    created TEXT NOT NULL,
    created_unix REAL NOT NULL,           -- for expiry (timestamps with offsets do not sort)
    status TEXT NOT NULL DEFAULT 'staging' CHECK (status IN ('staging', 'ready', 'confirmed')),
    total INTEGER NOT NULL DEFAULT 0,     -- rows of the file below its header
    good INTEGER NOT NULL DEFAULT 0,      -- rows that passed every check
    refused INTEGER NOT NULL DEFAULT 0,   -- rows with at least one problem
    problems INTEGER NOT NULL DEFAULT 0,  -- problems in all (a row may have several)
    digest TEXT                           -- of the checked rows, names the import in its audit
);

CREATE INDEX staged_imports_by_staff ON staged_imports (staff, kind);

CREATE TABLE staged_import_rows (
    import_id TEXT NOT NULL REFERENCES staged_imports (id) ON DELETE CASCADE,
    row INTEGER NOT NULL,                 -- the row number in the file
    ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
    number TEXT,
    name TEXT,
    branch TEXT,
    community TEXT,
    phone TEXT,
    PRIMARY KEY (import_id, row)
) WITHOUT ROWID;

CREATE TABLE staged_import_problems (
    import_id TEXT NOT NULL REFERENCES staged_imports (id) ON DELETE CASCADE,
    row INTEGER NOT NULL,                 -- the row number in the file (0: the file as a whole)
    position INTEGER NOT NULL,            -- the column's place, so a row's problems go left to right
    seq INTEGER NOT NULL,                 -- the order found
    field TEXT,
    code TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',   -- JSON
    PRIMARY KEY (import_id, row, position, seq)
) WITHOUT ROWID;
