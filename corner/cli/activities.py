"""``corner activities``: plan activities, open and close check-in, and see how it went."""

from __future__ import annotations

import click

from corner.cli.common import _, _request_id, actor, request_id_option
from points.activities import (
    close_activity,
    create_activity,
    list_activities,
    list_categories,
    open_activity,
)
from points.activity_awards import list_checkins
from points.checkins import activity_board
from points.errors import MESSAGES, N_, CornerError
from points.scan_log import scan_log

STATUSES = ("planned", "open", "closed")
# the same words as the admin pages (the same msgids, so one translation serves both)
STATUS_LABELS = {
    "planned": N_("Planned"),
    "open": N_("Check-in open"),
    "closed": N_("Closed"),
}
AWARD_MODE_LABELS = {
    "on_checkin": N_("On check-in"),
    "on_close": N_("Organiser confirms at close"),
}
METHOD_LABELS = {"qr": N_("QR card"), "nfc": N_("NFC card"), "manual": N_("By hand")}
ACTION_LABELS = {"in": N_("Check-in"), "out": N_("Check-out")}
ACCEPTED_LABELS = {"checked_in": N_("Checked in"), "checked_out": N_("Checked out")}


def _label(labels: dict[str, str], value: str | None) -> str:
    if value is None:
        return "-"
    return _(labels[value]) if value in labels else value


def _when(timestamp: str, length: int = 16) -> str:
    """An ISO timestamp as people read it: 2025-04-12 09:30."""
    return timestamp[:length].replace("T", " ")


def _result(code: str) -> str:
    """What a scan came to, in plain words."""
    if code in ACCEPTED_LABELS:
        return _(ACCEPTED_LABELS[code])
    return _(MESSAGES[code]) if code in MESSAGES else code


def _category_id(db, reference: str) -> int:
    """An activity category in use, by id or by exact name, or ``category_unknown``."""

    text = reference.strip()
    for category in list_categories(db, kind="award"):
        if text in (str(category.id), category.name):
            return category.id
    raise CornerError("category_unknown", category=text)


@click.group()
def activities() -> None:
    """Volunteer activities: plan, open and close check-in, see the scans."""


@activities.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only these.")
@click.pass_obj
def activities_list(obj, status) -> None:
    """Activities, latest first: id, time, status, title, category, points, checked in."""

    for item in list_activities(obj.db(), status=status):
        taken = f"{item.checked_in}/{item.capacity}" if item.capacity else str(item.checked_in)
        click.echo(
            f"{item.id}\t{_when(item.starts)}\t{item.status}\t{item.title}\t{item.category}"
            f"\t{item.points}\t{taken}"
        )


@activities.command("add")
@click.option("--title", required=True)
@click.option("--category", required=True, help="An activity category: its id or its name.")
@click.option("--starts", required=True, metavar="YYYY-MM-DDTHH:MM", help="Date and time.")
@click.option("--place", default=None)
@click.option("--points", type=int, default=None, help="Default: the category's standard.")
@click.option("--capacity", type=int, default=None, help="At most this many check-ins.")
@click.option(
    "--award-mode",
    type=click.Choice(["on_checkin", "on_close"]),
    default="on_checkin",
    show_default=True,
    help="on_checkin: points at once; on_close: the organiser approves them after closing.",
)
@request_id_option
@click.pass_obj
def activities_add(
    obj, title, category, starts, place, points, capacity, award_mode, request_id
) -> None:
    """Plan an activity (check-in opens with `corner activities open ID`)."""

    db = obj.db()
    item = create_activity(
        db,
        title=title,
        category_id=_category_id(db, category),
        starts=starts,
        place=place,
        points=points,
        capacity=capacity,
        award_mode=award_mode,
        request_id=_request_id(request_id),
        actor=actor(),
    )
    click.echo(
        _(
            "Added activity %(id)s %(title)s: %(starts)s, %(points)s points each",
            id=item.id,
            title=item.title,
            starts=_when(item.starts),
            points=item.points,
        )
    )


@activities.command("open")
@click.argument("activity_id", metavar="ID", type=int)
@request_id_option
@click.pass_obj
def activities_open(obj, activity_id, request_id) -> None:
    """Open a planned activity for check-in."""

    item = open_activity(
        obj.db(), activity_id=activity_id, request_id=_request_id(request_id), actor=actor()
    )
    click.echo(_("Activity %(id)s %(title)s is open for check-in", id=item.id, title=item.title))


@activities.command("close")
@click.argument("activity_id", metavar="ID", type=int)
@request_id_option
@click.pass_obj
def activities_close(obj, activity_id, request_id) -> None:
    """End check-in; pending awards wait for approval on the admin page."""

    item = close_activity(
        obj.db(), activity_id=activity_id, request_id=_request_id(request_id), actor=actor()
    )
    click.echo(_("Activity %(id)s %(title)s is closed", id=item.id, title=item.title))
    if item.pending:
        click.echo(_("Waiting for approval on the activity's admin page: %(n)s", n=item.pending))


@activities.command("show")
@click.argument("activity_id", metavar="ID", type=int)
@click.option(
    "--last",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="How many of the latest scans to show.",
)
@click.pass_obj
def activities_show(obj, activity_id, last) -> None:
    """An activity: its counts, who waits for approval, the latest scans and their results."""

    db = obj.db()
    board = activity_board(db, activity_id, last=0)
    item = board.activity
    echo = click.echo
    echo(_("Activity %(id)s: %(title)s", id=item.id, title=item.title))
    echo(_("Category: %(category)s, %(points)s points", category=item.category, points=item.points))
    echo(_("Time: %(starts)s", starts=_when(item.starts)))
    if item.place:
        echo(_("Place: %(place)s", place=item.place))
    echo(_("Award points: %(mode)s", mode=_label(AWARD_MODE_LABELS, item.award_mode)))
    echo(_("Status: %(status)s", status=_label(STATUS_LABELS, item.status)))
    if item.capacity:
        echo(_("Checked in: %(n)s of %(capacity)s", n=board.checked_in, capacity=item.capacity))
    else:
        echo(_("Checked in: %(n)s", n=board.checked_in))
    echo(_("Checked out: %(n)s", n=board.checked_out))
    echo(_("Waiting for approval: %(n)s", n=item.pending))
    for line in list_checkins(db, item.id):
        if line.status == "pending":
            echo(f"  {line.member_name} {line.member_number}")
    if not last:
        return
    scans = scan_log(db, item.id)[-last:][::-1]
    if not scans:
        echo(_("No scans yet."))
        return
    echo(_("Latest scans:"))
    for scan in scans:
        member = " ".join(part for part in (scan.member_name, scan.member_number) if part) or "-"
        result = _result(scan.code)
        if scan.repeat:
            result += " (" + _("Sent again: counted once") + ")"
        echo(
            "  "
            + "  ".join(
                [
                    _when(scan.created, 19),
                    member,
                    _label(ACTION_LABELS, scan.action),
                    _label(METHOD_LABELS, scan.method),
                    result,
                    scan.operator,
                ]
            )
        )
