"""The touchscreen pages: the kiosk itself and, in demo mode only, the demo cards page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from cards.qr import qr_png
from cards.token import make_token
from kiosk.strings import kiosk_strings
from points.kiosks import authenticate_kiosk
from points.member_cards import current_qr_card
from points.members import get_member, list_members
from web.auth import bind_kiosk as remember_kiosk
from web.db import get_db
from web.instance import card_secret, current_instance

blueprint = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")


@blueprint.get("")
def start():
    if "kiosk" in request.args:
        return bind_kiosk()
    settings = current_instance().settings
    return render_template(
        "kiosk/kiosk.html",
        idle_seconds=settings.idle_seconds,
        default_language=settings.language,
        language=str(get_locale()),
        strings=kiosk_strings(),
        demo=settings.demo,
    )


def bind_kiosk():
    """``/kiosk?kiosk=NAME&key=TOKEN`` binds this browser to a remote kiosk (its card taps)."""
    kiosk = authenticate_kiosk(
        get_db(), name=request.args.get("kiosk"), token=request.args.get("key")
    )  # kiosk_unauthorized: 403
    remember_kiosk(kiosk)
    # redirect, so the token leaves the address bar and the browser history
    language = request.args.get("lang")
    return redirect(url_for("kiosk.start", **({"lang": language} if language else {})))


def _demo_only() -> None:
    if not current_instance().settings.demo:
        abort(404)


@blueprint.get("/demo-cards")
def demo_cards():
    """Every member's current QR card, with a button that scans it on this kiosk."""
    _demo_only()
    secret = card_secret()
    cards = []
    for member in list_members(get_db()):
        card = current_qr_card(get_db(), member.number)
        if card is not None and member.status == "active":
            token = make_token(secret, member_number=member.number, serial=card.id)
            cards.append({"member": member, "token": token})
    return render_template(
        "kiosk/demo_cards.html",
        cards=cards,
        language=str(get_locale()),
        demo_pin=current_app.config["DEMO_PIN"],
    )


@blueprint.get("/demo-cards/<number>.png")
def demo_card_image(number: str):
    _demo_only()
    member = get_member(get_db(), number)  # member_unknown: 404
    card = current_qr_card(get_db(), member.number)
    if card is None:
        abort(404)
    token = make_token(card_secret(), member_number=member.number, serial=card.id)
    size = 8 if request.args.get("size") == "large" else 6
    return (
        qr_png(token, box_size=size),
        200,
        {"Content-Type": "image/png", "Cache-Control": "no-store"},
    )
