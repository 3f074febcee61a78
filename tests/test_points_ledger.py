"""Awards, deductions, request ids and the database's own refusals."""

import sqlite3

import pytest

from points.check import check
from points.errors import MESSAGES, CornerError
from points.ledger import award_points, balance, deduct_points
from points.members import add_member, get_member
from tests.helpers import make_member, rid


def points_rows(db):
    return db.execute("SELECT count(*) FROM points_entries").fetchone()[0]


def test_award_adds_to_balance_and_ledger(db):
    make_member(db)
    change = award_points(
        db, number="QZ001", points=4, reason="理论学习", request_id=rid(), actor="test"
    )
    assert (change.delta, change.balance) == (4, 4)
    assert balance(db, "QZ001") == 4 == get_member(db, "QZ001").balance


def test_deduction_below_zero_is_refused_and_writes_nothing(db):
    make_member(db, points=3)
    before = points_rows(db)
    with pytest.raises(CornerError) as refused:
        deduct_points(db, number="QZ001", points=4, reason="缺席", request_id=rid(), actor="t")
    assert refused.value.code == "insufficient_points"
    assert refused.value.details == {"balance": 3, "needed": 4}
    assert points_rows(db) == before and get_member(db, "QZ001").balance == 3


def test_deduction_to_exactly_zero_is_allowed(db):
    make_member(db, points=3)
    assert (
        deduct_points(
            db, number="QZ001", points=3, reason="缺席", request_id=rid(), actor="t"
        ).balance
        == 0
    )


@pytest.mark.parametrize("points", [0, -1, 1001, True, "4", 4.0, None])
def test_award_of_bad_amount_is_refused(db, points):
    make_member(db)
    with pytest.raises(CornerError) as refused:
        award_points(db, number="QZ001", points=points, reason="x", request_id=rid(), actor="t")
    assert refused.value.code == "invalid_request"
    assert points_rows(db) == 0


@pytest.mark.parametrize("reason", ["", "   ", None, "长" * 201])
def test_award_needs_a_reason(db, reason):
    make_member(db)
    with pytest.raises(CornerError) as refused:
        award_points(db, number="QZ001", points=4, reason=reason, request_id=rid(), actor="t")
    assert refused.value.code == "invalid_request"


def test_award_to_unknown_member_is_refused(db):
    with pytest.raises(CornerError) as refused:
        award_points(db, number="QZ404", points=4, reason="x", request_id=rid(), actor="t")
    assert refused.value.code == "member_unknown"


def test_repeated_request_id_awards_once_and_answers_the_same(db):
    make_member(db)
    request_id = rid()
    first = award_points(
        db, number="QZ001", points=5, reason="巡河", request_id=request_id, actor="t"
    )
    again = award_points(
        db, number="QZ001", points=5, reason="巡河", request_id=request_id, actor="t"
    )
    assert first == again
    assert balance(db, "QZ001") == 5 and points_rows(db) == 1


def test_request_id_reused_for_a_different_request_is_refused(db):
    make_member(db)
    request_id = rid()
    award_points(db, number="QZ001", points=5, reason="巡河", request_id=request_id, actor="t")
    with pytest.raises(CornerError) as refused:
        award_points(db, number="QZ001", points=4, reason="巡河", request_id=request_id, actor="t")
    assert refused.value.code == "request_conflict"
    with pytest.raises(CornerError) as refused:
        deduct_points(db, number="QZ001", points=5, reason="巡河", request_id=request_id, actor="t")
    assert refused.value.code == "request_conflict"
    assert balance(db, "QZ001") == 5


@pytest.mark.parametrize("request_id", ["", "short", None, 12345678, "x" * 101, "has space 123"])
def test_bad_request_id_is_refused(db, request_id):
    make_member(db)
    with pytest.raises(CornerError) as refused:
        award_points(db, number="QZ001", points=4, reason="x", request_id=request_id, actor="t")
    assert refused.value.code == "invalid_request"


def test_a_refused_request_may_be_retried_with_the_same_id(db):
    make_member(db)
    request_id = rid()
    with pytest.raises(CornerError):
        deduct_points(db, number="QZ001", points=2, reason="x", request_id=request_id, actor="t")
    award_points(db, number="QZ001", points=2, reason="y", request_id=rid(), actor="t")
    assert (
        deduct_points(
            db, number="QZ001", points=2, reason="x", request_id=request_id, actor="t"
        ).balance
        == 0
    )


def test_ledger_rows_cannot_be_edited_or_deleted(db):
    make_member(db, points=5)
    for statement in (
        "UPDATE points_entries SET delta = 500",
        "DELETE FROM points_entries",
        "DELETE FROM members",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only|never deleted"):
            db.execute(statement)
    assert balance(db, "QZ001") == 5


def test_database_refuses_a_negative_balance_even_from_a_bug(db):
    make_member(db, points=5)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE members SET balance = -1 WHERE number = 'QZ001'")


def test_database_refuses_an_award_row_with_a_negative_delta(db):
    member = make_member(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO points_entries (member_id, delta, kind, actor, quarter,"
            " request_id, created) VALUES (?, -5, 'award', 't', '2026Q4', 'r', 'now')",
            [member.id],
        )


def test_check_finds_a_ledger_row_that_bypassed_the_core(db):
    member = make_member(db, points=5)
    assert check(db) == []
    db.execute(
        "INSERT INTO points_entries (member_id, delta, kind, reason, actor, quarter,"
        " request_id, created) VALUES (?, 3, 'award', 'x', 't', '2026Q4', 'r', 'now')",
        [member.id],
    )
    problems = check(db)
    assert problems[0] == "member QZ001: stored balance 5 but ledger sums to 8"
    # and the row has no place in the hash chain (points.chain)
    assert problems[1:] == [
        "points_entries row 2: no hash: written outside the app (member_id=1, delta=3,"
        " kind='award', reason='x', actor='t', quarter='2026Q4', redemption_id=None,"
        " activity_id=None, request_id='r', created='now', corrects=None)"
    ]


def test_entries_record_the_quarter(db):
    make_member(db, points=5)
    quarter = db.execute("SELECT quarter FROM points_entries").fetchone()[0]
    assert len(quarter) == 6 and quarter[4] == "Q"


def test_member_numbers_are_unique_and_normalised(db):
    make_member(db, number="qz-7")
    assert get_member(db, "QZ-7").number == "QZ-7"
    with pytest.raises(CornerError) as refused:
        add_member(db, number="QZ-7", name="李四", request_id=rid())
    assert refused.value.code == "member_exists"


@pytest.mark.parametrize("number", ["", "has space", "QZ/1", "X" * 21, "张三"])
def test_bad_member_number_is_refused(db, number):
    with pytest.raises(CornerError) as refused:
        add_member(db, number=number, name="李四", request_id=rid())
    assert refused.value.code == "invalid_request"


def test_every_error_code_has_a_message():
    assert all(message.strip() for message in MESSAGES.values())
    with pytest.raises(ValueError):
        CornerError("no_such_code")
