"""Helpers for the admin tests: staff accounts, logging in, a clock the test moves."""

from __future__ import annotations

import re
import time

from corner.app import create_app
from points.staff import add_staff

PASSWORD = "correct horse 7"


class Clock:
    """Unix time that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_staff(db, username: str = "wang", role: str = "admin", password: str = PASSWORD):
    return add_staff(db, username=username, password=password, role=role, actor="test")


def admin_app(instance, clock: Clock, **config):
    """The app with a test clock; CSRF off unless asked (the CSRF tests turn it on)."""
    return create_app(
        instance,
        {"TESTING": True, "WTF_CSRF_ENABLED": False, "CORNER_CLOCK": clock, **config},
    )


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str = "wang", password: str = PASSWORD, **extra):
    """Log in through the login page; returns the response (a redirect when it worked)."""
    return client.post("/admin/login", data={"username": username, "password": password, **extra})
