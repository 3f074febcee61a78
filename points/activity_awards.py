"""Awards behind activities: approving pending check-ins, removals, deductions with a reason.

Also the read side: an activity's check-ins and deductions, and a member's awards and
deductions with the activity behind each (from the points record).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from points.activities import get_activity, get_category
from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.ledger import PointsChange, add_points_entry, deduct_points
from points.members import normalise_number
from points.records import RecordLine, points_record
from points.requests import once
from points.validate import MAX_REASON, positive_int, trimmed_text

# the note after a deduction reason's name: with the name (at most MAX_CATEGORY_NAME) and a colon
# it stays inside MAX_REASON
MAX_DEDUCTION_NOTE = 100


@dataclass(frozen=True)
class Approval:
    activity_id: int
    approved: tuple[str, ...]  # member numbers awarded now
    still_pending: tuple[str, ...]  # the excluded ones, left for a removal or a later approval
    points_each: int


def approve_pending(
    db: Store,
    *,
    activity_id: int,
    request_id: str,
    actor: str,
    exclude: Iterable[str] = (),
) -> Approval:
    """Award every pending check-in of the activity at once, except the excluded members."""
    activity_id = positive_int(activity_id, "activity")
    excluded = sorted({normalise_number(number) for number in exclude})

    def action(request_id: str) -> dict:
        activity = get_activity(db, activity_id)
        pending = db.execute(
            "SELECT k.id, k.member_id, m.number FROM checkins k JOIN members m"
            " ON m.id = k.member_id WHERE k.activity_id = ? AND k.status = 'pending'"
            " ORDER BY k.id",
            [activity_id],
        ).fetchall()
        approved, kept, moment = [], [], timestamp()
        for checkin_id, member_id, number in pending:
            if number in excluded:
                kept.append(number)
                continue
            entry_id, _balance = add_points_entry(
                db,
                member_id=member_id,
                delta=activity.points,
                kind="award",
                reason=activity.title,
                actor=actor,
                request_id=request_id,
                activity_id=activity_id,
            )
            db.execute(
                "UPDATE checkins SET status = 'approved', entry_id = ?, decided_by = ?,"
                " decided = ? WHERE id = ? AND status = 'pending'",
                [entry_id, actor, moment, checkin_id],
            )
            approved.append(number)
        return {
            "activity_id": activity_id,
            "approved": approved,
            "still_pending": kept,
            "points_each": activity.points,
        }

    outcome = once(
        db,
        request_id=request_id,
        kind="approve_pending",
        params={"activity": activity_id, "exclude": excluded},
        action=action,
        actor=actor,
        target=f"activity:{activity_id}",
    )
    return Approval(
        activity_id=outcome["activity_id"],
        approved=tuple(outcome["approved"]),
        still_pending=tuple(outcome["still_pending"]),
        points_each=outcome["points_each"],
    )


def remove_checkin(
    db: Store,
    *,
    activity_id: int,
    member_number: str,
    reason: str,
    request_id: str,
    actor: str,
) -> None:
    """Strike out a pending check-in with a reason; an awarded one needs a deduction instead."""
    activity_id = positive_int(activity_id, "activity")
    number = normalise_number(member_number)
    reason = trimmed_text(reason, "reason", max_length=MAX_REASON)

    def action(_request_id: str) -> dict:
        row = db.execute(
            "SELECT k.id, k.status FROM checkins k JOIN members m ON m.id = k.member_id"
            " WHERE k.activity_id = ? AND m.number = ?",
            [activity_id, number],
        ).fetchone()
        if row is None:
            raise CornerError("checkin_unknown", number=number, activity=activity_id)
        if row[1] != "pending":
            raise CornerError("checkin_not_pending", number=number, status=row[1])
        db.execute(
            "UPDATE checkins SET status = 'removed', removal_reason = ?, decided_by = ?,"
            " decided = ? WHERE id = ?",
            [reason, actor, timestamp(), row[0]],
        )
        return {"checkin_id": row[0], "status": "removed"}

    once(
        db,
        request_id=request_id,
        kind="remove_checkin",
        params={"activity": activity_id, "number": number, "reason": reason},
        action=action,
        actor=actor,
        target=f"member:{number}",
    )


def deduct(
    db: Store,
    *,
    member_number: str,
    request_id: str,
    actor: str,
    category_id: int | None = None,
    points: int | None = None,
    reason: str | None = None,
    activity_id: int | None = None,
) -> PointsChange:
    """Deduct points (反向鞭策); a deduction reason supplies the points and the reason text."""
    if category_id is not None:
        category = get_category(db, positive_int(category_id, "category"))
        if category.kind != "deduction" or not category.active:  # a retired reason is gone
            raise CornerError("category_unknown", category=category_id)
        points = category.points if points is None else points
        detail = trimmed_text(reason, "reason", max_length=MAX_DEDUCTION_NOTE, required=False)
        reason = f"{category.name}：{detail}" if detail else category.name
    return deduct_points(
        db,
        number=member_number,
        points=points,
        reason=reason,  # deduct_points checks it
        activity_id=activity_id,
        request_id=request_id,
        actor=actor,
    )


# ---- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinLine:
    id: int
    member_number: str
    member_name: str
    method: str
    status: str
    operator: str
    created: str
    removal_reason: str | None
    checked_out: str | None = None  # when the member left (check-out is optional)
    checked_out_by: str | None = None


def list_checkins(db: Store, activity_id: int) -> list[CheckinLine]:
    """The activity's check-ins, latest first (the check-in screen shows the last names)."""
    rows = db.execute(
        "SELECT k.id, m.number, m.name, k.method, k.status, k.operator, k.created,"
        " k.removal_reason, k.checked_out, k.checked_out_by"
        " FROM checkins k JOIN members m ON m.id = k.member_id"
        " WHERE k.activity_id = ? ORDER BY k.id DESC",
        [activity_id],
    )
    return [CheckinLine(*row) for row in rows]


def activity_history(db: Store, number: str) -> list[RecordLine]:
    """A member's awards and deductions, newest first, each with the activity behind it."""
    lines = points_record(db, number).lines
    return [line for line in reversed(lines) if line.kind in ("award", "deduction")]


@dataclass(frozen=True)
class DeductionLine:
    entry_id: int
    member_number: str
    member_name: str
    points: int  # the points taken away (a positive number)
    reason: str  # the deduction reason, with the note after a colon when one was given
    actor: str
    created: str


def list_deductions(db: Store, activity_id: int) -> list[DeductionLine]:
    """The deductions made for the activity, latest first."""
    rows = db.execute(
        "SELECT e.id, m.number, m.name, -e.delta, e.reason, e.actor, e.created"
        " FROM points_entries e JOIN members m ON m.id = e.member_id"
        " WHERE e.activity_id = ? AND e.kind = 'deduction' ORDER BY e.id DESC",
        [activity_id],
    )
    return [DeductionLine(*row) for row in rows]
