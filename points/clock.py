"""Local time as the corner sees it: timestamps and the quarter (2026Q4) a ledger row counts in."""

from __future__ import annotations

from datetime import datetime


def now() -> datetime:
    """The current local time, with its UTC offset."""
    return datetime.now().astimezone()


def timestamp(moment: datetime | None = None) -> str:
    """An ISO-8601 local timestamp with offset, to the millisecond."""
    return (moment or now()).isoformat(timespec="milliseconds")


def quarter_of(moment: datetime | None = None) -> str:
    """The quarter a moment falls in, e.g. ``2026Q4``."""
    moment = moment or now()
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"
