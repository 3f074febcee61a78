"""Awarding and deducting points on a member's record page, and staff accounts in the browser."""

from __future__ import annotations

import pytest

from points.audit import list_audit
from points.errors import CornerError
from points.records import points_record
from points.staff import authenticate, deactivate_staff, get_staff
from tests.admin_support import PASSWORD, login, make_staff
from tests.helpers import make_member, rid
from tests.test_admin_staff import corner


def change_points(client, kind, points, reason="河道巡查", number="QZ001", request_id=None):
    form = {"kind": kind, "points": str(points), "reason": reason}
    form["request_id"] = request_id or rid()
    return client.post(f"/admin/members/{number}/points", data=form)


# -- award and deduct --------------------------------------------------------------------------


def test_award_through_the_record_page(admin_client, db):
    make_member(db, points=10)
    response = change_points(admin_client, "award", 5, request_id="admin-award-000001")
    assert response.status_code == 302
    assert response.location == "/admin/members/QZ001/record"
    page = admin_client.get(response.location).text
    assert "已给张三加 5 分，余额 15 分" in page
    assert "余额：15 分" in page and "河道巡查" in page
    record = points_record(db, "QZ001")
    assert record.member.balance == 15
    assert (record.lines[-1].delta, record.lines[-1].reason) == (5, "河道巡查")
    [entry] = list_audit(db, action="award", actor="wang")
    assert entry.target == "member:QZ001" and entry.request_id == "admin-award-000001"
    assert entry.after["balance"] == 15
    # the same form sent twice (a double click) awards once
    assert (
        change_points(admin_client, "award", 5, request_id="admin-award-000001").status_code == 302
    )
    assert points_record(db, "QZ001").member.balance == 15


def test_deduct_through_the_record_page(admin_client, db):
    make_member(db, points=10)
    response = change_points(admin_client, "deduction", 3, reason="未参加会议")
    assert response.status_code == 302
    assert "已从张三扣 3 分，余额 7 分" in admin_client.get(response.location).text
    assert points_record(db, "QZ001").member.balance == 7
    [entry] = list_audit(db, action="deduction")
    assert entry.actor == "wang" and entry.params["delta"] == -3


def test_deducting_more_than_the_balance_is_refused_in_words_and_writes_nothing(admin_client, db):
    make_member(db, points=4)
    rows = len(points_record(db, "QZ001").lines)
    audit_rows = len(list_audit(db))
    response = change_points(admin_client, "deduction", 5)
    assert response.status_code == 422  # insufficient_points
    assert "张三只有 4 分，不能扣 5 分" in response.text
    assert points_record(db, "QZ001").member.balance == 4
    assert len(points_record(db, "QZ001").lines) == rows
    assert len(list_audit(db)) == audit_rows


@pytest.mark.parametrize(
    "points, reason, message",
    [
        (0, "理论学习", "1 到 1000 之间的整数"),
        (1001, "理论学习", "1 到 1000 之间的整数"),
        (5, "  ", "请填写原因"),
    ],
)
def test_bad_points_or_a_missing_reason_are_refused(admin_client, db, points, reason, message):
    make_member(db)
    response = change_points(admin_client, "award", points, reason)
    assert response.status_code == 400 and message in response.text
    assert points_record(db, "QZ001").member.balance == 0
    assert not list_audit(db, action="award")


def test_an_unknown_member_has_no_points_form(admin_client, db):
    assert change_points(admin_client, "award", 5, number="QZ404").status_code == 404


# -- staff accounts ----------------------------------------------------------------------------


def add_form(username="li", role="organiser", password="pw-12345678", confirm=None):
    return {
        "username": username,
        "role": role,
        "password": password,
        "confirm": password if confirm is None else confirm,
    }


def test_staff_list_shows_accounts_with_role_and_status(admin_client, db):
    make_staff(db, "li", role="organiser")
    deactivate_staff(db, username="li", actor="test")
    page = admin_client.get("/admin/staff")
    assert page.status_code == 200
    assert 'data-username="li"' in page.text and 'data-username="wang"' in page.text
    assert "组织者" in page.text and "已停用" in page.text
    # no button to deactivate oneself
    assert "/admin/staff/wang/status" not in page.text
    assert "/admin/staff/li/status" in page.text


def test_add_a_staff_account(admin_client, office, db):
    response = admin_client.post("/admin/staff/new", data=add_form(username=" Li "))
    assert response.status_code == 302
    assert "已添加 li（活动组织者）" in admin_client.get("/admin/staff").text
    assert get_staff(db, "li").role == "organiser"
    authenticate(db, username="li", password="pw-12345678")
    [entry] = list_audit(db, action="add_staff", actor="wang")
    assert entry.target == "staff:li"


@pytest.mark.parametrize(
    "form, message, status",
    [
        (add_form(confirm="pw-87654321"), "两次输入的密码不一样", 400),
        (add_form(password="short"), "至少 8 个字符", 400),
        (add_form(username="li li"), "最多 40 个小写字母", 400),
        (add_form(username="wang"), "已经有同名的工作人员账号", 409),  # the core: staff_exists
        (add_form(role="boss"), "Not a valid choice", 400),
    ],
)
def test_a_bad_staff_account_is_refused(admin_client, db, form, message, status):
    response = admin_client.post("/admin/staff/new", data=form)
    assert response.status_code == status
    assert message in response.text or form["role"] == "boss"
    assert [staff.username for staff in [get_staff(db, "li")] if staff] == []


def test_reset_a_password_ends_the_old_one(admin_client, office, db):
    make_staff(db, "li", role="organiser")
    other = office.test_client()
    assert login(other, "li").status_code == 302
    url = "/admin/staff/li/password"
    assert admin_client.get(url).status_code == 200
    differ = admin_client.post(url, data={"password": "new-password-1", "confirm": "other"})
    assert differ.status_code == 400 and "两次输入的密码不一样" in differ.text
    done = admin_client.post(url, data={"password": "new-password-1", "confirm": "new-password-1"})
    assert done.status_code == 302
    assert "li 的密码已更改" in admin_client.get("/admin/staff").text
    assert other.get("/admin/").status_code == 302  # li's open login has ended
    assert login(other, "li").status_code == 401
    assert login(other, "li", "new-password-1").status_code == 302
    assert list_audit(db, action="set_password", actor="wang")[0].target == "staff:li"


def test_deactivate_and_reactivate_an_account(admin_client, office, db):
    make_staff(db, "li", role="organiser")
    other = office.test_client()
    response = admin_client.post("/admin/staff/li/status", data={"status": "inactive"})
    assert response.status_code == 302
    assert "li 已停用，不能再登录" in admin_client.get("/admin/staff").text
    assert login(other, "li").status_code == 401  # a deactivated account cannot log in
    admin_client.post("/admin/staff/li/status", data={"status": "active"})
    assert get_staff(db, "li").active
    assert login(other, "li").status_code == 302
    actions = [entry.action for entry in list_audit(db, actor="wang")]
    assert "deactivate_staff" in actions and "reactivate_staff" in actions


def test_an_admin_cannot_deactivate_their_own_account(admin_client, db):
    response = admin_client.post("/admin/staff/wang/status", data={"status": "inactive"})
    assert response.status_code == 302
    assert "不能停用自己的账号" in admin_client.get("/admin/staff").text
    assert get_staff(db, "wang").active
    assert not list_audit(db, action="deactivate_staff")
    with pytest.raises(CornerError) as refused:
        deactivate_staff(db, username="wang", actor="wang")
    assert refused.value.code == "staff_self"


def test_unknown_account_pages_are_not_found(admin_client):
    assert admin_client.get("/admin/staff/nobody/password").status_code == 404
    assert (
        admin_client.post("/admin/staff/nobody/status", data={"status": "active"}).status_code
        == 404
    )


# -- the command line --------------------------------------------------------------------------


def test_cli_users_passwd_deactivate_and_reactivate(tmp_path):
    from points.db import connect

    path = tmp_path / "corner"
    corner(path, "init", "--admin", "wang", "--password-stdin", input=PASSWORD)
    changed = corner(path, "users", "passwd", "Wang", "--password-stdin", input="new-password-1\n")
    assert "已为 wang 设置新密码" in changed.stdout
    db = connect(path / "corner.db")
    authenticate(db, username="wang", password="new-password-1")
    short = corner(path, "users", "passwd", "wang", "--password-stdin", input="short", ok=False)
    assert short.returncode == 1 and "(password_too_short" in short.stderr
    unknown = corner(path, "users", "passwd", "nobody", "--password-stdin", input="x", ok=False)
    assert "(staff_unknown" in unknown.stderr

    last = corner(path, "users", "deactivate", "wang", ok=False)
    assert last.returncode == 1 and "(staff_last_admin" in last.stderr  # nobody could log in
    corner(path, "users", "add", "li", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert "wang 已停用" in corner(path, "users", "deactivate", "wang").stdout
    assert corner(path, "users", "list").stdout.splitlines() == [
        "li\tadmin\tactive",
        "wang\tadmin\tinactive",
    ]
    with pytest.raises(CornerError) as refused:
        authenticate(db, username="wang", password="new-password-1")
    assert refused.value.code == "login_failed"
    assert "wang 可以重新登录" in corner(path, "users", "reactivate", "wang").stdout
    authenticate(db, username="wang", password="new-password-1")
    actions = [entry.action for entry in list_audit(db) if entry.actor.startswith("cli")]
    assert {"set_password", "deactivate_staff", "reactivate_staff"} <= set(actions)
    db.close()
