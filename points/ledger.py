"""The points ledger: its one row writer, awards, deductions, and a balance as a sum of rows.

Every points row (award, deduction, redemption, reversal) goes through ``add_points_entry``,
which moves the cached balance in the same write with a guarded update and chains the row
(``points.chain``: each row's hash covers the one before).
"""

from __future__ import annotations

from dataclasses import dataclass

from points.chain import append
from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.members import normalise_number
from points.periods import check_quarter
from points.quarter_state import corrected_quarter, writable_quarter
from points.requests import once
from points.validate import MAX_REASON, positive_int, trimmed_text

MAX_POINTS_PER_ENTRY = 1000


@dataclass(frozen=True)
class PointsChange:
    member_number: str
    delta: int
    balance: int
    entry_id: int


def add_points_entry(
    db: Store,
    *,
    member_id: int,
    delta: int,
    kind: str,
    actor: str,
    request_id: str,
    reason: str | None = None,
    redemption_id: int | None = None,
    activity_id: int | None = None,
    quarter: str | None = None,
    corrects: str | None = None,
) -> tuple[int, int]:
    """Append a ledger row and move the cached balance with it; inside a write only.

    The row counts in ``quarter`` (default: the current one; a correction made while a past
    quarter is under review names it); a locked quarter refuses it with ``quarter_locked``.
    A debit is a guarded update that changes no row when the balance would go below zero; then
    ``insufficient_points`` is raised. Returns (entry id, new balance).
    """
    quarter = writable_quarter(db, quarter)
    if corrects is not None:
        corrected_quarter(db, corrects, into=quarter)
    updated = db.execute(
        "UPDATE members SET balance = balance + ? WHERE id = ? AND balance + ? >= 0"
        " RETURNING balance",
        [delta, member_id, delta],
    ).fetchall()
    if not updated:
        balance = db.execute("SELECT balance FROM members WHERE id = ?", [member_id]).fetchone()[0]
        raise CornerError("insufficient_points", balance=balance, needed=-delta)
    entry_id = append(
        db,
        "points_entries",
        {
            "member_id": member_id,
            "delta": delta,
            "kind": kind,
            "reason": reason,
            "actor": actor,
            "quarter": quarter,
            "redemption_id": redemption_id,
            "activity_id": activity_id,
            "request_id": request_id,
            "created": timestamp(),
            "corrects": corrects,
        },
    )
    return entry_id, updated[0][0]


def _change_points(
    db: Store,
    *,
    kind: str,
    number: str,
    points: object,
    reason: object,
    request_id: str,
    actor: str,
    activity_id: int | None = None,
    quarter: str | None = None,
    corrects: str | None = None,
) -> PointsChange:
    number = normalise_number(number)
    points = positive_int(points, "points", limit=MAX_POINTS_PER_ENTRY)
    if activity_id is not None:
        activity_id = positive_int(activity_id, "activity")
    reason = trimmed_text(reason, "reason", max_length=MAX_REASON)
    if quarter is not None:
        quarter = check_quarter(quarter)
    if corrects is not None:
        corrects = check_quarter(corrects)
    delta = points if kind == "award" else -points

    def action(request_id: str) -> dict:
        if (
            activity_id is not None
            and not db.execute("SELECT 1 FROM activities WHERE id = ?", [activity_id]).fetchone()
        ):
            raise CornerError("activity_unknown", activity=activity_id)
        member = db.execute("SELECT id FROM members WHERE number = ?", [number]).fetchone()
        if member is None:
            raise CornerError("member_unknown", number=number)
        entry_id, balance = add_points_entry(
            db,
            member_id=member[0],
            delta=delta,
            kind=kind,
            reason=reason,
            actor=actor,
            request_id=request_id,
            activity_id=activity_id,
            quarter=quarter,
            corrects=corrects,
        )
        return {"member_number": number, "delta": delta, "balance": balance, "entry_id": entry_id}

    params = {"number": number, "delta": delta, "reason": reason}
    if activity_id is not None:
        params["activity"] = activity_id
    if quarter is not None:
        params["quarter"] = quarter
    if corrects is not None:
        params["corrects"] = corrects
    return PointsChange(
        **once(
            db,
            request_id=request_id,
            kind=kind,
            params=params,
            action=action,
            actor=actor,
            target=f"member:{number}",
        )
    )


def award_points(
    db: Store,
    *,
    number: str,
    points: int,
    reason: str,
    request_id: str,
    actor: str,
    activity_id: int | None = None,
    quarter: str | None = None,
    corrects: str | None = None,
) -> PointsChange:
    """Award points to a member for a reason (an activity, a correction).

    ``quarter``: the (not locked) quarter it counts in; default the current one.
    ``corrects``: the locked quarter this late correction is for (it counts in ``quarter``).
    """
    return _change_points(
        db,
        kind="award",
        number=number,
        points=points,
        reason=reason,
        request_id=request_id,
        actor=actor,
        activity_id=activity_id,
        quarter=quarter,
        corrects=corrects,
    )


def deduct_points(
    db: Store,
    *,
    number: str,
    points: int,
    reason: str,
    request_id: str,
    actor: str,
    activity_id: int | None = None,
    quarter: str | None = None,
    corrects: str | None = None,
) -> PointsChange:
    """Deduct points with a reason (反向鞭策); never below zero.

    ``quarter``: the (not locked) quarter it counts in; default the current one.
    ``corrects``: the locked quarter this late correction is for (it counts in ``quarter``).
    """
    return _change_points(
        db,
        kind="deduction",
        number=number,
        points=points,
        reason=reason,
        request_id=request_id,
        actor=actor,
        activity_id=activity_id,
        quarter=quarter,
        corrects=corrects,
    )


def balance(db: Store, number: str) -> int:
    """A member's balance: the sum of their ledger rows."""
    row = db.execute(
        "SELECT m.id, coalesce(sum(e.delta), 0) FROM members m"
        " LEFT JOIN points_entries e ON e.member_id = m.id WHERE m.number = ? GROUP BY m.id",
        [normalise_number(number)],
    ).fetchone()
    if row is None:
        raise CornerError("member_unknown", number=number)
    return row[1]
