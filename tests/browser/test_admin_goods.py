"""Goods, stock, redemptions, audit and dashboard in real Chromium on a 1366x768 office screen.

The issue's test: an admin logs in, restocks a good, and the kiosk page shows the new stock to
a member who taps their card. Locators use ids and form actions, not words, so the test reads
the same whatever language the pages are in; each page is saved as a screenshot.
"""

from __future__ import annotations

import pytest
from PIL import Image

from points.audit import list_audit
from points.goods import find_goods
from points.redemptions import redeem
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import SCREENS
from tests.helpers import card_token, make_goods, make_member, rid
from tests.test_points_redemptions import session_for

pytestmark = [pytest.mark.browser, pytest.mark.server]


def shot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"admin-{name}.png"))


def fits_the_screen(page) -> bool:
    """No sideways scrolling at 1366 px."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page, url: str) -> None:
    page.goto(f"{url}/admin/login")
    page.locator("#username").fill("wang")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{url}/admin/")


def test_admin_restocks_and_the_kiosk_shows_the_new_stock(
    instance, db, serve, office_page, open_kiosk, tmp_path
):
    make_staff(db)
    make_member(db, "QZ001", "张桂英", points=80)
    make_goods(db, "鸡蛋", 5, stock=30)
    make_goods(db, "拖鞋", 10, stock=2)
    redeem(
        db,
        session=session_for(db),
        items=[{"goods_id": 2, "quantity": 1}],
        request_id=rid(),
    )
    server = serve()
    page = office_page
    log_in(page, server.url)
    assert page.locator("svg[role=img]").count() == 2  # the dashboard's charts: months, quarters
    assert fits_the_screen(page)
    shot(page, "dashboard")

    # a new good with a picture
    picture = tmp_path / "soap.jpg"
    Image.new("RGB", (900, 900), "#3a7bd5").save(picture, format="JPEG")
    page.goto(f"{server.url}/admin/goods/new")
    page.locator("#name").fill("洗衣皂")
    page.locator("#points").fill("8")
    page.locator("#category").fill("日用品")
    page.locator("#picture").set_input_files(str(picture))
    shot(page, "goods-new")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url("**/admin/goods/3/stock")

    # restock the slippers, whose last pair went yesterday
    page.goto(f"{server.url}/admin/goods")
    page.locator('tr[data-goods="2"] a[href*="/stock"]').click()
    page.wait_for_url("**/admin/goods/2/stock?corner=1")
    assert page.locator("#on-hand").inner_text() == "1"
    page.locator("#quantity").fill("12")
    page.locator("#source").select_option("donation")
    page.locator("#note").fill("爱心企业捐赠")
    page.locator("form[action*='/restock'] button").click()
    page.wait_for_url("**/admin/goods/2/stock?corner=1")
    assert page.locator("#on-hand").inner_text() == "13"
    assert "爱心企业捐赠" in page.locator("table.history").inner_text()
    page.locator("#threshold").fill("20")
    page.locator("form[action*='/threshold'] button").click()
    page.wait_for_url("**/admin/goods/2/stock?corner=1")
    assert fits_the_screen(page)
    shot(page, "goods-stock")
    assert find_goods(db, "拖鞋").stock == 13
    [entry] = list_audit(db, action="restock")
    assert (entry.actor, entry.after["on_hand"]) == ("wang", 13)

    page.goto(f"{server.url}/admin/goods")
    assert page.locator('tr[data-goods="3"] td.thumb img').evaluate("img => img.naturalWidth") > 0
    assert fits_the_screen(page)
    shot(page, "goods")
    page.goto(f"{server.url}/admin/goods/2/edit")
    shot(page, "goods-edit")
    page.goto(f"{server.url}/admin/goods/low")
    assert page.locator('tr[data-goods="2"]').count() == 1
    shot(page, "goods-low")

    page.goto(f"{server.url}/admin/redemptions")
    assert page.locator("tr[data-redemption]").count() == 1
    shot(page, "redemptions")
    page.locator('tr[data-redemption="1"] a').click()
    page.locator("#reason").wait_for()
    shot(page, "redemption-reverse")
    page.goto(f"{server.url}/admin/audit")
    assert page.locator("tr[data-action=restock]").count() == 1
    assert fits_the_screen(page)
    shot(page, "audit")

    # the member taps their card at the kiosk: the slippers show the new stock
    kiosk = open_kiosk(server)
    kiosk.scan(card_token(instance, db))
    kiosk.wait_screen("member")
    slippers = kiosk.goods("拖鞋")
    assert slippers.locator(".goods-stock").inner_text() == "还剩 13 件"
    kiosk.screenshot("admin-restock-kiosk")
