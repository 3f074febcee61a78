"""What staff look at: the redemptions list, one redemption's detail, the dashboard's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from points.clock import now
from points.corners import DEFAULT_CORNER
from points.db import Store
from points.errors import CornerError
from points.stock import LowStock, low_stock


@dataclass(frozen=True)
class RedemptionRow:
    id: int
    created: str
    member_number: str
    member_name: str
    points: int
    goods: str
    reversed: bool


@dataclass(frozen=True)
class RedemptionDetail:
    id: int
    created: str
    member_number: str
    member_name: str
    corner: str
    points: int
    lines: tuple[tuple[str, int, int], ...]  # (goods name, quantity, points each)
    reversed_at: str | None
    reversed_by: str | None
    reversal_reason: str | None


@dataclass(frozen=True)
class Dashboard:
    today_count: int
    today_points: int
    months: tuple[tuple[str, int, int], ...]  # (YYYY-MM, points awarded, points redeemed)
    top_goods: tuple[tuple[str, int], ...]  # (name, quantity) in the last 90 days
    low_stock: tuple[LowStock, ...]


def list_redemptions(
    db: Store,
    *,
    member: str | None = None,
    since: str | None = None,
    until: str | None = None,
    corner_id: int | None = None,
    limit: int = 200,
) -> list[RedemptionRow]:
    """Redemptions, newest first, filtered by member number or name, date range and corner."""
    where, params = [], []
    if member:
        where.append("(m.number = upper(?) OR m.name LIKE ?)")
        params += [member.strip(), f"%{member.strip()}%"]
    if since:
        where.append("r.created >= ?")
        params.append(since)
    if until:
        where.append("substr(r.created, 1, 10) <= ?")
        params.append(until)
    if corner_id is not None:
        where.append("r.corner_id = ?")
        params.append(corner_id)
    rows = db.execute(
        "SELECT r.id, r.created, m.number, m.name, r.points,"
        " (SELECT group_concat(g.name || ' ×' || l.quantity, ', ') FROM redemption_lines l"
        "  JOIN goods g ON g.id = l.goods_id WHERE l.redemption_id = r.id),"
        " EXISTS (SELECT 1 FROM reversals v WHERE v.redemption_id = r.id)"
        " FROM redemptions r JOIN members m ON m.id = r.member_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY r.id DESC LIMIT ?",
        [*params, max(1, min(limit, 5000))],
    ).fetchall()
    return [RedemptionRow(*row[:6], bool(row[6])) for row in rows]


def redemption_detail(db: Store, redemption_id: int) -> RedemptionDetail:
    """One redemption with its lines and, if reversed, when, by whom and why."""
    row = db.execute(
        "SELECT r.id, r.created, m.number, m.name, c.name, r.points,"
        " v.created, v.actor, v.reason FROM redemptions r"
        " JOIN members m ON m.id = r.member_id JOIN corners c ON c.id = r.corner_id"
        " LEFT JOIN reversals v ON v.redemption_id = r.id WHERE r.id = ?",
        [redemption_id],
    ).fetchone()
    if row is None:
        raise CornerError("redemption_unknown", redemption=redemption_id)
    lines = db.execute(
        "SELECT g.name, l.quantity, l.points_each FROM redemption_lines l"
        " JOIN goods g ON g.id = l.goods_id WHERE l.redemption_id = ? ORDER BY g.name",
        [redemption_id],
    ).fetchall()
    return RedemptionDetail(*row[:6], tuple(tuple(line) for line in lines), *row[6:])


def dashboard(db: Store, *, corner_id: int = DEFAULT_CORNER) -> Dashboard:
    """Today's redemptions, awarded against redeemed points by month, top goods, low stock."""
    moment = now()
    today = moment.date().isoformat()
    # read from the corner's clock, not SQLite's date('now'), which is UTC and cannot be set
    since = (moment - timedelta(days=90)).date().isoformat()
    count, points = db.execute(
        "SELECT count(*), coalesce(sum(points), 0) FROM redemptions r"
        " WHERE substr(created, 1, 10) = ?"
        " AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.redemption_id = r.id)",
        [today],
    ).fetchone()
    months = db.execute(
        "SELECT substr(created, 1, 7) AS month,"
        " coalesce(sum(CASE WHEN kind = 'award' THEN delta END), 0),"
        " -coalesce(sum(CASE WHEN kind IN ('redemption', 'reversal') THEN delta END), 0)"
        " FROM points_entries GROUP BY month ORDER BY month DESC LIMIT 12"
    ).fetchall()
    top = db.execute(
        "SELECT g.name, sum(l.quantity) AS quantity FROM redemption_lines l"
        " JOIN redemptions r ON r.id = l.redemption_id JOIN goods g ON g.id = l.goods_id"
        " WHERE r.created >= ?"
        " AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.redemption_id = r.id)"
        " GROUP BY g.id ORDER BY quantity DESC, g.name LIMIT 5",
        [since],
    ).fetchall()
    return Dashboard(
        count,
        points,
        tuple(reversed([tuple(row) for row in months])),
        tuple(tuple(row) for row in top),
        tuple(low_stock(db, corner_id=corner_id)),
    )
