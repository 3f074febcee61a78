"""A member's whole visit in real Chromium: scan, tap goods, exchange, confirm, receipt."""

from __future__ import annotations

import pytest

from corner.demo import fill_demo
from points.check import check
from points.goods import catalog
from points.members import get_member
from tests.helpers import card_token, make_goods, make_member

pytestmark = [pytest.mark.browser, pytest.mark.server]


def stock_of(db, name: str) -> int:
    return next(item.stock for item in catalog(db) if item.name == name)


def test_scan_choose_confirm_lowers_balance_and_stock(instance, db, serve, open_kiosk):
    make_member(db, name="张桂英", points=32)
    make_goods(db, "鸡蛋", 5, stock=30)
    make_goods(db, "拖鞋", 10, stock=12)
    make_goods(db, "食用油", 25, stock=5)
    kiosk = open_kiosk(serve())
    page = kiosk.page
    kiosk.screenshot("start")

    kiosk.scan(card_token(instance, db))
    kiosk.wait_screen("member")
    assert page.locator("#member-name").inner_text() == "张桂英"
    assert page.locator("#balance").inner_text() == "32"
    kiosk.screenshot("member")

    kiosk.tap(kiosk.goods("拖鞋"))
    kiosk.tap(kiosk.goods("鸡蛋"))
    assert "已选 1 件" in kiosk.goods("拖鞋").inner_text()
    assert "已选 1 件" in kiosk.goods("鸡蛋").inner_text()
    assert page.locator("#cart-total").inner_text() == "共 15 分"
    assert page.locator("#cart-after").inner_text() == "兑换后还剩 17 分"
    # 25 points for the oil no longer fit beside the 15 already chosen: it says so
    assert kiosk.goods("食用油").is_disabled()
    assert "积分不够" in kiosk.goods("食用油").inner_text()
    kiosk.screenshot("member-chosen")

    kiosk.tap("#to-confirm")
    kiosk.wait_screen("confirm")
    confirm_lines = page.locator("#confirm-lines li").all_inner_texts()
    assert [" ".join(line.split()) for line in confirm_lines] == ["拖鞋 × 1 10 分", "鸡蛋 × 1 5 分"]
    assert page.locator("#confirm-after").inner_text() == "兑换后还剩 17 分"
    kiosk.screenshot("confirm")

    kiosk.tap("#confirm")
    kiosk.wait_screen("receipt")
    receipt_lines = [
        " ".join(line.split()) for line in page.locator("#receipt-lines li").all_inner_texts()
    ]
    assert sorted(receipt_lines) == ["拖鞋 × 1 10 分", "鸡蛋 × 1 5 分"]
    assert page.locator("#receipt-total").inner_text() == "共 15 分"
    assert page.locator("#receipt-balance").inner_text() == "17"
    kiosk.screenshot("receipt")
    assert kiosk.touches == 4  # two goods, exchange, confirm

    assert get_member(db, "QZ001").balance == 17
    assert stock_of(db, "拖鞋") == 11
    assert stock_of(db, "鸡蛋") == 29
    assert stock_of(db, "食用油") == 5
    assert check(db) == []

    kiosk.tap("#done")
    kiosk.wait_screen("start")
    assert page.locator("#member-name").inner_text() == ""


def test_one_item_takes_three_taps_from_scan_to_redemption(instance, db, serve, open_kiosk):
    make_member(db, points=10)
    make_goods(db, "拖鞋", 10, stock=1)
    kiosk = open_kiosk(serve())
    kiosk.scan(card_token(instance, db))
    kiosk.wait_screen("member")

    kiosk.tap(kiosk.goods("拖鞋"))
    kiosk.tap("#to-confirm")
    kiosk.tap("#confirm")
    kiosk.wait_screen("receipt")

    assert kiosk.touches <= 3
    assert get_member(db, "QZ001").balance == 0
    assert stock_of(db, "拖鞋") == 0


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_all_ten_demo_goods_fit_on_the_member_screen_without_scrolling(
    instance, db, serve, open_kiosk, width, height
):
    fill_demo(db, instance.pictures)
    kiosk = open_kiosk(serve(), width=width, height=height)
    kiosk.scan(card_token(instance, db, "QZ017"))  # 何立新, 81 points
    kiosk.wait_screen("member")
    kiosk.page.wait_for_function(
        "() => [...document.querySelectorAll('#goods img')].every(img => img.complete)"
    )
    kiosk.screenshot(f"member-demo-{width}x{height}")

    layout = kiosk.page.evaluate("""() => {
        const box = (el) => { const r = el.getBoundingClientRect();
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
        const list = document.getElementById("goods");
        return {
            goods: [...document.querySelectorAll("[data-goods-id]")].map(box),
            list: box(list),
            listScrolls: list.scrollHeight > list.clientHeight,
            pageScrolls: document.scrollingElement.scrollHeight > innerHeight,
            others: ["member-name", "balance", "to-confirm", "finish"].map(
                (id) => box(document.getElementById(id))),
        };
    }""")
    assert len(layout["goods"]) == 10
    assert not layout["listScrolls"] and not layout["pageScrolls"]

    def inside(box, frame) -> bool:
        return (
            box["left"] >= frame["left"]
            and box["top"] >= frame["top"]
            and box["right"] <= frame["right"]
            and box["bottom"] <= frame["bottom"]
        )

    viewport = {"left": 0, "top": 0, "right": width, "bottom": height}
    for box in layout["goods"]:
        assert inside(box, layout["list"]) and inside(box, viewport), box
    for box in layout["others"]:
        assert inside(box, viewport), box


def test_flow_completes_on_a_small_1024x600_screen(instance, db, serve, open_kiosk):
    fill_demo(db, instance.pictures)
    kiosk = open_kiosk(serve(), width=1024, height=600)
    kiosk.scan(card_token(instance, db, "QZ017"))
    kiosk.wait_screen("member")
    before = get_member(db, "QZ017").balance

    kiosk.tap(kiosk.goods("食用油"))  # the last one: the goods list scrolls to it
    kiosk.tap(kiosk.goods("拖鞋"))
    kiosk.screenshot("member-1024x600")
    kiosk.tap("#to-confirm")
    kiosk.wait_screen("confirm")
    kiosk.screenshot("confirm-1024x600")
    kiosk.tap("#confirm")
    kiosk.wait_screen("receipt")
    kiosk.screenshot("receipt-1024x600")
    assert kiosk.page.locator("#receipt-balance").inner_text() == str(before - 35)
    kiosk.tap("#done")
    kiosk.wait_screen("start")
    assert get_member(db, "QZ017").balance == before - 35
    assert check(db) == []
