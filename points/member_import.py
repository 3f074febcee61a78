"""Importing members in bulk: check every row first, then add them all or none.

The rows are plain dicts (``number``, ``name``, ``branch``, ``community``, ``phone``; optionally
``row``, the line the admin sees in the file); ``member_rows`` makes them from the rows of an
uploaded file (``points.uploads.read_table``), by the names in its header row.
``check_import`` names every bad row and why; ``import_members`` checks again inside its one
transaction and writes all the rows under one request id, or nothing.

A file from the admin pages is staged on the server (``stage_import``): read and checked once,
streaming, its rows and problems kept under a random import id, so the preview pages through
them and the confirmation (``confirm_import``) sends only the id. A staged import expires after
``STAGED_SECONDS`` or when its staff member stages another.

An unknown party branch is refused, not created: the branch column is typed by hand, and a typo
(第一支部 for 第一党支部) would otherwise split a branch in two without anyone noticing.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

from points.audit import record
from points.clock import timestamp, unix
from points.db import Store, transaction
from points.errors import N_, CornerError
from points.members import MAX_MEMBER_NAME, NUMBER_PATTERN, PHONE_PATTERN
from points.requests import fingerprint, once

FIELDS = ("number", "name", "branch", "community", "phone")
STAGED_SECONDS = 3600  # a staged import not confirmed within the hour is dropped
STAGE_BATCH = 2000  # rows written per short transaction while staging (the kiosk writes between)
_IMPORT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")

# header cell (lower case, no spaces or *) -> field; Chinese and English, as staff type them
HEADERS = {
    **dict.fromkeys(
        ["编号", "党员编号", "会员编号", "number", "membernumber", "no", "no."], "number"
    ),
    **dict.fromkeys(["姓名", "名字", "name"], "name"),
    **dict.fromkeys(["党支部", "支部", "所在支部", "branch", "partybranch"], "branch"),
    **dict.fromkeys(["社区", "所在社区", "community"], "community"),
    **dict.fromkeys(["电话", "手机", "手机号", "联系电话", "phone", "mobile"], "phone"),
}
_NUMBER = re.compile(NUMBER_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)

# problem code -> English message (the msgid); the admin page translates it with the details
PROBLEMS: dict[str, str] = {
    "no_rows": N_("The file has no members in it."),
    "number_missing": N_("The member number is missing."),
    "number_invalid": N_(
        "The member number %(number)s is not valid: up to 20 letters, digits or dashes, e.g. QZ026."
    ),
    "number_repeated": N_(
        "The member number %(number)s is in the file more than once (rows %(rows)s)."
    ),
    "number_taken": N_("A member with the number %(number)s is already registered."),
    "name_missing": N_("The name is missing."),
    "name_too_long": N_("The name is longer than 40 characters."),
    "branch_unknown": N_(
        "There is no party branch called %(branch)s."
        " Check the spelling, or register the branch first."
    ),
    "branch_ambiguous": N_(
        "There is a party branch called %(branch)s in more than one community:"
        " please fill in the community."
    ),
    "branch_elsewhere": N_(
        "The party branch %(branch)s belongs to %(communities)s, not to %(community)s."
    ),
    "community_without_branch": N_("A community is given but no party branch."),
    "phone_invalid": N_(
        "The phone number %(phone)s is not valid: 5 to 20 digits; spaces, + and - are allowed."
    ),
}


@dataclass(frozen=True)
class RowProblem:
    row: int | None  # the row number in the file (None: the file as a whole)
    field: str | None
    code: str
    details: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The untranslated (English) message; format it with ``details``."""
        return PROBLEMS[self.code]


@dataclass(frozen=True)
class ImportRow:
    row: int
    number: str
    name: str
    branch: str | None
    community: str | None
    phone: str | None
    branch_id: int | None


@dataclass(frozen=True)
class ImportCheck:
    rows: tuple[ImportRow, ...]  # the rows that passed, cleaned
    problems: tuple[RowProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportResult:
    count: int


@dataclass(frozen=True)
class StagedImport:
    """A checked file kept on the server: its counts; the rows and problems are paged."""

    id: str
    staff: str
    source: str | None
    created: str
    status: str  # ready, confirmed
    total: int  # rows below the header
    good: int  # rows that pass: the members it would add
    refused: int  # rows with a problem
    problems: int

    @property
    def ok(self) -> bool:
        return self.problems == 0


def _text(value: object) -> str | None:
    """A cell as trimmed text; a number typed in a spreadsheet (1.0) loses its ``.0``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def member_rows(table: Iterable[tuple[int, list]]) -> Iterator[dict]:
    """The member rows of a file's rows (``(row number, cells)``), named by its header row.

    The first row with anything in it names the columns (编号 and 姓名 are needed, others are
    ignored); empty rows are skipped. ``invalid_request`` on ``file`` with ``reason``
    ``empty`` or ``header`` when the file has no rows or its first row names no members' columns.
    """
    rows = ((line, cells) for line, cells in table if any(_filled(cell) for cell in cells))
    first = next(rows, None)
    if first is None:
        raise CornerError("invalid_request", field="file", reason="empty")
    columns: dict[int, str] = {}
    for index, cell in enumerate(first[1]):
        key = str(cell or "").replace(" ", "").replace("*", "").strip().lower()
        if key in HEADERS and HEADERS[key] not in columns.values():
            columns[index] = HEADERS[key]
    if not {"number", "name"} <= set(columns.values()):
        raise CornerError("invalid_request", field="file", reason="header")
    for line, cells in rows:
        yield {
            "row": line,
            **{name: (cells[i] if i < len(cells) else None) for i, name in columns.items()},
        }


def _branches(db: Store) -> dict[str, dict[str, int]]:
    """branch name -> {community name: branch id}."""
    found: dict[str, dict[str, int]] = {}
    for branch_id, branch, community in db.execute(
        "SELECT b.id, b.name, c.name FROM branches b JOIN communities c ON c.id = b.community_id"
    ):
        found.setdefault(branch, {})[community] = branch_id
    return found


class _Checker:
    """The checks of one row against the rules and the database, one row at a time.

    A number repeated in the file is known only at the end: ``repeated`` names them then.
    """

    def __init__(self, db: Store) -> None:
        self.branches = _branches(db)
        self.taken = {number for (number,) in db.execute("SELECT number FROM members")}
        self.lines_of: dict[str, list[int]] = {}

    def check(self, line: int, raw: dict) -> tuple[ImportRow | None, list[RowProblem]]:
        values = {name: _text(raw.get(name)) for name in FIELDS}
        mistakes = []
        number = (values["number"] or "").upper()
        if not number:
            mistakes.append(RowProblem(line, "number", "number_missing"))
        elif not _NUMBER.fullmatch(number):
            mistakes.append(RowProblem(line, "number", "number_invalid", {"number": number}))
        else:
            self.lines_of.setdefault(number, []).append(line)
            if number in self.taken:
                mistakes.append(RowProblem(line, "number", "number_taken", {"number": number}))
        if not values["name"]:
            mistakes.append(RowProblem(line, "name", "name_missing"))
        elif len(values["name"]) > MAX_MEMBER_NAME:
            mistakes.append(RowProblem(line, "name", "name_too_long"))
        branch, community = values["branch"], values["community"]
        branch_id = None
        if branch is None:
            if community is not None:
                mistakes.append(RowProblem(line, "branch", "community_without_branch"))
        else:
            homes = self.branches.get(branch, {})
            if not homes:
                mistakes.append(RowProblem(line, "branch", "branch_unknown", {"branch": branch}))
            elif community is not None and community not in homes:
                details = {
                    "branch": branch,
                    "community": community,
                    "communities": "、".join(homes),
                }
                mistakes.append(RowProblem(line, "community", "branch_elsewhere", details))
            elif community is None and len(homes) > 1:
                mistakes.append(
                    RowProblem(line, "community", "branch_ambiguous", {"branch": branch})
                )
            else:
                community = community or next(iter(homes))
                branch_id = homes[community]
        phone = values["phone"]
        if phone is not None and not _PHONE.fullmatch(phone):
            mistakes.append(RowProblem(line, "phone", "phone_invalid", {"phone": phone}))
        if mistakes:
            return None, mistakes
        return ImportRow(line, number, values["name"], branch, community, phone, branch_id), []

    def repeated(self) -> list[RowProblem]:
        """A problem for every row of a number that is in the file more than once."""
        problems = []
        for number, lines in self.lines_of.items():
            if len(lines) > 1:
                shown = ", ".join(str(line) for line in lines)
                details = {"number": number, "rows": shown}
                problems.extend(
                    RowProblem(line, "number", "number_repeated", details) for line in lines
                )
        return problems

    def repeated_numbers(self) -> set[str]:
        return {number for number, lines in self.lines_of.items() if len(lines) > 1}


def _position(problem: RowProblem) -> int:
    return FIELDS.index(problem.field or "number")


def check_import(db: Store, *, rows: list[dict]) -> ImportCheck:
    """Check every row against the rules and the database; say what is wrong with each one."""
    if not rows:
        return ImportCheck((), (RowProblem(None, None, "no_rows"),))
    checker = _Checker(db)
    problems: list[RowProblem] = []
    cleaned = []
    for index, raw in enumerate(rows):
        line = int(raw.get("row") or index + 2)  # row 1 is the header
        row, mistakes = checker.check(line, raw)
        problems.extend(mistakes)
        if row is not None:
            cleaned.append(row)
    problems.extend(checker.repeated())
    problems.sort(key=lambda problem: (problem.row or 0, _position(problem)))
    repeated = checker.repeated_numbers()
    return ImportCheck(tuple(row for row in cleaned if row.number not in repeated), tuple(problems))


def _add_member(db: Store, row: ImportRow, moment: str, actor: str, source, request_id) -> None:
    db.execute(
        "INSERT INTO members (number, name, branch_id, phone, joined) VALUES (?, ?, ?, ?, ?)",
        [row.number, row.name, row.branch_id, row.phone, moment],
    )
    after = asdict(row)
    del after["branch_id"], after["row"]
    record(
        db,
        actor=actor,
        action="add_member",
        target=f"member:{row.number}",
        params={"import": source, "row": row.row},
        after={**after, "status": "active"},
        request_id=request_id,
    )


def import_members(
    db: Store,
    *,
    rows: list[dict],
    request_id: str,
    actor: str,
    source: str | None = None,
) -> ImportResult:
    """Register every member of a clean file in one transaction, or refuse the whole file.

    The rows are checked again inside the transaction (a number taken since the preview is
    caught). A refusal is ``invalid_request`` with ``problems``, the RowProblems. A repeat of
    the request id (the confirm button pressed twice) returns the first outcome.
    """
    plain = [{name: _text(raw.get(name)) for name in ("row", *FIELDS)} for raw in rows]

    def action(_request_id: str) -> dict:
        checked = check_import(db, rows=plain)
        if not checked.ok:
            raise CornerError("invalid_request", field="rows", problems=checked.problems)
        moment = timestamp()
        for row in checked.rows:
            _add_member(db, row, moment, actor, source, request_id)
        return {"count": len(checked.rows)}

    # the audit row of the import names the file and a digest of its rows, not every row again
    params = {"source": source, "rows": len(plain), "digest": fingerprint("rows", rows=plain)}
    outcome = once(
        db,
        request_id=request_id,
        kind="import_members",
        params=params,
        action=action,
        actor=actor,
        target="members",
    )
    return ImportResult(outcome["count"])


# -- staged imports ------------------------------------------------------------------------------


def stage_import(
    db: Store, *, rows: Iterable[dict], staff: str, source: str | None = None
) -> StagedImport:
    """Check a file's member rows and keep them on the server for a preview and a confirmation.

    ``rows`` is read once, streaming (``member_rows`` of ``points.uploads.read_table``); they
    are written in short transactions of STAGE_BATCH rows, so the kiosk's writes go on in
    between. A refusal of the file while it is read (over a limit) drops what was staged and
    is raised as it came. The staff member's earlier staged imports and every expired one are
    dropped first.
    """
    import_id = secrets.token_urlsafe(18)
    with transaction(db):
        db.execute(
            "DELETE FROM staged_imports WHERE (staff = ? AND kind = 'members' AND status != "
            "'confirmed') OR created_unix < ?",
            [staff, unix() - STAGED_SECONDS],
        )
        db.execute(
            "INSERT INTO staged_imports (id, kind, staff, source, created, created_unix)"
            " VALUES (?, 'members', ?, ?, ?, ?)",
            [import_id, staff, source, timestamp(), unix()],
        )
    try:
        _stage_rows(db, import_id, rows)
    except BaseException:
        with transaction(db):
            db.execute("DELETE FROM staged_imports WHERE id = ?", [import_id])
        raise
    return staged_import(db, import_id, staff=staff)


def _stage_rows(db: Store, import_id: str, rows: Iterable[dict]) -> None:
    checker = _Checker(db)
    digest = hashlib.sha256()
    total = 0
    batch: list[list] = []
    problems: list[RowProblem] = []
    seq = 0

    def flush() -> None:
        nonlocal seq
        with transaction(db):
            db.executemany(
                "INSERT INTO staged_import_rows"
                " (import_id, row, ok, number, name, branch, community, phone)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            db.executemany(
                "INSERT INTO staged_import_problems"
                " (import_id, row, position, seq, field, code, details)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [_problem_values(import_id, item, seq + i) for i, item in enumerate(problems)],
            )
        seq += len(problems)
        batch.clear()
        problems.clear()

    for index, raw in enumerate(rows):
        line = int(raw.get("row") or index + 2)
        values = [_text(raw.get(name)) for name in FIELDS]
        row, mistakes = checker.check(line, raw)
        total += 1
        digest.update(json.dumps([line, *values], ensure_ascii=False).encode())
        if row is not None:  # kept as checked: the number in capitals, the community found
            values = [row.number, row.name, row.branch, row.community, row.phone]
        batch.append([import_id, line, int(row is not None), *values])
        problems.extend(mistakes)
        if len(batch) >= STAGE_BATCH:
            flush()
    if total == 0:
        problems.append(RowProblem(None, None, "no_rows"))
    repeated = checker.repeated()
    problems.extend(repeated)
    flush()
    with transaction(db):
        for problem in repeated:
            db.execute(
                "UPDATE staged_import_rows SET ok = 0 WHERE import_id = ? AND row = ?",
                [import_id, problem.row],
            )
        good, refused = db.execute(
            "SELECT coalesce(sum(ok), 0), count(*) - coalesce(sum(ok), 0)"
            " FROM staged_import_rows WHERE import_id = ?",
            [import_id],
        ).fetchone()
        (count,) = db.execute(
            "SELECT count(*) FROM staged_import_problems WHERE import_id = ?", [import_id]
        ).fetchone()
        db.execute(
            "UPDATE staged_imports SET status = 'ready', total = ?, good = ?, refused = ?,"
            " problems = ?, digest = ? WHERE id = ?",
            [total, good, refused, count, digest.hexdigest(), import_id],
        )


def _problem_values(import_id: str, problem: RowProblem, seq: int) -> list:
    details = json.dumps(problem.details, ensure_ascii=False)
    place = _position(problem)
    return [import_id, problem.row or 0, place, seq, problem.field, problem.code, details]


def staged_import(db: Store, import_id: object, *, staff: str) -> StagedImport:
    """A ready or confirmed staged import of this staff member.

    ``invalid_request`` on ``import_id`` with ``reason`` ``expired`` when there is none (another
    one's, dropped, expired, or never made): the file must be chosen again.
    """
    if not isinstance(import_id, str) or not _IMPORT_ID.fullmatch(import_id):
        raise CornerError("invalid_request", field="import_id", reason="expired")
    found = db.execute(
        "SELECT id, staff, source, created, status, total, good, refused, problems"
        " FROM staged_imports WHERE id = ? AND staff = ? AND status != 'staging'"
        " AND created_unix >= ?",
        [import_id, staff, unix() - STAGED_SECONDS],
    ).fetchone()
    if found is None:
        raise CornerError("invalid_request", field="import_id", reason="expired")
    return StagedImport(*found)


def staged_rows(db: Store, staged: StagedImport, *, offset: int, limit: int) -> list[ImportRow]:
    """A page of the rows that pass, in file order (their branch id is not looked up here)."""
    return [
        ImportRow(*values, None)
        for values in db.execute(
            "SELECT row, number, name, branch, community, phone FROM staged_import_rows"
            " WHERE import_id = ? AND ok = 1 ORDER BY row LIMIT ? OFFSET ?",
            [staged.id, limit, offset],
        )
    ]


def staged_problems(
    db: Store, staged: StagedImport, *, offset: int, limit: int
) -> list[RowProblem]:
    """A page of the problems, by row and then column, as the preview shows them."""
    return [
        RowProblem(row or None, field_name, code, json.loads(details))
        for row, field_name, code, details in db.execute(
            "SELECT row, field, code, details FROM staged_import_problems WHERE import_id = ?"
            " ORDER BY row, position, seq LIMIT ? OFFSET ?",
            [staged.id, limit, offset],
        )
    ]


def confirm_import(db: Store, *, import_id: object, staff: str) -> ImportResult:
    """Register the members of a clean staged import, all in one transaction, or none.

    The staged rows are checked again inside the transaction (a number registered since the
    preview refuses the whole import: ``invalid_request`` with ``problems``, at most 1,000 of
    them, and ``count``, how many). Confirming the same import again returns the first outcome
    and adds nobody; the staged rows are dropped with the import's success.
    """
    staged = staged_import(db, import_id, staff=staff)
    if not staged.ok:
        raise CornerError("invalid_request", field="import_id", reason="problems")
    request_id = f"import-{staged.id}"

    def action(_request_id: str) -> dict:
        checker = _Checker(db)
        moment = timestamp()
        problems: list[RowProblem] = []
        count = 0
        for line, *values in db.execute(
            "SELECT row, number, name, branch, community, phone FROM staged_import_rows"
            " WHERE import_id = ? ORDER BY row",
            [staged.id],
        ):
            row, mistakes = checker.check(line, dict(zip(FIELDS, values, strict=True)))
            problems.extend(mistakes)
            if row is not None and not problems:
                _add_member(db, row, moment, staff, staged.source, request_id)
                count += 1
        problems.extend(checker.repeated())
        if problems:  # the transaction is rolled back: nobody is added
            problems.sort(key=lambda problem: (problem.row or 0, _position(problem)))
            shown = tuple(problems[:1000])
            raise CornerError("invalid_request", field="rows", problems=shown, count=len(problems))
        db.execute("DELETE FROM staged_import_rows WHERE import_id = ?", [staged.id])
        db.execute("UPDATE staged_imports SET status = 'confirmed' WHERE id = ?", [staged.id])
        return {"count": count}

    params = {"source": staged.source, "rows": staged.total, "digest": _digest_of(db, staged)}
    outcome = once(
        db,
        request_id=request_id,
        kind="import_members",
        params=params,
        action=action,
        actor=staff,
        target="members",
    )
    return ImportResult(outcome["count"])


def _digest_of(db: Store, staged: StagedImport) -> str:
    (digest,) = db.execute("SELECT digest FROM staged_imports WHERE id = ?", [staged.id]).fetchone()
    return digest
