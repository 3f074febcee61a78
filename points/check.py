"""``corner check``: recompute balances and stock from the ledgers and compare with the cache.

Also: redemptions against their points and stock rows, reversals, check-in awards, the hash
chains of both ledgers (``points.chain``: the first row that breaks each, as ``corner verify``
names it), and SQLite's own integrity and foreign-key checks.
"""

from __future__ import annotations

from points.chain import chain_problems
from points.db import Store
from points.settlement import settlement_problems

# Each query returns the rows that are wrong, with a one-line description.
_CHECKS = {
    "balance": """
        SELECT 'member ' || m.number || ': stored balance ' || m.balance
               || ' but ledger sums to ' || coalesce(sum(e.delta), 0)
        FROM members m LEFT JOIN points_entries e ON e.member_id = m.id
        GROUP BY m.id HAVING m.balance <> coalesce(sum(e.delta), 0)""",
    "stock": """
        SELECT 'goods ' || s.goods_id || ' at corner ' || s.corner_id || ': stored stock '
               || s.on_hand || ' but ledger sums to ' || coalesce(sum(e.delta), 0)
        FROM stock s LEFT JOIN stock_entries e
             ON e.goods_id = s.goods_id AND e.corner_id = s.corner_id
        GROUP BY s.corner_id, s.goods_id HAVING s.on_hand <> coalesce(sum(e.delta), 0)""",
    "stock_without_count": """
        SELECT 'goods ' || e.goods_id || ' at corner ' || e.corner_id
               || ': stock ledger rows but no stored count'
        FROM stock_entries e LEFT JOIN stock s
             ON s.goods_id = e.goods_id AND s.corner_id = e.corner_id
        WHERE s.goods_id IS NULL GROUP BY e.corner_id, e.goods_id""",
    "negative": """
        SELECT 'member ' || number || ': negative balance ' || balance FROM members
        WHERE balance < 0
        UNION ALL
        SELECT 'goods ' || goods_id || ': negative stock ' || on_hand FROM stock
        WHERE on_hand < 0""",
    "redemption_lines": """
        SELECT 'redemption ' || r.id || ': points ' || r.points || ' but lines sum to '
               || coalesce(sum(l.quantity * l.points_each), 0)
        FROM redemptions r LEFT JOIN redemption_lines l ON l.redemption_id = r.id
        GROUP BY r.id HAVING r.points <> coalesce(sum(l.quantity * l.points_each), 0)""",
    "redemption_points": """
        SELECT 'redemption ' || r.id || ': points ' || r.points || ' but ledger debits '
               || coalesce(-sum(e.delta), 0)
        FROM redemptions r LEFT JOIN points_entries e
             ON e.redemption_id = r.id AND e.kind = 'redemption'
        GROUP BY r.id HAVING r.points <> coalesce(-sum(e.delta), 0)""",
    "redemption_stock": """
        SELECT 'redemption ' || l.redemption_id || ', goods ' || l.goods_id || ': quantity '
               || l.quantity || ' but stock ledger moved ' || coalesce(-sum(e.delta), 0)
        FROM redemption_lines l LEFT JOIN stock_entries e
             ON e.redemption_id = l.redemption_id AND e.goods_id = l.goods_id
             AND e.kind = 'redemption'
        GROUP BY l.redemption_id, l.goods_id HAVING l.quantity <> coalesce(-sum(e.delta), 0)""",
    "reversal_points": """
        SELECT 'reversal of redemption ' || v.redemption_id || ': points not given back'
        FROM reversals v JOIN redemptions r ON r.id = v.redemption_id
        LEFT JOIN points_entries e ON e.redemption_id = r.id AND e.kind = 'reversal'
        GROUP BY v.id HAVING coalesce(sum(e.delta), 0) <> r.points""",
    "checkin_awards": """
        SELECT 'check-in ' || k.id || ' (' || k.status || '): award entry '
               || coalesce(k.entry_id, 'none') || ' does not match'
        FROM checkins k LEFT JOIN points_entries e ON e.id = k.entry_id
        WHERE (k.status IN ('accepted', 'approved'))
              <> (e.id IS NOT NULL AND e.kind = 'award' AND e.member_id = k.member_id
                  AND e.activity_id IS k.activity_id)""",
}


def check(db: Store) -> list[str]:
    """Every inconsistency found, one line each; an empty list means the books agree."""
    problems = []
    for statement in _CHECKS.values():
        problems.extend(row[0] for row in db.execute(statement))
    problems.extend(settlement_problems(db))
    problems.extend(chain_problems(db))
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"database integrity: {integrity}")
    problems.extend(
        f"foreign key: {row[0]} row {row[1]} points to a missing {row[2]}"
        for row in db.execute("PRAGMA foreign_key_check")
    )
    return problems
