"""The check-in page over HTTP: who may use it, scans, the offline batch, pictures, leaving.

The app runs with CSRF protection on, as in production: the page sends its token in the
X-CSRFToken header. The test client comes from 127.0.0.1, so it is "the kiosk" (this machine,
where a PIN may be typed); ``LAN`` makes a client that is another browser on the network.
"""

from __future__ import annotations

import json
import re

import pytest

from corner.app import create_app
from points.ledger import balance
from points.member_cards import bind_nfc_card
from points.scan_log import scan_log
from points.staff import deactivate_staff, set_pin
from tests.admin_support import PASSWORD, make_staff
from tests.helpers import card_token, make_activity, make_member, rid
from tests.photo import photographed_card
from web.hub import LOCAL, CheckinMode

ORGANISER_PIN = "246810"
ADMIN_PIN = "135790"
LAN = {"REMOTE_ADDR": "192.168.1.50"}


@pytest.fixture
def app(instance, db):
    app = create_app(instance, {"TESTING": True})  # CSRF on
    make_staff(db, "wang", role="admin")
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin=ORGANISER_PIN, actor="test")
    set_pin(db, username="wang", pin=ADMIN_PIN, actor="test")
    yield app
    app.extensions["corner_connections"].close_all()


@pytest.fixture
def activity(db):
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    return make_activity(db, category="理论学习", title="四月理论学习")


def page_config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="checkin-config">(.*?)</script>', html)
    assert match, "no check-in config in the page"
    return json.loads(match.group(1))


class Page:
    """One browser on the check-in page: its cookie, its CSRF token, its JSON calls."""

    def __init__(self, app, **environ) -> None:
        self.client = app.test_client()
        if environ:
            self.client.environ_base.update(environ)
        self.token = None
        self.refresh()

    def refresh(self, url: str = "/checkin") -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        self.token = page_config(response.text)["csrf_token"]
        return response.text

    def post(self, url: str, body: dict | None = None, *, token: bool = True, **kwargs):
        headers = {"X-CSRFToken": self.token} if token else {}
        if body is not None:
            kwargs["json"] = body
        return self.client.post(url, headers=headers, **kwargs)

    def pin(self, pin: str):
        response = self.post("/checkin/pin", {"pin": pin})
        if response.status_code == 200:
            self.refresh()  # a login gets a fresh CSRF token
        return response

    def scan(self, activity, credential: str, request_id: str | None = None, action: str = "in"):
        body = {"credential": credential, "request_id": request_id or rid(), "action": action}
        return self.post(f"/checkin/{activity.id}/scan", body)


def password_login(app, username: str = "li") -> Page:
    page = Page(app, **LAN)
    login_page = page.client.get("/admin/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    answer = page.client.post(
        "/admin/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    page.refresh()
    return page


# ---- who may use it ------------------------------------------------------------------------------


def test_anonymous_browser_gets_the_keypad_and_nothing_else(app, activity, db):
    page = Page(app)
    html = page.client.get("/checkin").text
    assert 'id="pin-keypad"' in html and "activity-list" not in html
    response = page.client.get(f"/checkin/{activity.id}")
    assert response.status_code == 302 and response.location.endswith("/checkin")
    for method, url, body in [
        ("post", f"/checkin/{activity.id}/scan", {"credential": "QZ001", "request_id": rid()}),
        ("post", f"/checkin/{activity.id}/batch", {"scans": []}),
        ("post", "/checkin/leave", {"pin": ORGANISER_PIN}),
        ("get", f"/checkin/{activity.id}/board", None),
        ("get", f"/checkin/{activity.id}/events", None),
    ]:
        if method == "post":
            response = page.post(url, body)
        else:
            response = page.client.get(url)
        assert response.status_code == 401, url
        assert response.json["error"]["code"] == "login_required"
    assert scan_log(db, activity.id) == []


def test_pin_login_lists_open_activities_and_checks_in(app, activity, db, instance):
    page = Page(app)
    refused = page.pin("000000")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "pin_wrong"
    assert page.pin(ORGANISER_PIN).json == {"ok": True, "next": "/checkin"}
    html = page.client.get("/checkin").text
    assert "四月理论学习" in html and f'href="/checkin/{activity.id}"' in html
    assert "li" in html  # who is checking in
    page.refresh(f"/checkin/{activity.id}")
    answer = page.scan(activity, card_token(instance, db, "QZ001")).json
    assert answer["accepted"] and answer["code"] == "checked_in"
    assert answer["member_name"] == "张三" and answer["points"] == 4
    [line] = scan_log(db, activity.id)
    assert line.operator == "li" and line.device == "kiosk:local"


def test_pin_from_another_browser_on_the_network_is_refused(app, activity):
    page = Page(app, **LAN)
    html = page.client.get("/checkin").text
    assert 'id="pin-keypad"' not in html and "/admin/login?next=" in html
    response = page.pin(ORGANISER_PIN)
    assert response.status_code == 401
    assert page.client.get(f"/checkin/{activity.id}").status_code == 302


def test_a_pin_gives_check_in_only_never_the_admin(app, activity):
    page = Page(app)
    page.pin(ADMIN_PIN)  # even an admin's PIN
    assert page.client.get(f"/checkin/{activity.id}").status_code == 200
    for url in ("/admin/", "/admin/activities", f"/admin/activities/{activity.id}"):
        response = page.client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.location, url


def test_password_login_may_check_in_and_leaves_to_the_admin(app, activity, db, instance):
    page = password_login(app, "li")
    html = page.refresh(f"/checkin/{activity.id}")
    config = page_config(html)
    assert config["mode"] == "login"
    assert config["admin_url"] == f"/admin/activities/{activity.id}"
    assert page.scan(activity, "QZ002").json["code"] == "checked_in"
    assert scan_log(db, activity.id)[0].method == "manual"
    assert page.post("/checkin/leave", {}).json["next"] == "/admin/activities"
    assert page.client.get(f"/checkin/{activity.id}/board").status_code == 200  # still logged in


def test_a_password_login_on_the_kiosk_ends_with_check_in(app, activity):
    """On the kiosk itself the next person is a member: no admin login may stay open there."""
    page = Page(app)  # 127.0.0.1: the kiosk
    login_page = page.client.get("/admin/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    page.client.post(
        "/admin/login", data={"username": "li", "password": PASSWORD, "csrf_token": token}
    )
    html = page.refresh(f"/checkin/{activity.id}")
    assert '<button type="button" class="button quiet" id="leave">' in html
    assert page.post("/checkin/leave", {}).json["next"] == "/kiosk"
    assert page.client.get("/admin/activities").status_code == 302  # to the login page
    assert page.client.get(f"/checkin/{activity.id}/board").status_code == 401


def test_a_changed_pin_or_a_deactivated_account_ends_the_pin_login(app, activity, db):
    page = Page(app)
    page.pin(ORGANISER_PIN)
    assert page.client.get(f"/checkin/{activity.id}/board").status_code == 200
    set_pin(db, username="li", pin="112233", actor="wang")
    assert page.client.get(f"/checkin/{activity.id}/board").status_code == 401
    page.pin("112233")
    assert page.client.get(f"/checkin/{activity.id}/board").status_code == 200
    deactivate_staff(db, username="li", actor="wang")
    assert page.client.get(f"/checkin/{activity.id}/board").status_code == 401


def test_every_post_needs_the_csrf_token(app, activity, db):
    page = Page(app)
    assert page.post("/checkin/pin", {"pin": ORGANISER_PIN}, token=False).status_code == 400
    page.pin(ORGANISER_PIN)
    body = {"credential": "QZ001", "request_id": rid(), "action": "in"}
    for headers in ({}, {"X-CSRFToken": "forged"}):
        response = page.client.post(f"/checkin/{activity.id}/scan", json=body, headers=headers)
        assert response.status_code == 400
        assert response.json["error"]["code"] == "invalid_request"
    assert scan_log(db, activity.id) == []
    assert page.post(f"/checkin/{activity.id}/scan", body).json["accepted"]


# ---- scans ---------------------------------------------------------------------------------------


@pytest.fixture
def kiosk_page(app):
    page = Page(app)
    page.pin(ORGANISER_PIN)
    return page


def test_second_scan_says_already_checked_in_with_the_name(kiosk_page, activity, db, instance):
    token = card_token(instance, db, "QZ001")
    assert kiosk_page.scan(activity, token).json["accepted"]
    again = kiosk_page.scan(activity, token).json
    assert not again["accepted"] and again["code"] == "duplicate_checkin"
    assert again["member_name"] == "张三"
    assert again["message"] == "已经签到过了。"
    english = kiosk_page.post(
        f"/checkin/{activity.id}/scan?lang=en",
        {"credential": token, "request_id": rid(), "action": "in"},
    ).json
    assert english["message"] == "Already checked in for this activity."
    assert balance(db, "QZ001") == 4


def test_check_out_and_a_typed_uid_is_not_trusted(kiosk_page, activity, db, instance):
    bind_nfc_card(db, number="QZ002", uid="04A1B2C3D4E5F6", request_id=rid())
    refused = kiosk_page.scan(activity, "nfc:04A1B2C3D4E5F6").json
    assert not refused["accepted"] and refused["code"] == "card_invalid"
    token = card_token(instance, db, "QZ001")
    assert kiosk_page.scan(activity, token, action="out").json["code"] == "not_checked_in"
    kiosk_page.scan(activity, token)
    out = kiosk_page.scan(activity, token, action="out").json
    assert out["accepted"] and out["action"] == "out" and out["points"] == 0
    board = kiosk_page.client.get(f"/checkin/{activity.id}/board").json
    assert board["checked_in"] == 1 and board["checked_out"] == 1
    assert [(line["name"], line["action"]) for line in board["last"]] == [
        ("张三", "out"),
        ("张三", "in"),
    ]
    assert board["csrf_token"]


def test_the_offline_batch_sent_twice_awards_once_and_lists_refusals(
    kiosk_page, activity, db, instance
):
    token = card_token(instance, db, "QZ001")
    queue = [
        {"credential": token, "request_id": "checkin-q1", "action": "in"},
        {"credential": "QZ002", "request_id": "checkin-q2", "action": "in"},
        {"credential": "QZ404", "request_id": "checkin-q3", "action": "in"},
        {"credential": token, "request_id": "checkin-q4", "action": "in"},  # scanned twice
    ]
    url = f"/checkin/{activity.id}/batch"
    # one malformed scan in a batch refuses the whole batch, before anything is written
    for junk in (
        "not a scan",
        {"credential": token, "request_id": "x", "action": "in"},
        {"credential": token, "request_id": "checkin-q5", "action": "sideways"},
        {"credential": "QZ001\x00", "request_id": "checkin-q5", "action": "in"},
        {"credential": "x" * 513, "request_id": "checkin-q5", "action": "in"},
        {"credential": 12345, "request_id": "checkin-q5", "action": "in"},
    ):
        refused = kiosk_page.post(url, {"scans": [*queue, junk]})
        assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_request"
    assert scan_log(db, activity.id) == [] and balance(db, "QZ001") == 0
    first = kiosk_page.post(url, {"scans": queue}).json
    assert [item["member_name"] for item in first["accepted"]] == ["张三", "李四"]
    refusals = [(item["request_id"], item["code"]) for item in first["refused"]]
    assert refusals == [
        ("checkin-q3", "member_unknown"),
        ("checkin-q4", "duplicate_checkin"),
    ]
    assert first["refused"][1]["message"] == "已经签到过了。"
    again = kiosk_page.post(url, {"scans": queue}).json  # the connection dropped: sent again
    assert [item["request_id"] for item in again["accepted"]] == ["checkin-q1", "checkin-q2"]
    assert balance(db, "QZ001") == 4 and balance(db, "QZ002") == 4
    board = kiosk_page.client.get(f"/checkin/{activity.id}/board").json
    assert board["checked_in"] == 2
    assert kiosk_page.post(url, {"scans": "everything"}).status_code == 400


def test_a_photographed_card_is_decoded_and_junk_is_refused(kiosk_page, activity, db, instance):
    token = card_token(instance, db, "QZ001")
    photo = photographed_card(token, seed=3)
    assert 64 * 1024 < len(photo) < 2 * 1024 * 1024  # over the app's usual limit, within this
    url = f"/checkin/{activity.id}/decode"
    answer = kiosk_page.post(url, data=photo, content_type="image/jpeg")
    assert answer.status_code == 200 and answer.json == {"texts": [token]}
    junk = kiosk_page.post(url, data=b"not a picture at all", content_type="image/jpeg")
    assert junk.status_code == 400 and junk.json["error"]["code"] == "image_invalid"
    huge = kiosk_page.post(url, data=b"\xff" * (2 * 1024 * 1024 + 1), content_type="image/jpeg")
    assert huge.status_code == 413 and huge.json["error"]["code"] == "image_invalid"
    # the large limit is for this view only
    big_scan = kiosk_page.post(
        f"/checkin/{activity.id}/scan",
        data=b"{" + b" " * 70_000 + b"}",
        content_type="application/json",
    )
    assert big_scan.status_code == 413 and big_scan.json["error"]["code"] == "invalid_request"
    anonymous = Page(kiosk_page.client.application)
    refused = anonymous.post(url, data=photo, content_type="image/jpeg")
    assert refused.status_code in (401, 413)


def test_leaving_a_pin_page_needs_a_pin_and_ends_the_login(kiosk_page, activity):
    board = f"/checkin/{activity.id}/board"
    wrong = kiosk_page.post("/checkin/leave", {"pin": "999999"})
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "pin_wrong"
    assert kiosk_page.client.get(board).status_code == 200  # still in check-in
    # any organiser or admin may end it
    assert kiosk_page.post("/checkin/leave", {"pin": ADMIN_PIN}).json["next"] == "/kiosk"
    assert kiosk_page.client.get(board).status_code == 401


# ---- what the pages hear ---------------------------------------------------------------------


def test_every_check_in_reaches_all_pages_of_the_activity(app, kiosk_page, activity, instance, db):
    hub = app.extensions["card_hub"]
    phone = hub.subscribe(None, checkin=CheckinMode(activity.id, "wang"))
    other_activity = make_activity(db, title="巡河")
    elsewhere = hub.subscribe(None, checkin=CheckinMode(other_activity.id, "wang"))
    kiosk_page.scan(activity, card_token(instance, db, "QZ001"))
    event = phone.get(timeout=5)
    assert event["type"] == "checkin" and not event["mine"]
    assert event["outcomes"][0]["member_name"] == "张三"
    assert event["board"]["checked_in"] == 1 and event["board"]["last"][0]["name"] == "张三"
    assert elsewhere.empty()
    hub.unsubscribe(None, phone)
    hub.unsubscribe(None, elsewhere)


def test_a_tap_on_a_check_in_kiosk_checks_in_instead_of_opening_a_session(app, activity, db):
    bind_nfc_card(db, number="QZ002", uid="04A1B2C3D4E5F6", request_id=rid())
    hub = app.extensions["card_hub"]
    member_screen = hub.subscribe(LOCAL)  # the kiosk page, left open in another tab
    checkin_page = hub.subscribe(LOCAL, checkin=CheckinMode(activity.id, "li"))
    phone = hub.subscribe(None, checkin=CheckinMode(activity.id, "wang"))
    assert hub.tap(LOCAL, uid="04A1B2C3D4E5F6") == 2
    mine = checkin_page.get(timeout=5)
    assert mine["mine"] and mine["outcomes"][0]["code"] == "checked_in"
    assert mine["outcomes"][0]["member_name"] == "李四"
    assert not phone.get(timeout=5)["mine"]
    assert member_screen.empty()  # no kiosk session for the member
    [line] = scan_log(db, activity.id)
    assert line.method == "nfc" and line.device == "kiosk:local" and line.operator == "li"
    hub.unsubscribe(LOCAL, checkin_page)
    # no check-in page on the kiosk any more: a tap opens the member's session as before
    hub.tap(LOCAL, uid="04A1B2C3D4E5F6")
    assert member_screen.get(timeout=5)["type"] == "member"
    hub.unsubscribe(LOCAL, member_screen)
    hub.unsubscribe(None, phone)
