"""Helpers for the admin tests: staff accounts and logging in."""

from __future__ import annotations

import re

from corner.app import create_app
from points.staff import add_staff

PASSWORD = "correct horse 7"


def make_staff(db, username: str = "wang", role: str = "admin", password: str = PASSWORD):
    return add_staff(db, username=username, password=password, role=role, actor="test")


def admin_app(instance, **config):
    """The app; CSRF off unless asked (the CSRF tests turn it on)."""
    return create_app(instance, {"TESTING": True, "WTF_CSRF_ENABLED": False, **config})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str = "wang", password: str = PASSWORD, **extra):
    """Log in through the login page; returns the response (a redirect when it worked)."""
    return client.post("/admin/login", data={"username": username, "password": password, **extra})


def logged_in(app, username: str = "wang"):
    """A new test client of ``app`` logged in as ``username`` (the login must redirect)."""
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def with_styles(client, html: str) -> str:
    """The page and the style sheets it links, as the browser reads them (no inline styles)."""
    sheets = []
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        response = client.get(href)
        assert response.status_code == 200, href
        sheets.append(response.text)
        response.close()
    return html + "\n".join(sheets)
