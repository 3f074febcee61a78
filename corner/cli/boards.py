"""``corner boards``: TV screens that show the public board (公示栏) with a token."""

from __future__ import annotations

import click

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
