"""Check-in away from the admin pages: staff PINs, check-out, the board, scans of any credential."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from cards.credentials import check_in_credential, check_in_credentials
from points.activities import close_activity
from points.audit import list_audit
from points.checkins import activity_board
from points.clock import frozen
from points.errors import CornerError
from points.ledger import balance
from points.member_cards import bind_nfc_card, revoke_card
from points.scan_log import scan_log
from points.staff import authenticate_pin, deactivate_staff, get_staff, set_pin
from tests.admin_support import make_staff
from tests.helpers import card_token, make_activity, make_member, rid


@pytest.fixture
def secret(instance):
    return instance.secret()


def scan(db, secret, activity, credential, *, request_id=None, **kwargs):
    return check_in_credential(
        db,
        secret,
        activity_id=activity.id,
        credential=credential,
        operator=kwargs.pop("operator", "li"),
        request_id=request_id or rid(),
        **kwargs,
    )


# ---- PINs ---------------------------------------------------------------------------------------


def test_a_pin_names_its_staff_member(db):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")
    assert authenticate_pin(db, pin="246810", device="kiosk:local").username == "li"


@pytest.mark.parametrize("pin", ["", "12345", "1234567", "12345a", " 123456", None, 123456])
def test_a_pin_is_six_digits(db, pin):
    make_staff(db, "li", role="organiser")
    with pytest.raises(CornerError) as refused:
        set_pin(db, username="li", pin=pin if pin is not None else 0, actor="li")
    assert refused.value.code == "invalid_request"
    assert get_staff(db, "li").pin_stamp == ""


def test_a_pin_held_by_someone_else_is_refused_without_saying_whose(db):
    make_staff(db, "li", role="organiser")
    make_staff(db, "wang")
    set_pin(db, username="li", pin="135790", actor="li")
    with pytest.raises(CornerError) as refused:
        set_pin(db, username="wang", pin="135790", actor="wang")
    assert refused.value.code == "pin_taken" and "li" not in str(refused.value)
    assert get_staff(db, "wang").pin_stamp == ""
    set_pin(db, username="li", pin="135790", actor="li")  # one's own PIN again is fine


def test_wrong_pins_lock_the_device_not_everyone(db):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")
    with frozen(datetime(2026, 4, 2, 9, 0)) as clock:
        for attempt in range(4):
            with pytest.raises(CornerError) as refused:
                authenticate_pin(db, pin=f"00000{attempt}", device="kiosk:hall")
            assert refused.value.code == "pin_wrong"
        with pytest.raises(CornerError) as refused:
            authenticate_pin(db, pin="999999", device="kiosk:hall")
        assert refused.value.code == "pin_locked" and refused.value.details["seconds"] == 300
        # locked: even the right PIN is refused on that device, for five minutes
        clock.advance(299)
        with pytest.raises(CornerError) as refused:
            authenticate_pin(db, pin="246810", device="kiosk:hall")
        assert refused.value.code == "pin_locked"
        assert authenticate_pin(db, pin="246810", device="kiosk:local").username == "li"
        clock.advance(2)
        assert authenticate_pin(db, pin="246810", device="kiosk:hall").username == "li"


def test_changing_or_clearing_a_pin_changes_its_stamp_and_is_audited(db):
    make_staff(db, "li", role="organiser")
    first = set_pin(db, username="li", pin="246810", actor="li").pin_stamp
    second = set_pin(db, username="li", pin="112233", actor="wang").pin_stamp
    assert first and second and first != second
    assert set_pin(db, username="li", pin=None, actor="wang").pin_stamp == ""
    with pytest.raises(CornerError) as refused:
        authenticate_pin(db, pin="112233", device="kiosk:local")
    assert refused.value.code == "pin_wrong"
    actions = [line.action for line in list_audit(db, target="staff:li")]
    assert {"set_pin", "clear_pin"} <= set(actions)


def test_a_deactivated_staff_members_pin_opens_nothing(db):
    make_staff(db, "wang")
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")
    deactivate_staff(db, username="li", actor="wang")
    with pytest.raises(CornerError) as refused:
        authenticate_pin(db, pin="246810", device="kiosk:local")
    assert refused.value.code == "pin_wrong"


def test_the_pin_is_not_stored_in_clear(db, instance):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="li")
    raw = sqlite3.connect(instance.database)
    dump = "\n".join(raw.iterdump())
    raw.close()
    assert "246810" not in dump


# ---- scans of any credential --------------------------------------------------------------------


def test_qr_card_typed_number_and_trusted_nfc_each_check_in(db, secret, instance):
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    make_member(db, "QZ003", "王五", card=False)
    bind_nfc_card(db, number="QZ003", uid="04A1B2C3", request_id=rid(), actor="test")
    activity = make_activity(db)
    qr = scan(db, secret, activity, card_token(instance, db, "QZ001"))
    typed = scan(db, secret, activity, " qz002 ")
    nfc = scan(db, secret, activity, "nfc:04a1b2c3", trusted_nfc=True)
    assert [(o.code, o.member_name) for o in (qr, typed, nfc)] == [
        ("checked_in", "张三"),
        ("checked_in", "李四"),
        ("checked_in", "王五"),
    ]
    methods = [line.method for line in scan_log(db, activity.id)]
    assert methods == ["qr", "manual", "nfc"]
    assert balance(db, "QZ001") == balance(db, "QZ002") == balance(db, "QZ003") == 4


def test_a_typed_uid_from_a_browser_proves_nothing(db, secret):
    make_member(db, "QZ003", "王五", card=False)
    bind_nfc_card(db, number="QZ003", uid="04A1B2C3", request_id=rid(), actor="test")
    activity = make_activity(db)
    outcome = scan(db, secret, activity, "nfc:04A1B2C3")
    assert (outcome.accepted, outcome.code) == (False, "card_invalid")
    assert balance(db, "QZ003") == 0
    assert [(line.code, line.method) for line in scan_log(db, activity.id)] == [
        ("card_invalid", "nfc")
    ]


@pytest.mark.parametrize("credential", ["EC1.GARBAGE", "EC1.AAAA.QZ001.1.ABCDEFGHIJKLMNOP"])
def test_a_card_that_does_not_read_is_refused_and_logged(db, secret, credential):
    make_member(db)
    activity = make_activity(db)
    outcome = scan(db, secret, activity, credential)
    assert not outcome.accepted and outcome.code in ("card_invalid", "card_foreign")
    assert [line.accepted for line in scan_log(db, activity.id)] == [False]
    assert balance(db, "QZ001") == 0


@pytest.mark.parametrize("credential", [None, 7, "", "x" * 513, "QZ001\x00", "QZ\n001"])
def test_a_scan_that_is_not_text_a_card_carries_is_malformed_and_not_logged(db, secret, credential):
    make_member(db)
    activity = make_activity(db)
    with pytest.raises(CornerError) as refused:
        scan(db, secret, activity, credential)
    assert refused.value.code == "invalid_request"
    assert scan_log(db, activity.id) == []
    assert balance(db, "QZ001") == 0


def test_a_revoked_card_is_refused_by_name(db, secret, instance):
    make_member(db)
    token = card_token(instance, db)
    activity = make_activity(db)
    from points.member_cards import current_qr_card

    revoke_card(db, card_id=current_qr_card(db, "QZ001").id, request_id=rid(), actor="test")
    outcome = scan(db, secret, activity, token)
    assert (outcome.accepted, outcome.code) == (False, "card_revoked")


def test_twice_is_already_checked_in_and_names_the_member(db, secret, instance):
    make_member(db)
    activity = make_activity(db)
    token = card_token(instance, db)
    assert scan(db, secret, activity, token).code == "checked_in"
    again = scan(db, secret, activity, token)
    assert (again.code, again.member_name, again.points) == ("duplicate_checkin", "张三", 0)
    assert balance(db, "QZ001") == 4


# ---- check-out -----------------------------------------------------------------------------------


def test_check_out_once_after_check_in_points_unchanged(db, secret, instance):
    make_member(db)
    make_member(db, "QZ002", "李四")
    activity = make_activity(db)
    token = card_token(instance, db)
    early = scan(db, secret, activity, token, action="out")
    assert (early.code, early.action, early.member_name) == ("not_checked_in", "out", "张三")
    scan(db, secret, activity, token)
    out = scan(db, secret, activity, token, action="out")
    assert (out.accepted, out.code, out.action) == (True, "checked_out", "out")
    twice = scan(db, secret, activity, token, action="out")
    assert twice.code == "already_checked_out"
    assert balance(db, "QZ001") == 4
    board = activity_board(db, activity.id)
    assert (board.checked_in, board.checked_out) == (1, 1)


def test_check_out_resent_is_one_check_out(db, secret, instance):
    make_member(db)
    activity = make_activity(db)
    token = card_token(instance, db)
    scan(db, secret, activity, token)
    request_id = rid()
    first = scan(db, secret, activity, token, action="out", request_id=request_id)
    again = scan(db, secret, activity, token, action="out", request_id=request_id)
    assert first == again and again.code == "checked_out"
    assert [line.repeat for line in scan_log(db, activity.id)][-2:] == [False, True]


def test_a_check_out_is_recorded_once_even_behind_the_core(db, secret, instance):
    make_member(db)
    activity = make_activity(db)
    token = card_token(instance, db)
    scan(db, secret, activity, token)
    scan(db, secret, activity, token, action="out")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE checkins SET checked_out = 'later'")


# ---- the board and the offline queue ----------------------------------------------------------


def test_the_board_counts_and_shows_the_last_names_latest_first(db, secret, instance):
    names = ["张三", "李四", "王五", "赵六", "钱七", "孙八"]
    for index, name in enumerate(names, 1):
        make_member(db, f"QZ00{index}", name)
    activity = make_activity(db)
    for index in range(1, 7):
        scan(db, secret, activity, card_token(instance, db, f"QZ00{index}"))
    scan(db, secret, activity, card_token(instance, db, "QZ001"))  # a refusal is not a name
    board = activity_board(db, activity.id)
    assert board.checked_in == 6 and board.activity.title == activity.title
    assert [line.member_name for line in board.last] == ["孙八", "钱七", "赵六", "王五", "李四"]


def test_an_offline_queue_sent_twice_awards_once_and_lists_refusals(db, secret, instance):
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    activity = make_activity(db)
    queue = [
        {"credential": card_token(instance, db, "QZ001"), "request_id": rid()},
        {"credential": card_token(instance, db, "QZ002"), "request_id": rid()},
        {"credential": card_token(instance, db, "QZ001"), "request_id": rid()},  # scanned twice
        {"credential": "EC1.NOT.A.CARD", "request_id": rid()},
        {"credential": "QZ404", "request_id": rid()},
    ]
    first = check_in_credentials(
        db, secret, activity_id=activity.id, scans=queue, operator="li", device="phone"
    )
    again = check_in_credentials(
        db, secret, activity_id=activity.id, scans=queue, operator="li", device="phone"
    )
    assert [o.member_name for o in first.accepted] == ["张三", "李四"]
    assert [o.code for o in first.refused] == [
        "duplicate_checkin",
        "card_invalid",
        "member_unknown",
    ]
    assert again.accepted == first.accepted  # the first outcomes, not new awards
    assert balance(db, "QZ001") == balance(db, "QZ002") == 4
    assert len(scan_log(db, activity.id)) == 2 * len(queue)


def test_a_queue_sent_after_the_activity_closed_is_refused_whole(db, secret, instance):
    make_member(db)
    activity = make_activity(db)
    close_activity(db, activity_id=activity.id, request_id=rid(), actor="li")
    queue = [{"credential": card_token(instance, db), "request_id": rid()}]
    outcome = check_in_credentials(db, secret, activity_id=activity.id, scans=queue, operator="li")
    assert [o.code for o in outcome.refused] == ["activity_closed"] and not outcome.accepted
    assert balance(db, "QZ001") == 0


@pytest.mark.parametrize(
    "bad", ["not a scan", {"credential": "QZ001", "request_id": "r-1", "action": "up"}, {}]
)
def test_a_queue_with_one_malformed_scan_is_refused_whole_and_writes_nothing(
    db, secret, instance, bad
):
    make_member(db)
    activity = make_activity(db)
    queue = [{"credential": card_token(instance, db), "request_id": rid()}, bad]
    with pytest.raises(CornerError) as refused:
        check_in_credentials(db, secret, activity_id=activity.id, scans=queue, operator="li")
    assert refused.value.code == "invalid_request"
    assert scan_log(db, activity.id) == []
    assert balance(db, "QZ001") == 0


def test_a_queue_that_is_not_a_list_is_an_invalid_request(db, secret):
    activity = make_activity(db)
    with pytest.raises(CornerError) as refused:
        check_in_credentials(db, secret, activity_id=activity.id, scans={"a": 1}, operator="li")
    assert refused.value.code == "invalid_request"
