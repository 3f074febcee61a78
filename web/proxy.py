"""Serving behind a reverse proxy that the operator declares (``trusted_proxies`` in config.toml).

Behind nginx or Caddy every request comes from the proxy's address, over plain http. With
``trusted_proxies = 1`` the app believes the ``X-Forwarded-For``, ``-Proto`` and ``-Host`` headers
of that one hop (werkzeug's ``ProxyFix``): ``request.remote_addr`` is then the browser's address
(for the lock-out and the list of logins) and a request the proxy received over https is
``request.is_secure``, so the session cookie is marked ``Secure``. Without the setting those
headers are ignored: anyone could send them, and a spoofed ``X-Forwarded-For`` must not choose
whose failures a guess is counted with.

The session cookie is always ``HttpOnly`` (Flask's default) and ``SameSite=Strict`` (the app's
config): no script reads it, and no other site's page or form sends it.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked ``Secure`` whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = super().get_cookie_secure(app)
        return configured or (has_request_context() and request.is_secure)


def serve_behind(app: Flask, trusted_proxies: int) -> None:
    """Trust the forwarded headers of ``trusted_proxies`` hops (0: none, the default)."""
    app.session_interface = SessionCookies()
    if trusted_proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies, x_host=trusted_proxies
        )
