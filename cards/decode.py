"""Read QR codes from a picture: the phone camera's fallback when its browser cannot decode them.

A browser with the BarcodeDetector API reads the card itself; any other browser sends a camera
frame (or a photo) here. The picture comes from outside, so it is checked before it is decoded:
at most ``MAX_BYTES`` of JPEG or PNG, at most ``MAX_PIXELS`` once decoded. The size is read from
the file's header and refused before a single pixel is unpacked, so a small file that claims to be
a huge picture (a decompression bomb) costs nothing.
"""

from __future__ import annotations

import io
import struct
import zlib

import zxingcpp
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin

from points.errors import CornerError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 20_000_000

# Pillow's own Image.open would warn (not refuse) about pictures between ~89 and ~179 megapixels;
# opening the two formats we take directly lets our smaller limit decide alone, with no warning.
_FORMATS = (
    (b"\xff\xd8\xff", JpegImagePlugin.JpegImageFile),
    (b"\x89PNG\r\n\x1a\n", PngImagePlugin.PngImageFile),
)

# what Pillow raises on a damaged or truncated file, depending on where the damage is
_UNREADABLE = (
    OSError,
    SyntaxError,
    ValueError,
    IndexError,
    TypeError,
    EOFError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
    # Pillow warns about a damaged EXIF block and reads on; only where warnings are errors (the
    # test suite) does the warning arrive here, and then it is a refusal like any other damage
    UserWarning,
)


def decode_qr(data: bytes) -> list[str]:
    """The texts of the QR codes in a JPEG or PNG picture, each once, in the order found.

    ``[]`` when the picture holds no readable QR code. ``image_invalid`` (with ``reason`` size,
    pixels or format) when the picture is too large or is not a JPEG or PNG that can be read.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise CornerError("image_invalid", reason="format")
    if len(data) > MAX_BYTES:
        raise CornerError("image_invalid", reason="size")
    opener = next((kind for magic, kind in _FORMATS if data.startswith(magic)), None)
    if opener is None:
        raise CornerError("image_invalid", reason="format")
    try:
        with opener(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise CornerError("image_invalid", reason="pixels")
            # a phone stores its photo as the sensor saw it and says in EXIF how to turn it
            upright = ImageOps.exif_transpose(picture)
            grey = upright.convert("L")
    except CornerError:
        raise
    except _UNREADABLE as error:
        raise CornerError("image_invalid", reason="format") from error
    found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
    return list(dict.fromkeys(code.text for code in found if code.text))
