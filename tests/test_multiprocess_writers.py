"""Writers in separate OS processes: each with its own connection, hammering one SQLite file.

The in-process write lock (points.db) serialises threads only; between processes only SQLite's
own locking holds, and only if every write takes the write lock at its start (BEGIN IMMEDIATE).
A transaction that began with a plain BEGIN would read, then fail to upgrade to a writer with
"database is locked" as soon as another process had written since its read.

Four spawned processes redeem the same scarce good and award points, some awards under request
ids every process sends (each must count once). Afterwards nothing is lost or doubled: the
redemptions the processes saw succeed are exactly the rows, the stock sold is exactly the
redemptions, balances equal the ledger (``check``), and no process met "database is locked".
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
import uuid

from points.check import check
from points.db import connect
from points.errors import CornerError
from points.ledger import award_points
from points.redemptions import redeem
from points.sessions import open_session
from tests.helpers import make_goods, make_member

PROCESSES = 4
ROUNDS = 25
MEMBERS = ("QZ001", "QZ002", "QZ003", "QZ004")
OPENING_POINTS = 50
PRICE = 3
STOCK = 30  # fewer than PROCESSES * ROUNDS redemptions asked for: the last ones must be refused
SHARED_AWARD = 2
TIMEOUT = 60


def writer(database: str, index: int, start, results) -> None:
    """One process: its own connection, then ROUNDS of a redemption and two awards."""
    outcome = {"index": index, "redeemed": 0, "awarded": 0, "refused": {}, "errors": []}
    try:
        db = connect(database, migrate=False)
        cards = dict(
            db.execute(
                "SELECT m.number, c.id FROM cards c JOIN members m ON m.id = c.member_id"
            ).fetchall()
        )
        goods_id = db.execute("SELECT id FROM goods").fetchone()[0]
        start.wait(TIMEOUT)
        for round_number in range(ROUNDS):
            number = MEMBERS[(index + round_number) % len(MEMBERS)]
            try:
                session = open_session(db, card_id=cards[number], corner_id=1).token
                redeem(
                    db,
                    session=session,
                    items=[{"goods_id": goods_id, "quantity": 1}],
                    request_id=f"redeem-{uuid.uuid4()}",
                )
                outcome["redeemed"] += 1
            except CornerError as error:  # out_of_stock once it is gone: expected
                outcome["refused"][error.code] = outcome["refused"].get(error.code, 0) + 1
            award_points(
                db,
                number=MEMBERS[index],
                points=1,
                reason="巡河",
                request_id=f"award-{uuid.uuid4()}",
                actor=f"process-{index}",
            )
            outcome["awarded"] += 1
            # every process sends this one with the same id and the same request: it counts once
            award_points(
                db,
                number=MEMBERS[round_number % len(MEMBERS)],
                points=SHARED_AWARD,
                reason="共同的奖励",
                request_id=f"shared-award-{round_number:04d}",
                actor="any process",
            )
        db.close()
    except BaseException as error:  # reported, not raised: the parent asserts on it
        outcome["errors"].append(f"{error!r}\n{traceback.format_exc()}")
    results.put(outcome)


def test_writers_in_separate_processes_lose_and_double_nothing(instance, db):
    for number in MEMBERS:
        make_member(db, number=number, name=f"会员{number}", points=OPENING_POINTS)
    make_goods(db, "肥皂", PRICE, stock=STOCK)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    processes = [
        context.Process(target=writer, args=(str(instance.database), index, start, results))
        for index in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(TIMEOUT)  # all connected: go
        began = time.monotonic()
        outcomes = [results.get(timeout=TIMEOUT) for _ in processes]
        elapsed = time.monotonic() - began
    finally:
        for process in processes:
            process.join(TIMEOUT)
            if process.is_alive():
                process.kill()
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    errors = [error for outcome in outcomes for error in outcome["errors"]]
    assert errors == [], errors[0]

    redeemed = sum(outcome["redeemed"] for outcome in outcomes)
    awarded = sum(outcome["awarded"] for outcome in outcomes)
    refused = {code for outcome in outcomes for code in outcome["refused"]}
    assert redeemed == STOCK and refused == {"out_of_stock"}  # the stock ran out, exactly
    assert awarded == PROCESSES * ROUNDS
    count = db.execute("SELECT count(*) FROM redemptions").fetchone()[0]
    on_hand = db.execute("SELECT on_hand FROM stock").fetchone()[0]
    sold = -db.execute("SELECT sum(delta) FROM stock_entries WHERE kind = 'redemption'").fetchone()[
        0
    ]
    assert count == redeemed and sold == redeemed and on_hand == 0
    shared = db.execute(
        "SELECT count(*) FROM points_entries WHERE request_id LIKE 'shared-award-%'"
    ).fetchone()[0]
    assert shared == ROUNDS  # sent by every process, counted once
    balances = db.execute("SELECT sum(balance) FROM members").fetchone()[0]
    expected = len(MEMBERS) * OPENING_POINTS + awarded + ROUNDS * SHARED_AWARD - redeemed * PRICE
    assert balances == expected
    assert check(db) == []
    assert elapsed < TIMEOUT
