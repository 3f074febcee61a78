"""Lock-out after failed attempts: one rule for password logins and for check-in PINs.

Failures are counted per (account, client address): after ``LOCK_AFTER`` failures in a row that
pair is locked for ``LOCK_SECONDS``, doubling with every further round up to
``MAX_LOCK_SECONDS``. Someone guessing from one address therefore locks only themselves out; the
real admin at another address still logs in. A slower count per account across every address
(``GLOBAL_LIMIT`` failures within ``GLOBAL_WINDOW`` seconds) locks the account for everyone, for
``LOCK_SECONDS`` doubling with every such lock, so that a guesser spread over many addresses is
slowed too. While locked even the right secret is refused.

For PINs, which name no account, the account is the device a PIN is typed on (a kiosk) and the
slower count is over every device: a PIN guesser cannot spread over kiosks either.

The check and the count are one write, so two guesses at the same moment are both counted, and
the refusal is raised after the commit, so a counted failure stays counted. Times are unix
seconds from ``points.clock``.
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
GLOBAL_LIMIT = 50  # failures across every address ...
GLOBAL_WINDOW = 3600  # ... within an hour lock the account for everyone
EVERYWHERE = "*"  # the address (and for PINs the account) of the slower count
MAX_ADDRESS = 64  # an IPv6 address with a zone fits

T = TypeVar("T")


@dataclass(frozen=True)
class Guard:
    """One kind of attempt: where it counts (the throttle table's scope) and its codes."""

    scope: str  # throttle.scope: migration 009
    failed_code: str
    locked_code: str
    # the slower count's key: the account itself (logins), or every device at once (PINs)
    global_per_account: bool


# failures per user name (known or not, so a lock-out says nothing about which names exist)
LOGINS = Guard("login", "login_failed", "login_locked", global_per_account=True)
# failures per device: a PIN names no account, so the kiosk it is typed on is what gets locked
PINS = Guard("pin", "pin_wrong", "pin_locked", global_per_account=False)


def lock_seconds(failures: int) -> int:
    """How long an (account, address) stays locked after this many failures in a row (0: not)."""
    if failures < LOCK_AFTER or failures % LOCK_AFTER:
        return 0
    return min(LOCK_SECONDS * 2 ** (failures // LOCK_AFTER - 1), MAX_LOCK_SECONDS)


def global_lock_seconds(locks: int) -> int:
    """How long the slower count's ``locks``-th lock lasts (doubling, a day at most)."""
    return min(LOCK_SECONDS * 2 ** (locks - 1), MAX_LOCK_SECONDS)


def _address(address: str | None) -> str:
    text = str(address or "?")[:MAX_ADDRESS]
    return "?" if text == EVERYWHERE else text


Counts = tuple[int, int, float | None, float | None]  # failures, locks, window_start, locked_until


def _read(db: Store, scope: str, account: str, address: str) -> Counts:
    row = db.execute(
        "SELECT failures, locks, window_start, locked_until FROM throttle"
        " WHERE scope = ? AND account = ? AND address = ?",
        [scope, account, address],
    ).fetchone()
    return tuple(row) if row else (0, 0, None, None)


def _write(db: Store, scope: str, account: str, address: str, values: Counts) -> None:
    db.execute(
        "INSERT INTO throttle (scope, account, address, failures, locks, window_start,"
        " locked_until) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, account, address)"
        " DO UPDATE SET failures = excluded.failures, locks = excluded.locks,"
        " window_start = excluded.window_start, locked_until = excluded.locked_until",
        [scope, account, address, *values],
    )


def _count_globally(values: Counts, now: float) -> tuple[Counts, int]:
    """The slower count after one more failure at ``now``: (new values, seconds locked or 0)."""
    failures, locks, window_start, locked_until = values
    if window_start is None or now - window_start >= GLOBAL_WINDOW:
        failures, window_start = 0, now
        if locked_until is None or now - locked_until >= GLOBAL_WINDOW:
            locks = 0  # a quiet hour after the last lock forgives the earlier ones
    failures += 1
    if failures < GLOBAL_LIMIT:
        return (failures, locks, window_start, locked_until), 0
    locks += 1
    pause = global_lock_seconds(locks)
    return (0, locks, now, now + pause), pause


def attempt(
    db: Store, *, guard: Guard, key: str, address: str | None, check: Callable[[], T | None]
) -> T:
    """Run ``check()`` in one write unless (``key``, ``address``) or ``key`` is locked.

    ``check`` returns what the attempt opened (it may write, e.g. the audit row) or None, a
    counted failure. A success forgets the failures of its (key, address); a failure raises
    ``guard.failed_code``, or ``guard.locked_code`` with the seconds to wait when it locks.
    """
    address = _address(address)
    overall_key = key if guard.global_per_account else EVERYWHERE
    with transaction(db):
        now = unix()  # read inside the write, after any wait for the lock
        local = _read(db, guard.scope, key, address)
        overall = _read(db, guard.scope, overall_key, EVERYWHERE)
        waits = [until - now for until in (local[3], overall[3]) if until and until > now]
        if waits:
            refusal = CornerError(guard.locked_code, seconds=int(max(waits)) + 1)
        else:
            opened = check()
            if opened is not None:
                db.execute(
                    "DELETE FROM throttle WHERE scope = ? AND account = ? AND address = ?",
                    [guard.scope, key, address],
                )
                return opened
            failures = local[0] + 1
            pause = lock_seconds(failures)
            _write(
                db, guard.scope, key, address, (failures, 0, None, now + pause if pause else None)
            )
            overall, overall_pause = _count_globally(overall, now)
            _write(db, guard.scope, overall_key, EVERYWHERE, overall)
            pause = max(pause, overall_pause)
            refusal = CornerError(guard.locked_code, seconds=pause) if pause else None
            refusal = refusal or CornerError(guard.failed_code)
    # raised after the commit: the counted failure must stay counted
    raise refusal


def clear_failures(db: Store, *, guard: Guard, key: str) -> None:
    """Forget every count of ``key`` at every address, and the slower one; inside a write.

    For PINs (which name no account) ``key`` is ignored: every device's counts are forgotten.
    """
    if guard.global_per_account:
        db.execute("DELETE FROM throttle WHERE scope = ? AND account = ?", [guard.scope, key])
    else:
        db.execute("DELETE FROM throttle WHERE scope = ?", [guard.scope])
