"""The one error policy: a ``CornerError`` code has one HTTP status and one translated message.

Every surface answers the same way. A request for a JSON view (the kiosk API under ``/api/``,
the check-in page's calls, any view marked ``answers_json``) gets
``{"error": {"code", "message"[, "details"]}}``; a page gets an HTML page with the message in
plain words (a blueprint may name its own template). An admin form shows a refusal next to its
field instead (``shown_on``). Anything unexpected is logged with its traceback and answers 500
``internal_error``; no stack trace ever reaches a screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, flash, jsonify, render_template, request
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from points.errors import MESSAGES, CornerError

# Every code's HTTP status, said once. A test holds that every code in points.errors has one.
STATUS: dict[str, int] = {
    # the request itself was malformed
    "invalid_request": 400,
    "image_invalid": 400,
    # who is asking is not (or no longer) known
    "session_expired": 401,
    "login_required": 401,
    "login_failed": 401,
    # known, but not allowed
    "card_invalid": 403,
    "card_foreign": 403,
    "card_unknown": 403,
    "card_revoked": 403,
    "member_inactive": 403,
    "kiosk_unauthorized": 403,
    "screen_unauthorized": 403,
    "pin_wrong": 403,
    "staff_self": 403,
    # nothing by that name
    "kiosk_unknown": 404,
    "member_unknown": 404,
    "goods_unknown": 404,
    "corner_unknown": 404,
    "community_unknown": 404,
    "branch_unknown": 404,
    "redemption_unknown": 404,
    "staff_unknown": 404,
    "activity_unknown": 404,
    "category_unknown": 404,
    "checkin_unknown": 404,
    "objection_unknown": 404,
    "login_unknown": 404,
    # clashes with what is already there
    "card_in_use": 409,
    "kiosk_exists": 409,
    "member_exists": 409,
    "goods_exists": 409,
    "corner_exists": 409,
    "community_exists": 409,
    "branch_exists": 409,
    "staff_exists": 409,
    "category_exists": 409,
    "pin_taken": 409,
    "request_conflict": 409,
    "already_reversed": 409,
    # understood, but the rules refuse it now
    "insufficient_points": 422,
    "out_of_stock": 422,
    "limit_reached": 422,
    "goods_unavailable": 422,
    "staff_last_admin": 422,
    "password_too_short": 422,
    "activity_not_open": 422,
    "activity_closed": 422,
    "activity_full": 422,
    "duplicate_checkin": 422,
    "already_checked_out": 422,
    "not_checked_in": 422,
    "checkin_not_pending": 422,
    "quarter_locked": 422,
    "quarter_state": 422,
    "posting_not_over": 422,
    "objections_open": 422,
    "objection_resolved": 422,
    "star_not_earned": 422,
    # wait and try again
    "login_locked": 429,
    "pin_locked": 429,
    # too large to take in
    "import_too_large": 413,
    # a bug of ours
    "internal_error": 500,
}

# details a screen may show (how many points are missing, which item ran out, how long to wait)
PUBLIC_DETAILS = ("balance", "needed", "goods_id", "on_hand", "field", "limit", "period", "left")
PUBLIC_DETAILS += ("seconds",)


def status_of(code: str) -> int:
    return STATUS[code]


def message(code: str) -> str:
    """The code's message in the request's language."""
    return gettext(MESSAGES[code])


def answers_json(view: Callable) -> Callable:
    """Mark a view whose errors are answered as JSON (a page's script calls it)."""
    view.answers_json = True
    return view


def wants_json() -> bool:
    """Does this request's view answer JSON: the API, or a view marked ``answers_json``?"""
    if request.path.startswith("/api/"):
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "answers_json", False))


def json_error(code: str, status: int | None = None, **details: object):
    """``{"error": {"code", "message"[, "details"]}}`` with the message in the page's language."""
    body: dict = {"error": {"code": code, "message": message(code)}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status or STATUS[code]


def public_details(error: CornerError) -> dict:
    return {key: value for key, value in error.details.items() if key in PUBLIC_DETAILS}


def _html_error(code: str | None, status: int):
    """An error page in the surface's own look (its blueprint's template, else the plain one)."""
    templates = current_app.extensions["corner_error_pages"]
    template = templates.get(request.blueprint or "", "web/error.html")
    text = message(code) if code else None
    language = "zh-CN" if get_locale().language == "zh" else "en"
    page = render_template(template, status=status, code=code, message=text, language=language)
    return page, status


def _corner_error(error: CornerError):
    if wants_json():
        return json_error(error.code, **public_details(error))
    return _html_error(error.code, STATUS[error.code])


def _csrf_error(_error: CSRFError):
    if wants_json():
        return json_error("invalid_request", 400, field="csrf_token")
    return _html_error(None, 400)


def _http_error(error: HTTPException):
    """Malformed JSON, a wrong method, an unknown route, too large: a code for a script."""
    status = error.code or 500
    code = "internal_error" if status >= 500 else None
    if status == 413:  # a view that takes uploads may name its own code for one too large
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        code = getattr(view, "too_large_code", None)
    if not wants_json():
        return _html_error(code, status)  # the page says it in the surface's words
    if error.code == 413 and request.endpoint and request.endpoint.endswith(".decode"):
        return json_error("image_invalid", 413)  # a picture too large
    return json_error(code or "invalid_request", status)


def _unexpected(error: Exception):
    """A bug must not show a stack trace to anyone: log it, answer ``internal_error``."""
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("unexpected error in %s %s", request.method, request.path)
    if wants_json():
        return json_error("internal_error", 500)
    return _html_error("internal_error", 500)


def init_app(app: Flask, *, pages: dict[str, str] | None = None) -> None:
    """Answer every error of every surface through this policy.

    ``pages``: blueprint name -> the template of its error pages (given ``status``, ``code``
    and the translated ``message``).
    """
    app.extensions["corner_error_pages"] = dict(pages or {})
    app.register_error_handler(CornerError, _corner_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


class Refusal:
    """What ``shown_on`` caught: the code, and the status the page answers with."""

    code: str | None = None

    @property
    def status(self) -> int:
        """The refusal's status, or 400 for a form that did not pass its own checks."""
        return STATUS[self.code] if self.code else 400


@contextmanager
def shown_on(form: FlaskForm, fields: dict[str, str] | None = None) -> Iterator[Refusal]:
    """Show a refusal of the core on the form, next to the field it concerns, or above it.

    Code after the refused call inside the block is skipped, and the view goes on after the
    block, usually to render the form again::

        with shown_on(form, {"goods_exists": "name"}) as refusal:
            add_goods(...)
            return redirect(...)
        return render_template(..., form=form), refusal.status

    ``fields`` names the form field of a code whose ``field`` detail does not.
    """
    refusal = Refusal()
    try:
        yield refusal
    except CornerError as error:
        refusal.code = error.code
        field = (fields or {}).get(error.code, error.details.get("field"))
        if isinstance(field, str) and field in form and field != "request_id":
            form[field].errors = [*form[field].errors, message(error.code)]
        else:
            flash(message(error.code), "error")
