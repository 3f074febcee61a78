"""NFC points cards through PC/SC: UIDs, and a background reader service built on pyscard.

The service watches readers appearing and disappearing and cards arriving and leaving with its
own ``SCardGetStatusChange`` loop, reads each new card's UID with the PC/SC pseudo-APDU
``FF CA 00 00 00`` and hands the rest of the app plain events. pyscard is imported only inside
the service, so the app runs (QR only) where PC/SC is not installed at all.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from points.errors import CornerError

log = logging.getLogger(__name__)

NFC_PREFIX = "nfc:"
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
PNP_READER = "\\\\?PnP?\\Notification"
RETRY_SECONDS = 1.0
WAIT_MS = 1000
# ISO 14443 UIDs are 4, 7 or 10 bytes; some readers report 8-byte ids of other card kinds
_UID = re.compile(r"^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{16}|[0-9A-F]{20})$")


def normalise_uid(text: object) -> str:
    """Upper-case hex without separators (``04:a1:b2:c3`` → ``04A1B2C3``), or ``card_invalid``."""
    if not isinstance(text, str) or len(text) > 64:
        raise CornerError("card_invalid", reason="uid")
    uid = re.sub(r"[\s:.-]", "", text).upper()
    if not _UID.match(uid):
        raise CornerError("card_invalid", reason="uid")
    return uid


@dataclass(frozen=True)
class CardEvent:
    """A card laid on a reader (``uid`` set), taken away, or a card that could not be read."""

    kind: str  # "card" | "removed" | "error"
    reader: str
    uid: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ReaderStatus:
    """Which readers are live; ``service`` is "running", "unavailable" or "off"."""

    service: str
    readers: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"service": self.service, "readers": list(self.readers)}


class ReaderService:
    """A daemon thread that turns PC/SC reader and card changes into events.

    ``on_card`` gets a CardEvent for every card laid down (once per placement, not a stream),
    taken away, or unreadable; ``on_status`` gets a ReaderStatus whenever readers come and go or
    pcscd stops and starts. Neither callback may raise; both run on the service's thread.
    """

    def __init__(
        self,
        on_card: Callable[[CardEvent], None],
        on_status: Callable[[ReaderStatus], None] | None = None,
    ) -> None:
        self.on_card = on_card
        self.on_status = on_status or (lambda status: None)
        self.status = ReaderStatus("unavailable")
        self._stop = threading.Event()
        self._context = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="pcsc-reader", daemon=True)

    def start(self) -> ReaderService:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop: cancel the blocking status call so the thread ends at once."""
        self._stop.set()
        with self._lock:
            if self._context is not None:
                try:
                    from smartcard import scard

                    scard.SCardCancel(self._context)
                except Exception:  # noqa: BLE001 - stopping must not fail
                    pass
        self._thread.join(timeout)

    def _set_status(self, status: ReaderStatus) -> None:
        if status != self.status:
            self.status = status
            log.info("card readers: %s %s", status.service, ", ".join(status.readers))
            self.on_status(status)

    def _run(self) -> None:
        try:
            from smartcard import scard
        except ImportError as error:  # pyscard or libpcsclite missing: QR only
            log.warning("no PC/SC support (%s); NFC cards cannot be read", error)
            self._set_status(ReaderStatus("unavailable"))
            return
        while not self._stop.is_set():
            try:
                self._watch(scard)
            except Exception:  # noqa: BLE001 - the service must outlive any PC/SC surprise
                log.exception("card reader loop failed; starting again")
            self._release(scard)
            self._set_status(ReaderStatus("unavailable"))
            self._stop.wait(RETRY_SECONDS)

    def _release(self, scard) -> None:
        with self._lock:
            if self._context is not None:
                scard.SCardReleaseContext(self._context)
                self._context = None

    def _watch(self, scard) -> None:
        """One PC/SC session: returns when pcscd goes away (the caller waits and retries)."""
        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result != scard.SCARD_S_SUCCESS:
            return
        with self._lock:
            self._context = context
        present: dict[str, bool] = {}
        states: dict[str, int] = {}
        readers = self._list_readers(scard, context)
        if readers is None:
            return
        self._set_status(ReaderStatus("running", tuple(readers)))
        while not self._stop.is_set():
            watched = [(name, states.get(name, scard.SCARD_STATE_UNAWARE)) for name in readers]
            watched.append((PNP_READER, states.get(PNP_READER, scard.SCARD_STATE_UNAWARE)))
            result, changes = scard.SCardGetStatusChange(context, WAIT_MS, watched)
            if result == scard.SCARD_E_TIMEOUT:
                continue
            if result == scard.SCARD_E_CANCELLED:
                return
            if result != scard.SCARD_S_SUCCESS:
                return  # pcscd stopped or the context died: start over
            reader_list_changed = False
            for name, event_state, _atr in changes:
                # keep the state without the CHANGED bit, so pcscd reports only new changes
                states[name] = event_state & ~scard.SCARD_STATE_CHANGED
                if name == PNP_READER:
                    reader_list_changed = reader_list_changed or bool(
                        event_state & scard.SCARD_STATE_CHANGED
                    )
                    continue
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                    reader_list_changed = True
                    continue
                is_present = bool(event_state & scard.SCARD_STATE_PRESENT) and not bool(
                    event_state & scard.SCARD_STATE_MUTE
                )
                was_present = present.get(name, False)
                present[name] = is_present
                if is_present and not was_present:
                    self.on_card(self._read(scard, context, name))
                elif was_present and not is_present:
                    self.on_card(CardEvent("removed", name))
            if reader_list_changed:
                readers = self._list_readers(scard, context)
                if readers is None:
                    return
                for gone in set(states) - set(readers) - {PNP_READER}:
                    states.pop(gone, None)
                    present.pop(gone, None)
                self._set_status(ReaderStatus("running", tuple(readers)))

    @staticmethod
    def _list_readers(scard, context) -> list[str] | None:
        result, readers = scard.SCardListReaders(context, [])
        if result == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if result != scard.SCARD_S_SUCCESS:
            return None
        return list(readers)

    @staticmethod
    def _read(scard, context, reader: str) -> CardEvent:
        """Connect to the card just laid down and ask for its UID."""
        result, card, protocol = scard.SCardConnect(
            context,
            reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if result != scard.SCARD_S_SUCCESS:
            return CardEvent("error", reader, detail=scard.SCardGetErrorMessage(result))
        try:
            result, response = scard.SCardTransmit(card, protocol, GET_UID)
            if result != scard.SCARD_S_SUCCESS:
                return CardEvent("error", reader, detail=scard.SCardGetErrorMessage(result))
            if len(response) < 6 or response[-2:] != [0x90, 0x00]:
                status = bytes(response[-2:]).hex().upper()
                return CardEvent("error", reader, detail=f"UID read refused ({status})")
            return CardEvent("card", reader, uid=bytes(response[:-2]).hex().upper())
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


def wait_for_card(timeout: float | None = None) -> CardEvent | None:
    """Block until a card is laid on any reader (for ``corner cards bind``); None on timeout."""
    arrived: list[CardEvent] = []
    done = threading.Event()

    def on_card(event: CardEvent) -> None:
        if event.kind in ("card", "error") and not done.is_set():
            arrived.append(event)
            done.set()

    service = ReaderService(on_card).start()
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not done.wait(0.2):
            if deadline is not None and time.monotonic() > deadline:
                return None
        return arrived[0]
    finally:
        service.stop()
