"""The one clock every time rule reads: local time, unix seconds, timestamps and quarters.

Session expiry, lock-outs, per-period limits, the quarter a ledger row counts in and every
``created`` column read the time through ``now()`` (or ``unix()``), which asks one settable
source. Tests freeze or move that source (``frozen``, ``set_clock``) instead of sleeping or
patching module attributes, so a module that did ``from points.clock import now`` sees the same
moved clock as every other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta


def system_now() -> datetime:
    """The machine's local time, with its UTC offset."""
    return datetime.now().astimezone()


_source: Callable[[], datetime] = system_now


def now() -> datetime:
    """The current local time, with its UTC offset, from the clock's source."""
    return _source()


def unix() -> float:
    """The current time as unix seconds, from the same source as ``now()``."""
    return now().timestamp()


def timestamp(moment: datetime | None = None) -> str:
    """An ISO-8601 local timestamp with offset, to the millisecond."""
    return (moment or now()).isoformat(timespec="milliseconds")


def quarter_of(moment: datetime | None = None) -> str:
    """The quarter a moment falls in, e.g. ``2026Q4``."""
    moment = moment or now()
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Read the time from ``source`` (returning an aware datetime); None: the system clock."""
    global _source
    _source = system_now if source is None else source


def _aware(moment: datetime) -> datetime:
    # a naive moment is a wall-clock time here; an aware one keeps the offset it was given
    return moment.astimezone() if moment.tzinfo is None else moment


class FrozenClock:
    """A clock that stands still until it is moved: ``advance(seconds)`` or ``set(moment)``."""

    def __init__(self, moment: datetime) -> None:
        self.moment = _aware(moment)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or back, with a negative number) and return the new time."""
        self.moment = self.moment + timedelta(seconds=seconds)
        return self.moment

    def set(self, moment: datetime) -> datetime:
        """Jump to a moment (naive: local wall-clock time)."""
        self.moment = _aware(moment)
        return self.moment


@contextmanager
def frozen(moment: datetime | None = None) -> Iterator[FrozenClock]:
    """Stop the clock at ``moment`` (default: now) for the block; the earlier source after it."""
    previous = _source
    clock = FrozenClock(now() if moment is None else moment)
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)
