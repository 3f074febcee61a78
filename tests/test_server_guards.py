"""No client on the LAN can freeze the kiosk (issue 11, part 1), against the real `corner serve`.

A neighbour at another address (127.0.0.2: the whole 127/8 block is loopback) holds 200 idle
connections and 100 that drip a request one byte a second, while 50 kiosk and check-in pages
hold their event streams open. The kiosk must still scan and redeem on the connection it already
has, a card tap must reach all 50 pages, and it is the neighbour's connections that get closed.
How fast the answers are is measured in ``bench/flood.py``, not asserted here.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest
import requests

from tests.corner_support import two_corners
from tests.helpers import card_token, make_goods, make_member, rid

pytestmark = pytest.mark.server

NEIGHBOUR = "127.0.0.2"
PAGES = 50


def connect_from(address: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((address, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def still_open(sock: socket.socket) -> bool:
    """The server has not closed it (nothing to read yet, and no end of stream)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def open_stream(port: int, cookie: str) -> socket.socket:
    """A kiosk page bound to ``corner-2``, listening for card taps."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"GET /api/kiosk/events HTTP/1.1\r\nHost: corner\r\nCookie: {cookie}\r\n\r\n".encode()
    )
    return sock


def read_until(sock: socket.socket, marker: bytes, seconds: float = 10) -> bytes:
    sock.settimeout(seconds)
    seen = b""
    while marker not in seen:
        chunk = sock.recv(65536)
        if not chunk:
            break
        seen += chunk
    return seen


class Drip(threading.Thread):
    """Sends one more byte of an endless request header on each connection, every second."""

    def __init__(self, socks: list[socket.socket]) -> None:
        super().__init__(daemon=True)
        self.socks = socks
        self.stopped = threading.Event()

    def run(self) -> None:
        for sock in self.socks:
            sock.sendall(b"POST /api/kiosk/scan HTTP/1.1\r\nHost: corner\r\nX-Slow: ")
        while not self.stopped.wait(1):
            for sock in self.socks:
                try:
                    sock.send(b"x")
                except OSError:
                    pass


def kiosk_call(kiosk: http.client.HTTPConnection, path: str, body: dict) -> dict:
    kiosk.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    answer = kiosk.getresponse()
    payload = json.loads(answer.read())
    assert answer.status == 200, payload
    return payload


def test_a_neighbour_holding_connections_and_50_open_pages_do_not_freeze_the_kiosk(
    serve, instance, db
):
    corners = two_corners(instance, db)
    make_member(db, "QZ009", "赵六", points=1000)
    soap = make_goods(db, "肥皂", points=1, stock=500)
    server = serve()
    bound = requests.Session()
    bound.get(f"{server.url}/kiosk?kiosk=corner-2&key={corners.kiosk_token}")
    cookie = "; ".join(f"{name}={value}" for name, value in bound.cookies.items())
    pages = [open_stream(server.port, cookie) for _ in range(PAGES)]
    for page in pages:
        assert b"event: status" in read_until(page, b"event: status")

    idle = [connect_from(NEIGHBOUR, server.port) for _ in range(200)]
    slow = [connect_from(NEIGHBOUR, server.port) for _ in range(100)]
    drip = Drip(slow)
    drip.start()
    try:
        # the kiosk keeps one connection for all its calls: closing it would fail a call here
        kiosk = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        credential = card_token(instance, db, "QZ009")
        for _ in range(10):
            session = kiosk_call(kiosk, "/api/kiosk/scan", {"credential": credential})["session"]
            redeemed = kiosk_call(
                kiosk,
                "/api/kiosk/redeem",
                {
                    "session": session,
                    "request_id": rid(),
                    "items": [{"goods_id": soap.id, "quantity": 1}],
                },
            )
            assert redeemed["balance"] >= 990
        kiosk.close()

        tapped = requests.post(
            f"{server.url}/api/kiosk/tap",
            json={"kiosk": "corner-2", "uid": corners.nfc_uid},
            headers={"Authorization": f"Bearer {corners.kiosk_token}"},
            timeout=10,
        )
        assert tapped.json() == {"ok": True, "delivered": PAGES}
        for page in pages:
            assert "李四" in read_until(page, b"event: member").decode()

        # the neighbour keeps its share (32); the rest are closed within a second or two
        deadline = time.monotonic() + 10
        while sum(still_open(sock) for sock in idle + slow) > 32:
            assert time.monotonic() < deadline, "the neighbour kept more than its share"
            time.sleep(0.2)
    finally:
        drip.stopped.set()
        for sock in idle + slow + pages:
            sock.close()


def test_a_request_dripped_slower_than_its_deadline_is_cut_off(serve, instance):
    server = serve(options=("--header-seconds", "1"))
    slow = connect_from(NEIGHBOUR, server.port)
    drip = Drip([slow])
    drip.start()
    try:
        slow.settimeout(10)
        assert slow.recv(100) == b""  # closed by the server, after about a second
    finally:
        drip.stopped.set()
        slow.close()
    assert requests.get(f"{server.url}/api/health", timeout=5).ok


def test_a_page_that_leaves_is_forgotten_and_its_stream_holds_no_worker(serve, instance):
    # two worker threads: if streams held one each, the third page would wait for ever
    server = serve(threads=2)
    pages = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(6)]
    for page in pages:
        page.sendall(b"GET /api/kiosk/events HTTP/1.1\r\nHost: corner\r\n\r\n")
    for page in pages:
        assert b"event: status" in read_until(page, b"event: status")
    health = requests.get(f"{server.url}/api/health", timeout=5)
    assert health.ok
    for page in pages:
        page.close()
    # the hub notices the pages left (on its next keep-alive at the latest)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if requests.get(f"{server.url}/api/health", timeout=5).json().get("pages") == 0:
            break
        time.sleep(0.5)
    assert requests.get(f"{server.url}/api/health", timeout=5).json()["pages"] == 0
