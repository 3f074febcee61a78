"""What the server-side login costs a request: the token look-up, and the minute's last_seen write.

Every request of a staff browser looks its token up in ``logins`` (one unique index) and, at most
once a minute, writes ``last_seen``. This fills a fresh instance with many old logins (most of
them ended, as after months of use), then times, in one process:

- ``check_login`` for an open login (the common case: a read);
- ``check_login`` when the minute has passed (a read and a write with ``synchronous = FULL``);
- ``open_login`` (a login: the sweep of timed-out and old rows, and the insert);

and, against a real ``corner serve``, ``GET /admin/pin`` (a small admin page) with a login.

    .venv/bin/python bench/logins.py [--rows 100000] [--calls 2000] [--requests 300]
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from points.clock import FrozenClock, set_clock, system_now  # noqa: E402
from points.db import connect, transaction  # noqa: E402
from points.logins import PASSWORD, check_login, open_login, token_hash  # noqa: E402
from points.passwords import TEST_COST, set_hash_cost  # noqa: E402
from points.staff import add_staff  # noqa: E402
from tests.conftest import corner_command, free_port  # noqa: E402
from web.instance import init_instance  # noqa: E402

PASSWORD_TEXT = "correct horse 7"


def fill(db, rows: int) -> None:
    """``rows`` old logins of wang, all but 1 % ended, written straight into the table."""
    staff_id = db.execute("SELECT id FROM staff WHERE username = 'wang'").fetchone()[0]
    now = time.time()
    with transaction(db):
        db.executemany(
            "INSERT INTO logins (token_hash, staff_id, kind, created, last_seen, ended,"
            " ended_reason, address, user_agent) VALUES (?, ?, 'password', ?, ?, ?, ?, ?, ?)",
            (
                (
                    token_hash(secrets.token_urlsafe(32)),
                    staff_id,
                    now - 3600 - n,
                    now - 3600 - n,
                    None if n % 100 == 0 else now - 3000 - n,
                    None if n % 100 == 0 else "logout",
                    f"192.168.1.{n % 250}",
                    "Mozilla/5.0 (bench)",
                )
                for n in range(rows)
            ),
        )


def timed(function, calls: int) -> tuple[float, float]:
    """(median, 95th percentile) in microseconds."""
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    set_hash_cost(TEST_COST)
    folder = Path(tempfile.mkdtemp(prefix="bench-logins-"))
    instance, _ = init_instance(folder / "instance")
    db = connect(instance.database)
    add_staff(db, username="wang", password=PASSWORD_TEXT, role="admin", actor="bench")
    fill(db, args.rows)
    print(f"logins rows: {db.execute('SELECT count(*) FROM logins').fetchone()[0]}")

    token = open_login(db, username="wang", kind=PASSWORD, address="127.0.0.1", user_agent="b")
    median, p95 = timed(lambda: check_login(db, token, kind=PASSWORD), args.calls)
    print(f"check_login, open login (a read):        median {median:7.1f} µs, p95 {p95:7.1f} µs")

    clock = FrozenClock(system_now())
    set_clock(clock)

    def a_minute_later():
        clock.advance(61)
        check_login(db, token, kind=PASSWORD)

    median, p95 = timed(a_minute_later, min(args.calls, 200))
    print(f"check_login, a minute later (+ write):   median {median:7.1f} µs, p95 {p95:7.1f} µs")
    set_clock(None)
    median, p95 = timed(
        lambda: open_login(db, username="wang", kind=PASSWORD, address="x", user_agent="b"),
        min(args.calls, 200),
    )
    print(f"open_login (sweep + insert):             median {median:7.1f} µs, p95 {p95:7.1f} µs")
    db.close()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        corner_command("--instance", str(instance.path), "serve", "--port", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/api/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        browser = requests.Session()
        form = browser.get(url + "/admin/login").text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = browser.post(
            url + "/admin/login",
            data={"username": "wang", "password": PASSWORD_TEXT, "csrf_token": csrf},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.status_code
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            assert browser.get(url + "/admin/pin").status_code == 200
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        print(
            f"GET /admin/pin with a login (HTTP):      median {statistics.median(samples):7.2f} ms,"
            f" p95 {samples[int(len(samples) * 0.95)]:7.2f} ms"
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
