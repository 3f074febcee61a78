"""Who is asking: staff password logins, check-in PIN logins and kiosk bindings, and the gate.

The one authentication module of every web surface. A staff login is a row on the server
(``points.logins``); the signed session cookie carries only its random token, under its own key:

- a staff login (``start_login``, key ``login``): a password login of the admin pages, for 8
  hours at most and 30 minutes without a page; it ends at logout, when the password changes
  (from another login), when the account is deactivated or an admin ends it;
- a check-in PIN login (``start_pin_login``, key ``pin_login``), made on a kiosk's keypad: it
  opens check-in and nothing else, and ends when the PIN changes or is cleared;
- a kiosk binding (``bind_kiosk``): this browser is that kiosk (``web.context`` says what
  follows from it).

Every request looks its token up, so a copy of a cookie kept from before a logout opens nothing.
The gate is deny-by-default: ``staff_gate`` answers nothing without a staff login but views
marked ``public``, and an organiser reaches only the views marked ``organiser_allowed``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext

from points.kiosks import Kiosk
from points.logins import (
    IDLE_SECONDS,
    PASSWORD,
    PIN,
    PIN_IDLE_SECONDS,
    SESSION_SECONDS,
    Limits,
    check_login,
    open_login,
)
from points.logins import (
    end_login as end_login_record,
)
from points.staff import Staff, get_staff
from web.db import get_db
from web.errors import json_error

LOGIN_KEY = "login"  # the cookie's key for a password login's token
PIN_LOGIN_KEY = "pin_login"  # and for a check-in PIN login's
# what cookies of earlier versions held (the whole login): forgotten wherever they show up
_OLD_KEYS = (
    "staff",
    "staff_stamp",
    "staff_login",
    "staff_seen",
    "checkin_staff",
    "checkin_pin_stamp",
)
_UNSET = object()


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
    """Raise the body size limit for a marked view, for a browser with an open staff login only.

    An app-level hook that must run before CSRFProtect's (the CSRF check reads the body), so
    anyone without a login (or with the copy of an ended one) is refused on the small limit and
    never gets to send more first.
    """
    view = current_app.view_functions.get(request.endpoint)
    max_bytes = getattr(view, "max_upload_bytes", None)
    if max_bytes and (pin_staff() or current_staff()):
        request.max_content_length = max_bytes


# -- where a request comes from ------------------------------------------------------------------


def client_address() -> str:
    """The client's address: the proxy's unless the operator declared one (``web.proxy``)."""
    return request.remote_addr or ""


def login_limits() -> dict[str, Limits]:
    """How long logins last here (an app may shorten them: ADMIN_SESSION/IDLE_SECONDS)."""
    config = current_app.config
    return {
        PASSWORD: Limits(
            config.get("ADMIN_SESSION_SECONDS", SESSION_SECONDS),
            config.get("ADMIN_IDLE_SECONDS", IDLE_SECONDS),
        ),
        PIN: Limits(None, config.get("PIN_IDLE_SECONDS", PIN_IDLE_SECONDS)),
    }


def _open(staff: Staff, kind: str) -> str:
    return open_login(
        get_db(),
        username=staff.username,
        kind=kind,
        address=client_address(),
        user_agent=request.user_agent.string,
        limits=login_limits(),
    )


def _forget_old_keys() -> None:
    for key in _OLD_KEYS:
        session.pop(key, None)


# -- staff password logins -----------------------------------------------------------------------


def start_login(staff: Staff) -> None:
    """Open a login on the server; the session cookie (signed) remembers its token only."""
    end_login()
    _forget_old_keys()
    session.pop("csrf_token", None)  # a fresh CSRF token for the new login
    session[LOGIN_KEY] = _open(staff, PASSWORD)
    g.pop("_current_staff", None)


def end_login() -> None:
    """End this browser's password login, on the server too (every copy of the cookie)."""
    token = session.pop(LOGIN_KEY, None)
    if token:
        end_login_record(get_db(), token)
    g.pop("_current_staff", None)


def login_token() -> str | None:
    """The token of this browser's password login (the one a password change keeps open)."""
    token = session.get(LOGIN_KEY)
    return token if isinstance(token, str) else None


def current_staff() -> Staff | None:
    """The logged-in, still active staff member, or None (an expired login is ended here).

    Looked up once a request (one indexed look-up of the token), then remembered in ``g``.
    """
    remembered = g.get("_current_staff", _UNSET)
    if remembered is not _UNSET:
        return remembered
    staff = None
    token = session.get(LOGIN_KEY)
    if token:
        found = check_login(get_db(), token, kind=PASSWORD, limits=login_limits()[PASSWORD])
        if found.username is None:
            session.pop(LOGIN_KEY, None)
            if found.timed_out:
                flash(gettext("You were logged out after a while away. Please log in again."))
        else:
            staff = get_staff(get_db(), found.username)
            g._login_id = found.login_id
    g._current_staff = staff
    return staff


def current_login_id() -> int | None:
    """The id of this browser's open password login (to mark it in the list of logins)."""
    return g.get("_login_id") if current_staff() is not None else None


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
    end_pin_login()
    _forget_old_keys()
    session.pop("csrf_token", None)  # a fresh CSRF token for the new login
    session[PIN_LOGIN_KEY] = _open(staff, PIN)
    g.pop("_pin_staff", None)


def end_pin_login() -> None:
    token = session.pop(PIN_LOGIN_KEY, None)
    if token:
        end_login_record(get_db(), token)
    g.pop("_pin_staff", None)


def pin_staff() -> Staff | None:
    """The staff member of this browser's PIN login, if it still holds (else it is forgotten)."""
    remembered = g.get("_pin_staff", _UNSET)
    if remembered is not _UNSET:
        return remembered
    staff = None
    token = session.get(PIN_LOGIN_KEY)
    if token:
        found = check_login(get_db(), token, kind=PIN, limits=login_limits()[PIN])
        if found.username is None:
            session.pop(PIN_LOGIN_KEY, None)
        else:
            staff = get_staff(get_db(), found.username)
    g._pin_staff = staff
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
