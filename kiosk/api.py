"""The JSON API behind the kiosk pages. Views parse, call one core function, and answer."""

from __future__ import annotations

import json
import queue
from dataclasses import asdict
from datetime import datetime

from babel.dates import format_skeleton
from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for
from flask_babel import get_locale, gettext
from werkzeug.exceptions import HTTPException

from cards.credentials import scan as scan_card
from cards.nfc import ReaderStatus, normalise_uid
from kiosk.app import current_instance, get_db, is_loopback, page_channel, page_corner
from kiosk.readers import LOCAL
from points.clock import now
from points.errors import CornerError
from points.goods import catalog as corner_catalog
from points.kiosks import authenticate_kiosk, kiosk_is_active
from points.records import RecentLine, recent_record
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
    "kiosk_unauthorized": 403,
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
    allowed = {"balance", "needed", "goods_id", "on_hand", "field", "limit", "period", "left"}
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
            "allowances": {str(goods): left for goods, left in session.allowances.items()},
        }
    )


@blueprint.get("/kiosk/catalog")
def catalog():
    goods = corner_catalog(get_db(), corner_id=page_corner())
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


@blueprint.post("/kiosk/record")
def record():
    """The member's recent points record (积分记录本), newest first, for a live session."""
    recent = recent_record(get_db(), session=_json_body().get("session"))
    return jsonify(
        {
            "member": {"number": recent.member_number, "name": recent.member_name},
            "balance": recent.balance,
            "total": recent.total_lines,
            "entries": [_record_entry(line) for line in recent.lines],
        }
    )


def _day(moment: str) -> dict:
    """An ISO date or timestamp as a date and its words in the page's language ("11月20日")."""
    day = datetime.fromisoformat(moment).date()
    skeleton = "MMMd" if day.year == now().year else "yMMMd"
    return {
        "date": day.isoformat(),
        "date_text": format_skeleton(skeleton, day, locale=get_locale()),
    }


def _record_entry(line: RecentLine) -> dict:
    activity = None
    if line.activity_id is not None:
        activity = {
            "id": line.activity_id,
            "title": line.activity_title,
            "category": line.category,
            **_day(line.activity_starts),
        }
    return {
        "id": line.entry_id,
        **_day(line.created),
        "kind": line.kind,
        "points": line.delta,
        "balance": line.balance,
        "reason": line.reason,
        "goods": line.goods,
        "activity": activity,
    }


@blueprint.post("/kiosk/logout")
def logout():
    end_session(get_db(), token=_json_body().get("session", ""))
    return jsonify({"ok": True})


# -- card taps: server-sent events to the page, taps and reader status from agents -------------

KEEPALIVE_SECONDS = 5  # waitress notices a closed page only when it writes


def _sse(event: dict) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"


def event_stream(hub, channel: str | None, subscription: queue.Queue, first: list[dict]):
    """A page's server-sent events: ``first``, then the hub's events as they come (one waitress
    thread per open page), a keep-alive between; the subscription ends with the page."""

    @stream_with_context
    def stream():
        try:
            yield "retry: 2000\n\n"
            for event in first:
                yield _sse(event)
            while True:
                try:
                    event = subscription.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    yield ": keep-alive\n\n"
                    continue
                yield _sse(event)
        finally:
            hub.unsubscribe(channel, subscription)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return Response(stream(), mimetype="text/event-stream", headers=headers)


@blueprint.get("/kiosk/events")
def events():
    """The page's stream of card taps and reader status."""
    channel = page_channel()
    if channel is None or (channel != LOCAL and not kiosk_is_active(get_db(), channel)):
        raise CornerError("kiosk_unauthorized")
    hub = current_app.extensions["card_hub"]
    subscription = hub.subscribe(channel)
    status = hub.status(channel)
    return event_stream(hub, channel, subscription, [{"type": "status", **status.as_dict()}])


@blueprint.get("/kiosk/status")
def status():
    """Which card readers are live for this page's kiosk."""
    channel = page_channel()
    if channel is None:
        raise CornerError("kiosk_unauthorized")
    hub = current_app.extensions["card_hub"]
    answer = {"kiosk": channel, **hub.status(channel).as_dict()}
    if is_loopback() and channel in hub.last_unknown_uid:
        answer["last_unknown_uid"] = hub.last_unknown_uid[channel]  # for staff binding a card
    return jsonify(answer)


def _agent():
    """The kiosk whose reader agent sent this request (Authorization: Bearer TOKEN)."""
    header = request.headers.get("Authorization", "")
    token = header[len("Bearer ") :] if header.startswith("Bearer ") else None
    return authenticate_kiosk(get_db(), name=_json_body().get("kiosk"), token=token)


@blueprint.post("/kiosk/tap")
def tap():
    """A remote reader agent forwards a card tap to its own kiosk's page alone."""
    kiosk = _agent()
    body = _json_body()
    uid = None if body.get("error") else normalise_uid(body.get("uid"))
    hub = current_app.extensions["card_hub"]
    delivered = hub.tap(kiosk.name, corner_id=kiosk.corner_id, uid=uid, error=body.get("error"))
    return jsonify({"ok": True, "delivered": delivered})


@blueprint.post("/kiosk/reader-status")
def reader_status():
    """A remote reader agent reports its readers (on change and as a heartbeat)."""
    kiosk = _agent()
    body = _json_body()
    readers = body.get("readers")
    service = body.get("service")
    if service not in ("running", "unavailable") or not isinstance(readers, list):
        raise CornerError("invalid_request", field="readers")
    readers = tuple(str(name)[:200] for name in readers[:16])
    current_app.extensions["card_hub"].set_status(kiosk.name, ReaderStatus(service, readers))
    return jsonify({"ok": True})
