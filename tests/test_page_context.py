"""One page context: a kiosk bound to a second corner sells that corner's stock, every way.

Through the real server over HTTP: the catalogue, a QR scan and its redemption, an NFC tap that
the corner's reader agent forwards, and a revoked binding.
"""

from __future__ import annotations

import json
import queue
import threading

import pytest
import requests

from points.kiosks import revoke_kiosk
from tests.corner_support import two_corners
from tests.helpers import rid

pytestmark = pytest.mark.server


def bound_page(server, token: str) -> requests.Session:
    """A browser that opened the kiosk page with its binding link (the cookie says corner-2)."""
    page = requests.Session()
    answer = page.get(f"{server.url}/kiosk?kiosk=corner-2&key={token}", allow_redirects=False)
    assert answer.status_code == 302 and "key=" not in answer.headers["Location"]
    return page


def redeem(page: requests.Session, server, session: str, goods_id: int) -> requests.Response:
    body = {
        "session": session,
        "request_id": rid(),
        "items": [{"goods_id": goods_id, "quantity": 1}],
    }
    return page.post(f"{server.url}/api/kiosk/redeem", json=body)


def test_a_qr_scan_on_a_corner_2_kiosk_spends_corner_2_stock(serve, instance, db):
    corners = two_corners(instance, db)
    server = serve()
    page = bound_page(server, corners.kiosk_token)
    catalogue = page.get(f"{server.url}/api/kiosk/catalog").json()["goods"]
    assert [(item["name"], item["stock"]) for item in catalogue] == [("拖鞋", 3)]
    scanned = page.post(f"{server.url}/api/kiosk/scan", json={"credential": corners.qr_token})
    assert scanned.status_code == 200
    redeemed = redeem(page, server, scanned.json()["session"], corners.goods_id)
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["balance"] == 40
    assert (corners.stock(db, 2), corners.stock(db, 1)) == (2, 5)


def test_the_server_s_own_kiosk_still_spends_corner_1_stock(serve, instance, db):
    corners = two_corners(instance, db)
    server = serve()
    page = requests.Session()  # on this machine, bound to nothing
    scanned = page.post(f"{server.url}/api/kiosk/scan", json={"credential": corners.qr_token})
    assert redeem(page, server, scanned.json()["session"], corners.goods_id).status_code == 200
    assert (corners.stock(db, 1), corners.stock(db, 2)) == (4, 3)


def listen(page: requests.Session, server, events: queue.Queue) -> threading.Thread:
    """The kiosk page's event stream, read in a thread: each event's data onto ``events``."""

    def read() -> None:
        try:
            with page.get(f"{server.url}/api/kiosk/events", stream=True, timeout=20) as stream:
                for line in stream.iter_lines(decode_unicode=True):
                    if line and line.startswith("data: "):
                        events.put(json.loads(line[len("data: ") :]))
        except requests.RequestException:
            pass  # the server stopped at the end of the test

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_an_nfc_tap_forwarded_to_a_corner_2_kiosk_spends_corner_2_stock(serve, instance, db):
    corners = two_corners(instance, db)
    server = serve()
    page = bound_page(server, corners.kiosk_token)
    events: queue.Queue = queue.Queue()
    listen(page, server, events)
    assert events.get(timeout=10)["type"] == "status"  # the page is listening
    # what `corner reader` on the corner's machine sends for a card laid on its reader
    tapped = requests.post(
        f"{server.url}/api/kiosk/tap",
        json={"kiosk": "corner-2", "uid": corners.nfc_uid},
        headers={"Authorization": f"Bearer {corners.kiosk_token}"},
    )
    assert tapped.json() == {"ok": True, "delivered": 1}
    member = events.get(timeout=10)
    assert member["type"] == "member" and member["member"]["name"] == "李四"
    assert redeem(page, server, member["session"], corners.goods_id).status_code == 200
    assert (corners.stock(db, 2), corners.stock(db, 1)) == (2, 5)


def test_a_revoked_kiosk_page_opens_no_session_and_falls_back_to_no_corner(serve, instance, db):
    corners = two_corners(instance, db)
    server = serve()
    page = bound_page(server, corners.kiosk_token)
    revoke_kiosk(db, name="corner-2")
    for answer in (
        page.post(f"{server.url}/api/kiosk/scan", json={"credential": corners.qr_token}),
        page.get(f"{server.url}/api/kiosk/catalog"),
        page.get(f"{server.url}/api/kiosk/events"),
    ):
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "kiosk_unauthorized"
    assert (corners.stock(db, 1), corners.stock(db, 2)) == (5, 3)
