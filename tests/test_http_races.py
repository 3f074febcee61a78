"""Concurrent redemptions through the real server: the limits hold when many taps arrive at once.

Every race starts its requests behind a barrier, on connections opened beforehand, so the
redemptions reach the 16 waitress threads together. The assertions are on exact totals that hold
for every interleaving, never on timing.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from points.check import check
from tests.helpers import card_token, make_goods, make_member, rid

pytestmark = pytest.mark.server

ATTEMPTS = 16
PROCESSES = 4
TIMEOUT = 60  # seconds; only so that a broken server fails the test instead of hanging it


def scan(server, instance, db, number: str) -> str:
    """A fresh kiosk session for the member's current QR card."""
    answer = requests.post(
        server.url + "/api/kiosk/scan",
        json={"credential": card_token(instance, db, number)},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["session"]


def redeem_body(session: str, goods_id: int, quantity: int = 1) -> dict:
    return {
        "session": session,
        "request_id": rid(),
        "items": [{"goods_id": goods_id, "quantity": quantity}],
    }


def _post_together(url: str, bodies: list[dict], barrier) -> list[tuple[int, dict]]:
    """POST every body to /api/kiosk/redeem, one thread each, all released by ``barrier``."""

    def attempt(body: dict) -> tuple[int, dict]:
        with requests.Session() as http:
            # open the connection first, so the barrier releases requests, not TCP handshakes
            http.get(url + "/api/health", timeout=TIMEOUT).raise_for_status()
            barrier.wait()
            answer = http.post(url + "/api/kiosk/redeem", json=body, timeout=TIMEOUT)
            return answer.status_code, answer.json()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(attempt, bodies))


def race_threads(server, bodies: list[dict]) -> list[tuple[int, dict]]:
    """Send the bodies from as many threads of this process at the same moment."""
    return _post_together(server.url, bodies, threading.Barrier(len(bodies), timeout=TIMEOUT))


def _process_main(url: str, bodies: list[dict], barrier, results) -> None:
    """A spawned process's part of a race: its threads wait on the shared barrier, then post."""
    try:
        outcomes = _post_together(url, bodies, barrier)
        request_ids = [body["request_id"] for body in bodies]
        results.put(("ok", list(zip(request_ids, outcomes, strict=True))))
    except BaseException as error:  # report, or the parent would only see a missing answer
        results.put(("error", repr(error)))


def race_processes(server, bodies: list[dict]) -> list[tuple[int, dict]]:
    """Send the bodies from PROCESSES separate OS processes (spawned), released by one barrier."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(bodies), timeout=TIMEOUT)
    results = context.Queue()
    shares = [bodies[index::PROCESSES] for index in range(PROCESSES)]
    processes = [
        context.Process(target=_process_main, args=(server.url, share, barrier, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    try:
        answers = [results.get(timeout=2 * TIMEOUT) for _process in processes]
    finally:
        for process in processes:
            process.join(TIMEOUT)
            if process.is_alive():
                process.kill()
    failures = [detail for status, detail in answers if status != "ok"]
    assert not failures, failures
    assert all(process.exitcode == 0 for process in processes)
    # back into the order of ``bodies``: the answers came per process, as the processes finished
    by_request = dict(pair for _status, detail in answers for pair in detail)
    return [by_request[body["request_id"]] for body in bodies]


RACES = {"threads": race_threads, "processes": race_processes}


def outcome_codes(outcomes: list[tuple[int, dict]]) -> Counter:
    """``ok`` for each redemption, else the error code; a 5xx or a malformed answer fails."""
    codes = Counter()
    for status, body in outcomes:
        if status == 200:
            assert set(body) == {"redemption", "balance"}, body
            codes["ok"] += 1
        else:
            assert 400 <= status < 500, (status, body)
            codes[body["error"]["code"]] += 1
    return codes


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def balance(db, number: str) -> int:
    return db.execute("SELECT balance FROM members WHERE number = ?", [number]).fetchone()[0]


def on_hand(db, goods_id: int) -> int:
    return db.execute("SELECT on_hand FROM stock WHERE goods_id = ?", [goods_id]).fetchone()[0]


def assert_server_log_clean(instance) -> None:
    """No request ended in an unhandled exception (waitress logs those with a traceback)."""
    log = (instance.path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-4000:]


@pytest.mark.parametrize("race", RACES)
def test_many_taps_spend_a_members_points_exactly_once_each(instance, db, serve, race):
    make_member(db, "QZ001", points=50)
    soap = make_goods(db, "肥皂", points=10, stock=100)
    server = serve()
    session = scan(server, instance, db, "QZ001")  # one kiosk session, tapped 16 times

    outcomes = RACES[race](server, [redeem_body(session, soap.id) for _ in range(ATTEMPTS)])

    assert outcome_codes(outcomes) == {"ok": 5, "insufficient_points": ATTEMPTS - 5}
    assert balance(db, "QZ001") == 0
    assert on_hand(db, soap.id) == 95
    assert count(db, "redemptions") == 5
    # every success reports its own balance: 40, 30, 20, 10, 0 in some order
    balances = sorted(body["balance"] for status, body in outcomes if status == 200)
    assert balances == [0, 10, 20, 30, 40]
    assert check(db) == []
    assert_server_log_clean(instance)


@pytest.mark.parametrize("race", RACES)
def test_many_members_share_the_last_units_of_a_good(instance, db, serve, race):
    numbers = [f"QZ{index:03d}" for index in range(ATTEMPTS)]
    for number in numbers:
        make_member(db, number, points=100)
    towel = make_goods(db, "毛巾", points=20, stock=3)
    server = serve()
    bodies = [redeem_body(scan(server, instance, db, number), towel.id) for number in numbers]

    outcomes = RACES[race](server, bodies)

    assert outcome_codes(outcomes) == {"ok": 3, "out_of_stock": ATTEMPTS - 3}
    assert on_hand(db, towel.id) == 0
    assert count(db, "redemptions") == 3
    winners = {body["redemption"]["member_number"] for status, body in outcomes if status == 200}
    assert len(winners) == 3
    assert sorted(balance(db, number) for number in numbers) == [80] * 3 + [100] * (ATTEMPTS - 3)
    refusals = [body["error"] for status, body in outcomes if status != 200]
    assert all(error["details"]["on_hand"] == 0 for error in refusals)
    assert check(db) == []
    assert_server_log_clean(instance)


@pytest.mark.parametrize("race", RACES)
def test_points_and_stock_limits_bind_in_the_same_race(instance, db, serve, race):
    # QZ001 can afford 4 items; QZ002 can afford anything. Rice has 3 units, oil plenty.
    # Whatever the order: QZ001 ends with 0 points (its 4 oil attempts are refused only for points,
    # so it cannot stop above 0), rice ends at 0 (QZ002's 4 rice attempts are refused only for
    # stock), and QZ002's oil attempts all succeed.
    make_member(db, "QZ001", points=40)
    make_member(db, "QZ002", points=1000)
    rice = make_goods(db, "大米", points=10, stock=3)
    oil = make_goods(db, "食用油", points=10, stock=100)
    server = serve()
    plan = [(number, goods) for number in ("QZ001", "QZ002") for goods in (rice, oil)] * 4
    bodies = [redeem_body(scan(server, instance, db, number), goods.id) for number, goods in plan]

    outcomes = RACES[race](server, bodies)

    codes = outcome_codes(outcomes)
    assert set(codes) <= {"ok", "insufficient_points", "out_of_stock"}
    allowed = {
        ("QZ001", "大米"): {"ok", "insufficient_points", "out_of_stock"},
        ("QZ001", "食用油"): {"ok", "insufficient_points"},
        ("QZ002", "大米"): {"ok", "out_of_stock"},
        ("QZ002", "食用油"): {"ok"},
    }
    bought, sold = Counter(), Counter()
    for (number, goods), (status, body) in zip(plan, outcomes, strict=True):
        code = "ok" if status == 200 else body["error"]["code"]
        assert code in allowed[number, goods.name], (number, goods.name, code)
        if code == "ok":
            bought[number] += 1
            sold[goods.name] += 1
    assert sold["大米"] == 3 and on_hand(db, rice.id) == 0
    assert on_hand(db, oil.id) == 100 - sold["食用油"]
    assert bought["QZ001"] == 4 and balance(db, "QZ001") == 0
    assert balance(db, "QZ002") == 1000 - 10 * bought["QZ002"]
    assert count(db, "redemptions") == codes["ok"] == sold.total()
    assert check(db) == []
    assert_server_log_clean(instance)


@pytest.mark.parametrize("race", RACES)
def test_a_per_member_limit_holds_when_many_taps_arrive_at_once(instance, db, serve, race):
    from points.limits import set_goods_limit

    make_member(db, "QZ001", "张三", points=500)
    slippers = make_goods(db, "拖鞋", 10, stock=100)
    set_goods_limit(
        db, goods_id=slippers.id, quantity=2, period="quarter", request_id=rid(), actor="staff"
    )
    server = serve()
    session = scan(server, instance, db, "QZ001")
    outcomes = RACES[race](server, [redeem_body(session, slippers.id) for _ in range(ATTEMPTS)])
    assert outcome_codes(outcomes) == {"ok": 2, "limit_reached": ATTEMPTS - 2}
    assert balance(db, "QZ001") == 480 and on_hand(db, slippers.id) == 98
    assert count(db, "redemptions") == 2
    assert check(db) == []
    assert_server_log_clean(instance)
