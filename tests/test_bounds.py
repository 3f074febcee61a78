"""Every field bound is said once, as a named constant; the database's CHECKs say the same.

The SQL half inserts the boundary values straight into a fresh database made by the migrations:
the constant N is accepted and N + 1 refused by the CHECK constraint. The core half calls the
real core functions with the same values: N passes and N + 1 is ``invalid_request``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

from points.activities import (
    MAX_CATEGORY_NAME,
    MAX_STANDARD_POINTS,
    MAX_TITLE,
    add_category,
    create_activity,
)
from points.corners import MAX_CORNER_NAME, corner_name
from points.errors import CornerError
from points.goods import MAX_GOODS_CATEGORY, MAX_GOODS_NAME, MAX_POINTS, add_goods
from points.kiosks import MAX_KIOSK_NAME, normalise_kiosk_name
from points.ledger import MAX_POINTS_PER_ENTRY, award_points
from points.members import (
    MAX_MEMBER_NAME,
    MAX_NUMBER,
    MAX_PHONE,
    MIN_PHONE,
    member_fields,
    normalise_number,
)
from points.passwords import MAX_PASSWORD, MIN_PASSWORD, check_password
from points.requests import MAX_REQUEST_ID, MIN_REQUEST_ID, check_request_id
from points.staff import MAX_USERNAME, normalise_username
from points.validate import MAX_REASON, trimmed_text
from tests.helpers import make_member, rid


@dataclass(frozen=True)
class SqlBound:
    column: str
    high: int  # the named constant
    insert: str  # one statement; ?1 is the value
    text: bool = True  # a length bound (else a bound on the number itself)
    trimmed: bool = False  # the CHECK trims first, so spaces alone are empty


ACTIVITY = (
    "INSERT INTO activities (title, category_id, starts, points, award_mode, created_by, created)"
    " VALUES ({title}, 1, '2026-04-02T09:00', {points}, 'on_checkin', 't', 't')"
)
SQL_BOUNDS = [
    SqlBound(
        "members.number",
        MAX_NUMBER,
        "INSERT INTO members (number, name, joined) VALUES (?1, 'x', 't')",
    ),
    SqlBound(
        "kiosks.name",
        MAX_KIOSK_NAME,
        "INSERT INTO kiosks (name, corner_id, token_digest, created) VALUES (?1, 1, 'd', 't')",
    ),
    SqlBound(
        "staff.username",
        MAX_USERNAME,
        "INSERT INTO staff (username, password_hash, role, created)"
        " VALUES (?1, 'scrypt$', 'admin', 't')",
    ),
    SqlBound(
        "activity_categories.name",
        MAX_CATEGORY_NAME,
        "INSERT INTO activity_categories (name, points) VALUES (?1, 1)",
        trimmed=True,
    ),
    SqlBound(
        "activity_categories.points",
        MAX_STANDARD_POINTS,
        "INSERT INTO activity_categories (name, points) VALUES ('bound ' || ?1, ?1)",
        text=False,
    ),
    SqlBound("activities.title", MAX_TITLE, ACTIVITY.format(title="?1", points=4), trimmed=True),
    SqlBound(
        "activities.points",
        MAX_STANDARD_POINTS,
        ACTIVITY.format(title="'t'", points="?1"),
        text=False,
    ),
]


def value(bound: SqlBound, size: int) -> str | int:
    return "a" * size if bound.text else size


def inserted(db, bound: SqlBound, given: str | int) -> bool:
    try:
        db.execute(bound.insert, [given])
    except sqlite3.IntegrityError as error:
        assert "CHECK constraint failed" in str(error)
        return False
    return True


@pytest.mark.parametrize("bound", SQL_BOUNDS, ids=lambda bound: bound.column)
def test_the_database_check_holds_the_named_bound(db, bound):
    assert inserted(db, bound, value(bound, 1))
    assert inserted(db, bound, value(bound, bound.high))
    assert not inserted(db, bound, value(bound, bound.high + 1))
    assert not inserted(db, bound, value(bound, 0))
    if bound.trimmed:
        assert not inserted(db, bound, "   ")


# columns whose CHECK says only "not blank": the upper bound lives in the core alone
BLANK_REFUSED = [
    "INSERT INTO members (number, name, joined) VALUES ('QZ900', ?1, 't')",
    "INSERT INTO goods (name, points, created) VALUES (?1, 1, 't')",
    "INSERT INTO corners (name) VALUES (?1)",
    "INSERT INTO communities (name) VALUES (?1)",
]


@pytest.mark.parametrize("insert", BLANK_REFUSED)
def test_the_database_refuses_blank_names(db, insert):
    for blank in ("", "   "):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            db.execute(insert, [blank])


def refuses(call, given) -> bool:
    try:
        call(given)
    except CornerError as error:
        assert error.code in ("invalid_request", "password_too_short"), error
        return True
    return False


def core_bounds(db):
    """(name, low, high, call(value)): the core accepts low..high and refuses just outside."""
    make_member(db)

    def category(name_or_points):
        if isinstance(name_or_points, int):
            return add_category(
                db, name=f"bound {rid()}"[:40], points=name_or_points, request_id=rid(), actor="t"
            )
        return add_category(db, name=name_or_points, points=1, request_id=rid(), actor="t")

    def activity(title):
        return create_activity(
            db, title=title, category_id=1, starts="2026-04-02T09:00", request_id=rid(), actor="t"
        )

    def goods(name):
        return add_goods(db, name=name, points=1, request_id=rid(), actor="t")

    def award(points_or_reason):
        points, reason = (
            (points_or_reason, "巡河")
            if isinstance(points_or_reason, int)
            else (1, points_or_reason)
        )
        return award_points(
            db, number="QZ001", points=points, reason=reason, request_id=rid(), actor="t"
        )

    def text(size, char="字"):
        return char * size

    return [
        ("member number", 1, MAX_NUMBER, lambda n: normalise_number(text(n, "A"))),
        (
            "member name",
            1,
            MAX_MEMBER_NAME,
            lambda n: member_fields(name=text(n), branch=None, community=None, phone=None),
        ),
        (
            "phone",
            MIN_PHONE,
            MAX_PHONE,
            lambda n: member_fields(name="x", branch=None, community=None, phone=text(n, "1")),
        ),
        ("kiosk name", 1, MAX_KIOSK_NAME, lambda n: normalise_kiosk_name(text(n, "k"))),
        ("user name", 1, MAX_USERNAME, lambda n: normalise_username(text(n, "u"))),
        ("password", MIN_PASSWORD, MAX_PASSWORD, lambda n: check_password(text(n, "p"))),
        ("request id", MIN_REQUEST_ID, MAX_REQUEST_ID, lambda n: check_request_id(text(n, "r"))),
        ("corner name", 1, MAX_CORNER_NAME, lambda n: corner_name(text(n))),
        ("category name", 1, MAX_CATEGORY_NAME, lambda n: category(text(n, chr(0x4E00 + n)))),
        ("standard points", 1, MAX_STANDARD_POINTS, lambda n: category(n)),
        ("activity title", 1, MAX_TITLE, lambda n: activity(text(n))),
        ("goods name", 1, MAX_GOODS_NAME, lambda n: goods(text(n, chr(0x4E00 + n)))),
        (
            "goods points",
            1,
            MAX_POINTS,
            lambda n: add_goods(db, name=f"g{n}", points=n, request_id=rid(), actor="t"),
        ),
        (
            "goods category",
            0,
            MAX_GOODS_CATEGORY,
            lambda n: add_goods(
                db, name=f"c{n}", points=1, category=text(n), request_id=rid(), actor="t"
            ),
        ),
        ("points per entry", 1, MAX_POINTS_PER_ENTRY, lambda n: award(n)),
        ("reason", 1, MAX_REASON, lambda n: award(text(n))),
    ]


def test_the_core_refuses_just_past_each_named_bound(db):
    for name, low, high, call in core_bounds(db):
        assert not refuses(call, low), name
        assert not refuses(call, high), name
        assert refuses(call, high + 1), name
        if low > 0:
            assert refuses(call, low - 1), name


def test_trimmed_text_trims_and_counts_the_trimmed_text():
    assert trimmed_text("  张三  ", "name", max_length=2) == "张三"
    assert trimmed_text("   ", "note", max_length=5, required=False) is None
    assert trimmed_text(None, "note", max_length=5, required=False) is None
    for value, required in [("", True), ("  ", True), (None, True), ("abcdef", False)]:
        with pytest.raises(CornerError) as refused:
            trimmed_text(value, "note", max_length=5, required=required)
        assert refused.value.code == "invalid_request"
        assert refused.value.details == {"field": "note"}
