"""Cards, import and the points record in real Chromium: true print sizes, every page seen."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from points.audit import list_audit
from points.ledger import award_points
from points.member_cards import card_history
from points.members import count_members
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import SCREENS
from tests.helpers import make_member, rid

pytestmark = [pytest.mark.browser, pytest.mark.server]

MM = 96 / 25.4  # CSS pixels per millimetre
A4_POINTS = (595.28, 841.89)


def log_in(page, server) -> None:
    page.goto(f"{server.url}/admin/login")
    page.get_by_label("用户名").fill("wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{server.url}/admin/")


def screenshot(page, name: str, full_page: bool = False) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"admin-{name}.png"), full_page=full_page)


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size in points of every page of a PDF that Chromium printed."""
    count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert count and len(boxes) >= count, "could not read the PDF's pages"
    return [(float(width), float(height)) for width, height in boxes[:count]]


def test_reissue_and_bind_nfc_in_the_browser(instance, db, serve, office_page):
    make_staff(db)
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    server = serve()
    page = office_page
    log_in(page, server)
    page.goto(f"{server.url}/admin/members")
    page.locator('a[href="/admin/members/QZ001/cards"]').click()
    page.wait_for_url("**/admin/members/QZ001/cards")

    page.get_by_role("button", name=re.compile("QR|二维码")).first.click()
    page.wait_for_url("**/admin/members/QZ001/cards")
    assert page.locator('tr[data-status="replaced"]').count() == 1
    assert page.locator('tr[data-status="active"]').count() == 1

    uid_field = page.locator("#uid")
    uid_field.fill("04 a1 b2 c3")
    page.locator("form.toolbar button[type=submit]").click()
    page.wait_for_url("**/admin/members/QZ001/cards")
    assert page.locator("tbody td:first-child", has_text="04A1B2C3").count() == 1
    screenshot(page, "cards", full_page=True)

    page.goto(f"{server.url}/admin/members/QZ002/cards")
    page.locator("#uid").fill("04A1B2C3")
    page.locator("form.toolbar button[type=submit]").click()
    error = page.locator("#uid-error")
    error.wait_for()
    assert "这张卡已经绑定给别人了" in error.inner_text() and "QZ001" in error.inner_text()
    assert page.locator("#uid").get_attribute("aria-invalid") == "true"
    screenshot(page, "cards-bind-refused")
    assert [card.kind for card in card_history(db, "QZ002")] == ["qr"]
    actions = {entry.action for entry in list_audit(db, actor="wang")}
    assert {"issue_qr_card", "bind_nfc_card"} <= actions


def test_one_card_prints_at_credit_card_size(instance, db, serve, office_page):
    make_staff(db)
    make_member(db, "QZ001", "欧阳小明")
    server = serve()
    page = office_page
    log_in(page, server)
    page.goto(f"{server.url}/admin/members/QZ001/cards/print")
    screenshot(page, "card-print")
    page.emulate_media(media="print")
    box = page.locator(".card").bounding_box()
    assert box["width"] == pytest.approx(85.6 * MM, abs=0.5)  # 323.5 px
    assert box["height"] == pytest.approx(54 * MM, abs=0.5)  # 204.1 px
    qr = page.locator(".card-qr").bounding_box()
    assert qr["width"] == pytest.approx(33 * MM, abs=0.5)
    # nothing spills out of the card: the name, the number and the QR code sit inside it
    for part in (".card-name", ".card-number", ".card-branch", ".card-qr"):
        inner = page.locator(part).bounding_box()
        assert inner["x"] >= box["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"]
        assert inner["y"] + inner["height"] <= box["y"] + box["height"]
    assert not page.locator(".screen-only").first.is_visible()
    [size] = pdf_pages(page.pdf(prefer_css_page_size=True))
    assert size == pytest.approx(A4_POINTS, abs=2)
    page.goto(f"{server.url}/admin/members/QZ001/cards/print?paper=card")
    [card_page] = pdf_pages(page.pdf(prefer_css_page_size=True))
    assert card_page == pytest.approx((85.6 / 25.4 * 72, 54 / 25.4 * 72), abs=1)


def test_ten_cards_fit_one_a4_page_and_the_eleventh_starts_another(
    instance, db, serve, office_page
):
    make_staff(db)
    for index in range(1, 12):
        make_member(db, f"QZ{index:03}", f"会员{index:02}")
    server = serve()
    page = office_page
    log_in(page, server)
    page.goto(f"{server.url}/admin/cards/print")
    page.get_by_role("button", name=re.compile("全选|Tick all")).click()
    for index in (11,):
        page.locator(f"#pick-QZ{index:03}").uncheck()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "cards-batch")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=re.compile("打印勾选的卡|Print the ticked")).click()
    sheet = opened.value
    sheet.wait_for_load_state()
    assert sheet.locator("article.card").count() == 10
    sheet.set_viewport_size({"width": 1366, "height": 768})
    screenshot(sheet, "cards-sheet")
    sheet.emulate_media(media="print")
    boxes = [card.bounding_box() for card in sheet.locator("article.card").all()]
    for box in boxes:
        assert box["width"] == pytest.approx(85.6 * MM, abs=0.5)
        assert box["height"] == pytest.approx(54 * MM, abs=0.5)
    assert len({round(box["x"]) for box in boxes}) == 2  # two columns
    assert len({round(box["y"]) for box in boxes}) == 5  # five rows
    assert pdf_pages(sheet.pdf(prefer_css_page_size=True)) == [pytest.approx(A4_POINTS, abs=2)]
    sheet.close()

    numbers = "&".join(f"number=QZ{index:03}" for index in range(1, 12))
    page.goto(f"{server.url}/admin/cards/sheet?{numbers}")
    assert len(pdf_pages(page.pdf(prefer_css_page_size=True))) == 2


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    book.active.append(["编号", "姓名", "党支部", "社区", "电话"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_preview_then_confirm(instance, db, serve, office_page, tmp_path):
    make_staff(db)
    make_member(db, "QZ001", "张三")
    server = serve()
    page = office_page
    log_in(page, server)
    page.goto(f"{server.url}/admin/members")
    page.get_by_role("link", name=re.compile("^(导入|Import)$")).click()
    page.wait_for_url("**/admin/members/import")
    screenshot(page, "import")

    bad = tmp_path / "党员名单.xlsx"
    bad.write_bytes(
        xlsx(
            [
                ["QZ101", "王五", "第一支部", "银枫社区", "13900001111"],
                ["QZ001", "重名", "第一支部", None, None],
                ["QZ103", None, "第八支部", None, "12"],
            ]
        )
    )
    page.locator("input[type=file]").set_input_files(str(bad))
    page.locator("form.toolbar button[type=submit]").click()
    page.locator("table.import-problems").wait_for()
    rows = page.locator("table.import-problems tbody tr")
    assert rows.evaluate_all("rows => rows.map(row => row.dataset.row)") == ["3", "4", "4", "4"]
    screenshot(page, "import-refused", full_page=True)
    assert count_members(db) == 1

    good = tmp_path / "名单.xlsx"
    good.write_bytes(
        xlsx(
            [
                ["QZ101", "王五", "第一支部", "银枫社区", "13900001111"],
                ["QZ102", "赵六", "第一支部", None, None],
            ]
        )
    )
    page.locator("input[type=file]").set_input_files(str(good))
    page.locator("form.toolbar button[type=submit]").click()
    confirm = page.get_by_role("button", name=re.compile("导入 2|Import 2"))
    confirm.wait_for()
    screenshot(page, "import-preview")
    assert count_members(db) == 1
    # the rows stay on the server: the form sends the import's id and the CSRF token only
    sent = page.locator("form[data-import-confirm] input").evaluate_all(
        "inputs => inputs.map(input => input.name).sort()"
    )
    assert sent == ["csrf_token", "import_id"]
    assert page.locator("#import-working").is_hidden()  # "importing…" shows once confirmed
    confirm.click()
    page.wait_for_url("**/admin/members")
    assert count_members(db) == 3
    assert page.locator('tr[data-number="QZ102"]').count() == 1


def test_record_and_statement_pages(instance, db, serve, office_page):
    make_staff(db)
    make_member(db, "QZ001", "张三")
    for points, reason in ((20, "理论学习"), (5, "志愿服务"), (12, "环境整治")):
        award_points(db, number="QZ001", points=points, reason=reason, request_id=rid(), actor="t")
    server = serve()
    page = office_page
    log_in(page, server)
    page.goto(f"{server.url}/admin/members/QZ001/record")
    balances = page.locator("td.balance").all_inner_texts()
    assert balances == ["20", "25", "37"]
    screenshot(page, "record")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=re.compile("打印|Print")).click()
    statement = opened.value
    statement.wait_for_load_state()
    statement.set_viewport_size({"width": 1366, "height": 768})
    assert statement.locator("td.balance").all_inner_texts() == ["20", "25", "37"]
    screenshot(statement, "statement", full_page=True)
    statement.emulate_media(media="print")
    assert statement.locator(".signatures").is_visible()
    assert pdf_pages(statement.pdf(prefer_css_page_size=True)) == [pytest.approx(A4_POINTS, abs=2)]
