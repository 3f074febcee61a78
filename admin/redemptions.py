"""Redemptions: a filtered list, and reversing one (points and stock back) with a reason."""

from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired

from admin.blueprint import blueprint
from admin.forms import at_most, new_request_id, strip
from points.corners import list_corners
from points.redemptions import reverse_redemption
from points.reports import list_redemptions, redemption_detail
from points.validate import MAX_REASON
from web.db import get_db
from web.errors import Refusal, shown_on

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReverseForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    reason = StringField(
        lazy_gettext("Reason"),
        validators=[
            DataRequired(lazy_gettext("Please give the reason for the reversal.")),
            at_most(MAX_REASON),
        ],
        filters=[strip],
    )


def _date(name: str) -> str | None:
    """A YYYY-MM-DD filter from the query string; anything else is ignored."""
    value = request.args.get(name, "").strip()
    return value if _DATE.match(value) else None


@blueprint.get("/redemptions")
def redemptions():
    corners = list_corners(get_db())
    filters = {
        "member": request.args.get("member", "").strip()[:40],
        "since": _date("since"),
        "until": _date("until"),
        "corner": request.args.get("corner", type=int),
    }
    found = list_redemptions(
        get_db(),
        member=filters["member"] or None,
        since=filters["since"],
        until=filters["until"],
        corner_id=filters["corner"],
    )
    return render_template(
        "admin/redemptions/list.html", redemptions=found, filters=filters, corners=corners
    )


@blueprint.route("/redemptions/<int:redemption_id>/reverse", methods=["GET", "POST"])
def redemption_reverse(redemption_id: int):
    detail = redemption_detail(get_db(), redemption_id)
    form = ReverseForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    # an already reversed one is still posted to the core: a repeat of the very form that
    # reversed it (a double click) gets the first outcome back, any other form is refused
    if form.validate_on_submit():
        # already_reversed (another admin was quicker) has no field: it is said above the page
        with shown_on(form, {"request_conflict": "reason"}) as refusal:
            reversal = reverse_redemption(
                get_db(),
                redemption_id=detail.id,
                reason=form.reason.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(
                gettext(
                    "Reversed redemption %(id)s: %(points)s points back to %(number)s,"
                    " balance now %(balance)s; the goods are back in stock.",
                    id=reversal.redemption_id,
                    points=reversal.points,
                    number=reversal.member_number,
                    balance=reversal.balance,
                )
            )
            return redirect(url_for("admin.redemptions", member=reversal.member_number))
        if refusal.code == "already_reversed":  # the page shows the reversal that was quicker
            return redirect(url_for("admin.redemption_reverse", redemption_id=detail.id))
    status = refusal.status if request.method == "POST" else 200
    return render_template("admin/redemptions/reverse.html", detail=detail, form=form), status
