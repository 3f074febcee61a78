"""Point standards (积分标准, admins only): activity categories and deduction reasons with their
points; edit the points, retire one, or add one."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from admin.activities import KIND_LABELS, LABELS, POINTS_RANGE
from admin.blueprint import blueprint
from admin.goods import new_request_id, show_refusal, strip
from points.activities import MAX_STANDARD_POINTS, add_category, edit_category, list_categories
from points.errors import MESSAGES, CornerError
from web.db import get_db


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
            Length(max=40, message=lazy_gettext("At most 40 characters.")),
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
    if form.validate_on_submit():
        try:
            category = add_category(
                get_db(),
                name=form.name.data,
                points=form.points.data,
                kind=form.kind.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
        except CornerError as error:
            show_refusal(form, error, {"category_exists": "name"})
        else:
            flash(gettext("Added %(name)s.", name=category.name))
            return redirect(url_for("admin.standards"))
    return _render_standards(form, 400)


@blueprint.post("/standards/<int:category_id>")
def standard_edit(category_id: int):
    form = CategoryForm(prefix=f"c{category_id}")
    if form.validate_on_submit():
        try:
            category = edit_category(
                get_db(),
                category_id=category_id,
                points=form.points.data,
                active=bool(form.active.data),
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
        except CornerError as error:
            if error.code == "category_unknown":
                abort(404)
            flash(gettext(MESSAGES[error.code]), "error")
        else:
            flash(gettext("Saved %(name)s", name=category.name))
            return redirect(url_for("admin.standards"))
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return _render_standards(status=400)
