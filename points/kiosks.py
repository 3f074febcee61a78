"""Kiosks: named machines at a corner whose reader agents forward card taps with a token."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from points.audit import record
from points.clock import timestamp
from points.db import Store, transaction
from points.errors import CornerError

MAX_KIOSK_NAME = 40
KIOSK_NAME_PATTERN = rf"[a-z0-9][a-z0-9-]{{0,{MAX_KIOSK_NAME - 1}}}"
MAX_KIOSK_TOKEN = 200  # longer than any token add_kiosk makes; a longer one is not hashed
_NAME = re.compile(KIOSK_NAME_PATTERN)


@dataclass(frozen=True)
class Kiosk:
    name: str
    corner_id: int
    revoked: bool = False


def token_digest(token: str) -> str:
    """The digest a token is stored as (the token itself is shown once, never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_kiosk_name(name: object) -> str:
    """Kiosk names are 1-40 lower-case letters, digits and dashes (``corner-2``)."""
    text = str(name or "").strip().lower()
    if not _NAME.fullmatch(text):
        raise CornerError("invalid_request", field="kiosk")
    return text


def add_kiosk(
    db: Store, *, name: str, corner_id: int = 1, actor: str | None = None
) -> tuple[Kiosk, str]:
    """Register a kiosk and make its token; the token is shown once and stored only as a digest.

    No request id: the name is the natural key, and a repeat is refused as ``kiosk_exists``
    (remembering the outcome would mean storing the token itself).
    """
    name = normalise_kiosk_name(name)
    token = secrets.token_urlsafe(24)
    with transaction(db):
        if db.execute("SELECT 1 FROM kiosks WHERE name = ?", [name]).fetchone():
            raise CornerError("kiosk_exists", kiosk=name)
        if not db.execute("SELECT 1 FROM corners WHERE id = ?", [corner_id]).fetchone():
            raise CornerError("corner_unknown", corner=corner_id)
        db.execute(
            "INSERT INTO kiosks (name, corner_id, token_digest, created) VALUES (?, ?, ?, ?)",
            [name, corner_id, token_digest(token), timestamp()],
        )
        if actor is not None:
            after = {"name": name, "corner": corner_id}
            record(db, actor=actor, action="add_kiosk", target=f"kiosk:{name}", after=after)
    return Kiosk(name, corner_id), token


def revoke_kiosk(db: Store, *, name: str, actor: str | None = None) -> Kiosk:
    """Stop a kiosk's token from working (a stolen kiosk machine); revoking twice is harmless."""
    name = normalise_kiosk_name(name)
    with transaction(db):
        row = db.execute("SELECT corner_id FROM kiosks WHERE name = ?", [name]).fetchone()
        if row is None:
            raise CornerError("kiosk_unknown", kiosk=name)
        db.execute(
            "UPDATE kiosks SET revoked = coalesce(revoked, ?) WHERE name = ?", [timestamp(), name]
        )
        if actor is not None:
            record(db, actor=actor, action="revoke_kiosk", target=f"kiosk:{name}")
    return Kiosk(name, row[0], revoked=True)


def list_kiosks(db: Store) -> list[Kiosk]:
    """Every kiosk, by name."""
    rows = db.execute("SELECT name, corner_id, revoked IS NOT NULL FROM kiosks ORDER BY name")
    return [Kiosk(name, corner, bool(revoked)) for name, corner, revoked in rows]


def authenticate_kiosk(db: Store, *, name: object, token: object) -> Kiosk:
    """The kiosk whose current token this is, or ``kiosk_unauthorized`` (never says which part)."""
    try:
        name = normalise_kiosk_name(name)
    except CornerError:
        raise CornerError("kiosk_unauthorized") from None
    row = db.execute(
        "SELECT corner_id, token_digest, revoked FROM kiosks WHERE name = ?", [name]
    ).fetchone()
    given = token_digest(token) if isinstance(token, str) and len(token) < MAX_KIOSK_TOKEN else ""
    if row is None or row[2] is not None or not hmac.compare_digest(row[1], given):
        raise CornerError("kiosk_unauthorized")
    return Kiosk(name, row[0])


def find_kiosk(db: Store, name: str) -> Kiosk | None:
    """The kiosk of this name, revoked or not, or None."""
    row = db.execute(
        "SELECT corner_id, revoked IS NOT NULL FROM kiosks WHERE name = ?", [name]
    ).fetchone()
    return None if row is None else Kiosk(name, row[0], bool(row[1]))
