"""Where am I logged in: an account's open logins, each with an end button, and "log out
everywhere".

Anyone sees and ends their own logins at /admin/logins (all but this one at once, too); an admin
sees and ends anyone's from the staff list. Ending a login ends every copy of its cookie at once
(``points.logins``).
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from admin.blueprint import blueprint
from points.logins import PIN, end_login_of, log_out_everywhere, open_logins
from points.staff import get_staff
from web.auth import current_login_id, login_limits, login_token, organiser_allowed
from web.db import get_db
from web.errors import shown_on


def _when(moment: float) -> str:
    return datetime.fromtimestamp(moment).astimezone().strftime("%Y-%m-%d %H:%M")


def _rows(username: str) -> list[dict]:
    this_login = current_login_id()
    return [
        {
            "login": login,
            "pin": login.kind == PIN,
            "created": _when(login.created),
            "last_seen": _when(login.last_seen),
            "this": login.id == this_login and login.username == g.staff.username,
        }
        for login in open_logins(get_db(), username=username, limits=login_limits())
    ]


def _render(username: str, *, own: bool):
    return render_template(
        "admin/staff/logins.html",
        username=username,
        own=own,
        logins=_rows(username),
    )


def _end_one(username: str, login: int) -> None:
    with shown_on(FlaskForm()):  # a button, checked by the app's CSRF protection
        end_login_of(get_db(), username=username, login_id=login, actor=g.staff.username)
        flash(gettext("The login is ended."))


@blueprint.get("/logins")
@organiser_allowed
def my_logins():
    return _render(g.staff.username, own=True)


@blueprint.post("/logins/<int:login_id>/end")
@organiser_allowed
def my_login_end(login_id: int):
    _end_one(g.staff.username, login_id)
    return redirect(url_for("admin.my_logins"))


@blueprint.post("/logins/end")
@organiser_allowed
def my_logins_end():
    """Log out everywhere else: every login of one's own but this one."""
    with shown_on(FlaskForm()):
        ended = log_out_everywhere(
            get_db(), username=g.staff.username, actor=g.staff.username, keep=login_token()
        )
        flash(gettext("Logged out everywhere else (%(n)s logins ended).", n=ended))
    return redirect(url_for("admin.my_logins"))


def _account_or_404(username: str) -> str:
    account = get_staff(get_db(), username)
    if account is None:
        abort(404)
    return account.username


@blueprint.get("/staff/<username>/logins")
def staff_logins(username: str):
    return _render(_account_or_404(username), own=False)


@blueprint.post("/staff/<username>/logins/<int:login_id>/end")
def staff_login_end(username: str, login_id: int):
    account = _account_or_404(username)
    _end_one(account, login_id)
    return redirect(url_for("admin.staff_logins", username=account))


@blueprint.post("/staff/<username>/logins/end")
def staff_logins_end(username: str):
    """Log an account out everywhere (an admin, e.g. for a lost phone), this browser too."""
    account = _account_or_404(username)
    with shown_on(FlaskForm()):
        ended = log_out_everywhere(get_db(), username=account, actor=g.staff.username)
        flash(
            gettext(
                "%(name)s is logged out everywhere (%(n)s logins ended).", name=account, n=ended
            )
        )
    return redirect(url_for("admin.staff_logins", username=account))
