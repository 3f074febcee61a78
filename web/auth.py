"""Who is asking: staff password logins, check-in PIN logins and kiosk bindings, and the gate.

The one authentication module of every web surface. Three kinds of session live in the signed
session cookie, each under its own keys:

- a staff login (``start_login``): a password login of the admin pages, for 8 hours at most and
  30 minutes without a page; it ends when the password changes or the account is deactivated;
- a check-in PIN login (``start_pin_login``), made on a kiosk's keypad: it opens check-in and
  nothing else, and ends when the PIN changes or is cleared;
- a kiosk binding (``bind_kiosk``): this browser is that kiosk (``web.context`` says what
  follows from it).

The gate is deny-by-default: ``staff_gate`` answers nothing without a staff login but views
marked ``public``, and an organiser reaches only the views marked ``organiser_allowed``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext

from points.clock import now
from points.kiosks import Kiosk
from points.staff import Staff, get_staff
from web.db import get_db
from web.errors import json_error

SESSION_SECONDS = 8 * 3600  # a login lasts a working day at most
IDLE_SECONDS = 30 * 60  # and ends after half an hour without a page

_STAFF_KEYS = ("staff", "staff_stamp", "staff_login", "staff_seen")
_PIN_KEYS = ("checkin_staff", "checkin_pin_stamp")


# -- marks on views ------------------------------------------------------------------------------


def public(view: Callable) -> Callable:
    """Mark a view that answers without a login (the login page, nothing else)."""
    view.public = True
    return view


def organiser_allowed(view: Callable) -> Callable:
    """Mark a view that an organiser may use too (every other view is for admins only)."""
    view.organiser_allowed = True
    return view


def accepts_uploads(max_bytes: int, too_large: str | None = None) -> Callable:
    """Mark a view whose requests may carry a file of up to ``max_bytes``, from staff only.

    The app's limit (MAX_CONTENT_LENGTH) stays small for everything else. ``too_large``: the
    error code a larger body is refused with (413), when the view has one of its own.
    """

    def mark(view: Callable) -> Callable:
        view.max_upload_bytes = max_bytes
        if too_large is not None:
            view.too_large_code = too_large
        return view

    return mark


def upload_limit() -> None:
    """Raise the body size limit for a marked view, for a browser with a staff session only.

    An app-level hook that must run before CSRFProtect's (the CSRF check reads the body), so
    anyone without a login is refused on the small limit and never gets to send more first.
    """
    view = current_app.view_functions.get(request.endpoint)
    max_bytes = getattr(view, "max_upload_bytes", None)
    if max_bytes and (session.get("staff") or session.get("checkin_staff")):
        request.max_content_length = max_bytes


# -- staff password logins -----------------------------------------------------------------------


def start_login(staff: Staff) -> None:
    """Remember a login in the session cookie (signed, so it cannot be forged)."""
    end_login()
    session.pop("csrf_token", None)  # a fresh CSRF token for the new login
    moment = now().timestamp()
    session.update(
        staff=staff.username,
        staff_stamp=staff.password_stamp,
        staff_login=moment,
        staff_seen=moment,
    )


def end_login() -> None:
    for key in _STAFF_KEYS:
        session.pop(key, None)


def current_staff() -> Staff | None:
    """The logged-in, still active staff member, or None (an expired login is ended here)."""
    username = session.get("staff")
    if not username:
        return None
    moment = now().timestamp()
    login_age = moment - session.get("staff_login", 0)
    idle = moment - session.get("staff_seen", 0)
    config = current_app.config
    if login_age > config.get("ADMIN_SESSION_SECONDS", SESSION_SECONDS) or idle > config.get(
        "ADMIN_IDLE_SECONDS", IDLE_SECONDS
    ):
        end_login()
        flash(gettext("You were logged out after a while away. Please log in again."))
        return None
    staff = get_staff(get_db(), username)
    # deactivated, or the password changed since: this login is over
    if staff is None or not staff.active or staff.password_stamp != session.get("staff_stamp"):
        end_login()
        return None
    session["staff_seen"] = moment
    return staff


def staff_gate():
    """The one gate of the admin pages: a login for all but public views, then the role."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False):
        return None
    g.staff = current_staff()
    if g.staff is None:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        abort(401)
    if g.staff.role != "admin" and not getattr(view, "organiser_allowed", False):
        abort(403)
    return None


# -- check-in PIN logins -------------------------------------------------------------------------


def start_pin_login(staff: Staff) -> None:
    """A PIN typed on a kiosk's keypad: check-in for this browser, nothing else."""
    session.pop("csrf_token", None)  # a fresh CSRF token for the new login
    session["checkin_staff"], session["checkin_pin_stamp"] = staff.username, staff.pin_stamp


def end_pin_login() -> None:
    for key in _PIN_KEYS:
        session.pop(key, None)


def pin_staff() -> Staff | None:
    """The staff member of this browser's PIN login, if it still holds (else it is forgotten)."""
    username = session.get("checkin_staff")
    if not username:
        return None
    staff = get_staff(get_db(), username)
    if (
        staff is None
        or not staff.active
        or not staff.pin_stamp
        or staff.pin_stamp != session.get("checkin_pin_stamp")
    ):
        end_pin_login()
        return None
    return staff


def checkin_staff() -> tuple[Staff | None, str | None]:
    """Who is checking members in, and how: ("pin" | "login"), or (None, None).

    A PIN login decides the mode when there is one: such a page needs a PIN to leave.
    """
    staff = pin_staff()
    if staff is not None:
        return staff, "pin"
    staff = current_staff()
    if staff is not None:  # every staff role may check members in
        return staff, "login"
    return None, None


def checkin_gate(*, keypad: str):
    """The gate of the check-in page: staff (a PIN or a password login) for all but public views.

    A script's call without staff gets 401 ``login_required``; a page goes to ``keypad``.
    """
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False):
        return None
    staff, mode = checkin_staff()
    if staff is None:
        if getattr(view, "answers_json", False):
            return json_error("login_required")
        return redirect(keypad)
    g.checkin_staff, g.checkin_mode = staff, mode
    return None


# -- kiosk bindings ------------------------------------------------------------------------------


def bind_kiosk(kiosk: Kiosk) -> None:
    """This browser is that kiosk from now on (a year, or until it is bound again)."""
    session.permanent = True
    session["kiosk"] = kiosk.name


def bind_board(name: str, *, masked: bool) -> None:
    """This browser is that board screen from now on (a TV in the hall), names masked or not."""
    session.permanent = True
    session["board"], session["board_masked"] = name, masked


def bound_board() -> tuple[str, bool] | None:
    """The board screen this browser was bound to (revoked or not), and whether it masks."""
    name = session.get("board")
    return (name, bool(session.get("board_masked"))) if isinstance(name, str) else None


def bound_kiosk() -> str | None:
    """The name of the kiosk this browser was bound to, if any (revoked or not)."""
    name = session.get("kiosk")
    return name if isinstance(name, str) else None
