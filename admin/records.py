"""A member's points record (积分记录本) on screen, and as a printed statement for the member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from admin.blueprint import blueprint
from admin.forms import at_most, new_request_id, strip
from admin.members import member_or_404
from points.chain import fingerprint
from points.clock import now
from points.ledger import MAX_POINTS_PER_ENTRY, award_points, deduct_points
from points.members import get_member
from points.quarters import locked_quarters
from points.records import PointsRecord, RecordLine, points_record
from points.stars import stars_of_member
from points.validate import MAX_REASON
from web.db import get_db
from web.errors import Refusal, shown_on

KINDS = {
    "award": lazy_gettext("Points awarded"),
    "deduction": lazy_gettext("Points deducted"),
    "redemption": lazy_gettext("Goods redeemed"),
    "reversal": lazy_gettext("Redemption reversed"),
}


class PointsForm(FlaskForm):
    # made with the form: the same form submitted twice (a double click) awards once
    request_id = HiddenField(default=new_request_id)
    kind = RadioField(lazy_gettext("Award or deduct"), default="award")
    points = IntegerField(
        lazy_gettext("Points"),
        validators=[
            InputRequired(lazy_gettext("Please enter the points.")),
            NumberRange(
                1,
                MAX_POINTS_PER_ENTRY,
                lazy_gettext("A whole number from 1 to %(max)s.", max=MAX_POINTS_PER_ENTRY),
            ),
        ],
    )
    reason = StringField(
        lazy_gettext("Reason"),
        validators=[
            DataRequired(lazy_gettext("Please give the reason, e.g. the activity.")),
            at_most(MAX_REASON),
        ],
        filters=[strip],
    )

    corrects = SelectField(
        lazy_gettext("A late correction of a locked quarter"), default="", validate_choice=True
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # set here, not in the field: wtforms warns about tuples given to the field itself
        self.kind.choices = [("award", gettext("Award")), ("deduction", gettext("Deduct"))]
        locked = locked_quarters(get_db())
        self.corrects.choices = [("", gettext("No")), *((name, name) for name in locked)]


@dataclass(frozen=True)
class Statement:
    """The record lines of a date range, with the balances around them and its totals."""

    start: date | None
    end: date | None
    opening: int  # the balance before the first line of the range
    lines: tuple[RecordLine, ...]
    earned: int  # the points added in the range
    used: int  # the points taken away in the range (a positive number)
    closing: int


def statement(record: PointsRecord, start: date | None, end: date | None) -> Statement:
    """Cut a member's record to the days from ``start`` to ``end`` (both included)."""
    opening, lines = 0, []
    for line in record.lines:
        day = date.fromisoformat(line.created[:10])  # the corner's local date of the row
        if start and day < start:
            opening = line.balance
        elif not end or day <= end:
            lines.append(line)
    earned = sum(line.delta for line in lines if line.delta > 0)
    used = -sum(line.delta for line in lines if line.delta < 0)
    closing = lines[-1].balance if lines else opening
    return Statement(start, end, opening, tuple(lines), earned, used, closing)


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


def _record_or_404(number: str) -> PointsRecord:
    """The record of the member the address names, else ``member_unknown`` (404)."""
    return points_record(get_db(), member_or_404(number).number)


def _render_record(number: str, form: PointsForm | None = None, status: int = 200):
    record = _record_or_404(number)
    form = form or PointsForm(formdata=None)
    return render_template(
        "admin/records/member.html",
        record=record,
        kinds=KINDS,
        points_form=form,
        stars=stars_of_member(get_db(), record.member.number),
    ), status


@blueprint.get("/members/<number>/record")
def member_record(number: str):
    return _render_record(number)


@blueprint.post("/members/<number>/points")
def member_points(number: str):
    """Award or deduct points by hand, with a reason; the record shows the new row at once."""
    member = _record_or_404(number).member
    form = PointsForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        change = award_points if form.kind.data == "award" else deduct_points
        with shown_on(form, {"insufficient_points": "points"}) as refusal:
            done = change(
                get_db(),
                number=member.number,
                points=form.points.data,
                reason=form.reason.data,
                corrects=form.corrects.data or None,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            if done.delta > 0:
                message = gettext(
                    "Awarded %(points)s points to %(name)s; balance %(balance)s.",
                    points=done.delta,
                    name=member.name,
                    balance=done.balance,
                )
            else:
                message = gettext(
                    "Deducted %(points)s points from %(name)s; balance %(balance)s.",
                    points=-done.delta,
                    name=member.name,
                    balance=done.balance,
                )
            flash(message)
            return redirect(url_for("admin.member_record", number=member.number))
    if refusal.code == "insufficient_points":  # in plain words: how many there are
        form.points.errors = [
            gettext(
                "%(name)s has only %(balance)s points: %(points)s cannot be deducted.",
                name=member.name,
                balance=get_member(get_db(), member.number).balance,
                points=form.points.data,
            )
        ]
    return _render_record(member.number, form, refusal.status)


@blueprint.get("/members/<number>/record/print")
def member_statement(number: str):
    record = _record_or_404(number)
    start, end = _day("start"), _day("end")
    if start and end and start > end:
        start, end = end, start
    return render_template(
        "admin/records/statement.html",
        record=record,
        statement=statement(record, start, end),
        kinds=KINDS,
        today=now().date(),
        fingerprint=fingerprint(get_db()),
    )
