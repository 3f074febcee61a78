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

from flask import Blueprint, g, jsonify, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf

from cards.credentials import MAX_CREDENTIAL_LENGTH, check_in_credential, check_in_credentials
from cards.decode import decode_qr
from points.activities import get_activity, list_activities
from points.checkins import activity_board
from points.errors import CornerError
from points.staff import PIN_LENGTH, authenticate_pin
from web.auth import (
    accepts_uploads,
    checkin_gate,
    checkin_staff,
    client_address,
    end_login,
    end_pin_login,
    public,
    start_pin_login,
)
from web.context import page_context
from web.db import get_db
from web.errors import answers_json, json_error, message
from web.hub import CheckinMode, board_dict, current_hub, event_stream
from web.i18n import error_strings
from web.instance import card_secret, current_instance
from web.payloads import json_body

blueprint = Blueprint("checkin", __name__, url_prefix="/checkin", template_folder="templates")

MAX_PICTURE_BYTES = 2 * 1024 * 1024  # a camera frame or a phone photo, already made smaller
ACTIONS = ("in", "out")


@blueprint.before_request
def require_staff():
    """The gate: nothing but the ``public`` PIN keypad and PIN login answers without staff.

    A script's call gets 401 ``login_required`` (the page keeps its offline queue and says
    why); a page goes back to the keypad.
    """
    return checkin_gate(keypad=url_for("checkin.start", **_language()))


def _language() -> dict:
    """Keep ?lang= on links and redirects (the check-in page follows the kiosk's language)."""
    language = request.args.get("lang")
    return {"lang": language} if language else {}


def _device() -> str:
    """Where a scan was made, for the scan log: this kiosk, or the browser's address."""
    channel = page_context().channel
    return f"kiosk:{channel}" if channel else f"browser:{client_address()}"


# -- pages ----------------------------------------------------------------------------------------


def _render(template: str, **values):
    return render_template(
        template,
        language=str(get_locale()),
        lang_query=_language(),
        pin_length=PIN_LENGTH,
        max_credential=MAX_CREDENTIAL_LENGTH,
        strings=checkin_strings(),
        on_kiosk=page_context().on_kiosk,
        **values,
    )


@blueprint.get("")
@public
def start():
    """The PIN keypad (on a kiosk) or a login link, else the open activities to pick from."""
    staff, mode = checkin_staff()
    if staff is None:
        return _render(
            "kiosk/checkin_pin.html",
            mode=None,
            idle_seconds=current_instance().settings.idle_seconds,
            pin_allowed=page_context().on_kiosk,
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
    board = activity_board(get_db(), activity_id)  # activity_unknown: 404
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
@answers_json
@public
def pin_login():
    """A PIN typed on the kiosk's keypad: check-in for this browser, nothing else."""
    if not page_context().on_kiosk:
        # a PIN is short: it is for the kiosk's keypad; other browsers log in with a password
        return json_error("login_required")
    staff = authenticate_pin(
        get_db(), pin=json_body().get("pin"), device=_device(), address=client_address()
    )
    start_pin_login(staff)
    return jsonify({"ok": True, "next": url_for("checkin.start", **_language())})


@blueprint.post("/leave")
@answers_json
def leave():
    """Back to the kiosk after an organiser's PIN; a password login goes back to the admin."""
    if g.checkin_mode == "login":
        if not page_context().on_kiosk:
            return jsonify({"ok": True, "next": url_for("admin.activities")})
        # a kiosk is left to the members: a password login there ends with check-in
        end_login()
        return jsonify({"ok": True, "next": url_for("kiosk.start")})
    authenticate_pin(
        get_db(), pin=json_body().get("pin"), device=_device(), address=client_address()
    )
    end_pin_login()
    return jsonify({"ok": True, "next": url_for("kiosk.start")})


# -- scans ----------------------------------------------------------------------------------------


def outcome_json(outcome) -> dict:
    """An outcome with its refusal in the page's words."""
    answer = asdict(outcome)
    if not outcome.accepted:
        answer["message"] = message(outcome.code)
    return answer


@blueprint.post("/<int:activity_id>/scan")
@answers_json
def scan(activity_id: int):
    body = json_body()
    outcome = check_in_credential(
        get_db(),
        card_secret(),
        activity_id=activity_id,
        credential=body.get("credential"),
        operator=g.checkin_staff.username,
        request_id=body.get("request_id"),
        device=_device(),
        action=body.get("action", "in"),
    )
    current_hub().announce(get_db(), activity_id, [outcome])
    return jsonify(outcome_json(outcome))


@blueprint.post("/<int:activity_id>/batch")
@answers_json
def batch(activity_id: int):
    """The offline queue sent at once: a resent scan returns its first outcome."""
    scans = json_body().get("scans")
    if not isinstance(scans, list):
        raise CornerError("invalid_request", field="scans")
    outcome = check_in_credentials(
        get_db(),
        card_secret(),
        activity_id=activity_id,
        scans=scans,
        operator=g.checkin_staff.username,
        device=_device(),
    )
    current_hub().announce(get_db(), activity_id, [*outcome.accepted, *outcome.refused])
    return jsonify(
        {
            "accepted": [outcome_json(item) for item in outcome.accepted],
            "refused": [outcome_json(item) for item in outcome.refused],
        }
    )


@blueprint.post("/<int:activity_id>/decode")
@answers_json
@accepts_uploads(MAX_PICTURE_BYTES)
def decode(activity_id: int):
    """A camera frame or a photo: the texts of the QR codes in it (the page then scans them)."""
    return jsonify({"texts": decode_qr(request.get_data(cache=False))})


@blueprint.get("/<int:activity_id>/board")
@answers_json
def board(activity_id: int):
    """The running count and last names; also how the page learns the server is back."""
    answer = board_dict(activity_board(get_db(), activity_id))
    answer["csrf_token"] = generate_csrf()  # a page open all day keeps a fresh token
    return jsonify(answer)


@blueprint.get("/<int:activity_id>/events")
@answers_json
def events(activity_id: int):
    """Card taps on this page's kiosk, checked in by the hub, and every check-in of the activity.

    ``?action=out`` makes this kiosk's taps check members out.
    """
    get_activity(get_db(), activity_id)  # activity_unknown for a wrong id
    action = request.args.get("action", "in")
    if action not in ACTIONS:
        raise CornerError("invalid_request", field="action")
    channel = page_context().channel
    hub = current_hub()
    mode = CheckinMode(activity_id, g.checkin_staff.username, action)

    def first() -> list[dict]:
        return [{"type": "status", **hub.status(channel).as_dict()}] if channel else []

    return event_stream(hub, channel, first, checkin=mode)


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
    strings.update(error_strings())
    return strings
