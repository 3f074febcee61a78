"""The members area: find, register, edit, deactivate and reactivate members."""

from __future__ import annotations

import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Optional

from admin.blueprint import blueprint
from admin.forms import at_most, flash_errors, matches, strip
from points.branches import MAX_BRANCH_NAME, MAX_COMMUNITY_NAME
from points.errors import CornerError
from points.members import (
    MAX_MEMBER_NAME,
    NUMBER_PATTERN,
    PHONE_PATTERN,
    Member,
    add_member,
    edit_member,
    get_member,
    set_member_status,
)
from points.search import search_members
from web.db import get_db
from web.errors import Refusal, shown_on


def _new_request_id() -> str:
    return f"admin-{uuid.uuid4()}"


class MemberForm(FlaskForm):
    # a request id made with the form: submitting it twice (a double click) registers once
    request_id = HiddenField(default=_new_request_id)
    number = StringField(
        lazy_gettext("Member number"),
        validators=[
            DataRequired(lazy_gettext("Please enter the member number.")),
            matches(
                NUMBER_PATTERN,
                lazy_gettext("Up to 20 letters, digits or dashes, e.g. QZ026."),
                ignore_case=True,
            ),
        ],
        filters=[strip],
    )
    name = StringField(
        lazy_gettext("Name"),
        validators=[
            DataRequired(lazy_gettext("Please enter the name.")),
            at_most(MAX_MEMBER_NAME),
        ],
        filters=[strip],
    )
    branch = StringField(
        lazy_gettext("Party branch"),
        validators=[Optional(), at_most(MAX_BRANCH_NAME)],
        filters=[strip],
    )
    community = StringField(
        lazy_gettext("Community"),
        validators=[Optional(), at_most(MAX_COMMUNITY_NAME)],
        filters=[strip],
    )
    phone = StringField(
        lazy_gettext("Phone"),
        validators=[
            Optional(),
            matches(PHONE_PATTERN, lazy_gettext("5 to 20 digits; spaces, + and - are allowed.")),
        ],
        filters=[strip],
    )


class StatusForm(FlaskForm):
    request_id = HiddenField(default=_new_request_id)
    status = HiddenField(validators=[AnyOf(["active", "inactive"])])


# which field a refusal of the core belongs to
FIELDS = {"member_exists": "number"}


def member_or_404(number: str) -> Member:
    """The member a page's address names, else ``member_unknown`` (the error policy's 404).

    A number that cannot be a member number names no member either: that is ``member_unknown``
    too, not the core's ``invalid_request`` (400, "try again"), which would not help anyone.
    """
    try:
        return get_member(get_db(), number)
    except CornerError as error:
        if error.code != "invalid_request":
            raise
        raise CornerError("member_unknown", number=number) from None


@blueprint.get("/members")
def members():
    query = request.args.get("q", "").strip()
    status = request.args.get("status") or None
    found = search_members(get_db(), query=query, status=status)
    return render_template("admin/members/list.html", members=found, query=query, status=status)


@blueprint.route("/members/new", methods=["GET", "POST"])
def member_new():
    form = MemberForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, FIELDS) as refusal:
            member = add_member(
                get_db(),
                number=form.number.data,
                name=form.name.data,
                branch=form.branch.data or None,
                community=form.community.data or None,
                phone=form.phone.data or None,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(
                gettext("Added member %(number)s %(name)s", number=member.number, name=member.name)
            )
            return redirect(url_for("admin.members", q=member.number))
    status = refusal.status if request.method == "POST" else 200  # a POST here was refused
    return render_template("admin/members/form.html", form=form, member=None), status


@blueprint.route("/members/<number>/edit", methods=["GET", "POST"])
def member_edit(number: str):
    member = member_or_404(number)
    form = MemberForm(obj=member)
    form.number.data = member.number  # the number is never edited
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, FIELDS) as refusal:
            edited = edit_member(
                get_db(),
                number=member.number,
                name=form.name.data,
                branch=form.branch.data or None,
                community=form.community.data or None,
                phone=form.phone.data or None,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Saved %(number)s %(name)s", number=edited.number, name=edited.name))
            return redirect(url_for("admin.members", q=edited.number))
    status = refusal.status if request.method == "POST" else 200
    # formdata=None: this form's request id must not be taken from the edit form just posted
    status_form = StatusForm(
        formdata=None, status="inactive" if member.status == "active" else "active"
    )
    return (
        render_template(
            "admin/members/form.html", form=form, member=member, status_form=status_form
        ),
        status,
    )


@blueprint.post("/members/<number>/status")
def member_status(number: str):
    member = member_or_404(number)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    # a button, not a page of its own: refused or not, back to the member's page, which says why
    with shown_on(form):
        changed = set_member_status(
            get_db(),
            number=member.number,
            status=form.status.data,
            request_id=form.request_id.data,
            actor=g.staff.username,
        )
        if changed.status == "active":
            flash(
                gettext(
                    "%(number)s %(name)s is active again", number=changed.number, name=changed.name
                )
            )
        else:
            flash(
                gettext(
                    "%(number)s %(name)s is deactivated", number=changed.number, name=changed.name
                )
            )
    flash_errors(form)  # a refusal put next to the hidden field would not be seen
    return redirect(url_for("admin.member_edit", number=member.number))
