"""The application factory: every surface on the shared web layer, hooks in their order."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from flask import Flask, redirect, url_for
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

import admin
from board import views as board_views
from cards.token import TOKEN_PATTERN
from corner.demo import DEMO_PIN
from kiosk import api, checkin, pages
from points.db import apply_migrations, connect
from web import auth, errors, headers, proxy, views
from web.db import Connections
from web.hub import CardHub
from web.i18n import TRANSLATIONS, select_locale
from web.instance import Instance, open_instance
from web.payloads import BoundedIntConverter


def create_app(instance: Instance | Path | str, test_config: dict | None = None) -> Flask:
    """Build the app for an instance folder (which ``corner init`` made)."""
    if not isinstance(instance, Instance):
        instance = open_instance(Path(instance))
    # the kiosk's scripts and styles are the app's static files (/static/kiosk.js)
    app = Flask(
        "corner",
        instance_path=str(instance.path.resolve()),
        static_folder=str(Path(pages.__file__).parent / "static"),
        template_folder=None,
    )
    secret = instance.secret()
    app.config.from_mapping(
        CORNER_INSTANCE=instance,
        CARD_SECRET=secret,
        # signs the session cookie (logins, a kiosk's binding); derived, so it survives restarts
        SECRET_KEY=hmac.new(secret.key, b"flask session", hashlib.sha256).hexdigest(),
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=3600 * 24 * 365,
        BABEL_DEFAULT_LOCALE=instance.settings.language,
        # one catalogue for every surface
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        # a form stays good for a whole admin login (the login itself expires sooner)
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        # the demo cards page names the demo organiser's PIN
        DEMO_PIN=DEMO_PIN,
    )
    app.json.ensure_ascii = False
    # the browser's address and https as a declared reverse proxy saw them; a Secure cookie then
    proxy.serve_behind(app, instance.settings.trusted_proxies)
    # before any route is added: an id in an address stays inside SQLite's integers
    app.url_map.converters["int"] = BoundedIntConverter
    if test_config:
        app.config.update(test_config)

    # migrate once at start-up; each request then opens a plain connection
    migration_db = connect(instance.database)
    apply_migrations(migration_db)
    migration_db.close()

    Babel(app, locale_selector=select_locale)
    app.extensions["corner_connections"] = Connections(instance.database)
    app.extensions["card_hub"] = CardHub(instance, secret)
    # the card token's shape, for the check-in page's script (cards/ owns the format)
    app.jinja_env.globals["card_token_pattern"] = TOKEN_PATTERN

    @app.get("/")
    def index():
        return redirect(url_for("kiosk.start"))

    # App-wide hooks, in this order: the upload limit is raised for marked views before
    # CSRFProtect's hook reads the body.
    app.before_request(auth.upload_limit)
    app.after_request(headers.security_headers)
    blueprints = (
        views.blueprint,
        pages.blueprint,
        api.blueprint,
        checkin.blueprint,
        board_views.blueprint,
        admin.blueprint,
        admin.assets,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # every form and state-changing request needs a CSRF token, except the JSON API: the kiosk
    # page and the reader agents carry their own session and kiosk tokens, not a cookie alone
    csrf = CSRFProtect(app)
    csrf.exempt(api.blueprint)
    errors.init_app(app, pages={"admin": "admin/error.html"})
    return app
