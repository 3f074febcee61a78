"""Kill -9 rounds against a real ``corner serve``: shared by tests/test_kill_rounds.py (a few
rounds) and bench/killrounds.py (a hundred).

One round: a fresh server; redeemer threads (kiosk API: scan, then redeem one item, each with a
new request id) and check-in devices (organisers logged in with a PIN, scanning members into the
round's activity) run together; after a random fraction of a second the server is killed with
SIGKILL, mid-stream. A request that got no answer is remembered with its exact body. A new
server starts on the same file; every unanswered request is sent again with the same request id
(it must be answered 200 now: either its first outcome, if it had committed, or done once now),
and a few answered ones are repeated (the same answer, nothing new written). Then ``corner
check`` and ``corner verify`` must pass.

At the end every acknowledged answer (a 200 with its redemption id, or its check-in and award
entry ids) is looked up in the database: found exactly once, or counted lost or doubled.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from cards.token import make_token
from points.activities import create_activity, list_categories, open_activity
from points.db import connect
from points.goods import add_goods
from points.ledger import MAX_POINTS_PER_ENTRY, award_points
from points.member_cards import issue_qr_card
from points.members import add_member
from points.staff import add_staff, set_pin
from tests.conftest import Server, corner_command
from web.instance import open_instance

TIMEOUT = 20  # seconds; only so that a broken server fails instead of hanging
PIN = "135790"
PRICE = 1
STOCK = 100_000
POINTS = 5 * MAX_POINTS_PER_ENTRY


@dataclass
class Acked:
    """An answered request: what was sent and what the server said it wrote."""

    kind: str  # 'redeem' or 'checkin'
    request_id: str
    body: dict
    answer: dict


@dataclass
class Tally:
    rounds: int = 0
    acknowledged: int = 0  # 200s with an id, first answers and answers to retries
    found: int = 0
    lost: int = 0
    doubled: int = 0
    unanswered: int = 0  # requests cut off by a kill (then sent again)
    retried_same: int = 0  # repeats of answered requests that answered the same
    refused: dict[str, int] = field(default_factory=dict)  # 4xx codes seen (e.g. out of points)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"rounds {self.rounds}: acknowledged {self.acknowledged}, found {self.found},"
            f" lost {self.lost}, doubled {self.doubled}; cut off by a kill and sent again"
            f" {self.unanswered}; answered requests repeated {self.retried_same}"
        )


@dataclass
class Corner:
    """The instance the rounds run against: who redeems, who is checked in, with what."""

    path: Path
    redeem_tokens: list[str]
    checkin_tokens: list[str]
    goods_id: int
    category_id: int
    acked: list[Acked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def prepare(path: Path, *, redeemers: int, checkin_members: int) -> Corner:
    """Members with cards (points for the redeemers), one good with plenty of stock, an
    organiser with a check-in PIN."""
    instance = open_instance(path)
    db = connect(instance.database)
    secret = instance.secret()

    def member(number: str, points: int) -> str:
        add_member(db, number=number, name=f"成员{number}", request_id=rid("setup"))
        card = issue_qr_card(db, number=number, request_id=rid("setup"))
        for _ in range(points // MAX_POINTS_PER_ENTRY):
            award_points(
                db,
                number=number,
                points=MAX_POINTS_PER_ENTRY,
                reason="备用",
                request_id=rid("setup"),
                actor="setup",
            )
        return make_token(secret, member_number=number, serial=card.id)

    redeem_tokens = [member(f"KR{index:03d}", POINTS) for index in range(redeemers)]
    checkin_tokens = [member(f"KC{index:03d}", 0) for index in range(checkin_members)]
    goods = add_goods(
        db, name="肥皂", points=PRICE, stock=STOCK, request_id=rid("setup"), actor="setup"
    )
    add_staff(db, username="organiser", password="a-long-password-1", role="organiser", actor="t")
    set_pin(db, username="organiser", pin=PIN, actor="setup")
    category = next(c.id for c in list_categories(db) if c.kind == "award")
    db.close()
    return Corner(path, redeem_tokens, checkin_tokens, goods.id, category)


def new_activity(corner: Corner, number: int) -> int:
    """An open activity for the round: each member checks in to it once."""
    db = connect(open_instance(corner.path).database)
    try:
        activity = create_activity(
            db,
            title=f"第{number}轮",
            category_id=corner.category_id,
            starts="2026-04-02T09:00",
            place="社区",
            request_id=rid("setup"),
            actor="setup",
        )
        open_activity(db, activity_id=activity.id, request_id=rid("setup"), actor="setup")
        return activity.id
    finally:
        db.close()


# --- the clients -----------------------------------------------------------------------------


def device(url: str) -> requests.Session:
    """A check-in page logged in with the organiser's PIN (as tests/test_checkin_http_race)."""
    http = requests.Session()

    def token() -> str:
        page = http.get(url + "/checkin", timeout=TIMEOUT)
        page.raise_for_status()
        found = re.search(r'id="checkin-config">(.*?)</script>', page.text)
        return json.loads(found.group(1))["csrf_token"]

    login = http.post(
        url + "/checkin/pin", json={"pin": PIN}, headers={"X-CSRFToken": token()}, timeout=TIMEOUT
    )
    login.raise_for_status()
    http.headers["X-CSRFToken"] = token()
    return http


def send(http: requests.Session, url: str, kind: str, body: dict) -> requests.Response:
    path = "/api/kiosk/redeem" if kind == "redeem" else f"/checkin/{body['activity']}/scan"
    payload = {key: value for key, value in body.items() if key != "activity"}
    return http.post(url + path, json=payload, timeout=TIMEOUT)


def record(corner: Corner, tally: Tally, kind: str, body: dict, answer: requests.Response) -> None:
    """Keep a 200 with its ids; count a refusal; anything else is a problem."""
    if answer.status_code == 200:
        data = answer.json()
        if kind == "checkin" and not data.get("accepted"):
            with corner.lock:
                tally.refused[data["code"]] = tally.refused.get(data["code"], 0) + 1
            return
        with corner.lock:
            corner.acked.append(Acked(kind, body["request_id"], body, data))
    elif 400 <= answer.status_code < 500:
        code = answer.json()["error"]["code"]
        with corner.lock:
            tally.refused[code] = tally.refused.get(code, 0) + 1
    else:
        with corner.lock:
            tally.problems.append(f"{kind} answered {answer.status_code}: {answer.text[:200]}")


def redeemer(corner, tally, url, token, stop, cut_off) -> None:
    """Scan, then redeem one item with a new request id, until stopped or cut off."""
    with requests.Session() as http:
        while not stop.is_set():
            try:
                scan = http.post(
                    url + "/api/kiosk/scan", json={"credential": token}, timeout=TIMEOUT
                )
                scan.raise_for_status()
            except requests.RequestException:
                return  # the server is gone; nothing was written by a scan
            body = {
                "session": scan.json()["session"],
                "request_id": rid("kill-redeem"),
                "items": [{"goods_id": corner.goods_id, "quantity": 1}],
            }
            try:
                answer = send(http, url, "redeem", body)
            except requests.RequestException:
                with corner.lock:
                    cut_off.append(("redeem", body))
                return
            record(corner, tally, "redeem", body, answer)


def checker(corner, tally, url, tokens, activity_id, stop, cut_off) -> None:
    """A check-in device scanning its members into the round's activity, one after another."""
    try:
        http = device(url)
    except requests.RequestException:
        return
    with http:
        for token in tokens:
            if stop.is_set():
                return
            body = {
                "activity": activity_id,
                "credential": token,
                "request_id": rid("kill-checkin"),
                "action": "in",
            }
            try:
                answer = send(http, url, "checkin", body)
            except requests.RequestException:
                with corner.lock:
                    cut_off.append(("checkin", body))
                return
            record(corner, tally, "checkin", body, answer)


# --- one round ---------------------------------------------------------------------------------


def corner_passes(path: Path, command: str) -> str | None:
    """Run ``corner check`` or ``corner verify``; None when it passes, else its output."""
    done = subprocess.run(
        corner_command("--instance", str(path), command),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return None if done.returncode == 0 else f"corner {command}: {done.stdout}{done.stderr}"


def start_server(path: Path, threads: int) -> Server:
    """A new ``corner serve``; a free port taken by someone else between the pick and the bind
    (other suites run on this machine) is tried again with another port."""
    for attempt in range(3):
        try:
            return Server(path, threads=threads)
        except RuntimeError as error:
            if "Address already in use" not in str(error) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def kill(server: Server) -> None:
    server.process.kill()  # SIGKILL: no handler, no flush, mid-write
    server.process.wait()
    server.log.close()


def one_round(
    corner: Corner,
    tally: Tally,
    number: int,
    *,
    devices: int,
    rng: random.Random,
    run_for: tuple[float, float] = (0.3, 1.2),
    threads: int = 16,
) -> None:
    activity_id = new_activity(corner, number)
    server = start_server(corner.path, threads)
    stop, cut_off = threading.Event(), []
    shares = [corner.checkin_tokens[index::devices] for index in range(devices)]
    workers = [
        threading.Thread(
            target=redeemer, args=(corner, tally, server.url, token, stop, cut_off), daemon=True
        )
        for token in corner.redeem_tokens
    ] + [
        threading.Thread(
            target=checker,
            args=(corner, tally, server.url, share, activity_id, stop, cut_off),
            daemon=True,
        )
        for share in shares
    ]
    try:
        for worker in workers:
            worker.start()
        time.sleep(rng.uniform(*run_for))
        kill(server)
        stop.set()
        for worker in workers:
            worker.join(TIMEOUT)
        if any(worker.is_alive() for worker in workers):
            tally.problems.append(f"round {number}: a client did not stop")
    finally:
        if server.process.poll() is None:
            kill(server)

    # the next life of the server: everything cut off is sent again, a few answers repeated
    server = start_server(corner.path, threads)
    try:
        tally.unanswered += len(cut_off)
        checkin_device = device(server.url)
        with requests.Session() as kiosk, checkin_device:
            for kind, body in cut_off:
                http = kiosk if kind == "redeem" else checkin_device
                answer = send(http, server.url, kind, body)
                if answer.status_code != 200 or (
                    kind == "checkin" and not answer.json().get("accepted")
                ):
                    tally.problems.append(
                        f"round {number}: {kind} {body['request_id']} sent again after the"
                        f" restart answered {answer.status_code}: {answer.text[:200]}"
                    )
                    continue
                record(corner, tally, kind, body, answer)
                again = send(http, server.url, kind, body)  # and once more: the same answer
                if again.json() != answer.json():
                    tally.problems.append(f"round {number}: a repeat answered differently")
            for acked in rng.sample(corner.acked, min(3, len(corner.acked))):
                http = kiosk if acked.kind == "redeem" else checkin_device
                again = send(http, server.url, acked.kind, acked.body)
                if again.status_code == 200 and again.json() == acked.answer:
                    tally.retried_same += 1
                else:
                    tally.problems.append(
                        f"round {number}: {acked.request_id} repeated after the restart answered"
                        f" {again.status_code}: {again.text[:200]}"
                    )
    finally:
        server.stop()
    for command in ("check", "verify"):
        failed = corner_passes(corner.path, command)
        if failed:
            tally.problems.append(f"round {number}: {failed}")
    tally.rounds += 1


# --- the books ---------------------------------------------------------------------------------


def count_acknowledged(corner: Corner, tally: Tally) -> None:
    """Every acknowledged answer found exactly once, or counted lost or doubled."""
    db = connect(open_instance(corner.path).database, migrate=False)
    try:
        seen: dict[str, Acked] = {}
        for acked in corner.acked:  # a repeat's answer is the first answer: one request, once
            seen.setdefault(acked.request_id, acked)
        tally.acknowledged = len(seen)
        for acked in seen.values():
            times = _times_found(db, acked)
            if times == 0:
                tally.lost += 1
                tally.problems.append(f"lost: {acked.kind} {acked.request_id} {acked.answer}")
            elif times > 1:
                tally.doubled += 1
                tally.problems.append(f"doubled: {acked.kind} {acked.request_id} ({times} times)")
            else:
                tally.found += 1
    finally:
        db.close()


def _times_found(db, acked: Acked) -> int:
    """How many times the ledgers hold what the answer said was done (1 when all agree)."""
    request_id = acked.request_id
    if acked.kind == "redeem":
        redemption_id = acked.answer["redemption"]["id"]
        rows = db.execute(
            "SELECT id FROM redemptions WHERE request_id = ?", [request_id]
        ).fetchall()
        debits = db.execute(
            "SELECT count(*) FROM points_entries WHERE redemption_id = ? AND kind = 'redemption'",
            [redemption_id],
        ).fetchone()[0]
        stock = db.execute(
            "SELECT count(*) FROM stock_entries WHERE redemption_id = ? AND kind = 'redemption'",
            [redemption_id],
        ).fetchone()[0]
        if [row[0] for row in rows] != [redemption_id][: len(rows)]:
            return len(rows) + 1  # a different redemption under this request id: not the answer
        return max(len(rows), debits, stock) if min(len(rows), debits, stock) else 0
    checkin_id, entry_id = acked.answer["checkin_id"], acked.answer["entry_id"]
    rows = db.execute(
        "SELECT id, entry_id FROM checkins WHERE request_id = ?", [request_id]
    ).fetchall()
    awards = db.execute(
        "SELECT count(*) FROM points_entries WHERE request_id = ? AND kind = 'award'",
        [request_id],
    ).fetchone()[0]
    if rows and rows[0] != (checkin_id, entry_id):
        return len(rows) + 1
    return max(len(rows), awards) if min(len(rows), awards) else 0
