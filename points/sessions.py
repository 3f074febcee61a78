"""Kiosk sessions: opened by a valid card, short-lived, and the only way to spend points.

A session is a signed token: ``<card>.<corner>.<expires>.<nonce>.<signature>``, HMAC-SHA256 with
a key made when the database was created (table ``instance_keys``). Opening one writes nothing,
so a scan costs a read, not a transaction with an fsync. Spending re-checks the card and the
member inside the spending transaction, and a session ended early is listed in
``ended_sessions`` until it would have expired anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from points.clock import unix
from points.db import Store, transaction
from points.errors import CornerError
from points.limits import allowances

DEFAULT_TTL_SECONDS = 300
MAX_TOKEN_LENGTH = 120


@dataclass(frozen=True)
class Session:
    token: str
    member_number: str
    member_name: str
    balance: int
    expires_in: int
    # goods with a per-member limit: how many more this member may have this period
    allowances: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveSession:
    member_id: int
    member_number: str
    member_name: str
    card_id: int
    corner_id: int


def _session_key(db: Store) -> bytes:
    key = db.memo.get("session_key")
    if key is None:
        key = db.execute("SELECT key FROM instance_keys WHERE name = 'session'").fetchone()[0]
        db.memo["session_key"] = key  # read once per connection
    return key


def _sign(db: Store, body: str) -> str:
    mac = hmac.new(_session_key(db), body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(mac).decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    db: Store,
    *,
    card_id: int,
    corner_id: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> Session:
    """Open a session for the holder of a card, if the card and its member are in good standing."""
    row = db.execute(
        "SELECT c.status, m.number, m.name, m.status, m.balance, m.id FROM cards c"
        " JOIN members m ON m.id = c.member_id WHERE c.id = ?",
        [card_id],
    ).fetchone()
    if row is None:
        raise CornerError("card_unknown")
    card_status, number, name, member_status, balance, member_id = row
    if card_status != "active":
        raise CornerError("card_revoked", status=card_status)
    if member_status != "active":
        raise CornerError("member_inactive", number=number)
    if not db.execute("SELECT 1 FROM corners WHERE id = ?", [corner_id]).fetchone():
        raise CornerError("corner_unknown", corner=corner_id)
    body = f"{card_id}.{corner_id}.{int(unix()) + ttl_seconds}.{secrets.token_hex(6)}"
    return Session(
        f"{body}.{_sign(db, body)}",
        number,
        name,
        balance,
        ttl_seconds,
        allowances(db, member_id=member_id),
    )


def end_session(db: Store, *, token: object) -> None:
    """End a session (the member walked away or tapped Finish); an unknown or expired token is
    ignored, anything not shaped like a token is ``invalid_request``."""
    if _shape(token) is None:
        raise CornerError("invalid_request", field="session")
    parsed = _parse(db, token)
    if parsed is None:
        return
    with transaction(db):
        db.execute("DELETE FROM ended_sessions WHERE expires < ?", [unix()])
        db.execute(
            "INSERT OR IGNORE INTO ended_sessions (token_digest, expires) VALUES (?, ?)",
            [_digest(token), parsed[2]],
        )


def _shape(token: object) -> tuple[str, list[str], str] | None:
    """(body, its parts, signature) of text shaped like a session token, else None."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    body, _, signature = token.rpartition(".")
    parts = body.split(".")
    if len(parts) != 4 or not all(part.isdigit() for part in parts[:3]):
        return None
    return body, parts, signature


def _parse(db: Store, token: object) -> tuple[int, int, int] | None:
    """(card id, corner id, expires) of a well-signed token, else None."""
    shaped = _shape(token)
    if shaped is None:
        return None
    body, parts, signature = shaped
    if not hmac.compare_digest(signature, _sign(db, body)):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def live_session(db: Store, token: object) -> LiveSession:
    """The live session's member, card and corner, if its card still holds; inside a write.

    Checked at the moment of spending: a card revoked or a member deactivated after the scan
    stops the session too.
    """
    parsed = _parse(db, token)
    if parsed is None or parsed[2] < unix():
        raise CornerError("session_expired")
    card_id, corner_id, _expires = parsed
    if db.execute(
        "SELECT 1 FROM ended_sessions WHERE token_digest = ?", [_digest(token)]
    ).fetchone():
        raise CornerError("session_expired")
    row = db.execute(
        "SELECT c.member_id, c.status, m.status, m.number, m.name FROM cards c"
        " JOIN members m ON m.id = c.member_id WHERE c.id = ?",
        [card_id],
    ).fetchone()
    if row is None:
        raise CornerError("session_expired")
    if row[1] != "active":
        raise CornerError("card_revoked", status=row[1])
    if row[2] != "active":
        raise CornerError("member_inactive")
    return LiveSession(row[0], row[3], row[4], card_id, corner_id)
