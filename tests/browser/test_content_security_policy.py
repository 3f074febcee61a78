"""Every page under the Content-Security-Policy, in Chromium: no violation, no console error.

The policy (web/headers.py) allows no inline script, handler or style. This walks every kiosk,
check-in, board and admin page of the demo data in a real browser, with a listener for
``securitypolicyviolation`` installed before any of the page's own scripts, and checks that the
behaviours that used to be inline still work: the quarter page's branch select and the board's
quarter select navigate, "Tick all" ticks, "Print" prints, revoking a card asks first.
"""

from __future__ import annotations

import re

import pytest

from corner.demo import BRANCH, COMMUNITY, DEMO_PIN, fill_demo
from points.branches import add_branch
from points.members import add_member
from tests.admin_support import PASSWORD, make_staff
from tests.helpers import card_token, rid

pytestmark = [pytest.mark.browser, pytest.mark.server]

# before any script of the page: record violations, and let "Print" be counted, not opened
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""


class Watched:
    """One browser context with the watch installed; every page's problems collected."""

    def __init__(self, browser, server) -> None:
        self.url = server.url
        self.context = browser.new_context(viewport={"width": 1366, "height": 900})
        self.context.set_default_timeout(10_000)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"{self.page.url}: {error}"))
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        # a resource that failed is reported by _response, with its address
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console.append(f"{self.page.url}: {message.text}")

    def _response(self, response) -> None:
        # a page's own file missing is a fault; the page itself may be an error page on purpose,
        # and Chromium asks for a /favicon.ico that the app does not have
        request = response.request
        if response.status >= 400 and request.resource_type != "document":
            if not response.url.endswith("/favicon.ico"):
                self.console.append(f"{self.page.url}: {response.status} {response.url}")

    def visit(self, path: str) -> list[str]:
        """Open a page, let it settle; the violations and console errors it caused."""
        self.console.clear()
        self.page.goto(self.url + path)
        self.page.wait_for_load_state("load")
        return self.problems()

    def problems(self) -> list[str]:
        self.page.wait_for_timeout(50)  # a report is dispatched as a task after the violation
        return self.page.evaluate("window.__csp") + list(self.console)

    def log_in(self, username: str = "wang") -> None:
        self.page.goto(self.url + "/admin/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r"/admin/$"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def demo(instance, db):
    """The demo data, an admin, a second branch (so that the branch select has a choice)."""
    config = instance.config_file.read_text(encoding="utf-8")
    instance.config_file.write_text(config.replace("demo = false", "demo = true"), "utf-8")
    fill_demo(db, instance.pictures)
    make_staff(db)
    community = db.execute("SELECT id FROM communities").fetchone()[0]
    add_branch(db, community_id=community, name="第二支部", request_id=rid(), actor="test")
    add_member(
        db, number="QZ900", name="测试", branch="第二支部", community=COMMUNITY, request_id=rid()
    )
    first = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "activity": first("SELECT id FROM activities ORDER BY id"),
        "open_activity": first("SELECT id FROM activities WHERE status = 'open' ORDER BY id"),
        "goods": first("SELECT id FROM goods ORDER BY id"),
        "branch": first("SELECT id FROM branches ORDER BY id"),
        "community": community,
        "quarters": [row[0] for row in db.execute("SELECT quarter FROM quarters ORDER BY 1")],
    }


@pytest.fixture
def watched(browser, serve, demo):
    server = serve()
    pages = Watched(browser, server)
    yield pages
    pages.close()


def admin_pages(demo) -> list[str]:
    activity, goods, branch, community = (
        demo["activity"],
        demo["goods"],
        demo["branch"],
        demo["community"],
    )
    pages = [
        "/admin/",
        "/admin/activities",
        f"/admin/activities/{activity}",
        "/admin/audit",
        "/admin/branches",
        f"/admin/branches/{branch}/rename",
        f"/admin/communities/{community}/rename",
        "/admin/cards/print",
        f"/admin/cards/print?branch={branch}",
        "/admin/cards/sheet?number=QZ001&number=QZ002",
        "/admin/corners",
        "/admin/goods",
        "/admin/goods/new",
        f"/admin/goods/{goods}/edit",
        f"/admin/goods/{goods}/stock",
        "/admin/goods/low",
        "/admin/logins",
        "/admin/members",
        "/admin/members/new",
        "/admin/members/QZ001/edit",
        "/admin/members/QZ001/cards",
        "/admin/members/QZ001/cards/print",
        "/admin/members/QZ001/cards/print?paper=card",
        "/admin/members/QZ001/record",
        "/admin/members/QZ001/record/print",
        "/admin/pin",
        "/admin/quarters",
        "/admin/redemptions",
        "/admin/staff",
        "/admin/staff/wang/logins",
        "/admin/staff/wang/password",
        "/admin/staff/wang/pin",
        "/admin/standards",
        "/admin/members/NOBODY/edit",  # the admin's error page
    ]
    for quarter in demo["quarters"]:
        pages += [f"/admin/quarters/{quarter}", f"/admin/quarters/{quarter}/my-activities"]
    return pages


def test_the_admin_pages_break_no_rule_of_the_policy(watched, demo):
    assert watched.visit("/admin/login") == []
    watched.log_in()
    found = {path: watched.visit(path) for path in admin_pages(demo)}
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_the_kiosk_check_in_and_board_pages_break_no_rule_of_the_policy(
    watched, demo, instance, db
):
    quarter, branch = demo["quarters"][-1], demo["branch"]
    pages = [
        "/kiosk",
        "/kiosk/demo-cards",
        "/checkin",
        "/board",
        f"/board/{quarter}/{branch}",
        f"/board/{quarter}/{branch}?mode=tv",
        f"/board/{quarter}/{branch}?mode=print",
        f"/board/{quarter}/community/{demo['community']}",
        "/nowhere",  # the plain error page
    ]
    found = {path: watched.visit(path) for path in pages}
    # the kiosk's member screen, drawn by its script: a card scanned, goods chosen, the confirm
    watched.visit("/kiosk")
    watched.page.wait_for_function("() => document.body.dataset.screen === 'start'")
    watched.page.keyboard.type(card_token(instance, db, "QZ017"))
    watched.page.keyboard.press("Enter")
    watched.page.wait_for_function("() => document.body.dataset.screen === 'member'")
    watched.page.locator(".goods-card").first.click()
    watched.page.click("#to-confirm")
    watched.page.wait_for_function("() => document.body.dataset.screen === 'confirm'")
    found["/kiosk (member, confirm)"] = watched.problems()
    # the organiser's PIN on this machine's keypad: the check-in list and an activity's screen
    watched.visit("/checkin")
    for digit in DEMO_PIN:
        watched.page.click(f"#pin-keypad button[data-digit='{digit}']")
    watched.page.wait_for_selector(".activity-list")
    found["/checkin (PIN login)"] = watched.problems()
    found["/checkin/<id>"] = watched.visit(f"/checkin/{demo['open_activity']}")
    assert {path: problems for path, problems in found.items() if problems} == {}
    # the PIN login held: the activity's screen, not the keypad again
    assert watched.page.url.endswith(f"/checkin/{demo['open_activity']}")


def test_the_member_import_pages_break_no_rule_of_the_policy(watched, tmp_path, db):
    watched.log_in()
    assert watched.visit("/admin/members/import") == []
    sheet = tmp_path / "members.csv"
    sheet.write_text(
        f"编号,姓名,党支部,社区\nQZ950,新成员,{BRANCH},{COMMUNITY}\n", encoding="utf-8"
    )
    watched.page.set_input_files("input[type=file]", str(sheet))
    watched.page.click("form[enctype] button[type=submit]")
    watched.page.wait_for_load_state("load")
    assert "QZ950" in watched.page.content()
    assert watched.problems() == []
    # confirming shows the spinner (imports.js, a file of the app) and imports the member
    watched.page.click("form[data-import-confirm] button[type=submit]")
    watched.page.wait_for_load_state("load")
    assert watched.problems() == []
    assert db.execute("SELECT name FROM members WHERE number = 'QZ950'").fetchall() == [("新成员",)]


def test_the_behaviours_that_were_inline_still_work(watched, demo, db):
    watched.log_in()
    # the quarter page's branch select shows that branch at once
    quarter = demo["quarters"][-1]
    assert watched.visit(f"/admin/quarters/{quarter}") == []
    watched.page.select_option("#branch", str(demo["branch"]))
    watched.page.wait_for_url(re.compile(rf"branch={demo['branch']}"))
    # the board's quarter select navigates
    assert watched.visit("/board") == []
    other = demo["quarters"][0]
    watched.page.select_option("#quarter", other)
    watched.page.wait_for_url(re.compile(rf"quarter={other}"))
    # "Tick all" on the card batch page
    assert watched.visit("/admin/cards/print") == []
    assert watched.page.locator("input[name=number]:checked").count() == 0
    watched.page.click("[data-tick-all]")
    ticked = watched.page.locator("input[name=number]:checked").count()
    assert ticked == watched.page.locator("input[name=number]:not(:disabled)").count() > 0
    # "Print" on a print page
    assert watched.visit("/admin/members/QZ001/record/print") == []
    watched.page.click("[data-print]")
    assert watched.page.evaluate("window.__printed") == 1
    # revoking a card asks first: dismissed, nothing happens; accepted, the card is revoked
    assert watched.visit("/admin/members/QZ002/cards") == []
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    watched.page.once("dialog", lambda dialog: answer(dialog, False))
    watched.page.click("form[data-confirm] button[type=submit]")
    watched.page.wait_for_timeout(200)
    revoked = "SELECT count(*) FROM cards WHERE status = 'revoked'"
    before = db.execute(revoked).fetchone()[0]
    watched.page.once("dialog", lambda dialog: answer(dialog, True))
    watched.page.click("form[data-confirm] button[type=submit]")
    watched.page.wait_for_load_state("load")
    watched.page.wait_for_timeout(200)
    assert len(asked) == 2 and asked[0] == asked[1] != ""
    assert db.execute(revoked).fetchone()[0] == before + 1
    assert watched.problems() == []
