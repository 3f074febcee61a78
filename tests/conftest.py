"""Fixtures: a fresh instance folder per test, its database, a Flask client, a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from corner.app import create_app
from points.clock import FrozenClock, set_clock, system_now
from points.db import connect
from points.passwords import TEST_COST, set_hash_cost
from tests.admin_support import admin_app, logged_in, make_staff
from tests.pcsc import cards_on_readers, running_pcscd
from web.instance import init_instance

# Staff passwords hash at a test cost in this process, for the whole session: a test that makes
# staff need not spend 0.1 s a hash. Subprocesses (corner serve, the CLI) keep the production
# cost; a hash made here records its cost, so a server verifies it quickly all the same.
set_hash_cost(TEST_COST)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(autouse=True)
def system_clock():
    """Every test starts on the system clock; a test that set another source loses it after."""
    yield
    set_clock(None)


@pytest.fixture
def clock():
    """The one clock (points.clock), stopped at the present; the test moves it."""
    stopped = FrozenClock(system_now())
    set_clock(stopped)
    return stopped


@pytest.fixture
def instance(tmp_path):
    """A new instance folder made by the same code as ``corner init``."""
    created, _new = init_instance(tmp_path / "instance")
    return created


@pytest.fixture
def db(instance):
    database = connect(instance.database)
    yield database
    database.close()


@pytest.fixture
def app(instance):
    app = create_app(instance, {"TESTING": True})
    yield app
    app.extensions["corner_connections"].close_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def office(instance, db):
    """The app for the admin pages: CSRF off (the tests post bare forms), staff wang an admin."""
    app = admin_app(instance)
    make_staff(db)
    yield app
    app.extensions["corner_connections"].close_all()


@pytest.fixture
def admin_client(office):
    """A browser on ``office`` logged in as wang, an admin."""
    return logged_in(office, "wang")


@pytest.fixture
def organiser_client(office, db):
    """A browser on ``office`` logged in as li, an organiser (made here)."""
    make_staff(db, "li", role="organiser")
    return logged_in(office, "li")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def corner_command(*args: str) -> list[str]:
    """The installed ``corner`` console script run by this Python (the real entry point)."""
    return [sys.executable, "-c", "from corner.cli import main; main()", *args]


class Server:
    """A real ``corner serve`` in a subprocess, on a free loopback port."""

    def __init__(
        self,
        instance_path: Path,
        threads: int = 16,
        port: int | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(instance_path / "serve.log", "w+b")  # noqa: SIM115
        self.process = subprocess.Popen(
            corner_command(
                "--instance",
                str(instance_path),
                "serve",
                "--port",
                str(self.port),
                "--threads",
                str(threads),
                *options,
            ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/api/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError(f"corner serve did not start: {self.log.read().decode()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def serve(instance):
    """Start the real server on this test's instance: ``server = serve()``; stopped after."""
    servers = []

    def start(**kwargs) -> Server:
        server = Server(instance.path, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def pcscd():
    """A real pcscd with the vpcd virtual readers, for one test module (it starts in ~15 ms)."""
    yield from running_pcscd()


@pytest.fixture
def cards(pcscd):
    """Lay virtual cards on the readers: ``cards.lay(uid, reader=0)``; all taken away after."""
    yield from cards_on_readers(pcscd)
