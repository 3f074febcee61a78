"""Point standards (activity categories) and volunteer activities: create, open, close.

Checking in and out lives in ``points.checkins``, approvals and deductions in
``points.activity_awards``, and every scan's record in ``points.scan_log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.validate import positive_int, trimmed_text

MAX_STANDARD_POINTS = 100  # a point standard's, and so an activity's, points
MAX_CATEGORY_NAME = 40
MAX_TITLE = 100
MAX_PLACE = 100
MAX_CAPACITY = 100_000
AWARD_MODES = ("on_checkin", "on_close")


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    points: int
    kind: str  # 'award' or 'deduction'
    active: bool


@dataclass(frozen=True)
class Activity:
    id: int
    title: str
    category_id: int
    category: str
    starts: str
    place: str | None
    points: int
    capacity: int | None
    award_mode: str
    status: str
    created_by: str
    checked_in: int  # check-ins not removed
    pending: int


# ---- categories -------------------------------------------------------------------------------

_CATEGORY_SQL = "SELECT id, name, points, kind, active FROM activity_categories"


def _category(row: tuple) -> Category:
    return Category(row[0], row[1], row[2], row[3], bool(row[4]))


def list_categories(
    db: Store, *, kind: str | None = None, include_inactive: bool = False
) -> list[Category]:
    """The point standards, awards first, then by name; optionally of one kind only."""
    where, params = [], []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if not include_inactive:
        where.append("active = 1")
    sql = _CATEGORY_SQL + (" WHERE " + " AND ".join(where) if where else "")
    rows = db.execute(sql + " ORDER BY kind = 'deduction', id", params)
    return [_category(row) for row in rows]


def get_category(db: Store, category_id: int) -> Category:
    """The category with this id, or ``category_unknown``."""
    row = db.execute(_CATEGORY_SQL + " WHERE id = ?", [category_id]).fetchone()
    if row is None:
        raise CornerError("category_unknown", category=category_id)
    return _category(row)


def add_category(
    db: Store,
    *,
    name: str,
    points: int,
    kind: str = "award",
    request_id: str,
    actor: str,
) -> Category:
    """Add a point standard (an activity category or a deduction reason)."""
    name = trimmed_text(name, "name", max_length=MAX_CATEGORY_NAME)
    points = positive_int(points, "points", limit=MAX_STANDARD_POINTS)
    if kind not in ("award", "deduction"):
        raise CornerError("invalid_request", field="kind")

    def action(_request_id: str) -> dict:
        if db.execute("SELECT 1 FROM activity_categories WHERE name = ?", [name]).fetchone():
            raise CornerError("category_exists", name=name)
        cursor = db.execute(
            "INSERT INTO activity_categories (name, points, kind) VALUES (?, ?, ?)",
            [name, points, kind],
        )
        return {"id": cursor.lastrowid}

    outcome = once(
        db,
        request_id=request_id,
        kind="add_category",
        params={"name": name, "points": points, "kind": kind},
        action=action,
        actor=actor,
        target=lambda result: f"category:{result['id']}",
    )
    return get_category(db, outcome["id"])


def edit_category(
    db: Store,
    *,
    category_id: int,
    points: int,
    active: bool = True,
    request_id: str,
    actor: str,
) -> Category:
    """Change a standard's points (or retire it); activities already created keep theirs."""
    category_id = positive_int(category_id, "category")
    points = positive_int(points, "points", limit=MAX_STANDARD_POINTS)

    def current() -> dict:
        category = get_category(db, category_id)
        return {"points": category.points, "active": category.active}

    def action(_request_id: str) -> dict:
        db.execute(
            "UPDATE activity_categories SET points = ?, active = ? WHERE id = ?",
            [points, int(bool(active)), category_id],
        )
        return current()

    once(
        db,
        request_id=request_id,
        kind="edit_category",
        params={"category": category_id, "points": points, "active": bool(active)},
        action=action,
        actor=actor,
        target=f"category:{category_id}",
        before=current,
    )
    return get_category(db, category_id)


# ---- activities -------------------------------------------------------------------------------

_ACTIVITY_SQL = """
SELECT a.id, a.title, a.category_id, c.name, a.starts, a.place, a.points, a.capacity,
       a.award_mode, a.status, a.created_by,
       (SELECT count(*) FROM checkins k WHERE k.activity_id = a.id AND k.status <> 'removed'),
       (SELECT count(*) FROM checkins k WHERE k.activity_id = a.id AND k.status = 'pending')
FROM activities a JOIN activity_categories c ON c.id = a.category_id
"""


def get_activity(db: Store, activity_id: int) -> Activity:
    """The activity with this id and its running counts, or ``activity_unknown``."""
    row = db.execute(_ACTIVITY_SQL + " WHERE a.id = ?", [activity_id]).fetchone()
    if row is None:
        raise CornerError("activity_unknown", activity=activity_id)
    return Activity(*row)


def list_activities(db: Store, *, status: str | None = None) -> list[Activity]:
    """Activities, latest start first; optionally only those with one status."""
    if status is None:
        rows = db.execute(_ACTIVITY_SQL + " ORDER BY a.starts DESC, a.id DESC")
    else:
        rows = db.execute(
            _ACTIVITY_SQL + " WHERE a.status = ? ORDER BY a.starts DESC, a.id DESC", [status]
        )
    return [Activity(*row) for row in rows]


def create_activity(
    db: Store,
    *,
    title: str,
    category_id: int,
    starts: str,
    request_id: str,
    actor: str,
    place: str | None = None,
    points: int | None = None,
    capacity: int | None = None,
    award_mode: str = "on_checkin",
) -> Activity:
    """Plan an activity; its points are the category's standard unless given."""
    title = trimmed_text(title, "title", max_length=MAX_TITLE)
    place = trimmed_text(place, "place", max_length=MAX_PLACE, required=False)
    category_id = positive_int(category_id, "category")
    try:
        starts = datetime.fromisoformat(str(starts)).isoformat(timespec="minutes")
    except ValueError:
        raise CornerError("invalid_request", field="starts") from None
    if points is not None:
        points = positive_int(points, "points", limit=MAX_STANDARD_POINTS)
    if capacity is not None:
        capacity = positive_int(capacity, "capacity", limit=MAX_CAPACITY)
    if award_mode not in AWARD_MODES:
        raise CornerError("invalid_request", field="award_mode")

    def action(_request_id: str) -> dict:
        category = get_category(db, category_id)
        if category.kind != "award" or not category.active:
            raise CornerError("category_unknown", category=category_id)
        cursor = db.execute(
            "INSERT INTO activities (title, category_id, starts, place, points, capacity,"
            " award_mode, created_by, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                title,
                category_id,
                starts,
                place,
                points if points is not None else category.points,
                capacity,
                award_mode,
                actor,
                timestamp(),
            ],
        )
        return {"id": cursor.lastrowid}

    params = {
        "title": title,
        "category": category_id,
        "starts": starts,
        "place": place,
        "points": points,
        "capacity": capacity,
        "award_mode": award_mode,
    }
    outcome = once(
        db,
        request_id=request_id,
        kind="create_activity",
        params=params,
        action=action,
        actor=actor,
        target=lambda result: f"activity:{result['id']}",
    )
    return get_activity(db, outcome["id"])


def _set_status(
    db: Store,
    *,
    activity_id: int,
    status: str,
    kind: str,
    allowed_from: tuple[str, ...],
    request_id: str,
    actor: str,
) -> Activity:
    activity_id = positive_int(activity_id, "activity")

    def action(_request_id: str) -> dict:
        current = get_activity(db, activity_id).status
        if current == status:
            return {"status": status}  # opening an open activity is no error
        if current not in allowed_from:
            raise CornerError("activity_closed", activity=activity_id)
        db.execute(
            "UPDATE activities SET status = ?, closed = ? WHERE id = ?",
            [status, timestamp() if status == "closed" else None, activity_id],
        )
        return {"status": status}

    once(
        db,
        request_id=request_id,
        kind=kind,
        params={"activity": activity_id},
        action=action,
        actor=actor,
        target=f"activity:{activity_id}",
        before=lambda: {"status": get_activity(db, activity_id).status},
    )
    return get_activity(db, activity_id)


def open_activity(db: Store, *, activity_id: int, request_id: str, actor: str) -> Activity:
    """Open a planned activity for check-in; a closed one stays closed."""
    return _set_status(
        db,
        activity_id=activity_id,
        status="open",
        kind="open_activity",
        allowed_from=("planned",),
        request_id=request_id,
        actor=actor,
    )


def close_activity(db: Store, *, activity_id: int, request_id: str, actor: str) -> Activity:
    """End check-in; in 'on_close' mode the check-ins stay pending until approved."""
    return _set_status(
        db,
        activity_id=activity_id,
        status="closed",
        kind="close_activity",
        allowed_from=("planned", "open"),
        request_id=request_id,
        actor=actor,
    )
