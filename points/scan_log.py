"""The scan log: every check-in or check-out scan, accepted or refused, and what it came to.

Check-in (``points.checkins``) writes a row inside its own write for an accepted scan, and in a
second transaction for a refused one (the refused write rolled back). A scan refused before it
named anyone (a card that did not read) is logged by ``log_refused_scan``. The log is
append-only (triggers in migration 005); ``scan_log`` lists an activity's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.clock import timestamp
from points.db import Store, transaction

ACTIONS = ("in", "out")  # check-in, check-out


@dataclass(frozen=True)
class CheckinOutcome:
    """What a scan came to: ``code`` is 'checked_in' / 'checked_out' or the refusal's code."""

    request_id: str
    accepted: bool
    code: str
    activity_id: int | None
    member_number: str | None
    member_name: str | None = None
    status: str | None = None  # 'accepted' (awarded now) or 'pending' (awarded on approval)
    points: int = 0  # points awarded by this scan
    checkin_id: int | None = None
    entry_id: int | None = None
    action: str = "in"  # 'in' (check-in) or 'out' (check-out)


def log_scan(
    db: Store,
    *,
    activity_id: object,
    member_number: object,
    card_id: object,
    method: object,
    code: str,
    operator: object,
    device: str | None,
    request_id: object,
    checkin_id: int | None = None,
    repeat: bool = False,
    action: str = "in",
) -> None:
    """One scan_log row; inside a write. Raw values are kept as far as they fit the columns."""
    db.execute(
        "INSERT INTO scan_log (activity_id, member_number, card_id, method, accepted, code,"
        " repeat, checkin_id, operator, device, request_id, created, action)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            activity_id if isinstance(activity_id, int) else None,
            None if member_number is None else str(member_number)[:40],
            card_id if isinstance(card_id, int) else None,
            None if method is None else str(method)[:10],
            int(code in ("checked_in", "checked_out")),
            code,
            int(repeat),
            checkin_id,
            str(operator or "?")[:40],
            None if device is None else str(device)[:60],
            None if request_id is None else str(request_id)[:100],
            timestamp(),
            action,
        ],
    )


def refused_outcome(
    db: Store,
    code: str,
    *,
    request_id: object,
    activity_id: object,
    member_number: object = None,
    action: str = "in",
) -> CheckinOutcome:
    """The outcome of a refused scan, naming the member when the number is theirs."""
    number = None if member_number is None else str(member_number)[:40]
    name = None
    if number is not None:
        row = db.execute("SELECT name FROM members WHERE number = ?", [number]).fetchone()
        name = row[0] if row else None
    return CheckinOutcome(
        request_id=str(request_id),
        accepted=False,
        code=code,
        activity_id=activity_id if isinstance(activity_id, int) else None,
        member_number=number,
        member_name=name,
        action=action,
    )


def log_refused_scan(
    db: Store,
    code: str,
    *,
    activity_id: object,
    method: object,
    operator: object,
    device: str | None,
    request_id: object,
    action: str = "in",
) -> CheckinOutcome:
    """Record a scan refused before it named a member (a card that did not read) and say so."""
    with transaction(db):
        log_scan(
            db,
            activity_id=activity_id,
            member_number=None,
            card_id=None,
            method=method,
            code=code,
            operator=operator,
            device=device,
            request_id=request_id,
            action=action if action in ACTIONS else "in",
        )
    return refused_outcome(db, code, request_id=request_id, activity_id=activity_id, action=action)


@dataclass(frozen=True)
class ScanLine:
    id: int
    member_number: str | None
    method: str | None
    accepted: bool
    code: str
    repeat: bool
    operator: str
    device: str | None
    request_id: str | None
    created: str
    action: str = "in"  # 'in' (check-in) or 'out' (check-out)
    member_name: str | None = None  # None when the number is nobody's (or no card was read)


def scan_log(db: Store, activity_id: int) -> list[ScanLine]:
    """Every scan for the activity, accepted or refused, oldest first."""
    rows = db.execute(
        "SELECT s.id, s.member_number, s.method, s.accepted, s.code, s.repeat, s.operator,"
        " s.device, s.request_id, s.created, s.action, m.name FROM scan_log s"
        " LEFT JOIN members m ON m.number = s.member_number"
        " WHERE s.activity_id = ? ORDER BY s.id",
        [activity_id],
    )
    return [
        ScanLine(row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5]), *row[6:])
        for row in rows
    ]
