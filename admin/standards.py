"""Point standards (积分标准, admins only): activity categories and deduction reasons with their
points; edit the points, retire one, or add one."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from admin.activities import KIND_LABELS, LABELS, POINTS_RANGE
from admin.blueprint import blueprint
from admin.forms import at_most, flash_errors, new_request_id, strip
from points.activities import (
    MAX_CATEGORY_NAME,
    MAX_STANDARD_POINTS,
    add_category,
    edit_category,
    get_category,
    list_categories,
)
from web.db import get_db
from web.errors import Refusal, shown_on


class CategoryForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    points = IntegerField(
        lazy_gettext("Points"),
        validators=[
            InputRequired(lazy_gettext("Please enter the points.")),
            NumberRange(1, MAX_STANDARD_POINTS, POINTS_RANGE),
        ],
    )
    active = BooleanField(lazy_gettext("In use"), default=True)


class NewCategoryForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    name = StringField(
        lazy_gettext("Name"),
        validators=[
            DataRequired(lazy_gettext("Please enter a name.")),
            at_most(MAX_CATEGORY_NAME),
        ],
        filters=[strip],
    )
    points = IntegerField(
        lazy_gettext("Points"),
        validators=[
            InputRequired(lazy_gettext("Please enter the points.")),
            NumberRange(1, MAX_STANDARD_POINTS, POINTS_RANGE),
        ],
    )
    kind = SelectField(lazy_gettext("Kind"), default="award", validate_choice=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = list(KIND_LABELS.items())


def _render_standards(new_form: NewCategoryForm | None = None, status: int = 200):
    categories = list_categories(get_db(), include_inactive=True)
    forms = {
        category.id: CategoryForm(formdata=None, prefix=f"c{category.id}", obj=category)
        for category in categories
    }
    return (
        render_template(
            "admin/activities/standards.html",
            categories=categories,
            forms=forms,
            new_form=new_form or NewCategoryForm(formdata=None),
            labels=LABELS,
        ),
        status,
    )


@blueprint.get("/standards")
def standards():
    return _render_standards()


@blueprint.post("/standards")
def standard_new():
    form = NewCategoryForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, {"category_exists": "name"}) as refusal:
            category = add_category(
                get_db(),
                name=form.name.data,
                points=form.points.data,
                kind=form.kind.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Added %(name)s.", name=category.name))
            return redirect(url_for("admin.standards"))
    return _render_standards(form, refusal.status)


@blueprint.post("/standards/<int:category_id>")
def standard_edit(category_id: int):
    get_category(get_db(), category_id)  # an unknown one is the error policy's 404 page
    form = CategoryForm(prefix=f"c{category_id}")
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            category = edit_category(
                get_db(),
                category_id=category_id,
                points=form.points.data,
                active=bool(form.active.data),
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Saved %(name)s", name=category.name))
            return redirect(url_for("admin.standards"))
    flash_errors(form)  # the page shows every category's form afresh: say the errors above it
    return _render_standards(status=refusal.status)
