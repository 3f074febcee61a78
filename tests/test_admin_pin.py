"""Check-in PINs in the admin: one's own at /admin/pin, anyone's on the staff pages (admins).

The pages are asked for in English (the admin keeps the language for the login), so the messages
the tests look for read the same before and after a translation is touched.
"""

from __future__ import annotations

import pytest

from points.audit import list_audit
from points.errors import CornerError
from points.staff import authenticate_pin, get_staff, set_pin
from tests.admin_support import admin_app, csrf_token, login, make_staff

PIN = "135790"
OTHER_PIN = "864201"


def in_english(client):
    assert client.get("/admin/pin?lang=en").status_code == 200
    return client


@pytest.fixture
def admin(admin_client):
    """wang, an admin, with the pages in English."""
    return in_english(admin_client)


@pytest.fixture
def organiser(organiser_client):
    """li, an organiser, with the pages in English."""
    return in_english(organiser_client)


def pin_form(pin: str, confirm: str | None = None) -> dict:
    return {"pin": pin, "confirm": pin if confirm is None else confirm}


def opens(db, pin: str) -> str | None:
    """Whose check-in this PIN opens (None: it opens nothing)."""
    try:
        return authenticate_pin(db, pin=pin, device="test").username
    except CornerError as error:
        assert error.code == "pin_wrong"
        return None


def test_an_organiser_sets_changes_and_clears_their_own_pin(organiser, db):
    page = organiser.get("/admin/pin").text
    assert "opens activity check-in on the kiosk without a password" in page
    assert "You have no check-in PIN yet." in page and "Clear the PIN" not in page

    response = organiser.post("/admin/pin", data=pin_form(PIN))
    assert response.status_code == 302 and response.location == "/admin/pin"
    page = organiser.get(response.location).text
    assert "Your check-in PIN is saved." in page and "You have a check-in PIN." in page
    assert PIN not in page  # never shown, not even to its owner
    assert opens(db, PIN) == "li"
    [entry] = list_audit(db, action="set_pin")
    assert (entry.actor, entry.target) == ("li", "staff:li")

    stamp = get_staff(db, "li").pin_stamp
    assert organiser.post("/admin/pin", data=pin_form(OTHER_PIN)).status_code == 302
    assert get_staff(db, "li").pin_stamp not in ("", stamp)  # PIN logins with the old one end
    assert opens(db, PIN) is None and opens(db, OTHER_PIN) == "li"

    cleared = organiser.post("/admin/pin/clear")
    assert cleared.status_code == 302
    assert "Your check-in PIN is cleared." in organiser.get(cleared.location).text
    assert get_staff(db, "li").pin_stamp == "" and opens(db, OTHER_PIN) is None
    again = organiser.post("/admin/pin/clear")
    assert "There was no check-in PIN to clear." in organiser.get(again.location).text
    assert len(list_audit(db, action="clear_pin")) == 1  # nothing written the second time


@pytest.mark.parametrize(
    "form, message",
    [
        (pin_form(PIN, "135791"), "The two PINs differ."),
        (pin_form("12345"), "A PIN is exactly 6 digits (0-9), nothing else."),
        (pin_form("1234567"), "A PIN is exactly 6 digits (0-9), nothing else."),
        (pin_form("12a456"), "A PIN is exactly 6 digits (0-9), nothing else."),
        (pin_form(""), "Please enter a PIN."),
    ],
)
def test_a_bad_pin_is_refused_in_plain_words(organiser, db, form, message):
    response = organiser.post("/admin/pin", data=form)
    assert response.status_code == 400 and message in response.text
    assert get_staff(db, "li").pin_stamp == ""
    assert not list_audit(db, action="set_pin")


def test_a_pin_someone_else_holds_is_refused_without_saying_whose(organiser, db):
    set_pin(db, username="wang", pin=PIN, actor="test")
    response = organiser.post("/admin/pin", data=pin_form(PIN))
    assert response.status_code == 409  # pin_taken
    assert "This PIN cannot be used. Please choose another one." in response.text
    assert "wang" not in response.text and PIN not in response.text
    assert get_staff(db, "li").pin_stamp == "" and opens(db, PIN) == "wang"


def test_an_admin_sets_and_clears_anyones_pin_from_the_staff_list(admin, db):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="wang", pin=PIN, actor="test")
    listing = admin.get("/admin/staff").text
    rows = {
        name: listing.split(f'data-username="{name}"')[1].split("</tr>")[0]
        for name in ("li", "wang")
    }
    assert "PIN set" in rows["wang"] and "No PIN" in rows["li"]
    assert "/admin/staff/li/pin" in rows["li"]

    assert "li has no check-in PIN yet." in admin.get("/admin/staff/li/pin").text
    taken = admin.post("/admin/staff/li/pin", data=pin_form(PIN))
    assert taken.status_code == 409 and "This PIN cannot be used." in taken.text
    saved = admin.post("/admin/staff/li/pin", data=pin_form(OTHER_PIN))
    assert saved.status_code == 302 and saved.location == "/admin/staff"
    listing = admin.get("/admin/staff").text
    assert "The check-in PIN of li is saved." in listing
    assert "No PIN" not in listing and PIN not in listing and OTHER_PIN not in listing
    assert opens(db, OTHER_PIN) == "li"
    [entry] = list_audit(db, action="set_pin", actor="wang")
    assert entry.target == "staff:li"

    cleared = admin.post("/admin/staff/li/pin/clear")
    assert cleared.status_code == 302
    assert "The check-in PIN of li is cleared." in admin.get("/admin/staff").text
    assert opens(db, OTHER_PIN) is None and opens(db, PIN) == "wang"
    assert list_audit(db, action="clear_pin")[0].actor == "wang"


def test_an_organiser_sets_only_their_own_pin(organiser, db):
    assert organiser.get("/admin/staff/wang/pin").status_code == 403
    assert organiser.post("/admin/staff/wang/pin", data=pin_form(PIN)).status_code == 403
    set_pin(db, username="wang", pin=PIN, actor="test")
    assert organiser.post("/admin/staff/wang/pin/clear").status_code == 403
    assert opens(db, PIN) == "wang"
    # the page is findable: the top bar links to it from every admin page
    assert 'href="/admin/pin"' in organiser.get("/admin/activities").text


def test_unknown_accounts_have_no_pin_page(admin):
    assert admin.get("/admin/staff/nobody/pin").status_code == 404
    assert admin.post("/admin/staff/nobody/pin/clear").status_code == 404


def test_setting_a_pin_needs_the_forms_csrf_token(instance, db):
    app = admin_app(instance, WTF_CSRF_ENABLED=True)
    make_staff(db, "li", role="organiser")
    client = app.test_client()
    login(client, "li", csrf_token=csrf_token(client.get("/admin/login").text))
    assert client.post("/admin/pin", data=pin_form(PIN)).status_code == 400
    assert get_staff(db, "li").pin_stamp == ""
    token = csrf_token(client.get("/admin/pin").text)
    assert client.post("/admin/pin", data={**pin_form(PIN), "csrf_token": token}).status_code == 302
    assert opens(db, PIN) == "li"
    app.extensions["corner_connections"].close_all()
