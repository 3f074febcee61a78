"""The check-in page at /checkin: one page for the kiosk and for an organiser's phone or laptop.

Who may use it: a staff login (organiser or admin, from /admin/login) or a PIN login made here
on a kiosk. A PIN login is for check-in only: it lives under its own session keys, which the
admin never reads, and it ends when the PIN is changed or cleared or the account is
deactivated. Leaving a PIN-authorised page needs an organiser's PIN again, so a member left
alone at the kiosk cannot walk out of check-in mode into someone else's session.

Views parse, call one core function and answer; the rules live in points/ and cards/.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

from admin import current_staff, end_login
from cards.credentials import check_in_credential, check_in_credentials
from cards.decode import decode_qr
from kiosk.api import error_response, event_stream
from kiosk.app import current_instance, get_db, page_channel
from kiosk.readers import LOCAL, CheckinMode, board_dict
from points.activities import get_activity, list_activities
from points.checkins import activity_board
from points.errors import MESSAGES, CornerError
from points.kiosks import kiosk_is_active
from points.staff import PIN_LENGTH, Staff, authenticate_pin, get_staff

blueprint = Blueprint("checkin", __name__, url_prefix="/checkin")

MAX_PICTURE_BYTES = 2 * 1024 * 1024  # a camera frame or a phone photo, already made smaller
ACTIONS = ("in", "out")
STATUS = {"pin_wrong": 403, "pin_locked": 429, "image_invalid": 400, "invalid_request": 400}


# -- who is checking members in ------------------------------------------------------------------


def _pin_staff() -> Staff | None:
    """The staff member of this page's PIN login, if it still holds (else it is forgotten)."""
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


def end_pin_login() -> None:
    session.pop("checkin_staff", None)
    session.pop("checkin_pin_stamp", None)


def checkin_staff() -> tuple[Staff | None, str | None]:
    """Who is checking members in, and how: ("pin" | "login"), or (None, None).

    A PIN login decides the mode when there is one: such a page needs a PIN to leave.
    """
    staff = _pin_staff()
    if staff is not None:
        return staff, "pin"
    staff = current_staff()
    if staff is not None:  # every staff role may check members in
        return staff, "login"
    return None, None


def _json_endpoint() -> bool:
    return request.endpoint not in ("checkin.start", "checkin.activity")


@blueprint.before_request
def require_staff():
    """The one gate: nothing but the PIN keypad and the PIN login answers without staff."""
    if request.endpoint in ("checkin.start", "checkin.pin_login"):
        return None
    staff, mode = checkin_staff()
    if staff is None:
        if _json_endpoint():
            return _login_required()
        return redirect(url_for("checkin.start", **_language()))
    g.checkin_staff, g.checkin_mode = staff, mode
    return None


def _login_required():
    """401 for the page's JavaScript: keep what it has (the offline queue) and say why."""
    return error_response("login_required", 401)


@blueprint.before_app_request
def picture_limit():
    """The decode view takes a picture of up to 2 MB; every other request keeps the small limit.

    An app-level hook registered before CSRFProtect's (the CSRF check reads the body), and only
    for a browser with a staff session: anyone else is refused later, and never gets to send
    2 MB first.
    """
    if request.endpoint == "checkin.decode" and (
        session.get("staff") or session.get("checkin_staff")
    ):
        request.max_content_length = MAX_PICTURE_BYTES


@blueprint.errorhandler(CornerError)
def corner_error(error: CornerError):
    details = {key: error.details[key] for key in ("field", "seconds") if key in error.details}
    return error_response(error.code, STATUS.get(error.code), **details)


@blueprint.errorhandler(CSRFError)
def csrf_error(_error: CSRFError):
    return error_response("invalid_request", 400, field="csrf_token")


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """The JSON views answer JSON (too large, malformed, wrong method); the pages answer HTML."""
    if not _json_endpoint():
        return error
    if error.code == 413 and request.endpoint == "checkin.decode":
        return error_response("image_invalid", 413)  # a picture too large
    return error_response("invalid_request", error.code or 400)


def _language() -> dict:
    """Keep ?lang= on links and redirects (the check-in page follows the kiosk's language)."""
    language = request.args.get("lang")
    return {"lang": language} if language else {}


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise CornerError("invalid_request", field="body")
    return body


def kiosk_channel() -> str | None:
    """This page's kiosk (this machine, or a bound kiosk that is still active), or None."""
    channel = page_channel()
    if channel is None or channel == LOCAL or kiosk_is_active(get_db(), channel):
        return channel
    return None


def _device() -> str:
    """Where a scan was made, for the scan log: this kiosk, or the browser's address."""
    channel = kiosk_channel()
    return f"kiosk:{channel}" if channel else f"browser:{request.remote_addr}"


# -- pages ----------------------------------------------------------------------------------------


def _render(template: str, **values):
    return render_template(
        template,
        language=str(get_locale()),
        lang_query=_language(),
        pin_length=PIN_LENGTH,
        strings=checkin_strings(),
        on_kiosk=kiosk_channel() is not None,
        **values,
    )


@blueprint.get("")
def start():
    """The PIN keypad (on a kiosk) or a login link, else the open activities to pick from."""
    staff, mode = checkin_staff()
    if staff is None:
        return _render(
            "kiosk/checkin_pin.html",
            mode=None,
            idle_seconds=current_instance().settings.idle_seconds,
            pin_allowed=kiosk_channel() is not None,
            login_url=url_for("admin.login", next=url_for("checkin.start", **_language())),
        )
    return _render(
        "kiosk/checkin_list.html",
        staff=staff,
        mode=mode,
        activities=list_activities(get_db(), status="open"),
    )


@blueprint.get("/<int:activity_id>")
def activity(activity_id: int):
    """The check-in screen of one activity."""
    try:
        board = activity_board(get_db(), activity_id)
    except CornerError:
        abort(404)
    return _render(
        "kiosk/checkin.html",
        staff=g.checkin_staff,
        mode=g.checkin_mode,
        activity=board.activity,
        board=board_dict(board),
        admin_url=url_for("admin.activity", activity_id=activity_id),
        # where a page whose login ended goes to log in again (its queue waits in the browser)
        login_url=url_for("checkin.start", **_language())
        if g.checkin_mode == "pin"
        else url_for("admin.login", next=url_for("checkin.activity", activity_id=activity_id)),
    )


# -- PIN login and leaving --------------------------------------------------------------------


@blueprint.post("/pin")
def pin_login():
    """A PIN typed on the kiosk's keypad: check-in for this browser, nothing else."""
    if kiosk_channel() is None:
        # a PIN is short: it is for the kiosk's keypad; other browsers log in with a password
        return _login_required()
    staff = authenticate_pin(get_db(), pin=_body().get("pin"), device=_device())
    session.pop("csrf_token", None)  # a fresh CSRF token for the new login
    session["checkin_staff"], session["checkin_pin_stamp"] = staff.username, staff.pin_stamp
    return jsonify({"ok": True, "next": url_for("checkin.start", **_language())})


@blueprint.post("/leave")
def leave():
    """Back to the kiosk after an organiser's PIN; a password login goes back to the admin."""
    if g.checkin_mode == "login":
        if kiosk_channel() is None:
            return jsonify({"ok": True, "next": url_for("admin.activities")})
        # a kiosk is left to the members: a password login there ends with check-in
        end_login()
        return jsonify({"ok": True, "next": url_for("kiosk.start")})
    authenticate_pin(get_db(), pin=_body().get("pin"), device=_device())
    end_pin_login()
    return jsonify({"ok": True, "next": url_for("kiosk.start")})


# -- scans ----------------------------------------------------------------------------------------


def outcome_json(outcome) -> dict:
    """An outcome with its refusal in the page's words."""
    answer = asdict(outcome)
    if not outcome.accepted:
        answer["message"] = gettext(MESSAGES[outcome.code])
    return answer


def _hub():
    return current_app.extensions["card_hub"]


@blueprint.post("/<int:activity_id>/scan")
def scan(activity_id: int):
    body = _body()
    outcome = check_in_credential(
        get_db(),
        current_app.config["CARD_SECRET"],
        activity_id=activity_id,
        credential=body.get("credential"),
        operator=g.checkin_staff.username,
        request_id=body.get("request_id"),
        device=_device(),
        action=body.get("action", "in"),
    )
    _hub().announce(get_db(), activity_id, [outcome])
    return jsonify(outcome_json(outcome))


@blueprint.post("/<int:activity_id>/batch")
def batch(activity_id: int):
    """The offline queue sent at once: a resent scan returns its first outcome."""
    scans = _body().get("scans")
    if not isinstance(scans, list):
        raise CornerError("invalid_request", field="scans")
    outcome = check_in_credentials(
        get_db(),
        current_app.config["CARD_SECRET"],
        activity_id=activity_id,
        scans=scans,
        operator=g.checkin_staff.username,
        device=_device(),
    )
    _hub().announce(get_db(), activity_id, [*outcome.accepted, *outcome.refused])
    return jsonify(
        {
            "accepted": [outcome_json(item) for item in outcome.accepted],
            "refused": [outcome_json(item) for item in outcome.refused],
        }
    )


@blueprint.post("/<int:activity_id>/decode")
def decode(activity_id: int):
    """A camera frame or a photo: the texts of the QR codes in it (the page then scans them)."""
    return jsonify({"texts": decode_qr(request.get_data(cache=False))})


@blueprint.get("/<int:activity_id>/board")
def board(activity_id: int):
    """The running count and last names; also how the page learns the server is back."""
    answer = board_dict(activity_board(get_db(), activity_id))
    answer["csrf_token"] = generate_csrf()  # a page open all day keeps a fresh token
    return jsonify(answer)


@blueprint.get("/<int:activity_id>/events")
def events(activity_id: int):
    """Card taps on this page's kiosk, checked in by the hub, and every check-in of the activity.

    ``?action=out`` makes this kiosk's taps check members out.
    """
    get_activity(get_db(), activity_id)  # activity_unknown for a wrong id
    action = request.args.get("action", "in")
    if action not in ACTIONS:
        raise CornerError("invalid_request", field="action")
    channel = kiosk_channel()
    hub = _hub()
    mode = CheckinMode(activity_id, g.checkin_staff.username, action)
    subscription = hub.subscribe(channel, checkin=mode)
    first = [{"type": "status", **hub.status(channel).as_dict()}] if channel else []
    return event_stream(hub, channel, subscription, first)


# -- the page's words ------------------------------------------------------------------------------


def checkin_strings() -> dict[str, str]:
    """The sentences checkin.js shows, in the page's language. %(n)s marks a number."""
    strings = {
        "checked_in": gettext("Checked in"),
        "checked_out": gettext("Checked out"),
        "plus_points": gettext("+%(n)s points"),
        "pending_points": gettext("Points are given after approval"),
        "action_in": gettext("Check in"),
        "action_out": gettext("Check out"),
        "queued": gettext("Saved on this device: it is sent when the connection is back."),
        "already_queued": gettext("This card is already waiting to be sent."),
        "offline": gettext(
            "No connection to the server. Scans are kept on this device and sent when the "
            "connection is back."
        ),
        "sending": gettext("Sending the saved scans…"),
        "sent_all": gettext("Saved scans sent: %(n)s."),
        "sent_refused": gettext("Saved scans not accepted: %(n)s. Please see the list."),
        "queue_count": gettext("Waiting to be sent: %(n)s"),
        "login_again": gettext(
            "Your login has ended. Please log in again: the saved scans stay on this device "
            "and are sent after the login."
        ),
        "network": gettext("The connection to the server was lost. Please try again."),
        "reading": gettext("Reading…"),
        "camera_failed": gettext("The camera could not be started. Please use a photo instead."),
        "no_code": gettext("No QR code was found in the photo. Please try again, closer."),
        "number_needed": gettext("Please type a member number."),
        "member": gettext("Member no. %(n)s"),
        "leave_queue": gettext(
            "Still waiting to be sent: %(n)s. They stay on this device and are sent when this "
            "activity's check-in page is open again."
        ),
        "reader_ready": gettext("✓ Card reader ready"),
        "reader_missing": gettext(
            "Card reader disconnected: please use the QR scanner, the camera or the member number"
        ),
    }
    strings.update({f"error_{code}": gettext(message) for code, message in MESSAGES.items()})
    return strings
