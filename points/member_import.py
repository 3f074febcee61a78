"""Importing members in bulk: check every row first, then add them all or none.

The rows are plain dicts (``number``, ``name``, ``branch``, ``community``, ``phone``; optionally
``row``, the line the admin sees in the file) — reading .xlsx or .csv is the admin's business.
``check_import`` names every bad row and why; ``import_members`` checks again inside its one
transaction and writes all the rows under one request id, or nothing.

An unknown party branch is refused, not created: the branch column is typed by hand, and a typo
(第一支部 for 第一党支部) would otherwise split a branch in two without anyone noticing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from points.audit import record
from points.clock import timestamp
from points.db import Store
from points.errors import N_, CornerError
from points.members import MAX_MEMBER_NAME, NUMBER_PATTERN, PHONE_PATTERN
from points.requests import fingerprint, once

FIELDS = ("number", "name", "branch", "community", "phone")
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
    numbers: tuple[str, ...]


def _text(value: object) -> str | None:
    """A cell as trimmed text; a number typed in a spreadsheet (1.0) loses its ``.0``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _branches(db: Store) -> dict[str, dict[str, int]]:
    """branch name -> {community name: branch id}."""
    found: dict[str, dict[str, int]] = {}
    for branch_id, branch, community in db.execute(
        "SELECT b.id, b.name, c.name FROM branches b JOIN communities c ON c.id = b.community_id"
    ):
        found.setdefault(branch, {})[community] = branch_id
    return found


def check_import(db: Store, *, rows: list[dict]) -> ImportCheck:
    """Check every row against the rules and the database; say what is wrong with each one."""
    problems: list[RowProblem] = []
    if not rows:
        return ImportCheck((), (RowProblem(None, None, "no_rows"),))
    branches = _branches(db)
    taken = {number for (number,) in db.execute("SELECT number FROM members")}
    cleaned = []
    lines_of: dict[str, list[int]] = {}
    for index, raw in enumerate(rows):
        line = int(raw.get("row") or index + 2)  # row 1 is the header
        values = {name: _text(raw.get(name)) for name in FIELDS}
        mistakes = []
        number = (values["number"] or "").upper()
        if not number:
            mistakes.append(RowProblem(line, "number", "number_missing"))
        elif not _NUMBER.fullmatch(number):
            mistakes.append(RowProblem(line, "number", "number_invalid", {"number": number}))
        else:
            lines_of.setdefault(number, []).append(line)
            if number in taken:
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
            homes = branches.get(branch, {})
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
        problems.extend(mistakes)
        if not mistakes:
            cleaned.append(
                ImportRow(line, number, values["name"], branch, community, phone, branch_id)
            )
    for number, lines in lines_of.items():
        if len(lines) > 1:
            shown = ", ".join(str(line) for line in lines)
            for line in lines:
                problems.append(
                    RowProblem(line, "number", "number_repeated", {"number": number, "rows": shown})
                )
    problems.sort(key=lambda problem: (problem.row or 0, FIELDS.index(problem.field or "number")))
    repeated = {number for number, lines in lines_of.items() if len(lines) > 1}
    return ImportCheck(tuple(row for row in cleaned if row.number not in repeated), tuple(problems))


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
            db.execute(
                "INSERT INTO members (number, name, branch_id, phone, joined)"
                " VALUES (?, ?, ?, ?, ?)",
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
        return {"count": len(checked.rows), "numbers": [row.number for row in checked.rows]}

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
    return ImportResult(outcome["count"], tuple(outcome["numbers"]))
