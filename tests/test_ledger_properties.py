"""Random sequences of awards, deductions, redemptions, reversals and restocks keep the books.

A model in plain Python predicts every balance and stock level; after each step the database
must agree with the model, with its own ledgers (``check``), and hold nothing negative.
"""

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from points.check import check
from points.db import connect
from points.errors import CornerError
from points.goods import catalog
from points.ledger import award_points, deduct_points
from points.members import list_members
from points.redemptions import redeem, reverse_redemption
from points.sessions import open_session
from points.stock import restock
from tests.helpers import make_goods, make_member, rid

MEMBERS = ["QZ001", "QZ002", "QZ003"]
PRICES = [3, 5, 10]


class Books(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="books-"))
        self.db = connect(self.folder / "corner.db")
        self.balances = {number: 0 for number in MEMBERS}
        self.stock = {}
        self.redemptions = {}  # id -> (member, points, {goods id: quantity}, reversed)
        self.done_requests = []  # (function, kwargs, first result)
        for index, number in enumerate(MEMBERS):
            make_member(self.db, number=number, name=f"成员{index}")
        for index, price in enumerate(PRICES):
            goods = make_goods(self.db, f"物品{index}", price, stock=2)
            self.stock[goods.id] = 2
        self.goods_ids = sorted(self.stock)
        self.prices = dict(zip(self.goods_ids, PRICES, strict=True))

    def teardown(self):
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _session(self, number):
        card = self.db.execute(
            "SELECT c.id FROM cards c JOIN members m ON m.id = c.member_id WHERE m.number = ?",
            [number],
        ).fetchone()[0]
        return open_session(self.db, card_id=card, corner_id=1).token

    def _remember(self, function, kwargs, result):
        self.done_requests.append((function, kwargs, result))

    @rule(number=st.sampled_from(MEMBERS), points=st.integers(1, 12))
    def award(self, number, points):
        kwargs = dict(number=number, points=points, reason="活动", request_id=rid(), actor="t")
        self._remember(award_points, kwargs, award_points(self.db, **kwargs))
        self.balances[number] += points

    @rule(number=st.sampled_from(MEMBERS), points=st.integers(1, 12))
    def deduct(self, number, points):
        kwargs = dict(number=number, points=points, reason="扣分", request_id=rid(), actor="t")
        try:
            result = deduct_points(self.db, **kwargs)
        except CornerError as error:
            assert error.code == "insufficient_points"
            assert points > self.balances[number]
            return
        self._remember(deduct_points, kwargs, result)
        self.balances[number] -= points

    @rule(
        number=st.sampled_from(MEMBERS),
        cart=st.dictionaries(
            st.integers(0, len(PRICES) - 1), st.integers(1, 3), min_size=1, max_size=3
        ),
    )
    def redeem(self, number, cart):
        items = [
            {"goods_id": self.goods_ids[index], "quantity": quantity}
            for index, quantity in cart.items()
        ]
        wanted = {item["goods_id"]: item["quantity"] for item in items}
        cost = sum(self.prices[goods_id] * quantity for goods_id, quantity in wanted.items())
        kwargs = dict(session=self._session(number), items=items, request_id=rid())
        try:
            result = redeem(self.db, **kwargs)
        except CornerError as error:
            short_of_points = cost > self.balances[number]
            short_of_stock = any(
                quantity > self.stock[goods_id] for goods_id, quantity in wanted.items()
            )
            # points are checked first, so a cart short of both is refused for points
            expected = "insufficient_points" if short_of_points else "out_of_stock"
            assert short_of_points or short_of_stock
            assert error.code == expected
            return
        assert result.points == cost
        self._remember(redeem, kwargs, result)
        self.balances[number] -= cost
        for goods_id, quantity in wanted.items():
            self.stock[goods_id] -= quantity
        self.redemptions[result.id] = (number, cost, wanted, False)

    @precondition(lambda self: any(not entry[3] for entry in self.redemptions.values()))
    @rule(data=st.data())
    def reverse(self, data):
        open_ids = sorted(key for key, entry in self.redemptions.items() if not entry[3])
        redemption_id = data.draw(st.sampled_from(open_ids))
        kwargs = dict(redemption_id=redemption_id, reason="退回", request_id=rid(), actor="t")
        self._remember(reverse_redemption, kwargs, reverse_redemption(self.db, **kwargs))
        number, cost, wanted, _ = self.redemptions[redemption_id]
        self.balances[number] += cost
        for goods_id, quantity in wanted.items():
            self.stock[goods_id] += quantity
        self.redemptions[redemption_id] = (number, cost, wanted, True)

    @rule(index=st.integers(0, len(PRICES) - 1), quantity=st.integers(1, 5))
    def restock(self, index, quantity):
        goods_id = self.goods_ids[index]
        kwargs = dict(goods_id=goods_id, quantity=quantity, request_id=rid(), actor="t")
        self._remember(restock, kwargs, restock(self.db, **kwargs))
        self.stock[goods_id] += quantity

    @precondition(lambda self: self.done_requests)
    @rule(data=st.data())
    def repeat_a_request(self, data):
        """A retried request (double tap, network retry) answers the same and changes nothing."""
        function, kwargs, first = data.draw(st.sampled_from(self.done_requests))
        assert function(self.db, **kwargs) == first

    @invariant()
    def books_agree_with_the_model(self):
        balances = {member.number: member.balance for member in list_members(self.db)}
        assert balances == self.balances
        assert {item.id: item.stock for item in catalog(self.db)} == self.stock
        assert all(value >= 0 for value in balances.values())
        assert all(value >= 0 for value in self.stock.values())
        assert check(self.db) == []


Books.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestBooks = Books.TestCase
