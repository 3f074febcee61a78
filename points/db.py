"""Opening the database, migrations and the one way to write: ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 30_000


def connect(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open the corner's SQLite file with WAL, foreign keys and a busy timeout."""
    # isolation_level=None: the sqlite3 module never opens transactions behind our back; every
    # write goes through transaction(), which says BEGIN IMMEDIATE itself.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a committed redemption survives a power cut, not only a crash of the program.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if migrate:
        apply_migrations(db)
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write: BEGIN IMMEDIATE takes the write lock first, so reads inside it are current."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


def migration_scripts() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with the package, in order: (number, name, sql)."""
    scripts = []
    for entry in resources.files("points.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            scripts.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of the last migration applied to this database."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def apply_migrations(db: sqlite_utils.Database) -> int:
    """Bring the schema up to date in place; each migration is one transaction."""
    for number, _name, sql in migration_scripts():
        if number <= schema_version(db):
            continue
        # executescript would commit on its own; run the statements inside our transaction.
        with transaction(db):
            if schema_version(db) >= number:  # another process got there first
                continue
            for statement in _split_sql(sql):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
    return schema_version(db)


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements; triggers hold semicolons inside BEGIN ... END."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement at end of migration: {current[:60]!r}")
    return statements
