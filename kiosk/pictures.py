"""Goods pictures: checked and resized with Pillow before they are stored."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from points.errors import CornerError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 640


def store_picture(source: Path, folder: Path) -> str:
    """Store a picture as a PNG no larger than 640 px a side; the file name is its digest."""
    data = source.read_bytes()
    if len(data) > MAX_BYTES:
        raise CornerError("invalid_request", field="picture")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise CornerError("invalid_request", field="picture") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    name = "goods-" + hashlib.sha256(buffer.getvalue()).hexdigest()[:16] + ".png"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(buffer.getvalue())
    return name
