"""What a request carries, checked at the door: a JSON body, and ids in addresses.

Malformed input is refused here with ``invalid_request`` (or a 404 for an id no row can have)
before any view or rule sees it: JSON nested beyond Python's recursion limit, text holding lone
UTF-16 surrogates (which SQLite and hashing cannot encode), and integers in an address beyond
SQLite's 64-bit range.
"""

from __future__ import annotations

from flask import request
from werkzeug.routing import IntegerConverter

from points.errors import CornerError
from points.validate import SQLITE_MAX_INT


def json_body() -> dict:
    """The request's JSON object, or ``invalid_request`` on the field ``body``."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can go: not a request of ours
        body = None
    if not isinstance(body, dict) or not _encodable(body):
        raise CornerError("invalid_request", field="body")
    return body


def _encodable(value: object) -> bool:
    """No text anywhere in the value holds a lone surrogate (walked without recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in an address: 0 to SQLite's largest integer; a larger one matches no route."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", SQLITE_MAX_INT)
        super().__init__(url_map, *args, **kwargs)
