"""Checks of plain values that arrive from outside (JSON, forms, the command line)."""

from __future__ import annotations

from points.errors import CornerError

SQLITE_MAX_INT = 2**63 - 1
# a reason or a note staff type: why points were awarded, deducted or given back, why a check-in
# was struck out, why stock was counted or restocked
MAX_REASON = 200


def positive_int(value: object, field: str, *, limit: int = SQLITE_MAX_INT) -> int:
    """A whole number from 1 to ``limit``, or ``invalid_request`` naming the field.

    bool is an int in Python: a JSON ``true`` must not buy one pair of slippers. The default limit
    keeps ids inside SQLite's 64-bit integers, where a larger one would raise OverflowError.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise CornerError("invalid_request", field=field)
    return value


def trimmed_text(
    value: object, field: str, *, max_length: int, required: bool = True
) -> str | None:
    """Text trimmed of surrounding space, 1 to ``max_length`` characters, or ``invalid_request``.

    Blank (None, empty or only spaces) is None when the field is not required.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise CornerError("invalid_request", field=field)
        return None
    if len(text) > max_length:
        raise CornerError("invalid_request", field=field)
    return text
