"""Activities: plan, open and close them, check members in by hand, approve or remove awards,
deduct points with a reason. Organisers run activities, so these views are ``organiser_allowed``.

The point standards the activities draw on are in ``admin.standards`` (admins only).
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from admin.blueprint import blueprint
from admin.forms import at_most, flash_errors, new_request_id, strip, whole_number
from points.activities import (
    MAX_CAPACITY,
    MAX_PLACE,
    MAX_STANDARD_POINTS,
    MAX_TITLE,
    close_activity,
    create_activity,
    get_activity,
    get_category,
    list_activities,
    list_categories,
    open_activity,
)
from points.activity_awards import (
    MAX_DEDUCTION_NOTE,
    approve_pending,
    deduct,
    list_checkins,
    list_deductions,
    remove_checkin,
)
from points.checkins import activity_board, check_in
from points.errors import MESSAGES
from points.members import get_member
from points.scan_log import scan_log
from points.validate import MAX_REASON
from web.auth import organiser_allowed
from web.db import get_db
from web.errors import Refusal, shown_on

AWARD_MODE_LABELS = {
    "on_checkin": lazy_gettext("On check-in"),
    "on_close": lazy_gettext("Organiser confirms at close"),
}
STATUS_LABELS = {
    "planned": lazy_gettext("Planned"),
    "open": lazy_gettext("Check-in open"),
    "closed": lazy_gettext("Closed"),
}
CHECKIN_STATUS_LABELS = {
    "accepted": lazy_gettext("Awarded"),
    "pending": lazy_gettext("Waiting for approval"),
    "approved": lazy_gettext("Approved"),
    "removed": lazy_gettext("Removed"),
}
METHOD_LABELS = {
    "qr": lazy_gettext("QR card"),
    "nfc": lazy_gettext("NFC card"),
    "manual": lazy_gettext("By hand"),
}
KIND_LABELS = {
    "award": lazy_gettext("Activity category"),
    "deduction": lazy_gettext("Deduction reason"),
}
ACTION_LABELS = {"in": lazy_gettext("Check-in"), "out": lazy_gettext("Check-out")}
# the accepted outcomes; a refusal reads as its error message
ACCEPTED_LABELS = {
    "checked_in": lazy_gettext("Checked in"),
    "checked_out": lazy_gettext("Checked out"),
}
DEVICE_LABELS = {"admin": lazy_gettext("Admin page")}
LABELS = {
    "modes": AWARD_MODE_LABELS,
    "statuses": STATUS_LABELS,
    "checkin_statuses": CHECKIN_STATUS_LABELS,
    "methods": METHOD_LABELS,
    "kinds": KIND_LABELS,
    "actions": ACTION_LABELS,
    "devices": DEVICE_LABELS,
}


def scan_result(code: str) -> str:
    """What a scan came to, in plain words: accepted, or the refusal's message."""
    if code in ACCEPTED_LABELS:
        return str(ACCEPTED_LABELS[code])
    return gettext(MESSAGES[code]) if code in MESSAGES else code


POINTS_RANGE = lazy_gettext("A whole number from 1 to %(max)s.", max=MAX_STANDARD_POINTS)


class ActivityForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    title = StringField(
        lazy_gettext("Title"),
        validators=[
            DataRequired(lazy_gettext("Please enter a title.")),
            at_most(MAX_TITLE),
        ],
        filters=[strip],
    )
    category = SelectField(lazy_gettext("Category"), coerce=int, validate_choice=True)
    starts = DateTimeLocalField(
        lazy_gettext("Date and time"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(lazy_gettext("Please enter the date and time."))],
    )
    place = StringField(
        lazy_gettext("Place"),
        validators=[Optional(), at_most(MAX_PLACE)],
        filters=[strip],
    )
    points = IntegerField(
        lazy_gettext("Points (empty: the category's standard)"),
        validators=[Optional(), NumberRange(1, MAX_STANDARD_POINTS, POINTS_RANGE)],
    )
    capacity = IntegerField(
        lazy_gettext("Capacity (optional)"),
        validators=[
            Optional(),
            whole_number(MAX_CAPACITY),
        ],
    )
    award_mode = SelectField(
        lazy_gettext("Award points"), default="on_checkin", validate_choice=True
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [
            (category.id, gettext("%(name)s (%(points)s points)", **vars(category)))
            for category in list_categories(get_db(), kind="award")
        ]
        self.award_mode.choices = list(AWARD_MODE_LABELS.items())


class ActionForm(FlaskForm):
    """Open, close, approve all: a button with a request id."""

    request_id = HiddenField(default=new_request_id)


class CheckinForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    number = StringField(
        lazy_gettext("Member number"),
        validators=[DataRequired(lazy_gettext("Please enter the member number."))],
        filters=[strip],
    )


class RemoveForm(FlaskForm):
    request_id = HiddenField(default=new_request_id)
    number = StringField(validators=[DataRequired()], filters=[strip])
    reason = StringField(
        lazy_gettext("Reason"),
        validators=[
            DataRequired(lazy_gettext("Please give a reason.")),
            at_most(MAX_REASON),
        ],
        filters=[strip],
    )


def _optional_id(value):
    """A select's value as an id; the empty "choose one" entry (or rubbish) is None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class DeductForm(FlaskForm):
    """Deduct points for this activity with one of the deduction reasons (反向鞭策)."""

    request_id = HiddenField(default=new_request_id)
    number = StringField(
        lazy_gettext("Member number"),
        validators=[DataRequired(lazy_gettext("Please enter the member number."))],
        filters=[strip],
    )
    category = SelectField(
        lazy_gettext("Deduction reason"),
        coerce=_optional_id,
        validators=[InputRequired(lazy_gettext("Please choose a deduction reason."))],
        validate_choice=False,  # validate_category says it in plain words
    )
    note = StringField(
        lazy_gettext("Note (optional)"),
        validators=[Optional(), at_most(MAX_DEDUCTION_NOTE)],
        filters=[strip],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, prefix="deduct", **kwargs)
        self.category.choices = [("", gettext("Choose a reason"))] + [
            (category.id, gettext("%(name)s (%(points)s points)", **vars(category)))
            for category in list_categories(get_db(), kind="deduction")
        ]

    def validate_category(self, field) -> None:
        # only the reasons offered (the ones in use); the core refuses any other kind
        if field.data not in {value for value, _label in field.choices if value != ""}:
            raise ValidationError(gettext("Please choose one of the deduction reasons."))


# ---- activities -------------------------------------------------------------------------------


def _render_list(form: ActivityForm | None = None):
    return render_template(
        "admin/activities/list.html",
        activities=list_activities(get_db()),
        form=form or ActivityForm(formdata=None),
        labels=LABELS,
    )


@blueprint.get("/activities")
@organiser_allowed
def activities():
    return _render_list()


@blueprint.post("/activities")
@organiser_allowed
def activity_new():
    form = ActivityForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form, {"category_unknown": "category"}) as refusal:
            created = create_activity(
                get_db(),
                title=form.title.data,
                category_id=form.category.data,
                starts=form.starts.data.isoformat(timespec="minutes"),
                place=form.place.data or None,
                points=form.points.data,
                capacity=form.capacity.data,
                award_mode=form.award_mode.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Created %(title)s.", title=created.title))
            return redirect(url_for("admin.activity", activity_id=created.id))
    return _render_list(form), refusal.status


def _render_detail(
    activity,
    *,
    checkin_form: CheckinForm | None = None,
    deduct_form: DeductForm | None = None,
    status: int = 200,
):
    db = get_db()
    checkins = list_checkins(db, activity.id)
    return (
        render_template(
            "admin/activities/detail.html",
            activity=activity,
            board=activity_board(db, activity.id, last=0),
            checkins=checkins,
            scans=scan_log(db, activity.id)[::-1],  # latest first
            scan_result=scan_result,
            action_form=ActionForm(formdata=None),
            checkin_form=checkin_form or CheckinForm(formdata=None),
            deduct_form=deduct_form or DeductForm(formdata=None),
            deductions=list_deductions(db, activity.id),
            # one form a pending row, each with its own request id
            remove_forms={
                line.id: RemoveForm(formdata=None, number=line.member_number)
                for line in checkins
                if line.status == "pending"
            },
            labels=LABELS,
        ),
        status,
    )


@blueprint.get("/activities/<int:activity_id>")
@organiser_allowed
def activity(activity_id: int):
    return _render_detail(get_activity(get_db(), activity_id))


def _change_status(activity_id: int, change, done: str):
    item = get_activity(get_db(), activity_id)
    form = ActionForm()
    refusal = Refusal()  # a form that fails its own checks answers 400
    if form.validate_on_submit():
        with shown_on(form) as refusal:  # a button: its refusal is said above the page
            change(
                get_db(),
                activity_id=item.id,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(done)
            return redirect(url_for("admin.activity", activity_id=item.id))
    return _render_detail(get_activity(get_db(), activity_id), status=refusal.status)


@blueprint.post("/activities/<int:activity_id>/open")
@organiser_allowed
def activity_open(activity_id: int):
    return _change_status(activity_id, open_activity, gettext("Check-in is open."))


@blueprint.post("/activities/<int:activity_id>/close")
@organiser_allowed
def activity_close(activity_id: int):
    return _change_status(activity_id, close_activity, gettext("The activity is closed."))


@blueprint.post("/activities/<int:activity_id>/checkin")
@organiser_allowed
def activity_checkin(activity_id: int):
    item = get_activity(get_db(), activity_id)
    form = CheckinForm()
    if form.validate_on_submit():
        outcome = check_in(
            get_db(),
            activity_id=item.id,
            member_number=form.number.data,
            method="manual",
            operator=g.staff.username,
            request_id=form.request_id.data,
            device="admin",
        )
        if outcome.accepted:
            if outcome.status == "pending":
                flash(
                    gettext(
                        "%(name)s is checked in; the points wait for approval.",
                        name=outcome.member_name,
                    )
                )
            else:
                flash(
                    gettext(
                        "%(name)s is checked in and got %(points)s points.",
                        name=outcome.member_name,
                        points=outcome.points,
                    )
                )
            return redirect(url_for("admin.activity", activity_id=item.id))
        form.number.errors = [*form.number.errors, gettext(MESSAGES[outcome.code])]
    return _render_detail(get_activity(get_db(), activity_id), checkin_form=form, status=400)


@blueprint.post("/activities/<int:activity_id>/approve")
@organiser_allowed
def activity_approve(activity_id: int):
    item = get_activity(get_db(), activity_id)
    form = ActionForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            approval = approve_pending(
                get_db(),
                activity_id=item.id,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(
                gettext(
                    "Approved %(count)s members, %(points)s points each.",
                    count=len(approval.approved),
                    points=approval.points_each,
                )
            )
            return redirect(url_for("admin.activity", activity_id=item.id))
    return _render_detail(get_activity(get_db(), activity_id), status=refusal.status)


@blueprint.post("/activities/<int:activity_id>/remove")
@organiser_allowed
def activity_remove(activity_id: int):
    item = get_activity(get_db(), activity_id)
    form = RemoveForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form) as refusal:
            remove_checkin(
                get_db(),
                activity_id=item.id,
                member_number=form.number.data,
                reason=form.reason.data,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(gettext("Removed %(number)s from this activity.", number=form.number.data))
            return redirect(url_for("admin.activity", activity_id=item.id))
    flash_errors(form)  # the page shows fresh remove buttons, not this form with its errors
    return _render_detail(get_activity(get_db(), activity_id), status=refusal.status)


@blueprint.post("/activities/<int:activity_id>/deduct")
@organiser_allowed
def activity_deduct(activity_id: int):
    """Deduct points with a deduction reason, for this activity whatever its status."""
    item = get_activity(get_db(), activity_id)
    form = DeductForm()
    refusal = Refusal()
    if form.validate_on_submit():
        with shown_on(form, DEDUCT_FIELDS) as refusal:
            done = deduct(
                get_db(),
                member_number=form.number.data,
                category_id=form.category.data,
                reason=form.note.data or None,
                activity_id=item.id,
                request_id=form.request_id.data,
                actor=g.staff.username,
            )
            flash(
                gettext(
                    "Deducted %(points)s points from %(name)s; balance %(balance)s.",
                    points=-done.delta,
                    name=get_member(get_db(), done.member_number).name,
                    balance=done.balance,
                )
            )
            return redirect(url_for("admin.activity", activity_id=item.id))
    if refusal.code:
        _deduct_refusal_in_plain_words(form, refusal.code)
    return _render_detail(
        get_activity(get_db(), activity_id), deduct_form=form, status=refusal.status
    )


# which field of the deduction form a refusal of the core belongs to
DEDUCT_FIELDS = {
    "insufficient_points": "number",
    "member_unknown": "number",
    "category_unknown": "category",
}


def _deduct_refusal_in_plain_words(form: DeductForm, code: str) -> None:
    """Say the core's refusal of a deduction (already next to its field) in plainer words."""
    if code == "insufficient_points":
        member = get_member(get_db(), form.number.data)
        form.number.errors = [
            gettext(
                "%(name)s has only %(balance)s points: %(points)s cannot be deducted.",
                name=member.name,
                balance=member.balance,
                points=get_category(get_db(), form.category.data).points,
            )
        ]
    elif code == "invalid_request" and form.number.errors:  # not a member number at all
        form.number.errors = [gettext(MESSAGES["member_unknown"])]
    elif code == "category_unknown":
        form.category.errors = [gettext("Please choose one of the deduction reasons.")]
