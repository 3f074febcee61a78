"""NFC cards end to end: virtual card → pcscd → pyscard → server-sent event → the kiosk page."""

import subprocess

import pytest
import requests

from points.kiosks import add_kiosk, revoke_kiosk
from points.member_cards import bind_nfc_card, revoke_card
from tests.conftest import corner_command
from tests.helpers import make_goods, make_member, rid

pytestmark = [pytest.mark.browser, pytest.mark.reader]

ZHANG = "04A1B2C3D4E5F6"
LI = "08123456"


@pytest.fixture
def members(db):
    make_member(db, "QZ001", "张三", points=15)
    make_member(db, "QZ002", "李四", points=8)
    return {
        ZHANG: bind_nfc_card(db, number="QZ001", uid=ZHANG, request_id=rid()),
        LI: bind_nfc_card(db, number="QZ002", uid=LI, request_id=rid()),
    }


def wait_reader_line(kiosk, state: str) -> None:
    kiosk.page.wait_for_function(
        "state => document.getElementById('reader-status').dataset.state === state",
        arg=state,
        timeout=15_000,
    )


def test_card_on_the_reader_shows_the_member_and_removal_does_not_log_out(
    open_kiosk, serve, cards, members, db
):
    make_goods(db, "拖鞋", 10, stock=5)
    kiosk = open_kiosk(serve())
    wait_reader_line(kiosk, "ready")
    assert "读卡器已就绪" in kiosk.page.inner_text("#reader-status")
    kiosk.screenshot("nfc-start")
    card = cards.lay(ZHANG)
    kiosk.wait_screen("member")
    assert kiosk.page.inner_text("#member-name") == "张三"
    assert kiosk.page.inner_text("#balance") == "15"
    kiosk.tap(kiosk.goods("拖鞋"))
    card.remove()
    kiosk.page.wait_for_timeout(600)  # longer than pcscd's poll: the removal has been seen
    assert kiosk.screen == "member"
    assert kiosk.page.inner_text("#member-name") == "张三"
    kiosk.tap("#to-confirm")
    kiosk.tap("#confirm")
    kiosk.wait_screen("receipt")


def test_a_different_card_switches_member_only_after_confirmation(
    open_kiosk, serve, cards, members
):
    kiosk = open_kiosk(serve())
    wait_reader_line(kiosk, "ready")
    cards.lay(ZHANG)
    kiosk.wait_screen("member")
    cards.lay(LI, reader=1)
    kiosk.page.wait_for_selector("#switch:not([hidden])")
    assert "李四" in kiosk.page.inner_text("#switch-text")
    kiosk.screenshot("nfc-switch")
    kiosk.tap("#switch-no")
    assert kiosk.page.inner_text("#member-name") == "张三"
    cards.take_all()
    cards.lay(LI)
    kiosk.page.wait_for_selector("#switch:not([hidden])")
    kiosk.tap("#switch-yes")
    kiosk.page.wait_for_function(
        "() => document.getElementById('member-name').textContent === '李四'"
    )
    assert kiosk.page.inner_text("#balance") == "8"


def test_unknown_and_revoked_cards_are_refused_in_plain_words(
    open_kiosk, serve, cards, members, db
):
    revoke_card(db, card_id=members[LI].id, request_id=rid())
    server = serve()
    kiosk = open_kiosk(server)
    wait_reader_line(kiosk, "ready")
    cards.lay("0A0B0C0D")
    kiosk.page.wait_for_selector("#error:not([hidden])")
    assert kiosk.page.get_attribute("#error", "data-code") == "card_unknown"
    text = kiosk.page.inner_text("#error")
    assert "还没有登记" in text and "0A0B0C0D" not in text  # the UID is for staff only
    assert requests.get(server.url + "/api/kiosk/status").json()["last_unknown_uid"] == "0A0B0C0D"
    kiosk.tap("#error-ok")
    cards.lay(LI, reader=1)
    kiosk.page.wait_for_selector("#error:not([hidden])")
    assert kiosk.page.get_attribute("#error", "data-code") == "card_revoked"
    assert kiosk.screen == "start"


def test_reader_gone_and_back_while_the_server_keeps_running(
    open_kiosk, serve, cards, members, pcscd
):
    kiosk = open_kiosk(serve())
    wait_reader_line(kiosk, "ready")
    pcscd.stop()
    wait_reader_line(kiosk, "missing")
    assert "请使用二维码卡" in kiosk.page.inner_text("#reader-status")
    kiosk.screenshot("nfc-reader-missing")
    pcscd.start()
    wait_reader_line(kiosk, "ready")
    cards.lay(ZHANG)
    kiosk.wait_screen("member")


def test_page_reconnects_after_a_server_restart(open_kiosk, serve, cards, members, instance):
    first = serve()
    kiosk = open_kiosk(first)
    wait_reader_line(kiosk, "ready")
    port = first.port
    first.stop()
    again = serve(port=port)
    assert again.url == first.url
    kiosk.page.wait_for_function("() => window.kioskEvents.readyState === 1", timeout=15_000)
    cards.lay(ZHANG)
    kiosk.wait_screen("member")


def test_public_scan_api_refuses_a_typed_uid(serve, members):
    server = serve()
    answer = requests.post(server.url + "/api/kiosk/scan", json={"credential": f"nfc:{ZHANG}"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "card_invalid"


def test_remote_agent_taps_reach_only_its_own_kiosk_page(
    open_kiosk, serve, cards, members, db, instance
):
    _kiosk, token = add_kiosk(db, name="corner-2")
    # the server has no reader of its own here; the agent on "another machine" has it
    text = instance.config_file.read_text(encoding="utf-8")
    instance.config_file.write_text(text.replace("reader = true", "reader = false"), "utf-8")
    server = serve()
    bound = open_kiosk(server, query=f"?kiosk=corner-2&key={token}")
    assert "key=" not in bound.page.url  # the token left the address bar
    local = open_kiosk(server)
    agent = subprocess.Popen(
        corner_command("reader", "--server", server.url, "--kiosk", "corner-2", "--token", token),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_reader_line(bound, "ready")
        cards.lay(ZHANG)
        bound.wait_screen("member")
        assert bound.page.inner_text("#member-name") == "张三"
        local.page.wait_for_timeout(500)
        assert local.screen == "start"  # the other page saw nothing
    finally:
        agent.terminate()
        agent.wait(10)
        agent.stdout.close()


def test_agent_with_a_wrong_or_revoked_token_is_refused(serve, db, members):
    _kiosk, token = add_kiosk(db, name="corner-3")
    server = serve()
    for name, key in (("corner-3", "wrong-token"), ("nobody", token)):
        answer = requests.post(
            server.url + "/api/kiosk/tap",
            json={"kiosk": name, "uid": ZHANG},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "kiosk_unauthorized"
    revoke_kiosk(db, name="corner-3")
    result = subprocess.run(
        corner_command("reader", "--server", server.url, "--kiosk", "corner-3", "--token", token),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "kiosk_unauthorized" in result.stderr and "Traceback" not in result.stderr


def test_reader_line_and_switch_dialog_pass_axe_and_the_elderly_rules(
    open_kiosk, serve, cards, members, pcscd
):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_kiosk_accessibility import AXE_OPTIONS, MEASURE

    kiosk = open_kiosk(serve())
    problems = {}

    def look(name: str) -> None:
        results = Axe().run(kiosk.page, options=AXE_OPTIONS)
        if results.violations_count:
            problems[name] = results.generate_report()
        found = kiosk.page.evaluate(MEASURE)
        for rule in ("small", "faint", "tiny"):
            if found[rule]:
                problems[f"{name}: {rule}"] = found[rule]

    wait_reader_line(kiosk, "ready")
    look("reader ready")
    cards.lay(ZHANG)
    kiosk.wait_screen("member")
    cards.lay(LI, reader=1)
    kiosk.page.wait_for_selector("#switch:not([hidden])")
    look("switch dialog")
    kiosk.tap("#switch-no")
    kiosk.tap("#finish")
    pcscd.stop()
    wait_reader_line(kiosk, "missing")
    look("reader missing")
    assert not problems, problems
