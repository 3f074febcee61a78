"""The goods area: the catalogue, adding and editing a good with its picture, per-member limits."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from admin.blueprint import blueprint
from admin.forms import at_most, new_request_id, strip, whole_number
from points.corners import Corner, list_corners
from points.errors import CornerError
from points.goods import (
    MAX_GOODS_CATEGORY,
    MAX_GOODS_NAME,
    MAX_POINTS,
    add_goods,
    goods_detail,
    list_goods,
    update_goods,
)
from points.limits import MAX_LIMIT_QUANTITY, PERIODS, set_goods_limit
from web.auth import accepts_uploads
from web.context import page_context
from web.db import get_db
from web.errors import Refusal, shown_on
from web.instance import current_instance
from web.pictures import MAX_BYTES, prepare_picture, save_picture

# an upload a little over the picture limit still reaches the form, which then says "too large"
# next to the field; a bigger one meets the 413 page
UPLOAD_BYTES = 3 * MAX_BYTES

PERIOD_LABELS = {
    "month": lazy_gettext("a month"),
    "quarter": lazy_gettext("a quarter"),
    "year": lazy_gettext("a year"),
}
PICTURE_MESSAGES = {
    "too_large": lazy_gettext("This file is too large: a picture may be at most 10 MB."),
    "too_many_pixels": lazy_gettext(
        "This picture is too large: at most 40 megapixels (for example 8000 × 5000)."
    ),
    "not_a_picture": lazy_gettext("This file is not a picture. Please choose a PNG or JPEG."),
}


def chosen_corner() -> tuple[Corner, list[Corner]]:
    """The corner named by ?corner=, else this page's; and every corner, for a selector."""
    corners = list_corners(get_db())
    wanted = request.args.get("corner", type=int) or page_context().corner_id
    for corner in corners:
        if corner.id == wanted:
            return corner, corners
    abort(404)


class GoodsForm(FlaskForm):
    # made with the form: the same form submitted twice (a double click) acts once
    request_id = HiddenField(default=new_request_id)
    name = StringField(
        lazy_gettext("Item name"),
        validators=[
            DataRequired(lazy_gettext("Please enter the name of the item.")),
            at_most(MAX_GOODS_NAME),
        ],
        filters=[strip],
    )
    points = IntegerField(
        lazy_gettext("Points"),
        validators=[
            InputRequired(lazy_gettext("Please enter the price in points.")),
            NumberRange(
                1, MAX_POINTS, lazy_gettext("A whole number from 1 to %(max)s.", max=MAX_POINTS)
            ),
        ],
    )
    category = StringField(
        lazy_gettext("Category"),
        validators=[Optional(), at_most(MAX_GOODS_CATEGORY)],
        filters=[strip],
    )
    active = BooleanField(lazy_gettext("Shown at the kiosk"), default=True)
    picture = FileField(lazy_gettext("Picture (PNG or JPEG, at most 10 MB)"))

    prepared: tuple[str, bytes] | None = None  # the checked picture: (file name, PNG bytes)

    def validate_picture(self, field) -> None:
        """Check (and shrink) an uploaded picture with the form; it is stored only on saving."""
        self.prepared = None
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        try:
            self.prepared = prepare_picture(upload.stream.read(MAX_BYTES + 1))
        except CornerError as error:  # which of PICTURE_MESSAGES says why is in its details
            reason = error.details.get("reason", "not_a_picture")
            raise ValidationError(PICTURE_MESSAGES[reason]) from None


class LimitForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    quantity = IntegerField(
        lazy_gettext("How many per member"),
        validators=[
            InputRequired(lazy_gettext("Please enter how many.")),
            whole_number(MAX_LIMIT_QUANTITY),
        ],
    )
    period = SelectField(
        lazy_gettext("In"), choices=list(PERIODS), default="quarter", validate_choice=True
    )
    lift = SubmitField(lazy_gettext("Lift the limit"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.period.choices = [(period, PERIOD_LABELS[period]) for period in PERIODS]
        if self.lift.data:  # lifting needs no quantity
            self.quantity.validators = [Optional()]


def _save_goods(form: GoodsForm, write):
    """Store the checked picture, then the good; a good refused takes a picture it stored along."""
    if form.prepared is None:
        return write(None)
    name, png = form.prepared
    new_file = save_picture(name, png, current_instance().pictures)
    try:
        return write(name)
    except Exception:
        if new_file:  # the good was not saved: neither is its picture
            (current_instance().pictures / name).unlink(missing_ok=True)
        raise  # the refusal goes on to the form (shown_on)


# which field a refusal of the core belongs to
GOODS_FIELDS = {"goods_exists": "name"}


@blueprint.get("/goods")
def goods():
    corner, corners = chosen_corner()
    items = list_goods(get_db(), corner_id=corner.id)
    return render_template(
        "admin/goods/list.html",
        goods=items,
        corner=corner,
        corners=corners,
        periods=PERIOD_LABELS,
    )


@blueprint.route("/goods/new", methods=["GET", "POST"])
@accepts_uploads(UPLOAD_BYTES)
def goods_new():
    form = GoodsForm()
    refusal = Refusal()  # a form that fails its own checks (a bad picture too) answers 400
    if form.validate_on_submit():
        with shown_on(form, GOODS_FIELDS) as refusal:
            added = _save_goods(
                form,
                lambda picture: add_goods(
                    get_db(),
                    name=form.name.data,
                    points=form.points.data,
                    category=form.category.data or None,
                    picture=picture,
                    request_id=form.request_id.data,
                    actor=g.staff.username,
                    corner_id=page_context().corner_id,
                    active=bool(form.active.data),
                ),
            )
            flash(gettext("Added %(name)s. Now restock it.", name=added.name))
            return redirect(url_for("admin.goods_stock", goods_id=added.id))
    status = refusal.status if request.method == "POST" else 200
    return render_template("admin/goods/form.html", form=form, item=None), status


@blueprint.route("/goods/<int:goods_id>/edit", methods=["GET", "POST"])
@accepts_uploads(UPLOAD_BYTES)
def goods_edit(goods_id: int):
    item = goods_detail(get_db(), goods_id)
    form = GoodsForm(obj=item)
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, GOODS_FIELDS) as refusal:
            edited = _save_goods(
                form,
                lambda picture: update_goods(
                    get_db(),
                    goods_id=item.id,
                    name=form.name.data,
                    points=form.points.data,
                    category=form.category.data or None,
                    active=bool(form.active.data),
                    picture=picture,
                    request_id=form.request_id.data,
                    actor=g.staff.username,
                ),
            )
            flash(gettext("Saved %(name)s", name=edited.name))
            return redirect(url_for("admin.goods"))
    status = refusal.status if request.method == "POST" else 200
    return _render_edit(item, form=form), status


def _render_edit(item, *, form: GoodsForm | None = None, limit_form: LimitForm | None = None):
    # formdata=None: a form not being posted must not take the posted request id
    if form is None:
        form = GoodsForm(formdata=None, obj=item)
    if limit_form is None:
        limit_form = LimitForm(
            formdata=None, quantity=item.limit_quantity, period=item.limit_period or "quarter"
        )
    return render_template(
        "admin/goods/form.html",
        form=form,
        item=item,
        limit_form=limit_form,
        periods=PERIOD_LABELS,
    )


@blueprint.post("/goods/<int:goods_id>/limit")
def goods_limit(goods_id: int):
    item = goods_detail(get_db(), goods_id)
    form = LimitForm()
    refusal = Refusal()
    if form.validate_on_submit():
        lift = bool(form.lift.data)
        with shown_on(form) as refusal:
            set_goods_limit(
                get_db(),
                goods_id=item.id,
                quantity=None if lift else form.quantity.data,
                period=None if lift else form.period.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            if lift:
                flash(gettext("%(name)s has no limit now.", name=item.name))
            else:
                flash(
                    gettext(
                        "%(name)s: at most %(quantity)s per member in %(period)s.",
                        name=item.name,
                        quantity=form.quantity.data,
                        period=PERIOD_LABELS[form.period.data],
                    )
                )
            return redirect(url_for("admin.goods_edit", goods_id=item.id))
    return _render_edit(item, limit_form=form), refusal.status
