"""The QR card token: versioned, signed with the instance's secret, carrying the card's serial.

Format (version 1), all in the QR alphanumeric alphabet so the code stays small and a keyboard-
wedge scanner types it the same on any keyboard layout::

    EC1.<INSTANCE>.<MEMBER NUMBER>.<SERIAL>.<SIGNATURE>
    EC1.K7QD.QZ001.12.ABCDEFGHIJKLMNOP

INSTANCE is four base32 characters derived from the secret, so a card from another corner's
system is told apart from a forged one. SIGNATURE is HMAC-SHA256 over everything before it,
truncated to 80 bits and base32-encoded (16 characters). About 35 characters in all: a version 2
QR code (25 x 25 modules), which a cheap scanner reads off a printed card.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from points.errors import CornerError

VERSION = "EC1"
MAX_TOKEN_LENGTH = 64
_SIGNATURE_BYTES = 10
_TOKEN = re.compile(
    r"^EC(\d+)\.([A-Z2-7]{4})\.([A-Z0-9-]{1,20})\.([1-9][0-9]{0,11})\.([A-Z2-7]{16})$"
)
# The same format of this VERSION for the pages (a JavaScript RegExp as well): its one group is
# the member number. Match it against the token in upper case, as read_token does; it says what
# a token names, not that it is genuine. tests/test_token_pattern.py keeps it in step with _TOKEN.
TOKEN_PATTERN = (
    rf"^{VERSION}\.[A-Z2-7]{{4}}\.([A-Z0-9-]{{1,20}})\.[1-9][0-9]{{0,11}}\.[A-Z2-7]{{16}}$"
)


@dataclass(frozen=True)
class CardSecret:
    key: bytes

    @property
    def instance(self) -> str:
        """Four characters naming this instance inside its tokens."""
        digest = hashlib.sha256(b"exchange-corner instance\x00" + self.key).digest()
        return base64.b32encode(digest).decode()[:4]

    @classmethod
    def generate(cls) -> CardSecret:
        return cls(secrets.token_bytes(32))

    @classmethod
    def load(cls, path: Path) -> CardSecret:
        return cls(bytes.fromhex(path.read_text(encoding="ascii").strip()))

    def save(self, path: Path) -> None:
        """Write the secret readable by its owner only; never overwrite an existing one."""
        with open(path, "x", encoding="ascii", opener=_private_opener) as handle:
            handle.write(self.key.hex() + "\n")


def _private_opener(path: str, flags: int) -> int:
    import os

    return os.open(path, flags, 0o600)


@dataclass(frozen=True)
class QrCredential:
    member_number: str
    serial: int


def _signature(secret: CardSecret, body: str) -> str:
    mac = hmac.new(secret.key, body.encode("ascii"), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.b32encode(mac).decode()


def make_token(secret: CardSecret, *, member_number: str, serial: int) -> str:
    """The token printed into a member's QR card."""
    body = f"{VERSION}.{secret.instance}.{member_number}.{serial}"
    return f"{body}.{_signature(secret, body)}"


def read_token(secret: CardSecret, text: object) -> QrCredential:
    """Check a scanned token and say whose card it claims to be; refuse anything doubtful.

    ``card_invalid``: garbage, truncated, tampered or wrongly signed; ``card_foreign``: signed by
    another instance; an outdated format version is ``card_invalid`` with ``reason=version``.
    Whether the serial is still the member's current card is the core's question, not this one's.
    """
    if not isinstance(text, str) or len(text) > MAX_TOKEN_LENGTH:
        raise CornerError("card_invalid", reason="length")
    # scanners may add a trailing CR/LF or spaces; some send lower case when Caps Lock is on
    token = text.strip().upper()
    match = _TOKEN.match(token)
    if match is None:
        raise CornerError("card_invalid", reason="format")
    version, instance, number, serial, signature = match.groups()
    if f"EC{version}" != VERSION:
        raise CornerError("card_invalid", reason="version")
    if instance != secret.instance:
        raise CornerError("card_foreign")
    body = token.rsplit(".", 1)[0]
    if not hmac.compare_digest(signature, _signature(secret, body)):
        raise CornerError("card_invalid", reason="signature")
    return QrCredential(member_number=number, serial=int(serial))
