"""A test harness for NFC card tests on the real PC/SC stack: pcscd + vpcd + pyscard, no hardware.

* ``PcscDaemon`` runs ``/usr/sbin/pcscd --foreground`` as a child of the test run, waits until
  pyscard lists the two vpcd readers, stops it with SIGTERM and reaps it. It refuses loudly
  (``PcscHarnessError``) when pcscd or the vpcd driver is missing, and clears what an earlier
  run left behind: a stale pid file or socket, or a pcscd this harness started from a test run
  that has since died. Any other pcscd (systemd's, a developer's, a parallel test run's) is
  reported, never killed.
* ``VirtualCard`` is a contactless card speaking vpcd's socket protocol: connecting to vpcd's
  port lays the card on the reader, closing the socket takes it away.
* ``wait_reader_state`` waits until pcscd reports a reader's card present or absent.
* ``Cards`` lays cards for one test and takes them all away afterwards.
* ``running_pcscd`` and ``cards_on_readers`` are generator bodies for fixtures::

      @pytest.fixture(scope="session")
      def pcscd():
          yield from running_pcscd()

      @pytest.fixture
      def cards(pcscd):
          yield from cards_on_readers(pcscd)

One pcscd per machine (fixed socket /run/pcscd/pcscd.comm, fixed TCP ports 35963/35964): reader
tests must run serially, never under pytest-xdist.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from smartcard import scard

PCSCD = Path("/usr/sbin/pcscd")
READER_CONF_DIR = Path("/etc/reader.conf.d")
VPCD_DRIVER = "libifdvpcd.so"
RUN_DIR = Path("/run/pcscd")
SOCKET_FILE = RUN_DIR / "pcscd.comm"
PID_FILE = RUN_DIR / "pcscd.pid"

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")  # on VPCD_PORT and VPCD_PORT + 1

# Marks a pcscd started by this harness: "<owner pid>:<owner start time>", read back from
# /proc/PID/environ to tell a stale pcscd of a dead test run from one that is in use.
OWNER_ENV = "EXCHANGE_CORNER_PCSC_HARNESS"

GET_UID = bytes.fromhex("FFCA000000")
SW_OK = b"\x90\x00"
SW_READ_FAILED = b"\x63\x00"  # "no information given": the reader could not read the card
SW_WRONG_P1P2 = b"\x6a\x81"  # function not supported
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_END_OF_DATA = b"\x62\x82"  # Le was longer than the UID


def storage_card_atr(standard: int = 0x03, card_name: int = 0x0003) -> bytes:
    """The ATR a PC/SC reader builds for a contactless storage card (PC/SC part 3, 3.1.3.2.3).

    ``standard`` 0x03 is ISO 14443 A part 3; ``card_name`` 0x0001 MIFARE Classic 1K, 0x0003
    MIFARE Ultralight (and NTAG 21x on many readers).
    """
    historical = bytes([0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, standard])
    historical += card_name.to_bytes(2, "big") + bytes(4)
    body = bytes([0x8F, 0x80, 0x01]) + historical  # T0: 15 historical bytes; TD1, TD2
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


ATR_MIFARE_ULTRALIGHT = storage_card_atr()  # 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 ... 68


class PcscHarnessError(RuntimeError):
    """The PC/SC test setup is broken or missing: tests must fail, never skip."""


def hresult_text(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


def same_hresult(a: int, b: int) -> bool:
    """pyscard reports some hresults signed and some unsigned."""
    return (a & 0xFFFFFFFF) == (b & 0xFFFFFFFF)


class PcscServiceError(PcscHarnessError):
    def __init__(self, what: str, hresult: int) -> None:
        super().__init__(f"{what}: {hresult_text(hresult)}")
        self.hresult = hresult


# --------------------------------------------------------------------------- pyscard helpers


def list_readers() -> list[str]:
    """The reader names pcscd reports now; PcscServiceError (NO_SERVICE...) if it is not up."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if not same_hresult(hresult, scard.SCARD_S_SUCCESS):
        raise PcscServiceError("SCardEstablishContext", hresult)
    try:
        hresult, readers = scard.SCardListReaders(context, [])
        if same_hresult(hresult, scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        if not same_hresult(hresult, scard.SCARD_S_SUCCESS):
            raise PcscServiceError("SCardListReaders", hresult)
        return list(readers)
    finally:
        scard.SCardReleaseContext(context)


def _describe_state(state: int) -> str:
    names = [
        name[len("SCARD_STATE_") :]
        for name in (
            "SCARD_STATE_IGNORE",
            "SCARD_STATE_CHANGED",
            "SCARD_STATE_UNKNOWN",
            "SCARD_STATE_UNAVAILABLE",
            "SCARD_STATE_EMPTY",
            "SCARD_STATE_PRESENT",
            "SCARD_STATE_ATRMATCH",
            "SCARD_STATE_EXCLUSIVE",
            "SCARD_STATE_INUSE",
            "SCARD_STATE_MUTE",
        )
        if state & getattr(scard, name)
    ]
    return "|".join(names) or "UNAWARE"


def wait_reader_state(reader: str, present: bool, timeout: float = 5.0) -> float:
    """Wait until pcscd reports a (non-mute) card in ``reader`` or the reader empty.

    Returns the seconds waited (≈ 0 when the reader was already in that state). Raises
    TimeoutError, or PcscServiceError when pcscd is down or does not know the reader.
    """
    started = time.monotonic()
    deadline = started + timeout
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if not same_hresult(hresult, scard.SCARD_S_SUCCESS):
        raise PcscServiceError("SCardEstablishContext", hresult)
    try:
        known = scard.SCARD_STATE_UNAWARE
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            hresult, states = scard.SCardGetStatusChange(context, remaining_ms, [(reader, known)])
            if same_hresult(hresult, scard.SCARD_E_TIMEOUT):
                raise TimeoutError(
                    f"{reader!r} still {_describe_state(known)} after {timeout} s; "
                    f"wanted {'a card present' if present else 'empty'}"
                )
            if not same_hresult(hresult, scard.SCARD_S_SUCCESS):
                raise PcscServiceError(f"SCardGetStatusChange({reader!r})", hresult)
            _name, event_state, _atr = states[0]
            if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                raise PcscServiceError(f"no reader {reader!r}", scard.SCARD_E_UNKNOWN_READER)
            card_there = bool(event_state & scard.SCARD_STATE_PRESENT) and not (
                event_state & scard.SCARD_STATE_MUTE
            )
            if present and card_there:
                return time.monotonic() - started
            if not present and event_state & scard.SCARD_STATE_EMPTY:
                return time.monotonic() - started
            known = event_state & ~scard.SCARD_STATE_CHANGED
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{reader!r} still {_describe_state(known)} after {timeout} s; "
                    f"wanted {'a card present' if present else 'empty'}"
                )
    finally:
        scard.SCardReleaseContext(context)


# --------------------------------------------------------------------------- processes in /proc


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # gone, or not ours to read
        return None


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state letter, parent pid, start time in clock ticks) of a process, None if it is gone."""
    raw = _read(Path(f"/proc/{pid}/stat"))
    if raw is None:
        return None
    fields = raw.rsplit(b")", 1)[1].split()
    return fields[0].decode(), int(fields[1]), int(fields[19])


def _owner_token(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    stat = _stat(pid)
    return f"{pid}:{stat[2] if stat else 0}"


def _owner_alive(token: str) -> bool:
    pid_text, _, start = token.partition(":")
    try:
        return _owner_token(int(pid_text)) == token
    except ValueError:
        return False


def _is_pcscd(pid: int) -> bool:
    return (_read(Path(f"/proc/{pid}/comm")) or b"").strip() == b"pcscd"


def _pcscd_pids() -> list[int]:
    return [
        int(entry) for entry in os.listdir("/proc") if entry.isdigit() and _is_pcscd(int(entry))
    ]


def _harness_owner(pid: int) -> str | None:
    environ = _read(Path(f"/proc/{pid}/environ")) or b""
    for entry in environ.split(b"\0"):
        if entry.startswith(OWNER_ENV.encode() + b"="):
            return entry.split(b"=", 1)[1].decode()
    return None


def _describe_process(pid: int) -> str:
    cmdline = (_read(Path(f"/proc/{pid}/cmdline")) or b"").replace(b"\0", b" ").strip()
    stat = _stat(pid)
    parent = f", parent pid {stat[1]}" if stat else ""
    return f"pid {pid} ({cmdline.decode(errors='replace') or '?'}{parent})"


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until a process has exited (gone, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = _stat(pid)
        if stat is None or stat[0] in "ZX":
            if stat is not None and stat[1] == os.getpid():
                os.waitpid(pid, os.WNOHANG)  # our own child: reap it
            return True
        time.sleep(0.02)
    return False


def clear_stale_pcscd(timeout: float = 10.0) -> list[str]:
    """Make way for a new pcscd, or raise PcscHarnessError saying what is in the way.

    Stops a pcscd only when this harness started it for a test run that has died; removes the
    pid file and socket only when no live pcscd owns them. Returns notes on what it cleared.
    """
    notes: list[str] = []
    for pid in _pcscd_pids():
        stat = _stat(pid)
        if stat is None:
            continue
        state, parent, _start = stat
        if state in "ZX":  # exited; holds no socket. Reap it if it is our child.
            if parent == os.getpid():
                os.waitpid(pid, os.WNOHANG)
                notes.append(f"reaped an exited pcscd child (pid {pid})")
            continue
        owner = _harness_owner(pid)
        if owner is None:
            raise PcscHarnessError(
                f"another pcscd is running, not started by this harness: {_describe_process(pid)}."
                " Reader tests need their own pcscd (one per machine). Stop it first, e.g."
                " `systemctl stop pcscd.socket pcscd.service` or `kill "
                f"{pid}`."
            )
        if _owner_alive(owner):
            who = "this test process" if owner == _owner_token() else f"test run pid {owner}"
            raise PcscHarnessError(
                f"a pcscd started by {who} is still running ({_describe_process(pid)}): only one"
                " pcscd per machine, run reader tests serially (no pytest-xdist) and stop the"
                " first PcscDaemon before starting another."
            )
        os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, timeout)
        notes.append(f"stopped a stale pcscd (pid {pid}) left by dead test run {owner}")

    if PID_FILE.exists():
        try:
            old = int(PID_FILE.read_text().strip() or "0")
        except (OSError, ValueError):
            old = 0
        stat = _stat(old) if old > 0 else None
        if stat is not None and stat[0] not in "ZX" and _is_pcscd(old):
            raise PcscHarnessError(f"{PID_FILE} names a running pcscd: {_describe_process(old)}")
        PID_FILE.unlink(missing_ok=True)
        notes.append(f"removed stale {PID_FILE} (pid {old} is not a running pcscd)")
    if SOCKET_FILE.exists():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(SOCKET_FILE))
        except OSError as error:
            if error.errno not in (errno.ECONNREFUSED, errno.ENOENT):
                raise PcscHarnessError(f"cannot probe {SOCKET_FILE}: {error}") from error
            SOCKET_FILE.unlink(missing_ok=True)
            notes.append(f"removed stale socket {SOCKET_FILE} (nobody listening)")
        else:
            raise PcscHarnessError(
                f"something listens on {SOCKET_FILE} but no pcscd process is visible (systemd's"
                " pcscd.socket?): `systemctl stop pcscd.socket pcscd.service` first."
            )
        finally:
            probe.close()
    return notes


def check_prerequisites(pcscd: Path = PCSCD, config_dir: Path = READER_CONF_DIR) -> Path:
    """Raise PcscHarnessError unless pcscd and a vpcd reader configuration are installed.

    Returns the vpcd driver library named by the configuration.
    """
    install = "install them: apt-get install pcscd vsmartcard-vpcd"
    if not (pcscd.is_file() and os.access(pcscd, os.X_OK)):
        raise PcscHarnessError(f"pcscd is missing: no executable {pcscd}; {install}")
    for conf in sorted(config_dir.glob("*")) if config_dir.is_dir() else []:
        text = _read(conf) or b""
        for line in text.decode(errors="replace").splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "LIBPATH" and VPCD_DRIVER in value:
                driver = Path(value.strip())
                if not driver.is_file():
                    raise PcscHarnessError(
                        f"the vpcd driver is missing: {conf} names {driver}, which does not"
                        f" exist; {install}"
                    )
                return driver
    raise PcscHarnessError(
        f"the vpcd driver is missing: no reader configuration in {config_dir} loads"
        f" {VPCD_DRIVER}; {install}"
    )


# --------------------------------------------------------------------------- the daemon

_started: set[PcscDaemon] = set()


@atexit.register
def _stop_leftovers() -> None:
    for daemon in list(_started):
        daemon.stop()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: a SIGKILLed test run takes pcscd along


_libc = ctypes.CDLL(None, use_errno=True)


class PcscDaemon:
    """pcscd as a child process of the test run.

    ``start()`` returns the seconds from spawn until pyscard lists all ``readers``; ``stop()``
    sends SIGTERM and reaps it; ``restart()`` does both. Use as a context manager or through
    ``running_pcscd()``. ``log_text()`` holds pcscd's own output (add ``debug=True`` for APDUs).
    The death signal is tied to the thread that calls ``start()``: start it from the main thread.
    """

    def __init__(
        self,
        *,
        pcscd: Path = PCSCD,
        config_dir: Path = READER_CONF_DIR,
        readers: tuple[str, ...] = READERS,
        start_timeout: float = 10.0,
        debug: bool = False,
    ) -> None:
        self.pcscd = Path(pcscd)
        self.config_dir = Path(config_dir)
        self.readers = readers
        self.start_timeout = start_timeout
        self.debug = debug
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None
        self.notes: list[str] = []  # what clear_stale_pcscd cleaned up before a start
        self._log: IO[bytes] | None = None  # pcscd's output, from the first start to close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log_text(self) -> str:
        if self._log is None:
            return ""
        # pread: pcscd shares this file's offset, so seeking to read would garble its output
        size = os.fstat(self._log.fileno()).st_size
        return os.pread(self._log.fileno(), size, 0).decode(errors="replace")

    def _fail(self, message: str) -> PcscHarnessError:
        tail = "\n".join(self.log_text().splitlines()[-30:])
        self.close()
        return PcscHarnessError(f"{message}\n--- pcscd log (last lines) ---\n{tail}")

    def start(self) -> float:
        if self.process is not None:
            if self.running:
                raise PcscHarnessError(f"pcscd (pid {self.process.pid}) is already running")
            self._reap()
        check_prerequisites(self.pcscd, self.config_dir)
        self.notes = clear_stale_pcscd()
        command = [str(self.pcscd), "--foreground"]
        if self.config_dir != READER_CONF_DIR:
            command += ["--config", str(self.config_dir)]
        if self.debug:
            command += ["--debug", "--apdu"]
        if self._log is None:
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, OWNER_ENV: _owner_token()},
            start_new_session=True,  # a Ctrl-C reaches pytest, whose teardown then stops pcscd
            preexec_fn=_die_with_parent,
        )
        _started.add(self)
        seen: list[str] | str = "pcscd not answering yet"
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self._reap()
                raise self._fail(f"pcscd exited at start with status {code}")
            try:
                seen = list_readers()
            except PcscServiceError as error:
                seen = str(error)
            if isinstance(seen, list) and all(name in seen for name in self.readers):
                self.start_seconds = time.monotonic() - started
                return self.start_seconds
            if time.monotonic() - started > self.start_timeout:
                raise self._fail(
                    f"pcscd did not list {list(self.readers)} within {self.start_timeout} s"
                    f" (last seen: {seen})"
                )
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, reap; SIGKILL if it hangs. Returns the exit status (None: not running)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                clear_stale_pcscd()  # a killed pcscd leaves its pid file and socket
        return self._reap()

    def _reap(self) -> int | None:
        process, self.process = self.process, None
        _started.discard(self)
        return process.wait() if process else None

    def restart(self) -> float:
        self.stop()
        return self.start()

    def ensure_running(self) -> None:
        """Start pcscd again if a test stopped it (or it died) and did not restart it."""
        if not self.running:
            self.start()

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> PcscDaemon:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- the card


def _uid_bytes(uid: bytes | str) -> bytes:
    if isinstance(uid, str):
        uid = bytes.fromhex(uid.replace(":", "").replace(" ", "").replace("-", ""))
    if len(uid) not in (4, 7, 8, 10):
        raise ValueError(f"a card UID has 4, 7, 8 or 10 bytes, not {len(uid)}: {uid.hex()}")
    return bytes(uid)


def reader_for_port(port: int) -> str:
    index = port - VPCD_PORT
    if not 0 <= index < len(READERS):
        raise ValueError(f"no vpcd reader on port {port}: pass reader= explicitly")
    return READERS[index]


class VirtualCard:
    """A contactless card on a vpcd reader, played by a socket client in a daemon thread.

    ``insert()`` lays it on the reader (connects to vpcd), ``remove()`` takes it away. By default
    both wait until pcscd reports the change, so the next step sees a settled reader (laying a
    card before pcscd has seen the last one leave makes connect fail with "card is unpowered").
    It answers ``FF CA 00 00 00`` with its UID + 90 00, or 63 00 while ``fail_uid_read`` is set;
    ``handler(apdu)`` may answer other APDUs first (return None to fall through); any other APDU
    gets 6A 81 (FF CA with other P1/P2) or 6D 00. ``apdus`` records every APDU received.
    """

    _occupied: set[int] = set()
    _occupied_lock = threading.Lock()

    def __init__(
        self,
        uid: bytes | str,
        port: int = VPCD_PORT,
        *,
        atr: bytes = ATR_MIFARE_ULTRALIGHT,
        fail_uid_read: bool = False,
        handler: Callable[[bytes], bytes | None] | None = None,
        host: str = VPCD_HOST,
        reader: str | None = None,
    ) -> None:
        self.uid = _uid_bytes(uid)
        self.port = port
        self.host = host
        self.atr = bytes(atr)
        self.fail_uid_read = fail_uid_read
        self.handler = handler
        self.reader = reader if reader is not None else reader_for_port(port)
        self.apdus: list[bytes] = []
        self.powered = False
        self.reader_gone = False  # vpcd closed the connection (pcscd stopped)
        self.error: BaseException | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"VirtualCard({self.uid.hex().upper()}, port={self.port})"

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self, *, wait: bool = True, timeout: float = 5.0) -> VirtualCard:
        if self._sock is not None:
            raise PcscHarnessError(f"{self!r} is already on the reader")
        with self._occupied_lock:
            if self.port in self._occupied:
                raise PcscHarnessError(f"another card is already on the reader at port {self.port}")
            self._occupied.add(self.port)
        try:
            if wait:  # the last card must be seen gone, or this one stays "unpowered"
                wait_reader_state(self.reader, present=False, timeout=timeout)
            try:
                sock = socket.create_connection((self.host, self.port), timeout=timeout)
            except OSError as error:
                raise PcscHarnessError(
                    f"cannot lay {self!r}: nothing listens on {self.host}:{self.port} ({error});"
                    " is pcscd with the vpcd driver running?"
                ) from error
        except BaseException:
            with self._occupied_lock:
                self._occupied.discard(self.port)
            raise
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.reader_gone = False
        self.error = None
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"{self!r}", daemon=True
        )
        self._thread.start()
        if wait:
            try:
                wait_reader_state(self.reader, present=True, timeout=timeout)
            except BaseException:
                self.remove(wait=False)
                raise
        return self

    def remove(self, *, wait: bool = True, timeout: float = 5.0) -> None:
        sock, thread = self._sock, self._thread
        if sock is None:
            return
        self._sock = self._thread = None
        try:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # vpcd already closed it
                pass
            if thread is not None:
                thread.join(timeout)
            sock.close()
        finally:
            with self._occupied_lock:
                self._occupied.discard(self.port)
        self.powered = False
        if self.error is not None:
            raise PcscHarnessError(f"{self!r} failed while on the reader") from self.error
        if wait and not self.reader_gone:
            wait_reader_state(self.reader, present=False, timeout=timeout)

    def __enter__(self) -> VirtualCard:
        return self.insert()

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    # ---- the reply loop (card side of vpcd's protocol)

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = self._recv_exact(sock, 2)
                if header is None:
                    break
                (length,) = struct.unpack(">H", header)
                message = self._recv_exact(sock, length)
                if message is None:
                    break
                reply = self._answer(message)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            if self._sock is sock:  # not our own shutdown in remove(): vpcd dropped us
                self.reader_gone = True
        except Exception as error:  # a bug in a handler: surfaced by remove()
            self.error = error
        else:
            if self._sock is sock:
                self.reader_gone = True

    @staticmethod
    def _recv_exact(sock: socket.socket, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            # vpcd sends length and payload in two writes without TCP_NODELAY; without quick
            # ACKs every message waits ≈ 40 ms for the delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _answer(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            control = message[0]
            if control == 0x00:
                self.powered = False
            elif control in (0x01, 0x02):
                self.powered = True
            elif control == 0x04:
                return self.atr
            return None
        self.apdus.append(message)
        if self.handler is not None:
            reply = self.handler(message)
            if reply is not None:
                return reply
        return self.respond(message)

    def respond(self, apdu: bytes) -> bytes:
        """This card's answer (data + SW1 SW2) to one APDU."""
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[:4]
        if cla != 0xFF or ins != 0xCA:
            return SW_INS_NOT_SUPPORTED
        if (p1, p2) != (0x00, 0x00):
            return SW_WRONG_P1P2
        if self.fail_uid_read:
            return SW_READ_FAILED
        le = apdu[4] if len(apdu) > 4 else 0
        if le == 0 or le == len(self.uid):
            return self.uid + SW_OK
        if le < len(self.uid):
            return bytes([0x6C, len(self.uid)])
        return self.uid + SW_END_OF_DATA


# --------------------------------------------------------------------------- per-test cards


class Cards:
    """The cards laid during one test; ``take_all()`` (or leaving the ``with``) removes them."""

    def __init__(self) -> None:
        self.laid: list[VirtualCard] = []

    def lay(
        self, uid: bytes | str, reader: int = 0, *, wait: bool = True, **options
    ) -> VirtualCard:
        """Lay a VirtualCard on reader 0 or 1 (``options`` go to VirtualCard)."""
        card = VirtualCard(uid, VPCD_PORT + reader, **options)
        card.insert(wait=wait)
        self.laid.append(card)
        return card

    def take_all(self, wait: bool = True) -> None:
        errors: list[BaseException] = []
        while self.laid:
            card = self.laid.pop()
            try:
                card.remove(wait=wait)
            except (PcscHarnessError, TimeoutError) as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def __enter__(self) -> Cards:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.take_all()


# --------------------------------------------------------------------------- fixture bodies


def running_pcscd(**options) -> Iterator[PcscDaemon]:
    """Body of a session/module fixture: ``yield from running_pcscd()``."""
    daemon = PcscDaemon(**options)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.close()


def cards_on_readers(daemon: PcscDaemon, timeout: float = 5.0) -> Iterator[Cards]:
    """Body of a per-test fixture: pcscd up, readers empty, every card removed afterwards."""
    daemon.ensure_running()
    for reader in daemon.readers:
        wait_reader_state(reader, present=False, timeout=timeout)
    with Cards() as cards:
        yield cards
