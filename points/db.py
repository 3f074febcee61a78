"""Opening the database, migrations and the one way to write: ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from points.chain import seal_existing_rows

BUSY_TIMEOUT_MS = 30_000

# Steps that SQL cannot do, run right after a migration's script in the same transaction:
# SQLite has no SHA-256, so the chain over the rows already in the ledgers is computed here.
AFTER_MIGRATION = {8: seal_existing_rows}

# One lock per database file for the writers of this process. SQLite serialises writers anyway;
# without this lock, threads waiting for BEGIN IMMEDIATE sleep in SQLite's busy handler
# (1, 2, 5 ... 100 ms at a time) and a burst of taps waits for the sleeps, not for the work.
# Writers in other processes still meet the busy timeout.
_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(conn: sqlite3.Connection) -> threading.Lock:
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    with _write_locks_guard:
        return _write_locks.setdefault(path, threading.Lock())


class Store:
    """One connection to the corner's SQLite file, with this process's write lock for the file.

    The project's own small wrapper: the core needs ``execute`` and one way to write
    (``transaction``), nothing more. ``memo`` keeps values read once per connection (the session
    key), so nothing is attached to objects that are not ours.
    """

    def __init__(self, conn: sqlite3.Connection, write_lock: threading.Lock) -> None:
        self.conn = conn
        self.write_lock = write_lock
        self.memo: dict[str, object] = {}

    def execute(self, sql: str, parameters: Sequence | dict = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence | dict]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def close(self) -> None:
        self.conn.close()


def connect(path: str | Path, *, migrate: bool = True) -> Store:
    """Open the corner's SQLite file with WAL, foreign keys and a busy timeout."""
    # isolation_level=None: the sqlite3 module never opens transactions behind our back; every
    # write goes through transaction(), which says BEGIN IMMEDIATE itself.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a committed redemption survives a power cut, not only a crash of the program.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = Store(conn, _write_lock(conn))
    if migrate:
        apply_migrations(db)
    return db


@contextmanager
def transaction(db: Store) -> Iterator[Store]:
    """One write: BEGIN IMMEDIATE takes the write lock first, so reads inside it are current."""
    with db.write_lock:
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


def schema_version(db: Store) -> int:
    """The number of the last migration applied to this database."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def apply_migrations(db: Store, *, upto: int | None = None) -> int:
    """Bring the schema up to date in place; each migration is one transaction.

    ``upto``: stop after this migration (tests build a database of an earlier release).
    """
    for number, _name, sql in migration_scripts():
        if number <= schema_version(db) or (upto is not None and number > upto):
            continue
        # executescript would commit on its own; run the statements inside our transaction.
        with transaction(db):
            if schema_version(db) >= number:  # another process got there first
                continue
            for statement in _split_sql(sql):
                db.execute(statement)
            if number in AFTER_MIGRATION:
                AFTER_MIGRATION[number](db)
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
