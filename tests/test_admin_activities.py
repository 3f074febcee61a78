"""The activities area: create, open, check in by member number, close, approve, standards.

The pages are asked for in English (the admin keeps the language for the login), so the messages
the tests look for read the same before and after a translation is touched.
"""

from __future__ import annotations

import re

import pytest

from points.activities import edit_category, get_activity, get_category, list_categories
from points.activity_awards import list_checkins
from points.checkins import check_in, check_out
from points.ledger import balance
from points.scan_log import scan_log
from tests.helpers import make_member, rid


def in_english(client):
    assert client.get("/admin/activities?lang=en").status_code == 200
    return client


@pytest.fixture
def client(admin_client):
    """wang, an admin, with the pages in English."""
    return in_english(admin_client)


@pytest.fixture
def organiser(organiser_client):
    """li, an organiser, with the pages in English."""
    return in_english(organiser_client)


def study(db):
    return next(c for c in list_categories(db, kind="award") if c.name == "理论学习")


def create(client, db, *, mode: str = "on_checkin", request_id: str = "admin-act-0001", **extra):
    form = {
        "title": "四月理论学习",
        "category": str(study(db).id),
        "starts": "2025-04-12T09:30",
        "place": "社区活动室",
        "points": "",
        "capacity": "",
        "award_mode": mode,
        "request_id": request_id,
        **extra,
    }
    return client.post("/admin/activities", data=form)


def post(client, url: str, **form):
    return client.post(url, data={"request_id": f"admin-{url.replace('/', '-')}-x1", **form})


def ledger(db):
    return db.execute(
        "SELECT member_id, delta, kind, reason, actor, activity_id FROM points_entries ORDER BY id"
    ).fetchall()


def test_create_takes_the_category_points_and_shows_in_the_list(client, db):
    response = create(client, db)
    assert response.status_code == 302 and response.location == "/admin/activities/1"
    activity = get_activity(db, 1)
    assert (activity.points, activity.status, activity.award_mode) == (4, "planned", "on_checkin")
    assert activity.starts == "2025-04-12T09:30" and activity.place == "社区活动室"
    assert create(client, db).status_code == 302  # a double click creates once
    page = client.get("/admin/activities").text
    assert page.count('data-activity="') == 1
    assert "四月理论学习" in page and "2025-04-12 09:30" in page and "Planned" in page


def test_create_refuses_a_missing_title(client, db):
    response = create(client, db, title="  ")
    assert response.status_code == 400
    assert "Please enter a title." in response.text
    assert 'data-activity="' not in response.text


def test_award_on_check_in_and_a_second_check_in_is_refused(client, db):
    make_member(db)
    create(client, db, points="5")
    assert 'id="open-checkin"' not in client.get("/admin/activities/1").text  # not open yet
    assert post(client, "/admin/activities/1/open").status_code == 302
    assert get_activity(db, 1).status == "open"
    page = client.get("/admin/activities/1").text
    assert 'id="open-checkin" href="/checkin/1"' in page  # the phone's check-in page
    assert client.get("/checkin/1").status_code == 200  # the admin login opens it
    response = post(client, "/admin/activities/1/checkin", number="qz001")
    assert response.status_code == 302
    assert "张三 is checked in and got 5 points." in client.get(response.location).text
    assert balance(db, "QZ001") == 5
    [entry] = ledger(db)
    assert entry[1:] == (5, "award", "四月理论学习", "wang", 1)
    [line] = list_checkins(db, 1)
    assert (line.method, line.status, line.operator) == ("manual", "accepted", "wang")

    again = client.post(
        "/admin/activities/1/checkin", data={"number": "QZ001", "request_id": "admin-again-01"}
    )
    assert again.status_code == 400
    assert "Already checked in for this activity." in again.text
    assert balance(db, "QZ001") == 5 and len(ledger(db)) == 1 and len(list_checkins(db, 1)) == 1

    unknown = client.post(
        "/admin/activities/1/checkin", data={"number": "QZ999", "request_id": "admin-unknown-1"}
    )
    assert unknown.status_code == 400 and "There is no member with this number." in unknown.text

    assert post(client, "/admin/activities/1/close").status_code == 302
    assert get_activity(db, 1).status == "closed"
    closed = client.post(
        "/admin/activities/1/checkin", data={"number": "QZ001", "request_id": "admin-late-001"}
    )
    assert closed.status_code == 400
    assert "This activity is closed; check-in has ended." in closed.text


def test_on_close_pending_then_approve_all_with_one_removed(client, db):
    for number, name in (("QZ001", "张三"), ("QZ002", "李四"), ("QZ003", "王五")):
        make_member(db, number, name)
    create(client, db, mode="on_close")
    post(client, "/admin/activities/1/open")
    for number in ("QZ001", "QZ002", "QZ003"):
        response = client.post(
            "/admin/activities/1/checkin", data={"number": number, "request_id": f"admin-{number}"}
        )
        assert response.status_code == 302
    assert "the points wait for approval" in client.get("/admin/activities/1").text
    assert ledger(db) == [] and get_activity(db, 1).pending == 3
    post(client, "/admin/activities/1/close")

    page = client.get("/admin/activities/1").text
    assert "Approve all pending" in page and page.count('name="reason"') == 3
    no_reason = post(client, "/admin/activities/1/remove", number="QZ002", reason=" ")
    assert no_reason.status_code == 400 and "Please give a reason." in no_reason.text
    removed = post(client, "/admin/activities/1/remove", number="QZ002", reason="早退")
    assert removed.status_code == 302
    approved = post(client, "/admin/activities/1/approve")
    assert approved.status_code == 302
    assert "Approved 2 members, 4 points each." in client.get(approved.location).text

    assert [balance(db, n) for n in ("QZ001", "QZ002", "QZ003")] == [4, 0, 4]
    assert {row[5] for row in ledger(db)} == {1} and len(ledger(db)) == 2
    statuses = {
        line.member_number: (line.status, line.removal_reason) for line in list_checkins(db, 1)
    }
    assert statuses == {
        "QZ001": ("approved", None),
        "QZ002": ("removed", "早退"),
        "QZ003": ("approved", None),
    }
    page = client.get("/admin/activities/1").text
    assert "Removed: 早退" in page and "Approve all pending" not in page


def test_organiser_runs_activities_but_not_the_standards(organiser, db):
    make_member(db)
    assert create(organiser, db).status_code == 302
    assert post(organiser, "/admin/activities/1/open").status_code == 302
    assert post(organiser, "/admin/activities/1/checkin", number="QZ001").status_code == 302
    assert balance(db, "QZ001") == 4 and ledger(db)[0][4] == "li"
    page = organiser.get("/admin/activities/1").text
    assert "/admin/standards" not in page
    assert organiser.get("/admin/standards").status_code == 403
    assert (
        post(organiser, f"/admin/standards/{study(db).id}", **{"c1-points": "9"}).status_code == 403
    )
    assert study(db).points == 4


def test_admin_edits_and_adds_standards(client, db):
    category = study(db)
    page = client.get("/admin/standards").text
    assert "理论学习" in page and "迟到早退" in page and "Deduction reason" in page
    prefix = f"c{category.id}-"
    response = client.post(
        f"/admin/standards/{category.id}",
        data={
            f"{prefix}points": "6",
            f"{prefix}active": "y",
            f"{prefix}request_id": "admin-std-001",
        },
    )
    assert response.status_code == 302
    assert get_category(db, category.id).points == 6
    create(client, db)
    assert get_activity(db, 1).points == 6  # a new activity takes the new standard
    bad = client.post(
        f"/admin/standards/{category.id}",
        data={f"{prefix}points": "0", f"{prefix}request_id": "admin-std-002"},
    )
    assert bad.status_code == 400 and get_category(db, category.id).points == 6
    added = client.post(
        "/admin/standards",
        data={"name": "志愿服务", "points": "3", "kind": "award", "request_id": "admin-std-003"},
    )
    assert added.status_code == 302
    assert any(c.name == "志愿服务" and c.points == 3 for c in list_categories(db))
    twice = client.post(
        "/admin/standards",
        data={"name": "志愿服务", "points": "3", "kind": "award", "request_id": "admin-std-004"},
    )
    assert twice.status_code == 409  # category_exists
    assert "An activity category with this name already exists." in twice.text


def test_the_activity_page_shows_every_scan_and_the_check_outs(client, db):
    make_member(db)
    make_member(db, "QZ002", "李四")
    create(client, db)
    post(client, "/admin/activities/1/open")
    assert post(client, "/admin/activities/1/checkin", number="QZ001").status_code == 302
    assert post(client, "/admin/activities/1/checkin", number="QZ001").status_code == 302  # resent
    refused = client.post(
        "/admin/activities/1/checkin", data={"number": "QZ001", "request_id": "admin-twice-01"}
    )
    assert refused.status_code == 400
    scan = {"activity_id": 1, "operator": "li", "device": "kiosk:local"}
    check_in(db, member_number="QZ002", method="qr", request_id="scan-qz002-in", **scan)
    check_out(db, member_number="QZ001", method="qr", request_id="scan-qz001-out", **scan)
    check_out(db, member_number="QZ404", method="manual", request_id="scan-qz404-out", **scan)

    page = client.get("/admin/activities/1").text
    assert '<strong id="checked-in">2</strong>' in page
    assert '<strong id="checked-out">1</strong>' in page
    checkins = {number: row_of(page, f'data-member="{number}"') for number in ("QZ001", "QZ002")}
    assert re.search(r'class="checked-out">\d{4}-\d\d-\d\d \d\d:\d\d<', checkins["QZ001"])
    assert 'class="checked-out"></td>' in checkins["QZ002"]

    rows = [row_of(page, f'data-scan="{line.id}"') for line in scan_log(db, 1)][::-1]
    assert [texts(row) for row in rows] == [
        [
            "QZ404",
            "By hand",
            "Check-out",
            "✗ There is no member with this number.",
            "kiosk:local",
            "li",
        ],
        ["张三 QZ001", "QR card", "Check-out", "✓ Checked out", "kiosk:local", "li"],
        ["李四 QZ002", "QR card", "Check-in", "✓ Checked in", "kiosk:local", "li"],
        [
            "张三 QZ001",
            "By hand",
            "Check-in",
            "✗ Already checked in for this activity.",
            "Admin page",
            "wang",
        ],
        [
            "张三 QZ001",
            "By hand",
            "Check-in",
            "✓ Checked in Sent again: counted once",
            "Admin page",
            "wang",
        ],
        ["张三 QZ001", "By hand", "Check-in", "✓ Checked in", "Admin page", "wang"],
    ]
    assert page.index("Scan log") < page.index('data-scan="')
    assert 'class="refused"' in rows[0] and 'class="accepted repeat"' in rows[4]


def row_of(page: str, marker: str) -> str:
    return page.split(marker, 1)[1].split("</tr>", 1)[0]


def texts(row: str) -> list[str]:
    """The cells of a scan log row as read, without its time."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


# ---- deductions with a reason -----------------------------------------------------------------


def reason_id(db, name: str) -> int:
    return next(c.id for c in list_categories(db, kind="deduction") if c.name == name)


def deduct_form(db, number: str, reason: str | None, request_id: str, note: str = "") -> dict:
    return {
        "deduct-number": number,
        "deduct-category": str(reason_id(db, reason)) if reason else "",
        "deduct-note": note,
        "deduct-request_id": request_id,
    }


def row_cells(row: str) -> list[str]:
    """The cells of a table row as read."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def deductions(db):
    return [row for row in ledger(db) if row[2] == "deduction"]


def test_deduct_with_a_reason_for_the_activity_and_a_double_submit_deducts_once(client, db):
    make_member(db, points=5)
    create(client, db)
    page = client.get("/admin/activities/1").text  # a planned activity takes deductions too
    assert 'action="/admin/activities/1/deduct"' in page
    assert "无故缺席活动 (2 points)" in page and "不文明行为 (3 points)" in page
    assert "理论学习 (4 points)" not in page.split('id="deduct"', 1)[1].split("</form>")[0]
    assert "No points deducted for this activity." in page

    form = deduct_form(db, "qz001", "无故缺席活动", "admin-deduct-0001")
    response = client.post("/admin/activities/1/deduct", data=form)
    assert response.status_code == 302 and response.location == "/admin/activities/1"
    assert "Deducted 2 points from 张三; balance 3." in client.get(response.location).text
    assert client.post("/admin/activities/1/deduct", data=form).status_code == 302  # twice
    assert balance(db, "QZ001") == 3
    assert [row[1:] for row in deductions(db)] == [(-2, "deduction", "无故缺席活动", "wang", 1)]

    noted = deduct_form(db, "QZ001", "迟到早退", "admin-deduct-0002", note="  迟到半小时 ")
    assert client.post("/admin/activities/1/deduct", data=noted).status_code == 302
    assert balance(db, "QZ001") == 2
    assert deductions(db)[-1][1:] == (-1, "deduction", "迟到早退：迟到半小时", "wang", 1)

    page = client.get("/admin/activities/1").text
    rows = re.findall(r'<tr data-deduction="\d+">(.*?)</tr>', page, flags=re.S)
    cells = [row_cells(row) for row in rows]
    assert [row[:4] for row in cells] == [  # latest first; the last cell is the time
        ["张三 QZ001", "迟到早退：迟到半小时", "-1", "wang"],
        ["张三 QZ001", "无故缺席活动", "-2", "wang"],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[4]) for row in cells)


def test_a_deduction_beyond_the_balance_or_without_a_reason_is_refused(client, db):
    make_member(db, points=1)
    create(client, db)
    post(client, "/admin/activities/1/close")  # a closed activity still takes deductions
    before = ledger(db)

    too_much = client.post(
        "/admin/activities/1/deduct", data=deduct_form(db, "QZ001", "不文明行为", "admin-ded-01")
    )
    assert too_much.status_code == 422  # insufficient_points
    assert "张三 has only 1 points: 3 cannot be deducted." in too_much.text
    assert 'id="deduct-number-error"' in too_much.text  # next to the member number
    assert 'value="QZ001"' in too_much.text  # the form keeps what was typed

    unknown = client.post(
        "/admin/activities/1/deduct", data=deduct_form(db, "QZ999", "迟到早退", "admin-ded-02")
    )
    assert unknown.status_code == 404  # member_unknown
    assert "There is no member with this number." in unknown.text

    no_reason = client.post(
        "/admin/activities/1/deduct", data=deduct_form(db, "QZ001", None, "admin-ded-03")
    )
    assert no_reason.status_code == 400
    assert 'id="deduct-category-error">Please choose a deduction reason.<' in no_reason.text

    award_kind = {
        **deduct_form(db, "QZ001", None, "admin-ded-04"),
        "deduct-category": str(study(db).id),
    }
    wrong = client.post("/admin/activities/1/deduct", data=award_kind)
    assert wrong.status_code == 400
    assert "Please choose one of the deduction reasons." in wrong.text

    retired = reason_id(db, "迟到早退")  # a reason no longer in use is not offered nor taken
    edit_category(db, category_id=retired, points=1, active=False, request_id=rid(), actor="t")
    old_reason = {**award_kind, "deduct-category": str(retired), "deduct-request_id": rid()}
    refused = client.post("/admin/activities/1/deduct", data=old_reason)
    assert refused.status_code == 400 and "迟到早退 (1 points)" not in refused.text
    assert "Please choose one of the deduction reasons." in refused.text

    assert ledger(db) == before and balance(db, "QZ001") == 1


def test_an_organiser_may_deduct(organiser, db):
    make_member(db, points=5)
    create(organiser, db)
    form = deduct_form(db, "QZ001", "无故缺席活动", "admin-deduct-li1", note="未请假")
    assert organiser.post("/admin/activities/1/deduct", data=form).status_code == 302
    assert deductions(db)[0][1:] == (-2, "deduction", "无故缺席活动：未请假", "li", 1)
    assert balance(db, "QZ001") == 3
