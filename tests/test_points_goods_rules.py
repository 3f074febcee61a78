"""Per-member limits, stock corrections, low stock, the points record and the reports."""

import pytest

from points.check import check
from points.errors import CornerError
from points.goods import find_goods
from points.limits import allowances, set_goods_limit
from points.records import points_record
from points.redemptions import redeem, reverse_redemption
from points.reports import dashboard, list_redemptions
from points.stock import correct_stock, low_stock, restock, set_low_threshold
from tests.helpers import make_goods, make_member, rid
from tests.test_points_redemptions import session_for


def buy(db, goods, quantity=1, number="QZ001"):
    return redeem(
        db,
        session=session_for(db, number),
        items=[{"goods_id": goods.id, "quantity": quantity}],
        request_id=rid(),
    )


@pytest.fixture
def slippers(db):
    make_member(db, points=100)
    goods = make_goods(db, "拖鞋", 10, stock=20)
    set_goods_limit(
        db, goods_id=goods.id, quantity=1, period="quarter", request_id=rid(), actor="staff"
    )
    return goods


def test_a_member_gets_one_pair_of_slippers_a_quarter(db, slippers):
    buy(db, slippers)
    with pytest.raises(CornerError) as refused:
        buy(db, slippers)
    assert refused.value.code == "limit_reached"
    assert refused.value.details == {
        "goods_id": slippers.id,
        "limit": 1,
        "period": "quarter",
        "left": 0,
    }
    assert allowances(db, member_id=1) == {slippers.id: 0}
    make_member(db, number="QZ002", name="李四", points=20)
    buy(db, slippers, number="QZ002")  # the limit is per member


def test_a_cart_over_the_limit_at_once_is_refused_and_writes_nothing(db, slippers):
    with pytest.raises(CornerError) as refused:
        buy(db, slippers, quantity=2)
    assert refused.value.code == "limit_reached" and refused.value.details["left"] == 1
    assert find_goods(db, slippers.id).stock == 20 and check(db) == []


def test_a_reversed_redemption_gives_the_allowance_back(db, slippers):
    first = buy(db, slippers)
    reverse_redemption(db, redemption_id=first.id, reason="退货", request_id=rid(), actor="s")
    buy(db, slippers)


def test_lifting_the_limit(db, slippers):
    buy(db, slippers)
    set_goods_limit(
        db, goods_id=slippers.id, quantity=None, period=None, request_id=rid(), actor="staff"
    )
    buy(db, slippers)
    assert allowances(db, member_id=1) == {}


@pytest.mark.parametrize(
    "quantity, period", [(0, "quarter"), (1, "week"), (1, None), (True, "year")]
)
def test_bad_limits_are_refused(db, slippers, quantity, period):
    with pytest.raises(CornerError) as refused:
        set_goods_limit(
            db,
            goods_id=slippers.id,
            quantity=quantity,
            period=period,
            request_id=rid(),
            actor="staff",
        )
    assert refused.value.code == "invalid_request"


def test_stock_count_correction_is_a_ledger_row_of_the_difference(db):
    goods = make_goods(db, "鸡蛋", 5, stock=30)
    result = correct_stock(
        db, goods_id=goods.id, counted=27, note="盘点：破了三袋", request_id=rid(), actor="staff"
    )
    assert (result["delta"], result["on_hand"]) == (-3, 27)
    assert find_goods(db, goods.id).stock == 27 and check(db) == []
    rows = db.execute("SELECT delta, kind, note FROM stock_entries ORDER BY id").fetchall()
    assert rows[-1] == (-3, "correction", "盘点：破了三袋")
    same = correct_stock(
        db, goods_id=goods.id, counted=27, note="复盘", request_id=rid(), actor="staff"
    )
    assert same["delta"] == 0
    assert db.execute("SELECT count(*) FROM stock_entries").fetchone()[0] == len(rows)


@pytest.mark.parametrize("counted, note", [(-1, "x"), (True, "x"), (5, ""), (5, "长" * 201)])
def test_bad_corrections_are_refused(db, counted, note):
    goods = make_goods(db, "鸡蛋", 5, stock=30)
    with pytest.raises(CornerError) as refused:
        correct_stock(
            db, goods_id=goods.id, counted=counted, note=note, request_id=rid(), actor="staff"
        )
    assert refused.value.code == "invalid_request"
    assert find_goods(db, goods.id).stock == 30


def test_low_stock_list(db):
    eggs = make_goods(db, "鸡蛋", 5, stock=3)
    rice = make_goods(db, "大米", 20, stock=10)
    make_goods(db, "毛巾", 8, stock=0)  # no threshold set: never listed
    set_low_threshold(db, goods_id=eggs.id, threshold=5, request_id=rid(), actor="staff")
    set_low_threshold(db, goods_id=rice.id, threshold=5, request_id=rid(), actor="staff")
    assert [(item.name, item.on_hand) for item in low_stock(db)] == [("鸡蛋", 3)]
    restock(db, goods_id=eggs.id, quantity=10, request_id=rid(), actor="staff")
    assert low_stock(db) == []
    assert check(db) == []


def test_points_record_has_a_running_balance_and_the_goods(db):
    make_member(db, points=12)
    eggs = make_goods(db, "鸡蛋", 5, stock=3)
    bought = buy(db, eggs, quantity=2)
    reverse_redemption(db, redemption_id=bought.id, reason="拿错了", request_id=rid(), actor="s")
    record = points_record(db, "QZ001")
    assert [(line.kind, line.delta, line.balance) for line in record.lines] == [
        ("award", 12, 12),
        ("redemption", -10, 2),
        ("reversal", 10, 12),
    ]
    assert record.lines[1].goods == "鸡蛋 ×2"
    assert (record.awarded, record.spent) == (12, 0)


def test_redemptions_list_and_dashboard(db):
    make_member(db, points=40)
    make_member(db, number="QZ002", name="李四", points=40)
    eggs = make_goods(db, "鸡蛋", 5, stock=10)
    set_low_threshold(db, goods_id=eggs.id, threshold=9, request_id=rid(), actor="staff")
    first = buy(db, eggs, quantity=2)
    buy(db, eggs, number="QZ002")
    reverse_redemption(db, redemption_id=first.id, reason="退", request_id=rid(), actor="s")
    rows = list_redemptions(db)
    assert [(row.member_name, row.goods, row.reversed) for row in rows] == [
        ("李四", "鸡蛋 ×1", False),
        ("张三", "鸡蛋 ×2", True),
    ]
    assert [row.member_number for row in list_redemptions(db, member="张")] == ["QZ001"]
    board = dashboard(db)
    assert (board.today_count, board.today_points) == (1, 5)
    assert board.months[-1][1:] == (80, 5)
    assert board.top_goods == (("鸡蛋", 1),)
    assert [item.name for item in board.low_stock] == ["鸡蛋"]
