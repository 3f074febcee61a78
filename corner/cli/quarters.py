"""``corner quarters``: review, settle, post and lock a quarter, and set its star thresholds."""

from __future__ import annotations

import click

from corner.cli.common import _, _request_id, actor, request_id_option
from points.errors import N_
from points.objections import list_objections
from points.quarters import (
    DEFAULT_POSTING_DAYS,
    begin_review,
    list_quarters,
    lock_quarter,
    post_quarter,
    reopen_review,
)
from points.settlement import settlement
from points.stars import set_star_thresholds

STATUS_LABELS = {
    "open": N_("Open"),
    "review": N_("Under review"),
    "posted": N_("Posted"),
    "locked": N_("Locked"),
}


@click.group()
def quarters() -> None:
    """The quarter: review (核实), post the board (公示), lock; stars."""


@quarters.command("list")
@click.pass_obj
def quarters_list(obj) -> None:
    """Quarters, newest first: status, posting period, objections still open."""
    db = obj.db()
    for item in list_quarters(db):
        period = f"{item.posting_starts}..{item.posting_ends}" if item.posting_ends else "-"
        waiting = sum(1 for entry in list_objections(db, item.quarter) if entry.resolved is None)
        click.echo(f"{item.quarter}\t{_(STATUS_LABELS[item.status])}\t{period}\t{waiting}")


@quarters.command("settle")
@click.argument("quarter")
@click.option("--branch", default=None, help="Only this party branch (its name).")
@click.pass_obj
def quarters_settle(obj, quarter, branch) -> None:
    """Each member's quarter: start, earned, deducted, redeemed, reversals, end, quarter, year
    and cumulative points, stars, rank in the branch (as posted, once posted)."""
    click.echo(
        "\t".join(
            _(word)
            for word in (
                N_("Number"),
                N_("Name"),
                N_("Party branch"),
                N_("Start"),
                N_("Earned"),
                N_("Deducted"),
                N_("Redeemed"),
                N_("Given back"),
                N_("End"),
                N_("Quarter"),
                N_("Year"),
                N_("Since joining"),
                N_("Stars"),
                N_("Rank"),
            )  # fmt: skip
        )
    )
    for line in settlement(obj.db(), quarter.upper()):
        if branch and line.branch != branch:
            continue
        click.echo(
            "\t".join(
                str(value)
                for value in (
                    line.number,
                    line.name,
                    line.branch or "-",
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
                    line.rank,
                )  # fmt: skip
            )
        )


def _moved(item) -> None:
    click.echo(
        _("%(quarter)s: %(status)s", quarter=item.quarter, status=_(STATUS_LABELS[item.status]))
    )


@quarters.command("review")
@click.argument("quarter")
@request_id_option
@click.pass_obj
def quarters_review(obj, quarter, request_id) -> None:
    """Start the review (核实) of a quarter."""
    _moved(
        begin_review(obj.db(), quarter=quarter, request_id=_request_id(request_id), actor=actor())
    )


@quarters.command("post")
@click.argument("quarter")
@click.option(
    "--days", default=DEFAULT_POSTING_DAYS, show_default=True, type=int,
    help="The posting period (公示期), in working days from today.",
)  # fmt: skip
@click.option("--contact", default=None, help="Whom to tell of an objection (on the board).")
@request_id_option
@click.pass_obj
def quarters_post(obj, quarter, days, contact, request_id) -> None:
    """Post the board (公示): the settlement is fixed and the posting period starts today."""
    item = post_quarter(
        obj.db(),
        quarter=quarter,
        working_days=days,
        contact=contact,
        request_id=_request_id(request_id),
        actor=actor(),
    )
    _moved(item)
    click.echo(
        _(
            "Posting period: %(starts)s to %(ends)s",
            starts=item.posting_starts,
            ends=item.posting_ends,
        )
    )


@quarters.command("reopen")
@click.argument("quarter")
@request_id_option
@click.pass_obj
def quarters_reopen(obj, quarter, request_id) -> None:
    """Take a posted board down and go back to the review."""
    _moved(
        reopen_review(obj.db(), quarter=quarter, request_id=_request_id(request_id), actor=actor())
    )


@quarters.command("lock")
@click.argument("quarter")
@request_id_option
@click.pass_obj
def quarters_lock(obj, quarter, request_id) -> None:
    """Lock a posted quarter after its posting period, with no objection open."""
    _moved(
        lock_quarter(obj.db(), quarter=quarter, request_id=_request_id(request_id), actor=actor())
    )


@quarters.command("stars")
@click.argument("quarter")
@click.argument("thresholds", nargs=5, type=int)
@request_id_option
@click.pass_obj
def quarters_stars(obj, quarter, thresholds, request_id) -> None:
    """Set the points for 1 to 5 stars, e.g. `corner quarters stars 2026Q3 5 10 15 20 25`."""
    set_star_thresholds(
        obj.db(),
        quarter=quarter,
        thresholds=list(thresholds),
        request_id=_request_id(request_id),
        actor=actor(),
    )
    click.echo(_("Stars for %(quarter)s: %(points)s", quarter=quarter.upper(), points=thresholds))
