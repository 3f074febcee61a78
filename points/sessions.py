"""Kiosk sessions: opened by a valid card, short-lived, and the only way to spend points."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import sqlite_utils

from points.clock import timestamp
from points.db import transaction
from points.errors import CornerError

DEFAULT_TTL_SECONDS = 300
# ended and expired sessions are kept this long (for support questions), then dropped
_KEEP_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Session:
    token: str
    member_number: str
    member_name: str
    balance: int
    expires_in: int


def open_session(
    db: sqlite_utils.Database,
    *,
    card_id: int,
    corner_id: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> Session:
    """Open a session for the holder of a card, if the card and its member are in good standing."""
    with transaction(db):
        row = db.execute(
            "SELECT c.status, m.id, m.number, m.name, m.status, m.balance FROM cards c"
            " JOIN members m ON m.id = c.member_id WHERE c.id = ?",
            [card_id],
        ).fetchone()
        if row is None:
            raise CornerError("card_unknown")
        card_status, member_id, number, name, member_status, balance = row
        if card_status != "active":
            raise CornerError("card_revoked", status=card_status)
        if member_status != "active":
            raise CornerError("member_inactive", number=number)
        if not db.execute("SELECT 1 FROM corners WHERE id = ?", [corner_id]).fetchone():
            raise CornerError("corner_unknown", corner=corner_id)
        token = secrets.token_urlsafe(24)
        now = time.time()
        db.execute("DELETE FROM kiosk_sessions WHERE expires < ?", [now - _KEEP_SECONDS])
        db.execute(
            "INSERT INTO kiosk_sessions (token, member_id, card_id, corner_id, created, expires)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [token, member_id, card_id, corner_id, timestamp(), now + ttl_seconds],
        )
    return Session(token, number, name, balance, ttl_seconds)


def end_session(db: sqlite_utils.Database, *, token: str) -> None:
    """End a session (the member walked away or logged out); unknown tokens are ignored."""
    with transaction(db):
        db.execute("UPDATE kiosk_sessions SET ended = 1 WHERE token = ?", [str(token)])


def live_session(db: sqlite_utils.Database, token: object) -> tuple[int, int, int]:
    """(member id, card id, corner id) of a live session whose card still holds; inside a write.

    Checked at the moment of spending: a card revoked or a member deactivated after the scan
    stops the session too.
    """
    if not isinstance(token, str) or not 0 < len(token) <= 100:
        raise CornerError("session_expired")
    row = db.execute(
        "SELECT s.member_id, s.card_id, s.corner_id, s.expires, s.ended, c.status, m.status"
        " FROM kiosk_sessions s JOIN cards c ON c.id = s.card_id"
        " JOIN members m ON m.id = s.member_id WHERE s.token = ?",
        [token],
    ).fetchone()
    if row is None or row[4] or row[3] < time.time():
        raise CornerError("session_expired")
    if row[5] != "active":
        raise CornerError("card_revoked", status=row[5])
    if row[6] != "active":
        raise CornerError("member_inactive")
    return row[0], row[1], row[2]
