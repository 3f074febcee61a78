"""The application factory."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
from pathlib import Path

from flask import Flask, current_app, redirect, request, send_from_directory, session, url_for
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from kiosk.instance import LANGUAGES, Instance, open_instance
from points.db import apply_migrations, connect


def create_app(instance: Instance | Path | str, test_config: dict | None = None) -> Flask:
    """Build the kiosk app for an instance folder (which ``corner init`` made)."""
    if not isinstance(instance, Instance):
        instance = open_instance(Path(instance))
    app = Flask(__name__, instance_path=str(instance.path.resolve()))
    secret = instance.secret()
    app.config.from_mapping(
        CORNER_INSTANCE=instance,
        CARD_SECRET=secret,
        # signs the cookie that binds a remote kiosk's page; derived, so it survives restarts
        SECRET_KEY=hmac.new(secret.key, b"flask session", hashlib.sha256).hexdigest(),
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=3600 * 24 * 365,
        BABEL_DEFAULT_LOCALE=instance.settings.language,
        # one catalogue for the kiosk and the admin blueprint
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        # a form stays good for a whole admin login (the login itself expires sooner)
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.json.ensure_ascii = False
    if test_config:
        app.config.update(test_config)

    # migrate once at start-up; each request then opens a plain connection
    migration_db = connect(instance.database)
    apply_migrations(migration_db)
    migration_db.close()

    Babel(app, locale_selector=select_locale)

    app.extensions["corner_connections"] = Connections(instance.database)

    from kiosk.readers import CardHub

    app.extensions["card_hub"] = CardHub(instance, secret)

    @app.get("/")
    def index():
        return redirect(url_for("kiosk.start"))

    @app.get("/pictures/<path:filename>")
    def picture(filename: str):
        return send_from_directory(instance.pictures, filename, max_age=3600)

    import admin
    from kiosk import api, checkin, pages

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    # before CSRFProtect: its picture-size hook must run before the CSRF check reads the body
    app.register_blueprint(checkin.blueprint)
    admin.init_app(app)
    # every form and state-changing request needs a CSRF token, except the JSON API: the kiosk
    # page and the reader agents carry their own session and kiosk tokens, not a cookie alone
    csrf = CSRFProtect(app)
    csrf.exempt(api.blueprint)
    return app


def select_locale() -> str:
    """The page's ?lang=, else the instance's configured language (zh_CN by default).

    The kiosk forgets the choice with the next member; the admin pages keep it for the login.
    """
    requested = request.args.get("lang")
    admin = request.blueprint == "admin"
    if requested in LANGUAGES:
        if admin:
            session["admin_language"] = requested
        return requested
    if admin and session.get("admin_language") in LANGUAGES:
        return session["admin_language"]
    return current_instance().settings.language


def current_instance() -> Instance:
    return current_app.config["CORNER_INSTANCE"]


class Connections:
    """One database connection per server thread, kept for the thread's life.

    Opening a connection per request cost as much as a redemption's own work, and closing the
    last one checkpoints and deletes the WAL file each time. Every write still runs in its own
    BEGIN IMMEDIATE transaction, so nothing carries over from one request to the next.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list = []
        self._guard = threading.Lock()

    def get(self):
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path, migrate=False)
            with self._guard:
                self._opened.append(db)
        return db

    def close_all(self) -> None:
        """Close every thread's connection (tests, shutdown)."""
        with self._guard:
            for db in self._opened:
                db.close()
            self._opened.clear()
        self._local = threading.local()


def get_db():
    """This thread's database connection, opened on first use."""
    return current_app.extensions["corner_connections"].get()


def is_loopback() -> bool:
    """Is this request from this machine (where its own card readers are)?"""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def page_channel() -> str | None:
    """Which card taps this page may see: its bound kiosk's, this machine's, or none."""
    from kiosk.readers import LOCAL

    if session.get("kiosk"):
        return session["kiosk"]
    return LOCAL if is_loopback() else None


def page_corner() -> int:
    """The corner whose stock this page shows: its bound kiosk's, else the instance's."""
    return session.get("kiosk_corner") or current_instance().settings.corner
