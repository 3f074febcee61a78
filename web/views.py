"""The shared web layer's own routes and templates: goods pictures and the plain error page."""

from __future__ import annotations

from flask import Blueprint, send_from_directory

from web.instance import current_instance

# the error page's style sheet is a file too (no inline style under the Content-Security-Policy)
blueprint = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/web-static",
)


@blueprint.get("/pictures/<path:filename>")
def picture(filename: str):
    """A goods picture from the instance's pictures folder."""
    return send_from_directory(current_instance().pictures, filename, max_age=3600)
