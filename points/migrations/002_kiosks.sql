-- Kiosks: a named kiosk machine at a corner, whose reader agent forwards card taps with a token.
-- Only a digest of the token is kept, so a copy of the database cannot forge taps.
CREATE TABLE kiosks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 40),
    corner_id INTEGER NOT NULL REFERENCES corners (id),
    token_digest TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);
