"""Small builders for tests: members with points, goods with stock, card tokens, request ids."""

from __future__ import annotations

import uuid

from cards.token import make_token
from points.activities import create_activity, list_categories, open_activity
from points.goods import add_goods
from points.ledger import award_points
from points.member_cards import issue_qr_card
from points.members import add_member


def rid() -> str:
    """A fresh request id."""
    return f"test-{uuid.uuid4()}"


def make_member(db, number: str = "QZ001", name: str = "张三", points: int = 0, card: bool = True):
    """A member with a QR card and ``points`` awarded."""
    member = add_member(
        db, number=number, name=name, branch="第一支部", community="银枫社区", request_id=rid()
    )
    if card:
        issue_qr_card(db, number=number, request_id=rid())
    if points:
        award_points(
            db, number=number, points=points, reason="理论学习", request_id=rid(), actor="test"
        )
    return member


def make_goods(db, name: str = "拖鞋", points: int = 10, stock: int = 5, corner_id: int = 1):
    """A good in the catalogue with opening stock."""
    return add_goods(
        db,
        name=name,
        points=points,
        stock=stock,
        request_id=rid(),
        actor="test",
        corner_id=corner_id,
    )


def card_token(instance, db, number: str = "QZ001") -> str:
    """The token printed on the member's current QR card."""
    from points.member_cards import current_qr_card

    card = current_qr_card(db, number)
    return make_token(instance.secret(), member_number=number, serial=card.id)


def category_id(db, name: str) -> int:
    return next(c.id for c in list_categories(db, include_inactive=True) if c.name == name)


def make_activity(db, *, category="河道巡查", open_now=True, **kwargs):
    activity = create_activity(
        db,
        title=kwargs.pop("title", "秦灶河巡河"),
        category_id=category_id(db, category),
        starts="2026-04-02T09:00",
        place="秦灶河",
        request_id=rid(),
        actor="organiser",
        **kwargs,
    )
    if open_now:
        activity = open_activity(db, activity_id=activity.id, request_id=rid(), actor="organiser")
    return activity
