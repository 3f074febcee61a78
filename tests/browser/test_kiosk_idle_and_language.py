"""The kiosk forgets the member after the idle timeout, and starts the next person in zh-CN."""

from __future__ import annotations

import time

import pytest
import requests

from points.errors import MESSAGES
from tests.browser.conftest import set_idle_seconds
from tests.helpers import card_token, make_goods, make_member, rid
from web.i18n import translator

pytestmark = [pytest.mark.browser, pytest.mark.server]

IDLE_SECONDS = 3


def redeem(server, session: str, goods_id: int) -> requests.Response:
    return requests.post(
        f"{server.url}/api/kiosk/redeem",
        timeout=5,
        json={
            "session": session,
            "request_id": rid(),
            "items": [{"goods_id": goods_id, "quantity": 1}],
        },
    )


def test_idle_member_is_forgotten_and_session_ended(instance, db, serve, open_kiosk):
    set_idle_seconds(instance, IDLE_SECONDS)
    make_member(db, name="王建国", points=20)
    slippers = make_goods(db, "拖鞋", 10, stock=3)
    server = serve()
    kiosk = open_kiosk(server)

    with kiosk.page.expect_response("**/api/kiosk/scan*") as scanned:
        kiosk.scan(card_token(instance, db))
    session = scanned.value.json()["session"]
    kiosk.wait_screen("member")
    assert "王建国" in kiosk.page.content()

    started = time.monotonic()
    kiosk.page.locator("#idle").wait_for(state="visible", timeout=IDLE_SECONDS * 1000 + 2000)
    kiosk.screenshot("idle-warning")
    kiosk.wait_screen("start", timeout=IDLE_SECONDS * 1000 + 3000)
    assert time.monotonic() - started < IDLE_SECONDS + 2
    assert "王建国" not in kiosk.page.content()
    assert kiosk.page.locator("#balance").inner_text() == ""

    # the page ends the session with a beacon; wait for it to land, then spending must fail
    deadline = time.monotonic() + 5
    while True:
        answer = redeem(server, session, goods_id=999_999)  # no such goods: never spends
        if answer.json()["error"]["code"] == "session_expired" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    answer = redeem(server, session, goods_id=slippers.id)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "session_expired"


def test_english_page_and_errors_then_idle_returns_to_chinese(instance, db, serve, open_kiosk):
    set_idle_seconds(instance, IDLE_SECONDS)
    make_member(db, name="李秀兰", points=12)
    make_goods(db, "鸡蛋", 5, stock=0)
    kiosk = open_kiosk(serve(), query="?lang=en")
    page = kiosk.page
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#start-title").inner_text() == "Welcome!"
    assert page.locator("#language").is_visible()

    with page.expect_response("**/api/kiosk/scan*") as refused:
        kiosk.scan("NOT-A-CARD-12345")
    english = MESSAGES["card_invalid"]
    assert refused.value.json()["error"]["message"] == english
    page.locator("#error").wait_for(state="visible")
    assert page.locator("#error-text").inner_text() == english
    assert page.locator("#error-title").inner_text() == "Sorry"
    kiosk.screenshot("error-en")
    kiosk.tap("#error-ok")

    kiosk.scan(card_token(instance, db))
    kiosk.wait_screen("member")
    assert page.locator(".balance-label").inner_text() == "Your points"
    assert not page.locator("#language").is_visible()  # the switch is on the start screen only
    assert "All gone" in kiosk.goods("鸡蛋").inner_text()
    kiosk.screenshot("member-en")

    # the next person starts in the default language, with nobody's name on the page
    page.wait_for_url(lambda url: "lang=en" not in url, timeout=IDLE_SECONDS * 1000 + 5000)
    kiosk.wait_screen("start")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#start-title").inner_text() == "欢迎使用！"
    assert "李秀兰" not in page.content()
    with page.expect_response("**/api/kiosk/scan*") as refused:
        kiosk.scan("NOT-A-CARD-12345")
    chinese = translator("zh_CN").gettext(MESSAGES["card_invalid"])
    assert chinese != english
    assert refused.value.json()["error"]["message"] == chinese
