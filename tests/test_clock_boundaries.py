"""Time rules at their edges, on the real core and a real SQLite file, with the one clock moved.

Nothing here sleeps: the clock is frozen at a moment and moved across a month, quarter or year
boundary, past a session's time to live, or past a lock-out.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from points.clock import frozen
from points.errors import CornerError
from points.limits import allowances, set_goods_limit
from points.lockout import LOCK_AFTER, LOCK_SECONDS
from points.redemptions import redeem
from points.sessions import open_session
from points.staff import authenticate, authenticate_pin, set_pin
from tests.admin_support import PASSWORD, make_staff
from tests.helpers import make_goods, make_member, rid

LAST_MOMENT = (23, 59, 59, 999_000)  # the last millisecond of a day


def open_card_session(db, number="QZ001", ttl_seconds=300) -> str:
    card = db.execute(
        "SELECT c.id FROM cards c JOIN members m ON m.id = c.member_id WHERE m.number = ?",
        [number],
    ).fetchone()[0]
    return open_session(db, card_id=card, corner_id=1, ttl_seconds=ttl_seconds).token


def buy(db, goods, quantity=1):
    """Tap the card now (on the frozen clock) and redeem at once."""
    items = [{"goods_id": goods.id, "quantity": quantity}]
    return redeem(db, session=open_card_session(db), items=items, request_id=rid())


def refused_code(function, *args, **kwargs) -> str:
    """The code of the CornerError that ``function(*args, **kwargs)`` raises."""
    with pytest.raises(CornerError) as refused:
        function(*args, **kwargs)
    return refused.value.code


def limited_goods(db, period: str):
    make_member(db, points=1000)
    goods = make_goods(db, "拖鞋", 10, stock=50)
    set_goods_limit(
        db, goods_id=goods.id, quantity=1, period=period, request_id=rid(), actor="staff"
    )
    return goods


def test_a_quarterly_limit_used_on_31_january_holds_until_1_april(db):
    with frozen(datetime(2026, 1, 31, 10, 0)) as clock:
        slippers = limited_goods(db, "quarter")
        buy(db, slippers)
        clock.set(datetime(2026, 2, 1, 0, 0))
        assert refused_code(buy, db, slippers) == "limit_reached"
        clock.set(datetime(2026, 3, 31, *LAST_MOMENT))
        assert refused_code(buy, db, slippers) == "limit_reached"
        assert allowances(db, member_id=1) == {slippers.id: 0}
        clock.set(datetime(2026, 4, 1, 0, 0))
        assert allowances(db, member_id=1) == {slippers.id: 1}
        buy(db, slippers)
        assert refused_code(buy, db, slippers) == "limit_reached"


def test_a_monthly_limit_used_on_31_january_opens_on_1_february(db):
    with frozen(datetime(2026, 1, 31, *LAST_MOMENT)) as clock:
        soap = limited_goods(db, "month")
        buy(db, soap)
        assert refused_code(buy, db, soap) == "limit_reached"
        clock.set(datetime(2026, 2, 1, 0, 0))
        buy(db, soap)
        assert refused_code(buy, db, soap) == "limit_reached"


def test_a_yearly_limit_used_on_31_december_opens_on_1_january(db):
    with frozen(datetime(2026, 12, 31, *LAST_MOMENT)) as clock:
        rice = limited_goods(db, "year")
        buy(db, rice)
        assert refused_code(buy, db, rice) == "limit_reached"
        clock.set(datetime(2027, 1, 1, 0, 0))
        buy(db, rice)
        clock.set(datetime(2027, 12, 31, *LAST_MOMENT))
        assert refused_code(buy, db, rice) == "limit_reached"


def test_a_points_entry_counts_in_the_quarter_of_its_moment(db):
    from points.ledger import award_points

    make_member(db)
    with frozen(datetime(2026, 3, 31, *LAST_MOMENT)) as clock:
        award_points(db, number="QZ001", points=5, reason="巡河", request_id=rid(), actor="t")
        clock.set(datetime(2026, 4, 1, 0, 0))
        award_points(db, number="QZ001", points=7, reason="巡河", request_id=rid(), actor="t")
    rows = db.execute("SELECT delta, quarter, created FROM points_entries ORDER BY id").fetchall()
    assert [(delta, quarter) for delta, quarter, _created in rows] == [(5, "2026Q1"), (7, "2026Q2")]
    assert rows[0][2].startswith("2026-03-31T23:59:59.999")
    assert rows[1][2].startswith("2026-04-01T00:00:00.000")


def test_a_kiosk_session_expires_when_the_clock_passes_its_time_to_live(db):
    make_member(db, points=100)
    soap = make_goods(db, "肥皂", 5, stock=10)
    items = [{"goods_id": soap.id, "quantity": 1}]
    with frozen(datetime(2026, 5, 6, 10, 0, 0)) as clock:
        first, second = open_card_session(db, ttl_seconds=60), open_card_session(db, ttl_seconds=60)
        clock.advance(60)  # the last second of its life
        redeem(db, session=first, items=items, request_id=rid())
        clock.advance(1)
        code = refused_code(redeem, db, session=second, items=items, request_id=rid())
        assert code == "session_expired"


def test_a_password_lock_out_lifts_when_the_clock_moves_past_it(db):
    make_staff(db, "wang")
    with frozen(datetime(2026, 5, 6, 10, 0)) as clock:
        codes = [
            refused_code(authenticate, db, username="wang", password="wrong password")
            for _ in range(LOCK_AFTER)
        ]
        assert codes == ["login_failed"] * (LOCK_AFTER - 1) + ["login_locked"]
        clock.advance(LOCK_SECONDS - 1)
        assert refused_code(authenticate, db, username="wang", password=PASSWORD) == (
            "login_locked"
        )
        clock.advance(1)
        assert authenticate(db, username="wang", password=PASSWORD).username == "wang"


def test_a_pin_lock_out_lifts_when_the_clock_moves_past_it(db):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")
    with frozen(datetime(2026, 5, 6, 10, 0)) as clock:
        for attempt in range(LOCK_AFTER):
            refused_code(authenticate_pin, db, pin=f"00000{attempt}", device="kiosk:hall")
        clock.advance(LOCK_SECONDS - 1)
        assert refused_code(authenticate_pin, db, pin="246810", device="kiosk:hall") == (
            "pin_locked"
        )
        clock.advance(1)
        assert authenticate_pin(db, pin="246810", device="kiosk:hall").username == "li"
