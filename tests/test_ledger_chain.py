"""The hash chain over the points and stock ledgers (points/chain.py, ``corner verify``).

An attacker with the database file uses the ``sqlite3`` module as the shell would: drop the
append-only trigger, change a row, make the trigger again. ``corner verify`` (and ``corner
check``) must name the first row that breaks; an untouched database verifies; a printed head is
found later only while the history before it is unchanged; a database of schema 007 gets its
chain from the migration.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import invariant
from openpyxl import load_workbook

from points.chain import (
    COLUMNS,
    GENESIS,
    LEDGERS,
    fingerprint,
    parse_fingerprint,
    row_hash,
    verify,
)
from points.check import check
from points.db import apply_migrations, connect, schema_version
from points.ledger import award_points
from points.redemptions import redeem, reverse_redemption
from points.sessions import open_session
from points.stock import restock
from tests.conftest import corner_command
from tests.helpers import make_goods, make_member, rid
from tests.test_ledger_properties import Books


def busy_books(db) -> None:
    """Awards, a redemption of two goods, its reversal and a restock: rows in both ledgers."""
    make_member(db, "QZ001", "张三", points=40)
    make_member(db, "QZ002", "李四", points=15)
    soap = make_goods(db, "肥皂", 3, stock=10)
    towel = make_goods(db, "毛巾", 5, stock=4)
    card = db.execute("SELECT id FROM cards WHERE member_id = 1").fetchone()[0]
    sold = redeem(
        db,
        session=open_session(db, card_id=card, corner_id=1).token,
        items=[{"goods_id": soap.id, "quantity": 2}, {"goods_id": towel.id, "quantity": 1}],
        request_id=rid(),
    )
    reverse_redemption(db, redemption_id=sold.id, reason="退回", request_id=rid(), actor="t")
    restock(db, goods_id=soap.id, quantity=5, request_id=rid(), actor="t")
    award_points(db, number="QZ002", points=4, reason="巡河", request_id=rid(), actor="t")


def tamper(path: Path, ledger: str, statement: str, parameters=()) -> None:
    """What someone with the file does: drop the triggers, change the rows, make them again."""
    conn = sqlite3.connect(path, isolation_level=None)
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [ledger]
    ).fetchall()
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(statement, parameters)
    for _name, sql in triggers:
        conn.execute(sql)
    conn.close()


def run_verify(instance, *args: str) -> subprocess.CompletedProcess:
    """``corner verify`` as a real process, answering in English (the instance's language)."""
    text = instance.config_file.read_text(encoding="utf-8")
    instance.config_file.write_text(
        text.replace('language = "zh_CN"', 'language = "en"'), encoding="utf-8"
    )
    return subprocess.run(
        corner_command("--instance", str(instance.path), "verify", *args),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_untouched_database_verifies_and_prints_both_heads(instance, db):
    busy_books(db)
    reports = verify(db)
    rows = {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in LEDGERS}
    assert [(r.ledger, r.rows, r.whole) for r in reports] == [
        ("points_entries", rows["points_entries"], True),
        ("stock_entries", rows["stock_entries"], True),
    ]
    assert " ".join(r.head for r in reports) == fingerprint(db)
    assert check(db) == []
    done = run_verify(instance)
    assert done.returncode == 0, done.stderr
    assert fingerprint(db) in done.stdout


def test_the_hash_is_the_documented_one(db):
    """Anyone can recompute a head from the rows with the rule in points/chain.py."""
    busy_books(db)
    for ledger in LEDGERS:
        previous = GENESIS
        for *row, stored in db.execute(
            f"SELECT {', '.join(COLUMNS[ledger])}, hash FROM {ledger} ORDER BY id"
        ):
            previous = row_hash(ledger, previous, row)
            assert stored == previous
    first = db.execute(f"SELECT {', '.join(COLUMNS['points_entries'])}, hash FROM points_entries")
    *row, stored = first.fetchone()
    text = json.dumps(["points_entries", *row], ensure_ascii=True, separators=(",", ":"))
    assert stored == hashlib.sha256(bytes(32) + text.encode()).digest()


def test_the_chained_columns_are_every_column_of_the_ledgers(db):
    """A column added to a ledger later must join the chain (points.chain.COLUMNS)."""
    for ledger in LEDGERS:
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({ledger})")]
        assert sorted(columns) == sorted([*COLUMNS[ledger], "hash"])


@pytest.mark.parametrize(
    ("ledger", "statement", "row_id"),
    [
        ("points_entries", "UPDATE points_entries SET delta = 400 WHERE id = 2", 2),
        ("points_entries", "UPDATE points_entries SET member_id = 2 WHERE id = 3", 3),
        (
            "points_entries",
            "UPDATE points_entries SET created = '2026-01-01T00:00:00.000+08:00' WHERE id = 4",
            4,
        ),
        ("stock_entries", "UPDATE stock_entries SET delta = -1 WHERE id = 3", 3),
        ("stock_entries", "UPDATE stock_entries SET note = '盘点' WHERE id = 2", 2),
    ],
)
def test_an_edited_row_is_named(instance, db, ledger, statement, row_id):
    busy_books(db)
    tamper(instance.database, ledger, statement)
    report = next(r for r in verify(db) if r.ledger == ledger)
    assert report.broken_at == row_id
    assert report.rows == row_id - 1
    assert f"{ledger} row {row_id}: its content does not match its hash" in report.problem
    assert report.problem in check(db)
    done = run_verify(instance)
    assert done.returncode == 1
    assert f"breaks at row {row_id}" in done.stdout and report.problem in done.stdout
    # the other ledger still holds
    assert all(r.whole for r in verify(db) if r.ledger != ledger)


def test_a_deleted_row_is_named(instance, db):
    busy_books(db)
    tamper(instance.database, "points_entries", "DELETE FROM points_entries WHERE id = 3")
    report = verify(db)[0]
    assert (report.broken_at, report.rows) == (4, 2)
    assert "row(s) 3-3 before it are missing" in report.problem


@pytest.mark.parametrize("hash_value", [None, bytes(32)], ids=["no hash", "a made-up hash"])
def test_a_forged_row_in_the_middle_is_named(instance, db, hash_value):
    """A row slipped in by hand, then the app goes on writing after it."""
    busy_books(db)
    forged = db.execute("SELECT max(id) + 1 FROM points_entries").fetchone()[0]
    tamper(
        instance.database,
        "points_entries",
        "INSERT INTO points_entries (member_id, delta, kind, reason, actor, quarter,"
        " request_id, created, hash) SELECT member_id, 50, 'award', '补记', 'admin',"
        " quarter, 'forged', created, ? FROM points_entries WHERE id = 1",
        [hash_value],
    )
    award_points(db, number="QZ002", points=1, reason="巡河", request_id=rid(), actor="t")
    report = verify(db)[0]
    assert (report.broken_at, report.rows) == (forged, forged - 1)
    assert report.problem.startswith(f"points_entries row {forged}: ")
    assert "request_id='forged'" in report.problem
    assert db.execute("SELECT max(id) FROM points_entries").fetchone()[0] == forged + 1


def test_a_rewritten_history_is_caught_by_the_printed_head(instance, db):
    """Someone who recomputes every hash after an edit keeps the chain whole, but a head printed
    before the edit is no longer in it."""
    busy_books(db)
    printed = fingerprint(db)
    assert all(all(r.found.values()) for r in verify(db, at=printed))
    award_points(db, number="QZ001", points=2, reason="巡河", request_id=rid(), actor="t")
    assert all(all(r.found.values()) for r in verify(db, at=printed))  # a prefix still
    done = run_verify(instance, "--at", printed)
    assert done.returncode == 0 and "is in the chain" in done.stdout

    # the forger changes row 2 and recomputes the whole chain with the published rule
    conn = sqlite3.connect(instance.database, isolation_level=None)
    conn.execute("DROP TRIGGER points_entries_no_update")
    conn.execute("UPDATE points_entries SET delta = delta + 100 WHERE id = 2")
    previous = GENESIS
    for *row, _stored in conn.execute(
        f"SELECT {', '.join(COLUMNS['points_entries'])}, hash FROM points_entries ORDER BY id"
    ).fetchall():
        previous = row_hash("points_entries", previous, row)
        conn.execute("UPDATE points_entries SET hash = ? WHERE id = ?", [previous, row[0]])
    conn.close()

    reports = verify(db, at=printed)
    assert all(r.whole for r in reports)  # the chain alone cannot tell
    points_head = printed.split()[0]
    assert reports[0].found == {points_head: False}
    assert reports[1].found == {printed.split()[1]: True}
    done = run_verify(instance, "--at", points_head)
    assert done.returncode == 1 and f"{points_head} is NOT in the chain" in done.stdout


def test_a_malformed_fingerprint_is_refused(instance, db):
    for text in ("", "X12:1a2b3c4d5e6f", "P12:1a2b", "P12-1a2b3c4d5e6f"):
        with pytest.raises(ValueError):
            parse_fingerprint(text)
    assert parse_fingerprint("p12:1A2B3C4D5E6F") == [("points_entries", 12, "1a2b3c4d5e6f")]
    done = run_verify(instance, "--at", "P12")
    assert done.returncode == 2 and "P1234:1a2b3c4d5e6f" in done.stderr


def test_an_empty_ledger_has_the_starting_head(db):
    assert fingerprint(db) == "P0:000000000000 S0:000000000000"
    points, stock = verify(db, at="P0:000000000000")
    assert points.whole and stock.whole
    assert points.found == {"P0:000000000000": True} and stock.found == {}


def test_a_schema_007_database_gets_its_chain_from_the_migration(tmp_path):
    path = tmp_path / "old.db"
    old = connect(path, migrate=False)
    assert apply_migrations(old, upto=7) == 7
    # rows as the release before the chain wrote them
    old.execute("INSERT INTO members (number, name, joined) VALUES ('QZ001', '张三', '2026-01-01')")
    old.execute("INSERT INTO goods (name, points, created) VALUES ('肥皂', 3, '2026-01-01')")
    old.execute("INSERT INTO stock (corner_id, goods_id, on_hand) VALUES (1, 1, 8)")
    old.executemany(
        "INSERT INTO points_entries (member_id, delta, kind, reason, actor, quarter,"
        " request_id, created) VALUES (1, ?, 'award', '巡河', 'admin', '2026Q4', ?, ?)",
        [(5 + n, f"old-{n}", f"2026-10-0{n + 1}T09:00:00.000+08:00") for n in range(3)],
    )
    old.execute(
        "INSERT INTO stock_entries (corner_id, goods_id, delta, kind, source, actor, request_id,"
        " created) VALUES (1, 1, 8, 'restock', 'purchase', 'admin', 'old-s', '2026-10-01')"
    )
    old.execute("UPDATE members SET balance = 18")
    old.close()

    db = connect(path)  # the upgrade, as a start of the new release does it
    assert schema_version(db) >= 8
    assert all(r.whole for r in verify(db))
    assert [r.rows for r in verify(db)] == [3, 1]
    assert db.execute("SELECT count(*) FROM points_entries WHERE hash IS NULL").fetchone()[0] == 0
    # the append-only trigger is back after the migration sealed the rows
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE points_entries SET delta = 1 WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE stock_entries SET delta = 1 WHERE id = 1")
    award_points(db, number="QZ001", points=2, reason="巡河", request_id=rid(), actor="t")
    reports = verify(db)
    assert all(r.whole for r in reports) and reports[0].rows == 4
    assert check(db) == []


class ChainedBooks(Books):
    """The books' random walk (test_ledger_properties): after every step the chain holds, and
    every head taken earlier is still in it."""

    def __init__(self):
        super().__init__()
        self.heads: list[str] = []

    @invariant()
    def the_chain_holds_and_keeps_every_earlier_head(self):
        self.heads.append(fingerprint(self.db))
        for report in verify(self.db, at=" ".join(self.heads[-5:])):
            assert report.whole, report.problem
            assert all(report.found.values()), report.found


ChainedBooks.TestCase.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
TestChainedBooks = ChainedBooks.TestCase


# --- the head where staff see it: the dashboard, every print and every export ----------------


def printed_head(text: str) -> str:
    found = re.search(r"P\d+:[0-9a-f]{12} S\d+:[0-9a-f]{12}", text)
    assert found, "no ledger fingerprint"
    return found.group(0)


def test_the_head_is_on_the_dashboard_and_on_every_print(admin_client, client, db):
    busy_books(db)
    head = fingerprint(db)
    branch = db.execute("SELECT id FROM branches").fetchone()[0]
    quarter = db.execute("SELECT quarter FROM points_entries").fetchone()[0]
    pages = {
        "dashboard": admin_client.get("/admin/").text,
        "statement": admin_client.get("/admin/members/QZ001/record/print").text,
        "board print": client.get(f"/board/{quarter}/{branch}?mode=print").text,
    }
    for name, page in pages.items():
        assert printed_head(page) == head, name
    assert "账本指纹" in pages["dashboard"]
    # a new row moves the head: the next print shows the new one
    award_points(db, number="QZ001", points=1, reason="巡河", request_id=rid(), actor="t")
    assert printed_head(admin_client.get("/admin/").text) == fingerprint(db) != head


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/export.xlsx",
        "/admin/audit/export.xlsx",
        "/admin/quarters/{quarter}/board.xlsx",
    ],
)
def test_every_xlsx_export_carries_the_head_on_its_last_sheet(admin_client, db, url):
    busy_books(db)
    quarter = db.execute("SELECT quarter FROM points_entries").fetchone()[0]
    answer = admin_client.get(url.format(quarter=quarter))
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    last = book[book.sheetnames[-1]]
    assert book.sheetnames[-1] == "账本指纹" and len(book.sheetnames) >= 2
    assert last["A2"].value == fingerprint(db) and last["A2"].data_type == "s"
    # checked later against the database: still in the chain
    assert all(all(r.found.values()) for r in verify(db, at=last["A2"].value))
