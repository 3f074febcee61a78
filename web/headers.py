"""Headers every answer carries: no sniffing, no framing by other sites, no referrer abroad.

A full Content-Security-Policy for scripts and styles waits until the pages hold no inline style
or handler (issue 11, part 5); ``frame-ancestors`` is safe today and is said here.
"""

from __future__ import annotations

from flask import Response

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


def security_headers(response: Response) -> Response:
    """An app-wide ``after_request`` hook."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
