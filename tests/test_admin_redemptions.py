"""Redemptions in the admin: the filtered list, and reversing one with a reason, once."""

from __future__ import annotations

import re

import pytest

from points.audit import list_audit
from points.check import check
from points.goods import find_goods
from points.members import get_member
from points.redemptions import redeem
from tests.helpers import make_goods, make_member, rid
from tests.test_points_redemptions import session_for


@pytest.fixture
def client(admin_client):
    """The admin, with the pages in English."""
    assert admin_client.get("/admin/redemptions?lang=en").status_code == 200
    return admin_client


def buy(db, goods, quantity=1, number="QZ001"):
    return redeem(
        db,
        session=session_for(db, number),
        items=[{"goods_id": goods.id, "quantity": quantity}],
        request_id=rid(),
    )


@pytest.fixture
def shop(db):
    """张三 and 李四, each with a redemption: 张三 two pairs of slippers, 李四 a towel."""
    make_member(db, "QZ001", "张三", points=100)
    make_member(db, "QZ002", "李四", points=50)
    slippers = make_goods(db, "拖鞋", 10, stock=10)
    towel = make_goods(db, "毛巾", 15, stock=10)
    buy(db, slippers, 2)
    buy(db, towel, 1, number="QZ002")
    return slippers, towel


def listed(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'data-redemption="(\d+)"', response.text)


@pytest.mark.parametrize(
    "query, ids",
    [
        ({}, ["2", "1"]),
        ({"member": "QZ001"}, ["1"]),
        ({"member": "qz002"}, ["2"]),
        ({"member": "李"}, ["2"]),
        ({"member": "王"}, []),
        ({"since": "2000-01-01", "until": "2999-12-31"}, ["2", "1"]),
        ({"until": "2000-01-01"}, []),
        ({"since": "2999-01-01"}, []),
        ({"since": "not a date"}, ["2", "1"]),
        ({"corner": "1"}, ["2", "1"]),
        ({"corner": "2"}, []),
    ],
)
def test_filter_the_redemptions(client, shop, query, ids):
    assert listed(client.get("/admin/redemptions", query_string=query)) == ids


def test_the_list_shows_member_goods_and_points(client, shop):
    page = client.get("/admin/redemptions").text
    assert "QZ001 张三" in page and "拖鞋 ×2" in page and "毛巾 ×1" in page
    assert "2 redemptions found" in page


def test_a_reversal_needs_a_reason(client, db, shop):
    page = client.get("/admin/redemptions/1/reverse")
    assert page.status_code == 200
    assert "QZ001 张三" in page.text and "拖鞋 × 2" in page.text
    assert "gives the member the 20 points back" in page.text
    response = client.post(
        "/admin/redemptions/1/reverse", data={"reason": "  ", "request_id": "reverse-0001"}
    )
    assert response.status_code == 400
    assert "Please give the reason for the reversal." in response.text
    assert get_member(db, "QZ001").balance == 80 and find_goods(db, "拖鞋").stock == 8
    assert list_audit(db, action="reverse_redemption") == []


def test_reverse_gives_points_and_stock_back_once(client, db, shop):
    form = {"reason": "拖鞋尺码不合适，已退回", "request_id": "reverse-0002"}
    response = client.post("/admin/redemptions/1/reverse", data=form)
    assert response.status_code == 302 and response.location == "/admin/redemptions?member=QZ001"
    assert (
        "Reversed redemption 1: 20 points back to QZ001, balance now 100"
        in client.get(response.location).text
    )
    assert get_member(db, "QZ001").balance == 100 and find_goods(db, "拖鞋").stock == 10
    assert check(db) == []
    [entry] = list_audit(db, action="reverse_redemption")
    assert (entry.actor, entry.target) == ("wang", "redemption:1")
    assert entry.params == {"redemption_id": 1, "reason": "拖鞋尺码不合适，已退回"}
    assert entry.after == {
        "redemption_id": 1,
        "member_number": "QZ001",
        "points": 20,
        "balance": 100,
    }
    # the same form again (a double click) gets the first outcome: nothing more is given back
    assert client.post("/admin/redemptions/1/reverse", data=form).status_code == 302
    assert get_member(db, "QZ001").balance == 100 and find_goods(db, "拖鞋").stock == 10
    # the list marks it, and another reversal is refused and says so
    assert 'class="badge inactive">Reversed' in client.get("/admin/redemptions").text
    again = client.post(
        "/admin/redemptions/1/reverse", data={"reason": "再退一次", "request_id": "reverse-0003"}
    )
    assert again.status_code == 302
    page = client.get(again.location).text
    assert "This redemption has already been reversed." in page
    assert "This redemption was reversed on" in page and "拖鞋尺码不合适，已退回" in page
    assert "Reverse this redemption" not in page
    assert (
        get_member(db, "QZ001").balance == 100
        and len(list_audit(db, action="reverse_redemption")) == 1
    )
    # the other member's redemption is untouched
    assert get_member(db, "QZ002").balance == 35 and find_goods(db, "毛巾").stock == 9


def test_an_unknown_redemption_is_not_found(client, shop):
    assert client.get("/admin/redemptions/99/reverse").status_code == 404
    assert client.post("/admin/redemptions/99/reverse", data={"reason": "x"}).status_code == 404
