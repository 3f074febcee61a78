"""Star levels (星级评定) from a quarter's points, and the star of the quarter (一季度之星).

Thresholds are the quarter's points a member needs for 1 to 5 stars. A quarter without its own
uses the latest earlier quarter's, else ``DEFAULT_THRESHOLDS``; they can change until the
quarter is posted, when they are stored with it and frozen.
"""

from __future__ import annotations

from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.members import normalise_number
from points.periods import check_quarter
from points.quarter_state import require_step
from points.requests import once
from points.validate import MAX_REASON, trimmed_text

DEFAULT_THRESHOLDS = (5, 10, 15, 20, 25)
MAX_THRESHOLD = 10_000
LEVELS = 5


def star_thresholds(db: Store, quarter: str) -> tuple[int, ...]:
    """The points for 1..5 stars in a quarter: its own, else the latest earlier, else default."""
    row = db.execute(
        "SELECT star1, star2, star3, star4, star5 FROM quarters"
        " WHERE quarter <= ? AND star1 IS NOT NULL ORDER BY quarter DESC LIMIT 1",
        [quarter],
    ).fetchone()
    return tuple(row) if row else DEFAULT_THRESHOLDS


def stars_for(points: int, thresholds: tuple[int, ...]) -> int:
    """How many stars ``points`` earn: one for every threshold reached (0 below the first)."""
    return sum(points >= threshold for threshold in thresholds)


def check_thresholds(values: object) -> tuple[int, ...]:
    """Five whole numbers from 1 to MAX_THRESHOLD, each above the one before."""
    if not isinstance(values, list | tuple) or len(values) != LEVELS:
        raise CornerError("invalid_request", field="stars")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CornerError("invalid_request", field="stars")
    if not 0 < values[0] or values[-1] > MAX_THRESHOLD:
        raise CornerError("invalid_request", field="stars")
    if any(later <= earlier for earlier, later in zip(values, values[1:], strict=False)):
        raise CornerError("invalid_request", field="stars")
    return tuple(values)


def set_star_thresholds(
    db: Store, *, quarter: object, thresholds: object, request_id: str, actor: str
) -> tuple[int, ...]:
    """Set a quarter's star thresholds; only while it is open or under review."""
    quarter = check_quarter(quarter)
    thresholds = check_thresholds(thresholds)

    def action(_request_id: str) -> dict:
        require_step(db, quarter, "open", "review")
        db.execute("INSERT OR IGNORE INTO quarters (quarter) VALUES (?)", [quarter])
        db.execute(
            "UPDATE quarters SET star1 = ?, star2 = ?, star3 = ?, star4 = ?, star5 = ?"
            " WHERE quarter = ?",
            [*thresholds, quarter],
        )
        return {"thresholds": list(thresholds)}

    once(
        db,
        request_id=request_id,
        kind="set_star_thresholds",
        params={"quarter": quarter, "thresholds": list(thresholds)},
        action=action,
        actor=actor,
        target=f"quarter:{quarter}",
        before=lambda: {"thresholds": list(star_thresholds(db, quarter))},
    )
    return thresholds


def choose_quarter_star(
    db: Store, *, quarter: object, number: str, reason: object, request_id: str, actor: str
) -> None:
    """Name a five-star member the star of the quarter (一季度之星), with a one-line reason.

    Only for a posted quarter (its stars are settled) that is not locked.
    """
    quarter = check_quarter(quarter)
    number = normalise_number(number)
    reason = trimmed_text(reason, "reason", max_length=MAX_REASON)

    def action(_request_id: str) -> dict:
        require_step(db, quarter, "posted")
        member = db.execute("SELECT id FROM members WHERE number = ?", [number]).fetchone()
        if member is None:
            raise CornerError("member_unknown", number=number)
        stars = db.execute(
            "SELECT stars FROM settlements WHERE quarter = ? AND member_id = ?",
            [quarter, member[0]],
        ).fetchone()
        if stars is None or stars[0] < LEVELS:
            raise CornerError("star_not_earned", number=number)
        db.execute(
            "INSERT INTO quarter_stars (quarter, member_id, reason, chosen_by, chosen)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (quarter, member_id)"
            " DO UPDATE SET reason = excluded.reason",
            [quarter, member[0], reason, actor, timestamp()],
        )
        return {"quarter": quarter, "number": number}

    once(
        db,
        request_id=request_id,
        kind="choose_quarter_star",
        params={"quarter": quarter, "number": number, "reason": reason},
        action=action,
        actor=actor,
        target=f"member:{number}",
    )


def quarter_stars(db: Store, quarter: str) -> dict[str, str]:
    """The stars of the quarter: member number -> reason."""
    rows = db.execute(
        "SELECT m.number, s.reason FROM quarter_stars s JOIN members m ON m.id = s.member_id"
        " WHERE s.quarter = ? ORDER BY m.number",
        [quarter],
    )
    return dict(rows.fetchall())


def stars_of_member(db: Store, number: str) -> dict[str, str]:
    """The quarters a member was named the star of, newest first: quarter -> reason."""
    rows = db.execute(
        "SELECT s.quarter, s.reason FROM quarter_stars s JOIN members m ON m.id = s.member_id"
        " WHERE m.number = ? ORDER BY s.quarter DESC",
        [normalise_number(number)],
    )
    return dict(rows.fetchall())
