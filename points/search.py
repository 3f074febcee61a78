"""Finding members the way staff type: part of a name, a number, a phone, or pinyin initials.

Typing ``zs`` finds 张三 and ``zhangs`` finds him too. A character with several readings counts
with each of them for its initial, because surnames are where readings differ most (曾 is Zeng,
单 is Shan, 仇 is Qiu as a name), and staff type the reading they know.
"""

from __future__ import annotations

import re
from functools import lru_cache

from points.db import Store
from points.members import _MEMBER_SQL, Member

MAX_RESULTS = 200
MAX_QUERY = 40  # characters of a search that are used
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=20_000)
def name_keys(name: str) -> tuple[tuple[frozenset[str], ...], str]:
    """(the possible initials of each character, the name in full pinyin of its usual reading)."""
    from pypinyin import Style, lazy_pinyin, pinyin  # ~0.2 s to import: only when searching

    initials = []
    for char in name:
        if _HAN.match(char):
            readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
            initials.append(frozenset(reading[0] for reading in readings if reading))
        elif char.isalnum():
            initials.append(frozenset({char.lower()}))
    full = "".join(lazy_pinyin(name)).lower().replace(" ", "")
    return tuple(initials), full


def _initials_match(query: str, initials: tuple[frozenset[str], ...]) -> bool:
    """Do the letters of ``query`` match the initials of consecutive characters?"""
    for start in range(len(initials) - len(query) + 1):
        if all(letter in initials[start + index] for index, letter in enumerate(query)):
            return True
    return False


def matches(member: Member, query: str) -> bool:
    """Does a member match what was typed (already stripped)?"""
    lowered = query.lower()
    if lowered in member.name.lower() or query.upper() in member.number:
        return True
    digits = re.sub(r"\D", "", query)
    if member.phone and len(digits) >= 3 and digits == query.replace(" ", ""):
        if digits in re.sub(r"\D", "", member.phone):
            return True
    if lowered.isascii() and lowered.isalpha():
        initials, full = name_keys(member.name)
        return _initials_match(lowered, initials) or lowered in full
    return False


def search_members(
    db: Store,
    *,
    query: str | None = None,
    status: str | None = None,
    limit: int = MAX_RESULTS,
) -> list[Member]:
    """Members matching ``query`` by name, number, phone or pinyin, by number; all when empty.

    The filter runs in Python over the roster: a corner has hundreds or a few thousand members,
    and pinyin cannot be matched in SQL without keeping a second copy of every name.
    """
    sql, values = _MEMBER_SQL, []
    if status in ("active", "inactive"):
        sql += " WHERE m.status = ?"
        values.append(status)
    members = [Member(*row) for row in db.execute(sql + " ORDER BY m.number", values)]
    text = (query or "").strip()[:MAX_QUERY]
    if text:
        members = [member for member in members if matches(member, text)]
    return members[:limit]
