"""Who may open which admin page: a matrix over the URL map, CSRF, lock-out, session expiry."""

from __future__ import annotations

import pytest

from points.audit import list_audit
from points.lockout import GLOBAL_LIMIT, LOCK_SECONDS
from points.members import count_members
from points.staff import deactivate_staff, set_password
from tests.admin_support import PASSWORD, admin_app, csrf_token, login, make_staff
from tests.helpers import make_member

# Sample values for the URL converters of admin routes. A new route with a new argument fails
# the matrix until a sample is added here: no route escapes it by having parameters.
SAMPLES = {
    "number": "QZ001",
    "goods_id": 1,
    "redemption_id": 1,
    "kind": "csv",
    "card_id": 1,
    "username": "wang",
    "community_id": 1,
    "branch_id": 1,
    "activity_id": 1,
    "category_id": 1,
    "quarter": "2026Q1",
    "move": "review",
    "objection_id": 1,
    "import_id": "no-such-import-0001",
    "login_id": 999,  # nobody's: ending one's own login here would end the walk
}
# requests that end the walking browser's own login: they come last, and log in again after
ENDS_OWN_LOGIN = ("admin.staff_logins_end", "admin.logout")
PUBLIC = {"admin.login"}
ORGANISER_ALLOWED = {
    "admin.quarter_my_review",
    "admin.home",
    "admin.logout",
    "admin.activities",
    "admin.activity_new",
    "admin.activity",
    "admin.activity_open",
    "admin.activity_close",
    "admin.activity_checkin",
    "admin.activity_approve",
    "admin.activity_remove",
    "admin.activity_deduct",
    # one's own check-in PIN (anyone else's is on the staff pages, for admins)
    "admin.pin",
    "admin.pin_clear",
    # one's own open logins ("where am I logged in"); anyone else's are for admins
    "admin.my_logins",
    "admin.my_login_end",
    "admin.my_logins_end",
}


@pytest.fixture
def office(clock, office):
    """The shared office, on a stopped clock (the lock-out and expiry tests move it)."""
    return office


def admin_requests(app):
    """(endpoint, method, url) for every method of every /admin rule; logging out comes last."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):  # the admin's style sheets are for anyone
            continue
        missing = set(rule.arguments) - set(SAMPLES)
        assert not missing, f"add a sample value for {missing} of {rule.rule}"
        url = rule.build({name: SAMPLES[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return sorted(
        found,
        key=lambda item: ENDS_OWN_LOGIN.index(item[0]) + 1 if item[0] in ENDS_OWN_LOGIN else 0,
    )


def marked(app, mark: str) -> set[str]:
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("admin.") and getattr(view, mark, False)
    }


def test_public_and_organiser_views_are_only_those_named_here(office):
    # marking a view public or organiser-allowed must be a decision someone makes in this file
    assert marked(office, "public") == PUBLIC
    assert marked(office, "organiser_allowed") == ORGANISER_ALLOWED
    assert len(admin_requests(office)) >= 10


def test_anonymous_user_gets_no_admin_page(office, db):
    make_member(db)
    client = office.test_client()
    refused = []
    for endpoint, method, url in admin_requests(office):
        response = client.open(url, method=method)
        if endpoint in PUBLIC:
            if response.status_code in (401, 403):
                refused.append((method, url, response.status_code))
        elif method in ("GET", "HEAD"):
            if not (response.status_code == 302 and "/admin/login" in response.location):
                refused.append((method, url, response.status_code))
        elif response.status_code not in (401, 403):
            refused.append((method, url, response.status_code))
    assert not refused, f"answered an anonymous user: {refused}"
    assert count_members(db) == 1  # and nothing was written


def test_organiser_gets_only_the_pages_marked_for_organisers(office, organiser_client, db):
    make_member(db)
    wrong = []
    for endpoint, method, url in admin_requests(office):
        status = organiser_client.open(url, method=method).status_code
        expected_refusal = endpoint not in ORGANISER_ALLOWED and endpoint not in PUBLIC
        if expected_refusal != (status == 403):
            wrong.append((method, url, status))
    assert not wrong, f"organiser: {wrong}"


def test_admin_gets_every_page(office, admin_client, db):
    make_member(db)
    wrong = []
    for endpoint, method, url in admin_requests(office):
        response = admin_client.open(url, method=method)
        response.close()
        sent_to_login = (response.location or "").split("?")[0].endswith("/admin/login")
        if response.status_code in (401, 403) or (sent_to_login and endpoint != "admin.logout"):
            wrong.append((method, url, response.status_code))
        if endpoint in ENDS_OWN_LOGIN:
            assert login(admin_client).status_code == 302
    assert not wrong, f"admin refused: {wrong}"


def test_next_after_login_stays_on_this_site(office):
    client = office.test_client()
    credentials = {"username": "wang", "password": PASSWORD}
    response = client.post("/admin/login?next=//evil.example/admin", data=credentials)
    assert response.location == "/admin/"
    client.post("/admin/logout")
    response = client.post("/admin/login?next=/admin/members?q=zs", data=credentials)
    assert response.location == "/admin/members?q=zs"
    client.post("/admin/logout")  # the check-in page sends its organisers here and back
    response = client.post("/admin/login?next=/checkin/3", data=credentials)
    assert response.location == "/checkin/3"
    client.post("/admin/logout")
    response = client.post("/admin/login?next=/kiosk", data=credentials)
    assert response.location == "/admin/"


# -- CSRF --------------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused_and_writes_nothing(instance, db, clock):
    app = admin_app(instance, WTF_CSRF_ENABLED=True)
    make_staff(db)
    client = app.test_client()
    token = csrf_token(client.get("/admin/login").text)
    assert login(client).status_code == 400  # the login form needs the token too
    assert login(client, csrf_token=token).status_code == 302
    form = {"number": "QZ009", "name": "张三", "request_id": "admin-0123456789"}
    refused = client.post("/admin/members/new", data=form)
    assert refused.status_code == 400
    assert "表单已失效" in refused.text
    forged = client.post("/admin/members/new", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert count_members(db) == 0
    assert [entry.action for entry in list_audit(db)] == ["login", "add_staff"]
    # the same form with the page's token goes through: the token was the only thing missing
    token = csrf_token(client.get("/admin/members/new").text)
    assert client.post("/admin/members/new", data={**form, "csrf_token": token}).status_code == 302
    assert count_members(db) == 1
    app.extensions["corner_connections"].close_all()


def test_kiosk_api_needs_no_csrf_token(instance, db, clock):
    app = admin_app(instance, WTF_CSRF_ENABLED=True)
    answer = app.test_client().post("/api/kiosk/scan", json={"credential": "rubbish"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "card_invalid"
    app.extensions["corner_connections"].close_all()


# -- lock-out ----------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_even_for_the_right_one(office, clock):
    client = office.test_client()
    for _ in range(4):
        response = login(client, password="wrong password")
        assert response.status_code == 401 and "用户名或密码不对" in response.text
    locked = login(client, password="wrong password")
    assert locked.status_code == 429 and "登录失败次数太多" in locked.text
    clock.advance(LOCK_SECONDS - 10)
    assert login(client).status_code == 429  # the right password, still locked
    clock.advance(11)
    assert login(client).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_unknown_name_is_answered_like_a_wrong_password(office):
    client = office.test_client()
    unknown = login(client, "nobody")
    wrong = login(client, password="wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert "用户名或密码不对" in unknown.text


# -- session expiry ----------------------------------------------------------------------------


def test_login_ends_after_thirty_idle_minutes(admin_client, clock):
    clock.advance(29 * 60)
    assert admin_client.get("/admin/members").status_code == 200
    clock.advance(29 * 60)  # 58 minutes after login, but only 29 idle
    assert admin_client.get("/admin/members").status_code == 200
    clock.advance(31 * 60)
    expired = admin_client.get("/admin/members")
    assert expired.status_code == 302 and "/admin/login" in expired.location
    assert "已自动退出" in admin_client.get(expired.location).text
    assert admin_client.get("/admin/members").status_code == 302  # the login is gone for good


def test_login_ends_after_eight_hours_however_busy(admin_client, clock):
    for _ in range(8 * 3):  # a page every 20 minutes for eight hours
        clock.advance(20 * 60)
        assert admin_client.get("/admin/").status_code == 200
    clock.advance(20 * 60)
    assert admin_client.get("/admin/").status_code == 302


def test_a_cookie_of_the_old_kind_opens_nothing(office):
    """Before issue 11 the cookie held the whole login; such a cookie (even signed) is no login."""
    client = office.test_client()
    with client.session_transaction() as session:
        session.update(staff="wang", staff_stamp="x", staff_login=0, staff_seen=0)
    assert client.get("/admin/").status_code == 302


def test_deactivation_or_a_new_password_ends_open_logins(office, admin_client, db):
    make_staff(db, "zhao")
    first, second = admin_client, office.test_client()
    login(second, "zhao")
    set_password(db, username="wang", password="another password", actor="test")
    assert first.get("/admin/").status_code == 302
    deactivate_staff(db, username="zhao", actor="test")
    assert second.get("/admin/").status_code == 302
    assert login(second, "zhao").status_code == 401


def test_logout_ends_the_login(admin_client):
    assert admin_client.post("/admin/logout").status_code == 302
    assert admin_client.get("/admin/").status_code == 302


def test_kiosk_pages_link_to_no_admin_page(office):
    client = office.test_client()
    for url in ("/kiosk", "/static/kiosk.js", "/static/kiosk.css"):
        response = client.get(url)
        assert response.status_code == 200
        assert "/admin" not in response.text, url
        response.close()


def test_guessing_from_everywhere_locks_the_account_until_an_admin_unlocks_it(office, db):
    make_staff(db, "zhao")
    for n in range(GLOBAL_LIMIT):  # one guess from each of fifty addresses
        guesser = office.test_client()
        guesser.environ_base.update(REMOTE_ADDR=f"198.51.100.{n}")
        answer = login(guesser, password="wrong password")
        assert answer.status_code == (429 if n == GLOBAL_LIMIT - 1 else 401)
    assert answer.status_code == 429
    office_desk = office.test_client()
    office_desk.environ_base.update(REMOTE_ADDR="192.168.1.10")
    refused = login(office_desk)
    assert refused.status_code == 429 and "登录失败次数太多" in refused.text
    zhao = office.test_client()
    zhao.environ_base.update(REMOTE_ADDR="192.168.1.11")
    assert login(zhao, "zhao").status_code == 302
    assert zhao.post("/admin/staff/wang/unlock").status_code == 302
    assert login(office_desk).status_code == 302
