"""The kiosk under a connection flood: scan and redeem latency while a client holds connections.

    .venv/bin/python bench/flood.py [--requests 300] [--attacker 127.0.0.2] [--pages 50]

A fresh instance and a real ``corner serve`` on a free loopback port. Each phase times
``--requests`` kiosk scans and as many redemptions, one after the other on one keep-alive
connection (as the kiosk page does), and ten card taps to every open page:

1. quiet: nothing else connected;
2. flood: ``--pages`` pages hold their event streams open, and the attacker (a loopback address
   of its own, 127.0.0.2 by default; give 127.0.0.1 to share the kiosk's) holds 200 idle
   connections and 100 that drip a request header a byte a second, opening new ones as fast as
   the server closes them.

It prints p50/p95/p99/max per operation, tap-to-every-page times, how many of the attacker's
connections the server left open, and the server's threads and memory. Not a test: it asserts
no time; the exit status is non-zero only when a kiosk call failed or a tap missed a page.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from points.db import connect  # noqa: E402
from points.ledger import MAX_POINTS_PER_ENTRY  # noqa: E402
from tests.conftest import Server  # noqa: E402
from tests.corner_support import two_corners  # noqa: E402
from tests.helpers import card_token, make_goods, make_member, rid  # noqa: E402
from web.instance import init_instance  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(name: str, seconds: list[float]) -> str:
    ms = [value * 1000 for value in seconds]
    return (
        f"  {name:<8} n={len(ms):<4} p50 {percentile(ms, 0.5):6.1f} ms  "
        f"p95 {percentile(ms, 0.95):6.1f} ms  p99 {percentile(ms, 0.99):6.1f} ms  "
        f"max {max(ms):6.1f} ms"
    )


class Attacker(threading.Thread):
    """Holds ``idle`` silent and ``slow`` dripping connections from one address, reopening any
    the server closes, once a second."""

    def __init__(self, address: str, port: int, idle: int = 200, slow: int = 100) -> None:
        super().__init__(daemon=True)
        self.address, self.port = address, port
        self.idle = [self._open() for _ in range(idle)]
        self.slow = [self._open(drip=True) for _ in range(slow)]
        self.stopped = threading.Event()
        self.reopened = 0
        self.held: list[int] = []

    def _open(self, drip: bool = False) -> socket.socket | None:
        sock = socket.socket()
        try:
            sock.bind((self.address, 0))
            sock.connect(("127.0.0.1", self.port))
            if drip:
                sock.sendall(b"POST /api/kiosk/scan HTTP/1.1\r\nHost: corner\r\nX-Slow: ")
        except OSError:
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    @staticmethod
    def _alive(sock: socket.socket | None) -> bool:
        if sock is None:
            return False
        try:
            return sock.recv(1) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    def open_count(self) -> int:
        return sum(self._alive(sock) for sock in self.idle + self.slow)

    def run(self) -> None:
        while not self.stopped.wait(1):
            self.held.append(self.open_count())  # what the server let it keep for a second
            for group, drip in ((self.idle, False), (self.slow, True)):
                for index, sock in enumerate(group):
                    if self._alive(sock):
                        if drip:
                            try:
                                sock.send(b"x")
                            except OSError:
                                pass
                        continue
                    if sock is not None:
                        sock.close()
                    group[index] = self._open(drip=drip)
                    self.reopened += 1

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        for sock in self.idle + self.slow:
            if sock is not None:
                sock.close()


def kiosk_round(port: int, credential: str, goods_id: int, count: int) -> dict[str, list[float]]:
    kiosk = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: dict[str, list[float]] = {"scan": [], "redeem": []}

    def call(name: str, path: str, body: dict) -> dict:
        started = time.perf_counter()
        kiosk.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        answer = kiosk.getresponse()
        payload = json.loads(answer.read())
        times[name].append(time.perf_counter() - started)
        if answer.status != 200:
            raise RuntimeError(f"{path}: {answer.status} {payload}")
        return payload

    for _ in range(count):
        session = call("scan", "/api/kiosk/scan", {"credential": credential})["session"]
        item = {"goods_id": goods_id, "quantity": 1}
        body = {"session": session, "request_id": rid(), "items": [item]}
        call("redeem", "/api/kiosk/redeem", body)
    kiosk.close()
    return times


def open_pages(port: int, cookie: str, count: int) -> list[socket.socket]:
    pages = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        request = f"GET /api/kiosk/events HTTP/1.1\r\nHost: corner\r\nCookie: {cookie}\r\n\r\n"
        sock.sendall(request.encode())
        pages.append(sock)
    for sock in pages:
        read_until(sock, b"event: status")
    return pages


def read_until(sock: socket.socket, marker: bytes, seconds: float = 30) -> bool:
    sock.settimeout(seconds)
    seen = b""
    while marker not in seen:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        seen = seen[-len(marker) :] + chunk
    return True


def taps(server, corners, pages: list[socket.socket], count: int = 10) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = requests.post(
            f"{server.url}/api/kiosk/tap",
            json={"kiosk": "corner-2", "uid": corners.nfc_uid},
            headers={"Authorization": f"Bearer {corners.kiosk_token}"},
            timeout=30,
        ).json()
        if answer.get("delivered") != len(pages) or not all(
            read_until(page, b"event: member") for page in pages
        ):
            raise RuntimeError(f"a tap missed a page: {answer}")
        times.append(time.perf_counter() - started)
    return times


def server_state(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return f"threads {fields['Threads'].strip()}, RSS {fields['VmRSS'].strip()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--attacker", default="127.0.0.2")
    parser.add_argument("--pages", type=int, default=50)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="corner-flood-") as folder:
        instance, _ = init_instance(Path(folder) / "instance")
        db = connect(instance.database)
        corners = two_corners(instance, db)
        make_member(db, "QZ009", "赵六", points=MAX_POINTS_PER_ENTRY)
        soap = make_goods(db, "肥皂", points=1, stock=100_000)
        credential = card_token(instance, db, "QZ009")
        count = options.requests
        db.close()
        server = Server(instance.path)
        try:
            bound = requests.Session()
            bound.get(f"{server.url}/kiosk?kiosk=corner-2&key={corners.kiosk_token}")
            cookie = "; ".join(f"{name}={value}" for name, value in bound.cookies.items())

            print(f"quiet ({options.requests} scans + redemptions, one page for taps):")
            one = open_pages(server.port, cookie, 1)
            for name, seconds in kiosk_round(server.port, credential, soap.id, count).items():
                print(figures(name, seconds))
            print(figures("tap", taps(server, corners, one)))
            print(f"  server: {server_state(server.process.pid)}")
            one[0].close()

            print(
                f"flood: {options.pages} open pages; {options.attacker} holds 200 idle + 100 "
                "dripping connections, reopening what is closed:"
            )
            pages = open_pages(server.port, cookie, options.pages)
            attacker = Attacker(options.attacker, server.port)
            attacker.start()
            time.sleep(2)
            for name, seconds in kiosk_round(server.port, credential, soap.id, count).items():
                print(figures(name, seconds))
            print(figures("tap", taps(server, corners, pages)))
            held = attacker.held[1:] or [0]
            print(
                f"  attacker's connections still open a second after (re)opening 300: "
                f"median {percentile(held, 0.5)}, max {max(held)} "
                f"({attacker.reopened} reopened after the server closed them)"
            )
            print(f"  server: {server_state(server.process.pid)}")
            attacker.stop()
            for page in pages:
                page.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
