"""Headers every answer carries: a Content-Security-Policy, no sniffing, no framing, no referrer
abroad.

The policy allows only the app's own files: scripts, style sheets, pictures and connections from
this origin, no inline script or ``on*=`` handler, no inline ``<style>`` or ``style=`` attribute
(the pages bind their behaviour from static .js files by data attributes, and say their looks in
static .css files; a script may still set a style through the CSSOM, which CSP allows). Pictures
may also be ``data:`` (the QR codes on the card print pages) and ``blob:`` (a photo of a card,
shown to the browser to shrink it before it is sent). JSON data blocks
(``<script type="application/json">``) are not scripts and are allowed.
"""

from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def security_headers(response: Response) -> Response:
    """An app-wide ``after_request`` hook."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
