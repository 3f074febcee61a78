"""Card taps to kiosk pages: a hub of channels that server-sent event streams listen on.

A channel is a kiosk: "local" for pages opened on this machine (fed by this server's own reader
service), or a kiosk's name for a page bound to that kiosk (fed by its remote reader agent).
A tap opens a session through the same core path as a QR scan, at the channel's corner
(``web.context.channel_corner``, the answer a page's own requests get too), and pushes the result
to the channel's pages only.

A check-in page subscribes in check-in mode (an activity, an operator, in or out): while one
listens on a channel, a tap there checks the member in to that activity instead of opening a
kiosk session. Every check-in outcome of an activity, from a tap or from any page's scan, is
also sent to all of that activity's check-in pages, so two phones show the same count.

A page's stream holds no worker thread where the server can detach it (``DETACH_KEY`` in the WSGI
environ, offered by ``corner.server``): the view answers the first events, the server keeps the
connection, and the hub writes later events and keep-alives straight onto it (``DetachedStream``).
Elsewhere (the test client, another WSGI server) a stream is a generator reading a queue.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import Response, current_app, request, stream_with_context

from cards.agent import AGENT_HEARTBEAT_SECONDS
from cards.credentials import check_in_credential, scan
from cards.nfc import NFC_PREFIX, CardEvent, ReaderService, ReaderStatus
from points.checkins import activity_board
from points.db import connect
from points.errors import CornerError
from web.context import LOCAL, channel_corner

log = logging.getLogger(__name__)

# silence from a remote agent for this long means it is gone
STALE_AFTER_SECONDS = 3 * AGENT_HEARTBEAT_SECONDS

# the WSGI environ key of the server's offer to keep a stream's connection (corner.server)
DETACH_KEY = "corner.detach_stream"

# events a page may be behind before it is dropped (it reconnects and catches up)
PENDING_EVENTS = 100


@dataclass(frozen=True)
class CheckinMode:
    """A check-in page's subscription: taps on its channel check members in (or out)."""

    activity_id: int
    operator: str
    action: str = "in"


@dataclass
class _ChannelStatus:
    status: ReaderStatus
    updated: float


class CardHub:
    """Subscribers per channel, reader status per channel, and the handling of taps."""

    def __init__(self, instance, secret) -> None:
        self.instance = instance
        self.secret = secret
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[queue.Queue]] = {}
        # check-in pages: their mode and channel, in the order they subscribed
        self._checkin: dict[queue.Queue, tuple[str | None, CheckinMode]] = {}
        self._status: dict[str, _ChannelStatus] = {}
        self._streams: set[DetachedStream] = set()
        self._keeper: threading.Thread | None = None
        self.last_unknown_uid: dict[str, str] = {}

    # -- subscribers --------------------------------------------------------------------------
    def subscribe(
        self, channel: str | None, *, checkin: CheckinMode | None = None, events=None
    ) -> queue.Queue:
        """A page's queue of events (or ``events``, anything with ``put_nowait``). A check-in
        page may have no channel (a phone): it then hears its activity's check-ins but no taps."""
        if events is None:
            events = queue.Queue(maxsize=PENDING_EVENTS)
        with self._lock:
            if channel is not None:
                self._subscribers.setdefault(channel, []).append(events)
            if checkin is not None:
                self._checkin[events] = (channel, checkin)
        return events

    def unsubscribe(self, channel: str | None, events: queue.Queue) -> None:
        with self._lock:
            listeners = self._subscribers.get(channel, [])
            if events in listeners:
                listeners.remove(events)
            if not listeners:
                self._subscribers.pop(channel, None)
            self._checkin.pop(events, None)
            self._streams.discard(events)

    def subscriptions(self) -> int:
        """Open pages, for the health answer and the benchmark."""
        with self._lock:
            return sum(len(listeners) for listeners in self._subscribers.values()) + sum(
                1 for where, _mode in self._checkin.values() if where is None
            )

    # -- detached streams -----------------------------------------------------------------------
    def keep(self, stream: DetachedStream) -> None:
        """Send keep-alives to a detached stream until it closes (one thread for all of them)."""
        with self._lock:
            self._streams.add(stream)
            if self._keeper is None:
                self._keeper = threading.Thread(
                    target=self._keep_alive, name="event-keepalive", daemon=True
                )
                self._keeper.start()

    def _keep_alive(self) -> None:
        while True:
            time.sleep(KEEPALIVE_SECONDS)
            with self._lock:
                streams = list(self._streams)
            for stream in streams:
                stream.keep_alive()

    def subscribers(self, channel: str) -> int:
        with self._lock:
            return len(self._subscribers.get(channel, []))

    def publish(self, channel: str, event: dict) -> int:
        """Send an event to every page listening on the channel; returns how many got it."""
        with self._lock:
            listeners = list(self._subscribers.get(channel, []))
        for events in listeners:
            try:
                events.put_nowait(event)
            except queue.Full:  # a page that stopped reading; it reconnects and catches up
                pass
        return len(listeners)

    # -- reader status --------------------------------------------------------------------------
    def set_status(self, channel: str, status: ReaderStatus) -> None:
        with self._lock:
            previous = self._status.get(channel)
            self._status[channel] = _ChannelStatus(status, time.monotonic())
        if previous is None or previous.status != status:
            self.publish(channel, {"type": "status", **status.as_dict()})

    def status(self, channel: str) -> ReaderStatus:
        with self._lock:
            known = self._status.get(channel)
        if known is None:
            return ReaderStatus("unavailable")
        if channel != LOCAL and time.monotonic() - known.updated > STALE_AFTER_SECONDS:
            return ReaderStatus("unavailable")  # the agent went quiet
        return known.status

    # -- taps -----------------------------------------------------------------------------------
    def tap(self, channel: str, *, uid: str | None, error: str | None = None):
        """A card laid on a channel's reader: open a session at the channel's corner and tell
        that channel's pages."""
        event_at = time.time() * 1000  # sent along, so bench/tap.py can time event → painted
        if error is not None or uid is None:
            log.warning("card on %s could not be read: %s", channel, error)
            return self.publish(channel, {"type": "card_error", "code": "card_invalid"})
        if not self.subscribers(channel):
            log.info("card %s tapped on %s, but no kiosk page is open there", uid, channel)
            return 0
        mode = self._checkin_mode(channel)
        if mode is not None:
            return self._check_in_tap(channel, mode, uid)
        db = connect(self.instance.database, migrate=False)
        try:
            corner_id = channel_corner(db, self.instance, channel)
            if corner_id is None:  # the kiosk was revoked since its agent connected
                return self.publish(channel, {"type": "card_error", "code": "kiosk_unauthorized"})
            session = scan(
                db,
                self.secret,
                NFC_PREFIX + uid,
                corner_id=corner_id,
                ttl_seconds=self.instance.settings.session_seconds,
                trusted_nfc=True,
            )
        except CornerError as refused:
            if refused.code == "card_unknown":
                # the UID is for staff (to bind the card), never for the member screen
                self.last_unknown_uid[channel] = uid
                log.warning("unknown NFC card %s on %s: bind it to a member", uid, channel)
            return self.publish(channel, {"type": "card_error", "code": refused.code})
        finally:
            db.close()
        return self.publish(
            channel,
            {
                "type": "member",
                "session": session.token,
                "member": {"number": session.member_number, "name": session.member_name},
                "balance": session.balance,
                "expires_in": session.expires_in,
                "allowances": {str(goods): left for goods, left in session.allowances.items()},
                "reader_event_at": event_at,
            },
        )

    # -- check-in -------------------------------------------------------------------------------
    def _checkin_mode(self, channel: str) -> CheckinMode | None:
        """The mode of the check-in page that opened last on this channel, if any.

        One tap is one check-in: with two check-in pages on one kiosk, the newer one decides.
        """
        with self._lock:
            modes = [mode for where, mode in self._checkin.values() if where == channel]
        return modes[-1] if modes else None

    def _check_in_tap(self, channel: str, mode: CheckinMode, uid: str) -> int:
        """Check the card's member in (a tap from a trusted reader) and tell the pages."""
        db = connect(self.instance.database, migrate=False)
        try:
            outcome = check_in_credential(
                db,
                self.secret,
                activity_id=mode.activity_id,
                credential=NFC_PREFIX + uid,
                operator=mode.operator,
                request_id=f"tap-{uuid.uuid4().hex}",  # each tap is a new attempt
                device=f"kiosk:{channel}",
                trusted_nfc=True,
                action=mode.action,
            )
            if outcome.code == "card_unknown":
                self.last_unknown_uid[channel] = uid  # for staff binding the card
            return self.announce(db, mode.activity_id, [outcome], channel=channel)
        finally:
            db.close()

    def announce(self, db, activity_id: int, outcomes: list, *, channel: str | None = None) -> int:
        """Send check-in outcomes and the fresh count to every check-in page of the activity.

        ``channel``: the kiosk whose tap this was; its pages show the outcome as their own
        scan (``mine``), the others only update the count and the last names.
        """
        with self._lock:
            pages = [
                (events, where)
                for events, (where, mode) in self._checkin.items()
                if mode.activity_id == activity_id
            ]
        if not pages or not outcomes:
            return 0
        board = activity_board(db, activity_id)
        event = {
            "type": "checkin",
            "outcomes": [asdict(outcome) for outcome in outcomes],
            "board": board_dict(board),
        }
        for events, where in pages:
            try:
                events.put_nowait({**event, "mine": channel is not None and where == channel})
            except queue.Full:  # a page that stopped reading; it reloads the board on reconnect
                pass
        return len(pages)


def board_dict(board) -> dict:
    """The running count and the last names scanned, as a check-in page draws them."""
    return {
        "activity_id": board.activity.id,
        "status": board.activity.status,
        "checked_in": board.checked_in,
        "checked_out": board.checked_out,
        "last": [
            {
                "name": line.member_name,
                "number": line.member_number,
                "action": line.action,
                "created": line.created,
            }
            for line in board.last
        ],
    }


def start_local_reader(hub: CardHub) -> ReaderService:
    """This machine's readers feed the "local" channel (pages opened on this machine)."""

    def on_card(event: CardEvent) -> None:
        if event.kind == "removed":
            return  # taking the card away does not log the member out mid-redemption
        try:
            hub.tap(LOCAL, uid=event.uid, error=event.detail)
        except Exception:  # noqa: BLE001 - a failed tap must not stop the reader
            log.exception("handling a card tap failed")

    hub.set_status(LOCAL, ReaderStatus("unavailable"))
    return ReaderService(on_card, lambda status: hub.set_status(LOCAL, status)).start()


# -- server-sent events ---------------------------------------------------------------------------

KEEPALIVE_SECONDS = 5  # waitress notices a closed page only when it writes


def _sse(event: dict) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"


def event_stream(
    hub: CardHub,
    channel: str | None,
    first: Callable[[], list[dict]],
    *,
    checkin: CheckinMode | None = None,
) -> Response:
    """A page's server-sent events: ``first()`` (read once the page listens, so nothing falls
    between), then the hub's events as they come, a keep-alive between; the subscription ends
    with the page.

    Detached where the server offers it (no thread held while the page is open); otherwise a
    generator on a worker thread, reading the page's queue.
    """
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    detach = request.environ.get(DETACH_KEY)
    if detach is not None:
        stream = DetachedStream(hub, channel)
        hub.subscribe(channel, checkin=checkin, events=stream)
        opening = "retry: 2000\n\n" + "".join(_sse(event) for event in first())
        detach(stream.attach)
        # a generator, not a list: no Content-Length, so the server streams it chunked
        body = (part for part in (opening,))
        return Response(body, mimetype="text/event-stream", headers=headers)

    subscription = hub.subscribe(channel, checkin=checkin)
    opening_events = first()

    @stream_with_context
    def stream():
        try:
            yield "retry: 2000\n\n"
            for event in opening_events:
                yield _sse(event)
            while True:
                try:
                    event = subscription.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    yield ": keep-alive\n\n"
                    continue
                yield _sse(event)
        finally:
            hub.unsubscribe(channel, subscription)

    return Response(stream(), mimetype="text/event-stream", headers=headers)


class DetachedStream:
    """A page's event stream once the server keeps its connection: the hub writes onto it.

    Events published before the server hands the connection over wait in order; a page that
    has stopped reading (the writer refuses) or left is unsubscribed.
    """

    def __init__(self, hub: CardHub, channel: str | None) -> None:
        self.hub = hub
        self.channel = channel
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._writer = None
        self._closed = False

    def attach(self, writer) -> None:
        """The server's answer: a writer (``write(bytes) -> bool``, ``on_close(callback)``), or
        None if the connection could not be kept (the page left, or an error was answered)."""
        if writer is None:
            self.close()
            return
        with self._lock:
            pending, self._pending = self._pending, []
            self._writer = writer
            delivered = all(writer.write(_sse(event).encode()) for event in pending)
        writer.on_close(self.close)
        if not delivered:
            self.close()
            return
        self.hub.keep(self)

    def put_nowait(self, event: dict) -> None:
        with self._lock:
            if self._closed:
                return
            if self._writer is None:
                if len(self._pending) >= PENDING_EVENTS:
                    raise queue.Full
                self._pending.append(event)
                return
            written = self._writer.write(_sse(event).encode())
        if not written:
            self.close()

    def keep_alive(self) -> None:
        with self._lock:
            written = self._closed or self._writer.write(b": keep-alive\n\n")
        if not written:
            self.close()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            writer, self._writer = self._writer, None
        self.hub.unsubscribe(self.channel, self)
        if writer is not None:
            writer.close()


def current_hub() -> CardHub:
    """The app's card-tap hub."""
    return current_app.extensions["card_hub"]
