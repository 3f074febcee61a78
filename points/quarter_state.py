"""A quarter's step (open, review, posted, locked) and the rules that read it.

Every function here runs inside a write: the step is read under the write lock, so a quarter
cannot be locked between the check and the row that the check let through.
"""

from __future__ import annotations

from points.clock import quarter_of
from points.db import Store
from points.errors import CornerError
from points.periods import check_quarter


def quarter_status(db: Store, quarter: str) -> str:
    """The quarter's step; a quarter nobody touched yet is open."""
    row = db.execute("SELECT status FROM quarters WHERE quarter = ?", [quarter]).fetchone()
    return "open" if row is None else row[0]


def require_step(db: Store, quarter: str, *allowed: str) -> str:
    """The quarter's step when it is one of ``allowed``; else ``quarter_locked`` for a locked
    quarter and ``quarter_state`` for any other."""
    status = quarter_status(db, quarter)
    if status == "locked" and "locked" not in allowed:
        raise CornerError("quarter_locked", quarter=quarter)
    if status not in allowed:
        raise CornerError("quarter_state", quarter=quarter, status=status)
    return status


def writable_quarter(db: Store, quarter: str | None) -> str:
    """The quarter a points row goes into (default: the current one), unless it is locked."""
    quarter = quarter_of() if quarter is None else check_quarter(quarter)
    require_step(db, quarter, "open", "review", "posted")
    return quarter


def corrected_quarter(db: Store, corrects: str, *, into: str) -> str:
    """A late correction names a locked quarter before the one it goes into.

    A quarter that is not locked yet takes its correction itself (``quarter=``).
    """
    corrects = check_quarter(corrects)
    if corrects >= into:
        raise CornerError("invalid_request", field="corrects")
    require_step(db, corrects, "locked")
    return corrects
