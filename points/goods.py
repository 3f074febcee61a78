"""Goods, their point prices, and stock held per corner as a ledger with cached on-hand counts."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from points.clock import timestamp
from points.errors import CornerError
from points.requests import once
from points.validate import positive_int

DEFAULT_CORNER = 1
RESTOCK_SOURCES = ("purchase", "donation", "other")
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class Goods:
    id: int
    name: str
    points: int
    stock: int
    picture: str | None
    category: str | None
    active: bool


@dataclass(frozen=True)
class StockChange:
    goods_id: int
    name: str
    delta: int
    on_hand: int


def _check_corner(db: sqlite_utils.Database, corner_id: int) -> None:
    if not db.execute("SELECT 1 FROM corners WHERE id = ?", [corner_id]).fetchone():
        raise CornerError("corner_unknown", corner=corner_id)


_GOODS_SQL = """
SELECT g.id, g.name, g.points, coalesce(s.on_hand, 0), g.picture, g.category, g.active
FROM goods g LEFT JOIN stock s ON s.goods_id = g.id AND s.corner_id = ?
"""


def catalog(db: sqlite_utils.Database, *, corner_id: int = DEFAULT_CORNER) -> list[Goods]:
    """The active goods of a corner with their stock there, cheapest first."""
    rows = db.execute(_GOODS_SQL + " WHERE g.active = 1 ORDER BY g.points, g.id", [corner_id])
    return [Goods(*row[:6], bool(row[6])) for row in rows]


def find_goods(
    db: sqlite_utils.Database, reference: str | int, *, corner_id: int = DEFAULT_CORNER
) -> Goods:
    """A good by id (digits) or by exact name, or ``goods_unknown``."""
    text = str(reference).strip()
    if text.isdigit() and len(text) <= 18:
        row = db.execute(_GOODS_SQL + " WHERE g.id = ?", [corner_id, int(text)]).fetchone()
    else:
        row = db.execute(_GOODS_SQL + " WHERE g.name = ?", [corner_id, text]).fetchone()
    if row is None:
        raise CornerError("goods_unknown", goods=text)
    return Goods(*row[:6], bool(row[6]))


def add_stock_entry(
    db: sqlite_utils.Database,
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
    db.execute(
        "INSERT INTO stock_entries (corner_id, goods_id, delta, kind, source, note, actor,"
        " redemption_id, request_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            corner_id,
            goods_id,
            delta,
            kind,
            source,
            note,
            actor,
            redemption_id,
            request_id,
            timestamp(),
        ],
    )
    return on_hand


def add_goods(
    db: sqlite_utils.Database,
    *,
    name: str,
    points: int,
    request_id: str,
    actor: str,
    stock: int = 0,
    picture: str | None = None,
    category: str | None = None,
    corner_id: int = DEFAULT_CORNER,
) -> Goods:
    """Add a good to the catalogue, with its opening stock at one corner as a restock row."""
    name = str(name or "").strip()
    if not name or len(name) > 40:
        raise CornerError("invalid_request", field="name")
    points = positive_int(points, "points", limit=10_000)
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_QUANTITY:
        raise CornerError("invalid_request", field="stock")

    def action(request_id: str) -> dict:
        _check_corner(db, corner_id)
        if db.execute("SELECT 1 FROM goods WHERE name = ?", [name]).fetchone():
            raise CornerError("goods_exists", name=name)
        goods_id = db.execute(
            "INSERT INTO goods (name, points, picture, category, created) VALUES (?, ?, ?, ?, ?)",
            [name, points, picture, category, timestamp()],
        ).lastrowid
        if stock:
            add_stock_entry(
                db,
                corner_id=corner_id,
                goods_id=goods_id,
                delta=stock,
                kind="restock",
                source="other",
                note="opening stock",
                actor=actor,
                request_id=request_id,
            )
        return {"id": goods_id}

    params = {
        "name": name,
        "points": points,
        "stock": stock,
        "picture": picture,
        "category": category,
        "corner": corner_id,
    }
    result = once(
        db,
        request_id=request_id,
        kind="add_goods",
        params=params,
        action=action,
        actor=actor,
        target=lambda result: f"goods:{result['id']}",
    )
    return find_goods(db, result["id"], corner_id=corner_id)


def restock(
    db: sqlite_utils.Database,
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
    if source not in RESTOCK_SOURCES:
        raise CornerError("invalid_request", field="source")

    def action(request_id: str) -> dict:
        _check_corner(db, corner_id)
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
