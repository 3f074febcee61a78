"""NFC tap latency: a virtual card laid on the reader until the balance is on the kiosk screen.

    .venv/bin/python bench/tap.py [--taps 30]

Starts its own pcscd with the vpcd virtual readers (tests/pcsc.py), a real `corner serve` on a
fresh instance, and Debian's Chromium on /kiosk. For each tap it lays a card (a pure-Python card
on vpcd's socket), waits for the page to show the member, and reads three wall-clock times:

- insert: when the card connected to vpcd (the card "laid on the reader");
- event: when the server's reader service handed the tap over (sent to the page in the event);
- painted: the animation frame after the one that drew the balance.

It prints p50 and p95 of insert → painted, event → painted, and insert → event (the part that is
pcscd's presence poll, about 400 ms at worst, outside our control). Not a test: it asserts no
time. Every clock is this machine's wall clock, so the differences are comparable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from points.db import connect  # noqa: E402
from points.member_cards import bind_nfc_card  # noqa: E402
from tests.conftest import Server  # noqa: E402
from tests.helpers import make_member, rid  # noqa: E402
from tests.pcsc import READERS, PcscDaemon, VirtualCard, wait_reader_state  # noqa: E402
from web.instance import init_instance  # noqa: E402

UID = "04A1B2C3D4E5F6"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=30)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="corner-tap-") as folder:
        instance, _ = init_instance(Path(folder) / "instance")
        db = connect(instance.database)
        make_member(db, "QZ001", "张三", points=50)
        bind_nfc_card(db, number="QZ001", uid=UID, request_id=rid())
        daemon = PcscDaemon()
        daemon.start()
        server = Server(instance.path)
        rows = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--disable-gpu"]
                )
                version = browser.version
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(server.url + "/kiosk")
                page.wait_for_function(
                    "() => document.getElementById('reader-status').dataset.state === 'ready'"
                )
                for _ in range(options.taps + 1):  # the first tap warms up; it is not counted
                    wait_reader_state(READERS[0], present=False)
                    page.evaluate("window.kioskPainted = null")
                    card = VirtualCard(UID)
                    inserted = time.time() * 1000
                    card.insert(wait=False)
                    page.wait_for_function("() => window.kioskPainted !== null", timeout=10_000)
                    painted = page.evaluate("window.kioskPainted")
                    rows.append((inserted, painted["reader_event_at"], painted["at"]))
                    card.remove(wait=False)
                    page.click("#finish")
                    page.wait_for_function("() => document.body.dataset.screen === 'start'")
                browser.close()
        finally:
            server.stop()
            daemon.close()
            db.close()

    rows = rows[1:]
    series = {
        "insert → painted": [painted - inserted for inserted, _event, painted in rows],
        "event → painted": [painted - event for _inserted, event, painted in rows],
        "insert → event (pcscd poll + UID read)": [event - inserted for inserted, event, _ in rows],
    }
    print(f"{len(rows)} taps, Chromium {version}, reader {READERS[0]}")
    for name, values in series.items():
        print(
            f"  {name:40s} p50 {statistics.median(values):7.1f} ms   "
            f"p95 {percentile(values, 0.95):7.1f} ms   max {max(values):7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
