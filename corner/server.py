"""The HTTP server: waitress, with three guards so that no client on the LAN can freeze the kiosk.

waitress already reads every request in its one main loop (a slow upload holds no worker thread)
and hands only complete requests to its worker threads. What it lacked for a corner:

1. **Event streams without a worker thread each.** Every kiosk page and every check-in page holds
   a server-sent event stream open. Served the usual WSGI way, each held a worker for as long as
   the page stayed open; sixteen pages used every thread and the kiosk's scans waited. Here a
   stream's view answers its first events, then hands the connection over (``DETACH_KEY`` in the
   WSGI environ, see ``web.hub``): the worker goes back to the pool, and events and keep-alives
   are written onto the open connection by whoever publishes them, flushed by the main loop.
   A page that stops reading is dropped, not waited for; it reconnects and catches up.
2. **A share per client address** (``per_client``, 32 connections by default, event streams
   apart): a client at its share that opens another gives up the connection that waited longest
   for a request (idle, or dripping one), even in a burst (beyond twice the share); so one
   machine holding hundreds of idle or dripping connections cannot use up the server, and
   connections busy with a request are never chosen. When the server itself is full, a
   newcomer takes the place of the longest-waiting connection of anyone's. Behind a
   reverse proxy every client has the proxy's address: set the share to 0 there and let the
   proxy limit clients.
3. **Deadlines for slow requests:** a request's headers must arrive within ``header_seconds``, its
   body at no less than ``min_body_rate`` bytes a second after that, and a connection that sends
   nothing is closed after ``idle_seconds``. A client that drips a byte a second is cut off instead
   of holding its connection for ever.

Why waitress and not another server: it is pure Python (runs the same on Windows and on a
Raspberry Pi), already buffers slow requests outside the workers, and the three guards above are
small subclasses of its documented server and channel classes. An asyncio server would serve the
streams natively, but would mean a second programming model for every view.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from waitress.adjustments import Adjustments
from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask

from web.hub import DETACH_KEY

log = logging.getLogger(__name__)

# a stream whose page has this much unsent is dropped (a page that stopped reading)
STREAM_BACKLOG_BYTES = 256 * 1024
# a client's open event streams, as a multiple of its connection share (tabs, phones behind NAT)
STREAMS_PER_CLIENT_FACTOR = 4
# a connection this young is not closed to keep its client's share: its request is on its way
SHARE_GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class Guards:
    """The limits that keep one client from holding the server."""

    per_client: int = 32  # connections per client address; 0 = no limit (behind a proxy)
    connection_limit: int = 500  # all connections; under select()'s 512 on Windows
    header_seconds: float = 10.0  # from the first byte of a request to the end of its headers
    min_body_rate: int = 16 * 1024  # bytes a second, after a grace of header_seconds
    idle_seconds: float = 30.0  # a connection with nothing to do
    cleanup_seconds: float = 1.0  # how often the main loop looks for the above


class StreamWriter:
    """Writes a detached event stream onto its connection, from any thread, never blocking."""

    def __init__(self, channel: CornerChannel, *, chunked: bool) -> None:
        self.channel = channel
        self.chunked = chunked
        self._on_close: list = []

    @property
    def open(self) -> bool:
        channel = self.channel
        return channel.connected and not (channel.will_close or channel.close_when_flushed)

    def write(self, data: bytes) -> bool:
        """Queue ``data`` for the page; False if the page is gone or has stopped reading."""
        channel = self.channel
        if not self.open:
            return False
        if channel.total_outbufs_len > STREAM_BACKLOG_BYTES:
            self.close()
            return False
        if self.chunked:
            data = b"%X\r\n%s\r\n" % (len(data), data)
        try:
            channel.write_soon(data)
        except (ClientDisconnected, OSError):
            return False
        channel.server.pull_trigger()  # wake the main loop: it sends the data
        return True

    def close(self) -> None:
        self.channel.will_close = True
        self.channel.server.pull_trigger()

    def on_close(self, callback) -> None:
        """``callback()`` runs once when the connection closes (the page left)."""
        self._on_close.append(callback)

    def closed(self) -> None:
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - closing one stream must not stop the main loop
                log.exception("closing an event stream failed")


class CornerTask(WSGITask):
    """A WSGI task that lets an event-stream view keep its connection after the worker is done."""

    _attach = None

    def get_environment(self):
        environ = super().get_environment()
        environ[DETACH_KEY] = self._want_detach
        return environ

    def _want_detach(self, attach) -> None:
        """Called by the view: after the response's first bytes, hand the connection to
        ``attach(writer)`` (or ``attach(None)`` if it could not be kept)."""
        self._attach = attach

    def service(self):
        try:
            super().service()
        finally:
            if self._attach is not None:  # finish() did not keep the stream: say so
                attach, self._attach = self._attach, None
                attach(None)

    def finish(self):
        if self._attach is None or not self.status.startswith("200"):
            return super().finish()  # not a stream after all (an error answered): end it
        if not self.wrote_header:
            self.write(b"")
        # the response stays open: no last chunk, and the connection is not closed when the
        # worker returns (the main loop keeps flushing what publishers write)
        self.close_on_finish = False
        writer = StreamWriter(self.channel, chunked=self.chunked_response)
        self.channel.detach(writer)
        attach, self._attach = self._attach, None
        attach(writer)
        return None


class CornerChannel(HTTPChannel):
    """A connection: its client address, and how long it has waited for its next request."""

    task_class = CornerTask
    stream: StreamWriter | None = None
    request_started: float | None = None

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        self.client = addr[0] if isinstance(addr, tuple) else str(addr)
        self.last_done = time.monotonic()
        if not server.make_room(self):
            self.will_close = True  # nothing of this client's to give way: the newcomer goes
            self.handle_close()

    def detach(self, writer: StreamWriter) -> None:
        self.stream = writer

    def received(self, data):
        if self.stream is not None:
            return True  # a page's event stream sends nothing more; ignore what it does send
        if self.request is None and data:
            self.request_started = time.monotonic()
        accepted = super().received(data)
        if self.request is None:
            self.request_started = None  # nothing half-received
        return accepted

    def service(self):
        try:
            super().service()
        finally:
            self.last_done = time.monotonic()

    def handle_write(self):
        if self.stream is None:
            return super().handle_write()
        # publishers append from other threads: flush under the buffer's lock, never without
        with self.outbuf_lock:
            self._flush_exception(self._flush_some)
        if self.will_close:
            self.handle_close()
        return None

    def handle_close(self):
        super().handle_close()
        if self.stream is not None:
            self.stream.closed()

    @property
    def evictable(self) -> bool:
        """Waiting on its client (idle, or a request arriving): not a page's stream, not a
        request being answered, not already closing."""
        return self.stream is None and not self.requests and not self.will_close

    @property
    def waiting_since(self) -> float:
        """Since when this connection has waited on its client for a whole request."""
        return self.request_started if self.request_started is not None else self.last_done

    def overdue(self, now: float, guards: Guards) -> bool:
        """Sending its request too slowly."""
        request = self.request
        if self.stream is not None or self.requests or request is None:
            return False  # idle ones are closed by waitress's own channel_timeout
        if self.request_started is None:
            return False
        elapsed = now - self.request_started
        if not request.headers_finished:
            return elapsed > guards.header_seconds
        allowed = guards.header_seconds + (request.content_length or 0) / guards.min_body_rate
        return elapsed > allowed


class CornerServer(TcpWSGIServer):
    """waitress's TCP server with the corner's channel, room kept per client, and deadlines.

    All of this runs on waitress's main loop thread (accepting and maintenance), which owns the
    list of open connections.
    """

    channel_class = CornerChannel

    def __init__(self, *args, guards: Guards, **kwargs) -> None:
        self.guards = guards
        self._warned: dict[str, float] = {}
        super().__init__(*args, **kwargs)

    def make_room(self, newcomer: CornerChannel) -> bool:
        """Room for a new connection; False if the newcomer must go instead.

        A client at its share gives up its connection that has waited longest for a request
        (idle, or dripping one) — but not one younger than a second, whose request is on its
        way: a burst of pages opening at once may go up to twice the share (``keep_shares``
        trims it a second later); beyond that, the longest-waiting of any age goes. Only when
        every one of them is busy with a request is the newcomer refused. When the server is
        full, the longest-waiting connection of anyone's makes room.
        """
        others = self._open(exclude=newcomer)
        per_client = self.guards.per_client
        if per_client:
            mine = [c for c in others if c.client == newcomer.client and c.stream is None]
            if len(mine) >= per_client:
                self._warn(newcomer.client)
                now = time.monotonic()
                settled = [c for c in mine if now - c.waiting_since > SHARE_GRACE_SECONDS]
                if not self._close_longest_waiting(settled, 1) and len(mine) >= 2 * per_client:
                    if not self._close_longest_waiting(mine, 1):
                        return False  # all of them busy with a request: the newcomer waits
        if len(others) < self.guards.connection_limit - 1:
            return True
        return self._close_longest_waiting(others, len(others) - self.guards.connection_limit + 2)

    def keep_shares(self, now: float) -> None:
        """Close what a client holds beyond its share: first the connections that have waited
        longest for a request (idle, or dripping one), then its oldest event streams."""
        per_client = self.guards.per_client
        if not per_client:
            return
        by_client: dict[str, list[CornerChannel]] = {}
        for channel in self._open():
            by_client.setdefault(channel.client, []).append(channel)
        for client, channels in by_client.items():
            plain = [channel for channel in channels if channel.stream is None]
            if len(plain) > per_client:
                self._warn(client)
                waited = [c for c in plain if now - c.waiting_since > SHARE_GRACE_SECONDS]
                self._close_longest_waiting(waited, len(plain) - per_client)
            streams = [channel for channel in channels if channel.stream is not None]
            extra = len(streams) - STREAMS_PER_CLIENT_FACTOR * per_client
            for channel in sorted(streams, key=lambda channel: channel.last_done)[: max(extra, 0)]:
                channel.stream.close()

    def _open(self, exclude: CornerChannel | None = None) -> list[CornerChannel]:
        return [
            channel
            for channel in list(self.active_channels.values())
            if isinstance(channel, CornerChannel)
            and channel is not exclude
            and not channel.will_close
        ]

    @staticmethod
    def _close_longest_waiting(channels: list[CornerChannel], count: int) -> bool:
        """Close up to ``count`` of the connections waiting longest; False if none could be."""
        waiting = sorted(
            (channel for channel in channels if channel.evictable),
            key=lambda channel: channel.waiting_since,
        )
        for channel in waiting[:count]:
            channel.will_close = True
        return bool(waiting[:count])

    def _warn(self, client: str) -> None:
        now = time.monotonic()
        if now - self._warned.get(client, -60.0) >= 60:  # once a minute per client
            self._warned[client] = now
            log.warning(
                "client %s holds %d connections: closing the ones it leaves waiting",
                client,
                self.guards.per_client,
            )

    def connections(self, client: str) -> int:
        """Open connections of one client address (for tests and the benchmark)."""
        return sum(
            1
            for channel in list(self.active_channels.values())
            if getattr(channel, "client", None) == client and not channel.will_close
        )

    def maintenance(self, now):
        super().maintenance(now)  # waitress's own idle cut-off (channel_timeout)
        moment = time.monotonic()
        for channel in self._open():
            if channel.overdue(moment, self.guards):
                channel.will_close = True
        self.keep_shares(moment)


def create_server(
    app,
    *,
    host: str,
    port: int,
    threads: int,
    guards: Guards,
    keep_forwarded_headers: bool = False,
) -> CornerServer:
    """A listening server (not yet running): ``server.run()`` serves until interrupted.

    waitress drops X-Forwarded-* headers; behind a declared reverse proxy
    (``keep_forwarded_headers``) they reach the app, which reads them (``web.proxy``).
    """
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="exchange-corner",
        connection_limit=guards.connection_limit,
        channel_timeout=max(guards.idle_seconds, 1),
        cleanup_interval=guards.cleanup_seconds,
        asyncore_use_poll=True,  # poll() where there is one: no 1024-descriptor ceiling
        clear_untrusted_proxy_headers=not keep_forwarded_headers,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    channels: dict = {}  # one main loop for every address the host name has (IPv4 and IPv6)
    servers = [
        CornerServer(
            app,
            channels,
            True,
            None,
            dispatcher=dispatcher,
            adj=adj,
            sockinfo=sockinfo,
            guards=guards,
        )
        for sockinfo in adj.listen
    ]
    return servers[0]
