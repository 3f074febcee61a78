"""The board's pages and JSON: live while the quarter is open, as posted once it is posted.

Who may look: this machine's own screen, a TV bound with a board token (``corner boards add``),
or a logged-in staff member. Phone numbers are never on a board; ``?mask=1`` (or a TV bound
with masking) shows 张*英 instead of the full name.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from points.board import board_version, public_board
from points.boards import authenticate_board, board_is_active
from points.branches import list_communities
from points.chain import fingerprint
from points.clock import now, quarter_of
from points.errors import CornerError
from points.quarters import list_quarters
from web.auth import bind_board, bound_board, current_staff
from web.context import is_loopback
from web.db import get_db
from web.errors import answers_json

blueprint = Blueprint(
    "board",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/board/static",
)
MODES = ("page", "tv", "print")
POLL_SECONDS = 1  # how often a screen asks whether the board changed
PAGE_SECONDS = 10  # how long a TV shows each page of members (``?seconds=`` changes it)


@blueprint.before_request
def may_look():
    """This machine, a bound board screen, or staff; anyone else is refused."""
    if request.endpoint == "board.index" and "board" in request.args:
        return None  # binding a screen checks its own token
    screen = bound_board()
    if is_loopback() or (screen and board_is_active(get_db(), screen[0])) or current_staff():
        return None
    raise CornerError("screen_unauthorized")


def _masked() -> bool:
    """Names masked: asked for on the address (``?mask=1``), or a screen bound that way."""
    screen = bound_board()
    return request.args.get("mask") == "1" or bool(screen and screen[1])


def _title(board) -> str:
    year, number = board.quarter[:4], board.quarter[5]
    if board.branch is None:
        return gettext(
            "%(community)s: members' points, quarter %(number)s of %(year)s",
            community=board.community,
            number=number,
            year=year,
        )
    return gettext(
        "%(community)s %(branch)s: members' points, quarter %(number)s of %(year)s",
        community=board.community,
        branch=board.branch,
        number=number,
        year=year,
    )


def board_json(board) -> dict:
    return {
        "quarter": board.quarter,
        "status": board.status,
        "title": _title(board),
        "community": board.community,
        "branch": board.branch,
        "posting": {
            "starts": board.posting_starts,
            "ends": board.posting_ends,
            "contact": board.contact,
        },
        "thresholds": list(board.thresholds),
        "updated": now().strftime("%H:%M"),
        "lines": [asdict(line) for line in board.lines],
    }


@blueprint.get("/board")
def index():
    """Bind a TV (``?board=NAME&key=TOKEN``), else the branches and quarters to choose from."""
    if "board" in request.args:
        screen = authenticate_board(
            get_db(), name=request.args.get("board"), token=request.args.get("key")
        )
        bind_board(screen.name, masked=request.args.get("mask") == "1")
        return redirect(url_for("board.index"))
    return render_template(
        "board/index.html",
        communities=list_communities(get_db()),
        quarters=list_quarters(get_db())[:8],
        current=request.args.get("quarter") or quarter_of(),
        language=str(get_locale()),
    )


@blueprint.get("/board/<quarter>/<int:branch_id>")
def board(quarter: str, branch_id: int):
    """A party branch's board."""
    return _page(quarter, branch_id=branch_id)


@blueprint.get("/board/<quarter>/community/<int:community_id>")
def community_board(quarter: str, community_id: int):
    """A whole community's board: its members of every branch, ranked as one."""
    return _page(quarter, community_id=community_id)


def _page(quarter: str, **which: int):
    mode = request.args.get("mode", "page")
    if mode not in MODES:
        raise CornerError("invalid_request", field="mode")
    masked = _masked()
    shown = public_board(get_db(), quarter, masked=masked, **which)
    api = "board.board_api" if "branch_id" in which else "board.community_api"
    return render_template(
        "board/board.html",
        board=shown,
        title=_title(shown),
        mode=mode,
        masked=masked,
        data=board_json(shown),
        api=url_for(api, quarter=shown.quarter, mask=int(masked), **which),
        version_api=url_for("board.version_api", quarter=shown.quarter),
        version=board_version(get_db(), shown.quarter),
        poll_seconds=POLL_SECONDS,
        page_seconds=min(max(request.args.get("seconds", PAGE_SECONDS, type=int), 1), 600),
        today=now().date(),
        language=str(get_locale()),
        fingerprint=fingerprint(get_db()),
    )


@blueprint.get("/api/board/<quarter>/<int:branch_id>")
@answers_json
def board_api(quarter: str, branch_id: int):
    shown = public_board(get_db(), quarter, branch_id=branch_id, masked=_masked())
    return jsonify({**board_json(shown), "version": board_version(get_db(), shown.quarter)})


@blueprint.get("/api/board/<quarter>/community/<int:community_id>")
@answers_json
def community_api(quarter: str, community_id: int):
    shown = public_board(get_db(), quarter, community_id=community_id, masked=_masked())
    return jsonify({**board_json(shown), "version": board_version(get_db(), shown.quarter)})


@blueprint.get("/api/board/<quarter>/version")
@answers_json
def version_api(quarter: str):
    return jsonify({"version": board_version(get_db(), quarter)})
