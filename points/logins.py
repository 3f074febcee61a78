"""Logins held on the server: a row per staff login, the one thing a session cookie refers to.

A browser's cookie carries only a random token; the ``logins`` row (migration 009) holds its
SHA-256, the staff account, the kind of login, when it began and was last seen, and where from.
Every request looks the token up (one look-up on a unique index), so ending the row ends every
copy of the cookie at once: a logout, a new password (every other login of the account), a new
or cleared PIN (the account's PIN logins), a deactivation and an admin's "log out everywhere"
(all of them). A password login also ends after ``IDLE_SECONDS`` without a request and
``SESSION_SECONDS`` at most; a PIN login after ``PIN_IDLE_SECONDS`` without one.

Ended rows are deleted ``KEEP_ENDED_SECONDS`` after they ended, when someone logs in; the audit
trail keeps every login for good.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from points.audit import record
from points.clock import unix
from points.db import Store, transaction
from points.errors import CornerError

PASSWORD = "password"
PIN = "pin"
KINDS = (PASSWORD, PIN)

SESSION_SECONDS = 8 * 3600  # a password login lasts a working day at most
IDLE_SECONDS = 30 * 60  # and ends after half an hour without a page
PIN_IDLE_SECONDS = 24 * 3600  # a check-in page left open on a kiosk overnight is over
SEEN_EVERY = 60  # last_seen is written at most once a minute: a page is a read, not a write
KEEP_ENDED_SECONDS = 30 * 24 * 3600
MAX_USER_AGENT = 200
MAX_ADDRESS = 64

# why a login ended (the ended_reason column's values)
REASONS = (
    "logout",  # the browser logged out
    "ended",  # ended from the list of open logins
    "everywhere",  # "log out everywhere"
    "password",  # the account's password changed
    "pin",  # the account's PIN changed or was cleared (PIN logins)
    "deactivated",
    "role",
    "idle",
    "expired",
)


@dataclass(frozen=True)
class Limits:
    """How long a login of one kind lasts: at most ``lifetime``, ``idle`` without a request."""

    lifetime: float | None
    idle: float | None


DEFAULT_LIMITS = {
    PASSWORD: Limits(SESSION_SECONDS, IDLE_SECONDS),
    PIN: Limits(None, PIN_IDLE_SECONDS),
}


@dataclass(frozen=True)
class Login:
    """One open (or ended) login, as the "where am I logged in" list shows it."""

    id: int
    username: str
    kind: str
    created: float  # unix time
    last_seen: float
    address: str
    user_agent: str
    ended: float | None = None
    ended_reason: str | None = None


@dataclass(frozen=True)
class Found:
    """What a token opens: the account's name, or None (and whether it just timed out)."""

    username: str | None
    login_id: int | None = None
    timed_out: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_login(
    db: Store,
    *,
    username: str,
    kind: str,
    address: str | None,
    user_agent: str | None,
    limits: dict[str, Limits] | None = None,
) -> str:
    """Start a login of ``username`` and return its token (for the cookie, and nowhere else).

    Also ends the logins whose time ran out and deletes rows ended long ago.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of login {kind!r}")
    token = secrets.token_urlsafe(32)
    with transaction(db):
        now = unix()
        _sweep(db, now, limits or DEFAULT_LIMITS)
        staff_id = db.execute(
            "SELECT id FROM staff WHERE username = ? AND active = 1", [username]
        ).fetchone()
        if staff_id is None:
            raise CornerError("login_failed")
        db.execute(
            "INSERT INTO logins (token_hash, staff_id, kind, created, last_seen, address,"
            " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                token_hash(token),
                staff_id[0],
                kind,
                now,
                now,
                str(address or "")[:MAX_ADDRESS],
                str(user_agent or "")[:MAX_USER_AGENT],
            ],
        )
    return token


def _sweep(db: Store, now: float, limits: dict[str, Limits]) -> None:
    """End the logins whose time ran out; delete the rows that ended long ago. Inside a write."""
    for kind, limit in limits.items():
        if limit.lifetime:
            db.execute(
                "UPDATE logins SET ended = ?, ended_reason = 'expired'"
                " WHERE ended IS NULL AND kind = ? AND created < ?",
                [now, kind, now - limit.lifetime],
            )
        if limit.idle:
            db.execute(
                "UPDATE logins SET ended = ?, ended_reason = 'idle'"
                " WHERE ended IS NULL AND kind = ? AND last_seen < ?",
                [now, kind, now - limit.idle],
            )
    db.execute(
        "DELETE FROM logins WHERE ended IS NOT NULL AND ended < ?", [now - KEEP_ENDED_SECONDS]
    )


def check_login(db: Store, token: object, *, kind: str, limits: Limits | None = None) -> Found:
    """The account an open login of this kind belongs to, for a request that carries ``token``.

    One look-up by the token's hash. A login past its time is ended here (``timed_out``); an
    ended one, an unknown token or a deactivated account open nothing. The login's last_seen
    moves on at most once a minute, so most requests write nothing.
    """
    if not isinstance(token, str) or not token:
        return Found(None)
    row = db.execute(
        "SELECT logins.id, logins.created, logins.last_seen, logins.ended, staff.username,"
        " staff.active FROM logins JOIN staff ON staff.id = logins.staff_id"
        " WHERE logins.token_hash = ? AND logins.kind = ?",
        [token_hash(token), kind],
    ).fetchone()
    if row is None or row[3] is not None or not row[5]:
        return Found(None)
    login_id, created, last_seen, _ended, username, _active = row
    limit = limits or DEFAULT_LIMITS[kind]
    now = unix()
    reason = None
    if limit.lifetime is not None and now - created > limit.lifetime:
        reason = "expired"
    elif limit.idle is not None and now - last_seen > limit.idle:
        reason = "idle"
    if reason:
        with transaction(db):
            _end(db, "id = ?", [login_id], reason, now)
        return Found(None, timed_out=True)
    if now - last_seen >= SEEN_EVERY:
        with transaction(db):
            db.execute(
                "UPDATE logins SET last_seen = ? WHERE id = ? AND ended IS NULL", [now, login_id]
            )
    return Found(username, login_id)


def _end(db: Store, where: str, parameters: list, reason: str, now: float | None = None) -> int:
    """End the open logins that match ``where``; how many. Inside a write."""
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    return db.execute(
        f"UPDATE logins SET ended = ?, ended_reason = ? WHERE ended IS NULL AND {where}",
        [unix() if now is None else now, reason, *parameters],
    ).rowcount


def end_login(db: Store, token: object, *, reason: str = "logout") -> bool:
    """End the login this token opens (a logout); was one open?"""
    if not isinstance(token, str) or not token:
        return False
    with transaction(db):
        return bool(_end(db, "token_hash = ?", [token_hash(token)], reason))


def end_account_logins(
    db: Store,
    *,
    username: str,
    reason: str,
    kind: str | None = None,
    keep: str | None = None,
) -> int:
    """End an account's open logins (of one kind, or all), but the one of token ``keep``.

    For the core's own writes (a new password, a PIN, a deactivation): call inside the write of
    that change, so that no request sees the change and the old login both.
    """
    where = "staff_id = (SELECT id FROM staff WHERE username = ?)"
    parameters: list = [username]
    if kind is not None:
        where += " AND kind = ?"
        parameters.append(kind)
    if keep:
        where += " AND token_hash <> ?"
        parameters.append(token_hash(keep))
    return _end(db, where, parameters, reason)


def log_out_everywhere(db: Store, *, username: str, actor: str, keep: str | None = None) -> int:
    """End every open login of an account (an admin's button, or one's own but this one)."""
    with transaction(db):
        if db.execute("SELECT 1 FROM staff WHERE username = ?", [username]).fetchone() is None:
            raise CornerError("staff_unknown", username=username)
        ended = end_account_logins(db, username=username, reason="everywhere", keep=keep)
        record(
            db,
            actor=actor,
            action="end_logins",
            target=f"staff:{username}",
            after={"ended": ended},
        )
    return ended


def end_login_of(db: Store, *, username: str, login_id: int, actor: str) -> None:
    """End one open login of an account, from its list (``login_unknown`` if not open)."""
    with transaction(db):
        ended = _end(
            db,
            "id = ? AND staff_id = (SELECT id FROM staff WHERE username = ?)",
            [login_id, username],
            "ended",
        )
        if not ended:
            raise CornerError("login_unknown")
        record(
            db,
            actor=actor,
            action="end_login",
            target=f"staff:{username}",
            after={"login": login_id},
        )


def open_logins(
    db: Store, *, username: str, limits: dict[str, Limits] | None = None
) -> list[Login]:
    """The account's open logins whose time has not run out, the latest first."""
    limits = limits or DEFAULT_LIMITS
    now = unix()
    rows = db.execute(
        "SELECT logins.id, staff.username, kind, logins.created, last_seen, address, user_agent"
        " FROM logins JOIN staff ON staff.id = logins.staff_id"
        " WHERE staff.username = ? AND ended IS NULL ORDER BY last_seen DESC, logins.id DESC",
        [username],
    ).fetchall()
    found = []
    for row in rows:
        login = Login(*row)
        limit = limits[login.kind]
        if limit.lifetime is not None and now - login.created > limit.lifetime:
            continue
        if limit.idle is not None and now - login.last_seen > limit.idle:
            continue
        found.append(login)
    return found
