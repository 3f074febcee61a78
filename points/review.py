"""The review of a quarter (核实): its points rows with their operator, and what needs a look.

Read only: a fix is a new row (``award_points`` or ``deduct_points`` naming the quarter), never
an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.db import Store
from points.periods import check_quarter, quarter_bounds


@dataclass(frozen=True)
class ReviewLine:
    entry_id: int
    created: str
    member_number: str
    member_name: str
    branch_id: int | None
    kind: str
    delta: int
    reason: str | None
    activity_title: str | None
    category: str | None
    actor: str
    corrects: str | None  # a late correction: the locked quarter it is for


@dataclass(frozen=True)
class Review:
    quarter: str
    lines: list[ReviewLine]  # awards, deductions and reversals, oldest first
    pending: int  # check-in awards of the quarter's activities still waiting for approval
    twice: list[tuple[str, str, str]]  # (member number, day, category) awarded twice
    uncategorised: list[int]  # ids of deductions whose reason is no deduction category
    idle: list[tuple[str, str]]  # (number, name) of active members with no award or deduction


def review_quarter(
    db: Store, quarter: str, *, branch_id: int | None = None, organiser: str | None = None
) -> Review:
    """Everything the review needs, for one branch or for all; with ``organiser``, only the
    awards and deductions of the activities that organiser created (their own to check)."""
    quarter = check_quarter(quarter)
    first, last = quarter_bounds(quarter)
    where = "AND m.branch_id = :branch" if branch_id is not None else ""
    own = "AND a.created_by = :organiser" if organiser is not None else ""
    params = {"q": quarter, "branch": branch_id, "organiser": organiser}
    rows = db.execute(
        "SELECT e.id, e.created, m.number, m.name, m.branch_id, e.kind, e.delta, e.reason,"
        " a.title, c.name, e.actor, e.corrects"
        " FROM points_entries e JOIN members m ON m.id = e.member_id"
        " LEFT JOIN activities a ON a.id = e.activity_id"
        " LEFT JOIN activity_categories c ON c.id = a.category_id"
        f" WHERE e.quarter = :q AND e.kind IN ('award', 'deduction', 'reversal') {where} {own}"
        " ORDER BY e.id",
        params,
    ).fetchall()
    lines = [ReviewLine(*row) for row in rows]
    pending = db.execute(
        "SELECT count(*) FROM checkins k JOIN activities a ON a.id = k.activity_id"
        " JOIN members m ON m.id = k.member_id"
        f" WHERE k.status = 'pending' AND a.starts BETWEEN :first AND :last {where} {own}",
        {**params, "first": first.isoformat(), "last": last.isoformat() + "T99"},
    ).fetchone()[0]
    seen: dict[tuple[str, str, str], int] = {}
    for line in lines:
        if line.kind == "award" and line.category:
            key = (line.member_number, line.created[:10], line.category)
            seen[key] = seen.get(key, 0) + 1
    twice = sorted(key for key, count in seen.items() if count > 1)
    categories = {
        row[0]
        for row in db.execute("SELECT name FROM activity_categories WHERE kind = 'deduction'")
    }
    uncategorised = [
        line.entry_id
        for line in lines
        if line.kind == "deduction" and (line.reason or "").split("：")[0] not in categories
    ]
    if organiser is not None:  # who had no points at all is the admin's question
        return Review(quarter, lines, pending, twice, uncategorised, [])
    idle = db.execute(
        "SELECT m.number, m.name FROM members m WHERE m.status = 'active'"
        " AND m.joined <= :end"
        f" {where} AND NOT EXISTS (SELECT 1 FROM points_entries e WHERE e.member_id = m.id"
        " AND e.quarter = :q AND e.kind IN ('award', 'deduction')) ORDER BY m.number",
        {**params, "end": last.isoformat() + "T99"},
    ).fetchall()
    return Review(quarter, lines, pending, twice, uncategorised, [tuple(row) for row in idle])
