"""The goods catalogue: names, point prices, categories, pictures; each shown with its stock."""

from __future__ import annotations

import re
from dataclasses import dataclass

from points.clock import timestamp
from points.corners import DEFAULT_CORNER, check_corner
from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.stock import MAX_QUANTITY, add_stock_entry
from points.validate import positive_int, trimmed_text

MAX_POINTS = 10_000  # a good's price
MAX_GOODS_NAME = 40
MAX_GOODS_CATEGORY = 20
MAX_PICTURE_NAME = 100  # a stored picture's file name, made by the web layer
_PICTURE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_PICTURE_NAME - 1}}}")


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
class GoodsDetail:
    """A good as staff see it: inactive ones too, with its rules and its stock at one corner."""

    id: int
    name: str
    points: int
    category: str | None
    active: bool
    picture: str | None
    stock: int
    low_threshold: int
    limit_quantity: int | None
    limit_period: str | None

    @property
    def low(self) -> bool:
        return self.active and self.low_threshold > 0 and self.stock <= self.low_threshold


def _goods_name(name: object) -> str:
    return trimmed_text(name, "name", max_length=MAX_GOODS_NAME)


def _category(category: object) -> str | None:
    """A category is optional free text (食品, 日用品 ...); blank means none."""
    return trimmed_text(category, "category", max_length=MAX_GOODS_CATEGORY, required=False)


def _picture_name(picture: object) -> str | None:
    """A stored picture's file name (made by store_picture), never a path."""
    if picture is None:
        return None
    text = str(picture)
    if not _PICTURE_NAME.fullmatch(text) or ".." in text:
        raise CornerError("invalid_request", field="picture")
    return text


_GOODS_SQL = """
SELECT g.id, g.name, g.points, coalesce(s.on_hand, 0), g.picture, g.category, g.active
FROM goods g LEFT JOIN stock s ON s.goods_id = g.id AND s.corner_id = ?
"""


def catalog(db: Store, *, corner_id: int = DEFAULT_CORNER) -> list[Goods]:
    """The active goods of a corner with their stock there, cheapest first."""
    rows = db.execute(_GOODS_SQL + " WHERE g.active = 1 ORDER BY g.points, g.id", [corner_id])
    return [Goods(*row[:6], bool(row[6])) for row in rows]


def find_goods(db: Store, reference: str | int, *, corner_id: int = DEFAULT_CORNER) -> Goods:
    """A good by id (digits) or by exact name, or ``goods_unknown``."""
    text = str(reference).strip()
    if text.isdigit() and len(text) <= 18:
        row = db.execute(_GOODS_SQL + " WHERE g.id = ?", [corner_id, int(text)]).fetchone()
    else:
        row = db.execute(_GOODS_SQL + " WHERE g.name = ?", [corner_id, text]).fetchone()
    if row is None:
        raise CornerError("goods_unknown", goods=text)
    return Goods(*row[:6], bool(row[6]))


def add_goods(
    db: Store,
    *,
    name: str,
    points: int,
    request_id: str,
    actor: str,
    stock: int = 0,
    picture: str | None = None,
    category: str | None = None,
    corner_id: int = DEFAULT_CORNER,
    active: bool = True,
) -> Goods:
    """Add a good to the catalogue, with its opening stock at one corner as a restock row."""
    name = _goods_name(name)
    points = positive_int(points, "points", limit=MAX_POINTS)
    category = _category(category)
    picture = _picture_name(picture)
    if not isinstance(active, bool):
        raise CornerError("invalid_request", field="active")
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_QUANTITY:
        raise CornerError("invalid_request", field="stock")

    def action(request_id: str) -> dict:
        check_corner(db, corner_id)
        if db.execute("SELECT 1 FROM goods WHERE name = ?", [name]).fetchone():
            raise CornerError("goods_exists", name=name)
        goods_id = db.execute(
            "INSERT INTO goods (name, points, picture, category, active, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [name, points, picture, category, int(active), timestamp()],
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
    if not active:  # only then: a repeat of a request made before this flag still matches
        params["active"] = False
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


_DETAIL_SQL = """
SELECT g.id, g.name, g.points, g.category, g.active, g.picture, coalesce(s.on_hand, 0),
       coalesce(s.low_threshold, 0), g.limit_quantity, g.limit_period
FROM goods g LEFT JOIN stock s ON s.goods_id = g.id AND s.corner_id = ?
"""


def _detail(row: tuple) -> GoodsDetail:
    return GoodsDetail(*row[:4], bool(row[4]), *row[5:])


def list_goods(db: Store, *, corner_id: int = DEFAULT_CORNER) -> list[GoodsDetail]:
    """Every good, inactive ones last, with stock, threshold and limit at a corner."""
    rows = db.execute(_DETAIL_SQL + " ORDER BY g.active DESC, g.points, g.id", [corner_id])
    return [_detail(row) for row in rows]


def goods_detail(db: Store, goods_id: int, *, corner_id: int = DEFAULT_CORNER) -> GoodsDetail:
    """One good as staff see it, or ``goods_unknown``."""
    row = db.execute(_DETAIL_SQL + " WHERE g.id = ?", [corner_id, goods_id]).fetchone()
    if row is None:
        raise CornerError("goods_unknown", goods=goods_id)
    return _detail(row)


def _goods_record(db: Store, goods_id: int) -> dict | None:
    """A good's editable fields, as the audit trail shows them; inside a write."""
    row = db.execute(
        "SELECT name, points, category, active, picture FROM goods WHERE id = ?", [goods_id]
    ).fetchone()
    if row is None:
        return None
    return {
        "name": row[0],
        "points": row[1],
        "category": row[2],
        "active": bool(row[3]),
        "picture": row[4],
    }


def update_goods(
    db: Store,
    *,
    goods_id: int,
    name: str,
    points: int,
    category: str | None,
    active: bool,
    picture: str | None,
    request_id: str,
    actor: str,
) -> GoodsDetail:
    """Change a good's name, price, category, active flag and picture (None keeps the picture).

    A new price counts from the next redemption on; earlier redemptions keep the price they
    were made at (redemption_lines.points_each).
    """
    goods_id = positive_int(goods_id, "goods_id")
    name = _goods_name(name)
    points = positive_int(points, "points", limit=MAX_POINTS)
    category = _category(category)
    picture = _picture_name(picture)
    if not isinstance(active, bool):
        raise CornerError("invalid_request", field="active")

    def action(_request_id: str) -> dict:
        current = _goods_record(db, goods_id)
        if current is None:
            raise CornerError("goods_unknown", goods=goods_id)
        if db.execute(
            "SELECT 1 FROM goods WHERE name = ? AND id <> ?", [name, goods_id]
        ).fetchone():
            raise CornerError("goods_exists", name=name)
        db.execute(
            "UPDATE goods SET name = ?, points = ?, category = ?, active = ?,"
            " picture = coalesce(?, picture) WHERE id = ?",
            [name, points, category, int(active), picture, goods_id],
        )
        return {"goods_id": goods_id, **_goods_record(db, goods_id)}

    params = {
        "goods_id": goods_id,
        "name": name,
        "points": points,
        "category": category,
        "active": active,
        "picture": picture,
    }
    once(
        db,
        request_id=request_id,
        kind="update_goods",
        params=params,
        action=action,
        actor=actor,
        target=f"goods:{goods_id}",
        before=lambda: _goods_record(db, goods_id),
    )
    return goods_detail(db, goods_id)
