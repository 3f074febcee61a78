"""Settlement (结算): each member's quarter from the ledger, ranks, stars, branch totals.

Per member: the balance at the start of the quarter, earned, deducted, redeemed, reversals, the
balance at the end; the quarter's points (earned − deducted); the year's points so far and the
points since joining. A posted or locked quarter's settlement is stored (``store_settlement``)
and read back as it was; an open one or one under review is computed live from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.db import Store
from points.periods import check_quarter, quarter_bounds
from points.stars import star_thresholds, stars_for


@dataclass(frozen=True)
class MemberQuarter:
    member_id: int
    number: str
    name: str
    branch_id: int | None
    branch: str | None
    community: str | None
    opening: int
    earned: int
    deducted: int
    redeemed: int
    reversed: int
    closing: int
    year_points: int
    cumulative: int
    stars: int
    rank: int = 0  # in the branch, by the quarter's points; ties share a rank (1, 1, 3)

    @property
    def quarter_points(self) -> int:
        return self.earned - self.deducted


@dataclass(frozen=True)
class BranchTotals:
    branch_id: int | None
    branch: str | None
    community: str | None
    members: int
    earned: int
    deducted: int
    redeemed: int
    quarter_points: int
    average: float  # quarter points a member


_LEDGER = """
SELECT m.id,
  coalesce(sum(CASE WHEN e.quarter < :q THEN e.delta END), 0),
  coalesce(sum(CASE WHEN e.quarter = :q AND e.kind = 'award' THEN e.delta END), 0),
  coalesce(-sum(CASE WHEN e.quarter = :q AND e.kind = 'deduction' THEN e.delta END), 0),
  coalesce(-sum(CASE WHEN e.quarter = :q AND e.kind = 'redemption' THEN e.delta END), 0),
  coalesce(sum(CASE WHEN e.quarter = :q AND e.kind = 'reversal' THEN e.delta END), 0),
  coalesce(sum(CASE WHEN e.quarter >= :year AND e.kind IN ('award', 'deduction')
                    THEN e.delta END), 0),
  coalesce(sum(CASE WHEN e.kind IN ('award', 'deduction') THEN e.delta END), 0),
  max(e.quarter = :q)
FROM members m LEFT JOIN points_entries e ON e.member_id = m.id AND e.quarter <= :q
WHERE m.joined < :after {branch}
GROUP BY m.id
"""

_MEMBERS = """
SELECT m.id, m.number, m.name, m.status, m.branch_id, b.name, c.name
FROM members m LEFT JOIN branches b ON b.id = m.branch_id
LEFT JOIN communities c ON c.id = b.community_id
"""


def compute_settlement(
    db: Store, quarter: str, *, branch_id: int | None = None
) -> list[MemberQuarter]:
    """Every member's quarter from the ledger (of one branch, or all): members who joined by
    its end and are active, or who have a row in it; by branch, then rank."""
    first, last = quarter_bounds(quarter)
    after = last.isoformat() + "T99"  # every timestamp of the last day sorts before this
    where = "" if branch_id is None else "AND m.branch_id = :branch"
    ledger = db.execute(
        _LEDGER.format(branch=where),
        {"q": quarter, "year": f"{first.year}Q1", "after": after, "branch": branch_id},
    ).fetchall()
    members = {
        row[0]: row
        for row in db.execute(
            _MEMBERS + ("" if branch_id is None else " WHERE m.branch_id = ?"),
            [] if branch_id is None else [branch_id],
        )
    }
    thresholds = star_thresholds(db, quarter)
    lines = []
    for member_id, opening, earned, deducted, redeemed, reversed_, year, total, in_q in ledger:
        _id, number, name, status, branch_id, branch, community = members[member_id]
        if status != "active" and not in_q:
            continue
        closing = opening + earned - deducted - redeemed + reversed_
        stars = stars_for(earned - deducted, thresholds)
        lines.append(
            MemberQuarter(
                member_id,
                number,
                name,
                branch_id,
                branch,
                community,
                opening,
                earned,
                deducted,
                redeemed,
                reversed_,
                closing,
                year,
                total,
                stars,
            )  # fmt: skip
        )
    return ranked(lines)


def ranked(lines: list[MemberQuarter]) -> list[MemberQuarter]:
    """Rank each branch by the quarter's points, ties sharing a rank (1, 1, 3)."""
    ordered = sorted(
        lines, key=lambda line: (line.branch_id or 0, -line.quarter_points, line.number)
    )
    result, previous, rank = [], None, 0
    for position, line in enumerate(ordered):
        if previous is None or line.branch_id != previous.branch_id:
            start, rank = position, 1
        elif line.quarter_points != previous.quarter_points:
            rank = position - start + 1
        result.append(_with_rank(line, rank))
        previous = line
    return result


def ranked_together(lines: list[MemberQuarter]) -> list[MemberQuarter]:
    """Rank members of several branches as one (a community's board), ties sharing a rank."""
    ordered = sorted(lines, key=lambda line: (-line.quarter_points, line.number))
    result, rank = [], 0
    for position, line in enumerate(ordered):
        if position == 0 or line.quarter_points != ordered[position - 1].quarter_points:
            rank = position + 1
        result.append(_with_rank(line, rank))
    return result


def _with_rank(line: MemberQuarter, rank: int) -> MemberQuarter:
    values = {**line.__dict__, "rank": rank}
    return MemberQuarter(**values)


_STORED_COLUMNS = (
    "opening, earned, deducted, redeemed, reversed, closing, year_points, cumulative, stars"
)


def store_settlement(db: Store, quarter: str) -> list[MemberQuarter]:
    """Store the quarter's settlement and its star thresholds; inside a write only.

    A locked quarter's rows cannot be replaced: the database refuses (``quarter_locked``).
    """
    lines = compute_settlement(db, quarter)
    db.execute("INSERT OR IGNORE INTO quarters (quarter) VALUES (?)", [quarter])
    thresholds = star_thresholds(db, quarter)
    db.execute(
        "UPDATE quarters SET star1 = ?, star2 = ?, star3 = ?, star4 = ?, star5 = ?"
        " WHERE quarter = ? AND star1 IS NULL",
        [*thresholds, quarter],
    )
    db.execute("DELETE FROM settlements WHERE quarter = ?", [quarter])
    db.executemany(
        f"INSERT INTO settlements (quarter, member_id, branch_id, {_STORED_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                quarter,
                line.member_id,
                line.branch_id,
                line.opening,
                line.earned,
                line.deducted,
                line.redeemed,
                line.reversed,
                line.closing,
                line.year_points,
                line.cumulative,
                line.stars,
            )  # fmt: skip
            for line in lines
        ],
    )
    return lines


def stored_settlement(
    db: Store, quarter: str, *, branch_id: int | None = None
) -> list[MemberQuarter] | None:
    """The settlement stored at posting (or at the lock), or None when there is none."""
    posted = db.execute(
        "SELECT 1 FROM quarters WHERE quarter = ? AND status IN ('posted', 'locked')", [quarter]
    ).fetchone()
    if not posted:
        return None
    where = "" if branch_id is None else " AND s.branch_id = ?"
    rows = db.execute(
        f"SELECT s.member_id, m.number, m.name, s.branch_id, b.name, c.name, {_STORED_COLUMNS}"
        " FROM settlements s JOIN members m ON m.id = s.member_id"
        " LEFT JOIN branches b ON b.id = s.branch_id"
        " LEFT JOIN communities c ON c.id = b.community_id WHERE s.quarter = ?" + where,
        [quarter] if branch_id is None else [quarter, branch_id],
    ).fetchall()
    return ranked([MemberQuarter(*row) for row in rows])


def settlement(db: Store, quarter: str, *, branch_id: int | None = None) -> list[MemberQuarter]:
    """The quarter's settlement (one branch's, or all): as stored once posted, else live."""
    quarter = check_quarter(quarter)
    stored = stored_settlement(db, quarter, branch_id=branch_id)
    if stored is not None:
        return stored
    return compute_settlement(db, quarter, branch_id=branch_id)


def branch_totals(lines: list[MemberQuarter]) -> list[BranchTotals]:
    """Totals and the average quarter points per branch."""
    groups: dict[int | None, list[MemberQuarter]] = {}
    for line in lines:
        groups.setdefault(line.branch_id, []).append(line)
    totals = []
    for branch_id, members in groups.items():
        points = sum(line.quarter_points for line in members)
        totals.append(
            BranchTotals(
                branch_id,
                members[0].branch,
                members[0].community,
                len(members),
                sum(line.earned for line in members),
                sum(line.deducted for line in members),
                sum(line.redeemed for line in members),
                points,
                round(points / len(members), 2),
            )
        )
    return totals


def settlement_problems(db: Store) -> list[str]:
    """Locked quarters whose stored settlement differs from the ledger (for ``corner check``)."""
    problems = []
    for (quarter,) in db.execute("SELECT quarter FROM quarters WHERE status = 'locked'"):
        stored = {line.member_id: line for line in stored_settlement(db, quarter) or []}
        computed = {line.member_id: line for line in compute_settlement(db, quarter)}
        for member_id in sorted(stored.keys() | computed.keys()):
            if stored.get(member_id) != computed.get(member_id):
                problems.append(f"quarter {quarter}: member {member_id} differs from the ledger")
    return problems


def points_by_quarter(
    db: Store, quarters: list[str], *, branch_id: int | None = None
) -> dict[str, int]:
    """Points earned less deducted in each of ``quarters`` (of one branch, or everyone)."""
    if not quarters:
        return {}
    join = " JOIN members m ON m.id = e.member_id AND m.branch_id = ?" if branch_id else ""
    rows = db.execute(
        "SELECT e.quarter, sum(e.delta) FROM points_entries e" + join + " WHERE e.quarter IN"
        f" ({', '.join('?' * len(quarters))}) AND e.kind IN ('award', 'deduction')"
        " GROUP BY e.quarter",
        [*([branch_id] if branch_id else []), *quarters],
    )
    found = dict(rows.fetchall())
    return {quarter: found.get(quarter, 0) for quarter in quarters}
