"""The database handle of a request: one connection per server thread."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from points.db import Store, connect


class Connections:
    """One database connection per server thread, kept for the thread's life.

    Opening a connection per request cost as much as a redemption's own work, and closing the
    last one checkpoints and deletes the WAL file each time. Every write still runs in its own
    BEGIN IMMEDIATE transaction, so nothing carries over from one request to the next.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[Store] = []
        self._guard = threading.Lock()

    def get(self) -> Store:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, migrate=False)
            with self._guard:
                self._opened.append(db)
        return db

    def close_all(self) -> None:
        """Close every thread's connection (tests, shutdown)."""
        with self._guard:
            for db in self._opened:
                db.close()
            self._opened.clear()
        self._local = threading.local()


def get_db() -> Store:
    """This thread's database connection, opened on first use."""
    return current_app.extensions["corner_connections"].get()
