"""``corner cards``, ``corner kiosks`` and ``corner reader``: points cards and card readers."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from cards.agent import AgentError, ReaderAgent
from cards.nfc import normalise_uid, wait_for_card
from cards.qr import qr_png
from cards.token import make_token
from corner.cli.common import _, _request_id, actor, request_id_option
from points.kiosks import add_kiosk, list_kiosks, revoke_kiosk
from points.member_cards import (
    bind_nfc_card,
    current_qr_card,
    issue_qr_card,
    list_cards,
    revoke_card,
)
from points.members import get_member


@click.group()
def cards() -> None:
    """Members' points cards."""


@cards.command("issue")
@click.argument("number")
@request_id_option
@click.pass_obj
def cards_issue(obj, number, request_id) -> None:
    """Issue (or reissue) a member's QR card; the old one stops working at once."""

    card = issue_qr_card(obj.db(), number=number, request_id=_request_id(request_id), actor=actor())
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
        db,
        number=member.number,
        uid=normalise_uid(uid),
        request_id=_request_id(request_id),
        actor=actor(),
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

    card = revoke_card(obj.db(), card_id=serial, request_id=_request_id(request_id), actor=actor())
    click.echo(
        _("Card %(serial)s of %(number)s is revoked", serial=card.id, number=card.member_number)
    )


@cards.command("list")
@click.argument("number")
@click.pass_obj
def cards_list(obj, number) -> None:
    """A member's cards: serial, kind, status, UID."""

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


@click.group()
def kiosks() -> None:
    """Kiosk machines whose reader agents forward card taps."""


@kiosks.command("add")
@click.argument("name")
@click.option("--corner", default=1, show_default=True, type=int, help="The kiosk's corner.")
@click.pass_obj
def kiosks_add(obj, name, corner) -> None:
    """Register a kiosk and print its token (shown once: keep it for `corner reader`)."""

    kiosk, token = add_kiosk(obj.db(), name=name, corner_id=corner, actor=actor())
    click.echo(_("Kiosk %(name)s added. Its token (shown only now):", name=kiosk.name))
    click.echo(token)


@kiosks.command("revoke")
@click.argument("name")
@click.pass_obj
def kiosks_revoke(obj, name) -> None:
    """Revoke a kiosk's token: its taps are refused from now on."""

    kiosk = revoke_kiosk(obj.db(), name=name, actor=actor())
    click.echo(_("Kiosk %(name)s is revoked", name=kiosk.name))


@kiosks.command("list")
@click.pass_obj
def kiosks_list(obj) -> None:
    """Kiosks, their corners and whether they are revoked."""

    for kiosk in list_kiosks(obj.db()):
        click.echo(f"{kiosk.name}\t{kiosk.corner_id}\t{'revoked' if kiosk.revoked else 'active'}")


@click.command()
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
