"""The quarter: review, posting with its period and objections, the lock, ranks and stars."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from cards.credentials import scan
from points.activities import close_activity
from points.activity_awards import approve_pending
from points.check import check
from points.checkins import check_in
from points.errors import CornerError
from points.ledger import award_points, balance, deduct_points
from points.objections import list_objections, raise_objection, resolve_objection
from points.quarters import begin_review, get_quarter, lock_quarter, post_quarter, reopen_review
from points.redemptions import redeem, reverse_redemption
from points.settlement import compute_settlement, settlement, stored_settlement
from points.stars import choose_quarter_star, quarter_stars, set_star_thresholds, stars_for
from tests.helpers import card_token, make_activity, make_goods, make_member, rid


def refused(code: str, call, *args, **kwargs) -> CornerError:
    with pytest.raises(CornerError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


def award(db, number: str, points: int, **kwargs):
    reason = kwargs.pop("reason", "理论学习")
    return award_points(
        db,
        number=number,
        points=points,
        reason=reason,
        request_id=rid(),
        actor="wang",
        **kwargs,
    )


def review(db, quarter: str):
    return begin_review(db, quarter=quarter, request_id=rid(), actor="wang")


def post(db, quarter: str, **kwargs):
    return post_quarter(db, quarter=quarter, request_id=rid(), actor="wang", **kwargs)


def lock(db, quarter: str):
    return lock_quarter(db, quarter=quarter, request_id=rid(), actor="wang")


def rows(db) -> int:
    return db.execute("SELECT count(*) FROM points_entries").fetchone()[0]


def test_a_quarter_goes_open_review_posted_locked(db, clock):
    clock.set(datetime(2026, 2, 10, 9))
    make_member(db, "QZ001", "张三")
    award(db, "QZ001", 12)
    clock.set(datetime(2026, 4, 1, 9))  # Wednesday, the first day of Q2
    assert get_quarter(db, "2026Q1").status == "open"
    refused("quarter_state", post, db, "2026Q1")  # no posting before the review
    assert review(db, "2026Q1").status == "review"
    posted = post(db, "2026Q1", working_days=5, contact="社区办公室 王老师")
    assert posted.status == "posted"
    # Wednesday 1 April to Tuesday 7 April holds five working days
    assert (posted.posting_starts, posted.posting_ends) == ("2026-04-01", "2026-04-07")
    assert posted.contact == "社区办公室 王老师" and posted.stars == (5, 10, 15, 20, 25)
    clock.set(datetime(2026, 4, 7, 18))
    refused("posting_not_over", lock, db, "2026Q1")
    clock.set(datetime(2026, 4, 8, 9))
    locked = lock(db, "2026Q1")
    assert locked.status == "locked" and locked.locked_by == "wang"
    for move in (review, post, lock):
        refused("quarter_locked", move, db, "2026Q1")
    refused(
        "quarter_locked",
        reopen_review,
        db,
        quarter="2026Q1",
        request_id=rid(),
        actor="wang",
    )


def test_a_posted_quarter_can_go_back_to_review_and_its_board_comes_down(db, clock):
    clock.set(datetime(2026, 4, 2, 9))
    make_member(db)
    review(db, "2026Q1")
    post(db, "2026Q1")
    assert stored_settlement(db, "2026Q1") is not None
    back = reopen_review(db, quarter="2026Q1", request_id=rid(), actor="wang")
    assert back.status == "review" and back.posting_ends is None
    assert stored_settlement(db, "2026Q1") is None


def test_a_future_or_malformed_quarter_is_refused(db, clock):
    clock.set(datetime(2026, 5, 1, 9))
    for quarter in ("2026Q3", "2027Q1", "2026Q5", "26Q1", "", None, "2026Q2 OR 1=1"):
        refused("invalid_request", review, db, quarter)
    assert review(db, "2026q2").quarter == "2026Q2"  # the current one, written either way


def test_a_correction_during_review_counts_in_the_reviewed_quarter(db, clock):
    clock.set(datetime(2026, 3, 20, 9))
    make_member(db)
    award(db, "QZ001", 4)
    clock.set(datetime(2026, 4, 3, 9))
    review(db, "2026Q1")
    award(db, "QZ001", 3, quarter="2026Q1")  # a missed activity, found in the review
    award(db, "QZ001", 5)  # today's activity: Q2
    q1, q2 = compute_settlement(db, "2026Q1")[0], compute_settlement(db, "2026Q2")[0]
    assert (q1.earned, q1.closing) == (7, 7)
    assert (q2.opening, q2.earned, q2.closing) == (7, 5, 12)


def locked_current_quarter(db, clock):
    """Q1 2026 locked while it is still Q1 (posted on 5 Jan, locked on 20 Jan)."""
    clock.set(datetime(2026, 1, 5, 9))
    review(db, "2026Q1")
    post(db, "2026Q1")
    clock.set(datetime(2026, 1, 20, 9))
    lock(db, "2026Q1")


def test_every_write_into_a_locked_quarter_is_refused_and_writes_nothing(db, clock, instance):
    clock.set(datetime(2026, 1, 2, 9))
    make_member(db, "QZ001", "张三", points=30)
    make_member(db, "QZ002", "李四", points=30)
    slippers = make_goods(db, "拖鞋", 10)
    session = scan(db, instance.secret(), card_token(instance, db), corner_id=1)
    bought = redeem(
        db,
        session=session.token,
        items=[{"goods_id": slippers.id, "quantity": 1}],
        request_id=rid(),
    )
    on_close = make_activity(db, title="一月清扫", award_mode="on_close")
    check_in(
        db, activity_id=on_close.id, member_number="QZ002", method="manual",
        operator="wang", request_id=rid(),
    )  # fmt: skip
    close_activity(db, activity_id=on_close.id, request_id=rid(), actor="wang")
    on_checkin = make_activity(db, title="一月巡河")
    locked_current_quarter(db, clock)
    before = (rows(db), balance(db, "QZ001"), balance(db, "QZ002"))

    refused("quarter_locked", award, db, "QZ001", 3)
    refused(
        "quarter_locked", deduct_points, db, number="QZ001", points=3, reason="未参加活动",
        request_id=rid(), actor="wang",
    )  # fmt: skip
    refused(
        "quarter_locked", reverse_redemption, db, redemption_id=bought.id, reason="拿错了",
        request_id=rid(), actor="wang",
    )  # fmt: skip
    refused(
        "quarter_locked", approve_pending, db, activity_id=on_close.id, request_id=rid(),
        actor="wang",
    )  # fmt: skip
    again = scan(db, instance.secret(), card_token(instance, db), corner_id=1)
    refused(
        "quarter_locked", redeem, db, session=again.token,
        items=[{"goods_id": slippers.id, "quantity": 1}], request_id=rid(),
    )  # fmt: skip
    outcome = check_in(
        db, activity_id=on_checkin.id, member_number="QZ001", method="manual",
        operator="wang", request_id=rid(),
    )  # fmt: skip
    assert not outcome.accepted and outcome.code == "quarter_locked"
    from click.testing import CliRunner

    from corner.cli import cli

    by_hand = CliRunner().invoke(
        cli, ["--instance", str(instance.path), "award", "QZ001", "3", "--reason", "补记"]
    )
    assert by_hand.exit_code != 0 and by_hand.exception.code == "quarter_locked"
    assert (rows(db), balance(db, "QZ001"), balance(db, "QZ002")) == before
    # and the database itself refuses, whatever path a bug takes
    with pytest.raises(sqlite3.IntegrityError, match="quarter_locked"):
        db.execute(
            "INSERT INTO points_entries (member_id, delta, kind, actor, quarter, request_id,"
            " created) VALUES (1, 5, 'award', 'bug', '2026Q1', 'bug-00000001', 'now')"
        )
    # a late correction lands in the open quarter
    clock.set(datetime(2026, 4, 1, 9))
    assert award(db, "QZ001", 3).balance == before[1] + 3
    refused("quarter_locked", award, db, "QZ001", 3, quarter="2026Q1")
    assert check(db) == []


def test_objections_block_the_lock_until_resolved(db, clock):
    clock.set(datetime(2026, 3, 2, 9))
    make_member(db, "QZ001", "张三")
    award(db, "QZ001", 8)
    clock.set(datetime(2026, 4, 1, 9))
    refused(
        "quarter_state", raise_objection, db, quarter="2026Q1", number="QZ001",
        raised_by="张三", text="三月巡河没记上", request_id=rid(), actor="wang",
    )  # fmt: skip
    review(db, "2026Q1")
    post(db, "2026Q1")
    first = raise_objection(
        db, quarter="2026Q1", number="QZ001", raised_by="张三", text="三月巡河没记上",
        request_id=rid(), actor="wang",
    )  # fmt: skip
    second = raise_objection(
        db, quarter="2026Q1", number="QZ001", raised_by="张三的女儿", text="分数不对",
        request_id=rid(), actor="wang",
    )  # fmt: skip
    clock.set(datetime(2026, 4, 10, 9))
    refused("objections_open", lock, db, "2026Q1")
    fixed = resolve_objection(
        db, objection_id=first.id, reply="补记三月巡河 4 分", correction=4, request_id=rid(),
        actor="wang",
    )  # fmt: skip
    assert fixed.resolution == "corrected" and fixed.entry_id is not None
    refused(
        "objection_resolved", resolve_objection, db, objection_id=first.id, reply="再来",
        request_id=rid(), actor="wang",
    )  # fmt: skip
    refused("objections_open", lock, db, "2026Q1")
    replied = resolve_objection(
        db, objection_id=second.id, reply="已核对签到记录，分数无误", request_id=rid(), actor="wang"
    )
    assert replied.resolution == "replied" and replied.entry_id is None
    assert [item.resolved is not None for item in list_objections(db, "2026Q1")] == [True, True]
    lock(db, "2026Q1")
    final = settlement(db, "2026Q1")[0]
    assert (final.earned, final.closing) == (12, 12)  # the correction counts in Q1
    assert check(db) == []


def test_ranks_share_ties_per_branch(db, clock):
    clock.set(datetime(2026, 2, 2, 9))
    for number, points in [("A1", 9), ("A2", 12), ("A3", 9), ("A4", 3), ("A5", 12)]:
        make_member(db, number, number, points=points)
    lines = {line.number: line.rank for line in compute_settlement(db, "2026Q1")}
    assert lines == {"A2": 1, "A5": 1, "A1": 3, "A3": 3, "A4": 5}


@pytest.mark.parametrize(
    ("points", "stars"),
    [(0, 0), (4, 0), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3), (20, 4), (24, 4), (25, 5), (99, 5)],
)
def test_star_thresholds_at_their_edges(points, stars):
    assert stars_for(points, (5, 10, 15, 20, 25)) == stars


def test_star_thresholds_are_set_until_posting_and_then_frozen(db, clock):
    clock.set(datetime(2026, 2, 2, 9))
    make_member(db, "QZ001", "张三", points=6)
    for bad in ([5, 5, 6, 7, 8], [0, 1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4, "5"], "12345"):
        refused(
            "invalid_request", set_star_thresholds, db, quarter="2026Q1", thresholds=bad,
            request_id=rid(), actor="wang",
        )  # fmt: skip
    set_star_thresholds(
        db, quarter="2026Q1", thresholds=[2, 4, 6, 8, 10], request_id=rid(), actor="wang"
    )
    assert compute_settlement(db, "2026Q1")[0].stars == 3
    clock.set(datetime(2026, 4, 1, 9))
    review(db, "2026Q1")
    post(db, "2026Q1")
    refused(
        "quarter_state", set_star_thresholds, db, quarter="2026Q1", thresholds=[1, 2, 3, 4, 5],
        request_id=rid(), actor="wang",
    )  # fmt: skip
    assert get_quarter(db, "2026Q1").stars == (2, 4, 6, 8, 10)
    # the next quarter starts from the same thresholds
    award(db, "QZ001", 8)
    assert compute_settlement(db, "2026Q2")[0].stars == 4


def test_the_star_of_the_quarter_is_a_five_star_member(db, clock):
    clock.set(datetime(2026, 2, 2, 9))
    make_member(db, "QZ001", "张三", points=30)
    make_member(db, "QZ002", "李四", points=12)
    clock.set(datetime(2026, 4, 1, 9))
    review(db, "2026Q1")

    def choose(number: str):
        return choose_quarter_star(
            db, quarter="2026Q1", number=number, reason="带头巡河", request_id=rid(), actor="wang"
        )

    refused("quarter_state", choose, "QZ001")  # stars are settled at posting
    post(db, "2026Q1")
    refused("star_not_earned", choose, "QZ002")
    choose("QZ001")
    assert quarter_stars(db, "2026Q1") == {"QZ001": "带头巡河"}


def test_corner_check_finds_a_locked_settlement_that_no_longer_matches(db, clock):
    clock.set(datetime(2026, 2, 2, 9))
    make_member(db, "QZ001", "张三", points=7)
    clock.set(datetime(2026, 4, 1, 9))
    review(db, "2026Q1")
    post(db, "2026Q1")
    clock.set(datetime(2026, 4, 10, 9))
    lock(db, "2026Q1")
    assert check(db) == []
    with pytest.raises(sqlite3.IntegrityError, match="quarter_locked"):
        db.execute("UPDATE settlements SET earned = 70, closing = 70")
    db.execute("DROP TRIGGER settlements_frozen_update")  # what only a tamperer could do
    db.execute("UPDATE settlements SET earned = 70, closing = 70")
    assert check(db) == ["quarter 2026Q1: member 1 differs from the ledger"]


def test_the_cli_reviews_posts_settles_and_locks(instance, db, clock):
    from click.testing import CliRunner

    from corner.cli import cli

    clock.set(datetime(2026, 2, 2, 9))
    make_member(db, "QZ001", "张三", points=12)
    clock.set(datetime(2026, 4, 1, 9))

    def corner(*args: str):
        result = CliRunner().invoke(cli, ["--instance", str(instance.path), *args])
        return result

    assert corner("quarters", "review", "2026Q1").output == "2026Q1：核实中\n"
    posted = corner("quarters", "post", "2026Q1", "--days", "3", "--contact", "王老师")
    assert "2026-04-01" in posted.output and "2026-04-03" in posted.output
    table = corner("quarters", "settle", "2026Q1").output.splitlines()
    assert table[1].split("\t") == [
        "QZ001", "张三", "第一支部", "0", "12", "0", "0", "0", "12", "12", "12", "12", "2", "1"
    ]  # fmt: skip
    refused_lock = corner("quarters", "lock", "2026Q1")
    assert refused_lock.exit_code != 0
    assert corner("quarters", "list").output.splitlines()[1].startswith("2026Q1\t已公示")


def test_a_late_correction_names_the_locked_quarter_and_counts_in_the_open_one(db, clock):
    from points.review import review_quarter

    clock.set(datetime(2026, 2, 2, 9))
    make_member(db, "QZ001", "张三", points=8)
    clock.set(datetime(2026, 4, 1, 9))
    review(db, "2026Q1")
    post(db, "2026Q1")
    clock.set(datetime(2026, 4, 20, 9))
    refused("quarter_state", award, db, "QZ001", 4, corrects="2026Q1")  # not locked yet
    lock(db, "2026Q1")
    refused("invalid_request", award, db, "QZ001", 4, corrects="2026Q2")  # not an earlier one
    late = award(db, "QZ001", 4, reason="补记三月巡河", corrects="2026Q1")
    assert late.balance == 12
    line = review_quarter(db, "2026Q2").lines[-1]
    assert (line.corrects, line.delta) == ("2026Q1", 4)
    assert settlement(db, "2026Q1")[0].closing == 8  # the locked quarter did not move
    assert check(db) == []


def test_the_review_points_at_double_awards_and_deductions_without_a_category(db, clock):
    from points.activity_awards import deduct
    from points.review import review_quarter
    from tests.helpers import category_id

    clock.set(datetime(2026, 5, 6, 9))
    make_member(db, "QZ001", "张三", points=20)
    make_member(db, "QZ002", "李四")
    first = make_activity(db, title="上午巡河")
    second = make_activity(db, title="下午巡河")
    for activity in (first, second):
        check_in(
            db, activity_id=activity.id, member_number="QZ001", method="manual",
            operator="wang", request_id=rid(),
        )  # fmt: skip
    deduct(
        db, member_number="QZ001", category_id=category_id(db, "迟到早退"), request_id=rid(),
        actor="wang", activity_id=first.id,
    )  # fmt: skip
    loose = deduct_points(
        db, number="QZ001", points=2, reason="看着不顺眼", request_id=rid(), actor="wang"
    )
    review = review_quarter(db, "2026Q2")
    assert review.twice == [("QZ001", "2026-05-06", "河道巡查")]
    assert review.uncategorised == [loose.entry_id]
    assert review.idle == [("QZ002", "李四")]
