"""Settle, post and show the board of a quarter at a district's scale.

    .venv/bin/python bench/quarter.py [--members 100000] [--branches 200] [--rows 2000000]

Builds a fresh instance in a temporary folder: members in branches of one community, and the
rows spread over the last 20 quarters (awards of 3-5 points, some deductions), written straight
into the tables in one transaction with the cached balances right (``corner check`` agrees).
Then it times, on that file: settling the current quarter (every member, from the ledger), the
review's listing of one branch, posting the last quarter (the settlement stored), one branch's
board live and as posted, the board page and its JSON through the app, the version a screen
asks every second, and the kiosk's quarter line for one member. Prints each figure; asserts
nothing. The rows are hash-chained as the app chains them (points.chain); ``--verify-only``
times ``corner verify`` and ``corner check`` on the file and nothing else; ``--migrate-only``
fills a database of schema 7 (before the chain) and times migration 008 sealing its rows.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corner.app import create_app  # noqa: E402
from points.board import board_version, member_standing, public_board  # noqa: E402
from points.chain import COLUMNS, GENESIS, row_hash, verify  # noqa: E402
from points.check import check  # noqa: E402
from points.clock import quarter_of, set_clock  # noqa: E402
from points.db import apply_migrations, connect, transaction  # noqa: E402
from points.periods import previous_quarter  # noqa: E402
from points.quarters import begin_review, post_quarter  # noqa: E402
from points.review import review_quarter  # noqa: E402
from points.sessions import open_session  # noqa: E402
from points.settlement import compute_settlement, settlement  # noqa: E402
from web.instance import init_instance  # noqa: E402


def quarters_back(count: int) -> list[str]:
    names = [quarter_of()]
    while len(names) < count:
        names.append(previous_quarter(names[-1]))
    return list(reversed(names))


def fill(db, members: int, branches: int, rows: int, *, chained: bool = True) -> None:
    rng = random.Random(7)
    quarters = quarters_back(20)
    with transaction(db):
        db.execute("INSERT INTO communities (name) VALUES ('秦灶社区')")
        db.executemany(
            "INSERT INTO branches (community_id, name) VALUES (1, ?)",
            [(f"第{number}支部",) for number in range(1, branches + 1)],
        )
        db.executemany(
            "INSERT INTO members (number, name, branch_id, joined) VALUES (?, ?, ?, ?)",
            [
                (f"M{number:06d}", f"党员{number}", number % branches + 1, "2020-01-01T00:00")
                for number in range(1, members + 1)
            ],
        )
        db.executemany(
            "INSERT INTO cards (member_id, kind, status, issued)"
            " VALUES (?, 'qr', 'active', '2020-01-01T00:00')",
            [(number,) for number in range(1, 11)],
        )
        balances = [0] * (members + 1)
        batch = []
        for row in range(rows):
            member = rng.randrange(1, members + 1)
            quarter = quarters[row * len(quarters) // rows]
            if rng.random() < 0.08 and balances[member] >= 2:
                delta, kind = -2, "deduction"
            else:
                delta, kind = rng.choice((3, 4, 5)), "award"
            balances[member] += delta
            created = f"{quarter[:4]}-{3 * int(quarter[5]) - 1:02d}-15T10:00:00.000+08:00"
            batch.append((member, delta, kind, "理论学习", "bench", quarter, f"b-{row}", created))
            if len(batch) == 50_000:
                _insert(db, batch, chained)
                batch = []
        _insert(db, batch, chained)
        db.executemany(
            "UPDATE members SET balance = ? WHERE id = ?",
            [(balances[member], member) for member in range(1, members + 1)],
        )


def _insert(db, batch, chained: bool = True) -> None:
    """Append rows with their ids and hashes, chained as points.chain.append does (or, in a
    database of schema 7, as the release before the chain wrote them)."""
    if not chained:
        db.executemany(
            "INSERT INTO points_entries (member_id, delta, kind, reason, actor, quarter,"
            " request_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        return
    head = db.execute("SELECT id, hash FROM points_entries ORDER BY id DESC LIMIT 1").fetchone()
    row_id, previous = (head[0], head[1]) if head else (0, GENESIS)
    rows = []
    for member, delta, kind, reason, actor, quarter, request_id, created in batch:
        row_id += 1
        # the columns of points.chain.COLUMNS["points_entries"], in order
        row = [row_id, member, delta, kind, reason, actor, quarter, None, None, request_id]
        row += [created, None]
        previous = row_hash("points_entries", previous, row)
        rows.append((*row, previous))
    db.executemany(
        f"INSERT INTO points_entries ({', '.join(COLUMNS['points_entries'])}, hash)"
        f" VALUES ({', '.join('?' * (len(COLUMNS['points_entries']) + 1))})",
        rows,
    )


def timed(label: str, function, runs: int = 5):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"  {label:<46} median {statistics.median(times):9.1f} ms"
        f"   min {min(times):9.1f}   max {max(times):9.1f}   ({runs} runs)"
    )
    return result


def peak_mb() -> float:
    """This process's peak resident memory in MB (Linux; 0 where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_verify(db) -> None:
    """corner verify and corner check on the filled file, and the peak memory of this process."""
    before = peak_mb()
    reports = timed("corner verify (both chains, every row)", lambda: verify(db), 3)
    after = peak_mb()
    for report in reports:
        print(f"  {report.ledger}: {report.rows} rows, whole {report.whole}, head {report.head}")
    print(f"  peak memory of this process: {before:.0f} MB before, {after:.0f} MB after")
    problems = timed("corner check (with the chains)", lambda: check(db), 1)
    print(f"  problems: {len(problems)}")


def time_migration(folder: Path, options) -> None:
    """Migration 008 on a database of schema 7 that holds the rows: the chain sealed once."""
    folder.mkdir(exist_ok=True)
    db = connect(folder / "old.db", migrate=False)
    apply_migrations(db, upto=7)
    started = time.perf_counter()
    fill(db, options.members, options.branches, options.rows, chained=False)
    print(f"schema 7: {options.rows} rows filled in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    apply_migrations(db)
    print(
        f"  migration 008 and later (the chain of {options.rows} rows sealed):"
        f" {time.perf_counter() - started:.1f} s;"
        f" peak memory {peak_mb():.0f} MB"
    )
    time_verify(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--migrate-only",
        action="store_true",
        help="Fill a database of schema 7 (before the chain), then time migration 008 on it.",
    )
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="Fill, then time only corner verify and corner check (and the memory they take).",
    )
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-quarter-"))
    try:
        if options.migrate_only:
            time_migration(folder, options)
            return
        instance, _created = init_instance(folder / "instance")
        db = connect(instance.database)
        started = time.perf_counter()
        fill(db, options.members, options.branches, options.rows)
        size = instance.database.stat().st_size / 1e6
        print(
            f"{options.members} members in {options.branches} branches, {options.rows} rows over"
            f" 20 quarters: filled in {time.perf_counter() - started:.0f} s, {size:.0f} MB"
        )
        if options.verify_only:
            time_verify(db)
            return
        current, last = quarter_of(), previous_quarter(quarter_of())
        print("core")
        lines = timed(
            f"settle {current} (every member, live)", lambda: compute_settlement(db, current), 3
        )
        timed("review listing of one branch", lambda: review_quarter(db, current, branch_id=7))

        def post() -> None:
            begin_review(db, quarter=last, request_id="bench-review", actor="bench")
            post_quarter(db, quarter=last, request_id="bench-post", actor="bench")

        timed(f"review and post {last} (settlement stored)", post, 1)
        timed("one branch's board, live", lambda: public_board(db, current, branch_id=7))
        timed("one branch's board, as posted", lambda: public_board(db, last, branch_id=7))
        timed("the board's version", lambda: board_version(db, current), 20)
        token = open_session(db, card_id=1, corner_id=1).token
        timed("a member's quarter line (kiosk)", lambda: member_standing(db, session=token), 20)
        print("through the app (Flask test client, one request each)")
        app = create_app(instance, {"TESTING": True})
        client = app.test_client()
        for url in (
            f"/board/{current}/7",
            f"/board/{current}/7?mode=tv",
            f"/api/board/{current}/7",
            f"/api/board/{last}/7",
            f"/api/board/{current}/version",
        ):
            answer = timed(f"GET {url}", lambda url=url: client.get(url), 5)
            assert answer.status_code == 200, (url, answer.status_code)
        print(
            f"members settled: {len(lines)}; branch 7: {len(settlement(db, current, branch_id=7))}"
        )
        timed("corner check (with the locked-quarter check)", lambda: check(db), 1)
    finally:
        set_clock(None)
        if options.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
