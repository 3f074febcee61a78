"""The ``corner`` command: set up an instance, fill it, serve it, and do staff chores by hand.

Bad input gets a one-line error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from pathlib import Path

import click

from kiosk.instance import (
    ENV_VARIABLE,
    Instance,
    InstanceError,
    default_path,
    init_instance,
    open_instance,
)
from points.errors import MESSAGES, CornerError

DEMO_FOLDER = "exchange-corner-demo"


class Context:
    def __init__(self, path: Path | None) -> None:
        self.explicit = path is not None
        self.path = path or default_path()

    def instance(self) -> Instance:
        instance = open_instance(self.path)
        _language[0] = instance.settings.language
        return instance

    def db(self):
        from points.db import connect

        return connect(self.instance().database)


_language = ["zh_CN"]  # the opened instance's language, for messages after it was opened


def _(msgid: str, /, **values: object) -> str:
    """Translate a CLI message into the instance's language (zh_CN unless configured)."""
    from kiosk.i18n import translator

    text = translator(_language[0]).gettext(msgid)
    return text % values if values else text


def request_id_option(function):
    return click.option(
        "--request-id",
        default=None,
        metavar="ID",
        help="Request id; a repeat with the same id does nothing twice.",
    )(function)


def _request_id(value: str | None) -> str:
    return value or f"cli-{uuid.uuid4()}"


def actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


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
@click.pass_obj
def init(obj: Context) -> None:
    """Create an instance folder: database, card secret and settings."""
    instance, created = init_instance(obj.path)
    message = "Created instance %(path)s" if created else "Instance %(path)s is ready (unchanged)"
    click.echo(_(message, path=instance.path))


@cli.command()
@click.option("--serve/--no-serve", default=True, help="Serve the kiosk after filling.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def demo(obj: Context, serve: bool, host: str, port: int) -> None:
    """Fill an instance with demo data (its own folder by default), then serve it."""
    import platformdirs

    from kiosk.demo import fill_demo
    from points.db import connect
    from points.members import count_members

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
        _serve(instance, host, port, threads=16)


def _serve(instance: Instance, host: str, port: int, threads: int) -> None:
    import waitress

    from kiosk.app import create_app

    app = create_app(instance)
    if instance.settings.reader:
        from kiosk.readers import start_local_reader

        start_local_reader(app.extensions["card_hub"])
    click.echo(_("Kiosk: http://%(host)s:%(port)s/kiosk", host=host, port=port))
    if instance.settings.demo:
        click.echo(_("Demo cards: http://%(host)s:%(port)s/kiosk/demo-cards", host=host, port=port))
    sys.stdout.flush()
    waitress.serve(app, host=host, port=port, threads=threads, ident="exchange-corner", _quiet=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=16,
    show_default=True,
    type=click.IntRange(2, 256),
    help="Worker threads: open kiosk pages, admin pages and headroom.",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int) -> None:
    """Serve the kiosk (and its API) with waitress."""
    _serve(obj.instance(), host, port, threads)


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
    from points.members import add_member, issue_qr_card

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
    )
    if not no_card:
        issue_qr_card(db, number=member.number, request_id=f"{request_id}-card")
    click.echo(_("Added member %(number)s %(name)s", number=member.number, name=member.name))


@members.command("list")
@click.pass_obj
def members_list(obj) -> None:
    """List members with their balances."""
    from points.members import list_members

    for member in list_members(obj.db()):
        click.echo(f"{member.number}\t{member.name}\t{member.balance}\t{member.status}")


def _points_command(kind: str):
    @click.argument("number")
    @click.argument("points", type=int)
    @click.option("--reason", required=True, help="Why (an activity, a correction).")
    @request_id_option
    @click.pass_obj
    def command(obj, number, points, reason, request_id) -> None:
        from points.ledger import award_points, deduct_points

        change = (award_points if kind == "award" else deduct_points)(
            obj.db(),
            number=number,
            points=points,
            reason=reason,
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
    from kiosk.pictures import store_picture
    from points.goods import add_goods

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
    from points.goods import catalog

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
    from points.goods import find_goods
    from points.goods import restock as restock_goods

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
    from points.redemptions import reverse_redemption

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


@cli.group()
def cards() -> None:
    """Members' points cards."""


@cards.command("issue")
@click.argument("number")
@request_id_option
@click.pass_obj
def cards_issue(obj, number, request_id) -> None:
    """Issue (or reissue) a member's QR card; the old one stops working at once."""
    from points.members import issue_qr_card

    card = issue_qr_card(obj.db(), number=number, request_id=_request_id(request_id))
    click.echo(
        _("Issued QR card %(serial)s to %(number)s", serial=card.id, number=card.member_number)
    )


@cards.command("bind")
@click.argument("number")
@click.option("--uid", default=None, help="The NFC card's UID in hex; without it, tap the card.")
@click.option(
    "--wait",
    default=60,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds to wait for a tap.",
)
@request_id_option
@click.pass_obj
def cards_bind(obj, number, uid, wait, request_id) -> None:
    """Bind an NFC card to a member: by UID, or by laying it on this machine's reader."""
    from cards.nfc import normalise_uid, wait_for_card
    from points.members import bind_nfc_card, get_member

    db = obj.db()
    member = get_member(db, number)
    if uid is None:
        click.echo(_("Lay the card on the reader…"))
        event = wait_for_card(timeout=wait)
        if event is None:
            raise click.ClickException(_("No card was laid on a reader."))
        if event.kind != "card":
            raise click.ClickException(
                _("The card could not be read: %(detail)s", detail=event.detail)
            )
        uid = event.uid
    card = bind_nfc_card(
        db, number=member.number, uid=normalise_uid(uid), request_id=_request_id(request_id)
    )
    click.echo(
        _(
            "Bound NFC card %(uid)s to %(number)s %(name)s",
            uid=card.uid,
            number=member.number,
            name=member.name,
        )
    )


@cards.command("revoke")
@click.argument("serial", type=int)
@request_id_option
@click.pass_obj
def cards_revoke(obj, serial, request_id) -> None:
    """Revoke a lost card by its serial (see `corner cards list`); it stops working at once."""
    from points.members import revoke_card

    card = revoke_card(obj.db(), card_id=serial, request_id=_request_id(request_id))
    click.echo(
        _("Card %(serial)s of %(number)s is revoked", serial=card.id, number=card.member_number)
    )


@cards.command("list")
@click.argument("number")
@click.pass_obj
def cards_list(obj, number) -> None:
    """A member's cards: serial, kind, status, UID."""
    from points.members import list_cards

    for card in list_cards(obj.db(), number):
        click.echo(f"{card.id}\t{card.kind}\t{card.status}\t{card.uid or ''}")


@cards.command("qr")
@click.argument("number")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG file to write (default NUMBER.png).",
)
@click.option("--text", is_flag=True, help="Print the token instead of writing a PNG.")
@click.pass_obj
def cards_qr(obj, number, output, text) -> None:
    """Write a member's current QR card as PNG."""
    from cards.qr import qr_png
    from cards.token import make_token
    from points.members import current_qr_card, get_member

    instance = obj.instance()
    member = get_member(obj.db(), number)
    card = current_qr_card(obj.db(), member.number)
    if card is None:
        raise click.ClickException(
            _(
                "%(number)s has no QR card; run `corner cards issue %(number)s`",
                number=member.number,
            )
        )
    token = make_token(instance.secret(), member_number=member.number, serial=card.id)
    if text:
        click.echo(token)
        return
    output = output or Path(f"{member.number}.png")
    output.write_bytes(qr_png(token))
    click.echo(_("Wrote %(path)s", path=output))


@cli.group()
def kiosks() -> None:
    """Kiosk machines whose reader agents forward card taps."""


@kiosks.command("add")
@click.argument("name")
@click.option("--corner", default=1, show_default=True, type=int, help="The kiosk's corner.")
@click.pass_obj
def kiosks_add(obj, name, corner) -> None:
    """Register a kiosk and print its token (shown once: keep it for `corner reader`)."""
    from points.kiosks import add_kiosk

    kiosk, token = add_kiosk(obj.db(), name=name, corner_id=corner)
    click.echo(_("Kiosk %(name)s added. Its token (shown only now):", name=kiosk.name))
    click.echo(token)


@kiosks.command("revoke")
@click.argument("name")
@click.pass_obj
def kiosks_revoke(obj, name) -> None:
    """Revoke a kiosk's token: its taps are refused from now on."""
    from points.kiosks import revoke_kiosk

    kiosk = revoke_kiosk(obj.db(), name=name)
    click.echo(_("Kiosk %(name)s is revoked", name=kiosk.name))


@kiosks.command("list")
@click.pass_obj
def kiosks_list(obj) -> None:
    """Kiosks, their corners and whether they are revoked."""
    from points.kiosks import list_kiosks

    for kiosk in list_kiosks(obj.db()):
        click.echo(f"{kiosk.name}\t{kiosk.corner_id}\t{'revoked' if kiosk.revoked else 'active'}")


@cli.command()
@click.option("--server", required=True, help="The server's address, e.g. http://192.168.1.10:8000")
@click.option("--kiosk", "kiosk_name", required=True, help="This kiosk's name (corner kiosks add).")
@click.option(
    "--token",
    required=True,
    envvar="CORNER_KIOSK_TOKEN",
    help="This kiosk's token (or $CORNER_KIOSK_TOKEN).",
)
def reader(server, kiosk_name, token) -> None:
    """Forward this machine's card taps to a server elsewhere on the LAN."""
    import logging

    from kiosk.agent import AgentError, ReaderAgent

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    agent = ReaderAgent(server, kiosk_name, token)
    try:
        click.echo(
            _(
                "Forwarding card taps to %(server)s as kiosk %(kiosk)s",
                server=server,
                kiosk=kiosk_name,
            )
        )
        agent.run()
    except AgentError as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@click.pass_obj
def check(obj) -> None:
    """Recompute balances and stock from the ledgers; exit 1 on any mismatch."""
    from points.check import check as check_books

    problems = check_books(obj.db())
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.ClickException(_("%(n)s problem(s) found", n=len(problems)))
    click.echo(_("All balances and stock levels agree with the ledgers."))


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
