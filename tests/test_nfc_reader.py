"""The reader service on the real PC/SC stack: pcscd, the vpcd virtual readers, pyscard."""

import queue

import pytest

from cards.nfc import CardEvent, ReaderService, ReaderStatus, normalise_uid
from points.errors import CornerError
from tests.pcsc import READERS

UID = "04A1B2C3D4E5F6"
OTHER = "08123456"


class Watched:
    """A running ReaderService and what it reported."""

    def __init__(self) -> None:
        self.events: queue.Queue[CardEvent] = queue.Queue()
        self.statuses: queue.Queue[ReaderStatus] = queue.Queue()
        self.service = ReaderService(self.events.put, self.statuses.put).start()

    def event(self, timeout: float = 5.0) -> CardEvent:
        return self.events.get(timeout=timeout)

    def status_until(self, wanted, timeout: float = 10.0) -> ReaderStatus:
        """The first reported status for which ``wanted(status)`` holds."""
        while True:
            status = self.statuses.get(timeout=timeout)
            if wanted(status):
                return status

    def no_event_for(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def watched(cards):
    watched = Watched()
    watched.status_until(lambda status: status.readers == READERS)
    yield watched
    watched.service.stop()


@pytest.mark.reader
def test_a_card_laid_down_is_one_event_with_its_uid(watched, cards):
    card = cards.lay(UID)
    assert watched.event() == CardEvent("card", READERS[0], uid=UID)
    # left on the reader: no stream of repeats (pcscd polls every ~400 ms; wait three polls)
    assert watched.no_event_for(1.3)
    card.remove()
    assert watched.event() == CardEvent("removed", READERS[0])
    cards.lay(UID)
    assert watched.event() == CardEvent("card", READERS[0], uid=UID)


@pytest.mark.reader
def test_two_readers_at_once(watched, cards):
    cards.lay(UID, reader=0)
    cards.lay(OTHER, reader=1)
    events = {watched.event().reader: None for _ in range(2)}
    assert set(events) == set(READERS)


@pytest.mark.reader
def test_a_card_that_cannot_be_read_is_an_error_event_not_a_crash(watched, cards):
    card = cards.lay(UID, fail_uid_read=True)
    event = watched.event()
    assert (event.kind, event.reader, event.uid) == ("error", READERS[0], None)
    assert "6300" in event.detail
    card.remove()
    assert watched.event().kind == "removed"
    cards.lay(UID)
    assert watched.event() == CardEvent("card", READERS[0], uid=UID)


@pytest.mark.reader
def test_pcscd_stopping_and_coming_back(watched, cards, pcscd):
    pcscd.stop()
    assert watched.status_until(lambda status: status.service == "unavailable").readers == ()
    pcscd.start()
    watched.status_until(lambda status: status.readers == READERS)
    cards.lay(UID)
    assert watched.event() == CardEvent("card", READERS[0], uid=UID)


@pytest.mark.reader
def test_service_started_before_pcscd_finds_the_readers_later(pcscd, cards):
    pcscd.stop()
    watched = Watched()
    try:
        assert watched.service.status.service == "unavailable"
        pcscd.start()
        watched.status_until(lambda status: status.readers == READERS)
        cards.lay(OTHER)
        assert watched.event() == CardEvent("card", READERS[0], uid=OTHER)
    finally:
        watched.service.stop()


@pytest.mark.parametrize(
    "text, uid",
    [("04a1b2c3", "04A1B2C3"), ("04:A1:B2:C3:D4:E5:F6", UID), (" 04 a1 b2 c3 ", "04A1B2C3")],
)
def test_uids_are_normalised(text, uid):
    assert normalise_uid(text) == uid


@pytest.mark.parametrize("text", ["", "04A1B2", "XYZ12345", "04A1B2C3D", None, 42, "0" * 100])
def test_bad_uids_are_refused(text):
    with pytest.raises(CornerError) as refused:
        normalise_uid(text)
    assert refused.value.code == "card_invalid"
