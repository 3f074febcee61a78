"""The hash chain over the two ledgers: a row written outside the app shows, and a printed head
can be checked against the database later.

Each row of ``points_entries`` and of ``stock_entries`` carries ``hash``: the SHA-256 of the
previous row's hash (32 bytes; 32 zero bytes before the first row) followed by the row's
canonical encoding. The chain runs per ledger, in id order.

The canonical encoding of a row is compact JSON (``json.dumps`` with ``ensure_ascii=True`` and
``separators=(",", ":")``, so pure ASCII and no choice of spacing) of one array: the ledger's name,
then every column of the row except ``hash`` in the fixed order of ``COLUMNS`` (the id first).
JSON keeps the types apart (``5`` is not ``"5"``, ``null`` is not ``"null"``) and a string
cannot run into its neighbour, so two different rows never encode alike. A column added to a
ledger table later must be added to ``COLUMNS`` in the same migration (a test holds the list
against the table).

Where the hash is made, and why there:

- In Python, in ``append`` below, the one writer of both tables (``points.ledger.add_points_entry``
  and ``points.stock.add_stock_entry`` call it). Every write runs under ``BEGIN IMMEDIATE``
  (``points.db.transaction``), in this process and in any other, so the head read here is the
  head the new row follows: no other writer can append between the read and the insert. The
  new row's id is the head's id + 1, chosen here because the hash covers it (SQLite would pick
  the same: an ``INTEGER PRIMARY KEY`` without AUTOINCREMENT takes max(id) + 1).
- Not in SQL: SQLite has no SHA-256 of its own, and a function registered on our connections
  would be missing in the ``sqlite3`` shell or a backup tool, where a trigger calling it fails
  in confusing ways. The cost on the redemption path is one index look-up of the head and one
  hash of about 200 bytes (docs/BENCHMARKS.md).
- Rows written before the chain existed get their hashes from ``seal_existing_rows``, run by
  ``points.db.apply_migrations`` right after ``008_ledger_chain.sql`` in the same transaction (a
  crash in between leaves the database at schema 7, and the next start does it again).

What the chain proves, and what it does not: the triggers of migration 001 already refuse UPDATE
and DELETE, so the chain is for edits made outside the app (the ``sqlite3`` shell with the
triggers dropped, a hex editor). ``verify`` recomputes every hash and names the first row whose
stored hash disagrees. The hash has no secret key: someone who knows this file can recompute the
whole chain after an edit. That is why the head is printed (``fingerprint``: on the dashboard,
every report and every export): a printed head ``P<id>:<12 hex>`` must still be the hash of row
``<id>`` later (``verify(at=...)``), which no rewrite of the history before it can keep
(finding another history with the same 48-bit prefix at that row takes ~2^48 hashes).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from points.db import Store

GENESIS = bytes(32)
FINGERPRINT_HEX = 12
BATCH = 10_000

# ledger table -> (its letter in a fingerprint, the chained columns in their canonical order)
COLUMNS: dict[str, tuple[str, ...]] = {
    "points_entries": (
        "id",
        "member_id",
        "delta",
        "kind",
        "reason",
        "actor",
        "quarter",
        "redemption_id",
        "activity_id",
        "request_id",
        "created",
        "corrects",
    ),
    "stock_entries": (
        "id",
        "corner_id",
        "goods_id",
        "delta",
        "kind",
        "source",
        "note",
        "actor",
        "redemption_id",
        "request_id",
        "created",
    ),
}
LETTERS = {"points_entries": "P", "stock_entries": "S"}
LEDGERS = tuple(COLUMNS)
_TOKEN = re.compile(rf"^([PS])(\d{{1,18}}):([0-9a-f]{{{FINGERPRINT_HEX}}})$")

# the append-only triggers of migration 001, dropped and made again around the sealing update
_NO_UPDATE = (
    "CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}\n"
    "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
)


# json.dumps with these options, made once (json.dumps would build an encoder on every call)
_JSON = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def encode(ledger: str, row: Sequence) -> bytes:
    """The canonical bytes of a row: JSON of [ledger, *row] with the columns of ``COLUMNS``."""
    return _JSON.encode([ledger, *row]).encode("ascii")


def row_hash(ledger: str, previous: bytes, row: Sequence) -> bytes:
    """SHA-256 over the previous row's hash and this row's canonical bytes."""
    return hashlib.sha256(previous + encode(ledger, row)).digest()


def _link(stored: object) -> bytes:
    """A stored hash as the next row's link; a missing or malformed one links like the start."""
    return stored if isinstance(stored, bytes) and len(stored) == 32 else GENESIS


def append(db: Store, ledger: str, values: dict[str, object]) -> int:
    """Insert one ledger row with its hash; inside a write (``transaction``) only. Returns the id.

    ``values`` names every column of ``COLUMNS[ledger]`` but the id.
    """
    columns = COLUMNS[ledger]
    head = db.execute(f"SELECT id, hash FROM {ledger} ORDER BY id DESC LIMIT 1").fetchone()
    row_id, previous = (head[0] + 1, _link(head[1])) if head else (1, GENESIS)
    row = [row_id, *(values[column] for column in columns[1:])]
    db.execute(
        f"INSERT INTO {ledger} ({', '.join(columns)}, hash)"
        f" VALUES ({', '.join('?' * (len(columns) + 1))})",
        [*row, row_hash(ledger, previous, row)],
    )
    return row_id


def seal_existing_rows(db: Store) -> None:
    """Give every row written before the chain existed its hash (migration 008, in its write).

    Rows are read and updated in batches of ``BATCH`` ids, so a large ledger is never in memory
    at once; the append-only trigger is dropped for the update and made again before the
    migration's transaction commits.
    """
    for ledger in LEDGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {ledger}_no_update")
        previous, last_id = GENESIS, 0
        while True:
            rows = db.execute(
                f"SELECT {', '.join(COLUMNS[ledger])} FROM {ledger}"
                f" WHERE id > ? ORDER BY id LIMIT {BATCH}",
                [last_id],
            ).fetchall()
            if not rows:
                break
            sealed = []
            for row in rows:
                previous = row_hash(ledger, previous, row)
                sealed.append((previous, row[0]))
            db.executemany(f"UPDATE {ledger} SET hash = ? WHERE id = ?", sealed)
            last_id = rows[-1][0]
        db.execute(_NO_UPDATE.format(table=ledger))


# --- the head, as printed -------------------------------------------------------------------


def head_token(ledger: str, row_id: int, digest: bytes) -> str:
    """One ledger's head as printed: ``P1234:1a2b3c4d5e6f`` (letter, row id, hash prefix)."""
    return f"{LETTERS[ledger]}{row_id}:{digest.hex()[:FINGERPRINT_HEX]}"


def fingerprint(db: Store) -> str:
    """Both heads, as a printed sheet carries them: ``P1234:1a2b3c4d5e6f S567:abcdef012345``.

    Two index look-ups: cheap enough for every page that shows it.
    """
    tokens = []
    for ledger in LEDGERS:
        head = db.execute(f"SELECT id, hash FROM {ledger} ORDER BY id DESC LIMIT 1").fetchone()
        row_id, digest = (head[0], _link(head[1])) if head else (0, GENESIS)
        tokens.append(head_token(ledger, row_id, digest))
    return " ".join(tokens)


def parse_fingerprint(text: str) -> list[tuple[str, int, str]]:
    """``P1234:1a2b… S567:…`` (either or both heads) -> [(ledger, row id, hex prefix)].

    Raises ValueError for anything else; letters may be in either case.
    """
    heads = []
    for token in text.split():
        match = _TOKEN.match(token[:1].upper() + token[1:].lower())
        if match is None:
            raise ValueError(token)
        letter, row_id, prefix = match.groups()
        ledger = next(name for name, value in LETTERS.items() if value == letter)
        heads.append((ledger, int(row_id), prefix))
    if not heads:
        raise ValueError(text)
    return heads


# --- verification ----------------------------------------------------------------------------


@dataclass
class LedgerReport:
    """One ledger's verification: rows read, the recomputed head, the first break if any."""

    ledger: str
    rows: int = 0
    head: str = ""
    broken_at: int | None = None  # the id of the first row whose hash does not hold
    problem: str | None = None
    found: dict[str, bool] = field(default_factory=dict)  # --at token -> is it in the chain

    @property
    def whole(self) -> bool:
        return self.problem is None


def _rows(db: Store, ledger: str) -> Iterator[tuple]:
    """Every row and its stored hash, in id order, a batch at a time (never the whole table)."""
    last_id = None
    while True:
        rows = db.execute(
            f"SELECT {', '.join(COLUMNS[ledger])}, hash FROM {ledger}"
            f" WHERE id > ? ORDER BY id LIMIT {BATCH}",
            [last_id if last_id is not None else -(2**63)],
        ).fetchall()
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0]


def _describe(ledger: str, row: tuple) -> str:
    names = COLUMNS[ledger]
    return ", ".join(f"{name}={value!r}" for name, value in zip(names[1:], row[1:], strict=False))


def verify_ledger(db: Store, ledger: str, at: Iterable[tuple[int, str]] = ()) -> LedgerReport:
    """Recompute one ledger's chain; stop at the first row that breaks it.

    ``at``: printed heads (row id, hex prefix) to look for; each is in the chain when the
    recomputed hash of that row starts with the prefix (row id 0: the empty ledger, always).
    """
    report = LedgerReport(ledger)
    wanted: dict[int, list[str]] = {}
    for row_id, prefix in at:
        wanted.setdefault(row_id, []).append(prefix)
        report.found[f"{LETTERS[ledger]}{row_id}:{prefix}"] = (
            row_id == 0 and GENESIS.hex().startswith(prefix)
        )
    previous, previous_id = GENESIS, 0
    for *row, stored in _rows(db, ledger):
        row_id = row[0]
        expected = row_hash(ledger, previous, row)
        if stored != expected:
            report.broken_at = row_id
            report.problem = _break(ledger, row, stored, previous_id)
            break
        for prefix in wanted.get(row_id, []):
            report.found[f"{LETTERS[ledger]}{row_id}:{prefix}"] = expected.hex().startswith(prefix)
        report.rows += 1
        previous, previous_id = expected, row_id
    report.head = head_token(ledger, previous_id, previous)
    return report


def _break(ledger: str, row: list, stored: object, previous_id: int) -> str:
    """Name what is wrong with the first row that breaks the chain, as far as it can be told."""
    row_id = row[0]
    where = f"{ledger} row {row_id}"
    if stored is None:
        return f"{where}: no hash: written outside the app ({_describe(ledger, row)})"
    if not isinstance(stored, bytes) or len(stored) != 32:
        return f"{where}: the stored hash is malformed ({_describe(ledger, row)})"
    if row_id != previous_id + 1:
        return (
            f"{where}: row(s) {previous_id + 1}-{row_id - 1} before it are missing"
            f" (deleted), or this row was inserted out of order"
        )
    return (
        f"{where}: its content does not match its hash: the row was changed, or the row before"
        f" it was replaced ({_describe(ledger, row)})"
    )


def verify(db: Store, at: str | None = None) -> list[LedgerReport]:
    """Both ledgers, each recomputed from its first row; ``at`` a printed fingerprint (or None).

    Raises ValueError for a malformed ``at``.
    """
    heads = parse_fingerprint(at) if at is not None else []
    return [
        verify_ledger(
            db,
            ledger,
            [(row_id, prefix) for name, row_id, prefix in heads if name == ledger],
        )
        for ledger in LEDGERS
    ]


def chain_problems(db: Store) -> list[str]:
    """For ``corner check``: one line per ledger whose chain breaks (none when both hold)."""
    return [report.problem for report in verify(db) if report.problem is not None]
