"""The JSON API behind the kiosk pages. Views parse, call one core function, and answer."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from cards.credentials import scan as scan_card
from kiosk.app import current_instance, get_db
from points.errors import CornerError
from points.goods import catalog as corner_catalog
from points.redemptions import redeem as redeem_goods
from points.sessions import end_session

blueprint = Blueprint("api", __name__, url_prefix="/api")

# HTTP status per error code; anything not listed is a 422 (understood, but refused)
STATUS = {
    "invalid_request": 400,
    "session_expired": 401,
    "card_invalid": 403,
    "card_foreign": 403,
    "card_unknown": 403,
    "card_revoked": 403,
    "member_inactive": 403,
    "request_conflict": 409,
    "internal_error": 500,
}


def error_response(code: str, status: int | None = None, **details: object):
    """``{"error": {"code", "message"}}`` with the message in the page's language."""
    from points.errors import MESSAGES

    body = {"error": {"code": code, "message": gettext(MESSAGES[code])}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status or STATUS.get(code, 422)


@blueprint.errorhandler(CornerError)
def corner_error(error: CornerError):
    return error_response(error.code, **_public_details(error))


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Under /api/: malformed JSON, wrong method, unknown route, too large are invalid requests."""
    if not request.path.startswith(blueprint.url_prefix + "/"):
        return error  # pages keep Flask's own error pages
    return error_response("invalid_request", error.code or 400)


@blueprint.errorhandler(Exception)
def unexpected_error(error: Exception):
    """A bug must not show a stack trace to a member: log it, answer a code."""
    if isinstance(error, HTTPException):
        return http_error(error)
    current_app.logger.exception("unexpected error in %s", request.path)
    return error_response("internal_error", 500)


def _public_details(error: CornerError) -> dict:
    """Details the kiosk may show (how many points are missing, which item ran out)."""
    allowed = {"balance", "needed", "goods_id", "on_hand", "field"}
    return {key: value for key, value in error.details.items() if key in allowed}


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise CornerError("invalid_request", field="body")
    return body


@blueprint.get("/health")
def health():
    """A trivial endpoint: the benchmark's baseline, and a liveness check."""
    return jsonify({"ok": True})


@blueprint.post("/kiosk/scan")
def scan():
    instance = current_instance()
    session = scan_card(
        get_db(),
        current_app.config["CARD_SECRET"],
        _json_body().get("credential"),
        corner_id=instance.settings.corner,
        ttl_seconds=instance.settings.session_seconds,
    )
    return jsonify(
        {
            "session": session.token,
            "member": {"number": session.member_number, "name": session.member_name},
            "balance": session.balance,
            "expires_in": session.expires_in,
        }
    )


@blueprint.get("/kiosk/catalog")
def catalog():
    goods = corner_catalog(get_db(), corner_id=current_instance().settings.corner)
    return jsonify(
        {
            "goods": [
                {
                    "id": item.id,
                    "name": item.name,
                    "points": item.points,
                    "stock": item.stock,
                    "picture": url_for("picture", filename=item.picture) if item.picture else None,
                }
                for item in goods
            ]
        }
    )


@blueprint.post("/kiosk/redeem")
def redeem():
    body = _json_body()
    redemption = redeem_goods(
        get_db(),
        session=body.get("session"),
        items=body.get("items"),
        request_id=body.get("request_id"),
    )
    result = asdict(redemption)
    balance = result.pop("balance")
    return jsonify({"redemption": result, "balance": balance})


@blueprint.post("/kiosk/logout")
def logout():
    end_session(get_db(), token=_json_body().get("session", ""))
    return jsonify({"ok": True})
