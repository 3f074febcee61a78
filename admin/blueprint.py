"""The admin blueprint itself: its gate and the values every admin template gets.

One ``before_request`` guards every admin route (``web.auth.staff_gate``): nothing answers
without a login, except the views marked ``public`` (the login page), and an organiser reaches
only the views marked ``organiser_allowed``. A new view is therefore admin-only until someone
says otherwise, and the permission test walks the URL map to prove it. Errors are answered by
the one policy of ``web.errors``, on ``admin/error.html``.
"""

from __future__ import annotations

from flask import Blueprint, g, request, url_for
from flask_babel import get_locale

from points.clock import quarter_of
from web.auth import staff_gate

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
blueprint.before_request(staff_gate)
# the admin pages' style sheets and script, outside the gate (the login page needs them too):
# files of the package, the same for everyone, at /admin-static/
assets = Blueprint(
    "admin_assets", __name__, static_folder="static", static_url_path="/admin-static"
)


@blueprint.context_processor
def template_values() -> dict:
    """The logged-in staff member and the page's language, for every admin template."""
    language = "zh-CN" if get_locale().language == "zh" else "en"

    def language_url(code: str) -> str:
        """This page in another language (its other query values kept)."""
        values = {**request.args.to_dict(), **(request.view_args or {}), "lang": code}
        return url_for(request.endpoint, **values)

    return {
        "staff": g.get("staff"),
        "language": language,
        "language_url": language_url,
        "current_quarter": quarter_of(),
    }
