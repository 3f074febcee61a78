"""Objections (异议) to a posted board: recorded by staff, each resolved by a correction row in
the quarter or by a reply with a reason. An open objection blocks the lock."""

from __future__ import annotations

from dataclasses import dataclass

from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.ledger import MAX_POINTS_PER_ENTRY, add_points_entry
from points.members import normalise_number
from points.periods import check_quarter
from points.quarter_state import require_step
from points.requests import once
from points.validate import MAX_REASON, trimmed_text

MAX_RAISED_BY = 40


@dataclass(frozen=True)
class Objection:
    id: int
    quarter: str
    member_number: str
    member_name: str
    raised_by: str
    text: str
    raised: str
    recorded_by: str
    resolution: str | None
    reply: str | None
    entry_id: int | None
    resolved: str | None
    resolved_by: str | None


def raise_objection(
    db: Store,
    *,
    quarter: object,
    number: str,
    raised_by: object,
    text: object,
    request_id: str,
    actor: str,
) -> Objection:
    """Record an objection to a posted quarter: whose points, who raised it, what it says."""
    quarter = check_quarter(quarter)
    number = normalise_number(number)
    raised_by = trimmed_text(raised_by, "raised_by", max_length=MAX_RAISED_BY)
    text = trimmed_text(text, "text", max_length=MAX_REASON)

    def action(_request_id: str) -> dict:
        require_step(db, quarter, "posted")
        member = db.execute("SELECT id FROM members WHERE number = ?", [number]).fetchone()
        if member is None:
            raise CornerError("member_unknown", number=number)
        objection_id = db.execute(
            "INSERT INTO objections (quarter, member_id, raised_by, text, raised, recorded_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [quarter, member[0], raised_by, text, timestamp(), actor],
        ).lastrowid
        return {"id": objection_id}

    outcome = once(
        db,
        request_id=request_id,
        kind="raise_objection",
        params={"quarter": quarter, "number": number, "raised_by": raised_by, "text": text},
        action=action,
        actor=actor,
        target=lambda result: f"objection:{result['id']}",
    )
    return get_objection(db, outcome["id"])


def resolve_objection(
    db: Store,
    *,
    objection_id: int,
    reply: object,
    request_id: str,
    actor: str,
    correction: object = 0,
) -> Objection:
    """Resolve an objection: a reply with its reason, and a correction row when ``correction``
    (points, + or −) is not 0. The row counts in the objection's quarter; its reason is the reply.
    """
    reply = trimmed_text(reply, "reply", max_length=MAX_REASON)
    if isinstance(correction, bool) or not isinstance(correction, int):
        raise CornerError("invalid_request", field="correction")
    if abs(correction) > MAX_POINTS_PER_ENTRY:
        raise CornerError("invalid_request", field="correction")

    def action(request_id: str) -> dict:
        row = db.execute(
            "SELECT quarter, member_id, resolved FROM objections WHERE id = ?", [objection_id]
        ).fetchone()
        if row is None:
            raise CornerError("objection_unknown", objection=objection_id)
        quarter, member_id, resolved = row
        if resolved is not None:
            raise CornerError("objection_resolved", objection=objection_id)
        require_step(db, quarter, "review", "posted")  # back under review, it may still be fixed
        entry_id = None
        if correction:
            entry_id, _balance = add_points_entry(
                db,
                member_id=member_id,
                delta=correction,
                kind="award" if correction > 0 else "deduction",
                actor=actor,
                request_id=request_id,
                reason=reply,
                quarter=quarter,
            )
        db.execute(
            "UPDATE objections SET resolution = ?, reply = ?, entry_id = ?, resolved = ?,"
            " resolved_by = ? WHERE id = ?",
            [
                "corrected" if correction else "replied",
                reply,
                entry_id,
                timestamp(),
                actor,
                objection_id,
            ],
        )
        return {"id": objection_id}

    once(
        db,
        request_id=request_id,
        kind="resolve_objection",
        params={"objection": objection_id, "reply": reply, "correction": correction},
        action=action,
        actor=actor,
        target=f"objection:{objection_id}",
    )
    return get_objection(db, objection_id)


_COLUMNS = (
    "o.id, o.quarter, m.number, m.name, o.raised_by, o.text, o.raised, o.recorded_by,"
    " o.resolution, o.reply, o.entry_id, o.resolved, o.resolved_by"
)


def get_objection(db: Store, objection_id: int) -> Objection:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM objections o JOIN members m ON m.id = o.member_id WHERE o.id = ?",
        [objection_id],
    ).fetchone()
    if row is None:
        raise CornerError("objection_unknown", objection=objection_id)
    return Objection(*row)


def list_objections(db: Store, quarter: str) -> list[Objection]:
    """A quarter's objections, open ones first, then by when they were raised."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM objections o JOIN members m ON m.id = o.member_id"
        " WHERE o.quarter = ? ORDER BY o.resolved IS NOT NULL, o.id",
        [check_quarter(quarter)],
    )
    return [Objection(*row) for row in rows]
