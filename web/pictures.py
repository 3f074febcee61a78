"""Goods pictures: checked and resized with Pillow before they are stored.

A refusal is ``invalid_request`` on the field ``picture`` with a ``reason`` (``too_large`` or
``not_a_picture``), so the admin form and the CLI can say which.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from points.errors import CornerError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a phone photo is 12-50 MP; more than this is no goods picture
MAX_SIDE = 640


def prepare_picture(data: bytes) -> tuple[str, bytes]:
    """Check and shrink a picture to a PNG of at most 640 px a side: (file name, PNG bytes).

    The file name is the digest of the PNG, so the same picture uploaded twice is one file.
    """
    if len(data) > MAX_BYTES:
        raise CornerError("invalid_request", field="picture", reason="too_large")
    try:
        with warnings.catch_warnings():
            # a decompression bomb is refused below, not reported as a warning
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise CornerError("invalid_request", field="picture", reason="too_large")
                image.load()
                picture = image.convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
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
