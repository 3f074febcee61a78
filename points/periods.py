"""Quarter names and their calendar: ``2026Q3``, its first and last day, the one before it, and
a posting period counted in working days."""

from __future__ import annotations

import re
from datetime import date, timedelta

from points.clock import quarter_of
from points.errors import CornerError

QUARTER_PATTERN = r"[1-9][0-9]{3}Q[1-4]"  # year 0 has no calendar
_QUARTER = re.compile(QUARTER_PATTERN)


def check_quarter(value: object) -> str:
    """A quarter such as ``2026Q3``, not after the current one, or ``invalid_request``."""
    text = str(value or "").strip().upper()
    if not _QUARTER.fullmatch(text) or text > quarter_of():
        raise CornerError("invalid_request", field="quarter")
    return text


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and the last day of a quarter."""
    year, number = int(quarter[:4]), int(quarter[5])
    first = date(year, 3 * number - 2, 1)
    following = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return first, following - timedelta(days=1)


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def posting_period(start: date, working_days: int) -> tuple[date, date]:
    """From ``start``, the days that hold ``working_days`` working days (Monday to Friday).

    Public holidays are not known here: staff choose more days where a holiday falls inside.
    """
    end, counted = start, 0
    while True:
        if end.weekday() < 5:
            counted += 1
            if counted == working_days:
                return start, end
        end += timedelta(days=1)


def recent_quarters(count: int) -> list[str]:
    """The last ``count`` quarters up to the current one, oldest first."""
    names = [quarter_of()]
    while len(names) < count:
        names.insert(0, previous_quarter(names[0]))
    return names
