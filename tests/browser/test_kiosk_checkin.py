"""The check-in page in real Chromium: the kiosk's check-in mode, the offline queue, NFC, camera.

The organiser's way in is the one on the kiosk: the small "工作人员" link on the start screen,
then the PIN on the keypad. Cards come as a USB scanner types them (keystrokes and Enter), as
NFC taps through the real pcscd + vpcd stack, and through Chromium's fake camera playing a
photographed card.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from points.activity_awards import list_checkins
from points.ledger import balance
from points.member_cards import bind_nfc_card
from points.scan_log import scan_log
from points.staff import set_pin
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, Kiosk, set_idle_seconds
from tests.browser.test_kiosk_accessibility import AXE_OPTIONS, MEASURE
from tests.fake_camera import write_y4m
from tests.helpers import card_token, make_activity, make_member, rid
from tests.photo import photographed_card

pytestmark = [pytest.mark.browser, pytest.mark.server]

PIN = "246810"
OTHER_PIN = "135790"
ZHANG_UID = "04A1B2C3D4E5F6"
# the kiosk's measure of the elderly-first rules; these pages have no balance to measure
assert "visible(balance) ?" in MEASURE
CHECKIN_MEASURE = MEASURE.replace("visible(balance) ?", "balance && visible(balance) ?")


@pytest.fixture
def river(db, instance):
    """Two organisers with PINs, three members with cards, an open activity (4 points)."""
    make_staff(db, "li", role="organiser")
    make_staff(db, "zhao", role="organiser")
    set_pin(db, username="li", pin=PIN, actor="test")
    set_pin(db, username="zhao", pin=OTHER_PIN, actor="test")
    make_member(db, "QZ001", "张桂英")
    make_member(db, "QZ002", "李建国")
    make_member(db, "QZ003", "王秀兰")
    activity = make_activity(db, title="秦灶河巡河", category="河道巡查")
    make_activity(db, title="四月理论学习", category="理论学习")
    tokens = {number: card_token(instance, db, number) for number in ("QZ001", "QZ002", "QZ003")}
    return activity, tokens


def type_pin(kiosk: Kiosk, pin: str, keypad: str = "#pin-keypad") -> None:
    for digit in pin:
        kiosk.tap(f"{keypad} [data-digit='{digit}']")


def enter_check_in(kiosk: Kiosk, activity) -> None:
    """From the kiosk's start screen: Staff, the PIN, the activity."""
    kiosk.tap("#staff-link")
    kiosk.page.wait_for_selector("#pin-keypad")
    type_pin(kiosk, PIN)
    kiosk.page.wait_for_selector(".activity-list")
    kiosk.tap(kiosk.page.locator(".activity-choice", has_text=activity.title))
    kiosk.page.wait_for_function(
        "() => window.checkinEvents && window.checkinEvents.readyState === 1"
    )


def result(kiosk: Kiosk, state: str) -> str:
    """Wait for the answer panel to show a new answer in this state; its words."""
    kiosk.page.wait_for_selector(f"#result[data-state='{state}']")
    return " ".join(kiosk.page.inner_text("#result").split())


def next_result(kiosk: Kiosk, state: str, action) -> str:
    """Do ``action`` and wait for the answer it brings (the panel may show the same state)."""
    kiosk.page.evaluate("document.getElementById('result').dataset.state = 'waiting'")
    action()
    return result(kiosk, state)


def last_names(kiosk: Kiosk) -> list[str]:
    return kiosk.page.locator("#last .last-name").all_inner_texts()


def test_an_organiser_runs_check_in_on_the_kiosk_and_leaves_with_a_pin(
    serve, open_kiosk, river, db
):
    activity, tokens = river
    kiosk = open_kiosk(serve())
    page = kiosk.page
    enter_check_in(kiosk, activity)
    assert page.inner_text("#activity-title") == "秦灶河巡河"
    assert page.inner_text("#count-in") == "0"
    kiosk.screenshot("checkin-ready")

    text = next_result(kiosk, "accepted", lambda: kiosk.scan(tokens["QZ001"]))
    assert "张桂英" in text and "+4" in text
    next_result(kiosk, "accepted", lambda: kiosk.scan(tokens["QZ002"]))
    page.wait_for_function("() => document.getElementById('count-in').textContent === '2'")
    assert last_names(kiosk) == ["李建国", "张桂英"]
    text = next_result(kiosk, "refused", lambda: kiosk.scan(tokens["QZ001"]))
    assert "张桂英" in text and "已经签到过了" in text
    assert page.get_attribute("#result", "data-code") == "duplicate_checkin"
    kiosk.screenshot("checkin-duplicate")

    # a member without a card: the organiser types the number
    page.fill("#number", "qz003")
    text = next_result(kiosk, "accepted", lambda: page.press("#number", "Enter"))
    assert "王秀兰" in text
    page.wait_for_function("() => document.getElementById('count-in').textContent === '3'")
    assert balance(db, "QZ001") == 4 and balance(db, "QZ003") == 4

    # leaving needs an organiser's PIN: a wrong one keeps the page in check-in
    kiosk.tap("#leave")
    page.wait_for_selector("#leave-dialog:not([hidden])")
    kiosk.screenshot("checkin-leave")
    type_pin(kiosk, "999999", "#leave-keypad")
    page.wait_for_selector("#leave-keypad .pin-error:not([hidden])")
    assert "PIN" in page.inner_text("#leave-keypad .pin-error")
    kiosk.tap("#leave-cancel")
    assert "/checkin/" in page.url
    kiosk.tap("#leave")
    type_pin(kiosk, OTHER_PIN, "#leave-keypad")  # any organiser may end it
    page.wait_for_url(f"{kiosk.url}/kiosk")
    kiosk.wait_screen("start")
    page.goto(f"{kiosk.url}/checkin/{activity.id}")  # and check-in is locked again
    page.wait_for_selector("#pin-keypad")
    [line] = [line for line in scan_log(db, activity.id) if line.method == "manual"]
    assert line.operator == "li" and line.device == "kiosk:local"


def test_a_card_scanned_at_the_pin_keypad_is_no_pin_and_the_keypad_times_out(
    serve, open_kiosk, river, instance
):
    _activity, tokens = river
    set_idle_seconds(instance, 2)
    kiosk = open_kiosk(serve())
    kiosk.tap("#staff-link")  # a member's finger, by mistake
    kiosk.page.wait_for_selector("#pin-keypad")
    kiosk.scan(tokens["QZ001"])  # the scanner's keystrokes are no PIN attempt
    assert kiosk.page.get_attribute("#pin-keypad", "data-length") == "0"
    assert kiosk.page.locator("#pin-keypad .pin-error").is_hidden()
    kiosk.page.wait_for_url(f"{kiosk.url}/kiosk")  # nobody touched it: back to the start
    kiosk.wait_screen("start")


def test_a_password_login_at_the_kiosk_ends_when_check_in_does(serve, open_kiosk, river, db):
    """An organiser without a PIN logs in with the password on the kiosk; finishing check-in
    logs them out, so the next member finds the kiosk, not the admin."""
    activity, tokens = river
    kiosk = open_kiosk(serve())
    kiosk.tap("#staff-link")
    kiosk.page.wait_for_selector("#pin-keypad")
    kiosk.tap("a[href^='/admin/login']")
    kiosk.page.fill("#username", "li")
    kiosk.page.fill("#password", PASSWORD)
    kiosk.page.press("#password", "Enter")
    kiosk.tap(kiosk.page.locator(".activity-choice", has_text=activity.title))
    kiosk.page.wait_for_function(
        "() => window.checkinEvents && window.checkinEvents.readyState === 1"
    )
    assert "+4" in next_result(kiosk, "accepted", lambda: kiosk.scan(tokens["QZ001"]))
    kiosk.tap("#leave")
    kiosk.page.wait_for_url(f"{kiosk.url}/kiosk")
    kiosk.wait_screen("start")
    kiosk.page.goto(f"{kiosk.url}/admin/activities")
    assert "/admin/login" in kiosk.page.url  # logged out
    assert balance(db, "QZ001") == 4


def test_offline_scans_wait_on_screen_and_are_sent_once_when_back(serve, open_kiosk, river, db):
    activity, tokens = river
    kiosk = open_kiosk(serve(), width=390, height=844)  # an organiser's phone
    page = kiosk.page
    enter_check_in(kiosk, activity)
    next_result(kiosk, "accepted", lambda: kiosk.scan(tokens["QZ001"]))

    page.context.set_offline(True)  # the river bank has no network
    text = next_result(kiosk, "queued", lambda: kiosk.scan(tokens["QZ002"]))
    assert "QZ002" in text
    page.wait_for_selector("#offline:not([hidden])")
    next_result(kiosk, "queued", lambda: kiosk.scan(tokens["QZ001"]))  # already checked in
    page.fill("#number", "QZ404")  # nobody's number
    next_result(kiosk, "queued", lambda: page.press("#number", "Enter"))
    text = next_result(kiosk, "queued", lambda: kiosk.scan(tokens["QZ002"]))  # again: not twice
    assert page.get_attribute("body", "data-queued") == "3"
    assert page.locator("#queue-list li").count() == 3
    queued = page.evaluate(f"localStorage.getItem('corner-checkin-queue:{activity.id}')")
    kiosk.screenshot("checkin-offline-phone")
    assert balance(db, "QZ002") == 0

    page.context.set_offline(False)
    page.wait_for_function("() => document.body.dataset.queued === '0'", timeout=15_000)
    page.wait_for_function("() => document.getElementById('count-in').textContent === '2'")
    assert page.locator("#offline").is_hidden()
    refused = page.locator("#refused-list li")
    assert sorted(refused.evaluate_all("items => items.map(item => item.dataset.code)")) == [
        "duplicate_checkin",
        "member_unknown",
    ]
    assert "QZ404" in page.inner_text("#refused-list")
    kiosk.screenshot("checkin-refused-phone")
    assert balance(db, "QZ002") == 4

    # the answer was lost on the way back: the same queue goes out again, and awards nothing
    page.evaluate(
        f"queued => localStorage.setItem('corner-checkin-queue:{activity.id}', queued)", queued
    )
    page.reload()
    page.wait_for_function("() => document.body.dataset.queued === '0'", timeout=15_000)
    assert balance(db, "QZ001") == 4 and balance(db, "QZ002") == 4
    assert len(list_checkins(db, activity.id)) == 2
    kiosk.tap("#refused-ok")
    assert page.locator("#refused").is_hidden()


def test_a_stopped_server_and_an_ended_login_keep_the_queue(serve, open_kiosk, river, db):
    activity, tokens = river
    server = serve()
    kiosk = open_kiosk(server)
    page = kiosk.page
    enter_check_in(kiosk, activity)
    server.stop()
    page.wait_for_selector("#offline:not([hidden])", timeout=15_000)  # noticed without a scan
    next_result(kiosk, "queued", lambda: kiosk.scan(tokens["QZ003"]))
    # meanwhile the organiser's PIN was changed: the page's login has ended
    set_pin(db, username="li", pin="112233", actor="admin")
    serve(port=server.port)
    page.wait_for_selector("#login-again:visible", timeout=15_000)  # no longer "offline"
    kiosk.screenshot("checkin-login-ended")
    assert page.get_attribute("body", "data-queued") == "1"
    assert balance(db, "QZ003") == 0
    kiosk.tap("#login-again")
    page.wait_for_selector("#pin-keypad")
    type_pin(kiosk, "112233")
    page.wait_for_selector(".activity-list")
    kiosk.tap(page.locator(".activity-choice", has_text=activity.title))
    page.wait_for_function("() => document.body.dataset.queued === '0'", timeout=15_000)
    assert balance(db, "QZ003") == 4


def test_check_in_screens_pass_axe_and_the_size_rules(serve, open_kiosk, river):
    activity, tokens = river
    problems = {}
    server = serve()
    for (width, height), number in (((1280, 800), "QZ001"), ((390, 844), "QZ002")):
        kiosk = open_kiosk(server, width=width, height=height)

        def look(name: str, kiosk=kiosk, size=f"{width}x{height}") -> None:
            results = Axe().run(kiosk.page, options=AXE_OPTIONS)
            if results.violations_count:
                problems[f"{size} {name}"] = results.generate_report()
            found = kiosk.page.evaluate(CHECKIN_MEASURE)
            for rule in ("small", "faint", "tiny"):
                if found[rule]:
                    problems[f"{size} {name}: {rule}"] = found[rule]
            overflow = kiosk.page.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )
            if overflow:
                problems[f"{size} {name}: wider than the screen"] = True

        look("kiosk start")
        kiosk.tap("#staff-link")
        kiosk.page.wait_for_selector("#pin-keypad")
        look("pin")
        type_pin(kiosk, PIN)
        kiosk.page.wait_for_selector(".activity-list")
        look("list")
        kiosk.tap(kiosk.page.locator(".activity-choice", has_text=activity.title))
        kiosk.page.wait_for_selector("#result")
        look("ready")
        next_result(
            kiosk, "accepted", lambda kiosk=kiosk, number=number: kiosk.scan(tokens[number])
        )
        kiosk.page.wait_for_timeout(400)  # the answer's short animation is over
        look("accepted")
        next_result(kiosk, "refused", lambda kiosk=kiosk, number=number: kiosk.scan(tokens[number]))
        kiosk.page.wait_for_timeout(400)
        look("refused")
        kiosk.tap("#action-out")
        look("check-out")
        kiosk.tap("#leave")
        kiosk.page.wait_for_selector("#leave-dialog:not([hidden])")
        look("leave")
    assert not problems, problems


@pytest.mark.reader
def test_an_nfc_tap_checks_in_while_the_kiosk_is_in_check_in_mode(
    serve, open_kiosk, river, db, cards
):
    activity, _tokens = river
    bind_nfc_card(db, number="QZ001", uid=ZHANG_UID, request_id=rid())
    server = serve()
    member_screen = open_kiosk(server)  # a kiosk page left open elsewhere on this machine
    kiosk = open_kiosk(server)
    enter_check_in(kiosk, activity)
    kiosk.page.wait_for_function(
        "() => document.getElementById('reader-status').dataset.state === 'ready'", timeout=15_000
    )
    text = next_result(kiosk, "accepted", lambda: cards.lay(ZHANG_UID))
    assert "张桂英" in text
    kiosk.page.wait_for_function("() => document.getElementById('count-in').textContent === '1'")
    cards.take_all()
    text = next_result(kiosk, "refused", lambda: cards.lay(ZHANG_UID))
    assert "已经签到过了" in text
    assert member_screen.screen == "start"  # the tap opened no member session
    # check-out: the switch makes the kiosk's taps check members out
    kiosk.tap("#action-out")
    kiosk.page.wait_for_function("() => window.checkinEvents.readyState === 1")
    cards.take_all()
    text = next_result(kiosk, "accepted", lambda: cards.lay(ZHANG_UID))
    assert "张桂英" in text
    assert [(line.method, line.action, line.code) for line in scan_log(db, activity.id)] == [
        ("nfc", "in", "checked_in"),
        ("nfc", "in", "duplicate_checkin"),
        ("nfc", "out", "checked_out"),
    ]
    assert balance(db, "QZ001") == 4


@pytest.fixture
def camera_browser(browser, tmp_path, river):
    """Chromium whose camera films a photo of 王秀兰's printed card (Linux has no
    BarcodeDetector, so the frames go to the server's decoder)."""
    _activity, tokens = river
    video = write_y4m(tmp_path / "card.y4m", photographed_card(tokens["QZ003"], seed=5), frames=10)
    # a second Chromium from the session's Playwright: the camera is chosen at launch
    with_camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *LAUNCH_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield with_camera
    with_camera.close()


def test_a_member_is_checked_in_through_the_live_camera(camera_browser, serve, river, db):
    activity, _tokens = river
    server = serve()
    context = camera_browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    context.set_default_timeout(10_000)
    kiosk = Kiosk(context.new_page(), server.url)
    kiosk.open()
    enter_check_in(kiosk, activity)
    assert kiosk.page.evaluate("window.CornerCamera.available()")
    kiosk.tap("#camera-start")
    text = result(kiosk, "accepted")
    assert "王秀兰" in text
    kiosk.page.wait_for_function("() => document.body.dataset.camera === 'on'")
    kiosk.screenshot("checkin-camera-phone")
    kiosk.tap("#camera-stop")
    assert kiosk.page.locator("#camera-box").is_hidden()
    [line] = scan_log(db, activity.id)
    assert line.method == "qr" and line.accepted
    assert balance(db, "QZ003") == 4
    assert not kiosk.errors and not kiosk.foreign
    context.close()
