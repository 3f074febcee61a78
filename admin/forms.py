"""What the admin forms share: trimming, request ids, and bounds taken from the core.

A form checks a bound only to say it next to the field before the core is asked; the bound
itself is the core's named constant, so the form, the core and the SQL agree.
"""

from __future__ import annotations

import re
import uuid

from flask import flash
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms.validators import Length, NumberRange, Regexp


def strip(value):
    """A form filter: the text without spaces around it."""
    return value.strip() if isinstance(value, str) else value


def new_request_id() -> str:
    """A request id made with the form: the same form submitted twice acts once."""
    return f"admin-{uuid.uuid4()}"


def at_most(limit: int) -> Length:
    """Text of at most ``limit`` characters (a core constant)."""
    return Length(max=limit, message=lazy_gettext("At most %(max)s characters.", max=limit))


def whole_number(limit: int) -> NumberRange:
    """A whole number from 1 to ``limit`` (a core constant)."""
    return NumberRange(1, limit, lazy_gettext("A whole number from 1 to %(max)s.", max=limit))


def matches(pattern: str, message, *, ignore_case: bool = False) -> Regexp:
    """The whole text matches the core's ``pattern``."""
    flags = re.IGNORECASE if ignore_case else 0
    return Regexp(rf"^(?:{pattern})\Z", flags=flags, message=message)


def flash_errors(form: FlaskForm) -> None:
    """Say a form's errors above the page: for a form the page does not show with its errors."""
    for errors in form.errors.values():
        for text in errors:
            flash(text, "error")
