"""Request ids and refusals through the real server: a repeat never acts twice, a refusal never
leaves half a redemption behind, and malformed input is refused before anything is written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from points.check import check
from tests.helpers import card_token, make_goods, make_member, rid

pytestmark = pytest.mark.server

TIMEOUT = 60  # seconds; only so that a broken server fails the test instead of hanging it
TABLES = (
    "redemptions",
    "redemption_lines",
    "points_entries",
    "stock_entries",
    "reversals",
    "requests",
)


def scan(server, instance, db, number: str = "QZ001") -> str:
    """A fresh kiosk session for the member's current QR card."""
    answer = requests.post(
        server.url + "/api/kiosk/scan",
        json={"credential": card_token(instance, db, number)},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["session"]


def post(server, path: str, **kwargs) -> requests.Response:
    return requests.post(server.url + path, timeout=TIMEOUT, **kwargs)


def items(*pairs: tuple[int, int]) -> list[dict]:
    return [{"goods_id": goods_id, "quantity": quantity} for goods_id, quantity in pairs]


def snapshot(db) -> dict:
    """Everything a redemption may touch: ledger row counts, balances and stock levels."""
    state = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
    state["balances"] = db.execute("SELECT number, balance FROM members ORDER BY id").fetchall()
    state["stock"] = db.execute(
        "SELECT corner_id, goods_id, on_hand FROM stock ORDER BY corner_id, goods_id"
    ).fetchall()
    return state


def assert_refused(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error


@pytest.fixture
def corner(instance, db, serve):
    """A running server with QZ001 (100 points, scanned in) and two goods."""
    make_member(db, "QZ001", points=100)
    soap = make_goods(db, "肥皂", points=10, stock=5)
    towel = make_goods(db, "毛巾", points=20, stock=1)
    server = serve()
    return server, scan(server, instance, db), soap, towel


# --- a repeated request id returns the first outcome -------------------------------------------


def test_a_repeated_request_redeems_once_and_answers_the_same(db, corner):
    server, session, soap, _towel = corner
    body = {"session": session, "request_id": rid(), "items": items((soap.id, 2))}

    first = post(server, "/api/kiosk/redeem", json=body)
    after_first = snapshot(db)
    second = post(server, "/api/kiosk/redeem", json=body)

    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json() == second.json()
    assert first.json()["balance"] == 80
    assert first.json()["redemption"]["lines"] == [
        {"goods_id": soap.id, "name": "肥皂", "quantity": 2, "points_each": 10}
    ]
    assert snapshot(db) == after_first
    assert after_first["redemptions"] == 1
    assert check(db) == []


def test_the_same_request_sent_by_eight_threads_at_once_redeems_once(db, corner):
    server, session, soap, _towel = corner
    body = {"session": session, "request_id": rid(), "items": items((soap.id, 1))}
    barrier = threading.Barrier(8, timeout=TIMEOUT)

    def attempt(_index: int) -> tuple[int, dict]:
        with requests.Session() as http:
            # open the connection first, so the barrier releases requests, not TCP handshakes
            http.get(server.url + "/api/health", timeout=TIMEOUT).raise_for_status()
            barrier.wait()
            answer = http.post(server.url + "/api/kiosk/redeem", json=body, timeout=TIMEOUT)
            return answer.status_code, answer.json()

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))

    assert [status for status, _body in outcomes] == [200] * 8, outcomes
    assert all(answer == outcomes[0][1] for _status, answer in outcomes)
    assert outcomes[0][1]["balance"] == 90
    assert db.execute("SELECT count(*) FROM redemptions").fetchone()[0] == 1
    assert (
        db.execute("SELECT count(*) FROM points_entries WHERE kind = 'redemption'").fetchone()[0]
        == 1
    )
    assert db.execute("SELECT on_hand FROM stock WHERE goods_id = ?", [soap.id]).fetchone()[0] == 4
    assert check(db) == []


def test_a_request_id_reused_for_other_goods_is_a_conflict(db, corner):
    server, session, soap, towel = corner
    request_id = rid()
    first = post(
        server,
        "/api/kiosk/redeem",
        json={"session": session, "request_id": request_id, "items": items((soap.id, 1))},
    )
    assert first.status_code == 200, first.text
    before = snapshot(db)

    for other in (items((towel.id, 1)), items((soap.id, 2)), items((soap.id, 1), (towel.id, 1))):
        answer = post(
            server,
            "/api/kiosk/redeem",
            json={"session": session, "request_id": request_id, "items": other},
        )
        assert_refused(answer, 409, "request_conflict")

    assert snapshot(db) == before
    # the original request still answers with its first outcome
    again = post(
        server,
        "/api/kiosk/redeem",
        json={"session": session, "request_id": request_id, "items": items((soap.id, 1))},
    )
    assert again.json() == first.json()


def test_another_members_request_id_does_not_return_their_receipt(instance, db, corner):
    """The fingerprint holds the session: a colliding id from another kiosk session is refused."""
    server, session, soap, _towel = corner
    make_member(db, "QZ002", name="李四", points=100)
    request_id = rid()
    body = {"request_id": request_id, "items": items((soap.id, 1))}
    first = post(server, "/api/kiosk/redeem", json={**body, "session": session})
    assert first.status_code == 200, first.text
    before = snapshot(db)

    other = post(
        server, "/api/kiosk/redeem", json={**body, "session": scan(server, instance, db, "QZ002")}
    )

    error = assert_refused(other, 409, "request_conflict")
    assert "QZ001" not in other.text and "张三" not in other.text, error
    assert snapshot(db) == before


def test_a_cart_written_differently_is_the_same_request(db, corner):
    """The fingerprint is of what was bought: split or reordered lines are not a conflict."""
    server, session, soap, towel = corner
    request_id = rid()
    first = post(
        server,
        "/api/kiosk/redeem",
        json={
            "session": session,
            "request_id": request_id,
            "items": items((towel.id, 1), (soap.id, 2)),
        },
    )
    assert first.status_code == 200, first.text
    before = snapshot(db)
    again = post(
        server,
        "/api/kiosk/redeem",
        json={
            "session": session,
            "request_id": request_id,
            "items": items((soap.id, 1), (towel.id, 1), (soap.id, 1)),
        },
    )
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert snapshot(db) == before


def test_a_repeat_after_logout_still_returns_the_first_outcome(db, corner):
    server, session, soap, _towel = corner
    body = {"session": session, "request_id": rid(), "items": items((soap.id, 1))}
    first = post(server, "/api/kiosk/redeem", json=body)
    assert first.status_code == 200, first.text

    logout = post(server, "/api/kiosk/logout", json={"session": session})
    assert logout.status_code == 200, logout.text
    before = snapshot(db)
    repeat = post(server, "/api/kiosk/redeem", json=body)
    fresh = post(server, "/api/kiosk/redeem", json={**body, "request_id": rid()})

    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == first.json()
    assert_refused(fresh, 401, "session_expired")  # the session really is over
    assert snapshot(db) == before


def test_a_refused_request_is_not_remembered_and_may_be_retried(db, corner):
    """A refusal writes nothing, not even the request id: the same id may succeed later."""
    from points.stock import restock

    server, session, _soap, towel = corner
    body = {"session": session, "request_id": rid(), "items": items((towel.id, 2))}
    before = snapshot(db)
    assert_refused(post(server, "/api/kiosk/redeem", json=body), 422, "out_of_stock")
    assert snapshot(db) == before

    restock(db, goods_id=towel.id, quantity=1, request_id=rid(), actor="test")
    retry = post(server, "/api/kiosk/redeem", json=body)
    assert retry.status_code == 200, retry.text
    assert retry.json()["balance"] == 60
    assert check(db) == []


# --- refusals leave nothing half-written --------------------------------------------------------


@pytest.mark.parametrize("order", ["fine item first", "short item first"])
def test_a_cart_with_one_item_short_changes_nothing(db, corner, order):
    # soap (the lower id) is debited first inside the transaction, then the towel runs short: the
    # points debit and the soap's stock row must both be rolled back
    server, session, soap, towel = corner
    cart = items((soap.id, 1), (towel.id, 2))
    if order == "short item first":
        cart.reverse()
    before = snapshot(db)

    answer = post(
        server, "/api/kiosk/redeem", json={"session": session, "request_id": rid(), "items": cart}
    )

    error = assert_refused(answer, 422, "out_of_stock")
    assert error["details"] == {"goods_id": towel.id, "on_hand": 1}
    assert snapshot(db) == before
    assert check(db) == []


def test_a_cart_the_member_cannot_afford_changes_nothing(db, corner):
    from points.ledger import deduct_points

    server, session, soap, towel = corner
    deduct_points(db, number="QZ001", points=90, reason="测试", request_id=rid(), actor="test")
    before = snapshot(db)

    answer = post(
        server,
        "/api/kiosk/redeem",
        json={"session": session, "request_id": rid(), "items": items((soap.id, 1), (towel.id, 1))},
    )

    error = assert_refused(answer, 422, "insufficient_points")
    assert error["details"] == {"balance": 10, "needed": 30}
    assert snapshot(db) == before


MALFORMED_REDEEM = {
    "items not a list": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": {"goods_id": g, "quantity": 1},
    },
    "items empty": lambda s, g: {"session": s, "request_id": rid(), "items": []},
    "items missing": lambda s, g: {"session": s, "request_id": rid()},
    "item not an object": lambda s, g: {"session": s, "request_id": rid(), "items": [g]},
    "quantity 0": lambda s, g: {"session": s, "request_id": rid(), "items": items((g, 0))},
    "quantity true": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": [{"goods_id": g, "quantity": True}],
    },
    "quantity negative": lambda s, g: {"session": s, "request_id": rid(), "items": items((g, -1))},
    "quantity 1.0": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": [{"goods_id": g, "quantity": 1.0}],
    },
    "quantity text": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": [{"goods_id": g, "quantity": "1"}],
    },
    "quantity too large": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": items((g, 100)),
    },
    "goods id text": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": [{"goods_id": str(g), "quantity": 1}],
    },
    "too many lines": lambda s, g: {
        "session": s,
        "request_id": rid(),
        "items": items(*[(g, 1)] * 21),
    },
    "request id missing": lambda s, g: {"session": s, "items": items((g, 1))},
    "request id too short": lambda s, g: {
        "session": s,
        "request_id": "abc",
        "items": items((g, 1)),
    },
    "request id a number": lambda s, g: {
        "session": s,
        "request_id": 123456789,
        "items": items((g, 1)),
    },
}


@pytest.mark.parametrize("case", MALFORMED_REDEEM)
def test_a_malformed_redemption_is_an_invalid_request(db, corner, case):
    server, session, soap, _towel = corner
    before = snapshot(db)
    answer = post(server, "/api/kiosk/redeem", json=MALFORMED_REDEEM[case](session, soap.id))
    assert_refused(answer, 400, "invalid_request")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not json"),
        pytest.param(b'{"session": ', id="truncated json"),
        pytest.param(b"[1, 2]", id="a list"),
        pytest.param(b'"text"', id="a string"),
        pytest.param(b"\xff\xfe", id="not utf-8"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_an_invalid_request(db, corner, body):
    server, _session, _soap, _towel = corner
    before = snapshot(db)
    for path in ("/api/kiosk/redeem", "/api/kiosk/scan"):
        answer = post(server, path, data=body, headers={"Content-Type": "application/json"})
        assert_refused(answer, 400, "invalid_request")
    assert snapshot(db) == before


def test_an_oversized_body_is_refused(db, corner):
    server, session, soap, _towel = corner
    before = snapshot(db)
    answer = post(
        server,
        "/api/kiosk/redeem",
        json={
            "session": session,
            "request_id": rid(),
            "items": items((soap.id, 1)),
            "pad": "x" * 70_000,
        },
    )
    assert_refused(answer, 413, "invalid_request")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "session",
    [None, "", 42, ["x"], "no-such-session", "x" * 101],
    ids=["missing", "empty", "a number", "a list", "unknown", "too long"],
)
def test_a_redemption_without_a_live_session_is_refused(db, corner, session):
    server, _session, soap, _towel = corner
    before = snapshot(db)
    body = {"request_id": rid(), "items": items((soap.id, 1))}
    if session is not None:
        body["session"] = session
    assert_refused(post(server, "/api/kiosk/redeem", json=body), 401, "session_expired")
    assert snapshot(db) == before


def test_unknown_goods_are_refused(db, corner):
    server, session, _soap, _towel = corner
    before = snapshot(db)
    answer = post(
        server,
        "/api/kiosk/redeem",
        json={"session": session, "request_id": rid(), "items": items((999, 1))},
    )
    assert_refused(answer, 422, "goods_unavailable")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "credential",
    ["A" * 10_240, "", None, 12345, ["EC1"]],
    ids=["10 kB", "empty", "missing", "a number", "a list"],
)
def test_a_malformed_credential_opens_no_session(db, corner, credential):
    server, _session, _soap, _towel = corner
    before = snapshot(db)
    body = {} if credential is None else {"credential": credential}
    answer = post(server, "/api/kiosk/scan", json=body)
    assert_refused(answer, 403, "card_invalid")
    assert "session" not in answer.json()
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/kiosk/redeem"), ("GET", "/api/no-such-endpoint")]
)
def test_api_routing_errors_answer_in_json(corner, method, path):
    server, _session, _soap, _towel = corner
    answer = requests.request(method, server.url + path, timeout=TIMEOUT)
    assert answer.status_code in (404, 405)
    assert answer.headers["Content-Type"].startswith("application/json"), answer.text[:80]
    assert answer.json()["error"]["code"] == "invalid_request"


def test_a_goods_id_beyond_64_bits_is_an_invalid_request(db, corner):
    server, session, _soap, _towel = corner
    before = snapshot(db)
    answer = post(
        server,
        "/api/kiosk/redeem",
        json={"session": session, "request_id": rid(), "items": items((2**63, 1))},
    )
    assert_refused(answer, 400, "invalid_request")
    assert snapshot(db) == before
