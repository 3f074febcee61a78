"""Two (or eight) devices scan the same member for one activity at the same moment, over HTTP.

Each device is its own browser session on the real server (waitress, 16 threads), logged in with
an organiser's PIN and holding its own CSRF token; all requests wait on one barrier on connections
opened beforehand. Whatever the interleaving: exactly one check-in, one award, every other device
told "already checked in", and every scan in the scan log.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from points.activity_awards import list_checkins
from points.check import check
from points.ledger import balance
from points.scan_log import scan_log
from points.staff import set_pin
from tests.admin_support import make_staff
from tests.helpers import card_token, make_activity, make_member, rid

pytestmark = pytest.mark.server

TIMEOUT = 60  # seconds; only so that a broken server fails the test instead of hanging it
PIN = "246810"


def device(url: str) -> requests.Session:
    """A browser at the check-in page, logged in with the organiser's PIN."""
    http = requests.Session()

    def token() -> str:
        page = http.get(url + "/checkin", timeout=TIMEOUT)
        page.raise_for_status()
        found = re.search(r'id="checkin-config">(.*?)</script>', page.text)
        return json.loads(found.group(1))["csrf_token"]

    login = http.post(
        url + "/checkin/pin", json={"pin": PIN}, headers={"X-CSRFToken": token()}, timeout=TIMEOUT
    )
    assert login.status_code == 200, login.text
    http.headers["X-CSRFToken"] = token()  # a login gets a fresh token
    return http


@pytest.mark.parametrize("devices", [2, 8])
def test_the_same_member_scanned_on_many_devices_at_once_checks_in_once(
    instance, db, serve, devices
):
    make_staff(db, "li", role="organiser")
    set_pin(db, username="li", pin=PIN, actor="test")
    make_member(db, "QZ001", "张三")
    activity = make_activity(db, category="理论学习")  # 4 points, awarded on check-in
    token = card_token(instance, db)
    server = serve()
    sessions = [device(server.url) for _ in range(devices)]
    barrier = threading.Barrier(devices, timeout=TIMEOUT)

    def scan(http: requests.Session) -> dict:
        body = {"credential": token, "request_id": rid(), "action": "in"}
        barrier.wait()
        answer = http.post(f"{server.url}/checkin/{activity.id}/scan", json=body, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        return answer.json()

    with ThreadPoolExecutor(devices) as pool:
        outcomes = list(pool.map(scan, sessions))
    for http in sessions:
        http.close()

    assert Counter(o["code"] for o in outcomes) == {
        "checked_in": 1,
        "duplicate_checkin": devices - 1,
    }
    assert all(o["member_name"] == "张三" for o in outcomes)
    refused = [o for o in outcomes if not o["accepted"]]
    assert all(o["message"] for o in refused)  # said in words, not only a code
    assert len(list_checkins(db, activity.id)) == 1
    assert balance(db, "QZ001") == 4
    assert len(scan_log(db, activity.id)) == devices
    assert check(db) == []
