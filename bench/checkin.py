"""Check-in through a real ``corner serve``: scans, the offline queue, and server-side QR decoding.

    .venv/bin/python bench/checkin.py [--members 300] [--devices 4] [--batches 100,200,500]

A fresh instance in a temporary folder gets an organiser with a check-in PIN, enough members
with QR cards, and one open river-patrol activity (河道巡查, 4 points awarded on check-in, the
'on_checkin' mode) per measurement, so every counted scan is a first check-in: one write with the
check-in, the ledger row, the scan log row, the remembered request and the audit row. A real
``corner serve`` subprocess serves it on a free loopback port. Each device is a browser session
logged in with the PIN at /checkin (as tests/test_checkin_http_race.py does), sending its CSRF
token as X-CSRFToken over a keep-alive ``http.client`` connection (light on the client's CPU;
see bench/redeem.py). Then:

1. scans: ``--members`` members each scanned once by one device (POST /checkin/<id>/scan), then
   the same members on a new activity by ``--devices`` devices in parallel (forked processes,
   each its own share of the members);
2. the offline queue: POST /checkin/<id>/batch with each size in ``--batches`` as one request
   (when it fits the 64 KB body limit; the largest batch that fits is found and measured too),
   and as checkin.js sends a queue (requests of 100, one after the other); then the same bodies
   again, where every scan is a repeat;
3. decoding: POST /checkin/<id>/decode of camera frames (640x480 and 1280x720, re-encoded as
   JPEG of quality 0.85 like camera.js's canvas), of a 1280x720 frame with the code covered
   (what the camera sends most of the time), and of a 1600x1200 phone photo (tests/photo.py,
   re-encoded the same way, as camera.js does with a photo); and decode_qr alone, in this
   process, on the same bytes.

It prints the figures, checks that every answer was what it should be, counts the rows written,
and runs ``corner check``; the exit status is non-zero when any of that fails. It asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.redeem import Server, machine, percentile  # noqa: E402
from cards.decode import decode_qr  # noqa: E402
from points.check import check  # noqa: E402
from points.db import connect  # noqa: E402
from points.staff import add_staff, set_pin  # noqa: E402
from tests.conftest import corner_command  # noqa: E402
from tests.helpers import card_token, make_activity, make_member  # noqa: E402
from tests.photo import photographed_card  # noqa: E402
from web.instance import init_instance, open_instance  # noqa: E402

PIN = "246810"
ORGANISER = "bench-li"
BODY_LIMIT = 64 * 1024  # corner/app.py MAX_CONTENT_LENGTH, for every request but a picture
PAGE_CHUNK = 100  # checkin.js BATCH_SIZE: the page sends its queue in requests of this many
JPEG_QUALITY = 85  # camera.js JPEG_QUALITY = 0.85
TIMEOUT = 120


def request_id() -> str:
    """An id like checkin.js's newRequestId: 'checkin-' and 32 hex digits."""
    return "checkin-" + secrets.token_hex(16)


def compact(value: object) -> bytes:
    """JSON as a browser's JSON.stringify writes it (no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def scan_item(token: str) -> dict:
    return {"credential": token, "request_id": request_id(), "action": "in"}


def batch_body(tokens: list[str]) -> bytes:
    return compact({"scans": [scan_item(token) for token in tokens]})


# --- the instance --------------------------------------------------------------------------------


def fill_instance(path: Path, members: int) -> tuple[list[str], int]:
    """The organiser with a PIN and members with QR cards; (their card tokens, largest batch).

    Members are added until one batch of all of them no longer fits the body limit, so that the
    largest batch that fits can be measured with distinct members.
    """
    instance, _created = init_instance(path)
    db = connect(instance.database)
    add_staff(
        db, username=ORGANISER, password="bench horse battery 7", role="organiser", actor="bench"
    )
    set_pin(db, username=ORGANISER, pin=PIN, actor="bench")
    tokens: list[str] = []

    def add(count: int) -> None:
        for _ in range(count):
            number = f"QZ{len(tokens) + 1:04d}"
            make_member(db, number, f"成员{len(tokens) + 1}")
            tokens.append(card_token(instance, db, number))

    add(members)
    while len(batch_body(tokens)) <= BODY_LIMIT:
        add(100)
    largest = max(n for n in range(1, len(tokens) + 1) if len(batch_body(tokens[:n])) <= BODY_LIMIT)
    db.close()
    return tokens, largest


def new_activity(path: Path, title: str) -> int:
    """An open river-patrol activity (4 points, awarded on check-in)."""
    db = connect(open_instance(path).database)
    try:
        activity = make_activity(db, title=title)
        assert activity.award_mode == "on_checkin"
        return activity.id
    finally:
        db.close()


# --- a device: a browser session at /checkin, logged in with the PIN -----------------------------


def log_in(url: str) -> tuple[str, str]:
    """PIN login as the page does it; (Cookie header, CSRF token) for the device's requests."""
    http = requests.Session()

    def token() -> str:
        page = http.get(url + "/checkin", timeout=TIMEOUT)
        page.raise_for_status()
        found = re.search(r'id="checkin-config">(.*?)</script>', page.text)
        return json.loads(found.group(1))["csrf_token"]

    login = http.post(
        url + "/checkin/pin", json={"pin": PIN}, headers={"X-CSRFToken": token()}, timeout=TIMEOUT
    )
    if login.status_code != 200:
        raise RuntimeError(f"PIN login failed: {login.status_code} {login.text}")
    csrf = token()  # a login gets a fresh token
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    http.close()
    return cookie, csrf


class Device:
    """One logged-in page's keep-alive connection."""

    def __init__(self, url: str, login: tuple[str, str]) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
        self.cookie, self.csrf = login

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes, float]:
        """(status, answer, seconds from sending to the whole answer read)."""
        headers = {
            "Content-Type": content_type,
            "Cookie": self.cookie,
            "X-CSRFToken": self.csrf,
        }
        began = time.perf_counter()
        self.connection.request("POST", path, body, headers)
        answer = self.connection.getresponse()
        data = answer.read()
        return answer.status, data, time.perf_counter() - began

    def close(self) -> None:
        self.connection.close()


# --- 1. scans ----------------------------------------------------------------------------------


@dataclass
class ScanResult:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0
    cpu: float = 0.0


def scan_all(url: str, login: tuple[str, str], activity: int, tokens: list[str], start_at: float):
    """Scan each token once, one after the other; every answer must be a first check-in."""
    device = Device(url, login)
    result = ScanResult()
    path = f"/checkin/{activity}/scan"
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = time.thread_time()
    result.started = time.time()
    for token in tokens:
        status, data, seconds = device.post(path, compact(scan_item(token)), "application/json")
        result.latencies.append(seconds)
        code = json.loads(data).get("code") if status == 200 else data[:80].decode(errors="replace")
        if status != 200 or code != "checked_in":
            key = f"{status}:{code}"
            result.errors[key] = result.errors.get(key, 0) + 1
    result.finished = time.time()
    result.cpu = time.thread_time() - cpu_before
    device.close()
    return result


def _scan_process(queue, *args) -> None:
    queue.put(scan_all(*args))


def scan_in_parallel(url, logins, activity, shares) -> list[ScanResult]:
    """One forked process per device, all starting at the same moment."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + 0.5 + 0.1 * len(shares)
    processes = [
        context.Process(target=_scan_process, args=(queue, url, login, activity, share, start_at))
        for login, share in zip(logins, shares, strict=True)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=600) for _process in processes]
    for process in processes:
        process.join()
    return results


def scan_figures(results: list[ScanResult]) -> dict:
    values = sorted(value for result in results for value in result.latencies)
    elapsed = max(r.finished for r in results) - min(r.started for r in results)
    return {
        "count": len(values),
        "per_second": len(values) / elapsed,
        "elapsed": elapsed,
        "p50": percentile(values, 0.50) * 1000,
        "p95": percentile(values, 0.95) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "max": values[-1] * 1000,
        "errors": sum(sum(r.errors.values()) for r in results),
        "error_kinds": {k: v for r in results for k, v in r.errors.items()},
        "client_cpu": sum(r.cpu for r in results),
    }


def cpu_share(server: Server, before: tuple[float, float], wall: float) -> float:
    after = server.cpu_seconds()
    return (after[0] - before[0] + after[1] - before[1]) / wall


def scan_line(name: str, figures: dict, server_cpu: float) -> str:
    return (
        f"  {name:<22} {figures['count']:>4} scans in {figures['elapsed']:6.2f} s"
        f"  {figures['per_second']:6.1f} scans/s   p50 {figures['p50']:5.2f}  p95"
        f" {figures['p95']:5.2f}  p99 {figures['p99']:6.2f}  max {figures['max']:6.2f} ms"
        f"   server CPU {server_cpu:4.0%},"
        f" clients' {figures['client_cpu'] / figures['elapsed']:4.0%}"
        f"   errors {figures['errors']}"
        f"{' ' + str(figures['error_kinds']) if figures['errors'] else ''}"
    )


# --- 2. the offline queue ---------------------------------------------------------------------


def send_batch(device: Device, activity: int, body: bytes) -> tuple[int, dict | bytes, float]:
    status, data, seconds = device.post(f"/checkin/{activity}/batch", body, "application/json")
    return status, (json.loads(data) if status == 200 else data), seconds


def batch_problems(answer, count: int, code: str) -> list[str]:
    """What is wrong with a batch answer that should be ``count`` scans of ``code``."""
    if not isinstance(answer, dict):
        return [f"no JSON answer: {answer[:80]!r}"]
    codes: dict[str, int] = {}
    for outcome in [*answer["accepted"], *answer["refused"]]:
        codes[outcome["code"]] = codes.get(outcome["code"], 0) + 1
    return [] if codes == {code: count} else [f"expected {count} x {code}, got {codes}"]


def queue_round(url, login, path: Path, tokens: list[str], size: int, chunk: int | None):
    """Send ``size`` scans on a new activity in one request (chunk None) or in requests of
    ``chunk``, then the same requests again: (send s, resend s, body bytes, problems)."""
    activity = new_activity(path, f"河道巡查 批量 {size}/{chunk or 'one'}")
    share = tokens[:size]
    step = chunk or size
    bodies = [batch_body(share[i : i + step]) for i in range(0, size, step)]
    device = Device(url, login)
    problems: list[str] = []
    timings = []
    for code in ("checked_in", "checked_in"):  # the resend answers the first outcomes again
        began = time.perf_counter()
        for body in bodies:
            status, answer, _seconds = send_batch(device, activity, body)
            if status != 200:
                problems.append(f"status {status}")
                continue
            problems += batch_problems(answer, len(json.loads(body)["scans"]), code)
        timings.append(time.perf_counter() - began)
    device.close()
    return timings[0], timings[1], max(len(body) for body in bodies), problems


def too_large(url, login, path: Path, tokens: list[str], size: int) -> tuple[int, str, int]:
    """One request of ``size`` scans that does not fit: (status, error code, body bytes)."""
    activity = new_activity(path, f"河道巡查 过大 {size}")
    body = batch_body(tokens[:size])
    device = Device(url, login)
    status, answer, _seconds = send_batch(device, activity, body)
    device.close()
    code = ""
    if isinstance(answer, bytes):
        try:
            code = json.loads(answer)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = answer[:60].decode(errors="replace")
    return status, code, len(body)


def spread(seconds: list[float]) -> str:
    """min / median / max, in ms."""
    ms = [value * 1000 for value in seconds]
    return f"{min(ms):5.0f} / {statistics.median(ms):5.0f} / {max(ms):5.0f}"


# --- 3. decoding -----------------------------------------------------------------------------


def as_canvas_jpeg(picture: bytes) -> bytes:
    """Re-encoded as camera.js's canvas.toBlob('image/jpeg', 0.85) would send it."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(picture)).convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def pictures(token: str) -> list[tuple[str, bytes, list[str]]]:
    """(name, JPEG bytes, the texts decode must find)."""
    return [
        (
            "frame 640x480",
            as_canvas_jpeg(photographed_card(token, seed=1, size=(640, 480))),
            [token],
        ),
        (
            "frame 1280x720",
            as_canvas_jpeg(photographed_card(token, seed=2, size=(1280, 720))),
            [token],
        ),
        (
            "frame 1280x720, no code",
            as_canvas_jpeg(photographed_card(token, seed=2, size=(1280, 720), with_code=False)),
            [],
        ),
        (
            "photo 1600x1200",
            as_canvas_jpeg(photographed_card(token, seed=3, size=(1600, 1200))),
            [token],
        ),
    ]


def timed(values: list[float]) -> str:
    ordered = sorted(values)
    return (
        f"p50 {percentile(ordered, 0.5) * 1000:6.1f}  p95 {percentile(ordered, 0.95) * 1000:6.1f}"
        f"  max {ordered[-1] * 1000:6.1f} ms"
    )


# --- the run -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300, help="members scanned in part 1")
    parser.add_argument("--devices", type=int, default=4, help="parallel devices in part 1")
    parser.add_argument(
        "--batches",
        default="100,200,500",
        help="offline queue sizes for part 2, comma-separated (the largest that fits is added)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="fresh activities per queue size")
    parser.add_argument("--decodes", type=int, default=20, help="requests per picture in part 3")
    parser.add_argument("--server-threads", type=int, default=16, help="waitress threads")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    options = parser.parse_args(argv)
    sizes = [int(size) for size in options.batches.split(",") if size.strip()]

    folder = Path(tempfile.mkdtemp(prefix="corner-bench-checkin-"))
    path = folder / "instance"
    print(f"machine: {machine()}")
    began = time.perf_counter()
    tokens, largest = fill_instance(path, max(options.members, *sizes))
    warm_up = new_activity(path, "河道巡查 预热")
    one_device = new_activity(path, "河道巡查 单台")
    many_devices = new_activity(path, f"河道巡查 {options.devices}台")
    print(
        f"instance: {path}   members: {len(tokens)} (made in {time.perf_counter() - began:.1f} s)"
        f"   server threads: {options.server_threads}"
    )
    server = Server(path, options.server_threads)
    failed = False
    try:
        logins = [log_in(server.url) for _ in range(max(1, options.devices))]
        # warm-up, not counted: every server thread opens its connection, templates are compiled
        scan_in_parallel(
            server.url, logins, warm_up, [tokens[i * 8 : i * 8 + 8] for i in range(len(logins))]
        )

        # 1. scans
        print(
            f"\n1. check-in scans (POST /checkin/<id>/scan), {options.members} members, each once"
        )
        members = tokens[: options.members]
        cpu = server.cpu_seconds()
        single = scan_figures([scan_all(server.url, logins[0], one_device, members, 0.0)])
        print(scan_line("1 device", single, cpu_share(server, cpu, single["elapsed"])))
        shares = [members[i :: options.devices] for i in range(options.devices)]
        cpu = server.cpu_seconds()
        parallel = scan_figures(scan_in_parallel(server.url, logins, many_devices, shares))
        name = f"{options.devices} devices in parallel"
        print(scan_line(name, parallel, cpu_share(server, cpu, parallel["elapsed"])))
        failed = failed or bool(single["errors"] or parallel["errors"])

        # 2. the offline queue
        print(
            f"\n2. offline queue (POST /checkin/<id>/batch), body limit {BODY_LIMIT} bytes;"
            f" largest batch that fits: {largest} scans"
            f" ({len(batch_body(tokens[:largest]))} bytes); {options.rounds} rounds each,"
            " min / median / max"
        )
        status, code, size = too_large(server.url, logins[0], path, tokens, largest + 1)
        print(f"  {largest + 1} scans in one request ({size} bytes): HTTP {status} {code}")
        failed = failed or status != 413
        plans = []
        for count in sorted({*sizes, largest}):
            if len(batch_body(tokens[:count])) <= BODY_LIMIT:
                plans.append((count, None))
            else:
                print(f"  {count} scans do not fit one request: sent only as the page sends them")
            if count > PAGE_CHUNK:
                plans.append((count, PAGE_CHUNK))
        for count, chunk in plans:
            sends, resends, problems = [], [], []
            for _round in range(options.rounds):
                send, resend, body_bytes, wrong = queue_round(
                    server.url, logins[0], path, tokens, count, chunk
                )
                sends.append(send)
                resends.append(resend)
                problems += wrong
            how = (
                f"one request ({body_bytes // 1024} KB)"
                if chunk is None
                else f"{-(-count // chunk)} requests of {chunk}"
            )
            print(
                f"  {count:>4} scans, {how:<22} send {spread(sends)} ms"
                f" ({statistics.median(sends) / count * 1000:4.2f} ms a scan)"
                f"   resend (all repeats) {spread(resends)} ms"
                f" ({statistics.median(resends) / count * 1000:4.2f} ms a scan)"
                f"   {'; '.join(problems) or 'answers ok'}"
            )
            failed = failed or bool(problems)

        # 3. decoding
        print(
            f"\n3. QR decoding: POST /checkin/<id>/decode (one device, {options.decodes} requests"
            " after one warm-up) and decode_qr in this process, the same bytes"
        )
        device = Device(server.url, logins[0])
        for name, picture, expected in pictures(tokens[0]):
            over_http, in_process, wrong = [], [], 0
            for index in range(options.decodes + 1):
                if index == 1:
                    cpu = server.cpu_seconds()
                status, data, seconds = device.post(
                    f"/checkin/{one_device}/decode", picture, "image/jpeg"
                )
                if status != 200 or json.loads(data)["texts"] != expected:
                    wrong += 1
                if index:
                    over_http.append(seconds)
            after = server.cpu_seconds()
            user, system = ((after[i] - cpu[i]) / options.decodes * 1000 for i in (0, 1))
            for index in range(options.decodes + 1):
                start = time.perf_counter()
                texts = decode_qr(picture)
                if index:
                    in_process.append(time.perf_counter() - start)
                wrong += texts != expected
            verdict = f"{wrong} wrong" if wrong else f"found {len(expected)} code(s)"
            print(
                f"  {name:<24} {len(picture) // 1024:>4} KB   HTTP {timed(over_http)}"
                f"   server CPU a request: user {user:4.1f} + system {system:4.1f} ms"
                f"   decode_qr {timed(in_process)}   {verdict}"
            )
            failed = failed or bool(wrong)
        device.close()
    finally:
        server.stop()

    db = connect(open_instance(path).database)
    for activity in (one_device, many_devices):
        # every counted scan: a check-in with its award, a scan log row and an audit row
        written = db.execute(
            "SELECT"
            " (SELECT count(*) FROM checkins WHERE activity_id = :a AND entry_id IS NOT NULL),"
            " (SELECT count(*) FROM scan_log WHERE activity_id = :a),"
            " (SELECT count(*) FROM audit WHERE action = 'check_in'"
            "  AND target = 'activity:' || :a)",
            {"a": activity},
        ).fetchone()
        print(f"activity {activity}: (check-ins with award, scan log, audit) = {written}")
        failed = failed or written != (options.members,) * 3
    rows = {
        table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("checkins", "points_entries", "scan_log", "audit", "requests")
    }
    problems = check(db)
    db.close()
    print(f"\nrows: {rows}")
    result = subprocess.run(
        corner_command("--instance", str(path), "check"), capture_output=True, text=True
    )
    print(f"corner check (exit {result.returncode}): {(result.stdout + result.stderr).strip()}")
    failed = failed or bool(problems) or result.returncode != 0
    if options.keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
