"""The policy every answer carries, and templates that keep to it (no inline script or style).

The browser test (tests/browser/test_content_security_policy.py) proves it page by page; this
one finds a new inline handler, ``<style>`` block or ``style=`` attribute the moment it is
written, without a browser.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from web.headers import CONTENT_SECURITY_POLICY

# inline script (not a JSON data block), inline style, style attributes, on*= handlers
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|<style\b|\sstyle=|\son[a-z]{4,}\s*=\s*[\"']"
)


def templates():
    for package in ("admin", "board", "kiosk", "web"):
        yield from sorted((ROOT / package / "templates").rglob("*.html"))


def test_the_policy_allows_only_the_apps_own_files():
    rules = dict(rule.split(" ", 1) for rule in CONTENT_SECURITY_POLICY.split("; "))
    assert rules == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: blob:",
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }


@pytest.mark.parametrize("url", ["/kiosk", "/checkin", "/admin/login", "/board", "/nowhere"])
def test_every_page_carries_the_policy(client, url):
    assert client.get(url).headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_no_template_holds_an_inline_script_handler_or_style():
    found = {}
    for path in templates():
        name = str(path.relative_to(ROOT))
        hits = INLINE.findall(path.read_text(encoding="utf-8"))
        if hits:
            found[name] = hits
    assert found == {}


def test_the_check_finds_what_it_looks_for():
    for bad in (
        "<style>p{}</style>",
        '<p style="x">',
        '<select onchange="f()">',
        "<script>alert(1)</script>",
    ):
        assert INLINE.search(bad), bad
    for good in (
        '<script src="/static/kiosk.js"></script>',
        '<script type="application/json" id="config">{}</script>',
        '<select data-autosubmit id="branch">',
    ):
        assert not INLINE.search(good), good
