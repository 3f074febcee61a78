"""From scanned text to a member: the one path every card kind goes through.

A kiosk scan opens a session (``scan``); a scan at an activity checks the member in or out
(``check_in_credential``), where staff may also type a member number for a member without a card.

Credentials are either a signed QR token (``EC1.…``) or ``nfc:<UID>`` for an NFC card. A QR
token proves itself with its signature; an NFC UID proves nothing by itself (anyone can type
one), so it is accepted only from a trusted source: this server's own reader service, or a
remote reader agent that presented its kiosk's token. The public scan API refuses it.
"""

from __future__ import annotations

import re

from cards.nfc import NFC_PREFIX, normalise_uid
from cards.token import CardSecret, read_token
from points.checkins import BatchOutcome, check_in, check_out, split
from points.db import Store
from points.errors import CornerError
from points.member_cards import Card, card_by_serial, card_by_uid
from points.requests import check_request_id
from points.scan_log import ACTIONS, CheckinOutcome, log_refused_scan
from points.sessions import DEFAULT_TTL_SECONDS, Session, open_session


def identify(
    db: Store, secret: CardSecret, credential: object, *, trusted_nfc: bool = False
) -> Card:
    """The card a scanned credential stands for; refused with the card's code.

    Whether the card is still active, and its member too, is for the caller's core function.
    """
    if isinstance(credential, str) and credential.strip().lower().startswith(NFC_PREFIX):
        if not trusted_nfc:
            raise CornerError("card_invalid", reason="nfc_from_untrusted_source")
        uid = normalise_uid(credential.strip()[len(NFC_PREFIX) :])
        card = card_by_uid(db, uid)
        if card is None:
            raise CornerError("card_unknown", uid=uid)
        return card
    qr = read_token(secret, credential)
    card = card_by_serial(db, qr.serial)
    if card is None or card.kind != "qr":
        raise CornerError("card_unknown")
    if card.member_number != qr.member_number:
        # a correctly signed token always names its card's member; this one was not made here
        raise CornerError("card_invalid", reason="member")
    return card


def scan(
    db: Store,
    secret: CardSecret,
    credential: object,
    *,
    corner_id: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    trusted_nfc: bool = False,
) -> Session:
    """Open a session for whoever holds the scanned card, or refuse with the card's code."""
    card = identify(db, secret, credential, trusted_nfc=trusted_nfc)
    # open_session refuses a revoked card (card_revoked) and an inactive member
    return open_session(db, card_id=card.id, corner_id=corner_id, ttl_seconds=ttl_seconds)


# the longest scanned text taken for a scan: a QR token is 64, a URL on someone else's QR code
# may be a few hundred; beyond this it is not a scan but a malformed request
MAX_CREDENTIAL_LENGTH = 512
# the most scans one offline batch may carry (the check-in page sends 100 at a time)
MAX_BATCH_SCANS = 500
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # no scanner types these inside a code


def check_scan(credential: object, request_id: object, action: object) -> str:
    """The shape of a scan sent by a page: the credential's text, or ``invalid_request`` naming
    the field. A malformed scan is refused as a request and never logged as a scan; a well-formed
    one that names no card is a scan refused with the card's code, and is logged."""
    if (
        not isinstance(credential, str)
        or not credential.strip()
        or len(credential) > MAX_CREDENTIAL_LENGTH
        or _CONTROL.search(credential.strip())
    ):
        raise CornerError("invalid_request", field="credential")
    check_request_id(request_id)
    if action not in ACTIONS:
        raise CornerError("invalid_request", field="action")
    return credential.strip()


def check_in_credential(
    db: Store,
    secret: CardSecret,
    *,
    activity_id: object,
    credential: object,
    operator: str,
    request_id: object,
    device: str | None = None,
    trusted_nfc: bool = False,
    action: object = "in",
) -> CheckinOutcome:
    """Check in (or out) whoever this credential names; a refused scan is an outcome.

    The credential is a QR token, ``nfc:<UID>`` from a trusted reader, or a member number that
    staff typed for a member without a card. Every scan lands in the scan log, also one whose
    card did not read; a malformed request (``check_scan``) is raised, and logged nowhere.
    """
    text = check_scan(credential, request_id, action)
    card = None
    if isinstance(text, str) and text and "." not in text and ":" not in text:
        method, number = "manual", text  # typed by staff: the core checks the number's form
    else:
        method = "nfc" if isinstance(text, str) and text.lower().startswith(NFC_PREFIX) else "qr"
        try:
            card = identify(db, secret, text, trusted_nfc=trusted_nfc)
        except CornerError as error:
            return log_refused_scan(
                db,
                error.code,
                activity_id=activity_id,
                method=method,
                operator=operator,
                device=device,
                request_id=request_id,
                action=action,
            )
        number = card.member_number
    scan_member = check_in if action == "in" else check_out
    return scan_member(
        db,
        activity_id=activity_id,
        member_number=number,
        method=method,
        card_id=None if card is None else card.id,
        operator=operator,
        request_id=request_id,
        device=device,
    )


def check_in_credentials(
    db: Store,
    secret: CardSecret,
    *,
    activity_id: object,
    scans: object,
    operator: str,
    device: str | None = None,
) -> BatchOutcome:
    """An offline queue sent at once: ``[{"credential", "request_id", "action"}, ...]``.

    Each scan is its own write; a resent queue changes nothing twice (request ids), and the
    refused scans come back listed for the organiser. A malformed batch (or any malformed scan in
    it) is refused whole with ``invalid_request`` before anything is written. Never trusts an NFC
    UID: a browser's queue holds what its camera or scanner read, and a UID proves nothing.
    """
    if not isinstance(scans, list) or not 0 < len(scans) <= MAX_BATCH_SCANS:
        raise CornerError("invalid_request", field="scans")
    # the whole batch is looked at before any of it is written: a malformed one writes nothing
    for item in scans:
        if not isinstance(item, dict):
            raise CornerError("invalid_request", field="scans")
        check_scan(item.get("credential"), item.get("request_id"), item.get("action", "in"))
    outcomes = []
    for item in scans:
        outcomes.append(
            check_in_credential(
                db,
                secret,
                activity_id=activity_id,
                credential=item.get("credential"),
                request_id=item.get("request_id"),
                action=item.get("action", "in"),
                operator=operator,
                device=device,
            )
        )
    return split(outcomes)
