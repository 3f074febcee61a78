"""``corner boards``: TV screens that show the public board (公示栏) with a token."""

from __future__ import annotations

import re
from pathlib import Path

import click

from board import views as board_views
from corner.app import create_app
from corner.cli.common import _, actor
from points.boards import add_board, list_boards, revoke_board


@click.group()
def boards() -> None:
    """Screens for the public board: a TV's browser, bound with a token."""


@boards.command("add")
@click.argument("name")
@click.option("--mask", is_flag=True, help="Show names masked (张*英) on this screen.")
@click.option(
    "--server",
    default="http://SERVER:8000",
    show_default=True,
    help="The server's address as the TV reaches it, for the link printed.",
)
@click.pass_obj
def boards_add(obj, name, mask, server) -> None:
    """Add a board screen; prints the link to open once on the TV (the token is shown once)."""
    screen, token = add_board(obj.db(), name=name, actor=actor())
    click.echo(
        _("Board screen %(name)s added. Open this link once on its browser:", name=screen.name)
    )
    masked = "&mask=1" if mask else ""
    click.echo(f"{server.rstrip('/')}/board?board={screen.name}&key={token}{masked}")


@boards.command("revoke")
@click.argument("name")
@click.pass_obj
def boards_revoke(obj, name) -> None:
    """Stop a board screen's link from working."""
    screen = revoke_board(obj.db(), name=name, actor=actor())
    click.echo(_("Board screen %(name)s is revoked.", name=screen.name))


@boards.command("list")
@click.pass_obj
def boards_list(obj) -> None:
    """Board screens, active or revoked."""
    for screen in list_boards(obj.db()):
        click.echo(f"{screen.name}\t{'revoked' if screen.revoked else 'active'}")


@boards.command("print")
@click.argument("quarter")
@click.option("--branch", "branch_id", type=int, required=True, help="The party branch's id.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="The HTML file to write (open it in a browser and print it on A4).",
)  # fmt: skip
@click.option("--mask", is_flag=True, help="Names masked (张*英).")
@click.pass_obj
def boards_print(obj, quarter, branch_id, output, mask) -> None:
    """Write a branch's board of a quarter as one HTML file, ready to print on A4."""
    app = create_app(obj.instance())
    client = app.test_client()
    query = {"mode": "print", **({"mask": "1"} if mask else {})}
    answer = client.get(f"/board/{quarter.upper()}/{branch_id}", query_string=query)
    if answer.status_code != 200:
        raise click.ClickException(answer.get_data(as_text=True)[:200])
    html = answer.get_data(as_text=True)
    style = (Path(board_views.blueprint.static_folder) / "board.css").read_text(encoding="utf-8")
    link = r'<link rel="stylesheet" href="[^"]*board\.css">'
    html = re.sub(link, lambda _match: f"<style>{style}</style>", html)
    output.write_text(html, encoding="utf-8")
    app.extensions["corner_connections"].close_all()
    click.echo(_("Written to %(path)s", path=output))
