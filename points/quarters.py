"""The quarter's life (一季度一核实): open -> review (核实) -> posted (公示) -> locked.

A quarter without a row is open. An admin starts the review, posts the board (the settlement is
stored then, with a posting period of working days), may move a posted quarter back to review,
and locks it once the posting period is over and no objection is open. After the lock nothing
is written into the quarter: ``writable_quarter`` refuses it for every points row (and a trigger
refuses it again in the database), and the stored settlement never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.clock import now, quarter_of, timestamp
from points.db import Store
from points.errors import CornerError
from points.periods import check_quarter, posting_period, previous_quarter
from points.quarter_state import quarter_status, require_step
from points.requests import once
from points.settlement import store_settlement
from points.validate import trimmed_text

STATUSES = ("open", "review", "posted", "locked")
DEFAULT_POSTING_DAYS = 5  # working days
MAX_POSTING_DAYS = 30
MAX_CONTACT = 100


@dataclass(frozen=True)
class Quarter:
    quarter: str
    status: str = "open"
    stars: tuple[int, ...] | None = None  # the points for 1..5 stars, if set
    posted: str | None = None
    posting_starts: str | None = None
    posting_ends: str | None = None
    contact: str | None = None
    locked: str | None = None
    locked_by: str | None = None


_COLUMNS = (
    "quarter, status, star1, star2, star3, star4, star5, posted, posting_starts, posting_ends,"
    " contact, locked, locked_by"
)


def _quarter(row) -> Quarter:
    stars = tuple(row[2:7]) if row[2] is not None else None
    return Quarter(row[0], row[1], stars, *row[7:])


def get_quarter(db: Store, quarter: str) -> Quarter:
    """A quarter's state (a quarter nobody touched yet is open)."""
    quarter = check_quarter(quarter)
    row = db.execute(f"SELECT {_COLUMNS} FROM quarters WHERE quarter = ?", [quarter]).fetchone()
    return Quarter(quarter) if row is None else _quarter(row)


def list_quarters(db: Store) -> list[Quarter]:
    """Every quarter from the first points row (or state) to the current one, newest first.

    The first row's quarter is one look-up on the quarter index, not a pass over the ledger.
    """
    rows = {row[0]: _quarter(row) for row in db.execute(f"SELECT {_COLUMNS} FROM quarters")}
    first = db.execute("SELECT min(quarter) FROM points_entries").fetchone()[0]
    names, name = [], quarter_of()
    earliest = min(filter(None, (first, *rows, name)))
    while name >= earliest:
        names.append(name)
        name = previous_quarter(name)
    return [rows.get(name, Quarter(name)) for name in names]


def locked_quarters(db: Store) -> list[str]:
    """The locked quarters, newest first (what a late correction may name)."""
    rows = db.execute("SELECT quarter FROM quarters WHERE status = 'locked' ORDER BY quarter DESC")
    return [row[0] for row in rows]


def _ensure_row(db: Store, quarter: str) -> None:
    db.execute("INSERT OR IGNORE INTO quarters (quarter) VALUES (?)", [quarter])


def _move(
    db: Store,
    *,
    quarter: object,
    kind: str,
    allowed_from: tuple[str, ...],
    request_id: str,
    actor: str,
    change,
    params: dict | None = None,
) -> Quarter:
    quarter = check_quarter(quarter)

    def action(_request_id: str) -> dict:
        require_step(db, quarter, *allowed_from)
        _ensure_row(db, quarter)
        change(quarter)
        return {"quarter": quarter}

    once(
        db,
        request_id=request_id,
        kind=kind,
        params={"quarter": quarter, **(params or {})},
        action=action,
        actor=actor,
        target=f"quarter:{quarter}",
        before=lambda: {"status": quarter_status(db, quarter)},
    )
    return get_quarter(db, quarter)


def begin_review(db: Store, *, quarter: object, request_id: str, actor: str) -> Quarter:
    """Open → under review (核实): staff check the quarter's rows; fixes are new rows."""

    def change(name: str) -> None:
        db.execute("UPDATE quarters SET status = 'review' WHERE quarter = ?", [name])

    return _move(
        db,
        quarter=quarter,
        kind="review_quarter",
        allowed_from=("open",),
        request_id=request_id,
        actor=actor,
        change=change,
    )


def post_quarter(
    db: Store,
    *,
    quarter: object,
    request_id: str,
    actor: str,
    working_days: object = DEFAULT_POSTING_DAYS,
    contact: object = None,
) -> Quarter:
    """Under review → posted (公示): the settlement is stored; the posting period starts today."""
    if isinstance(working_days, bool) or not isinstance(working_days, int):
        raise CornerError("invalid_request", field="working_days")
    if not 1 <= working_days <= MAX_POSTING_DAYS:
        raise CornerError("invalid_request", field="working_days")
    contact = trimmed_text(contact, "contact", max_length=MAX_CONTACT, required=False)
    start, end = posting_period(now().date(), working_days)

    def change(name: str) -> None:
        store_settlement(db, name)
        db.execute(
            "UPDATE quarters SET status = 'posted', posted = ?, posting_starts = ?,"
            " posting_ends = ?, contact = ? WHERE quarter = ?",
            [timestamp(), start.isoformat(), end.isoformat(), contact, name],
        )

    return _move(
        db,
        quarter=quarter,
        kind="post_quarter",
        allowed_from=("review",),
        request_id=request_id,
        actor=actor,
        change=change,
        params={"working_days": working_days, "contact": contact},
    )


def reopen_review(db: Store, *, quarter: object, request_id: str, actor: str) -> Quarter:
    """Posted → under review again (a mistake found on the board); the board is taken down."""

    def change(name: str) -> None:
        db.execute("DELETE FROM settlements WHERE quarter = ?", [name])
        db.execute(
            "UPDATE quarters SET status = 'review', posted = NULL, posting_starts = NULL,"
            " posting_ends = NULL WHERE quarter = ?",
            [name],
        )

    return _move(
        db,
        quarter=quarter,
        kind="reopen_quarter",
        allowed_from=("posted",),
        request_id=request_id,
        actor=actor,
        change=change,
    )


def lock_quarter(db: Store, *, quarter: object, request_id: str, actor: str) -> Quarter:
    """Posted → locked, after the posting period and with every objection resolved.

    The settlement is stored once more (corrections made for objections count) and is frozen.
    """

    def change(name: str) -> None:
        ends = db.execute("SELECT posting_ends FROM quarters WHERE quarter = ?", [name]).fetchone()
        if now().date().isoformat() <= ends[0]:
            raise CornerError("posting_not_over", quarter=name, ends=ends[0])
        open_objections = db.execute(
            "SELECT count(*) FROM objections WHERE quarter = ? AND resolved IS NULL", [name]
        ).fetchone()[0]
        if open_objections:
            raise CornerError("objections_open", quarter=name, open=open_objections)
        store_settlement(db, name)
        db.execute(
            "UPDATE quarters SET status = 'locked', locked = ?, locked_by = ? WHERE quarter = ?",
            [timestamp(), actor, name],
        )

    return _move(
        db,
        quarter=quarter,
        kind="lock_quarter",
        allowed_from=("posted",),
        request_id=request_id,
        actor=actor,
        change=change,
    )
