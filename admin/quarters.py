"""The quarter's pages (admins): review (核实), settlement, posting with objections, the lock,
star thresholds and the star of the quarter (一季度之星)."""

from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from admin.blueprint import blueprint
from admin.charts import quarter_points_chart, stars_chart
from admin.exports import workbook
from admin.forms import at_most, flash_errors, matches, new_request_id, strip, whole_number
from points.branches import list_communities
from points.ledger import MAX_POINTS_PER_ENTRY
from points.members import NUMBER_PATTERN
from points.objections import MAX_RAISED_BY, list_objections, raise_objection, resolve_objection
from points.periods import previous_quarter
from points.quarters import (
    DEFAULT_POSTING_DAYS,
    MAX_CONTACT,
    MAX_POSTING_DAYS,
    begin_review,
    get_quarter,
    list_quarters,
    lock_quarter,
    post_quarter,
    reopen_review,
)
from points.review import review_quarter
from points.settlement import branch_totals, points_by_quarter, settlement
from points.stars import (
    LEVELS,
    MAX_THRESHOLD,
    choose_quarter_star,
    quarter_stars,
    set_star_thresholds,
    star_thresholds,
)
from points.validate import MAX_REASON
from web.auth import organiser_allowed
from web.db import get_db
from web.errors import Refusal, shown_on

STATUS_LABELS = {
    "open": lazy_gettext("Open"),
    "review": lazy_gettext("Under review"),
    "posted": lazy_gettext("Posted"),
    "locked": lazy_gettext("Locked"),
}
# the moves a quarter can make from each state: (form action, button label)
MOVES = {
    "open": [("review", lazy_gettext("Start the review"))],
    "review": [],  # posting has its own form (days, contact)
    "posted": [
        ("reopen", lazy_gettext("Back to the review")),
        ("lock", lazy_gettext("Lock the quarter")),
    ],
    "locked": [],
}
MOVE_CALLS = {"review": begin_review, "reopen": reopen_review, "lock": lock_quarter}
MOVED = {
    "review": lazy_gettext("The review of %(quarter)s has started."),
    "reopen": lazy_gettext("%(quarter)s is back under review; its board is taken down."),
    "lock": lazy_gettext("%(quarter)s is locked."),
}
NO_BRANCH = lazy_gettext("No party branch")
SHEET_HEADER = [
    lazy_gettext(word)
    for word in (
        "Rank",
        "Number",
        "Name",
        "Start",
        "Earned",
        "Deducted",
        "Redeemed",
        "Given back",
        "End",
        "Quarter",
        "Year",
        "Since joining",
        "Stars",
        "Star of the quarter",
    )  # fmt: skip
]
_NUMBER = lazy_gettext("Up to 20 letters, digits or dashes, e.g. QZ026.")


class MoveForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)


class PostForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    working_days = IntegerField(
        lazy_gettext("Posting period (working days)"),
        default=DEFAULT_POSTING_DAYS,
        validators=[InputRequired(), whole_number(MAX_POSTING_DAYS)],
    )
    contact = StringField(
        lazy_gettext("Objections to (person or office)"),
        validators=[Optional(), at_most(MAX_CONTACT)],
        filters=[strip],
    )


class StarsForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    star1 = IntegerField("★", validators=[InputRequired(), whole_number(MAX_THRESHOLD)])
    star2 = IntegerField("★★", validators=[InputRequired(), whole_number(MAX_THRESHOLD)])
    star3 = IntegerField("★★★", validators=[InputRequired(), whole_number(MAX_THRESHOLD)])
    star4 = IntegerField("★★★★", validators=[InputRequired(), whole_number(MAX_THRESHOLD)])
    star5 = IntegerField("★★★★★", validators=[InputRequired(), whole_number(MAX_THRESHOLD)])


class ObjectionForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    number = StringField(
        lazy_gettext("Member number"),
        validators=[DataRequired(), matches(NUMBER_PATTERN, _NUMBER, ignore_case=True)],
        filters=[strip],
    )
    raised_by = StringField(
        lazy_gettext("Raised by"),
        validators=[DataRequired(), at_most(MAX_RAISED_BY)],
        filters=[strip],
    )
    text = StringField(
        lazy_gettext("What it says"),
        validators=[DataRequired(), at_most(MAX_REASON)],
        filters=[strip],
    )


class ResolveForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    reply = StringField(
        lazy_gettext("Reply (the reason)"),
        validators=[DataRequired(), at_most(MAX_REASON)],
        filters=[strip],
    )
    correction = IntegerField(
        lazy_gettext("Correction in points (+ or −; empty: none)"),
        validators=[
            Optional(),
            NumberRange(
                -MAX_POINTS_PER_ENTRY,
                MAX_POINTS_PER_ENTRY,
                lazy_gettext("A whole number from -%(max)s to %(max)s.", max=MAX_POINTS_PER_ENTRY),
            ),
        ],
    )


class StarPickForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    number = HiddenField(validators=[DataRequired()])
    reason = StringField(
        lazy_gettext("Why (one line)"),
        validators=[DataRequired(), at_most(MAX_REASON)],
        filters=[strip],
    )


@blueprint.get("/quarters")
def quarters():
    db = get_db()
    items = list_quarters(db)
    waiting = {
        item.quarter: sum(1 for entry in list_objections(db, item.quarter) if not entry.resolved)
        for item in items
    }
    return render_template(
        "admin/quarters/list.html", quarters=items, waiting=waiting, labels=STATUS_LABELS
    )


def _render_quarter(quarter: str, status: int = 200, **forms):
    db = get_db()
    item = get_quarter(db, quarter)
    branch_id = request.args.get("branch", type=int)
    lines = settlement(db, item.quarter)
    shown = [line for line in lines if branch_id is None or line.branch_id == branch_id]
    thresholds = item.stars or star_thresholds(db, item.quarter)
    stars_form = forms.get("stars_form") or StarsForm(
        formdata=None, data={f"star{level}": thresholds[level - 1] for level in range(1, 6)}
    )
    last = settlement(db, previous_quarter(item.quarter), branch_id=branch_id)
    recent = [item.quarter]
    while len(recent) < 4:  # the chart's quarters up to the one shown
        recent.insert(0, previous_quarter(recent[0]))
    return render_template(
        "admin/quarters/detail.html",
        item=item,
        chart=stars_chart(shown, last),
        points_chart=quarter_points_chart(points_by_quarter(db, recent, branch_id=branch_id)),
        last_quarter=previous_quarter(item.quarter),
        labels=STATUS_LABELS,
        moves=MOVES[item.status],
        lines=shown,
        totals=branch_totals(lines),
        communities=list_communities(db),
        branch_id=branch_id,
        review=review_quarter(db, item.quarter, branch_id=branch_id),
        objections=list_objections(db, item.quarter),
        picks=quarter_stars(db, item.quarter),
        proposals=[line for line in lines if line.stars == LEVELS],
        thresholds=thresholds,
        move_form=MoveForm(formdata=None),
        post_form=forms.get("post_form") or PostForm(formdata=None),
        stars_form=stars_form,
        objection_form=forms.get("objection_form") or ObjectionForm(formdata=None),
        resolve_form=ResolveForm(formdata=None),
        pick_form=StarPickForm(formdata=None),
    ), status


@blueprint.get("/quarters/<quarter>/my-activities")
@organiser_allowed
def quarter_my_review(quarter: str):
    """An organiser checks the awards and deductions of their own activities in a quarter."""
    db = get_db()
    item = get_quarter(db, quarter)
    return render_template(
        "admin/quarters/mine.html",
        item=item,
        labels=STATUS_LABELS,
        review=review_quarter(db, item.quarter, organiser=g.staff.username),
        quarters=list_quarters(db)[:8],
    )


@blueprint.get("/quarters/<quarter>")
def quarter(quarter: str):
    return _render_quarter(quarter)


def _back(quarter: str):
    return redirect(url_for("admin.quarter", quarter=quarter.upper()))


@blueprint.post("/quarters/<quarter>/<any(review, reopen, lock):move>")
def quarter_move(quarter: str, move: str):
    form = MoveForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            moved = MOVE_CALLS[move](
                get_db(), quarter=quarter, request_id=form.request_id.data, actor=g.staff.username
            )
            flash(gettext(MOVED[move], quarter=moved.quarter))
            return _back(moved.quarter)
    return _render_quarter(quarter, refusal.status)


@blueprint.post("/quarters/<quarter>/post")
def quarter_post(quarter: str):
    form = PostForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            posted = post_quarter(
                get_db(),
                quarter=quarter,
                working_days=form.working_days.data,
                contact=form.contact.data or None,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(
                gettext(
                    "%(quarter)s is posted: the posting period is %(starts)s to %(ends)s.",
                    quarter=posted.quarter,
                    starts=posted.posting_starts,
                    ends=posted.posting_ends,
                )
            )
            return _back(posted.quarter)
    return _render_quarter(quarter, refusal.status, post_form=form)


@blueprint.post("/quarters/<quarter>/stars")
def quarter_stars_set(quarter: str):
    form = StarsForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, {"invalid_request": "star1"}) as refusal:
            set_star_thresholds(
                get_db(),
                quarter=quarter,
                thresholds=[form[f"star{level}"].data for level in range(1, 6)],
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("The star thresholds are saved."))
            return _back(quarter)
    return _render_quarter(quarter, refusal.status, stars_form=form)


@blueprint.post("/quarters/<quarter>/objections")
def objection_new(quarter: str):
    form = ObjectionForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, {"member_unknown": "number"}) as refusal:
            raise_objection(
                get_db(),
                quarter=quarter,
                number=form.number.data,
                raised_by=form.raised_by.data,
                text=form.text.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("The objection is recorded."))
            return _back(quarter)
    return _render_quarter(quarter, refusal.status, objection_form=form)


@blueprint.post("/quarters/<quarter>/objections/<int:objection_id>")
def objection_resolve(quarter: str, objection_id: int):
    form = ResolveForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            resolve_objection(
                get_db(),
                objection_id=objection_id,
                reply=form.reply.data,
                correction=form.correction.data or 0,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("The objection is resolved."))
            return _back(quarter)
    flash_errors(form)
    return _render_quarter(quarter, refusal.status)


@blueprint.post("/quarters/<quarter>/star-of-the-quarter")
def quarter_star_pick(quarter: str):
    form = StarPickForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            choose_quarter_star(
                get_db(),
                quarter=quarter,
                number=form.number.data,
                reason=form.reason.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("%(number)s is a star of the quarter.", number=form.number.data))
            return _back(quarter)
    flash_errors(form)
    return _render_quarter(quarter, refusal.status)


def _sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, not taken yet."""
    title = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:28] or "-"
    candidate, number = title, 2
    while candidate in taken:
        candidate, number = f"{title[:25]} ({number})", number + 1
    taken.add(candidate)
    return candidate


@blueprint.get("/quarters/<quarter>/board.xlsx")
def quarter_board_xlsx(quarter: str):
    """The quarter's settlement for the office's records (台账): one sheet per party branch."""
    db = get_db()
    item = get_quarter(db, quarter)
    picks = quarter_stars(db, item.quarter)
    header = [str(word) for word in SHEET_HEADER]
    taken: set[str] = set()
    branches: dict[int | None, list] = {}
    for line in settlement(db, item.quarter):
        branches.setdefault(line.branch_id, []).append(line)
    sheets = []
    for lines in branches.values():
        name = " ".join(part for part in (lines[0].community, lines[0].branch) if part)
        rows = [
            [
                line.rank,
                line.number,
                line.name,
                line.opening,
                line.earned,
                line.deducted,
                line.redeemed,
                line.reversed,
                line.closing,
                line.quarter_points,
                line.year_points,
                line.cumulative,
                line.stars,
                picks.get(line.number, ""),
            ]  # fmt: skip
            for line in lines
        ]
        sheets.append((_sheet_title(name or str(NO_BRANCH), taken), header, rows))
    buffer = workbook(sheets)
    return send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"board-{item.quarter}.xlsx",
    )
