"""Redemptions: points and stock change together or not at all, and can be reversed once."""

from __future__ import annotations

from dataclasses import dataclass

from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.ledger import add_points_entry
from points.limits import check_limits
from points.requests import once
from points.sessions import live_session
from points.stock import add_stock_entry
from points.validate import MAX_REASON, positive_int, trimmed_text

MAX_LINES = 20
MAX_QUANTITY_PER_LINE = 99


@dataclass(frozen=True)
class RedemptionLine:
    goods_id: int
    name: str
    quantity: int
    points_each: int


@dataclass(frozen=True)
class Redemption:
    id: int
    member_number: str
    member_name: str
    points: int
    balance: int
    created: str
    lines: tuple[RedemptionLine, ...]

    @classmethod
    def from_dict(cls, data: dict) -> Redemption:
        lines = tuple(RedemptionLine(**line) for line in data["lines"])
        return cls(**{**data, "lines": lines})


@dataclass(frozen=True)
class Reversal:
    redemption_id: int
    member_number: str
    points: int
    balance: int


def normalise_items(items: object) -> list[tuple[int, int]]:
    """[(goods id, quantity)] from the request's items; the same good twice is added up."""
    if not isinstance(items, list) or not 0 < len(items) <= MAX_LINES:
        raise CornerError("invalid_request", field="items")
    wanted: dict[int, int] = {}
    for item in items:
        if not isinstance(item, dict):
            raise CornerError("invalid_request", field="items")
        goods_id = positive_int(item.get("goods_id"), "items")
        quantity = positive_int(item.get("quantity"), "items")
        wanted[goods_id] = wanted.get(goods_id, 0) + quantity
        if wanted[goods_id] > MAX_QUANTITY_PER_LINE:
            raise CornerError("invalid_request", field="quantity")
    return sorted(wanted.items())


def redeem(db: Store, *, session: str, items: object, request_id: str) -> Redemption:
    """Spend a session's member's points on goods from the session's corner, all or nothing."""
    wanted = normalise_items(items)

    def action(request_id: str) -> dict:
        live = live_session(db, session)
        check_limits(db, member_id=live.member_id, wanted=wanted)
        member_id, card_id, corner_id = live.member_id, live.card_id, live.corner_id
        lines, total = [], 0
        for goods_id, quantity in wanted:
            row = db.execute(
                "SELECT name, points, active FROM goods WHERE id = ?", [goods_id]
            ).fetchone()
            if row is None or not row[2]:
                raise CornerError("goods_unavailable", goods_id=goods_id)
            lines.append(
                {"goods_id": goods_id, "name": row[0], "quantity": quantity, "points_each": row[1]}
            )
            total += quantity * row[1]
        moment = timestamp()
        redemption_id = db.execute(
            "INSERT INTO redemptions (member_id, corner_id, card_id, points, actor, request_id,"
            " created) VALUES (?, ?, ?, ?, 'kiosk', ?, ?)",
            [member_id, corner_id, card_id, total, request_id, moment],
        ).lastrowid
        # points first: a member short of points hears that, not which item ran out
        _entry, balance = add_points_entry(
            db,
            member_id=member_id,
            delta=-total,
            kind="redemption",
            actor="kiosk",
            request_id=request_id,
            redemption_id=redemption_id,
        )
        for line in lines:
            add_stock_entry(
                db,
                corner_id=corner_id,
                goods_id=line["goods_id"],
                delta=-line["quantity"],
                kind="redemption",
                actor="kiosk",
                request_id=request_id,
                redemption_id=redemption_id,
            )
            db.execute(
                "INSERT INTO redemption_lines (redemption_id, goods_id, quantity, points_each)"
                " VALUES (?, ?, ?, ?)",
                [redemption_id, line["goods_id"], line["quantity"], line["points_each"]],
            )
        number, name = live.member_number, live.member_name
        return {
            "id": redemption_id,
            "member_number": number,
            "member_name": name,
            "points": total,
            "balance": balance,
            "created": moment,
            "lines": lines,
        }

    params = {"session": session, "items": wanted}
    return Redemption.from_dict(
        once(db, request_id=request_id, kind="redeem", params=params, action=action)
    )


def reverse_redemption(
    db: Store, *, redemption_id: int, reason: str, request_id: str, actor: str
) -> Reversal:
    """Give back a redemption's points and stock as new ledger rows; only once."""
    redemption_id = positive_int(redemption_id, "redemption_id")
    reason = trimmed_text(reason, "reason", max_length=MAX_REASON)

    def action(request_id: str) -> dict:
        row = db.execute(
            "SELECT r.member_id, r.corner_id, r.points, m.number FROM redemptions r"
            " JOIN members m ON m.id = r.member_id WHERE r.id = ?",
            [redemption_id],
        ).fetchone()
        if row is None:
            raise CornerError("redemption_unknown", redemption=redemption_id)
        member_id, corner_id, points, number = row
        if db.execute(
            "SELECT 1 FROM reversals WHERE redemption_id = ?", [redemption_id]
        ).fetchone():
            raise CornerError("already_reversed", redemption=redemption_id)
        db.execute(
            "INSERT INTO reversals (redemption_id, reason, actor, request_id, created)"
            " VALUES (?, ?, ?, ?, ?)",
            [redemption_id, reason, actor, request_id, timestamp()],
        )
        _entry, balance = add_points_entry(
            db,
            member_id=member_id,
            delta=points,
            kind="reversal",
            reason=reason,
            actor=actor,
            request_id=request_id,
            redemption_id=redemption_id,
        )
        for goods_id, quantity in db.execute(
            "SELECT goods_id, quantity FROM redemption_lines WHERE redemption_id = ?",
            [redemption_id],
        ).fetchall():
            add_stock_entry(
                db,
                corner_id=corner_id,
                goods_id=goods_id,
                delta=quantity,
                kind="reversal",
                note=reason,
                actor=actor,
                request_id=request_id,
                redemption_id=redemption_id,
            )
        return {
            "redemption_id": redemption_id,
            "member_number": number,
            "points": points,
            "balance": balance,
        }

    params = {"redemption_id": redemption_id, "reason": reason}
    return Reversal(
        **once(
            db,
            request_id=request_id,
            kind="reverse_redemption",
            params=params,
            action=action,
            actor=actor,
            target=f"redemption:{redemption_id}",
        )
    )
