"""Activities: point standards, check-in rules, pending approval, the offline queue, scan log."""

from __future__ import annotations

import subprocess
import sys

import pytest

from points.activities import (
    close_activity,
    edit_category,
    get_activity,
    list_categories,
    open_activity,
)
from points.activity_awards import (
    activity_history,
    approve_pending,
    deduct,
    list_checkins,
    remove_checkin,
)
from points.check import check
from points.checkins import check_in, check_in_batch
from points.errors import CornerError
from points.ledger import award_points, balance
from points.member_cards import current_qr_card
from points.members import set_member_status
from points.scan_log import scan_log
from tests.helpers import category_id, make_activity, make_member, rid


def scan(db, activity, number="QZ001", request_id=None, **kwargs):
    return check_in(
        db,
        activity_id=activity.id,
        member_number=number,
        method=kwargs.pop("method", "qr"),
        operator="organiser",
        request_id=request_id or rid(),
        **kwargs,
    )


def test_seeded_standards_follow_the_scheme(db):
    awards = {c.name: c.points for c in list_categories(db, kind="award")}
    assert awards["理论学习"] == 4 and awards["河道巡查"] == 4 and awards["垃圾清理"] == 3
    assert all(3 <= points <= 5 for points in awards.values())
    deductions = {c.name: c.points for c in list_categories(db, kind="deduction")}
    assert deductions["无故缺席活动"] == 2


def test_editing_a_standard_changes_new_activities_only(db):
    old = make_activity(db, category="门岗值守")
    edit_category(
        db, category_id=category_id(db, "门岗值守"), points=4, request_id=rid(), actor="admin"
    )
    new = make_activity(db, category="门岗值守", title="周末门岗")
    assert (old.points, new.points) == (3, 4)
    assert get_activity(db, old.id).points == 3


def test_activity_points_default_to_the_category_and_may_be_set(db):
    assert make_activity(db, category="理论学习").points == 4
    assert make_activity(db, category="理论学习", points=5, title="专题学习").points == 5


def test_check_in_awards_at_once_with_the_activity_on_the_ledger_row(db):
    make_member(db)
    activity = make_activity(db)
    card = current_qr_card(db, "QZ001")
    outcome = scan(db, activity, card_id=card.id)
    assert outcome.accepted and outcome.code == "checked_in" and outcome.status == "accepted"
    assert outcome.points == 4 and balance(db, "QZ001") == 4
    row = db.execute(
        "SELECT activity_id, actor, reason FROM points_entries WHERE id = ?", [outcome.entry_id]
    ).fetchone()
    assert row == (activity.id, "organiser", "秦灶河巡河")
    history = activity_history(db, "QZ001")
    assert history[0].activity_title == "秦灶河巡河" and history[0].category == "河道巡查"
    audit = db.execute("SELECT actor, action FROM audit WHERE action = 'check_in'").fetchall()
    assert audit == [("organiser", "check_in")]
    assert check(db) == []


def test_second_scan_of_the_same_member_is_refused_as_already_checked_in(db):
    make_member(db)
    activity = make_activity(db)
    assert scan(db, activity).accepted
    again = scan(db, activity, method="nfc")
    assert not again.accepted and again.code == "duplicate_checkin"
    assert balance(db, "QZ001") == 4 and get_activity(db, activity.id).checked_in == 1
    assert check(db) == []


def test_closed_and_planned_activities_refuse_check_in(db):
    make_member(db)
    planned = make_activity(db, open_now=False)
    assert scan(db, planned).code == "activity_not_open"
    closed = make_activity(db, title="已结束的巡河")
    close_activity(db, activity_id=closed.id, request_id=rid(), actor="organiser")
    assert scan(db, closed).code == "activity_closed"
    with pytest.raises(CornerError) as error:
        open_activity(db, activity_id=closed.id, request_id=rid(), actor="organiser")
    assert error.value.code == "activity_closed"
    assert balance(db, "QZ001") == 0


def test_a_full_activity_refuses_the_next_member_but_not_a_repeat(db):
    make_member(db, "QZ001")
    make_member(db, "QZ002", name="李四")
    activity = make_activity(db, capacity=1)
    assert scan(db, activity, "QZ001").accepted
    assert scan(db, activity, "QZ002").code == "activity_full"
    assert scan(db, activity, "QZ001").code == "duplicate_checkin"
    assert check(db) == []


def test_unknown_and_inactive_members_are_refused(db):
    make_member(db)
    set_member_status(db, number="QZ001", status="inactive", request_id=rid(), actor="admin")
    activity = make_activity(db)
    assert scan(db, activity, "QZ999").code == "member_unknown"
    assert scan(db, activity, "QZ001").code == "member_inactive"
    assert scan(db, activity, "not a number!").code == "invalid_request"


def test_pending_awards_are_approved_in_bulk_with_one_removal(db):
    for number, name in [("QZ001", "张三"), ("QZ002", "李四"), ("QZ003", "王五")]:
        make_member(db, number, name=name)
    activity = make_activity(db, category="垃圾清理", award_mode="on_close")
    for number in ("QZ001", "QZ002", "QZ003"):
        outcome = scan(db, activity, number)
        assert outcome.accepted and outcome.status == "pending" and outcome.points == 0
    assert balance(db, "QZ001") == 0 and get_activity(db, activity.id).pending == 3
    close_activity(db, activity_id=activity.id, request_id=rid(), actor="organiser")

    approval = approve_pending(
        db, activity_id=activity.id, exclude=["qz003"], request_id=rid(), actor="organiser"
    )
    assert approval.approved == ("QZ001", "QZ002") and approval.still_pending == ("QZ003",)
    remove_checkin(
        db,
        activity_id=activity.id,
        member_number="QZ003",
        reason="未到场，由他人代扫",
        request_id=rid(),
        actor="organiser",
    )
    assert [balance(db, n) for n in ("QZ001", "QZ002", "QZ003")] == [3, 3, 0]
    statuses = {line.member_number: line.status for line in list_checkins(db, activity.id)}
    assert statuses == {"QZ001": "approved", "QZ002": "approved", "QZ003": "removed"}
    removed = next(line for line in list_checkins(db, activity.id) if line.status == "removed")
    assert removed.removal_reason == "未到场，由他人代扫"
    # an approved award is not removed: that needs a deduction with a reason
    with pytest.raises(CornerError) as error:
        remove_checkin(
            db,
            activity_id=activity.id,
            member_number="QZ001",
            reason="x",
            request_id=rid(),
            actor="organiser",
        )
    assert error.value.code == "checkin_not_pending"
    # a second approval finds nothing left to award
    assert approve_pending(db, activity_id=activity.id, request_id=rid(), actor="o").approved == ()
    assert check(db) == []


def test_offline_queue_sent_twice_awards_once_and_lists_refusals(db):
    make_member(db, "QZ001")
    make_member(db, "QZ002", name="李四")
    activity = make_activity(db)
    queue = [
        {"member_number": "QZ001", "method": "qr", "request_id": "offline-0001"},
        {"member_number": "QZ002", "method": "nfc", "request_id": "offline-0002"},
        {"member_number": "QZ001", "method": "qr", "request_id": "offline-0003"},  # scanned twice
        {"member_number": "QZ404", "method": "qr", "request_id": "offline-0004"},
    ]
    first = check_in_batch(db, activity_id=activity.id, scans=queue, operator="organiser")
    second = check_in_batch(db, activity_id=activity.id, scans=queue, operator="organiser")
    for batch in (first, second):
        assert [o.request_id for o in batch.accepted] == ["offline-0001", "offline-0002"]
        assert [(o.request_id, o.code) for o in batch.refused] == [
            ("offline-0003", "duplicate_checkin"),
            ("offline-0004", "member_unknown"),
        ]
    assert first.accepted == second.accepted  # the first outcome, returned again
    assert balance(db, "QZ001") == 4 and balance(db, "QZ002") == 4
    log = scan_log(db, activity.id)
    assert len(log) == 8
    assert [line.repeat for line in log if line.accepted] == [False, False, True, True]
    assert {line.code for line in log if not line.accepted} == {
        "duplicate_checkin",
        "member_unknown",
    }
    assert check(db) == []


def test_every_scan_is_logged_with_operator_device_and_code(db):
    make_member(db)
    activity = make_activity(db, capacity=1)
    outcomes = [
        scan(db, activity, "QZ001", device="phone-1"),
        scan(db, activity, "QZ001", device="phone-2"),
        scan(db, activity, "QZ777", device="phone-2"),
    ]
    log = scan_log(db, activity.id)
    assert [(line.code, line.device, line.operator) for line in log] == [
        ("checked_in", "phone-1", "organiser"),
        ("duplicate_checkin", "phone-2", "organiser"),
        ("member_unknown", "phone-2", "organiser"),
    ]
    assert [line.request_id for line in log] == [o.request_id for o in outcomes]
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM scan_log")


def test_manual_award_and_deduction_carry_activity_and_reason(db):
    make_member(db, points=10)
    activity = make_activity(db)
    award_points(
        db,
        number="QZ001",
        points=4,
        reason="忘带卡，现场签到",
        activity_id=activity.id,
        request_id=rid(),
        actor="organiser",
    )
    change = deduct(
        db,
        member_number="QZ001",
        category_id=category_id(db, "无故缺席活动"),
        activity_id=activity.id,
        request_id=rid(),
        actor="admin",
    )
    assert change.delta == -2 and change.balance == 12
    history = activity_history(db, "QZ001")
    assert [(h.kind, h.delta, h.reason, h.activity_id) for h in history[:2]] == [
        ("deduction", -2, "无故缺席活动", activity.id),
        ("award", 4, "忘带卡，现场签到", activity.id),
    ]
    assert history[2].activity_id is None  # the helper's award, with no activity behind it
    with pytest.raises(CornerError) as error:
        deduct(db, member_number="QZ001", points=50, reason="x", request_id=rid(), actor="a")
    assert error.value.code == "insufficient_points"
    assert check(db) == []


def test_a_deduction_reason_adds_its_note_and_a_retired_one_is_refused(db):
    make_member(db, points=10)
    late = category_id(db, "迟到早退")
    change = deduct(
        db,
        member_number="QZ001",
        category_id=late,
        reason="迟到半小时",
        request_id=rid(),
        actor="a",
    )
    assert (change.delta, activity_history(db, "QZ001")[0].reason) == (-1, "迟到早退：迟到半小时")
    edit_category(db, category_id=late, points=1, active=False, request_id=rid(), actor="admin")
    with pytest.raises(CornerError) as error:
        deduct(db, member_number="QZ001", category_id=late, request_id=rid(), actor="a")
    assert error.value.code == "category_unknown" and balance(db, "QZ001") == 9


def test_a_manual_check_in_for_a_member_without_a_card(db):
    make_member(db, card=False)
    activity = make_activity(db)
    outcome = scan(db, activity, method="manual")
    assert outcome.accepted and balance(db, "QZ001") == 4
    assert check(db) == []


def test_activities_core_imports_no_flask():
    code = (
        "import sys, points.activities, points.checkins, points.activity_awards;"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('flask', 'smartcard', 'kiosk', 'cards', 'werkzeug')];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
