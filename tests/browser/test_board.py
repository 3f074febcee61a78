"""The public board in Chromium: live updates, TV paging, the A4 print, axe."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from axe_playwright_python.sync_playwright import Axe

from points.ledger import award_points
from tests.browser.test_kiosk_accessibility import AXE_OPTIONS
from tests.conftest import ARTIFACTS
from tests.helpers import make_member, rid

pytestmark = [pytest.mark.browser, pytest.mark.server]

SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"


def name_of(index: int) -> str:
    """Sixty different names."""
    return SURNAMES[index % 20] + "秀桂淑"[index // 20] + "英兰华明"[index % 4]


@pytest.fixture
def sixty(db):
    """A branch of 60 members with points this quarter."""
    for index in range(60):
        make_member(
            db, f"QZ{index + 1:03d}", name_of(index), points=(index * 7) % 31,
        )  # fmt: skip
    return db.execute("SELECT id FROM branches").fetchone()[0]


def open_board(browser, server, branch: int, *, width=1920, height=1080, mode="page", extra=""):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    quarter = time.strftime("%Y") + "Q" + str((int(time.strftime("%m")) - 1) // 3 + 1)
    page.goto(f"{server.url}/board/{quarter}/{branch}?mode={mode}{extra}")
    return page


def test_the_live_board_shows_an_award_within_two_seconds(browser, serve, db, sixty):
    server = serve()
    page = open_board(browser, server, sixty)
    before = page.locator("#lines tr").first.inner_text()
    award_points(db, number="QZ002", points=500, reason="更正", request_id=rid(), actor="wang")
    started = time.monotonic()
    page.wait_for_function(
        "() => document.querySelector('#lines tr td.name').textContent.includes('王秀兰')",
        timeout=2000,
    )
    assert time.monotonic() - started < 2.0
    assert page.locator("#lines tr").first.inner_text() != before
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_tv_mode_pages_through_sixty_members(browser, serve, sixty, width, height):
    server = serve()
    page = open_board(
        browser, server, sixty, width=width, height=height, mode="tv", extra="&seconds=1"
    )
    pages = int(page.evaluate("document.body.dataset.pages"))
    assert pages >= 2
    visible = page.locator("#lines tr:not([hidden])")
    assert visible.count() < 60
    last_row = visible.last.bounding_box()
    assert last_row["y"] + last_row["height"] <= height  # nothing below the edge
    name_size = page.eval_on_selector("#lines td.name", "e => getComputedStyle(e).fontSize")
    assert float(name_size.rstrip("px")) >= 40
    shown = set()
    for _ in range(pages):
        current = page.evaluate("document.body.dataset.page")
        shown |= set(visible.all_inner_texts())
        page.wait_for_function("n => document.body.dataset.page !== n", arg=current)
    assert len(shown) == 60  # every member came round
    page.screenshot(path=str(ARTIFACTS / "screens" / f"board-tv-{width}x{height}.png"))
    page.context.close()


def test_the_print_is_a4_and_a_forty_member_branch_fits_two_pages(browser, serve, db, sixty):
    db.execute("UPDATE members SET branch_id = NULL WHERE number > 'QZ040'")  # 40 stay
    server = serve()
    page = open_board(browser, server, sixty, mode="print")
    pdf = page.pdf(prefer_css_page_size=True)
    path = ARTIFACTS / "board-print.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 1 <= pages <= 2
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    for number in range(1, 41):
        assert name_of(number - 1) in text.stdout
    assert "盖章" in text.stdout  # the stamp area came out on paper too
    page.context.close()


def test_axe_finds_no_violations_on_the_board(browser, serve, sixty):
    server = serve()
    for mode in ("page", "tv", "print"):
        page = open_board(browser, server, sixty, mode=mode)
        results = Axe().run(page, options=AXE_OPTIONS)
        assert not results.violations_count, results.generate_report()
        page.context.close()


def test_the_member_screen_says_the_quarter_in_words(open_kiosk, serve, instance, db, sixty):
    from tests.helpers import card_token

    kiosk = open_kiosk(serve())
    kiosk.scan(card_token(instance, db, "QZ005"))  # 28 points: rank 5 (two 30s, two 29s)
    kiosk.wait_screen("member")
    line = kiosk.page.locator("#member-quarter")
    line.wait_for(state="visible")
    assert line.inner_text().startswith("本季度 28 积分，支部第 5 名 ★★★★★")
    size = line.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 24


def test_a_tv_board_comes_back_by_itself_after_a_server_restart(browser, serve, db, sixty):
    server = serve()
    page = open_board(browser, server, sixty, mode="tv")
    server.stop()
    award_points(db, number="QZ002", points=500, reason="更正", request_id=rid(), actor="wang")
    page.wait_for_timeout(2500)  # the screen asks into the void a few times meanwhile
    serve(port=server.port)
    page.wait_for_function(
        "() => document.querySelector('#lines tr td.name').textContent.includes('王秀兰')",
        timeout=10_000,
    )
    assert "王秀兰" in page.locator("#lines tr").first.inner_text()
    page.context.close()
