"""Members: number, name, branch, phone and status; adding, editing, listing, counting.

A member's form names a branch by community and name (``_branch_id`` adds one named for the
first time); the branch list itself is ``points.branches``, the cards ``points.member_cards``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from points.branches import MAX_BRANCH_NAME, MAX_COMMUNITY_NAME
from points.clock import timestamp
from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.validate import trimmed_text

MAX_NUMBER = 20
# upper-case as stored; the core upper-cases what it is given first (a form may match any case)
NUMBER_PATTERN = rf"[A-Z0-9-]{{1,{MAX_NUMBER}}}"
MAX_MEMBER_NAME = 40
MIN_PHONE, MAX_PHONE = 5, 20
PHONE_PATTERN = rf"[0-9+\- ]{{{MIN_PHONE},{MAX_PHONE}}}"
_NUMBER = re.compile(NUMBER_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)


@dataclass(frozen=True)
class Member:
    id: int
    number: str
    name: str
    branch: str | None
    community: str | None
    status: str
    balance: int
    phone: str | None = None


def normalise_number(number: object) -> str:
    """Member numbers are 1-20 upper-case letters, digits or dashes (``QZ-001``)."""
    text = str(number or "").strip().upper()
    if not _NUMBER.fullmatch(text):
        raise CornerError("invalid_request", field="number")
    return text


_MEMBER_SQL = """
SELECT m.id, m.number, m.name, b.name AS branch, c.name AS community, m.status, m.balance,
       m.phone
FROM members m LEFT JOIN branches b ON b.id = m.branch_id
LEFT JOIN communities c ON c.id = b.community_id
"""


def get_member(db: Store, number: str) -> Member:
    """The member with this number, or ``member_unknown``."""
    row = db.execute(_MEMBER_SQL + " WHERE m.number = ?", [normalise_number(number)]).fetchone()
    if row is None:
        raise CornerError("member_unknown", number=number)
    return Member(*row)


def list_members(db: Store) -> list[Member]:
    """Every member, by number."""
    return [Member(*row) for row in db.execute(_MEMBER_SQL + " ORDER BY m.number")]


def _branch_id(db: Store, community: str | None, branch: str | None) -> int | None:
    """Find or create the branch (and its community); called inside a write."""
    if branch is None:
        return None
    community = community or branch
    db.execute("INSERT OR IGNORE INTO communities (name) VALUES (?)", [community])
    community_id = db.execute("SELECT id FROM communities WHERE name = ?", [community]).fetchone()[
        0
    ]
    db.execute(
        "INSERT OR IGNORE INTO branches (community_id, name) VALUES (?, ?)", [community_id, branch]
    )
    return db.execute(
        "SELECT id FROM branches WHERE community_id = ? AND name = ?", [community_id, branch]
    ).fetchone()[0]


def member_fields(
    *, name: object, branch: object, community: object, phone: object
) -> dict[str, str | None]:
    """The checked, trimmed fields a member is registered or edited with."""
    fields = {
        "name": trimmed_text(name, "name", max_length=MAX_MEMBER_NAME),
        "branch": trimmed_text(branch, "branch", max_length=MAX_BRANCH_NAME, required=False),
        "community": trimmed_text(
            community, "community", max_length=MAX_COMMUNITY_NAME, required=False
        ),
        "phone": trimmed_text(phone, "phone", max_length=MAX_PHONE, required=False),
    }
    if fields["phone"] is not None and not _PHONE.fullmatch(fields["phone"]):
        raise CornerError("invalid_request", field="phone")
    return fields


def add_member(
    db: Store,
    *,
    number: str,
    name: str,
    request_id: str,
    branch: str | None = None,
    community: str | None = None,
    phone: str | None = None,
    actor: str | None = None,
) -> Member:
    """Register a member; a number is never given to two members."""
    number = normalise_number(number)
    fields = member_fields(name=name, branch=branch, community=community, phone=phone)

    def action(_request_id: str) -> dict:
        if db.execute("SELECT 1 FROM members WHERE number = ?", [number]).fetchone():
            raise CornerError("member_exists", number=number)
        branch_id = _branch_id(db, fields["community"], fields["branch"])
        db.execute(
            "INSERT INTO members (number, name, branch_id, phone, joined) VALUES (?, ?, ?, ?, ?)",
            [number, fields["name"], branch_id, fields["phone"], timestamp()],
        )
        return {"number": number}

    # the phone joined the fingerprint later: left out so that old request ids still match
    params = {key: value for key, value in fields.items() if key != "phone"}
    once(
        db,
        request_id=request_id,
        kind="add_member",
        params={"number": number, **params},
        action=action,
        actor=actor,
        target=f"member:{number}",
    )
    return get_member(db, number)


def _member_record(db: Store, number: str) -> dict:
    """A member's editable fields and status, as the audit trail shows them; inside a write."""
    row = db.execute(_MEMBER_SQL + " WHERE m.number = ?", [number]).fetchone()
    if row is None:
        raise CornerError("member_unknown", number=number)
    record = asdict(Member(*row))
    del record["id"], record["balance"]  # the balance is the ledger's, not an edit's
    return record


def edit_member(
    db: Store,
    *,
    number: str,
    name: str,
    request_id: str,
    actor: str,
    branch: str | None = None,
    community: str | None = None,
    phone: str | None = None,
) -> Member:
    """Change a member's name, branch, community and phone; the number never changes."""
    number = normalise_number(number)
    fields = member_fields(name=name, branch=branch, community=community, phone=phone)

    def action(_request_id: str) -> dict:
        branch_id = _branch_id(db, fields["community"], fields["branch"])
        db.execute(
            "UPDATE members SET name = ?, branch_id = ?, phone = ? WHERE number = ?",
            [fields["name"], branch_id, fields["phone"], number],
        )
        return _member_record(db, number)

    once(
        db,
        request_id=request_id,
        kind="edit_member",
        params={"number": number, **fields},
        action=action,
        actor=actor,
        target=f"member:{number}",
        before=lambda: _member_record(db, number),
    )
    return get_member(db, number)


def set_member_status(
    db: Store, *, number: str, status: str, request_id: str, actor: str
) -> Member:
    """Deactivate (or reactivate) a member; a member with history is never deleted."""
    number = normalise_number(number)
    if status not in ("active", "inactive"):
        raise CornerError("invalid_request", field="status")

    def action(_request_id: str) -> dict:
        db.execute("UPDATE members SET status = ? WHERE number = ?", [status, number])
        return _member_record(db, number)

    once(
        db,
        request_id=request_id,
        kind="set_member_status",
        params={"number": number, "status": status},
        action=action,
        actor=actor,
        target=f"member:{number}",
        before=lambda: _member_record(db, number),
    )
    return get_member(db, number)


def count_members(db: Store) -> int:
    """How many members the instance has (any status)."""
    return db.execute("SELECT count(*) FROM members").fetchone()[0]
