"""Communities and party branches, and exchange corners, set up from the browser."""

from __future__ import annotations

import pytest

from points.audit import list_audit
from points.branches import add_branch, add_community, list_communities
from points.corners import list_corners
from points.errors import CornerError
from points.members import get_member
from tests.helpers import make_goods, make_member, rid


def names(db) -> dict[str, list[str]]:
    return {c.name: [b.name for b in c.branches] for c in list_communities(db)}


def test_branches_page_lists_communities_branches_and_member_counts(admin_client, db):
    make_member(db, "QZ001")
    make_member(db, "QZ002", "李四")
    add_community(db, name="枫林社区", request_id=rid(), actor="test")
    page = admin_client.get("/admin/branches")
    assert page.status_code == 200
    [silver] = [c for c in list_communities(db) if c.name == "银枫社区"]
    assert silver.members == 2 and silver.branches[0].members == 2
    assert "银枫社区" in page.text and "第一支部" in page.text and "枫林社区" in page.text


def test_add_a_community_and_a_branch(admin_client, db):
    response = admin_client.post(
        "/admin/communities/new",
        data={"community-name": " 枫林社区 ", "community-request_id": rid()},
    )
    assert response.status_code == 302
    assert "已添加社区枫林社区" in admin_client.get("/admin/branches").text
    [community] = list_communities(db)
    response = admin_client.post(
        "/admin/branches/new",
        data={
            "branch-community": str(community.id),
            "branch-name": "第二支部",
            "branch-request_id": rid(),
        },
    )
    assert response.status_code == 302
    assert names(db) == {"枫林社区": ["第二支部"]}
    assert [e.action for e in list_audit(db, actor="wang")][:2] == ["add_branch", "add_community"]


def test_a_name_twice_is_refused_next_to_the_field(admin_client, db):
    make_member(db)
    form = {"community-name": "银枫社区", "community-request_id": rid()}
    response = admin_client.post("/admin/communities/new", data=form)
    assert response.status_code == 409 and "已经有同名的社区" in response.text
    [community] = list_communities(db)
    form = {
        "branch-community": str(community.id),
        "branch-name": "第一支部",
        "branch-request_id": rid(),
    }
    response = admin_client.post("/admin/branches/new", data=form)
    assert response.status_code == 409 and "这个社区已有同名的党支部" in response.text
    assert names(db) == {"银枫社区": ["第一支部"]}
    assert not list_audit(db, actor="wang", action="add_branch")


def test_the_same_branch_name_may_be_in_two_communities(db):
    first = add_community(db, name="甲社区", request_id=rid(), actor="t")
    second = add_community(db, name="乙社区", request_id=rid(), actor="t")
    for community in (first, second):
        add_branch(db, community_id=community["id"], name="第一支部", request_id=rid(), actor="t")
    assert names(db) == {"甲社区": ["第一支部"], "乙社区": ["第一支部"]}
    with pytest.raises(CornerError) as refused:
        add_branch(db, community_id=999, name="第九支部", request_id=rid(), actor="t")
    assert refused.value.code == "community_unknown"


def test_rename_a_community_and_a_branch_keeps_the_members(admin_client, db):
    make_member(db)
    [community] = list_communities(db)
    branch = community.branches[0]
    url = f"/admin/communities/{community.id}/rename"
    assert 'value="银枫社区"' in admin_client.get(url).text
    assert (
        admin_client.post(url, data={"name": "银枫新社区", "request_id": rid()}).status_code == 302
    )
    url = f"/admin/branches/{branch.id}/rename"
    assert (
        admin_client.post(url, data={"name": "第一党支部", "request_id": rid()}).status_code == 302
    )
    member = get_member(db, "QZ001")
    assert (member.community, member.branch) == ("银枫新社区", "第一党支部")
    [entry] = list_audit(db, action="rename_branch")
    assert entry.before["name"] == "第一支部" and entry.after["name"] == "第一党支部"
    assert entry.actor == "wang" and entry.target == f"branch:{branch.id}"
    empty = admin_client.post(url, data={"name": " ", "request_id": rid()})
    assert empty.status_code == 400 and "请填写名称" in empty.text


def test_renaming_onto_another_name_is_refused(admin_client, db):
    make_member(db)
    add_community(db, name="枫林社区", request_id=rid(), actor="t")
    [_maple, silver] = sorted(list_communities(db), key=lambda c: c.name != "枫林社区")
    response = admin_client.post(
        f"/admin/communities/{silver.id}/rename", data={"name": "枫林社区", "request_id": rid()}
    )
    assert response.status_code == 409 and "已经有同名的社区" in response.text
    assert admin_client.get("/admin/communities/999/rename").status_code == 404
    assert admin_client.get("/admin/branches/999/rename").status_code == 404


def test_add_a_corner_and_see_its_goods_page(admin_client, db):
    make_goods(db)
    page = admin_client.get("/admin/corners")
    assert page.status_code == 200 and "积分兑换角" in page.text and "本服务器" in page.text
    response = admin_client.post(
        "/admin/corners/new", data={"name": "二号兑换角", "request_id": rid()}
    )
    assert response.status_code == 302
    assert "已添加兑换角二号兑换角（编号 2）" in admin_client.get("/admin/corners").text
    assert [corner.name for corner in list_corners(db)] == ["积分兑换角", "二号兑换角"]
    [entry] = list_audit(db, action="add_corner")
    assert entry.actor == "wang" and entry.target == "corner:2"
    assert (
        admin_client.get("/admin/goods?corner=2").status_code == 200
    )  # a corner with no stock yet
    again = admin_client.post(
        "/admin/corners/new", data={"name": "二号兑换角", "request_id": rid()}
    )
    assert again.status_code == 409 and "已经有同名的兑换角" in again.text
    assert len(list_corners(db)) == 2
