"""Communities and their party branches (with member counts), and the exchange corners."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from admin.blueprint import blueprint
from admin.forms import new_request_id, strip
from points.branches import (
    MAX_BRANCH_NAME,
    MAX_COMMUNITY_NAME,
    add_branch,
    add_community,
    get_branch,
    get_community,
    list_communities,
    rename_branch,
    rename_community,
)
from points.corners import MAX_CORNER_NAME, add_corner, list_corners
from web.db import get_db
from web.errors import Refusal, shown_on
from web.instance import current_instance

NAME_FIELDS = {code: "name" for code in ("community_exists", "branch_exists", "corner_exists")}


def _name_field(label, limit: int) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(lazy_gettext("Please enter a name.")),
            Length(max=limit, message=lazy_gettext("At most %(max)s characters.", max=limit)),
        ],
        filters=[strip],
    )


class CommunityForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    name = _name_field(lazy_gettext("Community"), MAX_COMMUNITY_NAME)


class BranchForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    community = SelectField(lazy_gettext("In community"), coerce=int)
    name = _name_field(lazy_gettext("Party branch"), MAX_BRANCH_NAME)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.community.choices = [(c.id, c.name) for c in list_communities(get_db())]


class RenameForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    name = _name_field(lazy_gettext("New name"), max(MAX_BRANCH_NAME, MAX_COMMUNITY_NAME))


class CornerForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    name = _name_field(lazy_gettext("Name of the corner"), MAX_CORNER_NAME)


def _render_branches(status: int = 200, **posted: FlaskForm):
    # a form not being posted gets no formdata: it must not take the posted request id
    forms = {
        "community_form": CommunityForm(formdata=None, prefix="community"),
        "branch_form": BranchForm(formdata=None, prefix="branch"),
        **posted,
    }
    communities = list_communities(get_db())
    return render_template("admin/branches/list.html", communities=communities, **forms), status


@blueprint.get("/branches")
def branches():
    return _render_branches()


@blueprint.post("/communities/new")
def community_new():
    form = CommunityForm(prefix="community")
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, NAME_FIELDS) as refusal:
            added = add_community(
                get_db(),
                name=form.name.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Added the community %(name)s.", name=added["name"]))
            return redirect(url_for("admin.branches"))
    return _render_branches(refusal.status, community_form=form)


@blueprint.post("/branches/new")
def branch_new():
    form = BranchForm(prefix="branch")
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, NAME_FIELDS) as refusal:
            added = add_branch(
                get_db(),
                community_id=form.community.data,
                name=form.name.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Added the party branch %(name)s.", name=added["name"]))
            return redirect(url_for("admin.branches"))
    return _render_branches(refusal.status, branch_form=form)


def _rename(form: RenameForm, rename, heading: str, **key: int):
    """The rename page of a community or a branch: one name field, then back to the list."""
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, NAME_FIELDS) as refusal:
            renamed = rename(
                get_db(),
                name=form.name.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
                **key,
            )
            flash(gettext("Renamed to %(name)s.", name=renamed["name"]))
            return redirect(url_for("admin.branches"))
    status = refusal.status if request.method == "POST" else 200
    return render_template("admin/branches/rename.html", form=form, heading=heading), status


@blueprint.route("/communities/<int:community_id>/rename", methods=["GET", "POST"])
def community_rename(community_id: int):
    community = get_community(get_db(), community_id)
    form = RenameForm(data={"name": community.name} if request.method == "GET" else None)
    heading = gettext("Rename the community %(name)s", name=community.name)
    return _rename(form, rename_community, heading, community_id=community.id)


@blueprint.route("/branches/<int:branch_id>/rename", methods=["GET", "POST"])
def branch_rename(branch_id: int):
    branch = get_branch(get_db(), branch_id)
    form = RenameForm(data={"name": branch.name} if request.method == "GET" else None)
    heading = gettext("Rename the party branch %(name)s", name=branch.name)
    return _rename(form, rename_branch, heading, branch_id=branch.id)


# -- corners -----------------------------------------------------------------------------------


def _render_corners(form: CornerForm | None = None, status: int = 200):
    return render_template(
        "admin/corners.html",
        corners=list_corners(get_db()),
        own=current_instance().settings.corner,
        form=form or CornerForm(formdata=None),
    ), status


@blueprint.get("/corners")
def corners():
    return _render_corners()


@blueprint.post("/corners/new")
def corner_new():
    form = CornerForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, NAME_FIELDS) as refusal:
            added = add_corner(
                get_db(),
                name=form.name.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(
                gettext("Added the corner %(name)s (number %(id)s).", name=added.name, id=added.id)
            )
            return redirect(url_for("admin.corners"))
    return _render_corners(form, refusal.status)
