"""The PC/SC test harness (tests/pcsc.py) proved on the real stack: pcscd, vpcd and pyscard.

These tests start their own pcscd (one per machine): run them serially. A missing pcscd or vpcd
driver makes them fail, never skip.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import time

import pytest
from smartcard import scard
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.System import readers as pyscard_readers

from tests.pcsc import (
    ATR_MIFARE_ULTRALIGHT,
    GET_UID,
    OWNER_ENV,
    PCSCD,
    PID_FILE,
    READERS,
    RUN_DIR,
    SOCKET_FILE,
    Cards,
    PcscDaemon,
    PcscHarnessError,
    VirtualCard,
    list_readers,
    same_hresult,
    wait_reader_state,
)

pytestmark = pytest.mark.reader

UID = "04A1B2C3D4E5F6"  # 7-byte UID, as on NTAG 21x / MIFARE Ultralight
OTHER_UID = "08123456"  # 4-byte random UID


# The fixtures pcscd (one per module) and cards (a clean set of readers per test) are in
# tests/conftest.py.


# ---- plain pyscard (low level), as the app's reader service uses it


class Context:
    def __init__(self) -> None:
        hresult, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert same_hresult(hresult, scard.SCARD_S_SUCCESS), scard.SCardGetErrorMessage(hresult)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc_info: object) -> None:
        scard.SCardReleaseContext(self.handle)

    def state(self, reader: str) -> tuple[int, bytes]:
        hresult, states = scard.SCardGetStatusChange(
            self.handle, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
        )
        assert same_hresult(hresult, scard.SCARD_S_SUCCESS), scard.SCardGetErrorMessage(hresult)
        return states[0][1], bytes(states[0][2])

    def connect(self, reader: str) -> tuple[int, int]:
        """(hresult, card handle)."""
        hresult, card, _protocol = scard.SCardConnect(
            self.handle,
            reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        return hresult, card

    def transmit(self, reader: str, apdu: bytes) -> bytes:
        hresult, card = self.connect(reader)
        assert same_hresult(hresult, scard.SCARD_S_SUCCESS), scard.SCardGetErrorMessage(hresult)
        try:
            hresult, response = scard.SCardTransmit(card, scard.SCARD_PCI_T1, list(apdu))
            assert same_hresult(hresult, scard.SCARD_S_SUCCESS), scard.SCardGetErrorMessage(hresult)
            return bytes(response)
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


def transmit(reader: str, apdu: bytes) -> bytes:
    with Context() as context:
        return context.transmit(reader, apdu)


def no_service() -> int:
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if same_hresult(hresult, scard.SCARD_S_SUCCESS):
        scard.SCardReleaseContext(context)
    return hresult


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# ---- the harness itself


def test_the_default_atr_is_the_pc_sc_part_3_ultralight_atr():
    assert ATR_MIFARE_ULTRALIGHT == bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")


def test_readers_are_listed(pcscd):
    assert pcscd.running and pcscd.start_seconds is not None
    assert set(READERS) <= set(list_readers())
    assert set(READERS) <= {str(reader) for reader in pyscard_readers()}


def test_laid_card_is_present_and_gives_its_uid(cards):
    card = cards.lay(UID)
    assert wait_reader_state(READERS[0], present=True, timeout=0.5) < 0.1  # already present
    with Context() as context:
        state, atr = context.state(READERS[0])
        assert state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE
        assert atr == ATR_MIFARE_ULTRALIGHT
        assert context.transmit(READERS[0], GET_UID) == bytes.fromhex(UID) + b"\x90\x00"
    assert card.powered
    assert card.apdus == [GET_UID]

    # the high-level pyscard API sees the same card
    reader = next(r for r in pyscard_readers() if str(r) == READERS[0])
    connection = reader.createConnection()
    connection.connect()
    try:
        assert bytes(connection.getATR()) == ATR_MIFARE_ULTRALIGHT
        data, sw1, sw2 = connection.transmit(list(GET_UID))
    finally:
        connection.disconnect()
        connection.release()
    assert (bytes(data), sw1, sw2) == (bytes.fromhex(UID), 0x90, 0x00)


def test_removed_card_leaves_the_reader_empty(cards):
    card = cards.lay(UID)
    card.remove()  # waits until pcscd reports the reader empty
    with Context() as context:
        state, _atr = context.state(READERS[0])
        assert state & scard.SCARD_STATE_EMPTY
        hresult, _card = context.connect(READERS[0])
        assert same_hresult(hresult, scard.SCARD_E_NO_SMARTCARD), scard.SCardGetErrorMessage(
            hresult
        )
    # the next card on the same reader is read normally
    cards.lay(OTHER_UID)
    assert transmit(READERS[0], GET_UID) == bytes.fromhex(OTHER_UID) + b"\x90\x00"


def test_a_second_card_on_the_second_reader(cards):
    first = cards.lay(UID)
    cards.lay(OTHER_UID, reader=1)
    assert transmit(READERS[0], GET_UID) == bytes.fromhex(UID) + b"\x90\x00"
    assert transmit(READERS[1], GET_UID) == bytes.fromhex(OTHER_UID) + b"\x90\x00"
    first.remove()
    with Context() as context:
        assert context.state(READERS[0])[0] & scard.SCARD_STATE_EMPTY
        assert context.state(READERS[1])[0] & scard.SCARD_STATE_PRESENT


def test_a_card_whose_uid_cannot_be_read_answers_63_00(cards):
    card = cards.lay(UID, fail_uid_read=True)
    assert transmit(READERS[0], GET_UID) == b"\x63\x00"
    card.fail_uid_read = False  # can change while the card is laid
    assert transmit(READERS[0], GET_UID) == bytes.fromhex(UID) + b"\x90\x00"


def test_other_apdus_are_refused(cards):
    cards.lay(UID, handler=lambda apdu: b"\x01\x02\x90\x00" if apdu[:2] == b"\xff\xb0" else None)
    assert transmit(READERS[0], bytes.fromhex("FFCA010000")) == b"\x6a\x81"
    assert transmit(READERS[0], bytes.fromhex("00A4040007D276000085010100")) == b"\x6d\x00"
    assert transmit(READERS[0], bytes.fromhex("FFCA000004")) == b"\x6c\x07"
    assert transmit(READERS[0], bytes.fromhex("FFB0000402")) == b"\x01\x02\x90\x00"  # handler


def test_waiting_for_a_reader_fails_clearly(cards):
    with pytest.raises(PcscHarnessError, match="Unknown reader"):
        wait_reader_state("No Such Reader 00 00", present=True, timeout=1)
    with pytest.raises(TimeoutError, match="still EMPTY"):
        wait_reader_state(READERS[1], present=True, timeout=0.2)


def test_two_cards_on_one_reader_are_refused(cards):
    cards.lay(UID)
    with pytest.raises(PcscHarnessError, match="already on the reader"):
        VirtualCard(OTHER_UID).insert()


def test_context_manager_card(pcscd, cards):
    with VirtualCard(UID, port=35964) as card:
        assert card.reader == READERS[1]
        assert transmit(READERS[1], GET_UID) == bytes.fromhex(UID) + b"\x90\x00"
    assert not card.inserted
    with Context() as context:
        assert context.state(READERS[1])[0] & scard.SCARD_STATE_EMPTY


def test_stopped_pcscd_means_no_service_and_restart_brings_readers_back(pcscd, cards):
    card = cards.lay(UID)
    stale = Context()  # established before the stop
    try:
        assert pcscd.stop() == 0  # SIGTERM, waited for, reaped
        assert not pcscd.running and not SOCKET_FILE.exists() and not PID_FILE.exists()
        assert same_hresult(no_service(), scard.SCARD_E_NO_SERVICE)
        with pytest.raises(BaseSCardException) as refused:  # not a SmartcardException
            pyscard_readers()
        assert same_hresult(refused.value.hresult, scard.SCARD_E_NO_SERVICE)
        wait_until(lambda: card.reader_gone)  # vpcd dropped the card's connection

        assert pcscd.restart() < 5
        assert set(READERS) <= {str(reader) for reader in pyscard_readers()}
        # a context from before the restart stays dead: the app must establish a new one
        hresult, _readers = scard.SCardListReaders(stale.handle, [])
        assert not same_hresult(hresult, scard.SCARD_S_SUCCESS)
    finally:
        scard.SCardReleaseContext(stale.handle)
        pcscd.ensure_running()
    card.remove()  # already gone from vpcd's side: no error, no wait
    cards.lay(OTHER_UID)
    assert transmit(READERS[0], GET_UID) == bytes.fromhex(OTHER_UID) + b"\x90\x00"


def test_a_killed_pcscd_is_reaped_and_started_again(pcscd):
    os.kill(pcscd.pid, signal.SIGKILL)
    wait_until(lambda: not pcscd.running)
    assert PID_FILE.exists()  # a killed pcscd leaves its pid file and socket behind
    pcscd.ensure_running()
    assert set(READERS) <= set(list_readers())


def test_stale_pid_file_and_socket_are_cleared(pcscd):
    pcscd.stop()
    try:
        RUN_DIR.mkdir(exist_ok=True)
        PID_FILE.write_text("1\n")  # a live process that is not pcscd: pcscd alone would refuse
        leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        leftover.bind(str(SOCKET_FILE))  # a socket file nobody listens on
        leftover.close()
        pcscd.start()
        assert any("pcscd.pid" in note for note in pcscd.notes), pcscd.notes
        assert any("stale socket" in note for note in pcscd.notes), pcscd.notes
        assert set(READERS) <= set(list_readers())
    finally:
        pcscd.ensure_running()


def test_a_stale_pcscd_of_a_dead_test_run_is_stopped(pcscd):
    pcscd.stop()
    orphan = subprocess.Popen(
        [str(PCSCD), "--foreground"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, OWNER_ENV: "999999999:1"},  # an owner pid that cannot exist
    )
    try:
        wait_until(lambda: set(READERS) <= set(_readers_or_none() or []))
        pcscd.start()
        assert any(f"pid {orphan.pid}" in note for note in pcscd.notes), pcscd.notes
        assert orphan.wait(5) is not None
    finally:
        if orphan.poll() is None:
            orphan.kill()
        orphan.wait()
        pcscd.ensure_running()


def test_a_foreign_pcscd_is_reported_not_killed(pcscd):
    pcscd.stop()
    env = {key: value for key, value in os.environ.items() if key != OWNER_ENV}
    foreign = subprocess.Popen(
        [str(PCSCD), "--foreground"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_until(lambda: set(READERS) <= set(_readers_or_none() or []))
        with pytest.raises(
            PcscHarnessError, match=f"not started by this harness.*pid {foreign.pid}"
        ):
            pcscd.start()
        assert foreign.poll() is None
    finally:
        foreign.terminate()
        foreign.wait(10)
        pcscd.ensure_running()


def test_a_second_harness_pcscd_is_refused(pcscd):
    with pytest.raises(PcscHarnessError, match="started by this test process is still running"):
        with PcscDaemon():
            pass
    assert pcscd.running


def test_missing_pcscd_fails_loudly(tmp_path):
    with pytest.raises(PcscHarnessError, match="pcscd is missing"):
        PcscDaemon(pcscd=tmp_path / "pcscd").start()


def test_missing_vpcd_driver_fails_loudly(tmp_path):
    with pytest.raises(PcscHarnessError, match="vpcd driver is missing.*loads libifdvpcd"):
        PcscDaemon(config_dir=tmp_path).start()
    (tmp_path / "vpcd").write_text(
        'FRIENDLYNAME "Virtual PCD"\nLIBPATH /nonexistent/libifdvpcd.so\nCHANNELID 0x8C7B\n'
    )
    with pytest.raises(PcscHarnessError, match="vpcd driver is missing.*/nonexistent"):
        PcscDaemon(config_dir=tmp_path).start()


def test_virtual_card_speaks_vpcd_protocol():
    """The card side of the protocol against a stand-in vpcd: only ATR requests get replies."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        card = VirtualCard(UID, port=port, reader="stand-in").insert(wait=False)
        vpcd, _address = server.accept()
        with vpcd:
            vpcd.settimeout(5)

            def ask(message: bytes) -> None:
                vpcd.sendall(struct.pack(">H", len(message)) + message)

            def answer() -> bytes:
                (length,) = struct.unpack(">H", vpcd.recv(2, socket.MSG_WAITALL))
                return vpcd.recv(length, socket.MSG_WAITALL)

            for control in (b"\x01", b"\x02", b"\x00"):  # power on, reset, power off: no reply
                ask(control)
            ask(b"\x04")
            assert answer() == ATR_MIFARE_ULTRALIGHT  # the first reply is the ATR's
            assert not card.powered
            ask(b"\x01")
            ask(GET_UID)
            assert answer() == bytes.fromhex(UID) + b"\x90\x00"
            assert card.powered
            card.remove(wait=False)
            assert vpcd.recv(1) == b""  # taken away: vpcd sees the connection close


# ---- measurements (printed; see with -s or -rP)


def test_timings(pcscd, cards, capsys):
    starts = [pcscd.restart() for _ in range(3)]

    # pcscd polls vpcd every 400 ms, so a card laid right after pcscd saw the last one leave
    # waits a full period. Lay cards at a random phase of the poll, as a person would.
    phases = random.Random(20260527)
    to_present, to_empty = [], []
    for index in range(10):
        card = VirtualCard(UID if index % 2 else OTHER_UID)
        wait_reader_state(card.reader, present=False)
        time.sleep(phases.uniform(0, 0.4))
        began = time.monotonic()
        card.insert(wait=False)
        wait_reader_state(card.reader, present=True)
        to_present.append(time.monotonic() - began)
        began = time.monotonic()
        card.remove(wait=False)
        wait_reader_state(card.reader, present=False)
        to_empty.append(time.monotonic() - began)

    card = cards.lay(UID)
    with Context() as context:
        hresult, handle = context.connect(READERS[0])
        assert same_hresult(hresult, scard.SCARD_S_SUCCESS)
        round_trips = []
        for _ in range(20):
            began = time.monotonic()
            hresult, response = scard.SCardTransmit(handle, scard.SCARD_PCI_T1, list(GET_UID))
            round_trips.append(time.monotonic() - began)
            assert bytes(response) == bytes.fromhex(UID) + b"\x90\x00"
        scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)

    def ms(values: list[float]) -> str:
        return (
            f"median {statistics.median(values) * 1000:.1f} ms, "
            f"min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f}"
        )

    with capsys.disabled():
        print(f"\npcscd start → readers listed: {ms(starts)}")
        print(f"insert → present (10, random phase): {ms(to_present)}")
        print(f"remove → empty (10, right after present): {ms(to_empty)}")
        print(f"FF CA round trip (20): {ms(round_trips)}")
    assert max(starts) < 5
    assert statistics.median(to_present) < 1.0 and max(to_present) < 2.0
    assert statistics.median(round_trips) < 0.02  # ≈ 40 ms each without TCP_QUICKACK


def _readers_or_none() -> list[str] | None:
    try:
        return list_readers()
    except PcscHarnessError:
        return None


def test_cards_helper_takes_every_card_away(pcscd):
    with Cards() as laid:
        laid.lay(UID)
        laid.lay(OTHER_UID, reader=1)
    with Context() as context:
        assert all(context.state(reader)[0] & scard.SCARD_STATE_EMPTY for reader in READERS)
