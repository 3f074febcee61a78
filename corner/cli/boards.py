"""``corner boards``: TV screens that show the public board (公示栏) with a token."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from board import views as board_views
from corner.app import create_app
from corner.cli.common import _, actor
from points.board import public_board
from points.boards import add_board, list_boards, revoke_board

# the browsers that can print the board to a PDF, by the names Debian and Ubuntu give them
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


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
    help="board.html (open it in a browser and print it on A4) or board.pdf (made with Chromium).",
)  # fmt: skip
@click.option("--mask", is_flag=True, help="Names masked (张*英).")
@click.pass_obj
def boards_print(obj, quarter, branch_id, output, mask) -> None:
    """Write a branch's board of a quarter, ready to print on A4: one HTML file, or a PDF."""
    public_board(obj.db(), quarter, branch_id=branch_id)  # a refusal says why, in words
    app = create_app(obj.instance())
    try:
        query = {"mode": "print", **({"mask": "1"} if mask else {})}
        answer = app.test_client().get(f"/board/{quarter.upper()}/{branch_id}", query_string=query)
        html = answer.get_data(as_text=True)
    finally:
        app.extensions["corner_connections"].close_all()
    style = (Path(board_views.blueprint.static_folder) / "board.css").read_text(encoding="utf-8")
    link = r'<link rel="stylesheet" href="[^"]*board\.css">'
    html = re.sub(link, lambda _match: f"<style>{style}</style>", html)
    if output.suffix.lower() == ".pdf":
        _print_to_pdf(html, output)
    else:
        output.write_text(html, encoding="utf-8")
    click.echo(_("Written to %(path)s", path=output))


def _print_to_pdf(html: str, output: Path) -> None:
    """The page as an A4 PDF, printed by Chromium without a screen (nothing leaves the machine)."""
    browser = next(
        (found for name in BROWSERS if (found := shutil.which(name))), None
    )  # fmt: skip
    if browser is None:
        raise click.ClickException(_("No Chromium here to make a PDF: write a .html file instead."))
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "board.html"
        page.write_text(html, encoding="utf-8")
        printed = subprocess.run(
            [
                browser,
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-pdf-header-footer",
                f"--user-data-dir={folder}/profile",
                f"--print-to-pdf={output.resolve()}",
                page.as_uri(),
            ],  # fmt: skip
            capture_output=True,
            timeout=120,
        )
    if printed.returncode != 0 or not output.exists():
        raise click.ClickException(_("Chromium could not make the PDF."))
