"""Exchange corners: one by default; a server may hold the stock of several."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Corner:
    id: int
    name: str


def list_corners(db: sqlite_utils.Database) -> list[Corner]:
    """Every corner, by id."""
    return [Corner(*row) for row in db.execute("SELECT id, name FROM corners ORDER BY id")]
