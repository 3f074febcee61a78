"""From scanned text to a kiosk session: the one path every card kind goes through."""

from __future__ import annotations

import sqlite_utils

from cards.token import CardSecret, read_token
from points.errors import CornerError
from points.members import card_by_serial
from points.sessions import DEFAULT_TTL_SECONDS, Session, open_session


def scan(
    db: sqlite_utils.Database,
    secret: CardSecret,
    credential: object,
    *,
    corner_id: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> Session:
    """Open a session for whoever holds the scanned card, or refuse with the card's code."""
    qr = read_token(secret, credential)
    card = card_by_serial(db, qr.serial)
    if card is None or card.kind != "qr":
        raise CornerError("card_unknown")
    if card.member_number != qr.member_number:
        # a correctly signed token always names its card's member; this one was not made here
        raise CornerError("card_invalid", reason="member")
    return open_session(db, card_id=card.id, corner_id=corner_id, ttl_seconds=ttl_seconds)
