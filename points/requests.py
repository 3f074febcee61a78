"""Request ids: every state change carries one, and a repeat returns the first outcome."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from points.audit import record
from points.clock import timestamp
from points.db import Store, transaction
from points.errors import CornerError

MIN_REQUEST_ID, MAX_REQUEST_ID = 8, 100
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:-]{{{MIN_REQUEST_ID},{MAX_REQUEST_ID}}}")


def check_request_id(request_id: object) -> str:
    """A request id is 8-100 characters of letters, digits and ``._:-`` (a UUID fits)."""
    if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
        raise CornerError("invalid_request", field="request_id")
    return request_id


def fingerprint(kind: str, /, **params: object) -> str:
    """A digest of what was asked, so a reused id with a different request is caught."""
    canonical = json.dumps([kind, params], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def recall(db: Store, *, request_id: str, kind: str, digest: str) -> dict | None:
    """The stored outcome of an earlier identical request, or None; call inside the write."""
    row = db.execute(
        "SELECT kind, fingerprint, result FROM requests WHERE request_id = ?", [request_id]
    ).fetchone()
    if row is None:
        return None
    if row[0] != kind or row[1] != digest:
        raise CornerError("request_conflict", request_id=request_id)
    return json.loads(row[2])


def remember(db: Store, *, request_id: str, kind: str, digest: str, result: dict) -> None:
    """Store the outcome in the same transaction as the change it describes."""
    db.execute(
        "INSERT INTO requests (request_id, kind, fingerprint, result, created)"
        " VALUES (?, ?, ?, ?, ?)",
        [request_id, kind, digest, json.dumps(result, ensure_ascii=False), timestamp()],
    )


def once(
    db: Store,
    *,
    request_id: object,
    kind: str,
    params: dict,
    action: Callable[[str], dict],
    actor: str | None = None,
    target: str | Callable[[dict], str] | None = None,
    before: Callable[[], dict | None] | None = None,
) -> dict:
    """Run ``action()`` in one BEGIN IMMEDIATE transaction unless this request already ran.

    ``action`` returns a JSON-able dict: the outcome, stored with the change in the same
    transaction and returned as-is on every repeat of the request id. A refused request (an
    error) changes nothing and is not remembered, so it may be retried with the same id.

    With an ``actor`` (a staff member, the CLI's user) the change is also written to the audit
    trail in the same transaction: the kind, ``target`` (or ``target(outcome)`` when only the
    outcome names it, as a new row's id), the params, the state ``before()`` returns (read
    inside the transaction, before the action) and the outcome. A repeat writes no second audit
    row, as it changes nothing.
    """
    request_id = check_request_id(request_id)
    digest = fingerprint(kind, **params)
    with transaction(db):
        earlier = recall(db, request_id=request_id, kind=kind, digest=digest)
        if earlier is not None:
            return earlier
        prior = before() if before is not None else None
        result = action(request_id)
        remember(db, request_id=request_id, kind=kind, digest=digest, result=result)
        if actor is not None:
            record(
                db,
                actor=actor,
                action=kind,
                target=target(result) if callable(target) else target,
                params=params,
                before=prior,
                after=result,
                request_id=request_id,
            )
        return result
