"""A member's points record (积分记录本) on screen, and as a printed statement for the member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, render_template, request
from flask_babel import lazy_gettext

from admin import blueprint
from kiosk.app import get_db
from points.errors import CornerError
from points.records import PointsRecord, RecordLine, points_record

KINDS = {
    "award": lazy_gettext("Points awarded"),
    "deduction": lazy_gettext("Points deducted"),
    "redemption": lazy_gettext("Goods redeemed"),
    "reversal": lazy_gettext("Redemption reversed"),
}


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
    try:
        return points_record(get_db(), number)
    except CornerError:
        abort(404)


@blueprint.get("/members/<number>/record")
def member_record(number: str):
    record = _record_or_404(number)
    return render_template("admin/records/member.html", record=record, kinds=KINDS)


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
        today=date.today(),
    )
