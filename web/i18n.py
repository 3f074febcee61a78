"""Translations: the page's language, error messages for scripts, and the CLI's catalogue."""

from __future__ import annotations

import functools
from pathlib import Path

from babel import Locale
from babel.support import Translations
from flask import request, session
from flask_babel import gettext

from points.errors import MESSAGES
from web.instance import LANGUAGES, current_instance

TRANSLATIONS = Path(__file__).parent / "translations"


def error_strings() -> dict[str, str]:
    """Every error code's message in the page's language, as ``error_<code>`` for a script."""
    return {f"error_{code}": gettext(message) for code, message in MESSAGES.items()}


def select_locale() -> str:
    """The page's ?lang=, else the instance's configured language (zh_CN by default).

    The kiosk forgets the choice with the next member; the admin pages keep it for the login.
    """
    requested = request.args.get("lang")
    admin = request.blueprint == "admin"
    if requested in LANGUAGES:
        if admin:
            session["admin_language"] = requested
        return requested
    if admin and session.get("admin_language") in LANGUAGES:
        return session["admin_language"]
    return current_instance().settings.language


@functools.cache
def translator(language: str) -> Translations:
    """A gettext catalogue for code that runs outside a request, such as the CLI (read once)."""
    # catalogues live under Babel's full locale name (zh_Hans_CN), as Flask-Babel looks them up
    return Translations.load(str(TRANSLATIONS), [Locale.parse(language)])
