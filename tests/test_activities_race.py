"""Duplicate scans at the same moment: many devices, one member, one activity → one award.

Each thread opens its own connection on the same database file (as two browsers or a kiosk and
a phone would reach the server), waits on a barrier, and checks the member in. The assertions
hold for every interleaving.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from points.activities import create_activity, list_categories, open_activity
from points.check import check
from points.checkins import check_in
from points.db import connect
from points.ledger import balance
from points.scan_log import scan_log
from tests.helpers import make_member, rid

TIMEOUT = 60


@pytest.mark.parametrize("devices", [2, 8])
def test_simultaneous_scans_of_one_member_check_in_and_award_once(instance, db, devices):
    make_member(db)
    category = next(c for c in list_categories(db) if c.name == "理论学习")
    activity = create_activity(
        db,
        title="理论学习（四月）",
        category_id=category.id,
        starts="2026-04-03T14:00",
        request_id=rid(),
        actor="organiser",
    )
    open_activity(db, activity_id=activity.id, request_id=rid(), actor="organiser")
    connections = [connect(instance.database) for _ in range(devices)]
    barrier = threading.Barrier(devices, timeout=TIMEOUT)

    def attempt(index: int):
        barrier.wait()
        return check_in(
            connections[index],
            activity_id=activity.id,
            member_number="QZ001",
            method="qr",
            operator="organiser",
            request_id=rid(),
            device=f"device-{index}",
        )

    try:
        with ThreadPoolExecutor(devices) as pool:
            outcomes = list(pool.map(attempt, range(devices)))
    finally:
        for connection in connections:
            connection.close()

    assert Counter(o.code for o in outcomes) == {"checked_in": 1, "duplicate_checkin": devices - 1}
    assert db.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1
    awards = db.execute(
        "SELECT count(*), sum(delta) FROM points_entries WHERE activity_id = ?", [activity.id]
    ).fetchone()
    assert awards == (1, 4) and balance(db, "QZ001") == 4
    assert len(scan_log(db, activity.id)) == devices
    assert check(db) == []
