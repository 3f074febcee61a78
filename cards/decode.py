"""Read QR codes from a picture: the phone camera's fallback when its browser cannot decode them.

A browser with the BarcodeDetector API reads the card itself; any other browser sends a camera
frame (or a photo) here. The picture comes from outside, so it is checked before it is decoded:
at most ``MAX_BYTES`` of JPEG or PNG, at most ``MAX_PIXELS`` once decoded. The size is read from
the file's header and refused before a single pixel is unpacked, so a small file that claims to be
a huge picture (a decompression bomb) costs nothing.
"""

from __future__ import annotations

import zxingcpp
from PIL import ImageOps

from points.errors import CornerError
from points.uploads import PICTURE_DAMAGE, open_picture

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 20_000_000


def decode_qr(data: bytes) -> list[str]:
    """The texts of the QR codes in a JPEG or PNG picture, each once, in the order found.

    ``[]`` when the picture holds no readable QR code. ``image_invalid`` (with ``reason`` size,
    pixels or format) when the picture is too large or is not a JPEG or PNG that can be read.
    """
    picture = open_picture(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    try:
        with picture:
            # a phone stores its photo as the sensor saw it and says in EXIF how to turn it
            upright = ImageOps.exif_transpose(picture)
            grey = upright.convert("L")
    except PICTURE_DAMAGE as error:
        raise CornerError("image_invalid", reason="format") from error
    found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
    return list(dict.fromkeys(code.text for code in found if code.text))
