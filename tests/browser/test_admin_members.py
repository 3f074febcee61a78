"""The admin in real Chromium on an office screen: log in, find a member by pinyin, edit."""

from __future__ import annotations

import pytest

from points.audit import list_audit
from points.members import get_member
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import SCREENS
from tests.helpers import make_member

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_admin_finds_a_member_by_pinyin_and_edits_the_phone(instance, db, serve, office_page):
    make_staff(db)
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    make_member(db, "QZ003", "赵思")
    server = serve()
    page = office_page

    page.goto(f"{server.url}/admin/members")
    assert page.url.startswith(f"{server.url}/admin/login")
    page.get_by_label("用户名").fill("wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{server.url}/admin/members")

    page.get_by_label("按姓名、编号、电话或拼音首字母查找").fill("zs")
    page.get_by_role("button", name="查找").click()
    rows = page.locator("tbody tr[data-number]")
    rows.first.wait_for()
    # zs: 张三 (Zhang San) and 赵思 (Zhao Si), not 李四
    assert rows.evaluate_all("rows => rows.map(row => row.dataset.number)") == ["QZ001", "QZ003"]

    page.get_by_role("link", name="修改 张三").click()
    phone = page.get_by_label("电话")
    phone.fill("139 0000 1234")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "admin-member-edit.png"))
    page.get_by_role("button", name="保存").click()

    page.wait_for_url("**/admin/members?q=QZ001")
    assert "已保存 QZ001 张三" in page.locator(".flashes").inner_text()
    row = page.locator('tr[data-number="QZ001"]')
    assert row.locator(".phone").inner_text() == "139 0000 1234"
    page.screenshot(path=str(SCREENS / "admin-members.png"))
    assert get_member(db, "QZ001").phone == "139 0000 1234"
    [entry] = list_audit(db, action="edit_member")
    assert entry.actor == "wang" and entry.after["phone"] == "139 0000 1234"
