"""A member's points record (积分记录本): every ledger row with the balance after it.

Also the kiosk's short version for the member of a live session (``recent_record``).
"""

from __future__ import annotations

from dataclasses import dataclass

from points.db import Store
from points.members import Member, get_member
from points.sessions import live_session


@dataclass(frozen=True)
class RecordLine:
    entry_id: int
    created: str
    quarter: str
    kind: str
    delta: int
    balance: int  # the running balance after this row
    reason: str | None
    redemption_id: int | None
    goods: str | None  # for a redemption or its reversal: "拖鞋 ×1, 鸡蛋 ×1"
    # the activity behind an award or a deduction, when there is one
    activity_id: int | None = None
    activity_title: str | None = None
    category: str | None = None
    activity_starts: str | None = None


@dataclass(frozen=True)
class PointsRecord:
    member: Member
    lines: tuple[RecordLine, ...]
    awarded: int
    spent: int


def points_record(db: Store, number: str) -> PointsRecord:
    """The member's whole history, oldest first, with a running balance from the ledger alone."""
    member = get_member(db, number)
    rows = db.execute(
        "SELECT e.id, e.created, e.quarter, e.kind, e.delta,"
        " sum(e.delta) OVER (ORDER BY e.id), e.reason, e.redemption_id,"
        " (SELECT group_concat(g.name || ' ×' || l.quantity, ', ') FROM redemption_lines l"
        "  JOIN goods g ON g.id = l.goods_id WHERE l.redemption_id = e.redemption_id),"
        " a.id, a.title, c.name, a.starts"
        " FROM points_entries e LEFT JOIN activities a ON a.id = e.activity_id"
        " LEFT JOIN activity_categories c ON c.id = a.category_id"
        " WHERE e.member_id = ? ORDER BY e.id",
        [member.id],
    ).fetchall()
    lines = tuple(RecordLine(*row) for row in rows)
    awarded = sum(line.delta for line in lines if line.kind == "award")
    spent = -sum(line.delta for line in lines if line.kind in ("redemption", "reversal"))
    return PointsRecord(member, lines, awarded, spent)


# ---- the member's own view at the kiosk ------------------------------------------------------

RECENT_LINES = 20


@dataclass(frozen=True)
class RecentLine:
    entry_id: int
    created: str
    kind: str  # 'award', 'deduction', 'redemption', 'reversal'
    delta: int
    balance: int  # the balance after this row
    reason: str | None
    goods: str | None  # for a redemption or its reversal
    activity_id: int | None  # the activity behind an award or a deduction, when there is one
    activity_title: str | None
    category: str | None
    activity_starts: str | None


@dataclass(frozen=True)
class RecentRecord:
    member_number: str
    member_name: str
    balance: int
    lines: tuple[RecentLine, ...]  # newest first
    total_lines: int  # how many rows the whole record has


def recent_record(db: Store, *, session: object, last: int = RECENT_LINES) -> RecentRecord:
    """The last rows of a live kiosk session's member record, newest first, each with its activity.

    An expired or ended session is ``session_expired``; a card revoked or a member deactivated
    since the scan stops it too, as at spending.
    """
    live = live_session(db, session)
    record = points_record(db, live.member_number)
    lines = [
        RecentLine(
            entry_id=line.entry_id,
            created=line.created,
            kind=line.kind,
            delta=line.delta,
            balance=line.balance,
            reason=line.reason,
            goods=line.goods,
            activity_id=line.activity_id,
            activity_title=line.activity_title,
            category=line.category,
            activity_starts=line.activity_starts,
        )
        for line in reversed(record.lines[-last:] if last > 0 else ())
    ]
    return RecentRecord(
        member_number=live.member_number,
        member_name=live.member_name,
        balance=record.lines[-1].balance if record.lines else 0,
        lines=tuple(lines),
        total_lines=len(record.lines),
    )
