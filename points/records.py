"""A member's points record (积分记录本): every ledger row with the balance after it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from points.members import Member, get_member


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


@dataclass(frozen=True)
class PointsRecord:
    member: Member
    lines: tuple[RecordLine, ...]
    awarded: int
    spent: int


def points_record(db: sqlite_utils.Database, number: str) -> PointsRecord:
    """The member's whole history, oldest first, with a running balance from the ledger alone."""
    member = get_member(db, number)
    rows = db.execute(
        "SELECT e.id, e.created, e.quarter, e.kind, e.delta,"
        " sum(e.delta) OVER (ORDER BY e.id), e.reason, e.redemption_id,"
        " (SELECT group_concat(g.name || ' ×' || l.quantity, ', ') FROM redemption_lines l"
        "  JOIN goods g ON g.id = l.goods_id WHERE l.redemption_id = e.redemption_id)"
        " FROM points_entries e WHERE e.member_id = ? ORDER BY e.id",
        [member.id],
    ).fetchall()
    lines = tuple(RecordLine(*row) for row in rows)
    awarded = sum(line.delta for line in lines if line.kind == "award")
    spent = -sum(line.delta for line in lines if line.kind in ("redemption", "reversal"))
    return PointsRecord(member, lines, awarded, spent)
