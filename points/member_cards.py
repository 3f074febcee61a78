"""Members' points cards: QR cards (serials printed into signed tokens) and NFC cards (UIDs)."""

from __future__ import annotations

from dataclasses import dataclass

from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.members import normalise_number
from points.requests import once
from points.validate import positive_int


@dataclass(frozen=True)
class Card:
    id: int
    member_number: str
    kind: str
    status: str
    uid: str | None = None


def issue_qr_card(db: Store, *, number: str, request_id: str, actor: str | None = None) -> Card:
    """Issue a member's QR card; an earlier QR card is replaced and stops working at once."""
    number = normalise_number(number)

    def action(_request_id: str) -> dict:
        member = db.execute("SELECT id FROM members WHERE number = ?", [number]).fetchone()
        if member is None:
            raise CornerError("member_unknown", number=number)
        moment = timestamp()
        db.execute(
            "UPDATE cards SET status = 'replaced', ended = ?"
            " WHERE member_id = ? AND kind = 'qr' AND status = 'active'",
            [moment, member[0]],
        )
        cursor = db.execute(
            "INSERT INTO cards (member_id, kind, status, issued) VALUES (?, 'qr', 'active', ?)",
            [member[0], moment],
        )
        return {
            "id": cursor.lastrowid,
            "member_number": number,
            "kind": "qr",
            "status": "active",
            "uid": None,
        }

    return Card(
        **once(
            db,
            request_id=request_id,
            kind="issue_qr_card",
            params={"number": number},
            action=action,
            actor=actor,
            target=f"member:{number}",
        )
    )


_CARD_SQL = (
    "SELECT c.id, m.number, c.kind, c.status, c.uid FROM cards c"
    " JOIN members m ON m.id = c.member_id"
)


def current_qr_card(db: Store, number: str) -> Card | None:
    """The member's active QR card, or None when they have none."""
    row = db.execute(
        _CARD_SQL + " WHERE m.number = ? AND c.kind = 'qr' AND c.status = 'active'",
        [normalise_number(number)],
    ).fetchone()
    return Card(*row) if row else None


def card_by_serial(db: Store, serial: int) -> Card | None:
    """The card with this serial (its row id), whatever its status."""
    row = db.execute(_CARD_SQL + " WHERE c.id = ?", [serial]).fetchone()
    return Card(*row) if row else None


def card_by_uid(db: Store, uid: str) -> Card | None:
    """The NFC card with this UID: the active binding, else the latest revoked one."""
    row = db.execute(
        _CARD_SQL + " WHERE c.uid = ? ORDER BY c.status = 'active' DESC, c.id DESC LIMIT 1",
        [uid],
    ).fetchone()
    return Card(*row) if row else None


def list_cards(db: Store, number: str) -> list[Card]:
    """Every card a member was ever given, newest first."""
    rows = db.execute(
        _CARD_SQL + " WHERE m.number = ? ORDER BY c.id DESC", [normalise_number(number)]
    )
    return [Card(*row) for row in rows]


def bind_nfc_card(
    db: Store,
    *,
    number: str,
    uid: str,
    request_id: str,
    actor: str | None = None,
) -> Card:
    """Bind an NFC card (by its normalised UID) to a member; a UID serves one member at a time."""
    number = normalise_number(number)

    def action(_request_id: str) -> dict:
        member = db.execute("SELECT id FROM members WHERE number = ?", [number]).fetchone()
        if member is None:
            raise CornerError("member_unknown", number=number)
        holder = db.execute(
            "SELECT m.number FROM cards c JOIN members m ON m.id = c.member_id"
            " WHERE c.uid = ? AND c.status = 'active'",
            [uid],
        ).fetchone()
        if holder is not None:
            raise CornerError("card_in_use", number=holder[0])
        cursor = db.execute(
            "INSERT INTO cards (member_id, kind, uid, status, issued)"
            " VALUES (?, 'nfc', ?, 'active', ?)",
            [member[0], uid, timestamp()],
        )
        return {
            "id": cursor.lastrowid,
            "member_number": number,
            "kind": "nfc",
            "status": "active",
            "uid": uid,
        }

    return Card(
        **once(
            db,
            request_id=request_id,
            kind="bind_nfc_card",
            params={"number": number, "uid": uid},
            action=action,
            actor=actor,
            target=f"member:{number}",
        )
    )


def revoke_card(db: Store, *, card_id: int, request_id: str, actor: str | None = None) -> Card:
    """Revoke a lost card: it stops working at once, in every session it opened too."""
    card_id = positive_int(card_id, "card")

    def action(_request_id: str) -> dict:
        card = card_by_serial(db, card_id)
        if card is None:
            raise CornerError("card_unknown", card=card_id)
        if card.status == "active":
            db.execute(
                "UPDATE cards SET status = 'revoked', ended = ? WHERE id = ?",
                [timestamp(), card_id],
            )
        return {**card.__dict__, "status": "revoked" if card.status == "active" else card.status}

    return Card(
        **once(
            db,
            request_id=request_id,
            kind="revoke_card",
            params={"card": card_id},
            action=action,
            actor=actor,
            target=f"card:{card_id}",
        )
    )


@dataclass(frozen=True)
class CardLine:
    """One card in a member's card history, with when it was issued and when it stopped."""

    id: int
    kind: str
    status: str
    uid: str | None
    issued: str
    ended: str | None


def card_history(db: Store, number: str) -> list[CardLine]:
    """Every card a member was ever given, newest first, with its dates."""
    rows = db.execute(
        "SELECT c.id, c.kind, c.status, c.uid, c.issued, c.ended FROM cards c"
        " JOIN members m ON m.id = c.member_id WHERE m.number = ? ORDER BY c.id DESC",
        [normalise_number(number)],
    )
    return [CardLine(*row) for row in rows]
