"""Members' cards: issue and reissue QR cards, bind NFC cards, revoke lost ones, print cards."""

from __future__ import annotations

import base64
import uuid

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, ValidationError

from admin.blueprint import blueprint
from admin.members import member_or_404
from cards.nfc import normalise_uid
from cards.qr import qr_png
from cards.token import make_token
from points.errors import CornerError
from points.member_cards import (
    bind_nfc_card,
    card_by_uid,
    card_history,
    current_qr_card,
    issue_qr_card,
    revoke_card,
)
from points.members import Member, list_members
from web.context import LOCAL, is_loopback
from web.db import get_db
from web.errors import Refusal, shown_on

CARDS_PER_SHEET = 10  # 2 x 5 credit-card-size cards on one A4 page


def _new_request_id() -> str:
    return f"admin-{uuid.uuid4()}"


class ActionForm(FlaskForm):
    """A button that changes something: carries its request id (a double click acts once)."""

    request_id = HiddenField(default=_new_request_id)


class BindForm(ActionForm):
    uid = StringField(
        lazy_gettext("NFC card UID"),
        validators=[DataRequired(lazy_gettext("Please enter the card's UID."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )

    def validate_uid(self, field) -> None:
        """A UID as typed (``04:a1:b2:c3``) becomes the reader's (``04A1B2C3``), or is refused."""
        try:
            field.data = normalise_uid(field.data)
        except CornerError:  # card_invalid: a typing mistake, said next to the field (400)
            raise ValidationError(
                gettext("A UID is 8, 14, 16 or 20 hexadecimal digits, e.g. 04A1B2C3.")
            ) from None


def tapped_uid() -> str | None:
    """The unknown card last laid on this server's own reader, for a browser on this machine."""
    if not is_loopback():
        return None  # another machine's browser: this server's reader is not in front of it
    return current_app.extensions["card_hub"].last_unknown_uid.get(LOCAL)


def _cards_page(member: Member, bind: BindForm | None = None, status: int = 200):
    db = get_db()
    return (
        render_template(
            "admin/cards/member.html",
            member=member,
            cards=card_history(db, member.number),
            qr=current_qr_card(db, member.number),
            issue_form=ActionForm(formdata=None),
            bind_form=bind or BindForm(formdata=None),
            revoke_form=ActionForm(formdata=None),
            tapped=tapped_uid(),
        ),
        status,
    )


@blueprint.get("/members/<number>/cards")
def member_cards(number: str):
    return _cards_page(member_or_404(number))


@blueprint.post("/members/<number>/cards/qr")
def card_issue(number: str):
    member = member_or_404(number)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    replacing = current_qr_card(get_db(), member.number) is not None
    # a button: refused or not, back to the member's cards, which say why
    with shown_on(form):
        issue_qr_card(
            get_db(), number=member.number, request_id=form.request_id.data, actor=g.staff.username
        )
        if replacing:
            flash(gettext("A new QR card is issued; the old one no longer works. Print it now."))
        else:
            flash(gettext("A QR card is issued. Print it now."))
    return redirect(url_for("admin.member_cards", number=member.number))


@blueprint.post("/members/<number>/cards/nfc")
def card_bind(number: str):
    member = member_or_404(number)
    form = BindForm()
    refusal = Refusal()  # a form that fails its own checks (a malformed UID) answers 400
    if form.validate_on_submit():
        uid = form.uid.data  # normalised by the form
        with shown_on(form, {"card_in_use": "uid"}) as refusal:
            bind_nfc_card(
                get_db(),
                number=member.number,
                uid=uid,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("NFC card %(uid)s is bound to %(name)s.", uid=uid, name=member.name))
            return redirect(url_for("admin.member_cards", number=member.number))
        if refusal.code == "card_in_use" and (holder := card_by_uid(get_db(), uid)):
            # say whose card it is, after the refusal shown next to the field
            form.uid.errors[-1] += " " + gettext("(member %(number)s)", number=holder.member_number)
    return _cards_page(member, form, refusal.status)


@blueprint.post("/members/<number>/cards/<int:card_id>/revoke")
def card_revoke(number: str, card_id: int):
    member = member_or_404(number)
    if card_id not in {card.id for card in card_history(get_db(), member.number)}:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    revoke_card(get_db(), card_id=card_id, request_id=form.request_id.data, actor=g.staff.username)
    flash(gettext("Card %(card)s is revoked: it no longer works at the kiosk.", card=card_id))
    return redirect(url_for("admin.member_cards", number=member.number))


# -- printing ------------------------------------------------------------------------------


def _printable(members: list[Member]) -> tuple[list[dict], list[Member]]:
    """The cards to print (member, QR image) and the members who have no QR card to print."""
    db = get_db()
    secret = current_app.config["CARD_SECRET"]
    printable, missing = [], []
    for member in members:
        card = current_qr_card(db, member.number)
        if card is None:
            missing.append(member)
            continue
        token = make_token(secret, member_number=member.number, serial=card.id)
        image = base64.b64encode(qr_png(token, box_size=8, border=2)).decode("ascii")
        printable.append({"member": member, "card": card, "qr": f"data:image/png;base64,{image}"})
    return printable, missing


@blueprint.get("/members/<number>/cards/print")
def card_print(number: str):
    member = member_or_404(number)
    printable, _missing = _printable([member])
    if not printable:
        flash(gettext("%(name)s has no QR card yet: issue one first.", name=member.name), "error")
        return redirect(url_for("admin.member_cards", number=member.number))
    paper = "card" if request.args.get("paper") == "card" else "a4"
    return render_template("admin/cards/print_one.html", item=printable[0], paper=paper)


@blueprint.get("/cards/print")
def cards_batch():
    """Choose members for a sheet: a branch, or ticked one by one."""
    members = [member for member in list_members(get_db()) if member.status == "active"]
    branch = request.args.get("branch") or None
    branches = sorted({member.branch for member in members if member.branch})
    shown = [member for member in members if branch is None or member.branch == branch]
    with_card = {member.number for member in shown if current_qr_card(get_db(), member.number)}
    return render_template(
        "admin/cards/batch.html",
        members=shown,
        with_card=with_card,
        branches=branches,
        branch=branch,
    )


@blueprint.get("/cards/sheet")
def cards_sheet():
    """A4 sheets of ten cards: the ticked members, or every active member of a branch."""
    numbers = set(request.args.getlist("number"))
    branch = request.args.get("branch") or None
    chosen = [
        member
        for member in list_members(get_db())
        if member.number in numbers or (not numbers and branch and member.branch == branch)
        if member.status == "active"
    ]
    printable, missing = _printable(chosen)
    sheets = [
        printable[start : start + CARDS_PER_SHEET]
        for start in range(0, len(printable), CARDS_PER_SHEET)
    ]
    return render_template("admin/cards/print_sheet.html", sheets=sheets, missing=missing)
