"""Browser fixtures: one Debian Chromium per test session, a fresh touch context per test.

No Playwright browser download happens here: the kiosk runs in Debian's chromium, and so do the
tests. A missing browser (or font, see test_kiosk_accessibility) fails the run; it never skips.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--disable-gpu",
    # no look-ups of outside hosts: the kiosk must work with no internet, and so must its tests
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"

# counts real touches, so a test can say how many taps a member needed
COUNT_TOUCHES = """
window.__touches = 0;
document.addEventListener("touchstart", () => { window.__touches += 1; }, { capture: true });
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Kiosk:
    """The kiosk page in one touchscreen browser context, and the moves a member makes."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        self.foreign: list[str] = []  # requests that left the kiosk's own server
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)

    def _request(self, request) -> None:
        if not request.url.startswith((self.url + "/", "data:", "blob:")):
            self.foreign.append(request.url)

    def open(self, query: str = "") -> Kiosk:
        self.page.goto(f"{self.url}/kiosk{query}")
        self.wait_screen("start")
        return self

    def scan(self, token: str) -> None:
        """What a USB QR scanner does: type the card's token and Enter, with no text field."""
        self.page.keyboard.type(token)
        self.page.keyboard.press("Enter")

    def wait_screen(self, name: str, timeout: float = 10_000) -> None:
        self.page.wait_for_function(
            "name => document.body.dataset.screen === name", arg=name, timeout=timeout
        )

    @property
    def screen(self) -> str:
        return self.page.evaluate("document.body.dataset.screen")

    def goods(self, name: str) -> Locator:
        """The goods button whose name is exactly ``name``."""
        return self.page.locator(".goods-card").filter(
            has=self.page.locator(".goods-name", has_text=re.compile(f"^{re.escape(name)}$"))
        )

    def tap(self, target: str | Locator) -> None:
        locator = self.page.locator(target) if isinstance(target, str) else target
        locator.tap()

    @property
    def touches(self) -> int:
        return self.page.evaluate("window.__touches")

    def screenshot(self, name: str) -> None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENS / f"{name}.png"))


@pytest.fixture
def open_kiosk(browser):
    """``open_kiosk(server, width=1280, height=800, query="")``: a kiosk page in a new context."""
    contexts = []
    kiosks = []

    def open_page(server, *, width: int = 1280, height: int = 800, query: str = "") -> Kiosk:
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
        context.set_default_timeout(10_000)
        context.add_init_script(COUNT_TOUCHES)
        contexts.append(context)
        kiosk = Kiosk(context.new_page(), server.url)
        kiosks.append(kiosk)
        return kiosk.open(query)

    yield open_page
    for context in contexts:
        context.close()
    errors = [error for kiosk in kiosks for error in kiosk.errors]
    assert not errors, f"JavaScript errors on the kiosk page: {errors}"
    # no CDN, no web fonts, nothing from the internet: the kiosk must work offline
    foreign = [url for kiosk in kiosks for url in kiosk.foreign]
    assert not foreign, f"the kiosk page requested outside resources: {foreign}"


def set_idle_seconds(instance, seconds: int) -> None:
    """Rewrite the instance's config.toml; call before serve()."""
    text = instance.config_file.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^idle_seconds = \d+", f"idle_seconds = {seconds}", text)
    assert count == 1, "config.toml has no idle_seconds line"
    instance.config_file.write_text(text, encoding="utf-8")


@pytest.fixture
def office_page(browser):
    """A 1366x768 desktop page that records JavaScript errors and outside requests."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors, foreign = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://127.0.0.1:", "data:"))
            else foreign.append(request.url)
        ),
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not foreign, f"the admin requested outside resources: {foreign}"
