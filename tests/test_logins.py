"""Server-side logins: a copy of a session cookie is no good once its login has ended.

The attack of issue 11, part 5: keep a copy of an admin's session cookie, let the admin log out
(or change the password from another login, or be deactivated), then replay the copy. Each test
copies the cookie into a second browser, which is what an attacker would hold.
"""

from __future__ import annotations

import re

import pytest
import requests
from click.testing import CliRunner

from corner.cli import cli
from points.errors import CornerError
from points.logins import IDLE_SECONDS, open_logins
from points.staff import deactivate_staff, get_staff, set_pin, set_role
from tests.admin_support import PASSWORD, admin_app, logged_in, login, make_staff
from tests.helpers import make_activity

CHECKIN_BOARD = "/checkin/{id}/board"


def copy_of(client, app):
    """A second browser holding a copy of ``client``'s session cookie (the attacker's)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def refused_page(client, url: str = "/admin/") -> bool:
    response = client.get(url)
    return response.status_code == 302 and "/admin/login" in response.location


def test_a_copied_cookie_is_refused_after_logout(office, db):
    admin = logged_in(office)
    thief = copy_of(admin, office)
    assert thief.get("/admin/").status_code == 200  # the copy works while the login is open
    assert admin.post("/admin/logout").status_code == 302
    assert refused_page(thief) and refused_page(admin)
    assert thief.post("/admin/staff/new", data={"username": "evil"}).status_code == 401
    # the documented code for a script: the check-in page's calls answer 401 login_required
    activity = make_activity(db)
    thief = copy_of(logged_in(office), office)
    thief_api = thief.get(CHECKIN_BOARD.format(id=activity.id))
    assert thief_api.status_code == 200
    thief.post("/admin/logout")
    answer = thief.get(CHECKIN_BOARD.format(id=activity.id))
    assert answer.status_code == 401 and answer.json["error"]["code"] == "login_required"


def test_a_copied_cookie_is_refused_after_a_password_change_from_another_login(office, db):
    desk, laptop = logged_in(office), logged_in(office)
    thief = copy_of(desk, office)
    changed = laptop.post(
        "/admin/staff/wang/password",
        data={"password": "a new password", "confirm": "a new password"},
    )
    assert changed.status_code == 302
    assert laptop.get("/admin/").status_code == 200  # the login that changed it stays
    assert refused_page(desk) and refused_page(thief)
    assert [login.id for login in open_logins(db, username="wang")] == [2]


def test_a_copied_cookie_is_refused_after_deactivation(office, db):
    make_staff(db, "zhao")
    zhao = logged_in(office, "zhao")
    thief = copy_of(zhao, office)
    admin = logged_in(office)
    assert admin.post("/admin/staff/zhao/status", data={"status": "inactive"}).status_code == 302
    assert refused_page(thief) and refused_page(zhao)
    assert open_logins(db, username="zhao") == []
    # the same from the core (the CLI's way)
    make_staff(db, "qian")
    thief = copy_of(logged_in(office, "qian"), office)
    deactivate_staff(db, username="qian", actor="test")
    assert refused_page(thief)


def test_log_out_everywhere_and_end_one_login_from_the_lists(office, db):
    make_staff(db, "zhao")
    phone = office.test_client()
    phone.environ_base.update(REMOTE_ADDR="192.168.1.23", HTTP_USER_AGENT="Phone browser 1.0")
    assert login(phone, "zhao").status_code == 302
    desk = logged_in(office, "zhao")
    # zhao's own page lists both logins, with where from, and marks this one
    mine = desk.get("/admin/logins?lang=en").text
    assert mine.count("data-login=") == 2
    assert "192.168.1.23" in mine and "Phone browser 1.0" in mine and "this browser" in mine
    phone_login = next(
        item.id for item in open_logins(db, username="zhao") if item.address == "192.168.1.23"
    )
    assert desk.post(f"/admin/logins/{phone_login}/end").status_code == 302
    assert refused_page(phone) and desk.get("/admin/").status_code == 200
    again = desk.post(f"/admin/logins/{phone_login}/end", follow_redirects=True)
    assert "This login has already ended." in again.text
    # an admin logs zhao out everywhere from the staff list
    admin = logged_in(office)
    page = admin.get("/admin/staff/zhao/logins?lang=en").text
    assert page.count("data-login=") == 1
    assert admin.post("/admin/staff/zhao/logins/end").status_code == 302
    assert refused_page(desk) and admin.get("/admin/").status_code == 200
    # one's own "everywhere else" keeps this browser
    other = logged_in(office)
    assert admin.post("/admin/logins/end").status_code == 302
    assert refused_page(other) and admin.get("/admin/").status_code == 200


def test_an_idle_login_ends_on_the_server_too(admin_client, db, clock):
    thief_token = admin_client.get_cookie("session").value
    clock.advance(IDLE_SECONDS + 61)
    assert refused_page(admin_client)
    (row,) = db.execute("SELECT ended_reason FROM logins").fetchall()
    assert row == ("idle",)
    assert thief_token  # the cookie is still signed and well-formed; the login is what ended


def test_a_pin_login_ends_for_every_copy_when_left_or_when_the_pin_changes(instance, db):
    app = admin_app(instance)
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin="246810", actor="test")
    activity = make_activity(db)
    kiosk = app.test_client()  # 127.0.0.1: this machine's own screen, a kiosk
    assert kiosk.post("/checkin/pin", json={"pin": "246810"}).status_code == 200
    thief = copy_of(kiosk, app)
    assert thief.get(CHECKIN_BOARD.format(id=activity.id)).status_code == 200
    assert kiosk.post("/checkin/leave", json={"pin": "246810"}).status_code == 200
    answer = thief.get(CHECKIN_BOARD.format(id=activity.id))
    assert answer.status_code == 401 and answer.json["error"]["code"] == "login_required"
    # a new PIN ends every PIN login of the account
    assert kiosk.post("/checkin/pin", json={"pin": "246810"}).status_code == 200
    thief = copy_of(kiosk, app)
    set_pin(db, username="li", pin="112233", actor="wang")
    assert thief.get(CHECKIN_BOARD.format(id=activity.id)).status_code == 401
    app.extensions["corner_connections"].close_all()


def test_the_attack_of_the_issue_against_the_real_server(instance, db, serve):
    """A real ``corner serve``: log in, keep the cookie, log out, replay it."""
    make_staff(db)
    server = serve()
    browser = requests.Session()
    form = browser.get(server.url + "/admin/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = browser.post(
        server.url + "/admin/login",
        data={"username": "wang", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    cookie = browser.cookies.get("session")
    set_cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # plain http, no proxy declared
    copy = requests.Session()
    copy.cookies.set("session", cookie)
    assert copy.get(server.url + "/admin/", allow_redirects=False).status_code == 200
    page = browser.get(server.url + "/admin/").text
    logout_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert (
        browser.post(
            server.url + "/admin/logout", data={"csrf_token": logout_token}, allow_redirects=False
        ).status_code
        == 302
    )
    replay = copy.get(server.url + "/admin/", allow_redirects=False)
    assert replay.status_code == 302 and "/admin/login" in replay.headers["Location"]


def test_a_role_change_ends_every_login_of_the_account(office, db, instance):
    make_staff(db, "zhao")
    zhao = logged_in(office, "zhao")
    thief = copy_of(zhao, office)
    result = CliRunner().invoke(
        cli, ["--instance", str(instance.path), "users", "role", "zhao", "organiser"]
    )
    assert result.exit_code == 0, result.output
    assert refused_page(thief) and refused_page(zhao)
    assert get_staff(db, "zhao").role == "organiser"
    # logged in again, zhao is an organiser: the staff list is refused now
    zhao = logged_in(office, "zhao")
    assert zhao.get("/admin/staff").status_code == 403
    # the same role again ends nothing; the last active admin stays one
    set_role(db, username="zhao", role="organiser", actor="test")
    assert zhao.get("/admin/").status_code == 200
    with pytest.raises(CornerError) as refused:
        set_role(db, username="wang", role="organiser", actor="test")
    assert refused.value.code == "staff_last_admin"
