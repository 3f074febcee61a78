"""The activities area: create, open, check in by member number, close, approve, standards.

The pages are asked for in English (the admin keeps the language for the login), so the messages
the tests look for read the same before and after a translation is touched.
"""

from __future__ import annotations

import pytest

from points.activities import get_activity, get_category, list_categories
from points.activity_awards import list_checkins
from points.ledger import balance
from tests.admin_support import Clock, admin_app, login, make_staff
from tests.helpers import make_member


@pytest.fixture
def app(instance, db):
    app = admin_app(instance, Clock())
    make_staff(db)
    make_staff(db, "li", role="organiser")
    yield app
    app.extensions["corner_connections"].close_all()


def client_for(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    assert client.get("/admin/activities?lang=en").status_code == 200
    return client


@pytest.fixture
def client(app):
    return client_for(app, "wang")


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
    assert post(client, "/admin/activities/1/open").status_code == 302
    assert get_activity(db, 1).status == "open"
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


def test_organiser_runs_activities_but_not_the_standards(app, db):
    make_member(db)
    client = client_for(app, "li")
    assert create(client, db).status_code == 302
    assert post(client, "/admin/activities/1/open").status_code == 302
    assert post(client, "/admin/activities/1/checkin", number="QZ001").status_code == 302
    assert balance(db, "QZ001") == 4 and ledger(db)[0][4] == "li"
    page = client.get("/admin/activities/1").text
    assert "/admin/standards" not in page
    assert client.get("/admin/standards").status_code == 403
    assert post(client, f"/admin/standards/{study(db).id}", **{"c1-points": "9"}).status_code == 403
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
    assert twice.status_code == 400
    assert "An activity category with this name already exists." in twice.text
