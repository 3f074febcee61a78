"""The audit trail: who did what to what, when, with the state before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass

from points.clock import timestamp
from points.db import Store


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor: str
    action: str
    target: str | None
    params: dict | None
    before: dict | None
    after: dict | None
    request_id: str | None
    created: str


def _dump(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def record(
    db: Store,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    params: dict | None = None,
    before: dict | None = None,
    after: dict | None = None,
    request_id: str | None = None,
) -> int:
    """Append an audit row; call inside the transaction of the change it describes."""
    return db.execute(
        "INSERT INTO audit (actor, action, target, params, before, after, request_id, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            actor,
            action,
            target,
            _dump(params),
            _dump(before),
            _dump(after),
            request_id,
            timestamp(),
        ],
    ).lastrowid


def list_audit(
    db: Store,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """Audit rows, newest first, narrowed by actor, action, target and dates (YYYY-MM-DD)."""
    where, values = [], []
    for column, value in (("actor", actor), ("action", action), ("target", target)):
        if value:
            where.append(f"{column} = ?")
            values.append(value)
    if since:
        where.append("created >= ?")
        values.append(since)
    if until:  # the whole last day: compare its date part
        where.append("substr(created, 1, 10) <= ?")
        values.append(until)
    sql = (
        "SELECT id, actor, action, target, params, before, after, request_id, created FROM audit"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY id DESC LIMIT ?"
    )
    rows = db.execute(sql, [*values, max(1, min(limit, 10_000))])
    return [
        AuditEntry(
            row[0],
            row[1],
            row[2],
            row[3],
            *(json.loads(text) if text else None for text in row[4:7]),
            row[7],
            row[8],
        )
        for row in rows
    ]


def audit_names(db: Store) -> tuple[list[str], list[str]]:
    """The actors and the actions that occur in the trail, for the filters' choices."""
    actors = [row[0] for row in db.execute("SELECT DISTINCT actor FROM audit ORDER BY actor")]
    actions = [row[0] for row in db.execute("SELECT DISTINCT action FROM audit ORDER BY action")]
    return actors, actions
