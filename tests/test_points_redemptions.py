"""Redemptions, reversals, restocking and sessions."""

import pytest

from points.check import check
from points.errors import CornerError
from points.goods import catalog, find_goods
from points.member_cards import issue_qr_card
from points.members import get_member
from points.redemptions import redeem, reverse_redemption
from points.sessions import end_session, open_session
from points.stock import restock
from tests.helpers import make_goods, make_member, rid


def session_for(db, number="QZ001", ttl_seconds=300):
    card = db.execute(
        "SELECT c.id FROM cards c JOIN members m ON m.id = c.member_id"
        " WHERE m.number = ? AND c.status = 'active'",
        [number],
    ).fetchone()[0]
    return open_session(db, card_id=card, corner_id=1, ttl_seconds=ttl_seconds).token


def stock_of(db, goods):
    return find_goods(db, goods.id).stock


def counts(db):
    return tuple(
        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("redemptions", "redemption_lines", "points_entries", "stock_entries")
    )


@pytest.fixture
def shop(db):
    make_member(db, points=20)
    return make_goods(db, "拖鞋", 10, stock=3), make_goods(db, "鸡蛋", 5, stock=1)


def test_redeem_spends_points_and_stock_together(db, shop):
    slippers, eggs = shop
    redemption = redeem(
        db,
        session=session_for(db),
        request_id=rid(),
        items=[{"goods_id": slippers.id, "quantity": 1}, {"goods_id": eggs.id, "quantity": 1}],
    )
    assert redemption.points == 15 and redemption.balance == 5
    assert [(line.name, line.quantity, line.points_each) for line in redemption.lines] == [
        ("拖鞋", 1, 10),
        ("鸡蛋", 1, 5),
    ]
    assert get_member(db, "QZ001").balance == 5
    assert (stock_of(db, slippers), stock_of(db, eggs)) == (2, 0)
    assert check(db) == []


def test_redeem_is_all_or_nothing_when_one_line_runs_out(db, shop):
    slippers, eggs = shop
    before = counts(db)
    with pytest.raises(CornerError) as refused:
        redeem(
            db,
            session=session_for(db),
            request_id=rid(),
            items=[{"goods_id": slippers.id, "quantity": 1}, {"goods_id": eggs.id, "quantity": 2}],
        )
    assert refused.value.code == "out_of_stock"
    assert counts(db) == before
    assert get_member(db, "QZ001").balance == 20 and stock_of(db, slippers) == 3


def test_redeem_beyond_balance_is_refused_and_writes_nothing(db, shop):
    slippers, _eggs = shop
    before = counts(db)
    with pytest.raises(CornerError) as refused:
        redeem(
            db,
            session=session_for(db),
            request_id=rid(),
            items=[{"goods_id": slippers.id, "quantity": 3}],
        )
    assert refused.value.code == "insufficient_points"
    assert refused.value.details == {"balance": 20, "needed": 30}
    assert counts(db) == before


def test_same_goods_twice_in_one_cart_is_added_up(db, shop):
    slippers, _eggs = shop
    redemption = redeem(
        db,
        session=session_for(db),
        request_id=rid(),
        items=[{"goods_id": slippers.id, "quantity": 1}, {"goods_id": slippers.id, "quantity": 1}],
    )
    assert [(line.goods_id, line.quantity) for line in redemption.lines] == [(slippers.id, 2)]


@pytest.mark.parametrize(
    "items",
    [
        [],
        None,
        "拖鞋",
        [{"goods_id": 1}],
        [{"goods_id": 1, "quantity": 0}],
        [{"goods_id": 1, "quantity": -1}],
        [{"goods_id": 1, "quantity": True}],
        [{"goods_id": "1", "quantity": 1}],
        [{"goods_id": 1, "quantity": 100}],
        [[1, 1]],
        [{"goods_id": 1, "quantity": 1}] * 21,
    ],
)
def test_malformed_cart_is_refused(db, shop, items):
    before = counts(db)
    with pytest.raises(CornerError) as refused:
        redeem(db, session=session_for(db), request_id=rid(), items=items)
    assert refused.value.code == "invalid_request"
    assert counts(db) == before


def test_unknown_or_inactive_goods_are_unavailable(db, shop):
    slippers, _eggs = shop
    for goods_id in (999, slippers.id):
        if goods_id == slippers.id:
            db.execute("UPDATE goods SET active = 0 WHERE id = ?", [slippers.id])
        with pytest.raises(CornerError) as refused:
            redeem(
                db,
                session=session_for(db),
                request_id=rid(),
                items=[{"goods_id": goods_id, "quantity": 1}],
            )
        assert refused.value.code == "goods_unavailable"
    assert slippers.id not in [item.id for item in catalog(db)]


def test_repeated_redeem_request_spends_once(db, shop):
    slippers, _eggs = shop
    session, request_id = session_for(db), rid()
    items = [{"goods_id": slippers.id, "quantity": 1}]
    first = redeem(db, session=session, request_id=request_id, items=items)
    again = redeem(db, session=session, request_id=request_id, items=items)
    assert first == again and counts(db)[0] == 1
    assert get_member(db, "QZ001").balance == 10


def test_expired_or_ended_session_cannot_spend(db, shop):
    slippers, _eggs = shop
    items = [{"goods_id": slippers.id, "quantity": 1}]
    ended = session_for(db)
    end_session(db, token=ended)
    expired = session_for(db, ttl_seconds=-1)
    valid = session_for(db)
    body, _, signature = valid.rpartition(".")
    card, corner, expires, nonce = body.split(".")
    longer = f"{card}.{corner}.{int(expires) + 9999}.{nonce}.{signature}"
    forged = valid[:-2] + ("AA" if not valid.endswith("AA") else "BB")
    tokens = (ended, expired, longer, forged, "no-such-session", None, 42, "x" * 200, "1.1.1.1.x")
    for token in tokens:
        with pytest.raises(CornerError) as refused:
            redeem(db, session=token, request_id=rid(), items=items)
        assert refused.value.code == "session_expired"
    assert get_member(db, "QZ001").balance == 20


def test_card_replaced_after_the_scan_stops_the_session(db, shop):
    slippers, _eggs = shop
    session = session_for(db)
    issue_qr_card(db, number="QZ001", request_id=rid())
    with pytest.raises(CornerError) as refused:
        redeem(
            db, session=session, request_id=rid(), items=[{"goods_id": slippers.id, "quantity": 1}]
        )
    assert refused.value.code == "card_revoked"


def test_inactive_member_cannot_open_a_session(db, shop):
    db.execute("UPDATE members SET status = 'inactive' WHERE number = 'QZ001'")
    with pytest.raises(CornerError) as refused:
        session_for(db)
    assert refused.value.code == "member_inactive"


def test_reversal_gives_back_points_and_stock_once(db, shop):
    slippers, eggs = shop
    redemption = redeem(
        db,
        session=session_for(db),
        request_id=rid(),
        items=[{"goods_id": slippers.id, "quantity": 1}, {"goods_id": eggs.id, "quantity": 1}],
    )
    reversal = reverse_redemption(
        db, redemption_id=redemption.id, reason="拿错了", request_id=rid(), actor="staff"
    )
    assert reversal.points == 15 and reversal.balance == 20
    assert (stock_of(db, slippers), stock_of(db, eggs)) == (3, 1)
    assert check(db) == []
    # the original rows are still there: a reversal is new rows, never an edit
    kinds = [row[0] for row in db.execute("SELECT kind FROM points_entries ORDER BY id")]
    assert kinds == ["award", "redemption", "reversal"]
    with pytest.raises(CornerError) as refused:
        reverse_redemption(
            db, redemption_id=redemption.id, reason="again", request_id=rid(), actor="staff"
        )
    assert refused.value.code == "already_reversed"


def test_reversal_needs_a_known_redemption_and_a_reason(db, shop):
    with pytest.raises(CornerError) as refused:
        reverse_redemption(db, redemption_id=42, reason="x", request_id=rid(), actor="t")
    assert refused.value.code == "redemption_unknown"
    with pytest.raises(CornerError) as refused:
        reverse_redemption(db, redemption_id=42, reason=" ", request_id=rid(), actor="t")
    assert refused.value.code == "invalid_request"


def test_restock_adds_a_ledger_row(db, shop):
    _slippers, eggs = shop
    change = restock(
        db,
        goods_id=eggs.id,
        quantity=10,
        source="donation",
        note="爱心捐赠",
        request_id=rid(),
        actor="staff",
    )
    assert (change.delta, change.on_hand) == (10, 11)
    assert check(db) == []


@pytest.mark.parametrize(
    "quantity, source",
    [(0, "purchase"), (-3, "purchase"), (True, "purchase"), (100_001, "purchase"), (5, "stolen")],
)
def test_bad_restock_is_refused(db, shop, quantity, source):
    _slippers, eggs = shop
    with pytest.raises(CornerError) as refused:
        restock(db, goods_id=eggs.id, quantity=quantity, source=source, request_id=rid(), actor="t")
    assert refused.value.code == "invalid_request"
    assert stock_of(db, eggs) == 1


def test_restock_of_unknown_goods_is_refused(db):
    with pytest.raises(CornerError) as refused:
        restock(db, goods_id=99, quantity=1, request_id=rid(), actor="t")
    assert refused.value.code == "goods_unknown"


def test_goods_found_by_id_or_name(db, shop):
    slippers, _eggs = shop
    assert find_goods(db, str(slippers.id)).name == "拖鞋"
    assert find_goods(db, "拖鞋").id == slippers.id
    with pytest.raises(CornerError) as refused:
        find_goods(db, "冰箱")
    assert refused.value.code == "goods_unknown"


def test_duplicate_goods_name_is_refused(db, shop):
    with pytest.raises(CornerError) as refused:
        make_goods(db, "拖鞋", 12)
    assert refused.value.code == "goods_exists"


def test_stock_is_held_per_corner(db, shop):
    slippers, _eggs = shop
    db.execute("INSERT INTO corners (id, name) VALUES (2, '第二兑换角')")
    assert [item.stock for item in catalog(db, corner_id=2) if item.id == slippers.id] == [0]
    restock(db, goods_id=slippers.id, quantity=4, request_id=rid(), actor="t", corner_id=2)
    assert find_goods(db, slippers.id, corner_id=2).stock == 4
    assert find_goods(db, slippers.id, corner_id=1).stock == 3
    with pytest.raises(CornerError) as refused:
        restock(db, goods_id=slippers.id, quantity=4, request_id=rid(), actor="t", corner_id=9)
    assert refused.value.code == "corner_unknown"
    assert check(db) == []


@pytest.mark.parametrize("goods_id", [2**63, 2**70, -(2**63) - 1])
def test_ids_beyond_sqlite_integers_are_invalid_requests(db, shop, goods_id):
    with pytest.raises(CornerError) as refused:
        redeem(
            db,
            session=session_for(db),
            request_id=rid(),
            items=[{"goods_id": goods_id, "quantity": 1}],
        )
    assert refused.value.code == "invalid_request"
    for call in (
        lambda: restock(db, goods_id=goods_id, quantity=1, request_id=rid(), actor="t"),
        lambda: reverse_redemption(
            db, redemption_id=goods_id, reason="x", request_id=rid(), actor="t"
        ),
    ):
        with pytest.raises(CornerError) as refused:
            call()
        assert refused.value.code == "invalid_request"
    with pytest.raises(CornerError) as refused:
        find_goods(db, str(2**70))
    assert refused.value.code == "goods_unknown"
