"""Redemption throughput and latency through a real ``corner serve``, against a trivial baseline.

    .venv/bin/python bench/redeem.py [--clients 16] [--seconds 10] [--client-mode processes]

A fresh instance in a temporary folder gets one member per client (each with its own QR card and
plenty of points) and a few goods with plenty of stock. A real ``corner serve`` subprocess serves
it on a free loopback port. Then, for ``--seconds`` each:

1. redeem phase: every client loops scan (opens a kiosk session) + redeem (one item);
2. health phase: the same clients loop GET /api/health (the trivial endpoint).

It prints requests/s and p50/p95/p99 latency per operation, the redemption/trivial throughput
ratio, the CPU the server and the clients used (so you can see which side is the bottleneck), and
finally runs ``corner check`` on the instance; the exit status is non-zero when any request failed,
the ledgers disagree with what the clients saw, or ``corner check`` fails.

Clients are separate processes by default: a client thread spends about as much CPU per request
in ``requests`` as the server does in Flask, so 16 client threads in one process hit the GIL and
measure the client. ``--client-mode threads`` is kept to show that.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cards.token import make_token  # noqa: E402
from points.db import connect  # noqa: E402
from points.goods import add_goods  # noqa: E402
from points.ledger import MAX_POINTS_PER_ENTRY, award_points  # noqa: E402
from points.member_cards import issue_qr_card  # noqa: E402
from points.members import add_member  # noqa: E402
from tests.conftest import Server as TestServer  # noqa: E402
from tests.conftest import corner_command  # noqa: E402
from web.instance import init_instance  # noqa: E402

GOODS = 8
PRICE = 1
STOCK = 100_000
REDEMPTIONS_PER_SECOND_BUDGET = 2_000  # points given to each member per benchmark second


def rid(prefix: str = "bench") -> str:
    return f"{prefix}-{uuid.uuid4()}"


# --- the instance and the server ---------------------------------------------------------------


def fill_instance(path: Path, *, clients: int, seconds: float) -> tuple[list[str], list[int]]:
    """One member (with card and points) per client and GOODS goods; (card tokens, goods ids)."""
    instance, _created = init_instance(path)
    db = connect(instance.database)
    secret = instance.secret()
    points = max(10_000, math.ceil(seconds * REDEMPTIONS_PER_SECOND_BUDGET * PRICE))
    tokens = []
    for index in range(clients):
        number = f"BM{index:04d}"
        add_member(db, number=number, name=f"测试{index}", request_id=rid())
        card = issue_qr_card(db, number=number, request_id=rid())
        for _ in range(math.ceil(points / MAX_POINTS_PER_ENTRY)):
            award_points(
                db,
                number=number,
                points=MAX_POINTS_PER_ENTRY,
                reason="benchmark",
                request_id=rid(),
                actor="bench",
            )
        tokens.append(make_token(secret, member_number=number, serial=card.id))
    goods_ids = [
        add_goods(
            db, name=f"物品{index}", points=PRICE, stock=STOCK, request_id=rid(), actor="bench"
        ).id
        for index in range(GOODS)
    ]
    db.close()
    return tokens, goods_ids


class Server(TestServer):
    """A real ``corner serve`` subprocess on a free loopback port (tests/conftest.py's)."""

    def cpu_seconds(self) -> tuple[float, float]:
        """(user, system) CPU seconds the server process has used so far (from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick


# --- the clients --------------------------------------------------------------------------------


class StdlibClient:
    """Keep-alive HTTP/1.1 with http.client: about a fifth of the CPU per request of requests."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        self.connection.request(method, path, payload, headers)
        answer = self.connection.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        self.connection.close()


class RequestsClient:
    """The same through a requests.Session (what the tests use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        answer = self.session.request(method, self.url + path, json=body, timeout=30)
        return answer.status_code, answer.content

    def close(self) -> None:
        self.session.close()


HTTP_CLIENTS = {"stdlib": StdlibClient, "requests": RequestsClient}


@dataclass
class ClientResult:
    """What one client saw: latencies in seconds per operation, and failures."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    redeemed: int = 0
    started: float = 0.0
    finished: float = 0.0
    cpu: float = 0.0


def run_client(
    url: str,
    library: str,
    phase: str,
    token: str,
    goods_ids: list[int],
    offset: int,
    start_at: float,
    seconds: float,
) -> ClientResult:
    """Loop one phase's requests from ``start_at`` (time.time()) for ``seconds``."""
    result = ClientResult(latencies={"scan": [], "redeem": [], "health": []})
    http = HTTP_CLIENTS[library](url)
    status, _body = http.request("GET", "/api/health")  # connect before the start
    assert status == 200, status
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = time.thread_time()
    result.started = time.time()
    deadline = result.started + seconds
    clock = time.perf_counter
    iteration = 0
    while time.time() < deadline:
        if phase == "health":
            began = clock()
            status, _body = http.request("GET", "/api/health")
            result.latencies["health"].append(clock() - began)
            if status != 200:
                result.errors["health"] = result.errors.get("health", 0) + 1
            continue
        began = clock()
        status, body = http.request("POST", "/api/kiosk/scan", {"credential": token})
        result.latencies["scan"].append(clock() - began)
        if status != 200:
            key = f"scan:{status}:{body[:80].decode(errors='replace')}"
            result.errors[key] = result.errors.get(key, 0) + 1
            continue
        session = json.loads(body)["session"]
        goods_id = goods_ids[(offset + iteration) % len(goods_ids)]
        iteration += 1
        order = {
            "session": session,
            "request_id": rid("bench-redeem"),
            "items": [{"goods_id": goods_id, "quantity": 1}],
        }
        began = clock()
        status, body = http.request("POST", "/api/kiosk/redeem", order)
        result.latencies["redeem"].append(clock() - began)
        if status == 200:
            result.redeemed += 1
        else:
            key = f"redeem:{status}:{body[:80].decode(errors='replace')}"
            result.errors[key] = result.errors.get(key, 0) + 1
    result.finished = time.time()
    result.cpu = time.thread_time() - cpu_before
    http.close()
    return result


def _client_process(queue, *args) -> None:
    queue.put(run_client(*args))


def run_phase(
    mode: str,
    library: str,
    url: str,
    phase: str,
    tokens: list[str],
    goods_ids: list[int],
    seconds: float,
) -> list[ClientResult]:
    """Run ``len(tokens)`` clients of one phase together, as threads or as processes."""
    clients = len(tokens)
    # a common start time in the near future: every client is connected and waiting by then
    start_at = time.time() + (1.0 if mode == "threads" else 1.0 + 0.15 * clients)
    jobs = [
        (url, library, phase, token, goods_ids, index, start_at, seconds)
        for index, token in enumerate(tokens)
    ]
    if mode == "threads":
        results: list[ClientResult | None] = [None] * clients

        def work(index: int) -> None:
            results[index] = run_client(*jobs[index])

        threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results
    # fork is cheap and the parent holds no database connection or threads at this point
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_client_process, args=(queue, *job)) for job in jobs]
    for process in processes:
        process.start()
    results = [queue.get(timeout=seconds + 120) for _process in processes]
    for process in processes:
        process.join()
    return results


# --- reporting ----------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(results: list[ClientResult], operation: str) -> dict:
    values = sorted(value for result in results for value in result.latencies[operation])
    elapsed = max(r.finished for r in results) - min(r.started for r in results)
    return {
        "count": len(values),
        "per_second": len(values) / elapsed if elapsed else 0.0,
        "p50": percentile(values, 0.50) * 1000,
        "p95": percentile(values, 0.95) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "elapsed": elapsed,
    }


def line(name: str, stats: dict) -> str:
    return (
        f"  {name:<7} {stats['count']:>7} requests {stats['per_second']:>8.1f}/s"
        f"   p50 {stats['p50']:6.2f} ms   p95 {stats['p95']:6.2f} ms"
        f"   p99 {stats['p99']:6.2f} ms"
    )


def cpu_line(server: tuple[float, float], results: list[ClientResult], wall: float) -> str:
    """CPU used during a phase, as a share of one core: is the server or the client busy?"""
    user, system = server
    clients = sum(result.cpu for result in results)
    return (
        f"  server CPU {(user + system) / wall:5.0%} of one core"
        f" (user {user / wall:.0%}, system {system / wall:.0%}),"
        f" clients' CPU {clients / wall:5.0%}"
    )


def machine() -> str:
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()},"
        f" SQLite {sqlite3.sqlite_version}, load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--client-mode",
        choices=("processes", "threads"),
        default="processes",
        help="clients as separate processes (default) or threads of this one",
    )
    parser.add_argument(
        "--http",
        choices=tuple(HTTP_CLIENTS),
        default="stdlib",
        help="client HTTP library: http.client (default, lighter) or requests",
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        default=16,
        help="waitress threads of corner serve (its default is 16)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    options = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="corner-bench-"))
    path = folder / "instance"
    print(f"machine: {machine()}")
    print(
        f"instance: {path}   clients: {options.clients} ({options.client_mode},"
        f" {options.http})"
        f"   seconds per phase: {options.seconds:g}   server threads: {options.server_threads}"
    )
    tokens, goods_ids = fill_instance(path, clients=options.clients, seconds=options.seconds)
    server = Server(path, options.server_threads)
    failed = False
    try:
        phases = {}
        for phase in ("redeem", "health"):
            cpu_before = server.cpu_seconds()
            results = run_phase(
                options.client_mode,
                options.http,
                server.url,
                phase,
                tokens,
                goods_ids,
                options.seconds,
            )
            cpu_after = server.cpu_seconds()
            used = tuple(
                after - before for after, before in zip(cpu_after, cpu_before, strict=True)
            )
            phases[phase] = (results, used)
    finally:
        server.stop()

    redeem_results, redeem_server_cpu = phases["redeem"]
    health_results, health_server_cpu = phases["health"]
    scan_stats = summarise(redeem_results, "scan")
    redeem_stats = summarise(redeem_results, "redeem")
    health_stats = summarise(health_results, "health")
    redeem_wall = redeem_stats["elapsed"]
    health_wall = health_stats["elapsed"]

    print("\nredeem phase (each client: scan, then redeem one item, repeat)")
    print(line("scan", scan_stats))
    print(line("redeem", redeem_stats))
    total = (scan_stats["count"] + redeem_stats["count"]) / redeem_wall
    print(f"  all     {total:>25.1f}/s")
    print(cpu_line(redeem_server_cpu, redeem_results, redeem_wall))
    print("health phase (each client: GET /api/health, repeat)")
    print(line("health", health_stats))
    print(cpu_line(health_server_cpu, health_results, health_wall))
    print("\nratios to the trivial endpoint's throughput")
    ratio = redeem_stats["per_second"] / health_stats["per_second"]
    print(f"  redemptions/s ÷ health/s              {ratio:6.1%}")
    print(f"  (scan + redeem requests)/s ÷ health/s {total / health_stats['per_second']:6.1%}")

    errors: dict[str, int] = {}
    for result in redeem_results + health_results:
        for key, value in result.errors.items():
            errors[key] = errors.get(key, 0) + value
    if errors:
        failed = True
        print("\nFAILED requests:")
        for key, value in sorted(errors.items()):
            print(f"  {value:>6} {key}")

    db = connect(path / "corner.db", migrate=False)
    stored = db.execute("SELECT count(*) FROM redemptions").fetchone()[0]
    db.close()
    redeemed = sum(r.redeemed for r in redeem_results)
    print(f"\nredemptions answered 200: {redeemed}, redemption rows stored: {stored}")
    if stored != redeemed:
        failed = True
        print("FAILED: the ledger and the answers disagree")

    check = subprocess.run(
        corner_command("--instance", str(path), "check"), capture_output=True, text=True
    )
    print(f"corner check (exit {check.returncode}): {(check.stdout + check.stderr).strip()}")
    failed = failed or check.returncode != 0
    if options.keep:
        print(f"kept {folder}")
    else:
        import shutil

        shutil.rmtree(folder)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
