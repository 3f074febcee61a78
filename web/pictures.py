"""Goods pictures: checked and resized with Pillow before they are stored.

The picture is opened by the core's one picture opener (``points.uploads.open_picture``): its
size in bytes and its width and height, read from the header, are checked before a pixel is
decoded, so a small file claiming 50,000 x 50,000 pixels costs nothing. A refusal is
``invalid_request`` on the field ``picture`` with a ``reason`` (``too_large``,
``too_many_pixels`` or ``not_a_picture``), so the admin form and the CLI can say which.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

from points.errors import CornerError
from points.uploads import MAX_PICTURE_PIXELS, PICTURE_DAMAGE, open_picture

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = MAX_PICTURE_PIXELS  # a phone photo is 12-50 MP; more than this is no goods picture
MAX_SIDE = 640
_REASONS = {"size": "too_large", "pixels": "too_many_pixels", "format": "not_a_picture"}


def prepare_picture(data: bytes) -> tuple[str, bytes]:
    """Check and shrink a picture to a PNG of at most 640 px a side: (file name, PNG bytes).

    The file name is the digest of the PNG, so the same picture uploaded twice is one file.
    """
    try:
        with open_picture(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS) as image:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # damage is refused below, not only warned of
                image.load()
                picture = image.convert("RGBA")
    except CornerError as error:
        reason = _REASONS.get(str(error.details.get("reason")), "not_a_picture")
        raise CornerError("invalid_request", field="picture", reason=reason) from None
    except PICTURE_DAMAGE:
        raise CornerError("invalid_request", field="picture", reason="not_a_picture") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    png = buffer.getvalue()
    return "goods-" + hashlib.sha256(png).hexdigest()[:16] + ".png", png


def save_picture(name: str, png: bytes, folder: Path) -> bool:
    """Write a prepared picture into the pictures folder; True when the file is new."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        return False
    path.write_bytes(png)
    return True


def store_picture(source: Path, folder: Path) -> str:
    """Store a picture file as a PNG no larger than 640 px a side; returns its file name."""
    name, png = prepare_picture(source.read_bytes())
    save_picture(name, png, folder)
    return name
