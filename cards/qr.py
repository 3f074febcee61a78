"""QR images of card tokens."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants


def qr_png(token: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A PNG of the token as a QR code (error correction M: survives a worn printed card)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border
    )
    code.add_data(token)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
