"""The stock ledger, per corner: every stock row written or read, with cached on-hand counts.

Stock moves only by ledger rows (restock, redemption, correction, reversal) appended by
``add_stock_entry``, which moves the cached count in ``stock`` in the same write with a guarded
update, so stock never goes below zero, and chains the row (``points.chain``). Here too:
restocking, corrections after a count, the low-stock thresholds and list, and a good's stock
history. The catalogue is ``points.goods``.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.chain import append
from points.clock import timestamp
from points.corners import DEFAULT_CORNER, check_corner
from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.validate import MAX_REASON, positive_int, trimmed_text

RESTOCK_SOURCES = ("purchase", "donation", "other")
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class StockChange:
    goods_id: int
    name: str
    delta: int
    on_hand: int


@dataclass(frozen=True)
class LowStock:
    goods_id: int
    name: str
    on_hand: int
    threshold: int


def add_stock_entry(
    db: Store,
    *,
    corner_id: int,
    goods_id: int,
    delta: int,
    kind: str,
    actor: str,
    request_id: str,
    source: str | None = None,
    note: str | None = None,
    redemption_id: int | None = None,
) -> int:
    """Append a stock ledger row and move the cached count with it; inside a write only.

    A decrement is a guarded update: it changes no row when the stock would go below zero,
    and then ``out_of_stock`` is raised (the CHECK constraint is the second line of defence).
    """
    # the cached count moves first; RETURNING spares a second look-up
    updated = db.execute(
        "UPDATE stock SET on_hand = on_hand + ? WHERE corner_id = ? AND goods_id = ?"
        " AND on_hand + ? >= 0 RETURNING on_hand",
        [delta, corner_id, goods_id, delta],
    ).fetchall()
    if updated:
        on_hand = updated[0][0]
    else:
        row = db.execute(
            "SELECT on_hand FROM stock WHERE corner_id = ? AND goods_id = ?", [corner_id, goods_id]
        ).fetchone()
        if row is not None or delta < 0:
            on_hand = row[0] if row else 0
            raise CornerError("out_of_stock", goods_id=goods_id, wanted=-delta, on_hand=on_hand)
        db.execute(
            "INSERT INTO stock (corner_id, goods_id, on_hand) VALUES (?, ?, ?)",
            [corner_id, goods_id, delta],
        )
        on_hand = delta
    append(
        db,
        "stock_entries",
        {
            "corner_id": corner_id,
            "goods_id": goods_id,
            "delta": delta,
            "kind": kind,
            "source": source,
            "note": note,
            "actor": actor,
            "redemption_id": redemption_id,
            "request_id": request_id,
            "created": timestamp(),
        },
    )
    return on_hand


def restock(
    db: Store,
    *,
    goods_id: int,
    quantity: int,
    request_id: str,
    actor: str,
    source: str = "purchase",
    note: str | None = None,
    corner_id: int = DEFAULT_CORNER,
) -> StockChange:
    """Add stock of a good at a corner (purchase, donation or other)."""
    goods_id = positive_int(goods_id, "goods_id")
    quantity = positive_int(quantity, "quantity", limit=MAX_QUANTITY)
    note = trimmed_text(note, "note", max_length=MAX_REASON, required=False)
    if source not in RESTOCK_SOURCES:
        raise CornerError("invalid_request", field="source")

    def action(request_id: str) -> dict:
        check_corner(db, corner_id)
        row = db.execute("SELECT name FROM goods WHERE id = ?", [goods_id]).fetchone()
        if row is None:
            raise CornerError("goods_unknown", goods=goods_id)
        on_hand = add_stock_entry(
            db,
            corner_id=corner_id,
            goods_id=goods_id,
            delta=quantity,
            kind="restock",
            source=source,
            note=note,
            actor=actor,
            request_id=request_id,
        )
        return {"goods_id": goods_id, "name": row[0], "delta": quantity, "on_hand": on_hand}

    params = {
        "goods_id": goods_id,
        "quantity": quantity,
        "source": source,
        "note": note,
        "corner": corner_id,
    }
    return StockChange(
        **once(
            db,
            request_id=request_id,
            kind="restock",
            params=params,
            action=action,
            actor=actor,
            target=f"goods:{goods_id}",
        )
    )


def _counted(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise CornerError("invalid_request", field=field)
    return value


def _on_hand(db: Store, corner_id: int, goods_id: int) -> int | None:
    """The stored count, or None when the good is unknown (0 when it never had stock here)."""
    if not db.execute("SELECT 1 FROM goods WHERE id = ?", [goods_id]).fetchone():
        return None
    row = db.execute(
        "SELECT on_hand FROM stock WHERE corner_id = ? AND goods_id = ?", [corner_id, goods_id]
    ).fetchone()
    return row[0] if row else 0


def correct_stock(
    db: Store,
    *,
    goods_id: int,
    counted: int,
    note: str,
    request_id: str,
    actor: str,
    corner_id: int = DEFAULT_CORNER,
) -> dict:
    """Record a stock count: a correction row of the difference (none when the count agrees)."""
    goods_id = positive_int(goods_id, "goods_id")
    counted = _counted(counted, "counted")
    note = trimmed_text(note, "note", max_length=MAX_REASON)

    def before() -> dict | None:
        on_hand = _on_hand(db, corner_id, goods_id)
        return None if on_hand is None else {"on_hand": on_hand}

    def action(request_id: str) -> dict:
        on_hand = _on_hand(db, corner_id, goods_id)
        if on_hand is None:
            raise CornerError("goods_unknown", goods=goods_id)
        difference = counted - on_hand
        if difference:
            add_stock_entry(
                db,
                corner_id=corner_id,
                goods_id=goods_id,
                delta=difference,
                kind="correction",
                note=note,
                actor=actor,
                request_id=request_id,
            )
        return {"goods_id": goods_id, "delta": difference, "on_hand": counted}

    return once(
        db,
        request_id=request_id,
        kind="correct_stock",
        params={"goods_id": goods_id, "counted": counted, "note": note, "corner": corner_id},
        action=action,
        actor=actor,
        target=f"goods:{goods_id}",
        before=before,
    )


def set_low_threshold(
    db: Store,
    *,
    goods_id: int,
    threshold: int,
    request_id: str,
    actor: str,
    corner_id: int = DEFAULT_CORNER,
) -> dict:
    """Set the count at or below which a good shows on the low-stock list (0: never)."""
    goods_id = positive_int(goods_id, "goods_id")
    threshold = _counted(threshold, "threshold")

    def action(_request_id: str) -> dict:
        if _on_hand(db, corner_id, goods_id) is None:
            raise CornerError("goods_unknown", goods=goods_id)
        db.execute(
            "INSERT INTO stock (corner_id, goods_id, on_hand, low_threshold) VALUES (?, ?, 0, ?)"
            " ON CONFLICT (corner_id, goods_id)"
            " DO UPDATE SET low_threshold = excluded.low_threshold",
            [corner_id, goods_id, threshold],
        )
        return {"goods_id": goods_id, "threshold": threshold}

    return once(
        db,
        request_id=request_id,
        kind="set_low_threshold",
        params={"goods_id": goods_id, "threshold": threshold, "corner": corner_id},
        action=action,
        actor=actor,
        target=f"goods:{goods_id}",
    )


def low_stock(db: Store, *, corner_id: int = DEFAULT_CORNER) -> list[LowStock]:
    """Active goods at or below their threshold at a corner, the emptiest first."""
    rows = db.execute(
        "SELECT g.id, g.name, s.on_hand, s.low_threshold FROM stock s"
        " JOIN goods g ON g.id = s.goods_id"
        " WHERE s.corner_id = ? AND g.active = 1 AND s.low_threshold > 0"
        " AND s.on_hand <= s.low_threshold ORDER BY s.on_hand, g.name",
        [corner_id],
    )
    return [LowStock(*row) for row in rows]


@dataclass(frozen=True)
class StockEntry:
    id: int
    created: str
    delta: int
    kind: str
    source: str | None
    note: str | None
    actor: str
    redemption_id: int | None


def stock_history(
    db: Store, *, goods_id: int, corner_id: int = DEFAULT_CORNER, limit: int = 20
) -> list[StockEntry]:
    """The latest rows of a good's stock ledger at a corner, newest first."""
    rows = db.execute(
        "SELECT id, created, delta, kind, source, note, actor, redemption_id FROM stock_entries"
        " WHERE corner_id = ? AND goods_id = ? ORDER BY id DESC LIMIT ?",
        [corner_id, goods_id, max(1, min(limit, 1000))],
    )
    return [StockEntry(*row) for row in rows]
