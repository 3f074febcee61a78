"""The members area: find (by pinyin initials too), register, edit, deactivate."""

from __future__ import annotations

import pytest

from points.audit import list_audit
from points.members import count_members, get_member
from points.search import search_members
from tests.helpers import card_token, make_member


@pytest.fixture
def roster(db):
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    make_member(db, "QZ003", "曾小红")
    from points.members import edit_member

    edit_member(
        db, number="QZ002", name="李四", phone="138 0013 8000", request_id="seed-0001", actor="t"
    )


def listed(response) -> list[str]:
    """The member numbers in a members list page, in order."""
    import re

    assert response.status_code == 200
    return re.findall(r'data-number="([^"]+)"', response.text)


@pytest.mark.parametrize(
    "query, numbers",
    [
        ("zs", ["QZ001"]),
        ("ZS", ["QZ001"]),
        ("zhangs", ["QZ001"]),
        ("张", ["QZ001"]),
        ("qz002", ["QZ002"]),
        ("13800", ["QZ002"]),
        ("0013 8000", ["QZ002"]),
        ("zxh", ["QZ003"]),
        ("cxh", ["QZ003"]),  # 曾 read as ceng counts too
        ("xh", ["QZ003"]),
        ("", ["QZ001", "QZ002", "QZ003"]),
        ("wx", []),
    ],
)
def test_search_by_name_number_phone_and_pinyin_initials(admin_client, roster, query, numbers):
    assert listed(admin_client.get("/admin/members", query_string={"q": query})) == numbers


def test_search_by_status(admin_client, db, roster):
    admin_client.post(
        "/admin/members/QZ002/status", data={"status": "inactive", "request_id": "s-000001"}
    )
    assert listed(admin_client.get("/admin/members?status=inactive")) == ["QZ002"]
    assert listed(admin_client.get("/admin/members?status=active")) == ["QZ001", "QZ003"]
    assert [member.number for member in search_members(db, query="ls")] == ["QZ002"]


def test_register_a_member(admin_client, db):
    form = {
        "number": "qz010",
        "name": " 王五 ",
        "branch": "第一党支部",
        "community": "银枫社区",
        "phone": "13900001111",
        "request_id": "admin-register-0001",
    }
    response = admin_client.post("/admin/members/new", data=form)
    assert response.status_code == 302 and response.location == "/admin/members?q=QZ010"
    assert "已添加党员 QZ010 王五" in admin_client.get(response.location).text
    member = get_member(db, "QZ010")
    assert (member.name, member.branch, member.community, member.phone) == (
        "王五",
        "第一党支部",
        "银枫社区",
        "13900001111",
    )
    # the same form sent twice (a double click) registers once and answers the same
    assert admin_client.post("/admin/members/new", data=form).status_code == 302
    assert count_members(db) == 1
    [entry] = list_audit(db, action="add_member")
    assert (entry.actor, entry.target, entry.after) == ("wang", "member:QZ010", {"number": "QZ010"})


@pytest.mark.parametrize(
    "form, message, status",
    [
        ({"number": "QZ010", "name": ""}, "请填写姓名。", 400),
        ({"number": "QZ010", "name": "   "}, "请填写姓名。", 400),
        ({"number": "", "name": "王五"}, "请填写党员编号。", 400),
        ({"number": "QZ 10", "name": "王五"}, "最多 20 个字母、数字或短横线", 400),
        ({"number": "QZ001", "name": "王五"}, "这个编号已经有人用了。", 409),  # member_exists
        ({"number": "qz001", "name": "王五"}, "这个编号已经有人用了。", 409),
        ({"number": "QZ010", "name": "王五", "phone": "call me"}, "请填 5 到 20 位数字", 400),
        ({"number": "QZ010", "name": "王" * 41}, "最多 40 个字。", 400),
    ],
)
def test_bad_member_form_shows_the_error_and_writes_nothing(
    admin_client, db, form, message, status
):
    make_member(db, "QZ001", "张三")
    audit_before = len(list_audit(db))
    response = admin_client.post(
        "/admin/members/new", data={**form, "request_id": "admin-bad-0001"}
    )
    assert response.status_code == status
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert count_members(db) == 1
    assert len(list_audit(db)) == audit_before


def test_edit_a_member_leaves_before_and_after_in_the_audit(admin_client, db):
    make_member(db, "QZ001", "张三")
    page = admin_client.get("/admin/members/QZ001/edit")
    assert page.status_code == 200 and 'value="张三"' in page.text
    form = {
        "number": "QZ999",  # ignored: a member's number never changes
        "name": "张三",
        "branch": "第二党支部",
        "community": "银枫社区",
        "phone": "13700002222",
        "request_id": "admin-edit-00001",
    }
    response = admin_client.post("/admin/members/QZ001/edit", data=form)
    assert response.status_code == 302
    member = get_member(db, "QZ001")
    assert (member.branch, member.phone) == ("第二党支部", "13700002222")
    [entry] = list_audit(db, action="edit_member")
    assert (entry.actor, entry.target) == ("wang", "member:QZ001")
    assert entry.before["phone"] is None and entry.before["branch"] == "第一支部"
    assert entry.after["phone"] == "13700002222" and entry.after["branch"] == "第二党支部"
    assert entry.request_id == "admin-edit-00001"


def test_bad_edit_writes_nothing(admin_client, db):
    make_member(db, "QZ001", "张三")
    response = admin_client.post(
        "/admin/members/QZ001/edit",
        data={"name": "张三", "phone": "12", "request_id": "admin-edit-00002"},
    )
    assert response.status_code == 400 and "请填 5 到 20 位数字" in response.text
    assert get_member(db, "QZ001").phone is None
    assert list_audit(db, action="edit_member") == []


def test_unknown_member_is_not_found(admin_client):
    assert admin_client.get("/admin/members/QZ404/edit").status_code == 404


def test_deactivate_and_reactivate_a_member(admin_client, db, instance):
    make_member(db, "QZ001", "张三", points=5)
    token = card_token(instance, db)
    response = admin_client.post(
        "/admin/members/QZ001/status", data={"status": "inactive", "request_id": "admin-st-0001"}
    )
    assert response.status_code == 302
    assert "QZ001 张三 已停用" in admin_client.get(response.location).text
    assert get_member(db, "QZ001").status == "inactive"
    scan = admin_client.post("/api/kiosk/scan", json={"credential": token})
    assert scan.json["error"]["code"] == "member_inactive"  # the card stops working at once
    admin_client.post(
        "/admin/members/QZ001/status", data={"status": "active", "request_id": "admin-st-0002"}
    )
    member = get_member(db, "QZ001")
    assert member.status == "active" and member.balance == 5  # nothing of their record is lost
    assert admin_client.post("/api/kiosk/scan", json={"credential": token}).status_code == 200
    actions = [
        (e.before["status"], e.after["status"])
        for e in list_audit(db, target="member:QZ001")
        if e.action == "set_member_status"
    ]
    assert actions == [("inactive", "active"), ("active", "inactive")]
    bad = admin_client.post("/admin/members/QZ001/status", data={"status": "deleted"})
    assert bad.status_code == 400


def test_members_pages_in_english_when_asked(admin_client, roster):
    page = admin_client.get("/admin/members?lang=en")
    assert "Find by name, number, phone or pinyin initials" in page.text
    assert '<html lang="en">' in page.text
    # the choice holds for the rest of the login
    assert "Register a member" in admin_client.get("/admin/members/new").text
    assert "登记新党员" in admin_client.get("/admin/members/new?lang=zh_CN").text
