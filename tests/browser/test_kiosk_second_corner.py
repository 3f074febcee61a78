"""A kiosk page bound to a second corner, in Chromium: its catalogue, QR cards and NFC taps all
spend that corner's stock, never the server's own corner's."""

from __future__ import annotations

import pytest
import requests

from tests.corner_support import two_corners

pytestmark = pytest.mark.browser


def exchange_one_pair(kiosk) -> None:
    kiosk.tap(kiosk.goods("拖鞋"))
    kiosk.tap("#to-confirm")
    kiosk.tap("#confirm")
    kiosk.wait_screen("receipt")


def test_a_corner_2_kiosk_sells_corner_2_stock_by_qr_and_by_nfc(open_kiosk, serve, instance, db):
    corners = two_corners(instance, db)
    server = serve()
    kiosk = open_kiosk(server, query=f"?kiosk=corner-2&key={corners.kiosk_token}")
    kiosk.scan(corners.qr_token)
    kiosk.wait_screen("member")
    assert "3" in kiosk.goods("拖鞋").inner_text()  # corner 2's stock on the card
    exchange_one_pair(kiosk)
    assert (corners.stock(db, 2), corners.stock(db, 1)) == (2, 5)

    kiosk.tap("#done")
    kiosk.wait_screen("start")
    kiosk.page.wait_for_function("() => document.getElementById('reader-status').dataset.state")
    # the corner's reader agent forwards a card laid on its reader
    tapped = requests.post(
        f"{server.url}/api/kiosk/tap",
        json={"kiosk": "corner-2", "uid": corners.nfc_uid},
        headers={"Authorization": f"Bearer {corners.kiosk_token}"},
    )
    assert tapped.json()["delivered"] >= 1  # (a stream of the page before "Finish" may linger)
    kiosk.wait_screen("member")
    assert kiosk.page.inner_text("#member-name") == "李四"
    exchange_one_pair(kiosk)
    assert (corners.stock(db, 2), corners.stock(db, 1)) == (1, 5)
    assert not kiosk.errors and not kiosk.foreign
