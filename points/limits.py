"""Per-member limits per period: "one pair of slippers a quarter", enforced at redemption."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from points.clock import now, timestamp
from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.validate import positive_int

PERIODS = ("month", "quarter", "year")
MAX_LIMIT_QUANTITY = 1000


@dataclass(frozen=True)
class Limit:
    goods_id: int
    quantity: int | None
    period: str | None


def period_start(period: str, moment: datetime | None = None) -> datetime:
    """The first moment of the month, quarter or year that ``moment`` falls in (local time)."""
    moment = moment or now()
    month = {"month": moment.month, "quarter": (moment.month - 1) // 3 * 3 + 1, "year": 1}[period]
    return moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def set_goods_limit(
    db: Store,
    *,
    goods_id: int,
    quantity: int | None,
    period: str | None,
    request_id: str,
    actor: str,
) -> Limit:
    """Set (or, with quantity None, lift) how many of a good one member may redeem per period."""
    goods_id = positive_int(goods_id, "goods_id")
    if quantity is None:
        period = None
    else:
        quantity = positive_int(quantity, "limit_quantity", limit=MAX_LIMIT_QUANTITY)
        if period not in PERIODS:
            raise CornerError("invalid_request", field="limit_period")

    def current() -> dict | None:
        row = db.execute(
            "SELECT limit_quantity, limit_period FROM goods WHERE id = ?", [goods_id]
        ).fetchone()
        return {"quantity": row[0], "period": row[1]} if row else None

    def action(_request_id: str) -> dict:
        if current() is None:
            raise CornerError("goods_unknown", goods=goods_id)
        db.execute(
            "UPDATE goods SET limit_quantity = ?, limit_period = ? WHERE id = ?",
            [quantity, period, goods_id],
        )
        return {"goods_id": goods_id, "quantity": quantity, "period": period}

    result = once(
        db,
        request_id=request_id,
        kind="set_goods_limit",
        params={"goods_id": goods_id, "quantity": quantity, "period": period},
        action=action,
        actor=actor,
        target=f"goods:{goods_id}",
        before=current,
    )
    return Limit(result["goods_id"], result["quantity"], result["period"])


def redeemed_in_period(db: Store, *, member_id: int, goods_id: int, period: str) -> int:
    """How many of a good the member redeemed since the period began (reversals not counted)."""
    return db.execute(
        "SELECT coalesce(sum(l.quantity), 0) FROM redemption_lines l"
        " JOIN redemptions r ON r.id = l.redemption_id"
        " LEFT JOIN reversals v ON v.redemption_id = r.id"
        " WHERE r.member_id = ? AND l.goods_id = ? AND r.created >= ? AND v.id IS NULL",
        [member_id, goods_id, timestamp(period_start(period))],
    ).fetchone()[0]


def check_limits(db: Store, *, member_id: int, wanted: list[tuple[int, int]]):
    """Refuse a cart that would take a member past a good's limit; call inside the write.

    Counted inside the redemption's BEGIN IMMEDIATE transaction, so two kiosks tapping at the
    same moment cannot both take the last allowance.
    """
    for goods_id, quantity in wanted:
        row = db.execute(
            "SELECT limit_quantity, limit_period FROM goods WHERE id = ?", [goods_id]
        ).fetchone()
        if row is None or row[0] is None:
            continue
        limit, period = row
        already = redeemed_in_period(db, member_id=member_id, goods_id=goods_id, period=period)
        if already + quantity > limit:
            raise CornerError(
                "limit_reached",
                goods_id=goods_id,
                limit=limit,
                period=period,
                left=max(0, limit - already),
            )


def allowances(db: Store, *, member_id: int) -> dict[int, int]:
    """For each limited good: how many more the member may redeem this period."""
    rows = db.execute(
        "SELECT id, limit_quantity, limit_period FROM goods"
        " WHERE limit_quantity IS NOT NULL AND active = 1"
    ).fetchall()
    return {
        goods_id: max(
            0, limit - redeemed_in_period(db, member_id=member_id, goods_id=goods_id, period=period)
        )
        for goods_id, limit, period in rows
    }
