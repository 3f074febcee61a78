"""Staff accounts in the browser (admins only): list, add, reset a password, (de)activate.

No request ids here: the core keys staff changes by user name (a remembered outcome must never
hold a password's hash), and activating twice is the same as once. CSRF still guards each form.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from admin.blueprint import blueprint
from admin.forms import matches, strip
from points.passwords import MAX_PASSWORD, MIN_PASSWORD
from points.staff import (
    ROLES,
    USERNAME_PATTERN,
    Staff,
    add_staff,
    deactivate_staff,
    get_staff,
    list_staff,
    reactivate_staff,
    set_password,
    unlock_staff,
)
from web.auth import login_token
from web.db import get_db
from web.errors import Refusal, shown_on

ROLE_LABELS = {"admin": lazy_gettext("Admin"), "organiser": lazy_gettext("Organiser")}
# which field a refusal of the core belongs to
FIELDS = {"staff_exists": "username", "password_too_short": "password"}


def _lower(value):
    return value.lower() if isinstance(value, str) else value


class PasswordFields(FlaskForm):
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[
            DataRequired(lazy_gettext("Please enter a password.")),
            Length(
                MIN_PASSWORD,
                MAX_PASSWORD,
                lazy_gettext("At least %(min)s characters.", min=MIN_PASSWORD),
            ),
        ],
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[EqualTo("password", lazy_gettext("The two passwords differ."))],
    )


class StaffForm(PasswordFields):
    username = StringField(
        lazy_gettext("User name"),
        validators=[
            DataRequired(lazy_gettext("Please enter a user name.")),
            matches(
                USERNAME_PATTERN,
                lazy_gettext("Up to 40 lower-case letters, digits, dots, dashes or underscores."),
            ),
        ],
        filters=[strip, _lower],
    )
    role = SelectField(lazy_gettext("Role"), default="organiser")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(role, ROLE_LABELS[role]) for role in ROLES]


class StatusForm(FlaskForm):
    status = HiddenField(validators=[AnyOf(["active", "inactive"])])


def _staff_or_404(username: str) -> Staff:
    staff = get_staff(get_db(), username)
    if staff is None:
        abort(404)
    return staff


def _render_list(form: StaffForm | None = None, status: int = 200):
    return render_template(
        "admin/staff/list.html",
        accounts=list_staff(get_db()),
        form=form or StaffForm(formdata=None),
        roles=ROLE_LABELS,
    ), status


@blueprint.get("/staff")
def staff_list():
    return _render_list()


@blueprint.post("/staff/new")
def staff_new():
    form = StaffForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, FIELDS) as refusal:
            added = add_staff(
                get_db(),
                username=form.username.data,
                password=form.password.data,
                role=form.role.data,
                actor=g.staff.username,
            )
            flash(
                gettext(
                    "Added %(name)s (%(role)s).", name=added.username, role=ROLE_LABELS[added.role]
                )
            )
            return redirect(url_for("admin.staff_list"))
    return _render_list(form, refusal.status)


@blueprint.route("/staff/<username>/password", methods=["GET", "POST"])
def staff_password(username: str):
    account = _staff_or_404(username)
    form = PasswordFields()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, FIELDS) as refusal:
            own = account.username == g.staff.username
            set_password(
                get_db(),
                username=account.username,
                password=form.password.data,
                actor=g.staff.username,
                # the new password ends every other login of the account; this one stays
                keep_login=login_token() if own else None,
            )
            if own:
                flash(gettext("Your password is changed. Your other logins have ended."))
            else:
                flash(gettext("The password of %(name)s is changed.", name=account.username))
            return redirect(url_for("admin.staff_list"))
    status = refusal.status if form.is_submitted() else 200
    return render_template("admin/staff/password.html", form=form, account=account), status


@blueprint.post("/staff/<username>/unlock")
def staff_unlock(username: str):
    """Lift an account's lock-out after wrong passwords (any admin, for any account)."""
    account = _staff_or_404(username)
    with shown_on(FlaskForm()):  # a button, checked by the app's CSRF protection
        unlock_staff(get_db(), username=account.username, actor=g.staff.username)
        flash(gettext("%(name)s may log in again now.", name=account.username))
    return redirect(url_for("admin.staff_list"))


@blueprint.post("/staff/<username>/status")
def staff_status(username: str):
    account = _staff_or_404(username)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    change = reactivate_staff if form.status.data == "active" else deactivate_staff
    # a button: refused (staff_self, staff_last_admin) or not, back to the list, which says why
    with shown_on(form):
        changed = change(get_db(), username=account.username, actor=g.staff.username)
        if changed.active:
            flash(gettext("%(name)s can log in again.", name=changed.username))
        else:
            flash(gettext("%(name)s is deactivated and cannot log in.", name=changed.username))
    return redirect(url_for("admin.staff_list"))
