"""From scanned text to a kiosk session: the one path every card kind goes through.

Credentials are either a signed QR token (``EC1.…``) or ``nfc:<UID>`` for an NFC card. A QR
token proves itself with its signature; an NFC UID proves nothing by itself (anyone can type
one), so it is accepted only from a trusted source: this server's own reader service, or a
remote reader agent that presented its kiosk's token. The public scan API refuses it.
"""

from __future__ import annotations

import sqlite_utils

from cards.nfc import NFC_PREFIX, normalise_uid
from cards.token import CardSecret, read_token
from points.errors import CornerError
from points.member_cards import card_by_serial, card_by_uid
from points.sessions import DEFAULT_TTL_SECONDS, Session, open_session


def scan(
    db: sqlite_utils.Database,
    secret: CardSecret,
    credential: object,
    *,
    corner_id: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    trusted_nfc: bool = False,
) -> Session:
    """Open a session for whoever holds the scanned card, or refuse with the card's code."""
    if isinstance(credential, str) and credential.strip().lower().startswith(NFC_PREFIX):
        if not trusted_nfc:
            raise CornerError("card_invalid", reason="nfc_from_untrusted_source")
        uid = normalise_uid(credential.strip()[len(NFC_PREFIX) :])
        card = card_by_uid(db, uid)
        if card is None:
            raise CornerError("card_unknown", uid=uid)
        # open_session refuses a revoked card (card_revoked) and an inactive member
        return open_session(db, card_id=card.id, corner_id=corner_id, ttl_seconds=ttl_seconds)
    qr = read_token(secret, credential)
    card = card_by_serial(db, qr.serial)
    if card is None or card.kind != "qr":
        raise CornerError("card_unknown")
    if card.member_number != qr.member_number:
        # a correctly signed token always names its card's member; this one was not made here
        raise CornerError("card_invalid", reason="member")
    return open_session(db, card_id=card.id, corner_id=corner_id, ttl_seconds=ttl_seconds)
