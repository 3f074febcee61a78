"""A member's points record (积分记录本) and the printed statement: running balance, totals."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from cards.credentials import scan
from points.clock import set_clock
from points.ledger import award_points, deduct_points
from points.redemptions import redeem, reverse_redemption
from tests.admin_support import with_styles
from tests.helpers import card_token, make_goods, make_member, rid


@pytest.fixture
def history(instance, db):
    """Five months of a member's points, each row on its own day (on the one clock)."""
    day = {"now": None}
    set_clock(lambda: day["now"])

    def on(text: str) -> None:
        day["now"] = datetime.fromisoformat(text + "T10:00:00").astimezone()

    on("2026-01-10")
    make_member(db)
    make_goods(db, "拖鞋", points=10)
    award_points(db, number="QZ001", points=30, reason="理论学习", request_id=rid(), actor="t")
    on("2026-02-05")
    session = scan(db, instance.secret(), card_token(instance, db), corner_id=1)
    redemption = redeem(
        db, session=session.token, items=[{"goods_id": 1, "quantity": 1}], request_id=rid()
    )
    on("2026-03-01")
    deduct_points(db, number="QZ001", points=5, reason="未参加活动", request_id=rid(), actor="t")
    on("2026-04-02")
    reverse_redemption(
        db, redemption_id=redemption.id, reason="拿错了", request_id=rid(), actor="t"
    )
    on("2026-05-01")
    award_points(db, number="QZ001", points=8, reason="志愿服务", request_id=rid(), actor="t")
    set_clock(None)


def balances(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'class="number balance">(\d+)<', page)]


def deltas(page: str) -> list[str]:
    return re.findall(r'class="number delta">([+-]\d+)<', page)


def test_record_page_shows_every_row_with_its_running_balance(admin_client, history):
    page = admin_client.get("/admin/members/QZ001/record").text
    assert balances(page) == [30, 20, 15, 25, 33]
    assert deltas(page) == ["+30", "-10", "-5", "+10", "+8"]
    assert "拖鞋 ×1" in page and "未参加活动" in page and "2026Q2" in page
    assert "/admin/members/QZ001/record/print" in page


def test_statement_of_a_date_range_carries_the_balance_forward(admin_client, history):
    page = admin_client.get(
        "/admin/members/QZ001/record/print?start=2026-02-01&end=2026-04-30"
    ).text
    # the opening row, then February to April
    assert balances(page) == [30, 20, 15, 25]
    assert deltas(page) == ["-10", "-5", "+10"]
    assert "2026-02-01 — 2026-04-30" in page
    assert re.search(r'class="earned">[^<]*10<', page)
    assert re.search(r'class="used">[^<]*15<', page)
    assert re.search(r'class="closing">[^<]*25<', page)
    assert "张三" in page and "第一支部" in page and "QZ001" in page
    assert "@page { size: A4" in with_styles(admin_client, page)
    assert "signatures" in page


def test_statement_of_the_whole_record(admin_client, history):
    page = admin_client.get("/admin/members/QZ001/record/print").text
    assert balances(page) == [30, 20, 15, 25, 33]
    assert re.search(r'class="closing">[^<]*33<', page)


def test_statement_dates_given_backwards_are_swapped_and_bad_dates_refused(admin_client, history):
    page = admin_client.get(
        "/admin/members/QZ001/record/print?start=2026-03-31&end=2026-03-01"
    ).text
    assert deltas(page) == ["-5"]
    assert admin_client.get("/admin/members/QZ001/record/print?start=yesterday").status_code == 400


def test_record_of_an_unknown_member_is_not_found(admin_client, db):
    assert admin_client.get("/admin/members/QZ404/record").status_code == 404
    assert admin_client.get("/admin/members/QZ404/record/print").status_code == 404
