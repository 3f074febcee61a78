"""Checks of plain values that arrive from outside (JSON, the command line)."""

from __future__ import annotations

from points.errors import CornerError

SQLITE_MAX_INT = 2**63 - 1


def positive_int(value: object, field: str, *, limit: int = SQLITE_MAX_INT) -> int:
    """A whole number from 1 to ``limit``, or ``invalid_request`` naming the field.

    bool is an int in Python: a JSON ``true`` must not buy one pair of slippers. The default limit
    keeps ids inside SQLite's 64-bit integers, where a larger one would raise OverflowError.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise CornerError("invalid_request", field=field)
    return value
