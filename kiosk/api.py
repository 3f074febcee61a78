"""The JSON API behind the kiosk pages. Views parse, call one core function, and answer."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from babel.dates import format_skeleton
from flask import Blueprint, jsonify, request, url_for
from flask_babel import get_locale

from cards.credentials import scan as scan_card
from cards.nfc import ReaderStatus, normalise_uid
from points.board import member_standing
from points.clock import now
from points.errors import CornerError
from points.goods import catalog as corner_catalog
from points.kiosks import authenticate_kiosk
from points.records import RecentLine, recent_record
from points.redemptions import redeem as redeem_goods
from points.sessions import end_session
from web.context import is_loopback, page_context
from web.db import get_db
from web.hub import current_hub, event_stream
from web.instance import card_secret, current_instance
from web.payloads import json_body

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.get("/health")
def health():
    """A trivial endpoint: the benchmark's baseline, and a liveness check (with the number of
    pages listening for card taps)."""
    return jsonify({"ok": True, "pages": current_hub().subscriptions()})


@blueprint.post("/kiosk/scan")
def scan():
    """A QR card held to this page's scanner: a session at this page's corner."""
    session = scan_card(
        get_db(),
        card_secret(),
        json_body().get("credential"),
        corner_id=page_context().require_kiosk().corner_id,
        ttl_seconds=current_instance().settings.session_seconds,
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
    goods = corner_catalog(get_db(), corner_id=page_context().require_kiosk().corner_id)
    return jsonify(
        {
            "goods": [
                {
                    "id": item.id,
                    "name": item.name,
                    "points": item.points,
                    "stock": item.stock,
                    "picture": url_for("web.picture", filename=item.picture)
                    if item.picture
                    else None,
                }
                for item in goods
            ]
        }
    )


@blueprint.post("/kiosk/redeem")
def redeem():
    page_context().require_kiosk()
    body = json_body()
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
    recent = recent_record(get_db(), session=json_body().get("session"))
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


@blueprint.post("/kiosk/standing")
def standing():
    """The member's current quarter: points, stars and rank in the branch (for the screen)."""
    mine = member_standing(get_db(), session=json_body().get("session"))
    return jsonify(asdict(mine))


@blueprint.post("/kiosk/logout")
def logout():
    end_session(get_db(), token=json_body().get("session"))
    return jsonify({"ok": True})


# -- card taps: server-sent events to the page, taps and reader status from agents -------------


@blueprint.get("/kiosk/events")
def events():
    """The page's stream of card taps and reader status."""
    channel = page_context().channel
    if channel is None:
        raise CornerError("kiosk_unauthorized")
    hub = current_hub()
    return event_stream(hub, channel, lambda: [{"type": "status", **hub.status(channel).as_dict()}])


@blueprint.get("/kiosk/status")
def status():
    """Which card readers are live for this page's kiosk."""
    channel = page_context().channel
    if channel is None:
        raise CornerError("kiosk_unauthorized")
    hub = current_hub()
    answer = {"kiosk": channel, **hub.status(channel).as_dict()}
    if is_loopback() and channel in hub.last_unknown_uid:
        answer["last_unknown_uid"] = hub.last_unknown_uid[channel]  # for staff binding a card
    return jsonify(answer)


def _agent():
    """The kiosk whose reader agent sent this request (Authorization: Bearer TOKEN)."""
    header = request.headers.get("Authorization", "")
    token = header[len("Bearer ") :] if header.startswith("Bearer ") else None
    return authenticate_kiosk(get_db(), name=json_body().get("kiosk"), token=token)


@blueprint.post("/kiosk/tap")
def tap():
    """A remote reader agent forwards a card tap to its own kiosk's page alone."""
    kiosk = _agent()
    body = json_body()
    uid = None if body.get("error") else normalise_uid(body.get("uid"))
    delivered = current_hub().tap(kiosk.name, uid=uid, error=body.get("error"))
    return jsonify({"ok": True, "delivered": delivered})


@blueprint.post("/kiosk/reader-status")
def reader_status():
    """A remote reader agent reports its readers (on change and as a heartbeat)."""
    kiosk = _agent()
    body = json_body()
    readers = body.get("readers")
    service = body.get("service")
    if service not in ("running", "unavailable") or not isinstance(readers, list):
        raise CornerError("invalid_request", field="readers")
    readers = tuple(str(name)[:200] for name in readers[:16])
    current_hub().set_status(kiosk.name, ReaderStatus(service, readers))
    return jsonify({"ok": True})
