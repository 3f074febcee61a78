"""The application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, redirect, request, send_from_directory, url_for
from flask_babel import Babel

from kiosk.instance import LANGUAGES, Instance, open_instance
from points.db import apply_migrations, connect


def create_app(instance: Instance | Path | str, test_config: dict | None = None) -> Flask:
    """Build the kiosk app for an instance folder (which ``corner init`` made)."""
    if not isinstance(instance, Instance):
        instance = open_instance(Path(instance))
    app = Flask(__name__, instance_path=str(instance.path.resolve()))
    app.config.from_mapping(
        CORNER_INSTANCE=instance,
        CARD_SECRET=instance.secret(),
        BABEL_DEFAULT_LOCALE=instance.settings.language,
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

    @app.teardown_appcontext
    def close_db(_error: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.get("/")
    def index():
        return redirect(url_for("kiosk.start"))

    @app.get("/pictures/<path:filename>")
    def picture(filename: str):
        return send_from_directory(instance.pictures, filename, max_age=3600)

    from kiosk import api, pages

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    return app


def select_locale() -> str:
    """The page's ?lang=, else the instance's configured language (zh_CN by default)."""
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        return requested
    return current_instance().settings.language


def current_instance() -> Instance:
    from flask import current_app

    return current_app.config["CORNER_INSTANCE"]


def get_db():
    """This request's database connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_instance().database, migrate=False)
    return g.db
