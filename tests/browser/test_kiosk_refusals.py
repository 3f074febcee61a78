"""Refusals in plain words: a bad card, goods beyond the member's points, goods all gone."""

from __future__ import annotations

import pytest

from points.errors import MESSAGES
from tests.helpers import card_token, make_goods, make_member
from web.i18n import translator

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_garbage_scan_shows_card_invalid_in_words(instance, db, serve, open_kiosk):
    kiosk = open_kiosk(serve())
    kiosk.scan("EC1.GARBAGE.NOT-A-REAL-CARD")

    error = kiosk.page.locator("#error")
    error.wait_for(state="visible")
    assert error.get_attribute("data-code") == "card_invalid"
    expected = translator("zh_CN").gettext(MESSAGES["card_invalid"])
    assert kiosk.page.locator("#error-text").inner_text() == expected
    assert kiosk.page.locator("#error-title").inner_text() == "抱歉"
    kiosk.screenshot("error")
    kiosk.tap("#error-ok")
    assert error.is_hidden()
    assert kiosk.screen == "start"


def test_goods_beyond_points_or_stock_say_so_and_cannot_be_chosen(instance, db, serve, open_kiosk):
    make_member(db, points=5)
    make_goods(db, "肥皂", 3, stock=4)
    make_goods(db, "拖鞋", 10, stock=12)
    make_goods(db, "洗洁精", 2, stock=0)
    kiosk = open_kiosk(serve())
    kiosk.scan(card_token(instance, db))
    kiosk.wait_screen("member")

    slippers, detergent, soap = kiosk.goods("拖鞋"), kiosk.goods("洗洁精"), kiosk.goods("肥皂")
    assert slippers.is_disabled() and "积分不够" in slippers.inner_text()
    assert detergent.is_disabled() and "已兑完" in detergent.inner_text()
    assert soap.is_enabled() and "还剩 4 件" in soap.inner_text()
    kiosk.screenshot("member-refusals")

    # a tap on a refused item does nothing (a forced tap reaches the disabled button)
    slippers.tap(force=True)
    detergent.tap(force=True)
    assert kiosk.page.locator("#cart-lines li").count() == 0
    assert kiosk.page.locator("#to-confirm").is_disabled()

    # one soap (3) leaves 2 points: a second soap no longer fits, and says so
    kiosk.tap(soap)
    assert "已选 1 件" in soap.inner_text()
    assert soap.is_disabled() and "积分不够" in soap.inner_text()
    assert kiosk.page.locator("#cart-after").inner_text() == "兑换后还剩 2 分"
    kiosk.tap(kiosk.page.locator("#cart-lines button").first)  # − : back to nothing chosen
    assert soap.is_enabled() and "已选" not in soap.inner_text()
    assert kiosk.page.locator("#to-confirm").is_disabled()


def test_a_per_member_limit_is_shown_in_words(instance, db, serve, open_kiosk):
    from points.limits import set_goods_limit
    from tests.helpers import rid

    make_member(db, points=50)
    slippers = make_goods(db, "拖鞋", 10, stock=12)
    set_goods_limit(
        db, goods_id=slippers.id, quantity=1, period="quarter", request_id=rid(), actor="staff"
    )
    kiosk = open_kiosk(serve())
    kiosk.scan(card_token(instance, db))
    kiosk.wait_screen("member")
    kiosk.tap(kiosk.goods("拖鞋"))
    card = kiosk.goods("拖鞋")
    assert card.is_disabled() and "本期限兑已满" in card.inner_text()
    kiosk.tap("#to-confirm")
    kiosk.tap("#confirm")
    kiosk.wait_screen("receipt")
    kiosk.tap("#again")
    assert kiosk.goods("拖鞋").is_disabled()
    assert "本期限兑已满" in kiosk.goods("拖鞋").inner_text()
