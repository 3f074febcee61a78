"""Settlement equals the ledger: for random histories over six quarters, each member's quarter
as settled is what their own ledger rows say, every balance at the start of a quarter is the
balance at the end of the one before, and the last balance is the member's cached balance."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from points.clock import set_clock
from points.db import connect
from points.errors import CornerError
from points.ledger import award_points, deduct_points
from points.redemptions import redeem, reverse_redemption
from points.sessions import open_session
from points.settlement import compute_settlement
from tests.helpers import make_goods, make_member, rid

MEMBERS = ["QZ001", "QZ002", "QZ003"]
QUARTERS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]

step = st.tuples(
    st.integers(0, len(QUARTERS) - 1),  # when: the quarter (steps are sorted by it)
    st.sampled_from(["award", "deduct", "redeem", "reverse", "correct"]),
    st.integers(0, len(MEMBERS) - 1),
    st.integers(1, 30),
)


def at(quarter: str) -> datetime:
    year, number = int(quarter[:4]), int(quarter[5])
    return datetime(year, 3 * number - 1, 15, 10).astimezone()


@settings(max_examples=40, deadline=None)
@given(st.lists(step, max_size=40))
def test_settlement_equals_the_ledger(steps):
    folder = Path(tempfile.mkdtemp(prefix="settle-"))
    db = connect(folder / "corner.db")
    try:
        run(db, sorted(steps, key=lambda item: item[0]))
        verify(db)
    finally:
        set_clock(None)
        db.close()
        shutil.rmtree(folder)


def run(db, steps) -> None:
    set_clock(lambda: at(QUARTERS[0]))
    for number in MEMBERS:
        make_member(db, number, number)
    goods = make_goods(db, "鸡蛋", points=5, stock=10_000)
    redemptions = []
    for when, kind, who, amount in steps:
        moment = at(QUARTERS[when])
        set_clock(lambda moment=moment: moment)
        number = MEMBERS[who]
        try:
            if kind == "award":
                award_points(
                    db, number=number, points=amount, reason="r", request_id=rid(), actor="t"
                )
            elif kind == "deduct":
                deduct_points(
                    db, number=number, points=amount, reason="r", request_id=rid(), actor="t"
                )
            elif kind == "correct" and when > 0:  # into the quarter before, as in a review
                award_points(
                    db, number=number, points=amount, reason="更正", request_id=rid(), actor="t",
                    quarter=QUARTERS[when - 1],
                )  # fmt: skip
            elif kind == "redeem":
                card = db.execute(
                    "SELECT c.id FROM cards c JOIN members m ON m.id = c.member_id"
                    " WHERE m.number = ?",
                    [number],
                ).fetchone()[0]
                session = open_session(db, card_id=card, corner_id=1)
                quantity = 1 + amount % 3
                items = [{"goods_id": goods.id, "quantity": quantity}]
                redemptions.append(redeem(db, session=session.token, items=items, request_id=rid()))
            elif kind == "reverse" and redemptions:
                done = redemptions.pop(amount % len(redemptions))
                reverse_redemption(
                    db, redemption_id=done.id, reason="r", request_id=rid(), actor="t"
                )
        except CornerError as error:
            assert error.code == "insufficient_points"


def verify(db) -> None:
    entries = db.execute(
        "SELECT m.number, e.quarter, e.kind, e.delta FROM points_entries e"
        " JOIN members m ON m.id = e.member_id"
    ).fetchall()
    closing_before = {number: 0 for number in MEMBERS}
    for quarter in QUARTERS:
        lines = {line.number: line for line in compute_settlement(db, quarter)}
        assert set(lines) == set(MEMBERS)
        for number in MEMBERS:
            mine = [(q, kind, delta) for who, q, kind, delta in entries if who == number]

            def total(rows, kinds=("award", "deduction", "redemption", "reversal")):
                return sum(delta for _q, kind, delta in rows if kind in kinds)

            this = [row for row in mine if row[0] == quarter]
            line = lines[number]
            assert line.opening == total([row for row in mine if row[0] < quarter])
            assert line.opening == closing_before[number]
            assert line.earned == total(this, ("award",))
            assert line.deducted == -total(this, ("deduction",))
            assert line.redeemed == -total(this, ("redemption",))
            assert line.reversed == total(this, ("reversal",))
            assert line.closing == total([row for row in mine if row[0] <= quarter])
            assert line.quarter_points == total(this, ("award", "deduction"))
            same_year = [row for row in mine if row[0][:4] == quarter[:4] and row[0] <= quarter]
            assert line.year_points == total(same_year, ("award", "deduction"))
            earlier = [row for row in mine if row[0] <= quarter]
            assert line.cumulative == total(earlier, ("award", "deduction"))
            closing_before[number] = line.closing
    cached = dict(db.execute("SELECT number, balance FROM members").fetchall())
    assert cached == closing_before
