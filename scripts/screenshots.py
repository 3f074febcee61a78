"""Regenerate the README's screenshots from a demo instance: .venv/bin/python scripts/screenshots.py

Starts a real `corner serve` on a fresh demo instance, walks one member through an exchange and
their points record in Debian's Chromium at 1280 x 800, then the demo organiser through check-in
on the kiosk and on a phone-sized screen, then an admin through the last quarter's page and its
public board on a TV and on A4, and writes docs/screenshots/kiosk-*.png, checkin-*.png,
quarter-admin.png and board-*.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corner.demo import DEMO_PIN, fill_demo  # noqa: E402
from points.clock import quarter_of  # noqa: E402
from points.db import connect  # noqa: E402
from points.periods import previous_quarter  # noqa: E402
from points.staff import add_staff  # noqa: E402
from tests.conftest import Server  # noqa: E402
from tests.helpers import card_token  # noqa: E402
from web.instance import init_instance  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance, _ = init_instance(Path(folder) / "demo")
        db = connect(instance.database)
        fill_demo(db, instance.pictures)
        token = card_token(instance, db, "QZ001")
        server = Server(instance.path)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1280, "height": 800}, has_touch=True)
                page.goto(server.url + "/kiosk")
                page.screenshot(path=OUT / "kiosk-start.png")
                page.keyboard.type(token)
                page.keyboard.press("Enter")
                page.wait_for_function("() => document.body.dataset.screen === 'member'")
                for name in ("拖鞋", "鸡蛋"):
                    page.locator(".goods-card", has_text=name).first.tap()
                page.wait_for_timeout(200)
                page.screenshot(path=OUT / "kiosk-member.png")
                page.tap("#to-confirm")
                page.screenshot(path=OUT / "kiosk-confirm.png")
                page.tap("#confirm")
                page.wait_for_function("() => document.body.dataset.screen === 'receipt'")
                page.screenshot(path=OUT / "kiosk-receipt.png")
                page.tap("#again")
                page.tap("#open-record")
                page.wait_for_selector("#record-lines li")
                page.screenshot(path=OUT / "kiosk-record.png")
                page.tap("#finish")
                page.wait_for_function("() => document.body.dataset.screen === 'start'")
                check_in(page, db, instance, server.url)
                phone = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True)
                check_in(phone, db, instance, server.url, suffix="-phone")
                quarter_pages(browser, db, server.url)
                browser.close()
        finally:
            server.stop()
            db.close()


def check_in(page, db, instance, url: str, suffix: str = "") -> None:
    """The demo organiser's PIN, the open activity, a card, the same card again."""
    page.goto(url + "/kiosk")
    page.tap("#staff-link")
    page.wait_for_selector("#pin-keypad")
    if not suffix:
        page.screenshot(path=OUT / "checkin-pin.png")
    for digit in DEMO_PIN:
        page.tap(f"#pin-keypad [data-digit='{digit}']")
    page.locator(".activity-choice", has_text="秦灶河巡河").tap()
    page.wait_for_function("() => window.checkinEvents && window.checkinEvents.readyState === 1")
    for turn, number in enumerate(("QZ002", "QZ003", "QZ003")):
        page.evaluate("document.getElementById('result').dataset.state = 'waiting'")
        page.keyboard.type(card_token(instance, db, number))
        page.keyboard.press("Enter")
        page.wait_for_selector("#result:not([data-state='waiting'])")
        page.wait_for_timeout(500)  # the answer's short entrance animation
        if turn == 1 and not suffix:
            page.screenshot(path=OUT / "checkin-accepted.png")
    page.screenshot(path=OUT / f"checkin-duplicate{suffix}.png", full_page=bool(suffix))


def quarter_pages(browser, db, url: str) -> None:
    """The last quarter's admin page (posted, an objection open), its board on a TV and on A4."""
    last = previous_quarter(quarter_of())
    add_staff(db, username="wang", password="demo password 1", role="admin", actor="demo")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/admin/login")
    page.fill("#username", "wang")
    page.fill("#password", "demo password 1")
    page.click("button[type=submit]")
    page.goto(f"{url}/admin/quarters/{last}")
    page.screenshot(path=OUT / "quarter-admin.png", full_page=True)
    tv = browser.new_page(viewport={"width": 1920, "height": 1080})
    tv.goto(f"{url}/board/{last}/1?mode=tv")
    tv.screenshot(path=OUT / "board-tv.png")
    tv.goto(f"{url}/board/{last}/1?mode=print")
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "board.pdf"
        pdf.write_bytes(tv.pdf(prefer_css_page_size=True))
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf,
             OUT / "board-print"],
            check=True,
        )  # fmt: skip


if __name__ == "__main__":
    main()
