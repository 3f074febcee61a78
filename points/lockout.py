"""Lock-out after failed attempts: one rule for password logins and for check-in PINs.

After ``LOCK_AFTER`` failures in a row a key (a user name, a device) is locked for
``LOCK_SECONDS``, doubling with every further round of failures up to ``MAX_LOCK_SECONDS``;
while locked even the right secret is refused. The check and the count are one write, so two
guesses at the same moment are both counted, and the refusal is raised after the commit, so a
counted failure stays counted. Times are unix seconds from ``points.clock``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from points.clock import unix
from points.db import Store, transaction
from points.errors import CornerError

LOCK_AFTER = 5
LOCK_SECONDS = 300
MAX_LOCK_SECONDS = 24 * 3600

T = TypeVar("T")


@dataclass(frozen=True)
class Guard:
    """Where one kind of attempt counts its failures, and the codes it answers with."""

    table: str  # (key PRIMARY KEY, failures, locked_until REAL): migrations 003 and 006
    key_column: str
    failed_code: str
    locked_code: str


# failures per user name (known or not, so a lock-out says nothing about which names exist)
LOGINS = Guard("login_failures", "username", "login_failed", "login_locked")
# failures per device: a PIN names no account, so the kiosk it is typed on is what gets locked
PINS = Guard("pin_failures", "device", "pin_wrong", "pin_locked")


def lock_seconds(failures: int) -> int:
    """How long a key stays locked after this many failures in a row (0: not locked)."""
    if failures < LOCK_AFTER or failures % LOCK_AFTER:
        return 0
    return min(LOCK_SECONDS * 2 ** (failures // LOCK_AFTER - 1), MAX_LOCK_SECONDS)


def attempt(db: Store, *, guard: Guard, key: str, check: Callable[[], T | None]) -> T:
    """Run ``check()`` in one write unless ``key`` is locked; its None is a counted failure.

    ``check`` returns what the attempt opened (it may write, e.g. the audit row) or None. A
    success forgets the key's failures; a failure raises ``guard.failed_code``, or
    ``guard.locked_code`` with the seconds to wait when this failure locks the key.
    """
    # table and column names come from the two Guards above, never from a caller's input
    table, column = guard.table, guard.key_column
    with transaction(db):
        now = unix()  # read inside the write, after any wait for the lock
        row = db.execute(
            f"SELECT failures, locked_until FROM {table} WHERE {column} = ?", [key]
        ).fetchone()
        failures, locked_until = row if row else (0, None)
        if locked_until is not None and locked_until > now:
            refusal = CornerError(guard.locked_code, seconds=int(locked_until - now) + 1)
        else:
            opened = check()
            if opened is not None:
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", [key])
                return opened
            failures += 1
            pause = lock_seconds(failures)
            db.execute(
                f"INSERT INTO {table} ({column}, failures, locked_until) VALUES (?, ?, ?)"
                f" ON CONFLICT ({column}) DO UPDATE SET failures = excluded.failures,"
                " locked_until = excluded.locked_until",
                [key, failures, now + pause if pause else None],
            )
            refusal = CornerError(guard.failed_code)
            if pause:
                refusal = CornerError(guard.locked_code, seconds=pause)
    # raised after the commit: the counted failure must stay counted
    raise refusal


def clear_failures(db: Store, *, guard: Guard, key: str) -> None:
    """Forget a key's failures and lift its lock (a new password); inside a write."""
    db.execute(f"DELETE FROM {guard.table} WHERE {guard.key_column} = ?", [key])
