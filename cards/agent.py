"""The remote reader agent: ``corner reader`` on a kiosk machine whose server is elsewhere.

It runs the same reader service as the server and forwards each tap to the server with its
kiosk's token; the server routes it to that kiosk's page alone. Standard library HTTP only, so
the agent needs nothing beyond what the reader needs.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

from cards.nfc import CardEvent, ReaderService, ReaderStatus

# a remote agent repeats its status this often (the server forgets a silent agent after 3)
AGENT_HEARTBEAT_SECONDS = 20

log = logging.getLogger(__name__)


class AgentError(Exception):
    """The server refused the agent (wrong or revoked token), or cannot be reached."""


class ReaderAgent:
    def __init__(self, server: str, kiosk: str, token: str) -> None:
        self.server = server.rstrip("/")
        self.kiosk = kiosk
        self.token = token
        self.status = ReaderStatus("unavailable")
        self.stopped = threading.Event()

    def post(self, path: str, body: dict) -> dict:
        """POST JSON with the kiosk's token; AgentError on refusal or a network failure."""
        request = urllib.request.Request(
            self.server + path,
            data=json.dumps({"kiosk": self.kiosk, **body}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            try:
                code = json.loads(error.read())["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = f"HTTP {error.code}"
            raise AgentError(code) from None
        except (urllib.error.URLError, OSError) as error:
            raise AgentError(f"cannot reach {self.server}: {error}") from None

    def on_card(self, event: CardEvent) -> None:
        if event.kind == "removed":
            return
        body = {"uid": event.uid} if event.kind == "card" else {"error": event.detail or "read"}
        try:
            self.post("/api/kiosk/tap", body)
        except AgentError as error:
            log.error("tap not delivered: %s", error)

    def on_status(self, status: ReaderStatus) -> None:
        self.status = status
        self.report_status()

    def report_status(self) -> None:
        try:
            self.post("/api/kiosk/reader-status", self.status.as_dict())
        except AgentError as error:
            log.error("reader status not delivered: %s", error)

    def check(self) -> None:
        """Fail fast on a wrong or revoked token, before waiting for taps."""
        self.post("/api/kiosk/reader-status", self.status.as_dict())

    def run(self) -> None:
        """Forward taps until stopped; repeat the reader status as a heartbeat."""
        self.check()
        service = ReaderService(self.on_card, self.on_status).start()
        try:
            while not self.stopped.wait(AGENT_HEARTBEAT_SECONDS):
                self.report_status()
        finally:
            service.stop()
