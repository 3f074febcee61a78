"""Board screens: a TV's browser shows the public board with a token, as a kiosk does.

``corner boards add NAME`` makes the token (shown once, stored as a digest); the TV opens
``/board?board=NAME&key=TOKEN`` once and is bound from then on, until the board is revoked.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from points.audit import record
from points.clock import timestamp
from points.db import Store, transaction
from points.errors import CornerError
from points.kiosks import normalise_kiosk_name, token_digest


@dataclass(frozen=True)
class BoardScreen:
    name: str
    revoked: bool = False


def add_board(db: Store, *, name: str, actor: str | None = None) -> tuple[BoardScreen, str]:
    """Register a board screen and make its token (shown once; only its digest is kept)."""
    name = normalise_kiosk_name(name)
    token = secrets.token_urlsafe(24)
    with transaction(db):
        if db.execute("SELECT 1 FROM boards WHERE name = ?", [name]).fetchone():
            raise CornerError("kiosk_exists", kiosk=name)
        db.execute(
            "INSERT INTO boards (name, token_digest, created) VALUES (?, ?, ?)",
            [name, token_digest(token), timestamp()],
        )
        if actor is not None:
            record(db, actor=actor, action="add_board", target=f"board:{name}")
    return BoardScreen(name), token


def revoke_board(db: Store, *, name: str, actor: str | None = None) -> BoardScreen:
    """Stop a board screen's token from working; revoking twice is harmless."""
    name = normalise_kiosk_name(name)
    with transaction(db):
        if not db.execute("SELECT 1 FROM boards WHERE name = ?", [name]).fetchone():
            raise CornerError("kiosk_unknown", kiosk=name)
        db.execute(
            "UPDATE boards SET revoked = coalesce(revoked, ?) WHERE name = ?", [timestamp(), name]
        )
        if actor is not None:
            record(db, actor=actor, action="revoke_board", target=f"board:{name}")
    return BoardScreen(name, revoked=True)


def list_boards(db: Store) -> list[BoardScreen]:
    rows = db.execute("SELECT name, revoked IS NOT NULL FROM boards ORDER BY name")
    return [BoardScreen(name, bool(revoked)) for name, revoked in rows]


def authenticate_board(db: Store, *, name: object, token: object) -> BoardScreen:
    """The board screen whose current token this is, or ``kiosk_unauthorized``."""
    try:
        name = normalise_kiosk_name(name)
    except CornerError:
        raise CornerError("kiosk_unauthorized") from None
    row = db.execute("SELECT token_digest, revoked FROM boards WHERE name = ?", [name]).fetchone()
    given = token_digest(token) if isinstance(token, str) and len(token) < 200 else ""
    if row is None or row[1] is not None or not hmac.compare_digest(row[0], given):
        raise CornerError("kiosk_unauthorized")
    return BoardScreen(name)


def board_is_active(db: Store, name: str) -> bool:
    row = db.execute("SELECT revoked IS NULL FROM boards WHERE name = ?", [name]).fetchone()
    return bool(row and row[0])
