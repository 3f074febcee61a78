"""What every ``corner`` command shares: the instance folder, translation, request ids."""

from __future__ import annotations

import getpass
import uuid
from pathlib import Path

import click

from points.db import connect
from web.i18n import translator
from web.instance import Instance, default_path, open_instance


class Context:
    def __init__(self, path: Path | None) -> None:
        self.explicit = path is not None
        self.path = path or default_path()

    def instance(self) -> Instance:
        instance = open_instance(self.path)
        _language[0] = instance.settings.language
        return instance

    def db(self):

        return connect(self.instance().database)


_language = ["zh_CN"]  # the opened instance's language, for messages after it was opened


def _(msgid: str, /, **values: object) -> str:
    """Translate a CLI message into the instance's language (zh_CN unless configured)."""

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

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
