"""The audit trail page, its filters and exports, and the dashboard's figures."""

from __future__ import annotations

import csv
import io
import re

import pytest

from points.audit import list_audit
from points.clock import now
from points.redemptions import redeem, reverse_redemption
from points.stock import restock, set_low_threshold
from tests.admin_support import make_staff
from tests.helpers import make_goods, make_member, rid
from tests.test_points_redemptions import session_for


@pytest.fixture
def client(admin_client, db):
    """The admin, with the pages in English; zhao is a second admin (the trail has both)."""
    make_staff(db, "zhao")
    assert admin_client.get("/admin/audit?lang=en").status_code == 200
    return admin_client


@pytest.fixture
def trail(db):
    """Staff actions by wang and zhao on a member and two goods."""
    make_member(db, "QZ001", "张三")
    make_goods(db, "拖鞋", stock=5)
    make_goods(db, "=HYPERLINK(1)", stock=5)  # a name that a spreadsheet would run
    restock(db, goods_id=1, quantity=3, request_id=rid(), actor="wang", source="donation")
    restock(db, goods_id=2, quantity=4, request_id=rid(), actor="zhao")
    set_low_threshold(db, goods_id=1, threshold=2, request_id=rid(), actor="zhao")


def actions(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<tr data-action="([a-z_]+)"', response.text)


def test_the_trail_lists_every_staff_action_newest_first(client, trail):
    page = client.get("/admin/audit")
    assert actions(page)[:3] == ["set_low_threshold", "restock", "restock"]
    assert "Restocked" in page.text and "goods:1" in page.text
    assert "&#34;on_hand&#34;: 8" in page.text  # the outcome (after)
    # and what was asked, folded away under it
    assert re.search(
        r"<details><summary>Asked</summary>[^<]*&#34;source&#34;: &#34;donation", page.text
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"actor": "zhao"}, ["set_low_threshold", "restock"]),
        ({"action": "restock"}, ["restock", "restock"]),
        ({"actor": "wang", "action": "restock"}, ["restock"]),
        ({"target": "goods:1"}, ["set_low_threshold", "restock", "add_goods"]),
        ({"target": "goods:9"}, []),
        ({"since": "2999-01-01"}, []),
        ({"until": "2000-01-01"}, []),
        (
            {"since": "2000-01-01", "until": "2999-12-31", "actor": "zhao"},
            ["set_low_threshold", "restock"],
        ),
    ],
)
def test_audit_filters(client, trail, query, expected):
    assert actions(client.get("/admin/audit", query_string=query)) == expected


def test_csv_export_opens_in_excel_with_chinese(client, db, trail):
    response = client.get("/admin/audit/export.csv?action=restock")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "Time", "By", "Action", "Action code", "Target", "Before", "After", "Asked", "Request id",
    ]  # fmt: skip
    assert [row[1:5] for row in rows[1:]] == [
        ["zhao", "Restocked", "restock", "goods:2"],
        ["wang", "Restocked", "restock", "goods:1"],
    ]
    assert '"name": "拖鞋"' in rows[2][6] and '"source": "donation"' in rows[2][7]
    # a cell that starts like a formula is quoted, so a spreadsheet shows it as text
    everything = client.get("/admin/audit/export.csv").data.decode("utf-8-sig")
    assert "=HYPERLINK" in everything
    assert all(
        not cell.startswith("=") for row in csv.reader(io.StringIO(everything)) for cell in row
    )


def test_csv_export_in_chinese(client, trail):
    client.get("/admin/audit?lang=zh_CN")
    data = client.get("/admin/audit/export.csv?action=restock").data.decode("utf-8-sig")
    assert "拖鞋" in data


def test_xlsx_export(client, trail):
    import openpyxl

    page = client.get("/admin/audit").text
    assert "/admin/audit/export.xlsx" in page
    response = client.get("/admin/audit/export.xlsx?actor=zhao")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Time", "By", "Action"]
    assert [row[3] for row in rows[1:]] == ["set_low_threshold", "restock"]


def test_an_unknown_export_kind_is_not_found(client):
    assert client.get("/admin/audit/export.pdf").status_code == 404
    assert client.get("/admin/audit?kind=pdf&actor=wang").status_code == 200


def test_the_export_links_carry_the_filters(client, trail):
    page = client.get("/admin/audit?actor=zhao&since=2000-01-01&since=x").text
    assert 'href="/admin/audit/export.csv?actor=zhao&amp;since=2000-01-01"' in page


# -- the dashboard -----------------------------------------------------------------------------


def buy(db, goods_id, quantity=1, number="QZ001"):
    return redeem(
        db,
        session=session_for(db, number),
        items=[{"goods_id": goods_id, "quantity": quantity}],
        request_id=rid(),
    )


def test_dashboard_figures_on_a_known_day(client, db):
    make_member(db, "QZ001", "张三", points=100)
    make_member(db, "QZ002", "李四", points=60)
    make_goods(db, "拖鞋", 10, stock=5)
    make_goods(db, "毛巾", 15, stock=10)
    buy(db, 1, 2)  # 20 points
    buy(db, 2, 1, number="QZ002")  # 15 points
    reversed_one = buy(db, 2, 1)  # 15 points, given back below
    reverse_redemption(
        db, redemption_id=reversed_one.id, reason="退货", request_id=rid(), actor="wang"
    )
    set_low_threshold(db, goods_id=1, threshold=3, request_id=rid(), actor="wang")
    page = client.get("/admin/").text
    assert re.search(r'id="today-count">.*?<strong>2</strong>', page, re.S)
    assert re.search(r'id="today-points">.*?<strong>35</strong>', page, re.S)
    # one month: 160 awarded, 35 redeemed (50 less the 15 given back)
    bars = re.findall(
        r'<rect [^>]*class="(awarded|redeemed)" data-month="([\d-]+)" data-value="(\d+)"', page
    )
    this_month = now().strftime("%Y-%m")
    assert len(bars) == 24 and bars[-2:] == [
        ("awarded", this_month, "160"),
        ("redeemed", this_month, "35"),
    ]
    assert {value for _kind, _month, value in bars[:-2]} == {"0"}  # a time line of 12 months
    # the chart is drawn on the server: no script of its own (admin.js is every admin page's)
    assert "<svg" in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/admin-static/admin.js" defer>']
    top = re.findall(r'<li><span class="name">(.+?)</span> <span class="count">(\d+)</span>', page)
    assert top == [("拖鞋", "2"), ("毛巾", "1")]
    assert re.search(
        r'<ul class="low-list">\s*<li><a href="/admin/goods/1/stock\?corner=1">拖鞋</a>', page
    )


def test_dashboard_with_nothing_yet(client):
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "No points yet." in page.text and "Nothing redeemed yet." in page.text


def test_organisers_keep_their_small_landing_page(organiser_client, db):
    page = organiser_client.get("/admin/?lang=en").text
    assert "plan activities, open and close check-in" in page and "<svg" not in page
    assert 'href="/admin/pin"' in page  # where an organiser sets their check-in PIN
    assert list_audit(db, action="login")[0].actor == "li"
