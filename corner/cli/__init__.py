"""The ``corner`` command: set up an instance, fill it, serve it, and do staff chores by hand.

Bad input gets a one-line error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click
import platformdirs

from corner.app import create_app
from corner.cli.activities import activities
from corner.cli.boards import boards
from corner.cli.cards import cards, kiosks, reader
from corner.cli.common import Context, _, _request_id, actor, request_id_option
from corner.cli.quarters import quarters
from corner.cli.users import create_staff, password_stdin_option, users, warn_without_admin
from corner.demo import fill_demo
from corner.server import Guards, create_server
from points.chain import verify as verify_chain
from points.check import check as check_books
from points.db import connect
from points.errors import MESSAGES, CornerError
from points.goods import add_goods, catalog, find_goods
from points.ledger import award_points, deduct_points
from points.member_cards import issue_qr_card
from points.members import add_member, count_members, list_members
from points.redemptions import reverse_redemption
from points.stock import restock as restock_goods
from web.db import get_db
from web.hub import start_local_reader
from web.instance import ENV_VARIABLE, Instance, InstanceError, init_instance, open_instance
from web.pictures import store_picture

DEMO_FOLDER = "exchange-corner-demo"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--instance",
    "instance_path",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_VARIABLE,
    help=f"Instance folder (database, card secret, pictures); "
    f"default ${ENV_VARIABLE} or the per-user data folder.",
)
@click.pass_context
def cli(context: click.Context, instance_path: Path | None) -> None:
    """Exchange Corner (积分兑换角): kiosk and points ledger."""
    context.obj = Context(instance_path)


@cli.command()
@click.option("--admin", "admin_name", metavar="NAME", help="Also create this admin account.")
@password_stdin_option
@click.pass_obj
def init(obj: Context, admin_name: str | None, password_stdin: bool) -> None:
    """Create an instance folder: database, card secret and settings (and the first admin)."""
    instance, created = init_instance(obj.path)
    message = "Created instance %(path)s" if created else "Instance %(path)s is ready (unchanged)"
    click.echo(_(message, path=instance.path))
    if admin_name:
        create_staff(obj.db(), username=admin_name, role="admin", from_stdin=password_stdin)


@cli.command()
@click.option("--serve/--no-serve", default=True, help="Serve the kiosk after filling.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def demo(obj: Context, serve: bool, host: str, port: int) -> None:
    """Fill an instance with demo data (its own folder by default), then serve it."""

    path = obj.path if obj.explicit else Path(platformdirs.user_data_dir(DEMO_FOLDER))
    instance, _created = init_instance(path)
    db = connect(instance.database)
    if count_members(db) and not instance.settings.demo:
        raise click.ClickException(
            _(
                "%(path)s holds real data; demo data goes only into a new or a demo instance",
                path=path,
            )
        )
    if not instance.settings.demo:
        text = instance.config_file.read_text(encoding="utf-8")
        instance.config_file.write_text(
            text.replace("demo = false", "demo = true"), encoding="utf-8"
        )
        instance = open_instance(path)
    fill_demo(db, instance.pictures)
    db.close()
    click.echo(_("Demo data is in %(path)s", path=path))
    if serve:
        _serve(instance, host, port, threads=16, guards=Guards())


def _serve(instance: Instance, host: str, port: int, threads: int, guards: Guards) -> None:

    app = create_app(instance)
    with app.app_context():
        warn_without_admin(get_db(), host)
    if instance.settings.reader:
        start_local_reader(app.extensions["card_hub"])
    click.echo(_("Kiosk: http://%(host)s:%(port)s/kiosk", host=host, port=port))
    click.echo(_("Admin: http://%(host)s:%(port)s/admin", host=host, port=port))
    if instance.settings.demo:
        click.echo(_("Demo cards: http://%(host)s:%(port)s/kiosk/demo-cards", host=host, port=port))
    sys.stdout.flush()
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        guards=guards,
        keep_forwarded_headers=bool(instance.settings.trusted_proxies),
    )
    server.run()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=16,
    show_default=True,
    type=click.IntRange(2, 256),
    help="Worker threads answering requests (open pages' event streams hold none).",
)
@click.option(
    "--connections-per-client",
    default=None,
    type=click.IntRange(0, 10_000),
    help=f"Connections one client address may hold; 0 for no limit. Default "
    f"{Guards.per_client}, or 0 with trusted_proxies set (every browser then comes from the "
    f"proxy's address: limit connections in the proxy).",
)
@click.option(
    "--header-seconds",
    default=Guards.header_seconds,
    show_default=True,
    type=click.FloatRange(0.5, 300),
    help="Time a client has to send a request's headers before it is cut off.",
)
@click.pass_obj
def serve(
    obj: Context,
    host: str,
    port: int,
    threads: int,
    connections_per_client: int | None,
    header_seconds: float,
) -> None:
    """Serve the kiosk (and its API) with waitress."""
    instance = obj.instance()
    if connections_per_client is None:
        # behind a reverse proxy every connection comes from the proxy: a share per address
        # would be one share for all the browsers together
        connections_per_client = 0 if instance.settings.trusted_proxies else Guards.per_client
    guards = Guards(per_client=connections_per_client, header_seconds=header_seconds)
    _serve(instance, host, port, threads, guards)


@cli.group()
def members() -> None:
    """Members."""


@members.command("add")
@click.option("--number", required=True, help="Member number, e.g. QZ026.")
@click.option("--name", required=True)
@click.option("--branch", default=None, help="Party branch (党支部).")
@click.option("--community", default=None, help="Community (社区).")
@click.option("--phone", default=None)
@click.option("--no-card", is_flag=True, help="Do not issue a QR card yet.")
@request_id_option
@click.pass_obj
def members_add(obj, number, name, branch, community, phone, no_card, request_id) -> None:
    """Register a member (and issue their QR card)."""

    db = obj.db()
    request_id = _request_id(request_id)
    member = add_member(
        db,
        number=number,
        name=name,
        branch=branch,
        community=community,
        phone=phone,
        request_id=request_id,
        actor=actor(),
    )
    if not no_card:
        issue_qr_card(db, number=member.number, request_id=f"{request_id}-card", actor=actor())
    click.echo(_("Added member %(number)s %(name)s", number=member.number, name=member.name))


@members.command("list")
@click.pass_obj
def members_list(obj) -> None:
    """List members with their balances."""

    for member in list_members(obj.db()):
        click.echo(f"{member.number}\t{member.name}\t{member.balance}\t{member.status}")


def _points_command(kind: str):
    @click.argument("number")
    @click.argument("points", type=int)
    @click.option("--reason", required=True, help="Why (an activity, a correction).")
    @click.option(
        "--corrects",
        default=None,
        metavar="QUARTER",
        help="A late correction of this locked quarter (it counts in the current one).",
    )
    @request_id_option
    @click.pass_obj
    def command(obj, number, points, reason, corrects, request_id) -> None:

        change = (award_points if kind == "award" else deduct_points)(
            obj.db(),
            number=number,
            points=points,
            reason=reason,
            corrects=corrects,
            request_id=_request_id(request_id),
            actor=actor(),
        )
        click.echo(
            _(
                "%(number)s: %(delta)+d points, balance %(balance)s",
                number=change.member_number,
                delta=change.delta,
                balance=change.balance,
            )
        )

    return command


cli.command("award", help="Award points to a member.")(_points_command("award"))
cli.command("deduct", help="Deduct points from a member, with a reason.")(_points_command("deduct"))


@cli.group()
def goods() -> None:
    """Goods in the catalogue."""


@goods.command("add")
@click.option("--name", required=True)
@click.option("--points", required=True, type=int, help="Price in points.")
@click.option("--stock", default=0, show_default=True, type=int, help="Opening stock.")
@click.option(
    "--picture",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A picture of the item (PNG or JPEG).",
)
@request_id_option
@click.pass_obj
def goods_add(obj, name, points, stock, picture, request_id) -> None:
    """Add a good to the catalogue."""

    instance = obj.instance()
    stored = store_picture(picture, instance.pictures) if picture else None
    item = add_goods(
        obj.db(),
        name=name,
        points=points,
        stock=stock,
        picture=stored,
        request_id=_request_id(request_id),
        actor=actor(),
        corner_id=instance.settings.corner,
    )
    click.echo(
        _(
            "Added goods %(id)s %(name)s: %(points)s points, stock %(stock)s",
            id=item.id,
            name=item.name,
            points=item.points,
            stock=item.stock,
        )
    )


@goods.command("list")
@click.pass_obj
def goods_list(obj) -> None:
    """List the catalogue with stock at this corner."""

    for item in catalog(obj.db(), corner_id=obj.instance().settings.corner):
        click.echo(f"{item.id}\t{item.name}\t{item.points}\t{item.stock}")


@cli.command()
@click.argument("goods_ref", metavar="GOODS")
@click.argument("quantity", type=int)
@click.option(
    "--source",
    type=click.Choice(["purchase", "donation", "other"]),
    default="purchase",
    show_default=True,
)
@click.option("--note", default=None)
@request_id_option
@click.pass_obj
def restock(obj, goods_ref, quantity, source, note, request_id) -> None:
    """Add stock of GOODS (id or name)."""

    corner = obj.instance().settings.corner
    db = obj.db()
    item = find_goods(db, goods_ref, corner_id=corner)
    change = restock_goods(
        db,
        goods_id=item.id,
        quantity=quantity,
        source=source,
        note=note,
        request_id=_request_id(request_id),
        actor=actor(),
        corner_id=corner,
    )
    click.echo(
        _(
            "%(name)s: +%(delta)s, stock %(on_hand)s",
            name=change.name,
            delta=change.delta,
            on_hand=change.on_hand,
        )
    )


@cli.command()
@click.argument("redemption_id", type=int)
@click.option("--reason", required=True)
@request_id_option
@click.pass_obj
def reverse(obj, redemption_id, reason, request_id) -> None:
    """Reverse a redemption: points and stock go back, as new ledger rows."""

    result = reverse_redemption(
        obj.db(),
        redemption_id=redemption_id,
        reason=reason,
        request_id=_request_id(request_id),
        actor=actor(),
    )
    click.echo(
        _(
            "Redemption %(id)s reversed: %(points)s points back to %(number)s",
            id=result.redemption_id,
            points=result.points,
            number=result.member_number,
        )
    )


@cli.command()
@click.pass_obj
def check(obj) -> None:
    """Recompute balances and stock from the ledgers; exit 1 on any mismatch."""

    problems = check_books(obj.db())
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.ClickException(_("%(n)s problem(s) found", n=len(problems)))
    click.echo(_("All balances and stock levels agree with the ledgers."))


@cli.command()
@click.option(
    "--at",
    "fingerprint",
    metavar="FINGERPRINT",
    help="A printed fingerprint (P<row>:<hex> S<row>:<hex>, either or both): is that head in the"
    " chain, i.e. is the printed state a beginning of today's ledger?",
)
@click.pass_obj
def verify(obj, fingerprint: str | None) -> None:
    """Recompute the hash chains of both ledgers; exit 1 at the first row that breaks one."""

    try:
        reports = verify_chain(obj.db(), at=fingerprint)
    except ValueError:
        raise click.BadParameter(
            _("a fingerprint looks like P1234:1a2b3c4d5e6f S567:abcdef012345"),
            param_hint="--at",
        ) from None
    names = {"points_entries": _("Points ledger"), "stock_entries": _("Stock ledger")}
    failed = 0
    for report in reports:
        if report.whole:
            click.echo(
                _(
                    "%(ledger)s: %(n)s rows, the chain holds; head %(head)s",
                    ledger=names[report.ledger],
                    n=report.rows,
                    head=report.head,
                )
            )
        else:
            failed += 1
            click.echo(
                _(
                    "%(ledger)s: the chain breaks at row %(id)s (after %(n)s good rows)",
                    ledger=names[report.ledger],
                    id=report.broken_at,
                    n=report.rows,
                )
            )
            click.echo(f"  {report.problem}")
        for token, found in report.found.items():
            if found:
                click.echo(_("%(head)s is in the chain", head=token))
            else:
                failed += 1
                click.echo(_("%(head)s is NOT in the chain", head=token))
    if failed:
        raise click.ClickException(_("%(n)s problem(s) found", n=failed))
    click.echo(_("Fingerprint: %(fingerprint)s", fingerprint=" ".join(r.head for r in reports)))


for command in (activities, boards, cards, kiosks, quarters, reader, users):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every refusal into one line on stderr."""
    try:
        cli.main(args=argv, prog_name="corner", standalone_mode=False)
    except CornerError as error:
        fail(f"{_(MESSAGES[error.code])} ({error.code}{_details(error)})", 1)
    except click.exceptions.Abort:
        fail(_("Aborted."), 1)
    except click.ClickException as error:
        fail(error.format_message(), error.exit_code)
    except InstanceError as error:
        fail(str(error), 2)
    except sqlite3.Error as error:
        fail(f"database: {error}", 1)
    except OSError as error:
        fail(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), 1)
    except KeyboardInterrupt:
        sys.exit(130)


def _details(error: CornerError) -> str:
    return "".join(f", {key}={value}" for key, value in error.details.items())


def fail(message: str, code: int) -> None:
    click.echo(_("error: %(message)s", message=" ".join(message.split())), err=True)
    sys.exit(code)
