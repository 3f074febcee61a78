"""Checking members in and out at an activity, the offline batch, and the check-in board.

Every scan goes through ``check_in``: one BEGIN IMMEDIATE write that re-reads the activity and
the member's check-in under the lock, then inserts the check-in and (in 'on_checkin' mode) the
award. UNIQUE (activity_id, member_id) backs the rule, so two devices scanning one card at the
same moment give one check-in and one award; the other is told ``duplicate_checkin``.
``check_out`` (optional) records once when a checked-in member left; points do not change.
``activity_board`` is the check-in screen's running count and last names. Every scan, accepted
or refused, also lands in the scan log (``points.scan_log``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from points.activities import Activity, get_activity
from points.clock import timestamp
from points.db import Store, transaction
from points.errors import CornerError
from points.ledger import add_points_entry
from points.members import normalise_number
from points.requests import once
from points.scan_log import CheckinOutcome, log_scan, refused_outcome
from points.staff import MAX_USERNAME
from points.validate import positive_int, trimmed_text

METHODS = ("qr", "nfc", "manual")


def _activity_and_member(
    db: Store, *, activity_id: int, number: str, card_id: int | None
) -> tuple[tuple, tuple]:
    """The open activity and the active member (holding this card, if one was shown)."""
    activity = db.execute(
        "SELECT status, capacity, award_mode, points, title FROM activities WHERE id = ?",
        [activity_id],
    ).fetchone()
    if activity is None:
        raise CornerError("activity_unknown", activity=activity_id)
    if activity[0] == "planned":
        raise CornerError("activity_not_open", activity=activity_id)
    if activity[0] == "closed":
        raise CornerError("activity_closed", activity=activity_id)
    member = db.execute(
        "SELECT id, name, status FROM members WHERE number = ?", [number]
    ).fetchone()
    if member is None:
        raise CornerError("member_unknown", number=number)
    if member[2] != "active":
        raise CornerError("member_inactive", number=number)
    if card_id is not None:
        card = db.execute("SELECT member_id, status FROM cards WHERE id = ?", [card_id]).fetchone()
        if card is None or card[0] != member[0]:
            raise CornerError("card_unknown", card=card_id)
        if card[1] != "active":
            raise CornerError("card_revoked", card=card_id)
    return activity, member


def _check_in_now(
    db: Store,
    *,
    activity_id: int,
    number: str,
    method: str,
    card_id: int | None,
    operator: str,
    request_id: str,
) -> dict:
    """The check-in itself, inside the write: every rule is read under the lock."""
    activity, member = _activity_and_member(
        db, activity_id=activity_id, number=number, card_id=card_id
    )
    _status, capacity, award_mode, points, title = activity
    member_id, name, _member_status = member
    # duplicate before full: a member already in is told so, not that the activity is full
    if db.execute(
        "SELECT 1 FROM checkins WHERE activity_id = ? AND member_id = ?", [activity_id, member_id]
    ).fetchone():
        raise CornerError("duplicate_checkin", number=number, activity=activity_id)
    if capacity is not None:
        taken = db.execute(
            "SELECT count(*) FROM checkins WHERE activity_id = ? AND status <> 'removed'",
            [activity_id],
        ).fetchone()[0]
        if taken >= capacity:
            raise CornerError("activity_full", activity=activity_id, capacity=capacity)
    entry_id = None
    if award_mode == "on_checkin":
        entry_id, _balance = add_points_entry(
            db,
            member_id=member_id,
            delta=points,
            kind="award",
            reason=title,
            actor=operator,
            request_id=request_id,
            activity_id=activity_id,
        )
    checkin_status = "accepted" if entry_id is not None else "pending"
    checkin_id = db.execute(
        "INSERT INTO checkins (activity_id, member_id, card_id, method, status, operator,"
        " request_id, created, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            activity_id,
            member_id,
            card_id,
            method,
            checkin_status,
            operator,
            request_id,
            timestamp(),
            entry_id,
        ],
    ).lastrowid
    return {
        "request_id": request_id,
        "accepted": True,
        "code": "checked_in",
        "activity_id": activity_id,
        "member_number": number,
        "member_name": name,
        "status": checkin_status,
        "points": points if entry_id is not None else 0,
        "checkin_id": checkin_id,
        "entry_id": entry_id,
        "action": "in",
    }


def _check_out_now(
    db: Store,
    *,
    activity_id: int,
    number: str,
    method: str,
    card_id: int | None,
    operator: str,
    request_id: str,
) -> dict:
    """Record when a checked-in member left; once. Points do not change."""
    _activity, member = _activity_and_member(
        db, activity_id=activity_id, number=number, card_id=card_id
    )
    row = db.execute(
        "SELECT id, status, checked_out FROM checkins WHERE activity_id = ? AND member_id = ?",
        [activity_id, member[0]],
    ).fetchone()
    if row is None or row[1] == "removed":
        raise CornerError("not_checked_in", number=number, activity=activity_id)
    if row[2] is not None:
        raise CornerError("already_checked_out", number=number, activity=activity_id)
    db.execute(
        "UPDATE checkins SET checked_out = ?, checked_out_by = ? WHERE id = ?",
        [timestamp(), operator, row[0]],
    )
    return {
        "request_id": request_id,
        "accepted": True,
        "code": "checked_out",
        "activity_id": activity_id,
        "member_number": number,
        "member_name": member[1],
        "status": row[1],
        "checkin_id": row[0],
        "action": "out",
    }


_ACTIONS = {"in": ("check_in", _check_in_now), "out": ("check_out", _check_out_now)}


def _scan(
    db: Store,
    *,
    action: str,
    activity_id: object,
    member_number: object,
    method: object,
    operator: object,
    request_id: object,
    card_id: object = None,
    device: str | None = None,
) -> CheckinOutcome:
    """A check-in or check-out scan: idempotent by request id, and always in the scan log."""
    kind, now = _ACTIONS[action]
    ran = False
    scan = {
        "activity_id": activity_id,
        "member_number": member_number,
        "card_id": card_id,
        "method": method,
        "operator": operator,
        "device": device,
        "request_id": request_id,
        "action": action,
    }
    number = None

    def write(request_id: str) -> dict:
        nonlocal ran
        ran = True
        outcome = now(
            db,
            activity_id=activity_id,
            number=number,
            method=method,
            card_id=card_id,
            operator=operator,
            request_id=request_id,
        )
        log_scan(db, **scan, code=outcome["code"], checkin_id=outcome["checkin_id"])
        return outcome

    try:
        activity_id = positive_int(activity_id, "activity")
        number = normalise_number(member_number)
        if method not in METHODS:
            raise CornerError("invalid_request", field="method")
        if card_id is not None:
            card_id = positive_int(card_id, "card")
        if not isinstance(operator, str):  # a staff member's name, never a number
            raise CornerError("invalid_request", field="operator")
        operator = trimmed_text(operator, "operator", max_length=MAX_USERNAME)
        result = once(
            db,
            request_id=request_id,
            kind=kind,
            params={"activity": activity_id, "number": number, "method": method, "card": card_id},
            action=write,
            actor=operator,
            target=f"activity:{activity_id}",
        )
    except CornerError as error:
        with transaction(db):
            log_scan(db, **scan, code=error.code)
        return refused_outcome(
            db,
            error.code,
            request_id=request_id,
            activity_id=scan["activity_id"],
            member_number=number if number is not None else member_number,
            action=action,
        )
    if not ran:  # a resend: nothing changed, but the attempt is still on record
        with transaction(db):
            log_scan(db, **scan, code=result["code"], checkin_id=result["checkin_id"], repeat=True)
    return CheckinOutcome(**result)


def check_in(
    db: Store,
    *,
    activity_id: int,
    member_number: str,
    method: str,
    operator: str,
    request_id: str,
    card_id: int | None = None,
    device: str | None = None,
) -> CheckinOutcome:
    """Check a member in; refusals come back as an outcome with their code, never raised.

    A repeat of the request id returns the first outcome (an offline queue sent twice awards
    once). Every attempt is written to the scan log: an accepted one in its own transaction, a
    refused one in a second transaction after the refused one rolled back.
    """
    return _scan(
        db,
        action="in",
        activity_id=activity_id,
        member_number=member_number,
        method=method,
        operator=operator,
        request_id=request_id,
        card_id=card_id,
        device=device,
    )


def check_out(
    db: Store,
    *,
    activity_id: int,
    member_number: str,
    method: str,
    operator: str,
    request_id: str,
    card_id: int | None = None,
    device: str | None = None,
) -> CheckinOutcome:
    """Record that a checked-in member left (optional; points do not change); like check_in."""
    return _scan(
        db,
        action="out",
        activity_id=activity_id,
        member_number=member_number,
        method=method,
        operator=operator,
        request_id=request_id,
        card_id=card_id,
        device=device,
    )


@dataclass(frozen=True)
class BatchOutcome:
    accepted: tuple[CheckinOutcome, ...]
    refused: tuple[CheckinOutcome, ...]


def split(outcomes: Iterable[CheckinOutcome]) -> BatchOutcome:
    """Accepted and refused outcomes, each in the order they came."""
    outcomes = list(outcomes)
    return BatchOutcome(
        accepted=tuple(o for o in outcomes if o.accepted),
        refused=tuple(o for o in outcomes if not o.accepted),
    )


def check_in_batch(
    db: Store,
    *,
    activity_id: int,
    scans: Iterable[dict],
    operator: str,
    device: str | None = None,
) -> BatchOutcome:
    """An offline queue sent at once: each scan is its own write; refused ones come back listed.

    A scan is ``{"member_number", "method", "request_id"}`` and optionally ``"card_id"``.
    """
    return split(
        check_in(
            db,
            activity_id=activity_id,
            member_number=scan.get("member_number"),
            method=scan.get("method"),
            card_id=scan.get("card_id"),
            request_id=scan.get("request_id"),
            operator=operator,
            device=device,
        )
        for scan in scans
    )


# ---- the check-in screen's board --------------------------------------------------------------


@dataclass(frozen=True)
class BoardLine:
    member_name: str
    member_number: str
    action: str  # 'in' or 'out'
    created: str


@dataclass(frozen=True)
class Board:
    activity: Activity
    checked_in: int  # check-ins not removed
    checked_out: int
    last: tuple[BoardLine, ...]  # the latest accepted scans, latest first


def activity_board(db: Store, activity_id: int, *, last: int = 5) -> Board:
    """The running count and the last names scanned, for the check-in screen."""
    activity = get_activity(db, activity_id)
    checked_out = db.execute(
        "SELECT count(*) FROM checkins WHERE activity_id = ? AND status <> 'removed'"
        " AND checked_out IS NOT NULL",
        [activity.id],
    ).fetchone()[0]
    rows = db.execute(
        "SELECT m.name, m.number, s.action, s.created FROM scan_log s"
        " JOIN checkins k ON k.id = s.checkin_id JOIN members m ON m.id = k.member_id"
        " WHERE s.activity_id = ? AND s.accepted = 1 AND s.repeat = 0"
        " ORDER BY s.id DESC LIMIT ?",
        [activity.id, last],
    )
    return Board(activity, activity.checked_in, checked_out, tuple(BoardLine(*r) for r in rows))
