"""The member's points record at the kiosk in real Chromium: what each award was for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from points.clock import now
from points.ledger import award_points
from tests.browser.conftest import set_idle_seconds
from tests.browser.test_kiosk_accessibility import AXE_OPTIONS, MEASURE
from tests.helpers import card_token, make_goods, make_member, rid
from tests.test_kiosk_record import attend, party_class

pytestmark = [pytest.mark.browser, pytest.mark.server]

# where the record's parts are on the page, and whether anything spills out of its place
LAYOUT = """() => {
    const box = (el) => { const r = el.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    const shown = (el) => el.getClientRects().length > 0;
    const list = document.getElementById("record-lines");
    return {
        list: box(list),
        lines: [...list.children].map(box),
        buttons: ["record-back", "record-newer", "record-older", "finish", "balance"]
            .map((id) => document.getElementById(id)).filter(shown).map(box),
        clipped: [...list.querySelectorAll(".record-kind, .record-detail")]
            .filter((el) => el.scrollHeight > el.clientHeight + 1)
            .map((el) => [el.className, el.scrollHeight, el.clientHeight]),
        pageScrolls: document.scrollingElement.scrollHeight > innerHeight,
    };
}"""


def inside(box: dict, frame: dict) -> bool:
    return (
        box["left"] >= frame["left"]
        and box["top"] >= frame["top"]
        and box["right"] <= frame["right"]
        and box["bottom"] <= frame["bottom"]
    )


def assert_fits(kiosk, width: int, height: int) -> None:
    layout = kiosk.page.evaluate(LAYOUT)
    viewport = {"left": 0, "top": 0, "right": width, "bottom": height}
    assert not layout["pageScrolls"] and layout["clipped"] == [], layout
    assert inside(layout["list"], viewport), layout
    for line in layout["lines"]:
        assert inside(line, layout["list"]), layout
    for button in layout["buttons"]:
        assert inside(button, viewport), layout


def day_in_words(day) -> str:
    year = "" if day.year == now().year else f"{day.year}年"
    return f"{year}{day.month}月{day.day}日"


@pytest.fixture
def member(instance, db):
    """张桂英: 32 points by hand, then +4 for last week's party class; her card's token."""
    make_member(db, name="张桂英", points=32)
    make_goods(db, "鸡蛋", 5, stock=30)
    make_goods(db, "拖鞋", 10, stock=12)
    attend(db, party_class(db, starts=(now() - timedelta(days=7)).strftime("%Y-%m-%dT09:00")))
    return card_token(instance, db)


def test_member_sees_the_activity_behind_an_award_and_goes_back(member, serve, open_kiosk):
    kiosk = open_kiosk(serve())
    page = kiosk.page
    kiosk.scan(member)
    kiosk.wait_screen("member")
    assert page.locator("#balance").inner_text() == "36"
    kiosk.tap(kiosk.goods("鸡蛋"))  # a choice made before looking is still there after
    kiosk.screenshot("record-member")

    kiosk.tap("#open-record")
    kiosk.wait_screen("record")
    lines = page.locator("#record-lines .record-line")
    assert lines.count() == 2
    newest = lines.nth(0)
    assert newest.locator(".record-date").inner_text() == day_in_words(now().date())
    assert newest.locator(".record-kind").inner_text() == "获得积分"
    week_ago = day_in_words((now() - timedelta(days=7)).date())
    assert newest.locator(".record-detail").inner_text() == f"理论学习 · {week_ago} 社区党课"
    assert newest.locator(".record-delta").inner_text().startswith("+4")
    assert "36" in newest.locator(".record-after").inner_text()
    oldest = lines.nth(1)
    assert oldest.locator(".record-detail").inner_text() == "理论学习"
    assert oldest.locator(".record-delta").inner_text().startswith("+32")
    assert "32" in oldest.locator(".record-after").inner_text()
    strings = page.evaluate("JSON.parse(document.getElementById('kiosk-config').textContent)")
    assert page.locator("#record-hint").inner_text() == strings["strings"]["record_newest_first"]
    # one page: no paging buttons to puzzle over
    assert page.locator("#record-older").is_hidden() and page.locator("#record-newer").is_hidden()
    assert page.locator("#member-name").inner_text() == "张桂英"
    assert_fits(kiosk, 1280, 800)
    kiosk.screenshot("record")

    kiosk.tap("#record-back")
    kiosk.wait_screen("member")
    assert "已选 1 件" in kiosk.goods("鸡蛋").inner_text()
    assert page.locator("#cart-total").inner_text() == "共 5 分"
    assert kiosk.touches == 3


@pytest.mark.parametrize(
    ("width", "height", "query"), [(1280, 800, ""), (1024, 600, ""), (1024, 600, "?lang=en")]
)
def test_a_long_record_pages_with_big_buttons_and_fits_the_screen(
    instance, db, member, serve, open_kiosk, width, height, query
):
    for number in range(1, 24):  # 25 rows in all: the kiosk shows the latest 20
        award_points(
            db,
            number="QZ001",
            points=3,
            reason=f"门岗值守 第{number}班",
            request_id=rid(),
            actor="t",
        )
    kiosk = open_kiosk(serve(), width=width, height=height, query=query)
    page = kiosk.page
    kiosk.scan(member)
    kiosk.wait_screen("member")
    kiosk.tap("#open-record")
    kiosk.wait_screen("record")
    per_page = page.locator("#record-lines .record-line").count()
    assert per_page >= 3
    # older lines than the latest 20 are not at the kiosk: the screen says who has them
    strings = page.evaluate("JSON.parse(document.getElementById('kiosk-config').textContent)")
    hint = page.locator("#record-hint").inner_text()
    assert strings["strings"]["record_older_note"] in hint
    assert page.locator("#record-newer").is_disabled()
    assert_fits(kiosk, width, height)
    measured = page.evaluate(MEASURE)
    assert measured["small"] == [] and measured["faint"] == [] and measured["tiny"] == [], measured
    assert measured["balance"] >= 64
    kiosk.screenshot(f"record-long-{width}x{height}{query.replace('?lang=', '-')}")

    seen = page.locator("#record-lines .record-detail").all_inner_texts()
    while page.locator("#record-older").is_enabled():
        kiosk.tap("#record-older")
        seen += page.locator("#record-lines .record-detail").all_inner_texts()
        assert_fits(kiosk, width, height)
    # the newest first, every one of the 20 once, and then who has the older ones
    assert seen == [f"门岗值守 第{n}班" for n in range(23, 3, -1)]
    kiosk.tap("#record-newer")
    assert page.locator("#record-older").is_enabled()

    axe = Axe().run(page, options=AXE_OPTIONS)
    assert not axe.violations_count, axe.generate_report()
    kiosk.tap("#record-back")
    kiosk.wait_screen("member")


def test_the_idle_timeout_forgets_the_member_on_the_record_screen(
    instance, member, serve, open_kiosk
):
    set_idle_seconds(instance, 6)
    kiosk = open_kiosk(serve())
    kiosk.scan(member)
    kiosk.wait_screen("member")
    kiosk.tap("#open-record")
    kiosk.wait_screen("record")
    kiosk.page.locator("#idle").wait_for(state="visible", timeout=15_000)
    kiosk.wait_screen("start", timeout=15_000)
    # nothing of this member's record stays in the page for the next person
    assert kiosk.page.locator("#record-lines").inner_html() == ""
    assert kiosk.page.locator("#member-name").inner_text() == ""
