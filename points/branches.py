"""Communities and the party branches in them: list with member counts, add, rename.

A member's form still creates a branch it names for the first time (``members._branch_id``); these
functions let staff set up and tidy the list itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.db import Store
from points.errors import CornerError
from points.requests import once
from points.validate import trimmed_text

# the same bounds as a member's branch and community fields
MAX_BRANCH_NAME = 60
MAX_COMMUNITY_NAME = 60


@dataclass(frozen=True)
class Branch:
    id: int
    community_id: int
    name: str
    members: int


@dataclass(frozen=True)
class Community:
    id: int
    name: str
    branches: tuple[Branch, ...]

    @property
    def members(self) -> int:
        return sum(branch.members for branch in self.branches)


def list_communities(db: Store) -> list[Community]:
    """Every community by name, with its branches by name and their member counts (any status)."""
    rows = db.execute(
        "SELECT c.id, c.name, b.id, b.name, count(m.id) FROM communities c"
        " LEFT JOIN branches b ON b.community_id = c.id"
        " LEFT JOIN members m ON m.branch_id = b.id"
        " GROUP BY c.id, b.id ORDER BY c.name, c.id, b.name"
    ).fetchall()
    communities: dict[int, tuple[str, list[Branch]]] = {}
    for community_id, community, branch_id, branch, members in rows:
        branches = communities.setdefault(community_id, (community, []))[1]
        if branch_id is not None:
            branches.append(Branch(branch_id, community_id, branch, members))
    return [Community(key, name, tuple(branches)) for key, (name, branches) in communities.items()]


def get_community(db: Store, community_id: int) -> Community:
    """One community with its branches, or ``community_unknown``."""
    for community in list_communities(db):
        if community.id == community_id:
            return community
    raise CornerError("community_unknown", community=community_id)


def get_branch(db: Store, branch_id: int) -> Branch:
    """One branch with its member count, or ``branch_unknown``."""
    row = db.execute(
        "SELECT b.id, b.community_id, b.name, (SELECT count(*) FROM members m"
        " WHERE m.branch_id = b.id) FROM branches b WHERE b.id = ?",
        [branch_id],
    ).fetchone()
    if row is None:
        raise CornerError("branch_unknown", branch=branch_id)
    return Branch(*row)


def _community_exists(db: Store, name: str, *, other_than: int = 0) -> None:
    found = db.execute(
        "SELECT 1 FROM communities WHERE name = ? AND id <> ?", [name, other_than]
    ).fetchone()
    if found:
        raise CornerError("community_exists", name=name)


def _branch_exists(db: Store, community_id: int, name: str, *, other_than: int = 0) -> None:
    found = db.execute(
        "SELECT 1 FROM branches WHERE community_id = ? AND name = ? AND id <> ?",
        [community_id, name, other_than],
    ).fetchone()
    if found:
        raise CornerError("branch_exists", name=name)


def _community_row(db: Store, community_id: int) -> dict:
    row = db.execute("SELECT id, name FROM communities WHERE id = ?", [community_id]).fetchone()
    if row is None:
        raise CornerError("community_unknown", community=community_id)
    return {"id": row[0], "name": row[1]}


def _branch_row(db: Store, branch_id: int) -> dict:
    row = db.execute(
        "SELECT id, community_id, name FROM branches WHERE id = ?", [branch_id]
    ).fetchone()
    if row is None:
        raise CornerError("branch_unknown", branch=branch_id)
    return {"id": row[0], "community_id": row[1], "name": row[2]}


def add_community(db: Store, *, name: str, request_id: str, actor: str) -> dict:
    """Add a community (no branches yet); returns ``{"id", "name"}``."""
    name = trimmed_text(name, "name", max_length=MAX_COMMUNITY_NAME)

    def action(_request_id: str) -> dict:
        _community_exists(db, name)
        community_id = db.execute("INSERT INTO communities (name) VALUES (?)", [name]).lastrowid
        return {"id": community_id, "name": name}

    return once(
        db,
        request_id=request_id,
        kind="add_community",
        params={"name": name},
        action=action,
        actor=actor,
        target=lambda outcome: f"community:{outcome['id']}",
    )


def add_branch(db: Store, *, community_id: int, name: str, request_id: str, actor: str) -> dict:
    """Add a party branch to a community; returns ``{"id", "community_id", "name"}``."""
    name = trimmed_text(name, "name", max_length=MAX_BRANCH_NAME)

    def action(_request_id: str) -> dict:
        _community_row(db, community_id)
        _branch_exists(db, community_id, name)
        branch_id = db.execute(
            "INSERT INTO branches (community_id, name) VALUES (?, ?)", [community_id, name]
        ).lastrowid
        return _branch_row(db, branch_id)

    return once(
        db,
        request_id=request_id,
        kind="add_branch",
        params={"community_id": community_id, "name": name},
        action=action,
        actor=actor,
        target=lambda outcome: f"branch:{outcome['id']}",
    )


def rename_community(
    db: Store, *, community_id: int, name: str, request_id: str, actor: str
) -> dict:
    """Give a community a new name; its branches and members stay with it."""
    name = trimmed_text(name, "name", max_length=MAX_COMMUNITY_NAME)

    def action(_request_id: str) -> dict:
        _community_row(db, community_id)
        _community_exists(db, name, other_than=community_id)
        db.execute("UPDATE communities SET name = ? WHERE id = ?", [name, community_id])
        return _community_row(db, community_id)

    return once(
        db,
        request_id=request_id,
        kind="rename_community",
        params={"community_id": community_id, "name": name},
        action=action,
        actor=actor,
        target=f"community:{community_id}",
        before=lambda: _community_row(db, community_id),
    )


def rename_branch(db: Store, *, branch_id: int, name: str, request_id: str, actor: str) -> dict:
    """Give a party branch a new name; its members stay with it."""
    name = trimmed_text(name, "name", max_length=MAX_BRANCH_NAME)

    def action(_request_id: str) -> dict:
        branch = _branch_row(db, branch_id)
        _branch_exists(db, branch["community_id"], name, other_than=branch_id)
        db.execute("UPDATE branches SET name = ? WHERE id = ?", [name, branch_id])
        return _branch_row(db, branch_id)

    return once(
        db,
        request_id=request_id,
        kind="rename_branch",
        params={"branch_id": branch_id, "name": name},
        action=action,
        actor=actor,
        target=f"branch:{branch_id}",
        before=lambda: _branch_row(db, branch_id),
    )
