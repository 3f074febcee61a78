"""The quarter's admin pages: review, post, objections, stars, the star of the quarter, lock."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from points.ledger import balance
from points.quarters import get_quarter
from points.stars import quarter_stars
from tests.admin_support import login
from tests.helpers import make_member


def status_on_page(html: str) -> str:
    return re.search(r'data-status="(\w+)"', html).group(1)


@pytest.fixture
def members(db, clock):
    clock.set(datetime(2026, 2, 2, 9))
    make_member(db, "QZ001", "张三", points=26)
    make_member(db, "QZ002", "李四", points=12)
    make_member(db, "QZ003", "王五")
    clock.set(datetime(2026, 4, 1, 9))  # a Wednesday: Q1 is over


def test_an_admin_takes_a_quarter_from_review_to_lock(admin_client, db, members, clock):
    page = admin_client.get("/admin/quarters")
    assert page.status_code == 200 and "2026Q1" in page.text and "季度" in page.text
    moved = admin_client.post("/admin/quarters/2026Q1/review", data={"request_id": "q-review-01"})
    assert moved.status_code == 302
    page = admin_client.get("/admin/quarters/2026Q1").text
    assert status_on_page(page) == "review"
    assert "王五 (QZ003)" in page  # no points this quarter: on the review's list
    posted = admin_client.post(
        "/admin/quarters/2026Q1/post",
        data={"request_id": "q-post-0001", "working_days": "5", "contact": "社区办公室"},
    )
    assert posted.status_code == 302
    assert get_quarter(db, "2026Q1").posting_ends == "2026-04-07"
    page = admin_client.get("/admin/quarters/2026Q1").text
    assert "公示期：2026-04-01 至 2026-04-07" in page

    recorded = admin_client.post(
        "/admin/quarters/2026Q1/objections",
        data={"request_id": "q-obj-00001", "number": "QZ002", "raised_by": "李四", "text": "漏记"},
    )
    assert recorded.status_code == 302
    clock.set(datetime(2026, 4, 9, 9))
    login(admin_client)  # a week later: a new login
    refused = admin_client.post("/admin/quarters/2026Q1/lock", data={"request_id": "q-lock-0001"})
    assert refused.status_code == 422 and "还有异议没有处理" in refused.text
    resolved = admin_client.post(
        "/admin/quarters/2026Q1/objections/1",
        data={"request_id": "q-res-00001", "reply": "补记巡河", "correction": "3"},
    )
    assert resolved.status_code == 302 and balance(db, "QZ002") == 15

    chosen = admin_client.post(
        "/admin/quarters/2026Q1/star-of-the-quarter",
        data={"request_id": "q-star-0001", "number": "QZ001", "reason": "带头巡河"},
    )
    assert chosen.status_code == 302 and quarter_stars(db, "2026Q1") == {"QZ001": "带头巡河"}
    record = admin_client.get("/admin/members/QZ001/record").text
    assert "一季度之星 2026Q1" in record and "带头巡河" in record
    not_five = admin_client.post(
        "/admin/quarters/2026Q1/star-of-the-quarter",
        data={"request_id": "q-star-0002", "number": "QZ002", "reason": "积极"},
    )
    assert not_five.status_code == 422 and "只有本季度五星" in not_five.text

    locked = admin_client.post("/admin/quarters/2026Q1/lock", data={"request_id": "q-lock-0002"})
    assert locked.status_code == 302
    page = admin_client.get("/admin/quarters/2026Q1").text
    assert status_on_page(page) == "locked" and "一季度之星" in page
    again = admin_client.post("/admin/quarters/2026Q1/review", data={"request_id": "q-review-02"})
    assert again.status_code == 422 and "已经锁定" in again.text


def test_star_thresholds_must_rise(admin_client, db, members):
    bad = admin_client.post(
        "/admin/quarters/2026Q1/stars",
        data={"request_id": "q-stars-001", **{f"star{n}": str(v) for n, v in
              zip(range(1, 6), [5, 5, 15, 20, 25], strict=True)}},
    )  # fmt: skip
    assert bad.status_code == 400 and get_quarter(db, "2026Q1").stars is None
    good = admin_client.post(
        "/admin/quarters/2026Q1/stars",
        data={"request_id": "q-stars-002", **{f"star{n}": str(3 * n) for n in range(1, 6)}},
    )
    assert good.status_code == 302 and get_quarter(db, "2026Q1").stars == (3, 6, 9, 12, 15)


def test_a_future_quarter_is_not_a_page(admin_client, members):
    assert admin_client.get("/admin/quarters/2027Q1").status_code == 400
    assert admin_client.get("/admin/quarters/nonsense").status_code == 400


def test_organisers_do_not_see_the_quarters(organiser_client, members):
    assert organiser_client.get("/admin/quarters").status_code == 403


def test_the_board_exports_one_sheet_per_branch(admin_client, db, members, clock):
    import io

    from openpyxl import load_workbook

    from points.members import add_member

    clock.set(datetime(2026, 3, 3, 9))  # a member of Q1 in another branch
    add_member(
        db, number="QZ010", name="孙丽娟", branch="第二支部", community="银枫社区",
        request_id="q-member-010",
    )  # fmt: skip
    clock.set(datetime(2026, 4, 1, 9, 5))
    answer = admin_client.get("/admin/quarters/2026Q1/board.xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    # and last, the ledgers' fingerprint at the export (points.chain)
    assert book.sheetnames == ["银枫社区 第一支部", "银枫社区 第二支部", "账本指纹"]
    first = [[cell.value for cell in row] for row in book["银枫社区 第一支部"].iter_rows()]
    assert first[0][:3] == ["排名", "编号", "姓名"]
    assert first[1][:3] == [1, "QZ001", "张三"] and first[1][9] == 26
    assert [row[2] for row in book["银枫社区 第二支部"].iter_rows(min_row=2, values_only=True)] == [
        "孙丽娟"
    ]


def test_the_quarter_page_charts_members_at_each_star_level(admin_client, members):
    page = admin_client.get("/admin/quarters/2026Q1").text
    counts = re.findall(r'class="awarded" data-stars="(\d)" data-count="(\d+)"', page)
    # QZ001 26 points: 5 stars; QZ002 12: 2 stars; QZ003 none: 0 stars
    assert [(int(stars), int(count)) for stars, count in counts] == [
        (0, 1), (1, 0), (2, 1), (3, 0), (4, 0), (5, 1)
    ]  # fmt: skip


def test_an_organiser_checks_the_awards_of_their_own_activities(organiser_client, db, clock):
    from points.activities import create_activity, open_activity
    from points.checkins import check_in
    from tests.helpers import category_id, rid

    clock.set(datetime(2026, 5, 6, 9))
    make_member(db, "QZ001", "张三")
    make_member(db, "QZ002", "李四")
    for organiser, title, number in (("li", "五月巡河", "QZ001"), ("zhao", "五月清扫", "QZ002")):
        activity = create_activity(
            db, title=title, category_id=category_id(db, "河道巡查"), starts="2026-05-06T09:00",
            place="秦灶河", request_id=rid(), actor=organiser,
        )  # fmt: skip
        open_activity(db, activity_id=activity.id, request_id=rid(), actor=organiser)
        check_in(
            db, activity_id=activity.id, member_number=number, method="manual",
            operator=organiser, request_id=rid(),
        )  # fmt: skip
    login(organiser_client, "li")  # the clock moved: log in again
    page = organiser_client.get("/admin/quarters/2026Q2/my-activities")
    assert page.status_code == 200
    assert "五月巡河" in page.text and "张三 (QZ001)" in page.text
    assert "五月清扫" not in page.text and "李四" not in page.text
    assert organiser_client.get("/admin/quarters/2026Q2").status_code == 403


def test_an_admin_corrects_a_locked_quarter_from_the_members_record(
    admin_client, db, members, clock
):
    from points.quarters import begin_review, lock_quarter, post_quarter
    from tests.helpers import rid

    begin_review(db, quarter="2026Q1", request_id=rid(), actor="wang")
    post_quarter(db, quarter="2026Q1", request_id=rid(), actor="wang")
    clock.set(datetime(2026, 4, 20, 9))
    lock_quarter(db, quarter="2026Q1", request_id=rid(), actor="wang")
    login(admin_client)
    form = admin_client.get("/admin/members/QZ002/record").text
    assert '<option value="2026Q1">2026Q1</option>' in form
    done = admin_client.post(
        "/admin/members/QZ002/points",
        data={"request_id": "late-0000001", "kind": "award", "points": "3",
              "reason": "补记三月巡河", "corrects": "2026Q1"},
    )  # fmt: skip
    assert done.status_code == 302 and balance(db, "QZ002") == 15
    review = admin_client.get("/admin/quarters/2026Q2").text
    assert "更正 2026Q1" in review


def test_the_quarter_page_charts_the_points_quarter_by_quarter(admin_client, db, members, clock):
    from points.ledger import award_points
    from tests.helpers import rid

    award_points(db, number="QZ003", points=7, reason="巡河", request_id=rid(), actor="wang")
    page = admin_client.get("/admin/quarters/2026Q2").text
    bars = re.findall(r'data-quarter="(\d{4}Q\d)" data-points="(-?\d+)"', page)
    assert bars == [("2025Q3", "0"), ("2025Q4", "0"), ("2026Q1", "38"), ("2026Q2", "7")]


def test_the_dashboard_charts_the_last_four_quarters(admin_client, db, members):
    page = admin_client.get("/admin/").text
    bars = re.findall(r'data-quarter="(\d{4}Q\d)" data-points="(-?\d+)"', page)
    assert bars == [("2025Q3", "0"), ("2025Q4", "0"), ("2026Q1", "38"), ("2026Q2", "0")]
