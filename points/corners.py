"""Exchange corners: one by default (``DEFAULT_CORNER``); a server may hold the stock of several."""

from __future__ import annotations

from dataclasses import dataclass

from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.validate import trimmed_text

DEFAULT_CORNER = 1  # made by migration 001; a one-corner server never names another
MAX_CORNER_NAME = 40


@dataclass(frozen=True)
class Corner:
    id: int
    name: str


def list_corners(db: Store) -> list[Corner]:
    """Every corner, by id."""
    return [Corner(*row) for row in db.execute("SELECT id, name FROM corners ORDER BY id")]


def check_corner(db: Store, corner_id: int) -> None:
    """Refuse an unknown corner with ``corner_unknown``."""
    if not db.execute("SELECT 1 FROM corners WHERE id = ?", [corner_id]).fetchone():
        raise CornerError("corner_unknown", corner=corner_id)


def corner_name(name: object) -> str:
    """A corner's name: 1 to MAX_CORNER_NAME characters once trimmed."""
    return trimmed_text(name, "name", max_length=MAX_CORNER_NAME)


def add_corner(db: Store, *, name: str, request_id: str, actor: str) -> Corner:
    """Set up another exchange corner; its goods are the catalogue's, its stock starts at none."""
    name = corner_name(name)

    def action(_request_id: str) -> dict:
        if db.execute("SELECT 1 FROM corners WHERE name = ?", [name]).fetchone():
            raise CornerError("corner_exists", name=name)
        corner_id = db.execute("INSERT INTO corners (name) VALUES (?)", [name]).lastrowid
        return {"id": corner_id, "name": name}

    return Corner(
        **once(
            db,
            request_id=request_id,
            kind="add_corner",
            params={"name": name},
            action=action,
            actor=actor,
            target=lambda outcome: f"corner:{outcome['id']}",
        )
    )
