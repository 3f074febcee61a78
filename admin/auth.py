"""Logging in and out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from admin.blueprint import blueprint
from admin.forms import at_most
from points.passwords import MAX_PASSWORD
from points.staff import MAX_USERNAME, authenticate
from web.auth import client_address, end_login, organiser_allowed, public, start_login
from web.db import get_db
from web.errors import shown_on


class LoginForm(FlaskForm):
    username = StringField(
        lazy_gettext("User name"),
        validators=[
            InputRequired(lazy_gettext("Please enter your user name.")),
            at_most(MAX_USERNAME),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[
            InputRequired(lazy_gettext("Please enter your password.")),
            at_most(MAX_PASSWORD),
        ],
    )


def safe_next(target: str | None) -> str:
    """Where to go after logging in: an admin or check-in page of this site, never elsewhere."""
    if (
        target
        and target.startswith(("/admin", "/checkin"))
        and not target.startswith("/admin/login")
    ):
        if "//" not in target and "\\" not in target:
            return target
    return url_for("admin.home")


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        fields = {"login_failed": "password", "login_locked": "password"}
        with shown_on(form, fields) as refusal:
            staff = authenticate(
                get_db(),
                username=form.username.data,
                password=form.password.data,
                address=client_address(),
            )
            start_login(staff)
            return redirect(safe_next(request.args.get("next")))
        status = refusal.status
    elif form.errors:
        status = 400
    return render_template("admin/login.html", form=form), status


@blueprint.post("/logout")
@organiser_allowed
def logout():
    end_login()
    flash(gettext("You are logged out."))
    return redirect(url_for("admin.login"))
