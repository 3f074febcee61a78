"""The public board (公示栏) of a quarter and a branch: names, quarter, year and cumulative
points, rank, stars and the star of the quarter. Never a phone number; names masked on request.

Live while the quarter is open or under review (computed from the ledger), as posted once it is
posted (the stored settlement). ``board_version`` changes whenever the board may have changed,
so a screen can ask for it cheaply and fetch the board only then.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.clock import quarter_of
from points.db import Store
from points.errors import CornerError
from points.periods import check_quarter, previous_quarter
from points.quarters import get_quarter
from points.sessions import live_session
from points.settlement import ranked_together, settlement
from points.stars import quarter_stars, star_thresholds


@dataclass(frozen=True)
class BoardLine:
    rank: int
    name: str
    branch: str | None
    quarter_points: int
    year_points: int
    cumulative: int
    stars: int
    star_of_quarter: bool


@dataclass(frozen=True)
class Board:
    quarter: str
    status: str
    community: str
    branch: str | None  # None: the whole community's board
    branch_id: int | None
    posting_starts: str | None
    posting_ends: str | None
    contact: str | None
    thresholds: tuple[int, ...]
    lines: list[BoardLine]


def mask_name(name: str) -> str:
    """张*英 for 张秀英, 张* for 张英: enough for the member to find themselves."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_board(
    db: Store,
    quarter: object,
    *,
    branch_id: int | None = None,
    community_id: int | None = None,
    masked: bool = False,
) -> Board:
    """A branch's board for a quarter (or a whole community's, ranked as one), ranked;
    ``branch_unknown`` / ``community_unknown`` for none such."""
    quarter = check_quarter(quarter)
    if community_id is not None:
        community = db.execute(
            "SELECT name FROM communities WHERE id = ?", [community_id]
        ).fetchone()
        if community is None:
            raise CornerError("community_unknown", community=community_id)
        branch_ids = [
            row[0]
            for row in db.execute(
                "SELECT id FROM branches WHERE community_id = ? ORDER BY id", [community_id]
            )
        ]
        lines = ranked_together(
            [line for each in branch_ids for line in settlement(db, quarter, branch_id=each)]
        )
        branch = (None, community[0])
    else:
        branch = db.execute(
            "SELECT b.name, c.name FROM branches b JOIN communities c ON c.id = b.community_id"
            " WHERE b.id = ?",
            [branch_id],
        ).fetchone()
        if branch is None:
            raise CornerError("branch_unknown", branch=branch_id)
        lines = settlement(db, quarter, branch_id=branch_id)
    state = get_quarter(db, quarter)
    stars_of_quarter = quarter_stars(db, quarter)
    lines = [
        BoardLine(
            line.rank,
            mask_name(line.name) if masked else line.name,
            line.branch,
            line.quarter_points,
            line.year_points,
            line.cumulative,
            line.stars,
            line.number in stars_of_quarter,
        )
        for line in lines
    ]
    return Board(
        quarter,
        state.status,
        branch[1],
        branch[0],
        branch_id,
        state.posting_starts,
        state.posting_ends,
        state.contact,
        state.stars or star_thresholds(db, quarter),
        lines,
    )


def board_version(db: Store, quarter: object) -> str:
    """A value that changes when the quarter's board may change (a new row, a state, a star)."""
    quarter = check_quarter(quarter)
    row = db.execute(
        "SELECT (SELECT max(id) FROM points_entries),"
        " (SELECT status || coalesce(posted, '') FROM quarters WHERE quarter = ?),"
        " (SELECT count(*) FROM quarter_stars WHERE quarter = ?),"
        " (SELECT max(id) FROM members)",
        [quarter, quarter],
    ).fetchone()
    return "-".join(str(value) for value in row)


@dataclass(frozen=True)
class Standing:
    """A member's place in the current quarter, as the kiosk says it."""

    quarter: str
    points: int
    stars: int
    rank: int
    star_of_quarter: str | None  # the quarter they were named its star (this or the last one)


def member_standing(db: Store, *, session: object) -> Standing:
    """The current quarter's points, stars and rank in the branch of a live session's member."""
    live = live_session(db, session)
    quarter = quarter_of()
    branch = db.execute("SELECT branch_id FROM members WHERE id = ?", [live.member_id]).fetchone()
    lines = settlement(db, quarter, branch_id=branch[0]) if branch[0] is not None else []
    mine = next((line for line in lines if line.member_id == live.member_id), None)
    star = db.execute(
        "SELECT max(quarter) FROM quarter_stars WHERE member_id = ? AND quarter >= ?",
        [live.member_id, previous_quarter(quarter)],
    ).fetchone()[0]
    if mine is None:
        return Standing(quarter, 0, 0, 0, star)
    return Standing(quarter, mine.quarter_points, mine.stars, mine.rank, star)
