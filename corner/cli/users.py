"""``corner users``: staff accounts for the admin pages, and the first admin at ``corner init``."""

from __future__ import annotations

import ipaddress
import sys

import click

from corner.cli.common import _, actor
from points.errors import CornerError
from points.staff import (
    PIN_LENGTH,
    add_staff,
    deactivate_staff,
    get_staff,
    has_active_admin,
    list_staff,
    normalise_username,
    reactivate_staff,
    set_password,
    set_pin,
    set_role,
    unlock_staff,
)


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return click.prompt(
        _("Password"),
        hide_input=True,
        confirmation_prompt=_("Repeat the password"),
        err=True,
    )


def create_staff(db, *, username: str, role: str, from_stdin: bool) -> None:
    """Ask for a password and create the account; used by ``users add`` and ``init --admin``."""

    username = normalise_username(username)  # refuse a bad name before asking for a password
    staff = add_staff(
        db, username=username, password=read_password(from_stdin), role=role, actor=actor()
    )
    if staff.role == "admin":
        click.echo(_("Added admin %(name)s", name=staff.username))
    else:
        click.echo(_("Added organiser %(name)s", name=staff.username))


password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)


@click.group()
def users() -> None:
    """Staff accounts for the admin pages."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["admin", "organiser"]),
    required=True,
    help="admin: everything; organiser: activities and check-in only.",
)
@password_stdin_option
@click.pass_obj
def users_add(obj, name, role, password_stdin) -> None:
    """Add a staff account (asks for its password twice)."""
    create_staff(obj.db(), username=name, role=role, from_stdin=password_stdin)


@users.command("list")
@click.pass_obj
def users_list(obj) -> None:
    """Staff accounts: name, role, active or not."""

    for staff in list_staff(obj.db()):
        click.echo(f"{staff.username}\t{staff.role}\t{'active' if staff.active else 'inactive'}")


@users.command("passwd")
@click.argument("name")
@password_stdin_option
@click.pass_obj
def users_passwd(obj, name, password_stdin) -> None:
    """Give an account a new password (asks twice); its open logins end, a lock lifts."""

    username = normalise_username(name)
    db = obj.db()
    if get_staff(db, username) is None:  # say so before asking for a password
        raise CornerError("staff_unknown", username=username)
    staff = set_password(
        db, username=username, password=read_password(password_stdin), actor=actor()
    )
    click.echo(_("New password set for %(name)s", name=staff.username))


def read_pin(from_stdin: bool) -> str:
    """A new check-in PIN: one line of standard input, or asked twice without echo."""

    wrong = _("A PIN is exactly %(n)s digits (0-9), nothing else.", n=PIN_LENGTH)

    def digits(value: str) -> str:
        value = value.strip()
        if len(value) != PIN_LENGTH or not all(char in "0123456789" for char in value):
            raise click.UsageError(wrong)
        return value

    if from_stdin:
        line = sys.stdin.readline()
        try:
            return digits(line)
        except click.UsageError:
            raise click.ClickException(wrong) from None
    return click.prompt(
        _("PIN (%(n)s digits)", n=PIN_LENGTH),
        hide_input=True,
        confirmation_prompt=_("Repeat the PIN"),
        value_proc=digits,
        err=True,
    )


@users.command("pin")
@click.argument("name")
@click.option("--clear", is_flag=True, help="Take the PIN away.")
@click.option(
    "--pin-stdin",
    is_flag=True,
    help="Read the PIN from the first line of standard input (for scripts).",
)
@click.pass_obj
def users_pin(obj, name, clear, pin_stdin) -> None:
    """Set the account's check-in PIN (6 digits, asked twice), or clear it.

    The PIN opens activity check-in on a kiosk, and nothing else.
    """

    db = obj.db()  # first: it sets the language of the messages below
    if clear and pin_stdin:
        raise click.UsageError(_("--clear takes no PIN"))
    username = normalise_username(name)
    staff = get_staff(db, username)
    if staff is None:  # say so before asking for a PIN
        raise CornerError("staff_unknown", username=username)
    if clear:
        if not staff.pin_stamp:
            click.echo(_("%(name)s has no check-in PIN", name=staff.username))
            return
        set_pin(db, username=username, pin=None, actor=actor())
        click.echo(_("Check-in PIN of %(name)s cleared", name=staff.username))
        return
    set_pin(db, username=username, pin=read_pin(pin_stdin), actor=actor())
    click.echo(_("Check-in PIN set for %(name)s", name=staff.username))


@users.command("deactivate")
@click.argument("name")
@click.pass_obj
def users_deactivate(obj, name) -> None:
    """Stop an account from logging in (nothing it did is removed)."""

    staff = deactivate_staff(obj.db(), username=name, actor=actor())
    click.echo(_("%(name)s is deactivated and cannot log in.", name=staff.username))


@users.command("reactivate")
@click.argument("name")
@click.pass_obj
def users_reactivate(obj, name) -> None:
    """Let a deactivated account log in again."""

    staff = reactivate_staff(obj.db(), username=name, actor=actor())
    click.echo(_("%(name)s can log in again.", name=staff.username))


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "organiser"]))
@click.pass_obj
def users_role(obj, name, role) -> None:
    """Make an account an admin or an organiser; its open logins end."""
    staff = set_role(obj.db(), username=name, role=role, actor=actor())
    if staff.role == "admin":
        click.echo(_("%(name)s is an admin now.", name=staff.username))
    else:
        click.echo(_("%(name)s is an organiser now.", name=staff.username))


@users.command("unlock")
@click.argument("name")
@click.pass_obj
def users_unlock(obj, name) -> None:
    """Lift a lock-out after wrong passwords, at once."""
    staff = unlock_staff(obj.db(), username=name, actor=actor())
    click.echo(_("%(name)s may log in again now.", name=staff.username))


def is_loopback_host(host: str) -> bool:
    """Does ``host`` listen on this machine only?"""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_without_admin(db, host: str) -> None:
    """Serving on the LAN with no admin account: say so, as nobody could log in to the admin."""

    if not is_loopback_host(host) and not has_active_admin(db):
        click.echo(
            _(
                "warning: serving on %(host)s, but there is no active admin account; "
                "create one with `corner users add NAME --role admin`",
                host=host,
            ),
            err=True,
        )
