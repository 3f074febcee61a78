"""Stock of a good at a corner: restock, a count's correction, the low-stock threshold and list."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from admin.blueprint import blueprint
from admin.forms import at_most, new_request_id, strip
from admin.goods import chosen_corner
from points.goods import MAX_QUANTITY, goods_detail
from points.stock import (
    RESTOCK_SOURCES,
    correct_stock,
    low_stock,
    restock,
    set_low_threshold,
    stock_history,
)
from points.validate import MAX_REASON
from web.db import get_db
from web.errors import Refusal, shown_on

SOURCE_LABELS = {
    "purchase": lazy_gettext("Purchase"),
    "donation": lazy_gettext("Donation"),
    "other": lazy_gettext("Other"),
}
KIND_LABELS = {
    "restock": lazy_gettext("Restock"),
    "redemption": lazy_gettext("Redemption"),
    "correction": lazy_gettext("Count correction"),
    "reversal": lazy_gettext("Reversal"),
}


def _quantity_range(low: int) -> NumberRange:
    return NumberRange(
        low,
        MAX_QUANTITY,
        lazy_gettext("A whole number from %(min)s to %(max)s.", min=low, max=MAX_QUANTITY),
    )


class RestockForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    quantity = IntegerField(
        lazy_gettext("Quantity"),
        validators=[InputRequired(lazy_gettext("Please enter how many.")), _quantity_range(1)],
    )
    source = SelectField(lazy_gettext("Source"), default="purchase")
    note = StringField(
        lazy_gettext("Note"),
        validators=[Optional(), at_most(MAX_REASON)],
        filters=[strip],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.source.choices = [(source, SOURCE_LABELS[source]) for source in RESTOCK_SOURCES]


class CountForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    counted = IntegerField(
        lazy_gettext("Counted on the shelf"),
        validators=[
            InputRequired(lazy_gettext("Please enter the number counted.")),
            _quantity_range(0),
        ],
    )
    note = StringField(
        lazy_gettext("Why it differs"),
        id="count-note",  # the restock form beside it has a note too
        validators=[
            DataRequired(lazy_gettext("Please say why, e.g. broken, or counted wrong before.")),
            at_most(MAX_REASON),
        ],
        filters=[strip],
    )


class ThresholdForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    threshold = IntegerField(
        lazy_gettext("Low when at or below"),
        validators=[
            InputRequired(lazy_gettext("Please enter a number (0: never low).")),
            _quantity_range(0),
        ],
    )


def _render_stock(goods_id: int, status: int = 200, **posted: FlaskForm):
    """The stock page; the form just posted (with its errors) replaces its fresh copy."""
    corner, corners = chosen_corner()
    item = goods_detail(get_db(), goods_id, corner_id=corner.id)
    forms = {
        "restock_form": RestockForm(formdata=None),
        "count_form": CountForm(formdata=None, counted=item.stock),
        "threshold_form": ThresholdForm(formdata=None, threshold=item.low_threshold),
        **posted,
    }
    history = stock_history(get_db(), goods_id=item.id, corner_id=corner.id)
    return (
        render_template(
            "admin/goods/stock.html",
            item=item,
            corner=corner,
            corners=corners,
            history=history,
            sources=SOURCE_LABELS,
            kinds=KIND_LABELS,
            **forms,
        ),
        status,
    )


def _done(goods_id: int, message: str):
    corner, _corners = chosen_corner()
    flash(message)
    return redirect(url_for("admin.goods_stock", goods_id=goods_id, corner=corner.id))


@blueprint.get("/goods/<int:goods_id>/stock")
def goods_stock(goods_id: int):
    return _render_stock(goods_id)


@blueprint.post("/goods/<int:goods_id>/restock")
def goods_restock(goods_id: int):
    corner, _corners = chosen_corner()
    item = goods_detail(get_db(), goods_id, corner_id=corner.id)
    form = RestockForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            change = restock(
                get_db(),
                goods_id=item.id,
                quantity=form.quantity.data,
                source=form.source.data,
                note=form.note.data or None,
                request_id=form.request_id.data,
                actor=g.staff.username,
                corner_id=corner.id,
            )
            return _done(
                item.id,
                gettext(
                    "Added %(quantity)s × %(name)s; %(on_hand)s in stock now.",
                    quantity=change.delta,
                    name=change.name,
                    on_hand=change.on_hand,
                ),
            )
    return _render_stock(goods_id, refusal.status, restock_form=form)


@blueprint.post("/goods/<int:goods_id>/count")
def goods_count(goods_id: int):
    corner, _corners = chosen_corner()
    item = goods_detail(get_db(), goods_id, corner_id=corner.id)
    form = CountForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            result = correct_stock(
                get_db(),
                goods_id=item.id,
                counted=form.counted.data,
                note=form.note.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
                corner_id=corner.id,
            )
            if result["delta"]:
                message = gettext(
                    "Stock of %(name)s corrected by %(delta)+d to %(on_hand)s.",
                    name=item.name,
                    delta=result["delta"],
                    on_hand=result["on_hand"],
                )
            else:
                message = gettext(
                    "The count agrees: %(on_hand)s × %(name)s. Nothing to correct.",
                    name=item.name,
                    on_hand=result["on_hand"],
                )
            return _done(item.id, message)
    return _render_stock(goods_id, refusal.status, count_form=form)


@blueprint.post("/goods/<int:goods_id>/threshold")
def goods_threshold(goods_id: int):
    corner, _corners = chosen_corner()
    item = goods_detail(get_db(), goods_id, corner_id=corner.id)
    form = ThresholdForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            set_low_threshold(
                get_db(),
                goods_id=item.id,
                threshold=form.threshold.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
                corner_id=corner.id,
            )
            return _done(
                item.id, gettext("Saved the low-stock threshold of %(name)s.", name=item.name)
            )
    return _render_stock(goods_id, refusal.status, threshold_form=form)


@blueprint.get("/goods/low")
def goods_low():
    corner, corners = chosen_corner()
    return render_template(
        "admin/goods/low.html",
        low=low_stock(get_db(), corner_id=corner.id),
        corner=corner,
        corners=corners,
    )
