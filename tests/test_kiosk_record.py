"""The member's points record at the kiosk: the latest lines, and the activity behind each award."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.activities import create_activity, list_categories, open_activity
from points.activity_awards import deduct
from points.checkins import check_in
from points.clock import now
from points.errors import CornerError
from points.ledger import award_points
from points.member_cards import current_qr_card, revoke_card
from points.members import get_member
from points.records import RECENT_LINES, recent_record
from points.redemptions import redeem, reverse_redemption
from points.sessions import end_session
from tests.helpers import card_token, make_goods, make_member, rid
from tests.test_points_redemptions import session_for


def category_id(db, name: str) -> int:
    return next(c.id for c in list_categories(db, include_inactive=True) if c.name == name)


def party_class(db, *, starts: str = "2026-11-20T09:00"):
    """An open theory-study activity (4 points, awarded at check-in)."""
    activity = create_activity(
        db,
        title="社区党课",
        category_id=category_id(db, "理论学习"),
        starts=starts,
        place="党群服务中心",
        request_id=rid(),
        actor="organiser",
    )
    return open_activity(db, activity_id=activity.id, request_id=rid(), actor="organiser")


def attend(db, activity, number: str = "QZ001"):
    outcome = check_in(
        db,
        activity_id=activity.id,
        member_number=number,
        method="qr",
        operator="organiser",
        request_id=rid(),
    )
    assert outcome.accepted, outcome
    return outcome


@pytest.fixture
def history(db):
    """张三: 12 points by hand, +4 for the party class, -1 for being late to it, eggs bought."""
    make_member(db, points=12)
    activity = party_class(db)
    attend(db, activity)
    deduct(
        db,
        member_number="QZ001",
        category_id=category_id(db, "迟到早退"),
        activity_id=activity.id,
        request_id=rid(),
        actor="organiser",
    )
    eggs = make_goods(db, "鸡蛋", 5, stock=3)
    token = session_for(db)
    redeem(db, session=token, items=[{"goods_id": eggs.id, "quantity": 1}], request_id=rid())
    return token


# ---- core -------------------------------------------------------------------------------------


def test_recent_record_is_newest_first_with_the_activity_behind_each_award(db, history):
    record = recent_record(db, session=history)
    assert (record.member_number, record.member_name) == ("QZ001", "张三")
    assert [(line.kind, line.delta, line.balance) for line in record.lines] == [
        ("redemption", -5, 10),
        ("deduction", -1, 15),
        ("award", 4, 16),
        ("award", 12, 12),
    ]
    assert record.balance == 10 == get_member(db, "QZ001").balance
    assert record.total_lines == 4

    redemption, late, attended, by_hand = record.lines
    assert (attended.activity_title, attended.category) == ("社区党课", "理论学习")
    assert attended.activity_starts == "2026-11-20T09:00"
    # a deduction names its activity and keeps its own reason
    assert (late.activity_title, late.reason) == ("社区党课", "迟到早退")
    # no activity behind it: the reason says what it was for
    assert by_hand.activity_id is None and by_hand.reason == "理论学习"
    assert redemption.goods == "鸡蛋 ×1" and redemption.activity_id is None


def test_a_reversal_shows_the_goods_given_back(db, history):
    bought = db.execute("SELECT id FROM redemptions").fetchone()[0]
    reverse_redemption(db, redemption_id=bought, reason="拿错了", request_id=rid(), actor="staff")
    newest = recent_record(db, session=history).lines[0]
    assert (newest.kind, newest.delta, newest.balance) == ("reversal", 5, 15)
    assert newest.goods == "鸡蛋 ×1" and newest.reason == "拿错了"


def test_only_the_latest_lines_are_shown_with_the_whole_count(db):
    make_member(db)
    for points in range(1, 26):
        award_points(
            db, number="QZ001", points=points, reason=f"第{points}次", request_id=rid(), actor="t"
        )
    record = recent_record(db, session=session_for(db))
    assert len(record.lines) == RECENT_LINES == 20 and record.total_lines == 25
    assert [line.delta for line in record.lines] == list(range(25, 5, -1))
    assert record.lines[0].balance == record.balance == sum(range(1, 26))
    assert [line.delta for line in recent_record(db, session=session_for(db), last=3).lines] == [
        25,
        24,
        23,
    ]


def test_a_member_with_no_points_yet_has_an_empty_record(db):
    make_member(db)
    record = recent_record(db, session=session_for(db))
    assert record.lines == () and record.balance == 0 and record.total_lines == 0


def test_an_ended_expired_or_forged_session_is_refused(db, history):
    end_session(db, token=history)
    expired = session_for(db, ttl_seconds=-1)
    for token in (history, expired, "QZ001", None, history[:-2] + "xx"):
        with pytest.raises(CornerError) as refused:
            recent_record(db, session=token)
        assert refused.value.code == "session_expired"


def test_a_card_revoked_after_the_scan_stops_the_record(db, history):
    token = session_for(db)
    revoke_card(db, card_id=current_qr_card(db, "QZ001").id, request_id=rid(), actor="staff")
    with pytest.raises(CornerError) as refused:
        recent_record(db, session=token)
    assert refused.value.code == "card_revoked"


# ---- API --------------------------------------------------------------------------------------


@pytest.fixture
def scanned(instance, db, client):
    """A member who attended a party class this week, scanned at the kiosk."""
    make_member(db, points=12)
    attend(db, party_class(db, starts=(now() - timedelta(days=7)).strftime("%Y-%m-%dT09:00")))
    answer = client.post("/api/kiosk/scan", json={"credential": card_token(instance, db)})
    return answer.json["session"]


def test_record_api_answers_the_lines_with_the_activity_and_dates_in_words(client, scanned):
    answer = client.post("/api/kiosk/record", json={"session": scanned})
    assert answer.status_code == 200
    body = answer.json
    assert body["member"] == {"number": "QZ001", "name": "张三"}
    assert body["balance"] == 16 and body["total"] == 2
    today, week_ago = now().date(), (now() - timedelta(days=7)).date()

    def words(day) -> str:
        year = "" if day.year == today.year else f"{day.year}年"
        return f"{year}{day.month}月{day.day}日"

    newest, oldest = body["entries"]
    assert newest == {
        "id": newest["id"],
        "date": today.isoformat(),
        "date_text": words(today),
        "kind": "award",
        "points": 4,
        "balance": 16,
        "reason": "社区党课",
        "goods": None,
        "activity": {
            "id": newest["activity"]["id"],
            "title": "社区党课",
            "category": "理论学习",
            "date": week_ago.isoformat(),
            "date_text": words(week_ago),
        },
    }
    assert (oldest["kind"], oldest["points"], oldest["balance"]) == ("award", 12, 12)
    assert oldest["activity"] is None and oldest["reason"] == "理论学习"


def test_record_api_dates_in_english_when_asked(client, scanned):
    body = client.post("/api/kiosk/record?lang=en", json={"session": scanned}).json
    day = (now() - timedelta(days=7)).date()
    expected = f"{day:%b} {day.day}" + (f", {day.year}" if day.year != now().year else "")
    assert body["entries"][0]["activity"]["date_text"] == expected


def test_record_api_refuses_an_ended_session(client, scanned):
    client.post("/api/kiosk/logout", json={"session": scanned})
    answer = client.post("/api/kiosk/record", json={"session": scanned})
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "session_expired"


def test_record_api_takes_the_session_from_the_body_only(client, scanned):
    # never from the address, where it would end up in logs and the browser's history
    answer = client.post(f"/api/kiosk/record?session={scanned}", json={})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "session_expired"
    answer = client.get(f"/api/kiosk/record?session={scanned}")
    assert answer.status_code == 405 and answer.json["error"]["code"] == "invalid_request"
    answer = client.post("/api/kiosk/record", data="nope", content_type="application/json")
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_request"
