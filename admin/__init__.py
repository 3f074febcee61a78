"""The admin blueprint at /admin: staff log in and run the corner from a browser.

One ``before_request`` guards every admin route: nothing answers without a login, except the
views marked ``public`` (the login page), and an organiser reaches only the views marked
``organiser_allowed``. A new view is therefore admin-only until someone says otherwise, and the
permission test walks the URL map to prove it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError

from points.staff import Staff, get_staff

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

SESSION_SECONDS = 8 * 3600  # a login lasts a working day at most
IDLE_SECONDS = 30 * 60  # and ends after half an hour without a page


def public(view: Callable) -> Callable:
    """Mark a view that answers without a login (the login page, nothing else)."""
    view.public = True
    return view


def organiser_allowed(view: Callable) -> Callable:
    """Mark a view that an organiser may use too (every other view is for admins only)."""
    view.organiser_allowed = True
    return view


def accepts_uploads(max_bytes: int) -> Callable:
    """Mark a view whose form carries a file: its requests may be up to ``max_bytes`` long.

    The app's limit (MAX_CONTENT_LENGTH) stays small for everything else.
    """

    def mark(view: Callable) -> Callable:
        view.max_upload_bytes = max_bytes
        return view

    return mark


def clock() -> float:
    """Unix time; tests replace it with ``app.config["CORNER_CLOCK"]``."""
    return current_app.config.get("CORNER_CLOCK", time.time)()


def start_login(staff: Staff) -> None:
    """Remember a login in the session cookie (signed, so it cannot be forged)."""
    end_login()
    session.pop("csrf_token", None)  # a fresh CSRF token for the new login
    now = clock()
    session.update(
        staff=staff.username, staff_stamp=staff.password_stamp, staff_login=now, staff_seen=now
    )


def end_login() -> None:
    for key in ("staff", "staff_stamp", "staff_login", "staff_seen"):
        session.pop(key, None)


def current_staff() -> Staff | None:
    """The logged-in, still active staff member, or None (an expired login is ended here)."""
    from kiosk.app import get_db

    username = session.get("staff")
    if not username:
        return None
    now = clock()
    login_age = now - session.get("staff_login", 0)
    idle = now - session.get("staff_seen", 0)
    config = current_app.config
    if login_age > config.get("ADMIN_SESSION_SECONDS", SESSION_SECONDS) or idle > config.get(
        "ADMIN_IDLE_SECONDS", IDLE_SECONDS
    ):
        end_login()
        flash(gettext("You were logged out after a while away. Please log in again."))
        return None
    staff = get_staff(get_db(), username)
    # deactivated, or the password changed since: this login is over
    if staff is None or not staff.active or staff.password_stamp != session.get("staff_stamp"):
        end_login()
        return None
    session["staff_seen"] = now
    return staff


@blueprint.before_request
def require_login():
    """The one gate of the admin: a login for everything but public views, then the role."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False):
        return None
    g.staff = current_staff()
    if g.staff is None:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        abort(401)
    if g.staff.role != "admin" and not getattr(view, "organiser_allowed", False):
        abort(403)
    return None


@blueprint.context_processor
def template_values() -> dict:
    """The logged-in staff member and the page's language, for every admin template."""
    language = "zh-CN" if get_locale().language == "zh" else "en"

    def language_url(code: str) -> str:
        """This page in another language (its other query values kept)."""
        values = {**request.args.to_dict(), **(request.view_args or {}), "lang": code}
        return url_for(request.endpoint, **values)

    return {"staff": g.get("staff"), "language": language, "language_url": language_url}


@blueprint.errorhandler(401)
@blueprint.errorhandler(403)
def refused(error):
    return render_template("admin/refused.html", status=error.code), error.code


@blueprint.errorhandler(CSRFError)
def csrf_refused(_error):
    return render_template("admin/refused.html", status=400), 400


def _upload_limit() -> None:
    """Raise the body size limit for upload views, for a logged-in browser only.

    An app-level hook registered before CSRFProtect's: the CSRF check reads the form, so the
    limit must be set before it runs.
    """
    view = current_app.view_functions.get(request.endpoint)
    max_bytes = getattr(view, "max_upload_bytes", None)
    if max_bytes and session.get("staff"):
        request.max_content_length = max_bytes


def init_app(app: Flask) -> None:
    """Register the admin blueprint with its views."""
    app.before_request(_upload_limit)
    # their views attach to the blueprint; one module a line, so additions do not collide
    from admin import (  # noqa: F401
        activities,
        audit,
        auth,
        branches,
        cards,
        goods,
        home,
        imports,
        members,
        pin,
        records,
        redemptions,
        staff,
        standards,
        stock,
    )

    app.register_blueprint(blueprint)
