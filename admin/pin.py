"""Check-in PINs: staff set their own at /admin/pin; an admin sets or clears anyone's.

A PIN opens the check-in page at a kiosk (its touchscreen has digits, no keyboard) and nothing
else. The core keeps only a digest and refuses a PIN someone else holds (``pin_taken``, without
saying whose); these pages never show a PIN, only whether there is one.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Regexp

from admin.blueprint import blueprint
from admin.forms import strip
from points.staff import PIN_LENGTH, Staff, get_staff, set_pin
from web.auth import organiser_allowed
from web.db import get_db
from web.errors import Refusal, shown_on

# a numeric keypad on phones and tablets; no browser should offer to remember it as a password
_PIN_INPUT = {"inputmode": "numeric", "autocomplete": "new-password", "maxlength": PIN_LENGTH}
_DIGITS = lazy_gettext("A PIN is exactly %(n)s digits (0-9), nothing else.", n=PIN_LENGTH)


class PinForm(FlaskForm):
    pin = PasswordField(
        lazy_gettext("New PIN (%(n)s digits)", n=PIN_LENGTH),
        validators=[
            DataRequired(lazy_gettext("Please enter a PIN.")),
            Regexp(rf"^[0-9]{{{PIN_LENGTH}}}$", message=_DIGITS),
        ],
        filters=[strip],
        render_kw=_PIN_INPUT,
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the PIN"),
        validators=[EqualTo("pin", lazy_gettext("The two PINs differ."))],
        filters=[strip],
        render_kw=_PIN_INPUT,
    )


class ClearForm(FlaskForm):
    """Clearing a PIN: a button (and the CSRF token)."""


# which field a refusal of the core belongs to
FIELDS = {"pin_taken": "pin"}


def _clear(account: Staff) -> bool:
    """Take the account's PIN away; False when it had none (nothing is written then)."""
    if not account.pin_stamp:
        flash(gettext("There was no check-in PIN to clear."))
        return False
    set_pin(get_db(), username=account.username, pin=None, actor=g.staff.username)
    return True


def _render(
    form: PinForm,
    refusal: Refusal,
    account: Staff,
    *,
    own: bool,
    clear_url: str,
    back_url: str | None,
):
    status = refusal.status if form.is_submitted() else 200
    return render_template(
        "admin/staff/pin.html",
        form=form,
        clear_form=ClearForm(formdata=None),
        account=account,
        own=own,
        clear_url=clear_url,
        back_url=back_url,
        pin_length=PIN_LENGTH,
    ), status


# ---- one's own PIN (organisers and admins) -----------------------------------------------------


@blueprint.route("/pin", methods=["GET", "POST"])
@organiser_allowed
def pin():
    form = PinForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, FIELDS) as refusal:
            set_pin(get_db(), username=g.staff.username, pin=form.pin.data, actor=g.staff.username)
            flash(gettext("Your check-in PIN is saved."))
            return redirect(url_for("admin.pin"))
    return _render(
        form, refusal, g.staff, own=True, clear_url=url_for("admin.pin_clear"), back_url=None
    )


@blueprint.post("/pin/clear")
@organiser_allowed
def pin_clear():
    if not ClearForm().validate_on_submit():
        abort(400)
    if _clear(g.staff):
        flash(gettext("Your check-in PIN is cleared."))
    return redirect(url_for("admin.pin"))


# ---- anyone's PIN (admins only) ---------------------------------------------------------------


def _account_or_404(username: str) -> Staff:
    account = get_staff(get_db(), username)
    if account is None:
        abort(404)
    return account


@blueprint.route("/staff/<username>/pin", methods=["GET", "POST"])
def staff_pin(username: str):
    account = _account_or_404(username)
    form = PinForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, FIELDS) as refusal:
            set_pin(get_db(), username=account.username, pin=form.pin.data, actor=g.staff.username)
            flash(gettext("The check-in PIN of %(name)s is saved.", name=account.username))
            return redirect(url_for("admin.staff_list"))
    return _render(
        form,
        refusal,
        account,
        own=account.username == g.staff.username,
        clear_url=url_for("admin.staff_pin_clear", username=account.username),
        back_url=url_for("admin.staff_list"),
    )


@blueprint.post("/staff/<username>/pin/clear")
def staff_pin_clear(username: str):
    account = _account_or_404(username)
    if not ClearForm().validate_on_submit():
        abort(400)
    if _clear(account):
        flash(gettext("The check-in PIN of %(name)s is cleared.", name=account.username))
    return redirect(url_for("admin.staff_list"))
